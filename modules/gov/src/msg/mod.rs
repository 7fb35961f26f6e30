//! Gov's messages: `cosmos.gov.v1` submit, deposit, vote, weighted vote, cancel, update
//! params and exec-legacy-content, and the legacy `cosmos.gov.v1beta1` submit, deposit,
//! vote and weighted vote, which run the same code. Each `execute_*` runs on the tx's
//! overlay, so a refusal writes nothing.

pub mod cancel;
pub mod deposit;
pub mod params;
pub mod submit;
pub mod vote;

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_component::{Address, TxError};
use pol_store::StateRead;

use crate::error;
use crate::GovRead;

/// The proposal `id`, or UNKNOWN_PROPOSAL.
pub(crate) fn proposal_of<S: StateRead + ?Sized>(
    state: &S,
    id: u64,
) -> Result<pb::Proposal, TxError> {
    state
        .proposal(id)?
        .ok_or_else(|| error::UNKNOWN_PROPOSAL(format!("proposal {id} does not exist")))
}

pub fn submit_signer(m: &pb::MsgSubmitProposal) -> Result<Address, TxError> {
    Address::parse(&m.proposer)
}
pub fn deposit_signer(m: &pb::MsgDeposit) -> Result<Address, TxError> {
    Address::parse(&m.depositor)
}
pub fn vote_signer(m: &pb::MsgVote) -> Result<Address, TxError> {
    Address::parse(&m.voter)
}
pub fn vote_weighted_signer(m: &pb::MsgVoteWeighted) -> Result<Address, TxError> {
    Address::parse(&m.voter)
}
pub fn cancel_signer(m: &pb::MsgCancelProposal) -> Result<Address, TxError> {
    Address::parse(&m.proposer)
}
