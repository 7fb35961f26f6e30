//! `payments` (`pol.payments.v1`): requesters pay before they are served.
//!
//! A requester opens a **channel** to one provider for one model, escrowing a deposit in
//! the module account until an expiry height. For each inference it signs, with the
//! channel's ed25519 key, a **payment**: a cumulative amount (and the model owner's share
//! of it) larger than the last by the price. The worker checks the payment before it runs
//! the model (against the deposit it has seen on chain) and keeps the largest; the provider
//! **claims** it whenever it likes, so one transaction settles every inference since the
//! last claim. Nobody's money can be stuck:
//!
//! * the provider can take only what the requester signed, never more than the deposit;
//! * the requester gets the unclaimed rest back at the end of the expiry height, by itself
//!   (end block), or earlier if the provider closes cooperatively; asking to close brings
//!   the expiry forward to a grace period in which the provider still claims;
//! * the expiry is at most `max_duration_blocks` away, so no deposit waits longer.
//!
//! Laid out like the other modules: `state_key`, `view`, `msg` (handlers), `end_block`
//! (expiries), `query`, `genesis`, `module`; `payment` is the signed payment format the
//! requester client, the worker and the chain share.

pub mod end_block;
pub mod error;
pub mod genesis;
pub mod journal;
pub mod module;
pub mod msg;
pub mod params;
pub mod payment;
pub mod query;
pub mod state_key;
pub mod view;

/// Generated protobuf types and gRPC service stubs of `pol.payments.v1`.
#[allow(clippy::all, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pol.payments.v1.rs"));
}

/// Encoded `FileDescriptorSet` of `pol.payments.v1` (with the Cosmos files it imports), for
/// gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pol_payments_descriptor.bin"));

/// The module's typed events (`events.proto`), emitted with their legacy twins.
pub(crate) static EVENTS: pol_component::event::TypedEvents =
    pol_component::event::TypedEvents::new(FILE_DESCRIPTOR_SET);

/// The module's name: state-key prefix, `app_state` key, codespace.
pub const MODULE: &str = "payments";
/// Fully qualified name of the query service.
pub const QUERY_SERVICE: &str = "pol.payments.v1.Query";

/// Type URLs of the messages.
pub const MSG_OPEN_CHANNEL_TYPE_URL: &str = "/pol.payments.v1.MsgOpenChannel";
pub const MSG_FUND_CHANNEL_TYPE_URL: &str = "/pol.payments.v1.MsgFundChannel";
pub const MSG_CLAIM_PAYMENT_TYPE_URL: &str = "/pol.payments.v1.MsgClaimPayment";
pub const MSG_CLOSE_CHANNEL_TYPE_URL: &str = "/pol.payments.v1.MsgCloseChannel";

use pol_component::Address;

/// The module account holding every channel's unclaimed deposit.
pub fn escrow_account() -> Address {
    Address::module(MODULE)
}

pub use genesis::GenesisState;
pub use module::PaymentsModule;
pub use params::Params;
pub use payment::{PaymentError, SignedPayment};
pub use view::{PaymentsRead, PaymentsWrite};

#[cfg(test)]
mod tests;
pub mod update_params;
