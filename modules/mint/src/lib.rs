//! `mint`: new tokens every block, at an inflation rate that moves toward a bonded-ratio
//! goal, with the Cosmos SDK's `x/mint` rules and `cosmos.mint.v1beta1` types unchanged
//! (state, `Query`, genesis JSON), so wallets and explorers read it as any Cosmos chain's.
//!
//! `minter` holds the parameters, the minter and the SDK's formulas on [`Dec`]; `view`
//! reads and writes them; `begin_block` mints into the fee collector (what distribution
//! pays validators and delegators from); `genesis`, `query` and `module` register it.
//!
//! [`Dec`]: pol_component::Dec

pub mod begin_block;
pub mod genesis;
pub mod minter;
pub mod module;
pub mod query;
pub mod state_key;
pub mod update_params;
pub mod view;

pub use genesis::GenesisState;
pub use minter::{Minter, Params};
pub use module::MintModule;
pub use view::{MintRead, MintWrite};

/// The module's name: state-key prefix, `app_state` key.
pub const MODULE: &str = "mint";
