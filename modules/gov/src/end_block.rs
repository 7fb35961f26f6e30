//! End block: proposals whose deposit period ended short of the minimum are dropped;
//! proposals whose voting period ended are tallied, and a passed one's messages run.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_bank::BankRead;
use pol_component::module::MsgRouter;
use pol_component::{BlockContext, Event, ExecEnv, TxError};
use pol_store::{StateDelta, StateWrite};

use crate::proposal::{self, settle_deposits, time, DepositFate, ProposalStatus};
use crate::tally::tally;
use crate::{module_account, GovRead, GovWrite};

pub fn end_block<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    env: &ExecEnv,
) -> Result<Vec<Event>, TxError> {
    let mut events = Vec::new();
    let params = state.gov_params()?;
    let now = ctx.time_unix_nanos;

    for id in state.due_deposit_ends(now)? {
        let prop = crate::msg::proposal_of(state, id)?;
        state.dequeue_deposit_end(time(&prop.deposit_end_time), id);
        state.delete_proposal(id);
        let fate = if params.burn_proposal_deposit_prevote {
            DepositFate::Burn
        } else {
            DepositFate::Refund
        };
        events.extend(settle_deposits(state, id, fate)?);
        events.push(
            Event::new("inactive_proposal")
                .attr("proposal_id", id.to_string())
                .attr("proposal_result", "proposal_dropped"),
        );
    }

    for id in state.due_voting_ends(now)? {
        let mut prop = crate::msg::proposal_of(state, id)?;
        state.dequeue_voting_end(time(&prop.voting_end_time), id);
        let outcome = tally(state, &prop, &params)?;
        // A failed expedited proposal becomes a regular one and keeps its deposits.
        let converts = prop.expedited && !outcome.passes;
        if !converts {
            let fate = if outcome.burn_deposits {
                DepositFate::Burn
            } else {
                DepositFate::Refund
            };
            events.extend(settle_deposits(state, id, fate)?);
        }
        let (result, log) = if outcome.passes {
            match run_messages(state, ctx, env, &prop) {
                Ok(more) => {
                    events.extend(more);
                    prop.status = ProposalStatus::Passed as i32;
                    ("proposal_passed", String::new())
                }
                Err(e) => {
                    prop.status = ProposalStatus::Failed as i32;
                    prop.failed_reason = e.log.clone();
                    (
                        "proposal_failed",
                        format!("passed, but its messages failed: {}", e.log),
                    )
                }
            }
        } else if converts {
            let end =
                time(&prop.voting_start_time).saturating_add(i128::from(params.voting_period));
            prop.expedited = false;
            prop.voting_end_time = proposal::timestamp(end);
            state.enqueue_voting_end(end, id);
            ("expedited_proposal_rejected", outcome.reason.to_string())
        } else {
            prop.status = ProposalStatus::Rejected as i32;
            ("proposal_rejected", outcome.reason.to_string())
        };
        prop.final_tally_result = Some(outcome.tally);
        state.put_proposal(&prop);
        events.push(
            Event::new("active_proposal")
                .attr("proposal_id", id.to_string())
                .attr("proposal_result", result)
                .attr("proposal_log", log),
        );
    }
    Ok(events)
}

/// Run a passed proposal's messages, in order, as the gov account, on an overlay: all of
/// their writes stay, or none. They may not spend the deposits the gov account holds for
/// other proposals.
fn run_messages<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    env: &ExecEnv,
    prop: &pb::Proposal,
) -> Result<Vec<Event>, TxError> {
    let router = env
        .get::<MsgRouter>()
        .ok_or_else(|| TxError::INTERNAL("gov: no message router lent"))?;
    let gov = module_account();
    let held_before = state.all_balances(&gov)?;
    let mut overlay = StateDelta::new(&*state);
    let mut events = Vec::new();
    for (i, any) in prop.messages.iter().enumerate() {
        let fail = |e: TxError| TxError {
            log: format!("message {i} ({}): {}", any.type_url, e.log),
            ..e
        };
        let msg = router.decode(any).map_err(fail)?;
        if msg.signer().map_err(fail)? != gov {
            return Err(fail(crate::error::INVALID_SIGNER(
                "not signed by the gov account",
            )));
        }
        let (_, more) = msg.execute(&mut overlay, ctx, env).map_err(fail)?;
        events.extend(more);
    }
    for before in &held_before {
        let after = overlay.balance(&gov, &before.denom)?;
        if after < before.amount {
            return Err(TxError::INVALID_REQUEST(format!(
                "the proposal would spend {}{} of the deposits the gov account holds",
                before.amount - after,
                before.denom
            )));
        }
    }
    let writes = overlay.into_writes();
    for (key, value) in writes {
        match value {
            Some(v) => state.put_raw(key, v),
            None => state.delete(key),
        }
    }
    Ok(events)
}
