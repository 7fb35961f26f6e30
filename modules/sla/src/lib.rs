//! `sla` (`pol.sla.v1`): at each epoch end, compare every provider's consensus latency with
//! the SLA it registered, and penalize misses.
//!
//! The app calls [`judge_epoch`] once per epoch with `latency`'s epoch observations; for
//! each provider with at least `min_blocks_per_epoch` aggregated blocks:
//!
//! * **judged figures**: the worse of the probes' (mean p99, failure rate) and, when paying
//!   requesters reported enough, theirs ([`EpochObservation::judged`]);
//! * **met** (p99 ≤ `max_p99_latency_us` and failure rate ≤ `max_failure_rate_ppm`):
//!   the run of consecutive misses resets;
//! * **missed**: part of the bond is burned, scaled by how far it missed (see
//!   [`judge::slash_ppm`]; only `base_slash_ppm` when requesters' reports alone show the
//!   miss, since those can be bought), a [`pb::SlaViolation`] is recorded, and `jail_after_misses`
//!   misses in a row jail the provider for `jail_blocks` and raise the bond it must keep
//!   by `min_bond_raise_ppm` (compounding), through `pol_inference::penalties`;
//! * either way the provider's reputation moves toward the epoch's score through
//!   `pol_reputation::record_provider_scores` (this crate depends on `reputation`; the app
//!   does not call reputation for providers itself).
//!
//! The epoch length is `latency`'s; this module only refuses an epoch at or before the last
//! one it judged.

pub mod genesis;
pub mod judge;
pub mod module;
pub mod params;
pub mod query;
pub mod state_key;
pub mod view;

/// Generated protobuf types and gRPC service stubs of `pol.sla.v1`.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pol.sla.v1.rs"));
}

/// Encoded `FileDescriptorSet` of `pol.sla.v1` (with the Cosmos files it imports), for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pol_sla_descriptor.bin"));

/// The module's typed events (`events.proto`), emitted with their legacy twins.
pub static EVENTS: pol_component::event::TypedEvents =
    pol_component::event::TypedEvents::new(FILE_DESCRIPTOR_SET);

/// Fully qualified name of the query service.
pub const QUERY_SERVICE: &str = "pol.sla.v1.Query";

/// Parts per million in one whole.
pub const PPM: u32 = 1_000_000;

pub use genesis::GenesisState;
pub use judge::{
    epoch_score, excess_ppm, judge_epoch, slash_ppm, EpochObservation, EpochObservations,
};
pub use params::Params;
pub use query::SlaQuery;
pub use view::{SlaRead, SlaWrite};

pub use module::SlaModule;

#[cfg(test)]
mod tests;
pub mod update_params;

/// The module's name: its state-key prefix and `app_state` key.
pub const MODULE: &str = "sla";
