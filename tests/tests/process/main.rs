//! Every test that runs real CometBFT, pold and pol-worker processes, in one test binary:
//! one link of the whole node instead of one per file (each is ~60 MB and a link of its own).
//! Tests still run two at a time on a 2-core machine, as when each file was its own binary.
//! `latency_sla.rs` stays a binary of its own: it judges SLAs on measured latencies over
//! many epochs, and a second network running beside it on 2 cores changes what it measures.

mod abci_socket;
mod chain;
mod cosmos_clients;
mod crash;
mod genesis_export;
mod gov;
mod grpc_reflection;
mod infer_cli;
mod inference_chain;
mod latency_net;
mod localnet;
mod payments;
mod probe;
mod slashing;
mod staking;
mod supervision;
mod worker_attest;

/// One 4-validator network at a time: two side by side on a 2-core machine starve each
/// other's votes, which is not what these tests are about.
pub static ONE_NETWORK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
