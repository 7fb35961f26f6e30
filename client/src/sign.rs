//! Building and signing Cosmos SDK transactions (SIGN_MODE_DIRECT, secp256k1): the one
//! signing path of pold's CLI, the worker and the tests.

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use pol_component::Address;
use prost::Message;
use tendermint_proto::google::protobuf::Any;

use crate::key::SignerKey;

/// Everything a bank send needs besides the key.
#[derive(Clone, Debug)]
pub struct SendTx {
    pub to: Address,
    pub amount: Vec<ProtoCoin>,
    pub fee: Vec<ProtoCoin>,
    pub gas_limit: u64,
    pub memo: String,
    pub chain_id: String,
    pub account_number: u64,
    pub sequence: u64,
}

/// Sign arbitrary messages as one transaction; returns TxRaw bytes.
// The arguments are the fields of a Cosmos SignDoc, named at every call site.
#[allow(clippy::too_many_arguments)]
pub fn sign_tx(
    key: &SignerKey,
    messages: Vec<Any>,
    memo: &str,
    fee: Vec<ProtoCoin>,
    gas_limit: u64,
    chain_id: &str,
    account_number: u64,
    sequence: u64,
) -> Vec<u8> {
    let body = TxBody {
        messages,
        memo: memo.to_string(),
        ..Default::default()
    };
    let auth_info = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(pol_auth::view::secp256k1_pubkey_any(&key.public_key())),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single {
                    mode: SignMode::Direct as i32,
                })),
            }),
            sequence,
        }],
        fee: Some(Fee {
            amount: fee,
            gas_limit,
            payer: String::new(),
            granter: String::new(),
        }),
        ..Default::default()
    };
    let body_bytes = body.encode_to_vec();
    let auth_info_bytes = auth_info.encode_to_vec();
    let sign_doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: chain_id.to_string(),
        account_number,
    };
    let signature = key.sign(&sign_doc.encode_to_vec());
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature],
    }
    .encode_to_vec()
}

impl SendTx {
    pub fn sign(&self, key: &SignerKey) -> Vec<u8> {
        let msg = MsgSend {
            from_address: key.address().to_string(),
            to_address: self.to.to_string(),
            amount: self.amount.clone(),
        };
        let any = Any {
            type_url: pol_bank::MSG_SEND_TYPE_URL.into(),
            value: msg.encode_to_vec(),
        };
        sign_tx(
            key,
            vec![any],
            &self.memo,
            self.fee.clone(),
            self.gas_limit,
            &self.chain_id,
            self.account_number,
            self.sequence,
        )
    }
}
