//! `auth` genesis: parameters and the accounts that exist at height 0.

use pol_component::{Address, TxError};
use pol_store::StateWrite;
use serde::{Deserialize, Serialize};

use crate::{AuthRead, AuthWrite, Params};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    /// Accounts created at genesis, numbered in this order. Accounts that only appear in
    /// `bank` balances are created after these, in the order of the balances.
    pub accounts: Vec<GenesisAccount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    pub address: String,
}

impl GenesisState {
    pub fn validate(&self) -> Result<(), String> {
        self.params.validate()?;
        let mut seen = std::collections::BTreeSet::new();
        for a in &self.accounts {
            let addr =
                Address::parse(&a.address).map_err(|e| format!("auth genesis: {}", e.log))?;
            if !seen.insert(addr) {
                return Err(format!("auth genesis: duplicate account {}", a.address));
            }
        }
        Ok(())
    }

    pub fn init<S: StateWrite>(&self, state: &mut S) -> Result<(), TxError> {
        state.put_auth_params(&self.params);
        for a in &self.accounts {
            state.ensure_account(&Address::parse(&a.address)?)?;
        }
        Ok(())
    }

    /// The `auth` part of an exported genesis: every account in account-number order.
    pub fn export<S: pol_store::StateRead>(state: &S) -> Result<Self, TxError> {
        let mut accounts = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = state.prefix_raw(
                crate::state_key::ACCOUNT_BY_NUMBER_PREFIX,
                after.as_deref(),
                1024,
            )?;
            for (_, v) in &page {
                if let Some(addr) = Address::from_slice(v) {
                    accounts.push(GenesisAccount {
                        address: addr.to_string(),
                    });
                }
            }
            match page.last() {
                Some((k, _)) if page.len() == 1024 => after = Some(k.clone()),
                _ => break,
            }
        }
        Ok(GenesisState {
            params: state.auth_params()?,
            accounts,
        })
    }
}
