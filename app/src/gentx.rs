//! Genesis transactions, as in the Cosmos SDK: each future validator signs a
//! `MsgCreateValidator` with its operator account (`pold genesis gentx`), and the
//! coordinator checks every signature and folds them into the staking genesis
//! (`pold genesis collect-gentxs`).
//!
//! A gentx is an ordinary signed transaction (TxRaw, SIGN_MODE_DIRECT) for the genesis
//! chain-id with account number 0 and sequence 0 and no fee. Its signature proves the
//! operator agreed to bond those funds with that consensus key; the memo carries the
//! node's `id@host:port` so the coordinator can wire up persistent peers.

use pol_component::{Address, TxError};
use pol_staking::msg::MsgCreateValidator;
use pol_staking::GenesisValidator;
use prost::Message;
use serde::{Deserialize, Serialize};
use tendermint_proto::google::protobuf::Any;

use crate::tx::{decode_tx, TxLimits};
use pol_auth::{address_of_pubkey, verify_secp256k1};
use pol_client::{sign_tx, SignerKey};

/// Gas limit written into gentxs (they pay no fee; InitChain does not meter them).
pub const GENTX_GAS: u64 = 200_000;

/// What `pold genesis gentx` writes to `config/gentx/gentx-<operator>.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GentxFile {
    pub chain_id: String,
    /// base64 TxRaw.
    pub tx: String,
    /// Human-readable copy of what the tx says (not trusted: collect re-derives it).
    pub validator: GenesisValidator,
    /// `node_id@host:port` of the validator's CometBFT, or empty.
    pub memo: String,
}

/// Everything a gentx declares.
pub struct GentxRequest<'a> {
    pub chain_id: &'a str,
    pub consensus_pubkey: [u8; 32],
    pub moniker: &'a str,
    pub commission_bps: u32,
    pub self_bond: u128,
    pub bond_denom: &'a str,
    pub memo: &'a str,
}

/// Sign a gentx with the operator key.
pub fn create(key: &SignerKey, req: &GentxRequest) -> GentxFile {
    let operator = key.address();
    let msg = MsgCreateValidator {
        validator_address: pol_staking::types::valoper_string(&operator),
        consensus_pubkey: req.consensus_pubkey.to_vec(),
        moniker: req.moniker.to_string(),
        commission_bps: req.commission_bps,
        self_bond: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: req.bond_denom.to_string(),
            amount: req.self_bond.to_string(),
        }),
    };
    let tx = sign_tx(
        key,
        vec![Any {
            type_url: pol_staking::MSG_CREATE_VALIDATOR_TYPE_URL.into(),
            value: msg.encode_to_vec(),
        }],
        req.memo,
        Vec::new(),
        GENTX_GAS,
        req.chain_id,
        0,
        0,
    );
    GentxFile {
        chain_id: req.chain_id.to_string(),
        tx: b64(&tx),
        validator: GenesisValidator::new(
            &operator,
            &req.consensus_pubkey,
            req.moniker,
            req.commission_bps,
            req.self_bond,
        ),
        memo: req.memo.to_string(),
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn invalid(why: impl Into<String>) -> TxError {
    TxError::INVALID_REQUEST(why.into())
}

/// Check a gentx for `chain_id` and return the staking genesis entry it signs for, and its
/// memo. Rejects anything but one `MsgCreateValidator` signed, at account number 0 and
/// sequence 0, by the key of its own operator account.
pub fn verify(file: &GentxFile, chain_id: &str) -> Result<(GenesisValidator, String), TxError> {
    use base64::Engine as _;
    if file.chain_id != chain_id {
        return Err(invalid(format!(
            "gentx is for chain {:?}, genesis is {chain_id:?}",
            file.chain_id
        )));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(file.tx.trim())
        .map_err(|e| TxError::TX_DECODE(format!("gentx tx is not base64: {e}")))?;
    let limits = TxLimits {
        max_tx_bytes: 64 * 1024,
        max_memo_characters: 256,
        max_gas: u64::MAX,
    };
    // A gentx carries pol's own MsgCreateValidator.
    let tx = decode_tx(&bytes, &limits, crate::modules::Modules::pol())?;
    let Some(msg) = (match tx.msgs.as_slice() {
        [only] => only.downcast::<pol_staking::msg::MsgCreateValidator>(),
        _ => None,
    }) else {
        return Err(invalid(
            "a gentx holds exactly one MsgCreateValidator and nothing else",
        ));
    };
    if tx.sequence != 0 {
        return Err(invalid(format!(
            "gentx sequence is {}, must be 0",
            tx.sequence
        )));
    }
    if !tx.fee.is_empty() {
        return Err(invalid("a gentx pays no fee"));
    }
    let pubkey = tx
        .pubkey
        .as_ref()
        .ok_or_else(|| TxError::INVALID_PUBKEY("gentx carries no public key"))?;
    let signer: Address = address_of_pubkey(pubkey)?;
    if signer != tx.signer {
        return Err(TxError::INVALID_PUBKEY(format!(
            "gentx key does not belong to its signer {}",
            tx.signer
        )));
    }
    let sign_doc = cosmos_sdk_proto::cosmos::tx::v1beta1::SignDoc {
        body_bytes: tx.body_bytes.clone(),
        auth_info_bytes: tx.auth_info_bytes.clone(),
        chain_id: chain_id.to_string(),
        account_number: 0,
    };
    verify_secp256k1(pubkey, &sign_doc.encode_to_vec(), &tx.signature)
        .map_err(|why| TxError::UNAUTHORIZED(format!("gentx of {}: {why}", tx.signer)))?;

    let consensus_pubkey = pol_staking::types::parse_consensus_pubkey(&msg.consensus_pubkey)?;
    let coin = msg
        .self_bond
        .as_ref()
        .ok_or_else(|| TxError::INVALID_COINS("gentx has no self-bond"))?;
    let self_bond = pol_component::coins::parse_amount(&coin.amount)
        .filter(|a| *a > 0)
        .ok_or_else(|| TxError::INVALID_COINS(format!("gentx self-bond {:?}", coin.amount)))?;
    let entry = GenesisValidator::new(
        &signer,
        &consensus_pubkey,
        &msg.moniker,
        msg.commission_bps,
        self_bond,
    );
    if entry != file.validator {
        return Err(invalid(
            "the gentx file's validator summary does not match its signed tx",
        ));
    }
    Ok((entry, tx.memo))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(memo: &str) -> GentxRequest<'_> {
        GentxRequest {
            chain_id: "pol-gentx-1",
            consensus_pubkey: [9; 32],
            moniker: "val0",
            commission_bps: 500,
            self_bond: 5_000_000,
            bond_denom: "upol",
            memo,
        }
    }

    #[test]
    fn a_signed_gentx_verifies_and_yields_its_entry() {
        let key = SignerKey::random();
        let f = create(&key, &request("abc@127.0.0.1:26656"));
        let (entry, memo) = verify(&f, "pol-gentx-1").unwrap();
        assert_eq!(entry.operator, key.address().to_string());
        assert_eq!(entry.self_bond, 5_000_000);
        assert_eq!(memo, "abc@127.0.0.1:26656");
    }

    #[test]
    fn tampering_and_wrong_chain_are_refused() {
        let key = SignerKey::random();
        let f = create(&key, &request(""));
        assert!(verify(&f, "other-chain").is_err());

        // The summary says more than the signature covers.
        let mut lie = f.clone();
        lie.validator.self_bond += 1;
        assert!(verify(&lie, "pol-gentx-1")
            .unwrap_err()
            .log
            .contains("does not match"));

        // A different chain-id inside the file than the one signed.
        let mut relabelled = f.clone();
        relabelled.chain_id = "pol-other".into();
        assert!(verify(&relabelled, "pol-other")
            .unwrap_err()
            .log
            .contains("does not verify"));

        // Somebody else's signature over the same body.
        let other = create(&SignerKey::random(), &request(""));
        use base64::Engine as _;
        let eng = base64::engine::general_purpose::STANDARD;
        let mut raw = cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw::decode(
            eng.decode(&f.tx).unwrap().as_slice(),
        )
        .unwrap();
        raw.signatures = cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw::decode(
            eng.decode(&other.tx).unwrap().as_slice(),
        )
        .unwrap()
        .signatures;
        let mut forged = f.clone();
        forged.tx = eng.encode(raw.encode_to_vec());
        assert!(verify(&forged, "pol-gentx-1").is_err());

        // Garbage.
        let mut junk = f;
        junk.tx = "!!".into();
        assert!(verify(&junk, "pol-gentx-1").is_err());
    }
}
