//! A proposal's life outside its messages: deposits (held by the gov module account), the
//! start of voting, and the deposits' refund or burn when it ends.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_bank::BankWrite;
use pol_component::coins::{coins_to_string, Coin};
use pol_component::time::{rfc3339, timestamp_from_proto, timestamp_to_proto};
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;

pub use pb::ProposalStatus;

use crate::params::{amount_of, Params};
use crate::{module_account, GovRead, GovWrite};

pub fn status(p: &pb::Proposal) -> ProposalStatus {
    ProposalStatus::try_from(p.status).unwrap_or(ProposalStatus::Unspecified)
}

/// A proposal time as block-time nanoseconds (0 when unset).
pub fn time(t: &Option<tendermint_proto::google::protobuf::Timestamp>) -> i128 {
    timestamp_from_proto(t.as_ref())
}

pub fn timestamp(nanos: i128) -> Option<tendermint_proto::google::protobuf::Timestamp> {
    Some(timestamp_to_proto(nanos))
}

/// `a + b`, sorted by denom, checked.
pub fn add_coins(a: &[Coin], b: &[Coin]) -> Result<Vec<Coin>, TxError> {
    let mut out: Vec<Coin> = a.to_vec();
    for c in b {
        match out.iter_mut().find(|o| o.denom == c.denom) {
            Some(o) => {
                o.amount = o.amount.checked_add(c.amount).ok_or_else(|| {
                    TxError::INVALID_COINS(format!("deposit overflow of {}", c.denom))
                })?
            }
            None => out.push(c.clone()),
        }
    }
    out.sort();
    out.retain(|c| c.amount > 0);
    Ok(out)
}

/// `coins` covers `min` in every denomination of `min`.
pub fn covers(coins: &[Coin], min: &[Coin]) -> bool {
    min.iter().all(|m| amount_of(coins, &m.denom) >= m.amount)
}

fn parse_stored_coins(
    coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
) -> Result<Vec<Coin>, TxError> {
    coins.iter().map(Coin::from_proto).collect()
}

pub fn total_deposit(p: &pb::Proposal) -> Result<Vec<Coin>, TxError> {
    parse_stored_coins(&p.total_deposit)
}

/// Only the denominations the minimum names count (the SDK's "invalid deposit denom").
pub fn check_denoms(params: &Params, expedited: bool, amount: &[Coin]) -> Result<(), TxError> {
    let allowed = params.min_deposit_for(expedited);
    if let Some(bad) = amount
        .iter()
        .find(|c| !allowed.iter().any(|m| m.denom == c.denom))
    {
        return Err(crate::error::INVALID_DEPOSIT_DENOM(format!(
            "deposited {bad}, but gov accepts only {}",
            allowed
                .iter()
                .map(|c| c.denom.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// Move `amount` from `depositor` into the gov account and record it; start the voting
/// period once the total reaches the proposal kind's minimum. Returns the events and
/// whether voting started. The caller stores `proposal` afterwards.
pub fn add_deposit<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    params: &Params,
    proposal: &mut pb::Proposal,
    depositor: &Address,
    amount: &[Coin],
) -> Result<(Vec<Event>, bool), TxError> {
    check_denoms(params, proposal.expedited, amount)?;
    let mut events = state.send_coins(depositor, &module_account(), amount)?;
    let id = proposal.id;
    let previous = match state.deposit(id, depositor.as_bytes())? {
        Some(d) => parse_stored_coins(&d.amount)?,
        None => Vec::new(),
    };
    let mine = add_coins(&previous, amount)?;
    state.put_deposit(
        depositor.as_bytes(),
        &pb::Deposit {
            proposal_id: id,
            depositor: depositor.to_string(),
            amount: mine.iter().map(Coin::to_proto).collect(),
        },
    );
    let total = add_coins(&total_deposit(proposal)?, amount)?;
    proposal.total_deposit = total.iter().map(Coin::to_proto).collect();
    events.push(
        Event::new("proposal_deposit")
            .attr("amount", coins_to_string(amount))
            .attr("proposal_id", id.to_string())
            .attr("depositor", depositor.to_string()),
    );
    let starts = status(proposal) == ProposalStatus::DepositPeriod
        && covers(&total, params.min_deposit_for(proposal.expedited));
    if starts {
        start_voting(state, ctx, params, proposal);
        events.push(
            Event::new("proposal_deposit")
                .attr("voting_period_start", id.to_string())
                .attr("voting_end_time", rfc3339(time(&proposal.voting_end_time))),
        );
    }
    Ok((events, starts))
}

/// Deposit period → voting period, from this block's time.
pub fn start_voting<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    params: &Params,
    proposal: &mut pb::Proposal,
) {
    state.dequeue_deposit_end(time(&proposal.deposit_end_time), proposal.id);
    let start = ctx.time_unix_nanos;
    let end = start.saturating_add(i128::from(params.voting_period_for(proposal.expedited)));
    proposal.status = ProposalStatus::VotingPeriod as i32;
    proposal.voting_start_time = timestamp(start);
    proposal.voting_end_time = timestamp(end);
    state.enqueue_voting_end(end, proposal.id);
}

/// What happens to a proposal's deposits when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositFate {
    Refund,
    Burn,
}

/// Refund or burn every deposit of proposal `id` and delete the records. Burning takes
/// the coins out of the supply.
pub fn settle_deposits<S: StateWrite + ?Sized>(
    state: &mut S,
    id: u64,
    fate: DepositFate,
) -> Result<Vec<Event>, TxError> {
    let mut events = Vec::new();
    let mut burned: Vec<Coin> = Vec::new();
    for d in state.deposits(id)? {
        let depositor = Address::parse(&d.depositor)
            .map_err(|e| TxError::INTERNAL(format!("stored deposit: {}", e.log)))?;
        let amount = parse_stored_coins(&d.amount)?;
        match fate {
            DepositFate::Refund => {
                events.extend(state.send_coins(&module_account(), &depositor, &amount)?)
            }
            DepositFate::Burn => burned = add_coins(&burned, &amount)?,
        }
        state.delete_deposit(id, depositor.as_bytes());
    }
    if !burned.is_empty() {
        state.burn(&module_account(), &burned)?;
        events.push(
            Event::new("burn")
                .attr("burner", module_account().to_string())
                .attr("amount", coins_to_string(&burned)),
        );
    }
    Ok(events)
}
