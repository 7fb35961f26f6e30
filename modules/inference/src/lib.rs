//! `inference` (`pol.inference.v1`): the market's registry and its correctness check.
//!
//! * architectures (a layer shape and the Groth16 verifying key of its circuit; the key's
//!   hash is the id) and models (an architecture plus a Poseidon commitment to private
//!   weights, which never touch the chain);
//! * providers: endpoint, models served, SLA, price, the ed25519 key their worker signs
//!   receipts with, and a bond held by the module;
//! * receipts: a requester settles a worker receipt on chain (paying the model's and the
//!   provider's price); at the end of the block a draw seeded by the block hash samples some
//!   of them into **proof obligations** with a deadline;
//! * attestations: a Groth16 proof that the committed model maps the receipt's input to its
//!   output discharges the obligation and releases the provider's escrowed price; a missed
//!   deadline burns part of the bond and is recorded as a correctness fault.
//!
//! Laid out like `staking`: `state_key`, `view` (typed reads/writes keeping indexes in
//! step), `msg` (handlers), `verify` (proof checking: batch per block in FinalizeBlock,
//! cached in CheckTx), `end_block` (sampling, deadlines, bond returns), `genesis`, `query`.
//! `receipt` is the receipt format the worker signs.

pub mod end_block;
pub mod endpoint;
pub mod error;
pub mod genesis;
pub mod invariants;
pub mod module;
pub mod msg;
pub mod next_sla;
pub mod params;
pub mod penalties;
pub mod query;
pub mod receipt;
pub mod setup;
pub mod state_key;
pub mod verify;
pub mod view;

/// Generated protobuf types and gRPC service stubs of `pol.inference.v1`.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pol.inference.v1.rs"));
}

/// Encoded `FileDescriptorSet` of `pol.inference.v1` (with the Cosmos files it imports),
/// for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pol_inference_descriptor.bin"));

/// The module's typed events (`events.proto`), emitted with their legacy twins.
pub(crate) static EVENTS: pol_component::event::TypedEvents =
    pol_component::event::TypedEvents::new(FILE_DESCRIPTOR_SET);

/// Fully qualified name of the query service.
pub const QUERY_SERVICE: &str = "pol.inference.v1.Query";

pub use end_block::end_block;
pub use genesis::GenesisState;
pub use msg::{probe_submitter, record_probe_receipt};
pub use next_sla::apply_next_slas;
pub use params::Params;
pub use penalties::{jail, raise_min_bond, required_bond, slash_bond, SlashResult};
pub use query::InferenceQuery;
pub use verify::{ProofVerifier, VerifyingKeys};
pub use view::{InferenceRead, InferenceWrite};

use pol_component::Address;

/// Module account holding provider bonds.
pub const BOND_POOL: &str = "inference_bonds";
/// Module account holding providers' prices for sampled receipts until they settle.
pub const ESCROW_POOL: &str = "inference_escrow";

pub fn bond_pool() -> Address {
    Address::module(BOND_POOL)
}
pub fn escrow_pool() -> Address {
    Address::module(ESCROW_POOL)
}

/// Type URLs of the messages, the router's keys.
pub const MSG_REGISTER_ARCHITECTURE_TYPE_URL: &str = "/pol.inference.v1.MsgRegisterArchitecture";
pub const MSG_REGISTER_MODEL_TYPE_URL: &str = "/pol.inference.v1.MsgRegisterModel";
pub const MSG_REGISTER_PROVIDER_TYPE_URL: &str = "/pol.inference.v1.MsgRegisterProvider";
pub const MSG_UPDATE_PROVIDER_TYPE_URL: &str = "/pol.inference.v1.MsgUpdateProvider";
pub const MSG_DEREGISTER_PROVIDER_TYPE_URL: &str = "/pol.inference.v1.MsgDeregisterProvider";
pub const MSG_SUBMIT_RECEIPT_TYPE_URL: &str = "/pol.inference.v1.MsgSubmitReceipt";
pub const MSG_SUBMIT_ATTESTATION_TYPE_URL: &str = "/pol.inference.v1.MsgSubmitAttestation";
pub const MSG_ATTEST_SETUP_TYPE_URL: &str = "/pol.inference.v1.MsgAttestSetup";

pub use module::InferenceModule;

#[cfg(test)]
mod tests;
pub mod update_params;

/// The module's name: its state-key prefix and `app_state` key.
pub const MODULE: &str = "inference";
