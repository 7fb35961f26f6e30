//! What can go wrong talking to a chain.

use crate::rpc::RpcError;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Rpc(#[from] RpcError),
    #[error("gRPC: {0}")]
    Grpc(#[from] tonic::Status),
    #[error("chain address {addr:?}: {why}")]
    Address { addr: String, why: String },
    #[error("account {0}: the chain has no such account (fund it first)")]
    NoAccount(String),
    #[error("the chain's answer does not decode: {0}")]
    Decode(String),
    #[error("fee: {0}")]
    Fee(String),
    /// CheckTx refused the tx: nothing was included, the sequence did not move.
    #[error("CheckTx rejected the tx with code {code} ({codespace}): {log}")]
    Rejected {
        code: u32,
        codespace: String,
        log: String,
    },
    #[error("tx {hash} was not included within {secs} s{}", last.as_ref().map(|e| format!(" (last error: {e})")).unwrap_or_default())]
    NotIncluded {
        hash: String,
        secs: u64,
        last: Option<String>,
    },
}
