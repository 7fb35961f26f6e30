//! Begin block: pay the previous block's fees (and this block's mint, which mint put in the
//! fee collector just before) to the validators of the previous block's commit, by power.
//! The SDK's `AllocateTokens`.
//!
//! Every validator in the commit is paid, signed or not, as in the SDK: paying only the
//! signers would let a proposer drop others' signatures from the commit to raise its own
//! share. Missing blocks is punished by slashing, not here.

use pol_bank::{BankRead, BankWrite};
use pol_component::{Address, BlockContext, BlockInfo, Dec, DecCoins, Event, TxError};
use pol_staking::types::valoper_string;
use pol_staking::{StakingRead, Validator};
use pol_store::StateWrite;

use crate::f1::dec_err;
use crate::view::{DistributionRead, DistributionWrite};

pub fn begin_block<S: StateWrite + ?Sized>(
    state: &mut S,
    _ctx: &BlockContext,
    block: &BlockInfo,
) -> Result<Vec<Event>, TxError> {
    let collector = Address::module(pol_auth::FEE_COLLECTOR);
    let fees = state.all_balances(&collector)?;
    if fees.is_empty() {
        return Ok(Vec::new());
    }
    state.send_coins(&collector, &crate::module_account(), &fees)?;
    let collected = DecCoins::from_coins(&fees);

    // i128: no commit CometBFT can send overflows it.
    let total_power: i128 = block
        .last_commit
        .iter()
        .map(|v| i128::from(v.power.max(0)))
        .sum();
    let mut events = Vec::new();
    let mut remaining = collected.clone();
    if total_power > 0 {
        let params = state.distribution_params()?;
        let share = Dec::one().sub(&params.community_tax).map_err(dec_err)?;
        let to_validators = collected.mul_dec_truncate(&share).map_err(dec_err)?;
        for vote in &block.last_commit {
            let Ok(cons) = <[u8; 20]>::try_from(vote.validator_address.as_slice()) else {
                continue;
            };
            // Validators are never deleted; one that is unknown gives its share to the pool.
            let Some(val) = state.validator_by_consensus(&cons)? else {
                continue;
            };
            let fraction = Dec::from_int(vote.power.max(0))
                .quo_truncate(&Dec::from_int(total_power))
                .map_err(dec_err)?;
            let reward = to_validators.mul_dec_truncate(&fraction).map_err(dec_err)?;
            events.extend(allocate_to_validator(state, &val, &reward)?);
            remaining = remaining.sub(&reward).map_err(dec_err)?;
        }
    }
    // The tax, the rounding dust, and everything when nobody held power.
    let pool = state.community_pool()?.add(&remaining).map_err(dec_err)?;
    state.put_community_pool(&pool);
    Ok(events)
}

/// Commission at the validator's rate, the rest to its delegators' current period.
pub fn allocate_to_validator<S: StateWrite + ?Sized>(
    state: &mut S,
    val: &Validator,
    tokens: &DecCoins,
) -> Result<Vec<Event>, TxError> {
    if tokens.is_zero() {
        return Ok(Vec::new());
    }
    let op = val.operator;
    let missing = || {
        TxError::INTERNAL(format!(
            "distribution: validator {op} has no reward records"
        ))
    };
    let rate = Dec::with_decimals(i128::from(val.commission_bps), 4);
    let commission = tokens.mul_dec(&rate).map_err(dec_err)?;
    let shared = tokens.sub(&commission).map_err(dec_err)?;

    let acc = state.accumulated_commission(&op)?.ok_or_else(missing)?;
    state.put_accumulated_commission(&op, &acc.add(&commission).map_err(dec_err)?);
    let (current, period) = state.current_rewards(&op)?.ok_or_else(missing)?;
    state.put_current_rewards(&op, &current.add(&shared).map_err(dec_err)?, period);
    let outstanding = state.outstanding_rewards(&op)?.ok_or_else(missing)?;
    state.put_outstanding_rewards(&op, &outstanding.add(tokens).map_err(dec_err)?);

    let show = |c: &DecCoins| {
        c.iter()
            .map(|(d, a)| format!("{a}{d}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    Ok(vec![
        Event::new("commission")
            .attr("amount", show(&commission))
            .attr("validator", valoper_string(&op)),
        Event::new("rewards")
            .attr("amount", show(tokens))
            .attr("validator", valoper_string(&op)),
    ])
}
