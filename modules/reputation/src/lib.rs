//! `reputation` (`pol.reputation.v1`): how much the chain trusts each provider's latency and
//! each validator's measurements, as integer fixed-point moving averages in parts per
//! million, and the Proof-of-Latency weight that turns a validator's measurer reputation
//! into voting power.
//!
//! * **Providers.** `sla`'s epoch judge calls [`record_provider_scores`] with one score per
//!   judged provider (10⁶ when the SLA was met, lower the further it missed, 0 at the
//!   maximum slash); the reputation moves toward it ([`move_toward`]) and a bounded history
//!   (`history_len` epochs) is kept. `sla` depends on this crate; the app calls only `sla`
//!   for providers.
//! * **Measurers.** The app calls [`record_measurers`] at each epoch end with the epoch's
//!   per-validator report and outlier counts from `latency`: the score is
//!   `10⁶ · (reports − outliers) / reports`; a bonded validator that sent no report while
//!   others did moves toward `no_report_score_ppm`; when nobody reported, nobody moves.
//! * **PoL weight.** At the same call every staking validator's weight is set to
//!   `max(min_weight_ppm, measurer reputation)` through `pol_staking`'s
//!   `set_pol_weight`; staking's end-block turns it into CometBFT power.
//!
//! Laid out like `inference`: `state_key`, `params`, `view`, `epoch` (the updates),
//! `genesis`, `query`.

pub mod epoch;
pub mod genesis;
pub mod module;
pub mod params;
pub mod query;
pub mod state_key;
pub mod view;

/// Generated protobuf types and gRPC service stubs of `pol.reputation.v1`.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pol.reputation.v1.rs"));
}

/// Encoded `FileDescriptorSet` of `pol.reputation.v1` (with the Cosmos files it imports),
/// for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pol_reputation_descriptor.bin"));

/// The module's typed events (`events.proto`), emitted with their legacy twins.
pub static EVENTS: pol_component::event::TypedEvents =
    pol_component::event::TypedEvents::new(FILE_DESCRIPTOR_SET);

/// Fully qualified name of the query service.
pub const QUERY_SERVICE: &str = "pol.reputation.v1.Query";

/// Parts per million in one whole.
pub const PPM: u32 = 1_000_000;

pub use epoch::{
    measurer_score, move_toward, record_measurers, record_provider_scores, MeasurerEpoch,
    MeasurerObservation, ProviderScore,
};
pub use genesis::GenesisState;
pub use params::Params;
pub use query::ReputationQuery;
pub use view::{ReputationRead, ReputationWrite};

pub use module::ReputationModule;

#[cfg(test)]
mod tests;
pub mod update_params;

/// The module's name: its state-key prefix and `app_state` key.
pub const MODULE: &str = "reputation";
