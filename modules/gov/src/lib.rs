//! `gov`: proposals that carry messages, funded by deposits and decided by a vote of the
//! bonded stake, with the Cosmos SDK's `x/gov` rules and `cosmos.gov.v1` types unchanged
//! (and the legacy `cosmos.gov.v1beta1` messages and queries the SDK still serves, which
//! cosmjs's gov extension uses).
//!
//! * **Submit.** A proposal lists messages whose only signer is the gov module account
//!   (every module's `MsgUpdateParams`, a community-pool spend, …), with an initial
//!   deposit of at least `min_initial_deposit_ratio × min_deposit`.
//! * **Deposit period.** Anyone tops the deposit up; once it reaches `min_deposit` the
//!   voting period starts. A proposal still short at `max_deposit_period` is dropped and
//!   its deposits are refunded (or burned, `burn_proposal_deposit_prevote`).
//! * **Voting period.** Any account votes (weighted votes too); power is bonded stake.
//!   Delegators inherit their validator's vote unless they vote themselves.
//! * **Tally** at the end of the voting period: quorum of the bonded stake, veto share and
//!   threshold of the non-abstaining power. A passed proposal's messages run in order on
//!   an overlay; if one fails, none of their writes stay and the proposal is FAILED.
//!   Deposits are refunded, or burned on a veto or missed quorum when the params say so.
//!
//! `params`, `view` and `state_key` hold the records, `msg` the messages, `tally` the vote
//! count, `end_block` the two queues, `legacy` the v1beta1 forms, and `genesis`, `query`,
//! `error` and `module` the rest.

pub mod end_block;
pub mod error;
pub mod genesis;
pub mod legacy;
pub mod module;
pub mod msg;
pub mod params;
pub mod proposal;
pub mod query;
pub mod state_key;
pub mod tally;
pub mod view;

#[cfg(test)]
mod tests;

pub use genesis::GenesisState;
pub use module::GovModule;
pub use params::Params;
pub use pol_component::authority::{gov_authority, GOV_MODULE as MODULE};
pub use view::{GovRead, GovWrite};

/// The gov module account: holds every deposit, and is the authority proposals act as.
pub fn module_account() -> pol_component::Address {
    gov_authority()
}
