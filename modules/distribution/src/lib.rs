//! `distribution`: every block's fees and newly minted tokens go to the validators that
//! were in the previous block's commit, in proportion to their CometBFT power (which
//! carries the Proof-of-Latency weight, so measuring well pays), less a community tax;
//! each validator's commission is set aside and the rest reaches its delegators through
//! the SDK's lazy F1 scheme. `cosmos.distribution.v1beta1` messages, queries and genesis,
//! unchanged.
//!
//! `view` holds the records, `f1` the period and reward arithmetic and staking's hooks,
//! `allocate` the begin-block payout, `msg` the four messages, `genesis`, `query`,
//! `invariants` and `module` the rest.

pub mod allocate;
pub mod f1;
pub mod genesis;
pub mod invariants;
pub mod module;
pub mod msg;
pub mod query;
pub mod state_key;
pub mod view;

pub mod community_pool_spend;
#[cfg(test)]
mod tests;
pub mod update_params;

pub use f1::DistributionHooks;
pub use genesis::GenesisState;
pub use module::DistributionModule;
pub use view::{DistributionRead, DistributionWrite, Params};

/// The module's name: state-key prefix, `app_state` key, module account.
pub const MODULE: &str = "distribution";

/// The account holding every reward not yet paid out and the community pool.
pub fn module_account() -> pol_component::Address {
    pol_component::Address::module(MODULE)
}
