//! `auth`: accounts, their numbers and sequences, and the public key that signs for them.
//!
//! Laid out like the other modules: `state_key` (where things live), `view` (reading and
//! writing accounts through any state handle), `genesis`, and `query` (the unchanged
//! `cosmos.auth.v1beta1.Query` service).

pub mod genesis;
pub mod module;
pub mod params;
pub mod query;
pub mod secp256k1;
pub mod state_key;
pub mod update_params;
pub mod view;

pub use genesis::GenesisState;
pub use params::Params;
pub use secp256k1::{address_of_pubkey, verify_secp256k1};
pub use view::{AuthRead, AuthWrite};

/// Module account that collects fees (the ante handler pays every fee to it).
pub const FEE_COLLECTOR: &str = "fee_collector";

/// Type URL of accounts as clients expect them inside `Any`.
pub const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";
/// Type URL of secp256k1 public keys inside `Any`.
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

pub use module::AuthModule;

/// The module's name: its state-key prefix and `app_state` key.
pub const MODULE: &str = "auth";
