//! Slashing and jailing, for other modules (inference SLA faults, evidence of double
//! signing) to call through the narrow [`Slashing`] trait.
//!
//! What a slash of `p` ppm does:
//! * the validator loses `ceil(tokens·p/10⁶)` tokens; its shares are unchanged, so every
//!   delegator loses the same fraction of their stake (one write, O(1) in delegators);
//! * every unbonding entry from that validator that has not matured yet loses
//!   `ceil(amount·p/10⁶)` too (pol has no infraction height: an entry is liable for its
//!   whole unbonding period, which is the point of the period);
//! * the slashed tokens leave `bonded_pool` / `not_bonded_pool` and are burned (supply
//!   shrinks) or sent to the `community_pool` module account, as `params.slash_destination`
//!   says.
//!
//! Slashing does not jail; callers jail separately. Neither changes CometBFT's set at
//! once: `end_block` sends the new powers (a jailed validator gets power 0).

use pol_bank::BankWrite;
use pol_component::coins::Coin;
use pol_component::{Address, BlockContext, Dec, Event, TxError};

use crate::hooks::StakingHooks;
use pol_store::StateWrite;

use crate::params::destination_name;
use crate::types::{valoper_string, SlashDestination, Validator};
use crate::view::{atomic, StakingRead, StakingWrite};
use crate::{bonded_pool, community_pool, math, not_bonded_pool};

/// Which validator: its operator address, or its CometBFT consensus address
/// (sha256(ed25519 pubkey)[:20], what misbehavior evidence names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidatorRef {
    Operator(Address),
    Consensus([u8; 20]),
}

/// What a slash took.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlashOutcome {
    /// Total slashed: `from_tokens + from_unbonding`.
    pub amount: u128,
    /// From the validator's bonded tokens.
    pub from_tokens: u128,
    /// From its pending unbonding entries.
    pub from_unbonding: u128,
    /// The validator's operator.
    pub operator: Option<Address>,
    /// `slash` and the bank's burn/transfer events.
    pub events: Vec<Event>,
}

/// Penalties other modules may impose on validators.
pub trait Slashing {
    /// Slash `fraction_ppm` parts per million (at most 10⁶) of the validator's stake and
    /// of its pending unbonding entries. Writes nothing on error.
    fn slash(
        &mut self,
        ctx: &BlockContext,
        hooks: &dyn StakingHooks,
        validator: ValidatorRef,
        fraction_ppm: u32,
        reason: &str,
    ) -> Result<SlashOutcome, TxError>;

    /// Slash `fraction` of the stake that answers for an infraction at `infraction_height`
    /// (double-signing, downtime): the validator's tokens, and the unbonding entries that
    /// began at or after that height, each by its initial amount (capped at what is left).
    /// An infraction in the current block takes from the tokens alone. Writes nothing on
    /// error.
    fn slash_infraction(
        &mut self,
        ctx: &BlockContext,
        hooks: &dyn StakingHooks,
        validator: ValidatorRef,
        infraction_height: u64,
        fraction: &Dec,
        reason: &str,
    ) -> Result<SlashOutcome, TxError>;

    /// Jail the validator until `until_height` (it may unjail at or after it; an existing
    /// later release height is kept). It leaves CometBFT's set at the next `end_block`.
    fn jail(
        &mut self,
        ctx: &BlockContext,
        validator: ValidatorRef,
        until_height: u64,
        reason: &str,
    ) -> Result<Vec<Event>, TxError>;
}

fn find<S: StakingRead + ?Sized>(state: &S, r: ValidatorRef) -> Result<Validator, TxError> {
    let found = match r {
        ValidatorRef::Operator(op) => state.validator(&op)?,
        ValidatorRef::Consensus(cons) => state.validator_by_consensus(&cons)?,
    };
    found.ok_or_else(|| {
        TxError::UNKNOWN_ADDRESS(match r {
            ValidatorRef::Operator(op) => {
                format!("validator {} does not exist", valoper_string(&op))
            }
            ValidatorRef::Consensus(c) => format!(
                "no validator with consensus address {}",
                crate::types::valcons_string(&c)
            ),
        })
    })
}

/// Send `amount` slashed tokens from `pool` to their destination.
fn dispose<S: StateWrite + ?Sized>(
    state: &mut S,
    pool: &Address,
    amount: u128,
    denom: &str,
    dest: SlashDestination,
) -> Result<Vec<Event>, TxError> {
    if amount == 0 {
        return Ok(Vec::new());
    }
    let coins = [Coin::new(denom, amount)];
    match dest {
        SlashDestination::CommunityPool => state.send_coins(pool, &community_pool(), &coins),
        _ => {
            state.burn(pool, &coins)?;
            Ok(vec![Event::new("burn")
                .attr("burner", pool.to_string())
                .attr("amount", format!("{amount}{denom}"))])
        }
    }
}

/// Which of the validator's pending unbonding entries share a slash.
#[derive(Clone, Copy)]
enum Liable {
    /// Every entry not yet matured, by its current amount (pol's own faults, which have no
    /// infraction height: an entry is liable for its whole unbonding period).
    AllPending,
    /// Entries created at or after the infraction height, by their initial amount capped at
    /// what is left (the SDK's rule: stake that left after the infraction still answers for
    /// it). None when the infraction is in the current block.
    Since(u64),
}

/// `ceil(amount × fraction)`: pol's slashes round toward the chain.
fn ceil_mul(amount: u128, fraction: &Dec) -> Result<u128, TxError> {
    let exact = Dec::from_int(amount)
        .mul(fraction)
        .map_err(|e| TxError::INTERNAL(format!("slash amount: {e}")))?;
    let floor = exact
        .truncate_u128()
        .map_err(|e| TxError::INTERNAL(format!("slash amount: {e}")))?;
    Ok(if Dec::from_int(floor) == exact {
        floor
    } else {
        floor.saturating_add(1).min(amount)
    })
}

fn slash_with<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
    validator: ValidatorRef,
    fraction: &Dec,
    liable: Liable,
    reason: &str,
) -> Result<SlashOutcome, TxError> {
    if fraction.is_negative() || *fraction > Dec::one() {
        return Err(TxError::INVALID_REQUEST(format!(
            "slash fraction {fraction} is outside [0, 1]"
        )));
    }
    atomic(state, |s| {
        let params = s.staking_params()?;
        let mut val = find(s, validator)?;
        let from_tokens = ceil_mul(val.tokens, fraction)?;
        let mut hook_events = Vec::new();
        if from_tokens > 0 {
            // The fraction of the tokens really taken (rounded up, as the SDK's): what
            // every delegation to the validator loses.
            let taken = Dec::from_int(from_tokens)
                .quo_round_up(&Dec::from_int(val.tokens))
                .map_err(|e| TxError::INTERNAL(format!("slash fraction: {e}")))?
                .min(Dec::one());
            hook_events = hooks.before_validator_slashed(s, ctx, &val, &taken)?;
        }
        val.tokens -= from_tokens;
        s.put_validator(&val)?;

        let mut from_unbonding: u128 = 0;
        for mut e in s.unbondings_from(&val.operator)? {
            // Due this block: paid out at its end, no longer at stake (the SDK's IsMature).
            if e.completion_height <= ctx.height {
                continue;
            }
            let cut = match liable {
                Liable::AllPending => ceil_mul(e.amount, fraction)?,
                Liable::Since(h) if h < ctx.height && e.creation_height >= h => {
                    ceil_mul(e.initial_amount, fraction)?.min(e.amount)
                }
                Liable::Since(_) => 0,
            };
            if cut > 0 {
                e.amount -= cut;
                from_unbonding = from_unbonding
                    .checked_add(cut)
                    .ok_or_else(|| TxError::INTERNAL("slashed unbonding total overflows"))?;
                s.put_unbonding(&e);
            }
        }
        let dest = params.slash_destination;
        let mut events = hook_events;
        events.extend(dispose(
            s,
            &bonded_pool(),
            from_tokens,
            &params.bond_denom,
            dest,
        )?);
        events.extend(dispose(
            s,
            &not_bonded_pool(),
            from_unbonding,
            &params.bond_denom,
            dest,
        )?);
        let amount = from_tokens
            .checked_add(from_unbonding)
            .ok_or_else(|| TxError::INTERNAL("slashed total overflows"))?;
        let mut event = Event::new("slash")
            .attr("validator", valoper_string(&val.operator))
            .attr("fraction", fraction.to_string())
            .attr("reason", reason)
            .attr("amount", format!("{amount}{}", params.bond_denom))
            .attr("from_unbonding", from_unbonding.to_string())
            .attr("destination", destination_name(dest));
        if let Liable::Since(h) = liable {
            event = event.attr("infraction_height", h.to_string());
        }
        events.push(event);
        Ok(SlashOutcome {
            amount,
            from_tokens,
            from_unbonding,
            operator: Some(val.operator),
            events,
        })
    })
}

impl<S: StateWrite + ?Sized> Slashing for S {
    fn slash(
        &mut self,
        ctx: &BlockContext,
        hooks: &dyn StakingHooks,
        validator: ValidatorRef,
        fraction_ppm: u32,
        reason: &str,
    ) -> Result<SlashOutcome, TxError> {
        if fraction_ppm > math::PPM {
            return Err(TxError::INVALID_REQUEST(format!(
                "slash fraction {fraction_ppm} ppm is above 1000000 ppm"
            )));
        }
        let fraction = Dec::with_decimals(i128::from(fraction_ppm), 6);
        slash_with(
            self,
            ctx,
            hooks,
            validator,
            &fraction,
            Liable::AllPending,
            reason,
        )
    }

    fn slash_infraction(
        &mut self,
        ctx: &BlockContext,
        hooks: &dyn StakingHooks,
        validator: ValidatorRef,
        infraction_height: u64,
        fraction: &Dec,
        reason: &str,
    ) -> Result<SlashOutcome, TxError> {
        if infraction_height > ctx.height {
            return Err(TxError::INVALID_REQUEST(format!(
                "infraction height {infraction_height} is after the current height {}",
                ctx.height
            )));
        }
        slash_with(
            self,
            ctx,
            hooks,
            validator,
            fraction,
            Liable::Since(infraction_height),
            reason,
        )
    }

    fn jail(
        &mut self,
        _ctx: &BlockContext,
        validator: ValidatorRef,
        until_height: u64,
        reason: &str,
    ) -> Result<Vec<Event>, TxError> {
        atomic(self, |s| {
            let mut val = find(s, validator)?;
            let until = if val.jailed {
                val.jailed_until_height.max(until_height)
            } else {
                until_height
            };
            val.jailed = true;
            val.jailed_until_height = until;
            s.put_validator(&val)?;
            Ok(vec![Event::new("jail")
                .attr("validator", valoper_string(&val.operator))
                .attr("until_height", until.to_string())
                .attr("reason", reason)])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ceil_mul;
    use pol_component::Dec;

    #[test]
    fn slashes_round_up_and_never_exceed_the_amount() {
        let ppm = |p: i128| Dec::with_decimals(p, 6);
        assert_eq!(ceil_mul(10, &ppm(50_000)).unwrap(), 1); // 0.5 → 1
        assert_eq!(ceil_mul(1000, &ppm(50_000)).unwrap(), 50);
        assert_eq!(ceil_mul(7, &Dec::one()).unwrap(), 7);
        assert_eq!(ceil_mul(0, &ppm(500_000)).unwrap(), 0);
        assert_eq!(ceil_mul(3, &Dec::with_decimals(1, 18)).unwrap(), 1);
        assert_eq!(ceil_mul(u128::MAX, &Dec::one()).unwrap(), u128::MAX);
    }
}
