//! Bank's invariants: no zero balance is stored, and the stored supply of every denom is
//! the sum of its balances.

use std::collections::{BTreeMap, BTreeSet};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_component::coins::parse_amount;
use pol_component::state::scan;
use pol_component::Address;
use pol_store::{StateRead, StoreError};
use prost::Message;

use crate::state_key;

pub fn invariants(state: &dyn StateRead, _height: u64) -> Result<Vec<String>, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(format!("bank invariants: {what}"));
    let amount = |v: &[u8]| -> Result<(String, u128), StoreError> {
        let c = ProtoCoin::decode(v).map_err(|e| corrupt(e.to_string()))?;
        let a = parse_amount(&c.amount).ok_or_else(|| corrupt(format!("amount {:?}", c.amount)))?;
        Ok((c.denom, a))
    };
    let mut broken = Vec::new();
    let mut sums: BTreeMap<String, u128> = BTreeMap::new();
    for (k, v) in scan(state, state_key::BALANCE_PREFIX)? {
        let (denom, a) = amount(&v)?;
        if a == 0 {
            // Corrupt state is reported, never a panic: the key may be short.
            let holder = k
                .get(state_key::BALANCE_PREFIX.len()..)
                .and_then(|rest| rest.get(..20))
                .and_then(Address::from_slice)
                .map(|a| a.to_string())
                .unwrap_or_default();
            broken.push(format!("a zero balance of {denom} is stored for {holder}"));
        }
        let sum = sums.entry(denom).or_default();
        *sum = sum.saturating_add(a);
    }
    let mut supplies: BTreeMap<String, u128> = BTreeMap::new();
    for (_, v) in scan(state, state_key::SUPPLY_PREFIX)? {
        let (denom, a) = amount(&v)?;
        supplies.insert(denom, a);
    }
    let denoms: BTreeSet<&String> = sums.keys().chain(supplies.keys()).collect();
    for denom in denoms {
        let (sum, supply) = (
            sums.get(denom).copied().unwrap_or(0),
            supplies.get(denom).copied().unwrap_or(0),
        );
        if sum != supply {
            broken.push(format!(
                "supply of {denom} is {supply}, its balances sum to {sum}"
            ));
        }
    }
    Ok(broken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BankRead, BankWrite};
    use pol_component::coins::Coin;
    use pol_store::{MemState, StateDelta, StateWriteExt};

    #[test]
    fn a_balance_without_supply_and_a_stored_zero_are_reported() {
        let mut s = StateDelta::new(MemState::default());
        let a = Address([1; 20]);
        s.mint(&a, &[Coin::new("upol", 10)]).unwrap();
        assert_eq!(invariants(&s, 1).unwrap(), Vec::<String>::new());
        // Coins that appear without being minted.
        s.set_balance(&Address([2; 20]), "upol", 5);
        assert_eq!(s.supply_of("upol").unwrap(), 10);
        let broken = invariants(&s, 1).unwrap();
        assert_eq!(broken, ["supply of upol is 10, its balances sum to 15"]);
        // A zero stored instead of deleted.
        let zero = ProtoCoin {
            denom: "uatom".into(),
            amount: "0".into(),
        };
        s.put_proto(state_key::balance(&a, "uatom"), &zero);
        let broken = invariants(&s, 1).unwrap();
        assert!(
            broken.iter().any(|b| b.contains("zero balance of uatom")),
            "{broken:?}"
        );
    }
}
