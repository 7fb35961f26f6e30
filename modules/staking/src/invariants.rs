//! Staking's invariants: the two pools hold exactly what the records say they back, every
//! validator's delegator shares are its delegations' (worth no more than its tokens),
//! BONDED is exactly the set CometBFT was given, the power and status indexes are in step
//! with the records, and nothing that matured is still waiting.

use std::collections::{BTreeMap, BTreeSet};

use pol_bank::BankRead;
use pol_store::{StateRead, StoreError};

use crate::types::valoper_string;
use crate::{bonded_pool, not_bonded_pool, BondStatus, StakingRead};
use crate::{math, state_key};

pub fn invariants(state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
    let mut broken = Vec::new();
    let denom = state.staking_params()?.bond_denom;
    let vals = state.all_validators()?;
    let tokens = vals.iter().fold(0u128, |s, v| s.saturating_add(v.tokens));
    let bonded = state.balance(&bonded_pool(), &denom)?;
    if bonded != tokens {
        broken.push(format!(
            "bonded_pool holds {bonded}{denom}, validators' tokens sum to {tokens}{denom}"
        ));
    }
    let unbondings = state.all_unbondings()?;
    let unbonding = unbondings
        .iter()
        .fold(0u128, |s, e| s.saturating_add(e.amount));
    let not_bonded = state.balance(&not_bonded_pool(), &denom)?;
    if not_bonded != unbonding {
        broken.push(format!(
            "not_bonded_pool holds {not_bonded}{denom}, unbonding entries sum to \
             {unbonding}{denom}"
        ));
    }
    for e in unbondings.iter().filter(|e| e.completion_height <= height) {
        broken.push(format!(
            "unbonding entry {} completed at height {} but was not paid out",
            e.id, e.completion_height
        ));
    }
    let mut shares: BTreeMap<_, u128> = BTreeMap::new();
    for d in state.all_delegations()? {
        let s = shares.entry(d.validator).or_default();
        *s = s.saturating_add(d.shares);
    }
    let in_set: BTreeSet<_> = state.last_powers()?.into_iter().map(|(op, _)| op).collect();
    for v in &vals {
        let op = valoper_string(&v.operator);
        let delegated = shares.get(&v.operator).copied().unwrap_or(0);
        if delegated != v.delegator_shares {
            broken.push(format!(
                "{op} has {} delegator shares, its delegations sum to {delegated}",
                v.delegator_shares
            ));
        }
        let worth = state
            .delegations_to(&v.operator)?
            .iter()
            .map(|d| math::tokens_for_shares(d.shares, v.tokens, v.delegator_shares))
            .fold(0u128, u128::saturating_add);
        if worth > v.tokens {
            broken.push(format!(
                "{op}'s delegations are worth {worth}, it holds {} tokens",
                v.tokens
            ));
        }
        let status_key = state_key::validator_by_status(v.status as i32, &v.operator);
        if state.get_raw(&status_key)?.is_none() {
            broken.push(format!("{op} is missing from the {:?} index", v.status));
        }
        if (v.status == BondStatus::Bonded) != in_set.contains(&v.operator) {
            broken.push(format!(
                "{op} is {:?} but {} the validator set",
                v.status,
                if in_set.contains(&v.operator) {
                    "in"
                } else {
                    "not in"
                }
            ));
        }
        if v.status == BondStatus::Unbonding && v.unbonding_completion_height <= height {
            broken.push(format!(
                "{op} finished unbonding at height {} but is still unbonding",
                v.unbonding_completion_height
            ));
        }
    }
    let mut candidates: Vec<_> = vals.iter().filter(|v| v.is_candidate()).cloned().collect();
    candidates.sort_by(|a, b| b.tokens.cmp(&a.tokens).then(a.operator.cmp(&b.operator)));
    if state.validators_by_power(usize::MAX)? != candidates {
        broken.push("the power index is out of step with the validators".into());
    }
    Ok(broken)
}
