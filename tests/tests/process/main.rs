//! Every test that runs real CometBFT, pold and pol-worker processes, in one test binary:
//! one link of the whole node instead of one per file (each is ~60 MB and a link of its own).
//! Tests still run two at a time on a 2-core machine, as when each file was its own binary.
//! `latency_sla.rs` stays a binary of its own: it judges SLAs on measured latencies over
//! many epochs, and a second network running beside it on 2 cores changes what it measures.

mod abci_socket;
mod chain;
mod cosmos_clients;
mod crash;
mod discrimination;
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

/// Tests that load the whole machine (a query flood) take it for writing; tests whose
/// deadlines a saturated 2-core machine would miss (proofs, crash recovery, measured
/// latencies) take it for reading, so they never run beside such a load.
pub static WHOLE_MACHINE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());
