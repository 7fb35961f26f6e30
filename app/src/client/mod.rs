//! What the CLI, tests and benchmarks use to talk to a running chain: CometBFT's JSON-RPC
//! (queries ride `abci_query`, as in every Cosmos CLI) and a SIGN_MODE_DIRECT tx builder.

pub mod rpc;
pub mod txbuilder;

pub use rpc::{RpcClient, RpcError};
pub use txbuilder::{SendTx, SignerKey};
