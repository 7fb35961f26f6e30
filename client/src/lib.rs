//! pol-client: everything that talks to a pol chain from outside the node. pold's CLI, the
//! provider's worker and the integration tests all go through it, so there is one way to
//! hold a key, price a tx, sign it, broadcast it and wait for its block.
//!
//! - [`key`], [`keyring`]: secp256k1 account keys and the file keyring (BIP39/BIP32 at
//!   Cosmos' HD path, so the same words give the same address as in Keplr or cosmjs).
//! - [`sign`]: SIGN_MODE_DIRECT transactions.
//! - [`chain`]: what a sender needs from a node ([`Chain`]), with the results it returns.
//! - [`sender`]: [`TxSender`], which owns an account's sequence: fetch, sign, broadcast,
//!   retry a stale sequence once, wait for the block.
//! - [`rpc`]: CometBFT's JSON-RPC (queries over `abci_query`), a [`Chain`].
//! - [`grpc`]: pold's gRPC API with typed query clients, a [`Chain`].

pub mod answer;
pub mod chain;
pub mod error;
pub mod grpc;
pub mod key;
pub mod keyring;
pub mod payments;
pub mod requester;
pub mod rpc;
pub mod sender;
pub mod sign;

pub use chain::{BroadcastResult, Chain, TxResult};
pub use error::ClientError;
pub use grpc::GrpcClient;
pub use key::SignerKey;
pub use keyring::{KeyRecord, Keyring, KeyringError};
pub use pol_component::GasPrice;
pub use rpc::{RpcClient, RpcError};
pub use sender::{fee_coins, TxOptions, TxSender};
pub use sign::{sign_tx, SendTx};

/// A message packed as `Any` for a tx body.
pub fn any<M: prost::Message>(type_url: &str, msg: &M) -> tendermint_proto::google::protobuf::Any {
    tendermint_proto::google::protobuf::Any {
        type_url: type_url.to_string(),
        value: msg.encode_to_vec(),
    }
}
