//! The shape every pol module shares.
//!
//! A module owns its state keys, messages, queries and genesis; the app drives it through
//! plain functions that take a [`BlockContext`] and a state handle. This crate holds the
//! pieces those functions have in common so that modules don't depend on the app or on
//! each other's internals.

pub mod address;
pub mod authority;
pub mod coins;
pub mod context;
pub mod dec;
pub mod dec_coins;
pub mod error;
pub mod event;
pub mod gas;
pub mod gas_price;
pub mod genesis;
pub mod json;
pub mod module;
pub mod query;
pub mod state;
pub mod time;

pub use address::{Address, ADDRESS_PREFIX};
pub use context::{BlockContext, BlockInfo, CommitVote};
pub use dec::Dec;
pub use dec_coins::DecCoins;
pub use error::TxError;
pub use event::Event;
pub use gas::{GasMeter, Metered};
pub use gas_price::GasPrice;
pub use genesis::{AppState, GenesisOf, ModuleGenesis};
pub use module::{EndBlockOutcome, ExecEnv, Module, ModuleMsg};
