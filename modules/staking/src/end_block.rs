//! End of block: pay out matured unbondings, finish validators' unbonding periods, and
//! compute the CometBFT validator-set updates.
//!
//! The active set is the first `max_validators` entries of the power index: validators that
//! are not jailed and have at least one unit of power (10⁶ tokens), most tokens first, ties
//! broken by operator address (ascending bytes): the set is chosen by bond. Each member's
//! CometBFT power is its bond weighted by its Proof-of-Latency weight,
//! `tokens × pol_weight_ppm / 10⁶ / 10⁶` (floor; weight 10⁶ when unset, see
//! `StakingWrite::set_pol_weight`); a member whose weighted power floors to 0 is left out
//! of the set like one without power. The updates are the
//! diff against the powers stored at the previous call (changed or new → new power, gone →
//! power 0), in operator order. Validators entering the set become BONDED; validators leaving
//! it become UNBONDING for `unbonding_blocks`, then UNBONDED. Their tokens stay in
//! `bonded_pool` throughout (the pools follow tokens, not status).
//!
//! CometBFT halts on an empty validator set, so if no candidate is left the previous set
//! is kept (no updates, nothing stored) until one is.

use pol_bank::BankWrite;
use pol_component::coins::Coin;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;
use std::collections::BTreeMap;
use tendermint_proto::crypto::{public_key::Sum, PublicKey};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::hooks::{NoHooks, StakingHooks};
use crate::params::MAX_MAX_VALIDATORS;
use crate::types::{valoper_string, BondStatus, UnbondingEntry, Validator};
use crate::view::{StakingRead, StakingWrite};
use crate::{not_bonded_pool, state_key};

/// Largest power one validator gets: CometBFT bounds the total at `i64::MAX / 8`.
pub const MAX_VALIDATOR_POWER: i64 = (i64::MAX / 8) / MAX_MAX_VALIDATORS as i64;

/// What `end_block` did (`validator_updates` go to `ResponseFinalizeBlock`).
pub use pol_component::EndBlockOutcome;

/// A CometBFT validator update for an ed25519 key.
pub fn validator_update(pubkey: &[u8; 32], power: i64) -> ValidatorUpdate {
    ValidatorUpdate {
        pub_key: Some(PublicKey {
            sum: Some(Sum::Ed25519(pubkey.to_vec())),
        }),
        power,
    }
}

/// Run at the end of every block (in FinalizeBlock, after the transactions). An error means
/// corrupt state (or an overflow that cannot happen with a sane supply), never bad input.
pub fn end_block<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
) -> Result<EndBlockOutcome, TxError> {
    end_block_with(state, ctx, &NoHooks)
}

/// [`end_block`], telling `hooks` which validators entered the active set.
pub fn end_block_with<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
) -> Result<EndBlockOutcome, TxError> {
    let mut events = mature_unbondings(state, ctx)?;
    events.extend(mature_validators(state, ctx)?);
    let (validator_updates, bonded_events) = apply_validator_set(state, ctx, hooks)?;
    events.extend(bonded_events);
    Ok(EndBlockOutcome {
        validator_updates,
        events,
    })
}

/// Pay every unbonding entry with `completion_height ≤ height` from `not_bonded_pool`.
pub fn mature_unbondings<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
) -> Result<Vec<Event>, TxError> {
    let params = state.staking_params()?;
    let mut events = Vec::new();
    loop {
        let page = state.prefix_raw(state_key::UNBONDING_PREFIX, None, 256)?;
        let mut due: Vec<UnbondingEntry> = Vec::new();
        for (_, v) in &page {
            let e = UnbondingEntry::from_proto(&prost::Message::decode(v.as_slice()).map_err(
                |e| TxError::INTERNAL(format!("staking unbonding entry does not decode: {e}")),
            )?)?;
            if e.completion_height > ctx.height {
                break;
            }
            due.push(e);
        }
        let more = due.len() == page.len() && page.len() == 256;
        for e in &due {
            if e.amount > 0 {
                events.extend(state.send_coins(
                    &not_bonded_pool(),
                    &e.delegator,
                    &[Coin::new(params.bond_denom.clone(), e.amount)],
                )?);
            }
            state.remove_unbonding(e);
            events.push(
                Event::new("complete_unbonding")
                    .attr("validator", valoper_string(&e.validator))
                    .attr("delegator", e.delegator.to_string())
                    .attr("amount", format!("{}{}", e.amount, params.bond_denom))
                    .attr("unbonding_id", e.id.to_string()),
            );
        }
        if !more {
            return Ok(events);
        }
    }
}

/// UNBONDING validators whose period is over become UNBONDED.
pub fn mature_validators<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
) -> Result<Vec<Event>, TxError> {
    let mut events = Vec::new();
    loop {
        let page = state.prefix_raw(state_key::VALIDATOR_QUEUE_PREFIX, None, 256)?;
        let mut due = Vec::new();
        for (k, v) in &page {
            let rest = &k[state_key::VALIDATOR_QUEUE_PREFIX.len()..];
            let h = rest
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| TxError::INTERNAL("staking validator queue key"))?;
            if h > ctx.height {
                break;
            }
            let op = Address::from_slice(v)
                .ok_or_else(|| TxError::INTERNAL("staking validator queue value"))?;
            due.push((k.clone(), op));
        }
        let more = due.len() == page.len() && page.len() == 256;
        for (key, op) in due {
            state.delete(key);
            if let Some(mut val) = state.validator(&op)? {
                if val.status == BondStatus::Unbonding {
                    // The queue entry is already gone; set the status directly.
                    val.status = BondStatus::Unbonded;
                    state.put_validator(&val)?;
                    events.push(
                        Event::new("complete_validator_unbonding")
                            .attr("validator", valoper_string(&op)),
                    );
                }
            }
        }
        if !more {
            return Ok(events);
        }
    }
}

/// Compute the active set, store its powers, update statuses, and return the diff (and
/// the events of `hooks.after_validator_bonded` for each validator that entered).
pub fn apply_validator_set<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
) -> Result<(Vec<ValidatorUpdate>, Vec<Event>), TxError> {
    let params = state.staking_params()?;
    let chosen = state.validators_by_power(params.max_validators as usize)?;
    let mut new: BTreeMap<Address, (i64, Validator)> = BTreeMap::new();
    for v in chosen {
        let power = state.voting_power(&v)?;
        if power > 0 {
            new.insert(v.operator, (power, v));
        }
    }
    let last: BTreeMap<Address, i64> = state.last_powers()?.into_iter().collect();
    if new.is_empty() && !last.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut events = Vec::new();

    let mut updates: BTreeMap<Address, ([u8; 32], i64)> = BTreeMap::new();
    for (op, (power, val)) in &new {
        if last.get(op) != Some(power) {
            updates.insert(*op, (val.consensus_pubkey, *power));
            state.set_last_power(op, *power);
        }
        if val.status != BondStatus::Bonded {
            let mut v = val.clone();
            state.set_validator_status(
                &mut v,
                BondStatus::Bonded,
                ctx.height,
                params.unbonding_blocks,
            )?;
            state.put_validator(&v)?;
            events.extend(hooks.after_validator_bonded(state, ctx, &v)?);
        }
    }
    for op in last.keys() {
        if new.contains_key(op) {
            continue;
        }
        state.set_last_power(op, 0);
        let mut val = state.validator(op)?.ok_or_else(|| {
            TxError::INTERNAL(format!(
                "last power of unknown validator {}",
                valoper_string(op)
            ))
        })?;
        updates.insert(*op, (val.consensus_pubkey, 0));
        if val.status == BondStatus::Bonded {
            state.set_validator_status(
                &mut val,
                BondStatus::Unbonding,
                ctx.height,
                params.unbonding_blocks,
            )?;
            state.put_validator(&val)?;
        }
    }
    let updates = updates
        .values()
        .map(|(pk, power)| validator_update(pk, *power))
        .collect();
    Ok((updates, events))
}

/// Reserve the ed25519 keys in `updates` (with power) that no validator holds: CometBFT
/// validates with them, so a validator created with one would take over that seat.
pub fn reserve_unknown_keys<S: StateWrite + ?Sized>(
    state: &mut S,
    updates: &[ValidatorUpdate],
) -> Result<(), TxError> {
    for u in updates.iter().filter(|u| u.power > 0) {
        let Some(Sum::Ed25519(key)) = u.pub_key.as_ref().and_then(|k| k.sum.as_ref()) else {
            continue;
        };
        let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else {
            continue;
        };
        let cons = crate::types::consensus_address(&key);
        if state.validator_by_consensus(&cons)?.is_none() {
            state.reserve_consensus_key(&key);
        }
    }
    Ok(())
}
