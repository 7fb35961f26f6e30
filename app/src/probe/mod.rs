//! Proof-of-Latency, step 1: this validator probes every active provider's `Infer` endpoint
//! through the public worker API, with requests that look like any requester's (a random
//! model the provider serves, a perturbed sample of real inputs, a random nonce; nothing
//! marks a probe). It keeps, per provider, a bounded window of round-trip times, failures and timeouts, and the
//! verified receipts, which ExtendVote reads through [`crate::app::ProbeSource`].
//!
//! - [`book`]: the windows and the receipt queue (in memory; the consensus path reads it).
//! - [`task`]: the probing itself, off consensus, on a tokio runtime of its own
//!   ([`runtime`]), so query load on the node cannot slow the measurement.
//! - [`targets`]: who to probe (the committed chain state, or a fixed list).
//! - answers and receipts are checked against what was asked with [`pol_client::answer`].
//! - [`corpus`]: what probes send (per-model samples of real inputs, perturbed).
//! - [`pay`]: what probes pay (payment channels from the prober account, like traffic).
//!
//! Metrics: `pol_probe_latency_seconds{provider}` (histogram of successful round trips),
//! `pol_probe_failures_total{provider,reason}`, `pol_probe_window_{samples,failures}` and
//! `pol_probe_window_{p50,p99,max}_seconds{provider}` (as reported), `pol_probe_providers`.

pub mod book;
pub mod corpus;
pub mod pay;
pub mod runtime;
pub mod targets;
pub mod task;

pub use book::{BookConfig, Outcome, ProbeBook};
pub use corpus::Corpus;
pub use pay::{ChannelPayer, ChannelPlan, NoPayment, ProbePay, ProbePayer};
/// Answers are checked as any requester's client checks them.
pub use pol_client::answer::{check_answer, AnswerError as ProbeFailure, Expected};
pub use runtime::ProbeRuntime;
pub use targets::{ChainTargets, ProbeModel, StaticTargets, Target, TargetSource};
pub use task::{spawn, ProbeTiming};
