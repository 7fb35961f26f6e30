//! pol-worker: the provider sidecar of pol.
//!
//! - [`receipt`]: canonical receipt bytes, signing, verification (no libtorch; the chain
//!   reuses it with `default-features = false`).
//! - [`proto`]: the `pol.worker.v1` gRPC API.
//! - [`engine`] / `runtime` (feature `torch`): the reference and libtorch engines.
//! - [`batcher`]: dynamic batching on one engine thread per model.
//! - [`pool`], [`proving`]: the bounded, low-priority prover pool and the proof backend;
//!   [`cpus`]: the prover's cores apart from the serving threads'.
//! - [`server`]: the gRPC service; [`config`], [`keys`]: operations.
//! - [`chain`]: registration on chain and settling proof obligations with attestations.
//! - [`loadgen`]: the load generator behind `pol-worker loadgen`.

/// The `pol.worker.v1` API, shared with pold's probes through `pol-worker-api`.
pub use pol_worker_api as proto;
pub mod batcher;
pub mod chain;
pub mod config;
pub mod cpus;
pub mod engine;
pub mod keys;
pub mod limiter;
pub mod loadgen;
pub mod payments;
pub mod pool;
pub mod proving;
pub mod receipt;
pub mod records;
#[cfg(feature = "torch")]
pub mod runtime;
pub mod server;
