//! `MsgCreateValidator`, `MsgDelegate`, `MsgUndelegate`, and [`unjail`] (for slashing's
//! `cosmos.slashing.v1beta1.MsgUnjail`).
//!
//! Each `execute_*` runs on an overlay and writes nothing unless it succeeds. The signer of
//! each message is what `*_signer` returns; the app's ante handler checks it before
//! `execute_*` runs. Rejections use the Cosmos `sdk` codes:
//!
//! | failure | code |
//! |---|---|
//! | malformed `pol…`/`polvaloper…` address | `INVALID_ADDRESS` (7) |
//! | consensus key not a 32-byte ed25519 point | `INVALID_PUBKEY` (8) |
//! | validator does not exist | `UNKNOWN_ADDRESS` (9) |
//! | missing, zero, malformed or non-bond-denom coin | `INVALID_COINS` (10) |
//! | balance short / unbonding more than the delegation is worth | `INSUFFICIENT_FUNDS` (5) |
//! | everything else (duplicate validator or key, self-bond below minimum, commission > 100 %, bad moniker, no delegation, not jailed, still jailed, amount buys no share, overflow) | `INVALID_REQUEST` (18) |

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_bank::BankWrite;
use pol_component::coins::{parse_amount, validate_denom, Coin};
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::hooks::StakingHooks;
use crate::params::Params;
use crate::types::{
    parse_consensus_pubkey, parse_valoper, valcons_string, valoper_string, BondStatus, Delegation,
    UnbondingEntry, Validator,
};
use crate::view::{atomic, StakingRead, StakingWrite};
use crate::{bonded_pool, math, not_bonded_pool};

pub use crate::pb::{
    MsgCreateValidator, MsgCreateValidatorResponse, MsgDelegate, MsgDelegateResponse,
    MsgUndelegate, MsgUndelegateResponse,
};

/// Longest moniker accepted (the Cosmos SDK's limit).
pub const MAX_MONIKER_LEN: usize = 70;
/// Commission ceiling: 100 % in basis points.
pub const MAX_COMMISSION_BPS: u32 = 10_000;

// ---- signers --------------------------------------------------------------------------

/// The operator account (same bytes as the `polvaloper` address).
pub fn create_validator_signer(msg: &MsgCreateValidator) -> Result<Address, TxError> {
    parse_valoper(&msg.validator_address)
}
pub fn delegate_signer(msg: &MsgDelegate) -> Result<Address, TxError> {
    Address::parse(&msg.delegator_address)
}
pub fn undelegate_signer(msg: &MsgUndelegate) -> Result<Address, TxError> {
    Address::parse(&msg.delegator_address)
}
// ---- checks ---------------------------------------------------------------------------

/// A message coin in the bond denom with a positive amount.
pub(crate) fn bond_amount(coin: Option<&ProtoCoin>, params: &Params) -> Result<u128, TxError> {
    let c = coin.ok_or_else(|| TxError::INVALID_COINS("amount is required"))?;
    validate_denom(&c.denom)?;
    if c.denom != params.bond_denom {
        return Err(TxError::INVALID_COINS(format!(
            "invalid coin denomination: got {}, expected {}",
            c.denom, params.bond_denom
        )));
    }
    let amount = parse_amount(&c.amount)
        .ok_or_else(|| TxError::INVALID_COINS(format!("invalid amount {:?}", c.amount)))?;
    if amount == 0 {
        return Err(TxError::INVALID_COINS("amount must be positive"));
    }
    Ok(amount)
}

pub(crate) fn validate_moniker(m: &str) -> Result<(), TxError> {
    if m.trim().is_empty() {
        return Err(TxError::INVALID_REQUEST("moniker must not be empty"));
    }
    if m.len() > MAX_MONIKER_LEN {
        return Err(TxError::INVALID_REQUEST(format!(
            "moniker is {} bytes, at most {MAX_MONIKER_LEN} allowed",
            m.len()
        )));
    }
    if m.chars().any(char::is_control) {
        return Err(TxError::INVALID_REQUEST(
            "moniker must not contain control characters",
        ));
    }
    Ok(())
}

fn existing_validator<S: StakingRead + ?Sized>(
    state: &S,
    op: &Address,
) -> Result<Validator, TxError> {
    state.validator(op)?.ok_or_else(|| {
        TxError::UNKNOWN_ADDRESS(format!("validator {} does not exist", valoper_string(op)))
    })
}

fn overflow(what: &str) -> TxError {
    TxError::INVALID_REQUEST(format!("{what} overflows"))
}

// ---- shared effects (messages and genesis) --------------------------------------------

/// Bond `amount` of `delegator`'s coins to `val`: coins to `bonded_pool`, shares to the
/// delegator. Writes `val` and the delegation. Returns the shares issued and bank events.
pub(crate) fn bond<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
    params: &Params,
    val: &mut Validator,
    delegator: &Address,
    amount: u128,
) -> Result<(u128, Vec<Event>), TxError> {
    let shares =
        math::shares_for_tokens(amount, val.tokens, val.delegator_shares).ok_or_else(|| {
            TxError::INVALID_REQUEST(format!(
                "validator {} has no tokens left (slashed to zero); it cannot take delegations",
                valoper_string(&val.operator)
            ))
        })?;
    if shares == 0 {
        return Err(TxError::INVALID_REQUEST(format!(
            "delegating {amount}{} to {} would buy no shares",
            params.bond_denom,
            valoper_string(&val.operator)
        )));
    }
    let tokens = val
        .tokens
        .checked_add(amount)
        .ok_or_else(|| overflow("validator tokens"))?;
    let total_shares = val
        .delegator_shares
        .checked_add(shares)
        .ok_or_else(|| overflow("validator shares"))?;
    let existing = state.delegation(delegator, &val.operator)?;
    // Distribution settles the rewards of the stake as it was before it changes.
    let mut hook_events = match &existing {
        Some(_) => hooks.before_delegation_shares_modified(state, ctx, &val.operator, delegator)?,
        None => hooks.before_delegation_created(state, ctx, &val.operator, delegator)?,
    };
    let mut del = existing.unwrap_or(Delegation {
        delegator: *delegator,
        validator: val.operator,
        shares: 0,
    });
    del.shares = del
        .shares
        .checked_add(shares)
        .ok_or_else(|| overflow("delegation shares"))?;
    let mut events = state.send_coins(
        delegator,
        &bonded_pool(),
        &[Coin::new(params.bond_denom.clone(), amount)],
    )?;
    val.tokens = tokens;
    val.delegator_shares = total_shares;
    state.put_delegation(&del);
    state.put_validator(val)?;
    hook_events.extend(hooks.after_delegation_modified(state, ctx, val, &del)?);
    events.extend(hook_events);
    Ok((shares, events))
}

/// Create a validator and its self-bond (MsgCreateValidator and genesis).
#[allow(clippy::too_many_arguments)] // the message's fields, then where it runs
pub(crate) fn create_validator<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
    op: Address,
    pubkey: [u8; 32],
    moniker: &str,
    commission_bps: u32,
    amount: u128,
) -> Result<Vec<Event>, TxError> {
    validate_moniker(moniker)?;
    if commission_bps > MAX_COMMISSION_BPS {
        return Err(TxError::INVALID_REQUEST(format!(
            "commission {commission_bps} bps is above 100% ({MAX_COMMISSION_BPS} bps)"
        )));
    }
    let params = state.staking_params()?;
    if amount < params.min_self_bond {
        return Err(TxError::INVALID_REQUEST(format!(
            "self-bond {amount}{d} is below the minimum {}{d}",
            params.min_self_bond,
            d = params.bond_denom
        )));
    }
    if state.validator(&op)?.is_some() {
        return Err(TxError::INVALID_REQUEST(format!(
            "validator {} already exists",
            valoper_string(&op)
        )));
    }
    let cons = crate::types::consensus_address(&pubkey);
    if state.validator_by_consensus(&cons)?.is_some() || state.consensus_key_reserved(&cons)? {
        return Err(TxError::INVALID_REQUEST(format!(
            "consensus pubkey (address {}) is already used by another validator",
            valcons_string(&cons)
        )));
    }
    let mut val = Validator {
        operator: op,
        consensus_pubkey: pubkey,
        moniker: moniker.to_string(),
        commission_bps,
        tokens: 0,
        delegator_shares: 0,
        jailed: false,
        jailed_until_height: 0,
        status: BondStatus::Unbonded,
        unbonding_height: 0,
        unbonding_completion_height: 0,
        details: None,
    };
    // Stored before the hooks run, as the SDK's: they read it (the self-delegation's hook
    // closes the new validator's first period).
    state.put_validator(&val)?;
    let created = hooks.after_validator_created(state, ctx, &val)?;
    let (_, mut events) = bond(state, ctx, hooks, &params, &mut val, &op, amount)?;
    events.extend(created);
    events.push(
        Event::new("create_validator")
            .attr("validator", valoper_string(&op))
            .attr("amount", format!("{amount}{}", params.bond_denom))
            .attr("consensus_address", valcons_string(&cons)),
    );
    Ok(events)
}

// ---- messages -------------------------------------------------------------------------

pub fn execute_create_validator<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
    msg: &MsgCreateValidator,
) -> Result<(MsgCreateValidatorResponse, Vec<Event>), TxError> {
    let op = parse_valoper(&msg.validator_address)?;
    let pubkey = parse_consensus_pubkey(&msg.consensus_pubkey)?;
    let params = state.staking_params()?;
    let amount = bond_amount(msg.self_bond.as_ref(), &params)?;
    let events = atomic(state, |s| {
        create_validator(
            s,
            ctx,
            hooks,
            op,
            pubkey,
            &msg.moniker,
            msg.commission_bps,
            amount,
        )
    })?;
    Ok((MsgCreateValidatorResponse {}, events))
}

pub fn execute_delegate<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
    msg: &MsgDelegate,
) -> Result<(MsgDelegateResponse, Vec<Event>), TxError> {
    let delegator = Address::parse(&msg.delegator_address)?;
    let op = parse_valoper(&msg.validator_address)?;
    let params = state.staking_params()?;
    let amount = bond_amount(msg.amount.as_ref(), &params)?;
    atomic(state, |s| {
        let mut val = existing_validator(s, &op)?;
        let (shares, mut events) = bond(s, ctx, hooks, &params, &mut val, &delegator, amount)?;
        events.push(
            Event::new("delegate")
                .attr("validator", valoper_string(&op))
                .attr("delegator", delegator.to_string())
                .attr("amount", format!("{amount}{}", params.bond_denom))
                .attr("new_shares", shares.to_string()),
        );
        Ok((
            MsgDelegateResponse {
                shares: shares.to_string(),
            },
            events,
        ))
    })
}

/// Unbond `amount` tokens: the delegator gives up `ceil(amount·S/T)` shares (at most all of
/// theirs), the tokens move from `bonded_pool` to `not_bonded_pool` as an unbonding entry
/// paid out by `end_block` at `height + unbonding_blocks`. Slashes of the validator before
/// then also cut the entry (see `slashing`). An operator whose self-bond falls below
/// `min_self_bond` this way is jailed (until the current height, so it can unjail as soon
/// as it bonds enough again), as in the Cosmos SDK.
pub fn execute_undelegate<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
    msg: &MsgUndelegate,
) -> Result<(MsgUndelegateResponse, Vec<Event>), TxError> {
    let delegator = Address::parse(&msg.delegator_address)?;
    let op = parse_valoper(&msg.validator_address)?;
    let params = state.staking_params()?;
    let amount = bond_amount(msg.amount.as_ref(), &params)?;
    atomic(state, |s| {
        let mut val = existing_validator(s, &op)?;
        let mut del = s.delegation(&delegator, &op)?.ok_or_else(|| {
            TxError::INVALID_REQUEST(format!(
                "{delegator} has no delegation to {}",
                valoper_string(&op)
            ))
        })?;
        let worth = math::tokens_for_shares(del.shares, val.tokens, val.delegator_shares);
        if amount > worth {
            return Err(TxError::INSUFFICIENT_FUNDS(format!(
                "delegation to {} is worth {worth}{d}, cannot unbond {amount}{d}",
                valoper_string(&op),
                d = params.bond_denom
            )));
        }
        let hook_events = hooks.before_delegation_shares_modified(s, ctx, &op, &delegator)?;
        let burn = math::shares_to_unbond(amount, val.tokens, val.delegator_shares)
            .ok_or_else(|| overflow("unbonding shares"))?
            .min(del.shares);
        let completion = ctx
            .height
            .checked_add(params.unbonding_blocks)
            .ok_or_else(|| overflow("completion height"))?;
        del.shares -= burn;
        val.delegator_shares = val
            .delegator_shares
            .checked_sub(burn)
            .ok_or_else(|| TxError::INTERNAL("validator shares below a delegation's"))?;
        val.tokens = val
            .tokens
            .checked_sub(amount)
            .ok_or_else(|| TxError::INTERNAL("validator tokens below a delegation's worth"))?;
        let mut events = hook_events;
        events.extend(s.send_coins(
            &bonded_pool(),
            &not_bonded_pool(),
            &[Coin::new(params.bond_denom.clone(), amount)],
        )?);
        s.put_delegation(&del);
        let entry = s.insert_unbonding(UnbondingEntry {
            id: 0,
            delegator,
            validator: op,
            amount,
            initial_amount: amount,
            creation_height: ctx.height,
            completion_height: completion,
        })?;
        events.push(
            Event::new("unbond")
                .attr("validator", valoper_string(&op))
                .attr("delegator", delegator.to_string())
                .attr("amount", format!("{amount}{}", params.bond_denom))
                .attr("completion_height", completion.to_string())
                .attr("unbonding_id", entry.id.to_string()),
        );
        if delegator == op && !val.jailed {
            let self_bond = math::tokens_for_shares(del.shares, val.tokens, val.delegator_shares);
            if self_bond < params.min_self_bond {
                val.jailed = true;
                val.jailed_until_height = val.jailed_until_height.max(ctx.height);
                events.push(
                    Event::new("jail")
                        .attr("validator", valoper_string(&op))
                        .attr("until_height", val.jailed_until_height.to_string())
                        .attr("reason", "self_bond_below_minimum"),
                );
            }
        }
        s.put_validator(&val)?;
        // A delegation with shares left starts a new reward period; one that is gone has
        // been settled by the hook before.
        if del.shares > 0 {
            events.extend(hooks.after_delegation_modified(s, ctx, &val, &del)?);
        }
        Ok((
            MsgUndelegateResponse {
                completion_height: completion,
                amount: Some(Coin::new(params.bond_denom.clone(), amount).to_proto()),
            },
            events,
        ))
    })
}

/// Release a jailed validator: its staking jail term (`jailed_until_height`, set by pol's
/// own faults) is over and its self-bond is back at `min_self_bond`. The signer and any
/// further terms (slashing's downtime jail time, tombstoning) are the caller's to check:
/// `cosmos.slashing.v1beta1.MsgUnjail` in pol-slashing is the only message that calls it.
pub fn unjail<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    op: &Address,
) -> Result<Vec<Event>, TxError> {
    let op = *op;
    atomic(state, |s| {
        let params = s.staking_params()?;
        let mut val = existing_validator(s, &op)?;
        if !val.jailed {
            return Err(TxError::INVALID_REQUEST(format!(
                "validator {} is not jailed",
                valoper_string(&op)
            )));
        }
        if ctx.height < val.jailed_until_height {
            return Err(TxError::INVALID_REQUEST(format!(
                "validator {} is jailed until height {} (now {})",
                valoper_string(&op),
                val.jailed_until_height,
                ctx.height
            )));
        }
        let self_bond = s.self_bond(&val)?;
        if self_bond < params.min_self_bond {
            return Err(TxError::INVALID_REQUEST(format!(
                "self-bond {self_bond}{d} is below the minimum {}{d}; bond more to unjail",
                params.min_self_bond,
                d = params.bond_denom
            )));
        }
        val.jailed = false;
        s.put_validator(&val)?;
        Ok(vec![
            Event::new("unjail").attr("validator", valoper_string(&op))
        ])
    })
}
