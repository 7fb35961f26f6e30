//! `MsgCancelProposal`: the proposer withdraws its proposal before voting ends. A share
//! (`proposal_cancel_ratio`) of every deposit is burned, or sent to
//! `proposal_cancel_dest`; the rest goes back to each depositor. Votes are deleted.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_bank::BankWrite;
use pol_component::coins::{coins_to_string, Coin};
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;

use super::proposal_of;
use super::submit::scaled;
use crate::proposal::{self, add_coins, time, timestamp, ProposalStatus};
use crate::{error, module_account, GovRead, GovWrite};

pub fn execute_cancel<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &pb::MsgCancelProposal,
) -> Result<(pb::MsgCancelProposalResponse, Vec<Event>), TxError> {
    let proposer = Address::parse(&m.proposer)?;
    let id = m.proposal_id;
    let prop = proposal_of(state, id)?;
    if Address::parse(&prop.proposer).ok() != Some(proposer) {
        return Err(error::INVALID_PROPOSER(format!(
            "{proposer} did not submit proposal {id}"
        )));
    }
    let status = proposal::status(&prop);
    if !matches!(
        status,
        ProposalStatus::DepositPeriod | ProposalStatus::VotingPeriod
    ) {
        return Err(error::INVALID_PROPOSAL(format!(
            "proposal {id} is {}; only proposals in their deposit or voting period can be cancelled",
            status.as_str_name()
        )));
    }
    let now = ctx.time_unix_nanos;
    let voting_end = time(&prop.voting_end_time);
    if status == ProposalStatus::VotingPeriod && now != 0 && voting_end <= now {
        return Err(error::VOTING_PERIOD_ENDED(format!(
            "proposal {id}'s voting period ended"
        )));
    }
    let params = state.gov_params()?;
    let mut events = Vec::new();
    let mut kept: Vec<Coin> = Vec::new();
    for d in state.deposits(id)? {
        let depositor = Address::parse(&d.depositor)
            .map_err(|e| TxError::INTERNAL(format!("stored deposit: {}", e.log)))?;
        let amount: Vec<Coin> = d
            .amount
            .iter()
            .map(Coin::from_proto)
            .collect::<Result<_, _>>()?;
        let cut = scaled(&amount, &params.proposal_cancel_ratio)?;
        let refund: Vec<Coin> = amount
            .iter()
            .zip(&cut)
            .map(|(a, c)| Coin::new(a.denom.clone(), a.amount - c.amount.min(a.amount)))
            .filter(|c| c.amount > 0)
            .collect();
        if !refund.is_empty() {
            events.extend(state.send_coins(&module_account(), &depositor, &refund)?);
        }
        kept = add_coins(&kept, &cut)?;
        state.delete_deposit(id, depositor.as_bytes());
    }
    if !kept.is_empty() {
        if params.proposal_cancel_dest.is_empty() {
            state.burn(&module_account(), &kept)?;
            events.push(
                Event::new("burn")
                    .attr("burner", module_account().to_string())
                    .attr("amount", coins_to_string(&kept)),
            );
        } else {
            let dest = Address::parse(&params.proposal_cancel_dest)?;
            events.extend(state.send_coins(&module_account(), &dest, &kept)?);
        }
    }
    for v in state.votes(id)? {
        let voter = Address::parse(&v.voter)
            .map_err(|e| TxError::INTERNAL(format!("stored vote: {}", e.log)))?;
        state.delete_vote(id, voter.as_bytes());
    }
    state.dequeue_deposit_end(time(&prop.deposit_end_time), id);
    if status == ProposalStatus::VotingPeriod {
        state.dequeue_voting_end(voting_end, id);
    }
    state.delete_proposal(id);
    events.push(
        Event::new("cancel_proposal")
            .attr("proposal_id", id.to_string())
            .attr("sender", proposer.to_string()),
    );
    Ok((
        pb::MsgCancelProposalResponse {
            proposal_id: id,
            canceled_time: timestamp(now),
            canceled_height: ctx.height,
        },
        events,
    ))
}
