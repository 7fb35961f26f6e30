//! `bank`: balances, total supply and transfers, with the Cosmos SDK's `MsgSend` and
//! `cosmos.bank.v1beta1.Query` unchanged.
//!
//! `state_key` says where balances live, `view` reads and moves coins (every amount with
//! checked arithmetic), `msg` handles `MsgSend`, `genesis` loads and exports, `query`
//! serves the Cosmos queries.

pub mod genesis;
pub mod invariants;
pub mod module;
pub mod msg;
pub mod query;
pub mod state_key;
pub mod view;

pub use genesis::GenesisState;
pub use view::{BankRead, BankWrite};

/// Type URL of `MsgSend`, the router's key for it.
pub const MSG_SEND_TYPE_URL: &str = "/cosmos.bank.v1beta1.MsgSend";

pub use module::BankModule;
