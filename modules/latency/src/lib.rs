//! `latency` (`pol.latency.v1`): Proof-of-Latency measurements in consensus.
//!
//! Validators probe providers off consensus (pold's `probe` task) and summarize what they
//! saw into their vote extension at height H ([`extension`]). At H+1 the proposer injects
//! the extended commit info as the block's first transaction; every validator re-checks the
//! signatures against the validators that voted and recomputes the aggregate ([`commit`]).
//! [`aggregate`] takes per provider the stake-weighted median of p99 and failure rate and
//! flags reports far from it (measurer accountability); the epoch accumulators it keeps are
//! judged by `sla` and `reputation`.

/// Generated protobuf types and gRPC service stubs of `pol.latency.v1`.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pol.latency.v1.rs"));
}

/// Encoded `FileDescriptorSet` of `pol.latency.v1`, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pol_latency_descriptor.bin"));

/// The module's typed events (`events.proto`), emitted with their legacy twins.
pub static EVENTS: pol_component::event::TypedEvents =
    pol_component::event::TypedEvents::new(FILE_DESCRIPTOR_SET);

/// Fully qualified name of the query service.
pub const QUERY_SERVICE: &str = "pol.latency.v1.Query";

/// What a validator's probes saw of one provider over the probe window: the input of
/// ExtendVote, produced by pold's probe task.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderWindow {
    /// 20-byte account address of the provider.
    pub provider: [u8; 20],
    /// Probes finished inside the window (answered, failed or timed out).
    pub samples: u32,
    /// Of those, the ones that failed: an error, a timeout, a receipt that did not verify.
    pub failures: u32,
    /// Round-trip percentiles of the successful probes, microseconds (0 when none).
    pub p50_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
}

pub mod aggregate;
pub mod commit;
pub mod end_block;
pub mod evidence;
pub mod extension;
pub mod genesis;
pub mod module;
pub mod params;
pub mod probe_receipts;
pub mod query;
pub mod route;
pub mod served;
pub mod state_key;
pub mod view;

pub use aggregate::{apply, take_epoch, EpochSummary};
pub use commit::{is_injected, VerifiedCommit};
pub use genesis::GenesisState;
pub use query::LatencyQuery;
pub use view::{LatencyRead, LatencyWrite};

/// Records the consensus keys of validator updates sent to CometBFT, so the injected vote
/// extensions they sign can be checked later. Keys are kept after a validator leaves: its
/// last votes are still checked one height on.
pub fn record_consensus_keys<S: pol_store::StateWrite>(
    state: &mut S,
    updates: &[tendermint_proto::v0_38::abci::ValidatorUpdate],
) {
    use sha2::{Digest, Sha256};
    use tendermint_proto::crypto::public_key::Sum;
    for u in updates {
        let Some(Sum::Ed25519(key)) = u.pub_key.as_ref().and_then(|k| k.sum.as_ref()) else {
            continue;
        };
        let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else {
            continue;
        };
        let digest = Sha256::digest(key);
        let mut address = [0u8; 20];
        address.copy_from_slice(&digest[..20]);
        state.put_consensus_key(&address, &key);
    }
}

pub use module::LatencyModule;

#[cfg(test)]
mod tests;
pub mod update_params;

/// The module's name: its state-key prefix and `app_state` key.
pub const MODULE: &str = "latency";
