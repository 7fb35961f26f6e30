//! F1 fee distribution (Ojha, "F1 Fee Distribution", the SDK's `x/distribution` keeper),
//! rule for rule: rewards accrue per validator *period*; a period closes whenever the
//! validator's stake per token changes (a delegation changes, a slash), and its cumulative
//! reward per token is kept while a delegation or a slash event refers to it. A delegator's
//! reward is its stake times the difference of two cumulative ratios, cut at each slash in
//! between, so nothing is iterated over delegators when blocks pay out.
//!
//! Every function here writes through the caller's overlay; an error aborts the message.

use pol_bank::BankWrite;
use pol_component::coins::Coin;
use pol_component::dec::DecError;
use pol_component::{Address, BlockContext, Dec, DecCoins, Event, TxError};
use pol_staking::{Delegation, StakingRead, Validator};
use pol_store::StateWrite;

use crate::view::{DistributionRead, DistributionWrite, SlashEvent, StartingInfo};

pub(crate) fn dec_err(e: DecError) -> TxError {
    TxError::INTERNAL(format!("distribution arithmetic: {e}"))
}

fn missing(what: &str, val: &Address) -> TxError {
    TxError::INTERNAL(format!("distribution: no {what} for validator {val}"))
}

/// A validator's stake per delegation share, as the SDK computes a delegation's tokens:
/// `shares × tokens / delegator_shares`, rounded (`truncate` = toward zero).
pub fn tokens_from_shares(val: &Validator, shares: u128, truncate: bool) -> Result<Dec, TxError> {
    if val.delegator_shares == 0 {
        return Ok(Dec::zero());
    }
    let product = Dec::from_int(shares).mul_int(val.tokens).map_err(dec_err)?;
    let total = Dec::from_int(val.delegator_shares);
    if truncate {
        product.quo_truncate(&total)
    } else {
        product.quo(&total)
    }
    .map_err(dec_err)
}

/// Records of a new validator: period 0 closed with ratio zero, period 1 under way.
pub fn initialize_validator<S: StateWrite + ?Sized>(state: &mut S, val: &Address) {
    state.put_historical_rewards(val, 0, &DecCoins::zero(), 1);
    state.put_current_rewards(val, &DecCoins::zero(), 1);
    state.put_accumulated_commission(val, &DecCoins::zero());
    state.put_outstanding_rewards(val, &DecCoins::zero());
}

fn change_reference_count<S: StateWrite + ?Sized>(
    state: &mut S,
    val: &Address,
    period: u64,
    up: bool,
) -> Result<(), TxError> {
    let (ratio, count) = state
        .historical_rewards(val, period)?
        .ok_or_else(|| missing(&format!("historical rewards of period {period}"), val))?;
    let count = if up {
        // Every delegation start and every slash closes a period of its own, so a period is
        // referred to by the next one, one delegation start and one slash at most (the
        // SDK's bound): more is a bookkeeping bug.
        if count > 2 {
            return Err(TxError::INTERNAL(format!(
                "distribution: period {period} of {val} referenced more than twice"
            )));
        }
        count + 1
    } else {
        count
            .checked_sub(1)
            .ok_or_else(|| missing("reference to release", val))?
    };
    state.put_historical_rewards(val, period, &ratio, count);
    Ok(())
}

/// Close the validator's current period: its accrued rewards per token are added to the
/// cumulative ratio (a validator without tokens gives them to the community pool), and a
/// new period starts. Returns the period closed.
pub fn increment_validator_period<S: StateWrite + ?Sized>(
    state: &mut S,
    val: &Validator,
) -> Result<u64, TxError> {
    let op = val.operator;
    let (rewards, period) = state
        .current_rewards(&op)?
        .ok_or_else(|| missing("current rewards", &op))?;
    let per_token = if val.tokens == 0 {
        let pool = state.community_pool()?.add(&rewards).map_err(dec_err)?;
        state.put_community_pool(&pool);
        let outstanding = state
            .outstanding_rewards(&op)?
            .ok_or_else(|| missing("outstanding rewards", &op))?
            .sub(&rewards)
            .map_err(dec_err)?;
        state.put_outstanding_rewards(&op, &outstanding);
        DecCoins::zero()
    } else {
        rewards
            .quo_dec_truncate(&Dec::from_int(val.tokens))
            .map_err(dec_err)?
    };
    let previous = period
        .checked_sub(1)
        .ok_or_else(|| missing("closed period", &op))?;
    let (cumulative, _) = state
        .historical_rewards(&op, previous)?
        .ok_or_else(|| missing(&format!("historical rewards of period {previous}"), &op))?;
    change_reference_count(state, &op, previous, false)?;
    let ratio = cumulative.add(&per_token).map_err(dec_err)?;
    state.put_historical_rewards(&op, period, &ratio, 1);
    state.put_current_rewards(&op, &DecCoins::zero(), period + 1);
    Ok(period)
}

/// Start a delegation's accounting at the validator's current state.
pub fn initialize_delegation<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    val: &Validator,
    delegation: &Delegation,
) -> Result<(), TxError> {
    let op = val.operator;
    let (_, period) = state
        .current_rewards(&op)?
        .ok_or_else(|| missing("current rewards", &op))?;
    let previous = period
        .checked_sub(1)
        .ok_or_else(|| missing("closed period", &op))?;
    change_reference_count(state, &op, previous, true)?;
    let stake = tokens_from_shares(val, delegation.shares, true)?;
    state.put_starting_info(
        &op,
        &delegation.delegator,
        &StartingInfo {
            previous_period: previous,
            stake,
            height: ctx.height,
        },
    );
    Ok(())
}

/// `stake × (ratio(end) − ratio(start))`, truncated.
fn rewards_between<S: DistributionRead + ?Sized>(
    state: &S,
    val: &Address,
    start: u64,
    end: u64,
    stake: &Dec,
) -> Result<DecCoins, TxError> {
    if start > end || stake.is_negative() {
        return Err(TxError::INTERNAL(format!(
            "distribution: rewards from period {start} to {end} at stake {stake}"
        )));
    }
    let ratio = |p: u64| -> Result<DecCoins, TxError> {
        Ok(state
            .historical_rewards(val, p)?
            .ok_or_else(|| missing(&format!("historical rewards of period {p}"), val))?
            .0)
    };
    let difference = ratio(end)?.sub(&ratio(start)?).map_err(|_| {
        TxError::INTERNAL(format!(
            "distribution: reward ratio of {val} fell from period {start} to {end}"
        ))
    })?;
    difference.mul_dec_truncate(stake).map_err(dec_err)
}

/// What the delegation has earned up to the close of `end_period`, cut at every slash since
/// it started.
pub fn delegation_rewards<S: DistributionRead + StakingRead + ?Sized>(
    state: &S,
    ctx: &BlockContext,
    val: &Validator,
    delegation: &Delegation,
    end_period: u64,
) -> Result<DecCoins, TxError> {
    let op = val.operator;
    let info = state
        .starting_info(&op, &delegation.delegator)?
        .ok_or_else(|| {
            TxError::INTERNAL(format!(
                "distribution: no starting info for {} on {op}",
                delegation.delegator
            ))
        })?;
    if info.height == ctx.height {
        return Ok(DecCoins::zero()); // started in this block: nothing accrued yet
    }
    let mut start = info.previous_period;
    let mut stake = info.stake;
    let mut rewards = DecCoins::zero();
    if ctx.height > info.height {
        for e in state.slash_events(&op, info.height, ctx.height)? {
            if e.validator_period > start {
                let part = rewards_between(state, &op, start, e.validator_period, &stake)?;
                rewards = rewards.add(&part).map_err(dec_err)?;
                stake = stake
                    .mul_truncate(&Dec::one().sub(&e.fraction).map_err(dec_err)?)
                    .map_err(dec_err)?;
                start = e.validator_period;
            }
        }
    }
    // Rounding in the slashes may leave the computed stake a hair above the real one.
    let current = tokens_from_shares(val, delegation.shares, false)?;
    if stake > current {
        let margin = Dec::from_atomics(3u8).map_err(dec_err)?;
        if stake <= current.add(&margin).map_err(dec_err)? {
            stake = current;
        } else {
            return Err(TxError::INTERNAL(format!(
                "distribution: stake {stake} of {} on {op} above its current {current}",
                delegation.delegator
            )));
        }
    }
    let last = rewards_between(state, &op, start, end_period, &stake)?;
    rewards.add(&last).map_err(dec_err)
}

/// Pay out a delegation's rewards (whole tokens to its withdraw address, the fractions to
/// the community pool) and end its accounting. Returns the coins paid and the event.
pub fn withdraw_delegation_rewards<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    val: &Validator,
    delegation: &Delegation,
) -> Result<(Vec<Coin>, Vec<Event>), TxError> {
    let op = val.operator;
    let info = state
        .starting_info(&op, &delegation.delegator)?
        .ok_or_else(|| {
            TxError::INVALID_REQUEST(format!(
                "no delegation distribution info for {} on {op}",
                delegation.delegator
            ))
        })?;
    let end = increment_validator_period(state, val)?;
    let raw = delegation_rewards(state, ctx, val, delegation, end)?;
    let outstanding = state
        .outstanding_rewards(&op)?
        .ok_or_else(|| missing("outstanding rewards", &op))?;
    // Truncation may make the computed rewards exceed what is left by a few atomics.
    let rewards = raw.intersect(&outstanding);
    let (coins, remainder) = rewards.truncate_decimal().map_err(dec_err)?;
    let mut events = Vec::new();
    if !coins.is_empty() {
        let to = state.withdraw_address(&delegation.delegator)?;
        events.extend(state.send_coins(&crate::module_account(), &to, &coins)?);
    }
    state.put_outstanding_rewards(&op, &outstanding.sub(&rewards).map_err(dec_err)?);
    let pool = state.community_pool()?.add(&remainder).map_err(dec_err)?;
    state.put_community_pool(&pool);
    change_reference_count(state, &op, info.previous_period, false)?;
    state.delete_starting_info(&op, &delegation.delegator);
    events.push(
        Event::new("withdraw_rewards")
            .attr("amount", pol_component::coins::coins_to_string(&coins))
            .attr("validator", pol_staking::types::valoper_string(&op))
            .attr("delegator", delegation.delegator.to_string()),
    );
    Ok((coins, events))
}

/// Before a slash of `fraction`: close the period and remember where the stake was cut.
pub fn record_slash<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    val: &Validator,
    fraction: &Dec,
) -> Result<(), TxError> {
    if fraction.is_negative() || *fraction > Dec::one() {
        return Err(TxError::INTERNAL(format!(
            "distribution: slash fraction {fraction}"
        )));
    }
    let period = increment_validator_period(state, val)?;
    change_reference_count(state, &val.operator, period, true)?;
    state.put_slash_event(
        &val.operator,
        &SlashEvent {
            height: ctx.height,
            validator_period: period,
            fraction: fraction.clone(),
        },
    );
    Ok(())
}

/// Distribution's side of staking's hooks.
pub struct DistributionHooks;

impl pol_staking::StakingHooks for DistributionHooks {
    fn after_validator_created(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        validator: &Validator,
    ) -> Result<Vec<Event>, TxError> {
        initialize_validator(state, &validator.operator);
        Ok(Vec::new())
    }

    fn before_delegation_created(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        validator: &Address,
        _delegator: &Address,
    ) -> Result<Vec<Event>, TxError> {
        let val = stored_validator(state, validator)?;
        increment_validator_period(state, &val)?;
        Ok(Vec::new())
    }

    fn before_delegation_shares_modified(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Address,
        delegator: &Address,
    ) -> Result<Vec<Event>, TxError> {
        let val = stored_validator(state, validator)?;
        let delegation = state.delegation(delegator, validator)?.ok_or_else(|| {
            TxError::INTERNAL(format!(
                "distribution: no delegation of {delegator} to {validator}"
            ))
        })?;
        withdraw_delegation_rewards(state, ctx, &val, &delegation).map(|(_, events)| events)
    }

    fn after_delegation_modified(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Validator,
        delegation: &Delegation,
    ) -> Result<Vec<Event>, TxError> {
        initialize_delegation(state, ctx, validator, delegation)?;
        Ok(Vec::new())
    }

    fn before_validator_slashed(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Validator,
        fraction: &Dec,
    ) -> Result<Vec<Event>, TxError> {
        record_slash(state, ctx, validator, fraction)?;
        Ok(Vec::new())
    }
}

fn stored_validator<S: StakingRead + ?Sized>(
    state: &S,
    op: &Address,
) -> Result<Validator, TxError> {
    state
        .validator(op)?
        .ok_or_else(|| TxError::INTERNAL(format!("distribution: validator {op} is not stored")))
}
