//! `staking` (`pol.staking.v1`): validators, delegations, unbonding, validator-set updates,
//! and slashing/jailing for other modules to call.
//!
//! Laid out like `bank`: `state_key` (where things live), `view` (typed reads and writes
//! through any state handle, keeping the indexes in step), `msg` (the four messages),
//! `end_block` (maturing unbondings and the CometBFT validator-set diff), `slashing` (the
//! narrow trait other modules use), `genesis` (validate/init/export and gentx entries),
//! `query` (the gRPC `Query` service, also served on ABCI query paths), and beside them the
//! Cosmos wire types wallets and explorers use unchanged: `cosmos_query`
//! (`cosmos.staking.v1beta1.Query` over the same state) and `cosmos_msg` (the SDK's
//! `MsgCreateValidator` and `MsgEditValidator`; its `MsgDelegate` and `MsgUndelegate` are
//! handled in `module`).
//!
//! Accounting: every validator's tokens sit in the `bonded_pool` module account whatever the
//! validator's status; every unbonding entry's tokens sit in `not_bonded_pool`. Delegators
//! own shares of a validator's tokens, so a slash is one write to the validator (see
//! [`math`] for the rounding rules, which always favour the chain).

pub mod cosmos_msg;
pub mod cosmos_query;
pub mod end_block;
pub mod genesis;
pub mod hooks;
pub mod invariants;
pub mod math;
pub mod module;
pub mod msg;
pub mod params;
pub mod query;
pub mod slashing;
pub mod state_key;
pub mod types;
pub mod view;

/// Generated protobuf types and gRPC service stubs of `pol.staking.v1`.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pol.staking.v1.rs"));
}

/// Encoded `FileDescriptorSet` of `pol.staking.v1` (with the Cosmos `Coin` and pagination
/// files it imports from the shared `proto/` root), for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pol_staking_descriptor.bin"));

/// Fully qualified name of the query service.
pub const QUERY_SERVICE: &str = "pol.staking.v1.Query";

pub use cosmos_query::{CosmosStakingQuery, COSMOS_QUERY_SERVICE};
pub use end_block::end_block;
pub use genesis::{GenesisPolWeight, GenesisState, GenesisValidator};
pub use hooks::{NoHooks, StakingHookList, StakingHooks};
pub use params::Params;
pub use query::StakingQuery;
pub use slashing::{SlashOutcome, Slashing, ValidatorRef};
pub use types::{BondStatus, Delegation, SlashDestination, UnbondingEntry, Validator};
pub use view::{StakingRead, StakingWrite};

use pol_component::Address;

/// Module account holding every validator's tokens.
pub const BONDED_POOL: &str = "bonded_pool";
/// Module account holding every unbonding entry's tokens.
pub const NOT_BONDED_POOL: &str = "not_bonded_pool";
/// Module account that receives slashed tokens when `slash_destination` is community pool.
pub const COMMUNITY_POOL: &str = "community_pool";

pub fn bonded_pool() -> Address {
    Address::module(BONDED_POOL)
}
pub fn not_bonded_pool() -> Address {
    Address::module(NOT_BONDED_POOL)
}
pub fn community_pool() -> Address {
    Address::module(COMMUNITY_POOL)
}

/// Tokens per unit of CometBFT voting power (the Cosmos SDK's `DefaultPowerReduction`).
pub const POWER_REDUCTION: u128 = 1_000_000;

/// Bech32 prefix of validator operator addresses.
pub const VALOPER_PREFIX: &str = "polvaloper";
/// Bech32 prefix of consensus addresses.
pub const VALCONS_PREFIX: &str = "polvalcons";

/// Type URLs of the messages, the router's keys.
pub const MSG_CREATE_VALIDATOR_TYPE_URL: &str = "/pol.staking.v1.MsgCreateValidator";
pub const MSG_DELEGATE_TYPE_URL: &str = "/pol.staking.v1.MsgDelegate";
pub const MSG_UNDELEGATE_TYPE_URL: &str = "/pol.staking.v1.MsgUndelegate";

pub use module::StakingModule;

#[cfg(test)]
mod tests;
pub mod update_params;

/// The module's name: its state-key prefix and `app_state` key.
pub const MODULE: &str = "staking";
