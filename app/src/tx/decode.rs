//! Stateless decoding and checks of a Cosmos SDK transaction (TxRaw, SIGN_MODE_DIRECT).

use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, TxBody, TxRaw};
use pol_component::coins::{parse_coins, Coin};
use pol_component::{Address, TxError};
use prost::Message;
use sha2::{Digest, Sha256};

use super::router::Msg;
use crate::modules::Modules;

/// Bounds every transaction must satisfy before any state is read.
#[derive(Clone, Copy, Debug)]
pub struct TxLimits {
    pub max_tx_bytes: usize,
    pub max_memo_characters: u64,
    pub max_gas: u64,
}

/// A decoded transaction with exactly one signer.
#[derive(Debug)]
pub struct DecodedTx {
    pub hash: [u8; 32],
    pub len: usize,
    pub body_bytes: Vec<u8>,
    pub auth_info_bytes: Vec<u8>,
    pub signature: Vec<u8>,
    pub msgs: Vec<Msg>,
    pub memo: String,
    pub timeout_height: u64,
    pub signer: Address,
    /// Compressed secp256k1 key, when the tx carries one (required on an account's first tx).
    pub pubkey: Option<Vec<u8>>,
    pub sequence: u64,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
}

pub fn tx_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Decode and check `bytes`; its messages must be `modules`'.
pub fn decode_tx(bytes: &[u8], limits: &TxLimits, modules: Modules) -> Result<DecodedTx, TxError> {
    if bytes.len() > limits.max_tx_bytes {
        return Err(TxError::TX_TOO_LARGE(format!(
            "tx of {} bytes exceeds the limit of {}",
            bytes.len(),
            limits.max_tx_bytes
        )));
    }
    let raw =
        TxRaw::decode(bytes).map_err(|e| TxError::TX_DECODE(format!("tx parse error: {e}")))?;
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| TxError::TX_DECODE(format!("tx body parse error: {e}")))?;
    let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| TxError::TX_DECODE(format!("tx auth_info parse error: {e}")))?;

    if body.messages.is_empty() {
        return Err(TxError::INVALID_REQUEST(
            "must contain at least one message",
        ));
    }
    if !body.extension_options.is_empty() || !body.non_critical_extension_options.is_empty() {
        return Err(TxError::UNKNOWN_EXTENSION_OPTIONS(
            "extension options are not supported",
        ));
    }
    if body.memo.chars().count() as u64 > limits.max_memo_characters {
        return Err(TxError::MEMO_TOO_LARGE(format!(
            "maximum number of characters is {} but received {} characters",
            limits.max_memo_characters,
            body.memo.chars().count()
        )));
    }

    let msgs = body
        .messages
        .iter()
        .map(|any| Msg::decode(modules, any))
        .collect::<Result<Vec<_>, _>>()?;
    // pol transactions have one signer: every message must be signed by the same account.
    let signer = msgs[0].signer()?;
    for m in &msgs[1..] {
        if m.signer()? != signer {
            return Err(TxError::INVALID_REQUEST(
                "all messages of a transaction must have the same signer",
            ));
        }
    }

    match (auth_info.signer_infos.len(), raw.signatures.len()) {
        (_, 0) => return Err(TxError::NO_SIGNATURES("no signatures supplied")),
        (1, 1) => {}
        (s, n) => {
            return Err(TxError::UNAUTHORIZED(format!(
                "wrong number of signers; expected 1, got {s} signer infos and {n} signatures"
            )))
        }
    }
    let signer_info = &auth_info.signer_infos[0];
    match signer_info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(s)) if s.mode == SignMode::Direct as i32 => {}
        _ => {
            return Err(TxError::INVALID_REQUEST(
                "only SIGN_MODE_DIRECT single signatures are supported",
            ))
        }
    }
    let pubkey = match &signer_info.public_key {
        None => None,
        Some(any) if any.type_url == pol_auth::SECP256K1_PUBKEY_TYPE_URL => {
            let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(
                any.value.as_slice(),
            )
            .map_err(|e| TxError::INVALID_PUBKEY(format!("public key does not decode: {e}")))?;
            if pk.key.len() != 33 {
                return Err(TxError::INVALID_PUBKEY(
                    "secp256k1 public key must be 33 compressed bytes",
                ));
            }
            Some(pk.key)
        }
        Some(any) => {
            return Err(TxError::INVALID_PUBKEY(format!(
                "unsupported public key type {}",
                any.type_url
            )))
        }
    };

    let fee = auth_info.fee.unwrap_or_default();
    if fee.gas_limit == 0 || fee.gas_limit > limits.max_gas {
        return Err(TxError::INVALID_GAS_LIMIT(format!(
            "gas limit {} must be between 1 and the block's {}",
            fee.gas_limit, limits.max_gas
        )));
    }
    if !fee.payer.is_empty() || !fee.granter.is_empty() {
        return Err(TxError::INVALID_REQUEST(
            "fee payers and fee grants are not supported",
        ));
    }
    let fee_coins = parse_coins(&fee.amount)
        .map_err(|e| TxError::INSUFFICIENT_FEE(format!("invalid fee: {}", e.log)))?;

    Ok(DecodedTx {
        hash: tx_hash(bytes),
        len: bytes.len(),
        body_bytes: raw.body_bytes,
        auth_info_bytes: raw.auth_info_bytes,
        signature: raw.signatures.into_iter().next().unwrap_or_default(),
        msgs,
        memo: body.memo,
        timeout_height: body.timeout_height,
        signer,
        pubkey,
        sequence: signer_info.sequence,
        fee: fee_coins,
        gas_limit: fee.gas_limit,
    })
}
