//! pol genesis: the `app_state` inside CometBFT's genesis.json, its validation, and the
//! edits `pold genesis …` makes to the file.

pub mod app_state;
pub mod file;

pub use app_state::{default_app_state, validate, AppState, ChainStart};
pub use file::{GenesisError, GenesisFile};

/// Staking and fee denomination.
pub const DENOM: &str = "upol";
/// Chain id of a local network when none is given.
pub const DEFAULT_CHAIN_ID: &str = "pol-local-1";
