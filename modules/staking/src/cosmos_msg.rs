//! `cosmos.staking.v1beta1.MsgCreateValidator`, `MsgEditValidator` and
//! `MsgCancelUnbondingDelegation`, unchanged, so a wallet or `simd`-style tooling creates and
//! edits a validator, and takes back an unbonding, with no custom code.
//!
//! They run pol's staking: a validator created this way is pol's validator, with what the
//! SDK's messages carry beyond it kept in its [`ValidatorDetails`] (identity, website,
//! security contact, details, the commission's maximum rate and maximum change), and the
//! SDK's rules on commission changes applied to it: at most `max_rate`, a raise of at most
//! `max_change_rate`, at most once in 24 hours of block time. A validator that declared no
//! max (made by pol's own message or in genesis) keeps its rate at its first edit as its
//! max: delegators who joined at a rate never see it raised above that.
//!
//! What pol does not keep is refused rather than dropped: a commission rate that is not a
//! whole number of basis points, a consensus key other than ed25519, and a per-validator
//! `min_self_delegation` above the chain's `min_self_bond` (pol enforces that one minimum;
//! a smaller promise is implied by it, a larger one would not be kept).

use cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as sdk;
use pol_component::coins::parse_amount;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;
use prost::Message;

use crate::hooks::StakingHooks;
use crate::msg::{bond, bond_amount, create_validator, validate_moniker, MAX_COMMISSION_BPS};
use crate::pb::ValidatorDetails;
use crate::types::{parse_consensus_pubkey, parse_valoper, valoper_string, UnbondingEntry};
use crate::view::{atomic, StakingRead, StakingWrite};
use crate::{not_bonded_pool, state_key};
use pol_bank::BankWrite;
use pol_component::coins::Coin;

/// Type URL of the SDK's `MsgCreateValidator`.
pub const COSMOS_MSG_CREATE_VALIDATOR: &str = "/cosmos.staking.v1beta1.MsgCreateValidator";
/// Type URL of the SDK's `MsgEditValidator`.
pub const COSMOS_MSG_EDIT_VALIDATOR: &str = "/cosmos.staking.v1beta1.MsgEditValidator";

/// Type URL of the SDK's `MsgCancelUnbondingDelegation`.
pub const COSMOS_MSG_CANCEL_UNBONDING: &str =
    "/cosmos.staking.v1beta1.MsgCancelUnbondingDelegation";

/// A description field the edit leaves as it is (the SDK's sentinel).
pub const DO_NOT_MODIFY: &str = "[do-not-modify]";

/// One LegacyDec unit (10^18 atomics) is 10,000 bps.
const ATOMICS_PER_BPS: u128 = 100_000_000_000_000;

/// Seconds between two commission changes (the SDK's 24 hours), in nanoseconds.
const COMMISSION_CHANGE_INTERVAL_NANOS: u64 = 24 * 3600 * 1_000_000_000;

/// The SDK's description limits.
const MAX_IDENTITY_LEN: usize = 3000;
const MAX_WEBSITE_LEN: usize = 140;
const MAX_SECURITY_CONTACT_LEN: usize = 140;
const MAX_DETAILS_LEN: usize = 280;

/// The block's time in unix nanoseconds (0 before 1970, which no CometBFT block has).
fn block_time(ctx: &BlockContext) -> u64 {
    u64::try_from(ctx.time_unix_nanos).unwrap_or(0)
}

/// The operator: the message's `validator_address` (as in the SDK since v0.50).
pub fn create_signer(m: &sdk::MsgCreateValidator) -> Result<Address, TxError> {
    parse_valoper(&m.validator_address)
}

/// The delegator whose unbonding it is.
pub fn cancel_signer(m: &sdk::MsgCancelUnbondingDelegation) -> Result<Address, TxError> {
    Address::parse(&m.delegator_address)
}

/// The operator.
pub fn edit_signer(m: &sdk::MsgEditValidator) -> Result<Address, TxError> {
    parse_valoper(&m.validator_address)
}

/// A LegacyDec rate in atomics (what the wire carries) as basis points: in [0, 1] and a
/// whole number of bps.
pub fn rate_bps(atomics: &str, what: &str) -> Result<u32, TxError> {
    let n = parse_amount(atomics).ok_or_else(|| {
        TxError::INVALID_REQUEST(format!("{what} {atomics:?} is not a decimal's atomics"))
    })?;
    if n % ATOMICS_PER_BPS != 0 {
        return Err(TxError::INVALID_REQUEST(format!(
            "{what} must be a whole number of basis points (a multiple of 0.0001)"
        )));
    }
    let bps = u32::try_from(n / ATOMICS_PER_BPS)
        .ok()
        .filter(|b| *b <= MAX_COMMISSION_BPS)
        .ok_or_else(|| TxError::INVALID_REQUEST(format!("{what} is above 1 (100 %)")))?;
    Ok(bps)
}

fn bounded(value: &str, max: usize, what: &str) -> Result<(), TxError> {
    if value.len() > max {
        return Err(TxError::INVALID_REQUEST(format!(
            "{what} is {} bytes, at most {max} allowed",
            value.len()
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(TxError::INVALID_REQUEST(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(())
}

/// The description's fields other than the moniker, checked against the SDK's limits.
fn check_details(d: &ValidatorDetails) -> Result<(), TxError> {
    bounded(&d.identity, MAX_IDENTITY_LEN, "identity")?;
    bounded(&d.website, MAX_WEBSITE_LEN, "website")?;
    bounded(
        &d.security_contact,
        MAX_SECURITY_CONTACT_LEN,
        "security contact",
    )?;
    bounded(&d.details, MAX_DETAILS_LEN, "details")
}

/// A validator's details as a genesis may carry them: what the messages would have
/// allowed (description limits, commission at most its max, max change at most the max).
pub fn check_genesis_details(commission_bps: u32, d: &ValidatorDetails) -> Result<(), TxError> {
    check_details(d)?;
    let max = d.max_commission_bps.unwrap_or(MAX_COMMISSION_BPS);
    if max > MAX_COMMISSION_BPS || commission_bps > max {
        return Err(TxError::INVALID_REQUEST(format!(
            "commission {commission_bps} bps above its max {max} bps, or the max above 100 %"
        )));
    }
    if d.max_commission_change_bps.is_some_and(|c| c > max) {
        return Err(TxError::INVALID_REQUEST(
            "commission max change above the max rate",
        ));
    }
    Ok(())
}

/// A `min_self_delegation` pol can honour: positive, and not above the chain's minimum.
fn check_min_self_delegation<S: StakingRead + ?Sized>(state: &S, s: &str) -> Result<(), TxError> {
    let min = parse_amount(s).filter(|m| *m > 0).ok_or_else(|| {
        TxError::INVALID_REQUEST(format!(
            "min_self_delegation {s:?} must be a positive integer"
        ))
    })?;
    let chain_min = state.staking_params()?.min_self_bond;
    if min > chain_min {
        return Err(TxError::INVALID_REQUEST(format!(
            "min_self_delegation {min} is above the chain's min_self_bond {chain_min}: pol \
             enforces that one minimum for every validator and would not keep a higher one"
        )));
    }
    Ok(())
}

fn ed25519_key(any: Option<&tendermint_proto::google::protobuf::Any>) -> Result<[u8; 32], TxError> {
    let any = any.ok_or_else(|| TxError::INVALID_PUBKEY("consensus pubkey is required"))?;
    if any.type_url != "/cosmos.crypto.ed25519.PubKey" {
        return Err(TxError::INVALID_PUBKEY(format!(
            "consensus pubkey type {:?} is not supported; CometBFT here validates with \
             /cosmos.crypto.ed25519.PubKey",
            any.type_url
        )));
    }
    let key = PubKey::decode(any.value.as_slice())
        .map_err(|e| TxError::INVALID_PUBKEY(format!("consensus pubkey: {e}")))?;
    parse_consensus_pubkey(&key.key)
}

pub fn execute_create_validator<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
    m: &sdk::MsgCreateValidator,
) -> Result<Vec<Event>, TxError> {
    let op = parse_valoper(&m.validator_address)?;
    // Deprecated in the SDK (the operator signs), still sent by older clients.
    #[allow(deprecated)]
    let delegator = &m.delegator_address;
    if !delegator.is_empty() && Address::parse(delegator)? != op {
        return Err(TxError::INVALID_REQUEST(
            "delegator_address, when given, must be the operator's account",
        ));
    }
    let pubkey = ed25519_key(m.pubkey.as_ref())?;
    let description = m.description.clone().unwrap_or_default();
    validate_moniker(&description.moniker)?;
    let rates = m
        .commission
        .as_ref()
        .ok_or_else(|| TxError::INVALID_REQUEST("commission rates are required"))?;
    let rate = rate_bps(&rates.rate, "commission rate")?;
    let max_rate = rate_bps(&rates.max_rate, "commission max rate")?;
    let max_change = rate_bps(&rates.max_change_rate, "commission max change rate")?;
    if rate > max_rate {
        return Err(TxError::INVALID_REQUEST(
            "commission rate cannot be more than the max rate",
        ));
    }
    if max_change > max_rate {
        return Err(TxError::INVALID_REQUEST(
            "commission max change rate cannot be more than the max rate",
        ));
    }
    check_min_self_delegation(state, &m.min_self_delegation)?;
    let details = ValidatorDetails {
        identity: description.identity,
        website: description.website,
        security_contact: description.security_contact,
        details: description.details,
        max_commission_bps: Some(max_rate),
        max_commission_change_bps: Some(max_change),
        commission_update_time_unix_nanos: Some(block_time(ctx)),
    };
    check_details(&details)?;
    let params = state.staking_params()?;
    let amount = bond_amount(m.value.as_ref(), &params)?;
    atomic(state, |s| {
        let events = create_validator(
            s,
            ctx,
            hooks,
            op,
            pubkey,
            &description.moniker,
            rate,
            amount,
        )?;
        let mut val = s
            .validator(&op)?
            .ok_or_else(|| TxError::INTERNAL("the validator just created is gone"))?;
        val.details = Some(details);
        s.put_validator(&val)?;
        Ok(events)
    })
}

/// `new` unless it is the SDK's do-not-modify sentinel.
fn edited(old: &str, new: &str) -> String {
    if new == DO_NOT_MODIFY {
        old.to_string()
    } else {
        new.to_string()
    }
}

pub fn execute_edit_validator<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &sdk::MsgEditValidator,
) -> Result<Vec<Event>, TxError> {
    let op = parse_valoper(&m.validator_address)?;
    let mut val = state.validator(&op)?.ok_or_else(|| {
        TxError::UNKNOWN_ADDRESS(format!("validator {} does not exist", valoper_string(&op)))
    })?;
    if m.description.is_none() && m.commission_rate.is_empty() && m.min_self_delegation.is_empty() {
        return Err(TxError::INVALID_REQUEST(
            "nothing to edit: give a description, a commission rate or a min self-delegation",
        ));
    }
    let mut details = val.details.clone().unwrap_or_default();
    let mut event = Event::new("edit_validator").attr("validator", valoper_string(&op));
    if let Some(d) = &m.description {
        let moniker = edited(&val.moniker, &d.moniker);
        validate_moniker(&moniker)?;
        val.moniker = moniker;
        details.identity = edited(&details.identity, &d.identity);
        details.website = edited(&details.website, &d.website);
        details.security_contact = edited(&details.security_contact, &d.security_contact);
        details.details = edited(&details.details, &d.details);
        check_details(&details)?;
    }
    if !m.commission_rate.is_empty() {
        let rate = rate_bps(&m.commission_rate, "commission rate")?;
        // A validator that declared no max (made by pol's own message, or in genesis) keeps
        // the rate its delegators joined at as its max: it may lower it, and raise it again
        // up to there, never above.
        let max = *details.max_commission_bps.get_or_insert(val.commission_bps);
        if rate > max {
            return Err(TxError::INVALID_REQUEST(format!(
                "commission rate {rate} bps is above the validator's max rate {max} bps"
            )));
        }
        // As in the SDK, the max change bounds a raise; a cut may be of any size.
        let raise = rate.saturating_sub(val.commission_bps);
        if let Some(max) = details.max_commission_change_bps.filter(|max| raise > *max) {
            return Err(TxError::INVALID_REQUEST(format!(
                "a commission raise of {raise} bps is above the validator's max change rate {max} bps"
            )));
        }
        if let Some(last) = details.commission_update_time_unix_nanos {
            if block_time(ctx).saturating_sub(last) < COMMISSION_CHANGE_INTERVAL_NANOS {
                return Err(TxError::INVALID_REQUEST(
                    "commission cannot be changed more than once in 24h",
                ));
            }
        }
        val.commission_bps = rate;
        details.commission_update_time_unix_nanos = Some(block_time(ctx));
        event = event.attr("commission_rate", m.commission_rate.clone());
    }
    if !m.min_self_delegation.is_empty() {
        check_min_self_delegation(state, &m.min_self_delegation)?;
        event = event.attr("min_self_delegation", m.min_self_delegation.clone());
    }
    val.details = Some(details);
    state.put_validator(&val)?;
    Ok(vec![event])
}

/// Take back `amount` of an unbonding entry (the delegator's from this validator, begun at
/// `creation_height`; of two begun in one block, the first): the tokens leave
/// `not_bonded_pool` and are bonded to the validator again as a delegation, at its current
/// exchange rate, and the entry shrinks by them (balance and initial balance, so what it
/// answers for in a later slash shrinks in step) or goes. As in the SDK, an entry that has
/// matured, or a jailed validator, cannot take it; and what a slash already took from the
/// entry cannot be taken back.
pub fn execute_cancel_unbonding<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    hooks: &dyn StakingHooks,
    m: &sdk::MsgCancelUnbondingDelegation,
) -> Result<Vec<Event>, TxError> {
    let delegator = Address::parse(&m.delegator_address)?;
    let op = parse_valoper(&m.validator_address)?;
    let params = state.staking_params()?;
    let amount = bond_amount(m.amount.as_ref(), &params)?;
    let creation_height = u64::try_from(m.creation_height)
        .ok()
        .filter(|h| *h > 0)
        .ok_or_else(|| TxError::INVALID_REQUEST("creation height must be positive"))?;
    atomic(state, |s| {
        let mut val = s.validator(&op)?.ok_or_else(|| {
            TxError::UNKNOWN_ADDRESS(format!("validator {} does not exist", valoper_string(&op)))
        })?;
        if val.jailed {
            return Err(TxError::INVALID_REQUEST(format!(
                "validator {} is jailed: an unbonding cannot be cancelled back into it",
                valoper_string(&op)
            )));
        }
        let mut entry = unbonding_entries(s, &delegator)?
            .into_iter()
            .filter(|e| e.validator == op && e.creation_height == creation_height)
            .min_by_key(|e| e.id)
            .ok_or_else(|| {
                TxError::INVALID_REQUEST(format!(
                    "no unbonding of {delegator} from {} begun at height {creation_height}",
                    valoper_string(&op)
                ))
            })?;
        if entry.completion_height <= ctx.height {
            return Err(TxError::INVALID_REQUEST(
                "the unbonding has completed; its tokens are being paid out",
            ));
        }
        if amount > entry.amount {
            return Err(TxError::INVALID_REQUEST(format!(
                "amount {amount} is greater than the unbonding entry's balance {}",
                entry.amount
            )));
        }
        let coins = [Coin::new(params.bond_denom.clone(), amount)];
        let mut events = s.send_coins(&not_bonded_pool(), &delegator, &coins)?;
        let (_, bonded) = bond(s, ctx, hooks, &params, &mut val, &delegator, amount)?;
        events.extend(bonded);
        s.remove_unbonding(&entry);
        if amount < entry.amount {
            entry.amount -= amount;
            entry.initial_amount = entry.initial_amount.saturating_sub(amount);
            s.put_unbonding(&entry);
        }
        events.push(
            Event::new("cancel_unbonding_delegation")
                .attr("validator", valoper_string(&op))
                .attr("delegator", delegator.to_string())
                .attr("amount", format!("{amount}{}", params.bond_denom))
                .attr("creation_height", creation_height.to_string()),
        );
        Ok(events)
    })
}

/// A delegator's unbonding entries.
fn unbonding_entries<S: StakingRead + ?Sized>(
    state: &S,
    delegator: &Address,
) -> Result<Vec<UnbondingEntry>, TxError> {
    let mut out = Vec::new();
    for (k, _) in pol_component::state::scan(state, &state_key::unbondings_of(delegator))? {
        let (h, id) = state_key::unbonding_suffix(&k)
            .ok_or_else(|| TxError::INTERNAL("staking unbonding index key"))?;
        if let Some(e) = state.unbonding_entry(h, id)? {
            out.push(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{
        addr, check_invariants, coin, create, ctx, delegate, pubkey, settle, setup, undelegate,
        State, M,
    };
    use crate::{not_bonded_pool, Slashing, ValidatorRef};
    use pol_bank::BankRead;
    use pol_component::error::code;

    const HOUR: i128 = 3600 * 1_000_000_000;
    /// 0.0001 as LegacyDec atomics.
    const BPS: u128 = ATOMICS_PER_BPS;

    fn at(height: u64, time: i128) -> BlockContext {
        BlockContext {
            time_unix_nanos: time,
            ..ctx(height)
        }
    }

    fn ed25519_any(seed: u8) -> tendermint_proto::google::protobuf::Any {
        tendermint_proto::google::protobuf::Any {
            type_url: "/cosmos.crypto.ed25519.PubKey".into(),
            value: PubKey {
                key: pubkey(seed).to_vec(),
            }
            .encode_to_vec(),
        }
    }

    /// Operator 2: 5 % now, at most 20 %, moving at most 1 % a change.
    fn sdk_create(op: u8) -> sdk::MsgCreateValidator {
        #[allow(deprecated)]
        sdk::MsgCreateValidator {
            description: Some(sdk::Description {
                moniker: "two".into(),
                identity: "ABCD1234".into(),
                website: "https://two.example".into(),
                security_contact: "sec@two.example".into(),
                details: "the second".into(),
            }),
            commission: Some(sdk::CommissionRates {
                rate: (500 * BPS).to_string(),
                max_rate: (2_000 * BPS).to_string(),
                max_change_rate: (100 * BPS).to_string(),
            }),
            min_self_delegation: "1".into(),
            delegator_address: String::new(),
            validator_address: valoper_string(&addr(op)),
            pubkey: Some(ed25519_any(op)),
            value: coin(5 * M),
        }
    }

    fn edit(op: u8, rate_bps: Option<u128>) -> sdk::MsgEditValidator {
        sdk::MsgEditValidator {
            description: None,
            validator_address: valoper_string(&addr(op)),
            commission_rate: rate_bps.map(|b| (b * BPS).to_string()).unwrap_or_default(),
            min_self_delegation: String::new(),
        }
    }

    fn validator(s: &State, op: u8) -> crate::Validator {
        s.validator(&addr(op)).unwrap().unwrap()
    }

    #[test]
    fn an_sdk_create_validator_keeps_its_description_and_commission_limits() {
        let mut s = setup(100 * M);
        let events =
            execute_create_validator(&mut s, &at(1, 7 * HOUR), &crate::NoHooks, &sdk_create(2))
                .unwrap();
        assert!(events.iter().any(|e| e.kind == "create_validator"));
        let v = validator(&s, 2);
        assert_eq!(v.moniker, "two");
        assert_eq!(v.commission_bps, 500);
        assert_eq!(v.tokens, 5 * M);
        assert_eq!(v.consensus_pubkey, pubkey(2));
        let d = v.details.unwrap();
        assert_eq!(d.website, "https://two.example");
        assert_eq!(d.identity, "ABCD1234");
        assert_eq!(d.max_commission_bps, Some(2_000));
        assert_eq!(d.max_commission_change_bps, Some(100));
        assert_eq!(d.commission_update_time_unix_nanos, Some(7 * HOUR as u64));
        check_invariants(&s);
    }

    #[test]
    fn sdk_create_validator_rejections_write_nothing() {
        let mut s = setup(100 * M);
        create(&mut s, 1, 1, 10 * M).unwrap();
        let mut s = settle(s);
        let before = s.writes().clone();
        let with = |f: &dyn Fn(&mut sdk::MsgCreateValidator)| {
            let mut m = sdk_create(2);
            f(&mut m);
            m
        };
        let rates = |m: &mut sdk::MsgCreateValidator| m.commission.as_mut().unwrap().clone();
        let cases: Vec<(&str, sdk::MsgCreateValidator, u32)> = vec![
            (
                "a secp256k1 consensus key",
                with(&|m| {
                    m.pubkey.as_mut().unwrap().type_url = "/cosmos.crypto.secp256k1.PubKey".into()
                }),
                code::INVALID_PUBKEY,
            ),
            (
                "no consensus key",
                with(&|m| m.pubkey = None),
                code::INVALID_PUBKEY,
            ),
            (
                "a key already used",
                with(&|m| m.pubkey = Some(ed25519_any(1))),
                code::INVALID_REQUEST,
            ),
            (
                "no commission",
                with(&|m| m.commission = None),
                code::INVALID_REQUEST,
            ),
            (
                "rate above max rate",
                with(&|m| {
                    let mut r = rates(m);
                    r.rate = (2_001 * BPS).to_string();
                    m.commission = Some(r);
                }),
                code::INVALID_REQUEST,
            ),
            (
                "max change above max rate",
                with(&|m| {
                    let mut r = rates(m);
                    r.max_change_rate = (2_001 * BPS).to_string();
                    m.commission = Some(r);
                }),
                code::INVALID_REQUEST,
            ),
            (
                "a rate that is not whole bps",
                with(&|m| {
                    let mut r = rates(m);
                    r.rate = (500 * BPS + 1).to_string();
                    m.commission = Some(r);
                }),
                code::INVALID_REQUEST,
            ),
            (
                "a max rate above 100 %",
                with(&|m| {
                    let mut r = rates(m);
                    r.max_rate = (10_001 * BPS).to_string();
                    m.commission = Some(r);
                }),
                code::INVALID_REQUEST,
            ),
            (
                "a rate in decimal form, not atomics",
                with(&|m| {
                    let mut r = rates(m);
                    r.rate = "0.05".into();
                    m.commission = Some(r);
                }),
                code::INVALID_REQUEST,
            ),
            (
                "min_self_delegation above the chain's",
                with(&|m| m.min_self_delegation = (M + 1).to_string()),
                code::INVALID_REQUEST,
            ),
            (
                "min_self_delegation zero",
                with(&|m| m.min_self_delegation = "0".into()),
                code::INVALID_REQUEST,
            ),
            (
                "another account as delegator",
                #[allow(deprecated)]
                with(&|m| m.delegator_address = addr(3).to_string()),
                code::INVALID_REQUEST,
            ),
            (
                "a website too long",
                with(&|m| m.description.as_mut().unwrap().website = "w".repeat(141)),
                code::INVALID_REQUEST,
            ),
            (
                "an empty moniker",
                with(&|m| m.description = None),
                code::INVALID_REQUEST,
            ),
            (
                "a self-bond below the minimum",
                with(&|m| m.value = coin(M - 1)),
                code::INVALID_REQUEST,
            ),
            (
                "an operator that exists",
                with(&|m| m.validator_address = valoper_string(&addr(1))),
                code::INVALID_REQUEST,
            ),
        ];
        for (what, m, want) in cases {
            let e = execute_create_validator(&mut s, &at(1, HOUR), &crate::NoHooks, &m)
                .expect_err(what);
            assert_eq!(e.code, want, "{what}: {}", e.log);
            assert_eq!(s.writes(), &before, "{what} wrote");
        }
    }

    #[test]
    fn edits_follow_the_sdk_commission_rules() {
        let mut s = setup(100 * M);
        let t0 = 10 * HOUR;
        execute_create_validator(&mut s, &at(1, t0), &crate::NoHooks, &sdk_create(2)).unwrap();

        // A validator cannot move its commission twice within 24 hours (no front-running
        // of a reward allocation with a raise and a cut), ...
        let e = execute_edit_validator(&mut s, &at(2, t0 + 23 * HOUR), &edit(2, Some(550)))
            .unwrap_err();
        assert!(e.log.contains("24h"), "{}", e.log);
        let later = at(3, t0 + 25 * HOUR);
        // ... by more than the max change it promised, ...
        let e = execute_edit_validator(&mut s, &later, &edit(2, Some(601))).unwrap_err();
        assert!(e.log.contains("max change rate"), "{}", e.log);
        // ... or above its max rate (with a wide max change, the max rate binds).
        let mut v = validator(&s, 2);
        v.details.as_mut().unwrap().max_commission_change_bps = Some(2_000);
        s.put_validator(&v).unwrap();
        let e = execute_edit_validator(&mut s, &later, &edit(2, Some(2_001))).unwrap_err();
        assert!(e.log.contains("max rate"), "{}", e.log);
        assert_eq!(validator(&s, 2).commission_bps, 500);

        execute_edit_validator(&mut s, &later, &edit(2, Some(600))).unwrap();
        let v = validator(&s, 2);
        assert_eq!(v.commission_bps, 600);
        assert_eq!(
            v.details.unwrap().commission_update_time_unix_nanos,
            Some((t0 + 25 * HOUR) as u64)
        );

        // The description: "[do-not-modify]" keeps a field, anything else replaces it.
        let m = sdk::MsgEditValidator {
            description: Some(sdk::Description {
                moniker: "deux".into(),
                identity: DO_NOT_MODIFY.into(),
                website: String::new(),
                security_contact: DO_NOT_MODIFY.into(),
                details: DO_NOT_MODIFY.into(),
            }),
            ..edit(2, None)
        };
        execute_edit_validator(&mut s, &at(4, t0 + 26 * HOUR), &m).unwrap();
        let v = validator(&s, 2);
        assert_eq!(v.moniker, "deux");
        assert_eq!(v.commission_bps, 600);
        let d = v.details.unwrap();
        assert_eq!((d.identity.as_str(), d.website.as_str()), ("ABCD1234", ""));

        // What cannot be edited is refused.
        let unknown = execute_edit_validator(&mut s, &later, &edit(7, Some(1))).unwrap_err();
        assert_eq!(unknown.code, code::UNKNOWN_ADDRESS);
        let higher_min = sdk::MsgEditValidator {
            min_self_delegation: (M + 1).to_string(),
            ..edit(2, None)
        };
        assert_eq!(
            execute_edit_validator(&mut s, &later, &higher_min)
                .unwrap_err()
                .code,
            code::INVALID_REQUEST
        );

        // A validator made by pol's own message (5 %) declared no max: its delegators joined
        // at 5 %, so it may never go above (no jump to 100 % on them); a cut starts the
        // 24-hour clock, and it may raise back up to its old rate, not past it.
        create(&mut s, 3, 3, 5 * M).unwrap();
        let e = execute_edit_validator(&mut s, &at(5, HOUR), &edit(3, Some(10_000))).unwrap_err();
        assert!(e.log.contains("max rate 500"), "{}", e.log);
        execute_edit_validator(&mut s, &at(5, HOUR), &edit(3, Some(100))).unwrap();
        assert_eq!(validator(&s, 3).commission_bps, 100);
        assert_eq!(
            validator(&s, 3).details.unwrap().max_commission_bps,
            Some(500)
        );
        let e = execute_edit_validator(&mut s, &at(6, 2 * HOUR), &edit(3, Some(500))).unwrap_err();
        assert!(e.log.contains("24h"), "{}", e.log);
        let day_later = at(7, 26 * HOUR);
        let e = execute_edit_validator(&mut s, &day_later, &edit(3, Some(501))).unwrap_err();
        assert!(e.log.contains("max rate 500"), "{}", e.log);
        execute_edit_validator(&mut s, &day_later, &edit(3, Some(500))).unwrap();

        // A cut may be of any size (the max change bounds raises, as in the SDK).
        let mut v = validator(&s, 2);
        v.details.as_mut().unwrap().max_commission_change_bps = Some(100);
        s.put_validator(&v).unwrap();
        execute_edit_validator(&mut s, &at(8, t0 + 60 * HOUR), &edit(2, Some(0))).unwrap();
        assert_eq!(validator(&s, 2).commission_bps, 0);

        // An edit that changes nothing is refused, and writes nothing.
        let e = execute_edit_validator(&mut s, &at(9, t0 + 90 * HOUR), &edit(2, None)).unwrap_err();
        assert!(e.log.contains("nothing to edit"), "{}", e.log);
        check_invariants(&s);
    }

    fn cancel(del: u8, op: u8, amount: u128, height: i64) -> sdk::MsgCancelUnbondingDelegation {
        sdk::MsgCancelUnbondingDelegation {
            delegator_address: addr(del).to_string(),
            validator_address: valoper_string(&addr(op)),
            amount: coin(amount),
            creation_height: height,
        }
    }

    fn entries(s: &State, del: u8) -> Vec<(u64, u128, u128)> {
        unbonding_entries(s, &addr(del))
            .unwrap()
            .into_iter()
            .map(|e| (e.creation_height, e.amount, e.initial_amount))
            .collect()
    }

    fn worth(s: &State, del: u8, op: u8) -> u128 {
        let v = validator(s, op);
        let d = s.delegation(&addr(del), &addr(op)).unwrap().unwrap();
        crate::math::tokens_for_shares(d.shares, v.tokens, v.delegator_shares)
    }

    #[test]
    fn cancelling_an_unbonding_bonds_it_again_in_part_or_whole() {
        let mut s = setup(100 * M);
        create(&mut s, 1, 1, 10 * M).unwrap();
        delegate(&mut s, 5, 1, 6 * M).unwrap();
        undelegate(&mut s, 3, 5, 1, 4 * M).unwrap();
        assert_eq!(worth(&s, 5, 1), 2 * M);
        let tokens = validator(&s, 1).tokens;

        // A part: the entry keeps the rest, the delegation and the validator gain the part.
        let events =
            execute_cancel_unbonding(&mut s, &ctx(5), &crate::NoHooks, &cancel(5, 1, M, 3))
                .unwrap();
        assert!(events
            .iter()
            .any(|e| e.kind == "cancel_unbonding_delegation"));
        assert_eq!(entries(&s, 5), vec![(3, 3 * M, 3 * M)]);
        assert_eq!(worth(&s, 5, 1), 3 * M);
        assert_eq!(validator(&s, 1).tokens, tokens + M);
        assert_eq!(s.balance(&not_bonded_pool(), "upol").unwrap(), 3 * M);
        check_invariants(&s);

        // The rest: the entry is gone, nothing is left unbonding.
        execute_cancel_unbonding(&mut s, &ctx(6), &crate::NoHooks, &cancel(5, 1, 3 * M, 3))
            .unwrap();
        assert!(entries(&s, 5).is_empty());
        assert_eq!(worth(&s, 5, 1), 6 * M);
        assert_eq!(s.balance(&not_bonded_pool(), "upol").unwrap(), 0);
        // Nothing matures later: the end block pays no one.
        let before = s.balance(&addr(5), "upol").unwrap();
        crate::end_block(&mut s, &ctx(13)).unwrap();
        assert_eq!(s.balance(&addr(5), "upol").unwrap(), before);
        check_invariants(&s);
    }

    #[test]
    fn cancel_rejections_write_nothing() {
        let mut s = setup(100 * M);
        create(&mut s, 1, 1, 10 * M).unwrap();
        create(&mut s, 2, 2, 10 * M).unwrap();
        delegate(&mut s, 5, 1, 6 * M).unwrap();
        undelegate(&mut s, 3, 5, 1, 4 * M).unwrap();
        // A 50 % slash for an infraction at height 3, when the unbonding began: the entry
        // answers for it, and half of it is gone.
        s.slash_infraction(
            &ctx(4),
            &crate::NoHooks,
            ValidatorRef::Operator(addr(1)),
            3,
            &pol_component::Dec::with_decimals(5, 1),
            "test",
        )
        .unwrap();
        assert_eq!(entries(&s, 5), vec![(3, 2 * M, 4 * M)]);
        let mut s = settle(s);
        let before = s.writes().clone();
        let cases: Vec<(&str, sdk::MsgCancelUnbondingDelegation, u32)> = vec![
            // What the slash took cannot be taken back.
            (
                "more than the slashed entry holds",
                cancel(5, 1, 2 * M + 1, 3),
                code::INVALID_REQUEST,
            ),
            ("another height", cancel(5, 1, M, 2), code::INVALID_REQUEST),
            (
                "another validator",
                cancel(5, 2, M, 3),
                code::INVALID_REQUEST,
            ),
            (
                "another delegator's entry",
                cancel(6, 1, M, 3),
                code::INVALID_REQUEST,
            ),
            (
                "an unknown validator",
                cancel(5, 7, M, 3),
                code::UNKNOWN_ADDRESS,
            ),
            ("nothing", cancel(5, 1, 0, 3), code::INVALID_COINS),
            (
                "a height of zero",
                cancel(5, 1, M, 0),
                code::INVALID_REQUEST,
            ),
            (
                "a negative height",
                cancel(5, 1, M, -3),
                code::INVALID_REQUEST,
            ),
            (
                "another denom",
                sdk::MsgCancelUnbondingDelegation {
                    amount: Some(Coin::new("uatom", M).to_proto()),
                    ..cancel(5, 1, M, 3)
                },
                code::INVALID_COINS,
            ),
        ];
        for (what, m, want) in cases {
            let e = execute_cancel_unbonding(&mut s, &ctx(5), &crate::NoHooks, &m).expect_err(what);
            assert_eq!(e.code, want, "{what}: {}", e.log);
            assert_eq!(s.writes(), &before, "{what} wrote");
        }
        // Matured (at its completion height it is paid at the block's end).
        let done = 3 + crate::tests::test_params().unbonding_blocks;
        let e = execute_cancel_unbonding(&mut s, &ctx(done), &crate::NoHooks, &cancel(5, 1, M, 3))
            .unwrap_err();
        assert!(e.log.contains("completed"), "{}", e.log);
        // A jailed validator takes nothing back.
        let mut v = validator(&s, 1);
        v.jailed = true;
        s.put_validator(&v).unwrap();
        let e = execute_cancel_unbonding(&mut s, &ctx(5), &crate::NoHooks, &cancel(5, 1, M, 3))
            .unwrap_err();
        assert!(e.log.contains("jailed"), "{}", e.log);
    }
}
