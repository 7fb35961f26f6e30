//! `slashing`: what a validator pays for not signing blocks and for signing two, with the
//! Cosmos SDK's `x/slashing` and `x/evidence` rules and `cosmos.slashing.v1beta1` types
//! unchanged (state, `MsgUnjail`, `Query`, genesis JSON).
//!
//! * **Downtime.** Every block, each validator in the previous block's commit fills one
//!   slot of its `signed_blocks_window`; one that missed more than the window allows
//!   (after a full window since it joined) loses `slash_fraction_downtime`, is jailed for
//!   `downtime_jail_duration` of block time, and starts a fresh window.
//! * **Double-signing.** Evidence CometBFT commits (duplicate votes, light-client attacks)
//!   slashes `slash_fraction_double_sign` of the stake behind the infraction (the
//!   validator's tokens and unbonding entries that began after it), jails the validator
//!   for good and tombstones it: `MsgUnjail` is refused for ever after.
//!
//! `params`, `signing_info` and `view` hold the records, `begin_block` the judgement,
//! `hooks` the record a validator gets when it enters the set, `msg` the unjail, and
//! `genesis`, `query`, `error` and `module` the rest. Penalties go through staking's
//! `Slashing` trait, so distribution's F1 accounting records them.

pub mod begin_block;
pub mod error;
pub mod genesis;
pub mod hooks;
pub mod module;
pub mod msg;
pub mod params;
pub mod query;
pub mod signing_info;
pub mod state_key;
pub mod view;

#[cfg(test)]
mod tests;
pub mod update_params;

pub use genesis::GenesisState;
pub use hooks::SlashingHooks;
pub use module::SlashingModule;
pub use params::Params;
pub use pol_component::time;
pub use signing_info::SigningInfo;
pub use view::{SlashingRead, SlashingWrite};

/// The module's name: state-key prefix, `app_state` key.
pub const MODULE: &str = "slashing";
