//! What a [`crate::TxSender`] needs from a node, whichever transport reaches it.

use std::future::Future;

use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use pol_component::Address;

use crate::ClientError;

/// CheckTx's verdict on a broadcast tx (`broadcast_tx_sync`, `BroadcastMode::Sync`).
#[derive(Clone, Debug)]
pub struct BroadcastResult {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    /// Upper-case hex SHA-256 of the tx bytes.
    pub hash: String,
}

/// A committed transaction's result.
#[derive(Clone, Debug)]
pub struct TxResult {
    pub height: u64,
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub gas_used: u64,
    /// The result's data: an encoded `cosmos.base.abci.v1beta1.TxMsgData`.
    pub data: Vec<u8>,
}

impl TxResult {
    /// The messages' responses (`TxMsgData.msg_responses`), in message order.
    pub fn msg_responses(&self) -> Vec<cosmos_sdk_proto::Any> {
        use prost::Message;
        cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData::decode(self.data.as_slice())
            .map(|d| d.msg_responses)
            .unwrap_or_default()
    }

    /// The response of message `index`, decoded as `M`.
    pub fn msg_response<M: prost::Message + Default>(&self, index: usize) -> Option<M> {
        let any = self.msg_responses().into_iter().nth(index)?;
        M::decode(any.value.as_slice()).ok()
    }
}

/// A node reached over CometBFT RPC ([`crate::RpcClient`]) or pold's gRPC
/// ([`crate::GrpcClient`]).
pub trait Chain: Send + Sync {
    /// The account's number and next sequence; [`ClientError::NoAccount`] if it has none.
    fn account(
        &self,
        address: &Address,
    ) -> impl Future<Output = Result<BaseAccount, ClientError>> + Send;
    /// Submit through CheckTx and return its verdict (a refusal is a result, not an error).
    fn broadcast_sync(
        &self,
        tx: &[u8],
    ) -> impl Future<Output = Result<BroadcastResult, ClientError>> + Send;
    /// The committed result of the tx with this (hex) hash, `None` until it is in a block.
    fn committed(
        &self,
        hash: &str,
    ) -> impl Future<Output = Result<Option<TxResult>, ClientError>> + Send;
}

/// Decode the `BaseAccount` inside an auth `QueryAccountResponse`.
pub(crate) fn base_account(
    address: &Address,
    account: Option<tendermint_proto::google::protobuf::Any>,
) -> Result<BaseAccount, ClientError> {
    use prost::Message;
    let any = account.ok_or_else(|| ClientError::NoAccount(address.to_string()))?;
    BaseAccount::decode(any.value.as_slice()).map_err(|e| ClientError::Decode(e.to_string()))
}
