//! Distribution's invariants (the SDK's `x/distribution` ones): the module account holds
//! exactly every validator's outstanding rewards plus the community pool; no outstanding
//! reward is negative and each covers its commission; every closed period is referred to by
//! exactly the delegations that start after it, the slash events that end it and the next
//! period; every delegation has a starting info.

use std::collections::BTreeMap;

use pol_bank::BankRead;
use pol_component::{Address, DecCoins};
use pol_staking::StakingRead;
use pol_store::{StateRead, StoreError};

use crate::state_key;
use crate::view::DistributionRead;

pub fn invariants(state: &dyn StateRead, _height: u64) -> Result<Vec<String>, StoreError> {
    let mut broken = Vec::new();
    let mut owed = state.community_pool()?;
    let mut refs: BTreeMap<(Address, u64), u32> = BTreeMap::new();
    for val in state.all_validators()? {
        let op = val.operator;
        let (Some(outstanding), Some(commission), Some((_, period))) = (
            state.outstanding_rewards(&op)?,
            state.accumulated_commission(&op)?,
            state.current_rewards(&op)?,
        ) else {
            broken.push(format!("validator {op} has no reward records"));
            continue;
        };
        if outstanding.sub(&commission).is_err() {
            broken.push(format!(
                "validator {op}: commission exceeds outstanding rewards"
            ));
        }
        owed = match owed.add(&outstanding) {
            Ok(o) => o,
            Err(e) => {
                broken.push(format!("outstanding rewards overflow: {e}"));
                DecCoins::zero()
            }
        };
        // The period before the current one is referred to by the current one.
        *refs.entry((op, period.saturating_sub(1))).or_default() += 1;
        for d in state.delegations_to(&op)? {
            match state.starting_info(&op, &d.delegator)? {
                Some(info) => *refs.entry((op, info.previous_period)).or_default() += 1,
                None => broken.push(format!(
                    "delegation of {} to {op} has no starting info",
                    d.delegator
                )),
            }
        }
        for e in state.slash_events(&op, 0, u64::MAX)? {
            *refs.entry((op, e.validator_period)).or_default() += 1;
        }
        let prefix = state_key::historical_of(&op);
        for (k, _) in pol_component::state::scan(state, &prefix)? {
            let Some(p) = k
                .get(prefix.len()..)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
            else {
                broken.push(format!("bad historical rewards key of {op}"));
                continue;
            };
            let (_, count) = state.historical_rewards(&op, p)?.unwrap_or_default();
            let want = refs.remove(&(op, p)).unwrap_or(0);
            if count != want {
                broken.push(format!(
                    "validator {op} period {p}: reference count {count}, referred to {want} times"
                ));
            }
        }
    }
    for ((op, p), n) in refs {
        broken.push(format!(
            "validator {op} period {p} is referred to {n} times but not stored"
        ));
    }
    // The module account holds exactly what is owed (the sum is whole: only whole tokens
    // ever enter or leave, and the fractions move between records).
    let (whole, fraction) = match owed.truncate_decimal() {
        Ok(x) => x,
        Err(e) => {
            broken.push(format!("owed rewards: {e}"));
            return Ok(broken);
        }
    };
    if !fraction.is_zero() {
        broken.push(format!(
            "outstanding rewards and the pool sum to a fraction: {fraction:?}"
        ));
    }
    let held = state.all_balances(&crate::module_account())?;
    if held != whole {
        broken.push(format!(
            "the distribution account holds {held:?}, outstanding rewards and the community pool sum to {whole:?}"
        ));
    }
    Ok(broken)
}
