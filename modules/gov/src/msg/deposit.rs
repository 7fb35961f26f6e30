//! `MsgDeposit`: add to a proposal's deposit, in its deposit or voting period.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_component::coins::{coins_to_string, parse_coins};
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;

use super::proposal_of;
use super::submit::scaled;
use crate::params::amount_of;
use crate::proposal::{self, ProposalStatus};
use crate::{error, GovRead, GovWrite};

pub fn deposit<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    id: u64,
    depositor: &str,
    amount: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
) -> Result<Vec<Event>, TxError> {
    let depositor = Address::parse(depositor)?;
    let amount = parse_coins(amount)?;
    if amount.is_empty() {
        return Err(TxError::INVALID_COINS("a deposit must not be empty"));
    }
    let mut prop = proposal_of(state, id)?;
    match proposal::status(&prop) {
        ProposalStatus::DepositPeriod | ProposalStatus::VotingPeriod => {}
        other => {
            return Err(error::INACTIVE_PROPOSAL(format!(
                "proposal {id} is {}; deposits are taken in its deposit and voting periods",
                other.as_str_name()
            )))
        }
    }
    let params = state.gov_params()?;
    proposal::check_denoms(&params, prop.expedited, &amount)?;
    // Anti-spam: some denomination of the deposit must reach min_deposit_ratio of the
    // minimum (the SDK's `validateMinDeposit`).
    if !params.min_deposit_ratio.is_zero() {
        let least = scaled(
            params.min_deposit_for(prop.expedited),
            &params.min_deposit_ratio,
        )?;
        if !least
            .iter()
            .any(|m| amount_of(&amount, &m.denom) >= m.amount)
        {
            return Err(error::MIN_DEPOSIT_TOO_SMALL(format!(
                "deposit {} is below the smallest deposit accepted, {}",
                coins_to_string(&amount),
                coins_to_string(&least)
            )));
        }
    }
    let (events, _) = proposal::add_deposit(state, ctx, &params, &mut prop, &depositor, &amount)?;
    state.put_proposal(&prop);
    Ok(events)
}

pub fn execute_deposit<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &pb::MsgDeposit,
) -> Result<(pb::MsgDepositResponse, Vec<Event>), TxError> {
    let events = deposit(state, ctx, m.proposal_id, &m.depositor, &m.amount)?;
    Ok((pb::MsgDepositResponse {}, events))
}
