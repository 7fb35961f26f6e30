//! `bank` genesis: initial balances. The supply is derived from them and, when given,
//! must match.

use pol_component::ModuleGenesis;
use std::collections::BTreeMap;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use pol_component::coins::{parse_coins, Coin};
use pol_component::{Address, BlockContext, TxError};
use pol_store::{StateRead, StateWrite};
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::{BankRead, BankWrite};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub balances: Vec<GenesisBalance>,
    /// Total supply; empty means "the sum of the balances".
    pub supply: Vec<JsonCoin>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisBalance {
    pub address: String,
    pub coins: Vec<JsonCoin>,
}

/// A coin as Cosmos JSON writes it: the amount is a decimal string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCoin {
    pub denom: String,
    pub amount: String,
}

impl From<&Coin> for JsonCoin {
    fn from(c: &Coin) -> Self {
        JsonCoin {
            denom: c.denom.clone(),
            amount: c.amount.to_string(),
        }
    }
}

fn to_coins(coins: &[JsonCoin]) -> Result<Vec<Coin>, TxError> {
    let proto: Vec<_> = coins
        .iter()
        .map(|c| cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: c.denom.clone(),
            amount: c.amount.clone(),
        })
        .collect();
    parse_coins(&proto)
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = "bank";

    /// Every address valid and unique, every coin list valid, supply consistent.
    fn validate(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut sum: BTreeMap<String, u128> = BTreeMap::new();
        for b in &self.balances {
            let addr =
                Address::parse(&b.address).map_err(|e| format!("bank genesis: {}", e.log))?;
            if !seen.insert(addr) {
                return Err(format!("bank genesis: duplicate balance for {}", b.address));
            }
            for c in
                to_coins(&b.coins).map_err(|e| format!("bank genesis: {}: {}", b.address, e.log))?
            {
                let t = sum.entry(c.denom.clone()).or_default();
                *t = t
                    .checked_add(c.amount)
                    .ok_or_else(|| format!("bank genesis: supply of {} overflows", c.denom))?;
            }
        }
        if !self.supply.is_empty() {
            let given: BTreeMap<String, u128> = to_coins(&self.supply)
                .map_err(|e| format!("bank genesis supply: {}", e.log))?
                .into_iter()
                .map(|c| (c.denom, c.amount))
                .collect();
            if given != sum {
                return Err(format!(
                    "bank genesis: supply {given:?} does not equal the sum of balances {sum:?}"
                ));
            }
        }
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        for b in &self.balances {
            state.mint(&Address::parse(&b.address)?, &to_coins(&b.coins)?)?;
        }
        Ok(Vec::new())
    }

    /// Every balance and the supply, in key order.
    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        let mut holders: Vec<Address> = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page =
                state.prefix_raw(crate::state_key::BALANCE_PREFIX, after.as_deref(), 1024)?;
            for (k, _) in &page {
                let rest = &k[crate::state_key::BALANCE_PREFIX.len()..];
                if let Some(addr) = rest.get(..20).and_then(Address::from_slice) {
                    if holders.last() != Some(&addr) {
                        holders.push(addr);
                    }
                }
            }
            match page.last() {
                Some((k, _)) if page.len() == 1024 => after = Some(k.clone()),
                _ => break,
            }
        }
        let mut balances = Vec::new();
        for addr in holders {
            let coins = state.all_balances(&addr)?;
            balances.push(GenesisBalance {
                address: addr.to_string(),
                coins: coins.iter().map(JsonCoin::from).collect(),
            });
        }
        // The supply exactly as stored: if it ever disagreed with the balances, importing
        // this export fails validation instead of the disagreement being papered over.
        let mut supply = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = state.prefix_raw(crate::state_key::SUPPLY_PREFIX, after.as_deref(), 1024)?;
            for (_, v) in &page {
                let coin = cosmos_sdk_proto::cosmos::base::v1beta1::Coin::decode(v.as_slice())
                    .map_err(|e| TxError::INTERNAL(format!("supply entry does not decode: {e}")))?;
                supply.push(JsonCoin {
                    denom: coin.denom,
                    amount: coin.amount,
                });
            }
            match page.last() {
                Some((k, _)) if page.len() == 1024 => after = Some(k.clone()),
                _ => break,
            }
        }
        Ok(GenesisState { balances, supply })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pol_store::{MemState, StateDelta};

    #[test]
    fn export_round_trips_and_never_hides_a_supply_mismatch() {
        let (a, b) = (Address([1; 20]), Address([2; 20]));
        let genesis = GenesisState {
            balances: vec![
                GenesisBalance {
                    address: a.to_string(),
                    coins: vec![JsonCoin {
                        denom: "upol".into(),
                        amount: "70".into(),
                    }],
                },
                GenesisBalance {
                    address: b.to_string(),
                    coins: vec![JsonCoin {
                        denom: "upol".into(),
                        amount: "30".into(),
                    }],
                },
            ],
            supply: vec![],
        };
        let mut state = StateDelta::new(MemState::default());
        genesis.init(&mut state, &Default::default()).unwrap();
        let exported = GenesisState::export(&state).unwrap();
        assert_eq!(exported.balances, genesis.balances);
        assert_eq!(
            exported.supply,
            vec![JsonCoin {
                denom: "upol".into(),
                amount: "100".into()
            }]
        );
        exported.validate().unwrap();

        // A stored supply that disagrees with the balances is exported as it is and refused.
        state.set_supply("upol", 99);
        let bad = GenesisState::export(&state).unwrap();
        assert_eq!(bad.supply[0].amount, "99");
        assert!(bad.validate().unwrap_err().contains("does not equal"));
    }
}
