//! Reading and editing CometBFT's genesis.json while leaving every field we don't own as is.

use std::path::{Path, PathBuf};

use pol_bank::genesis::{GenesisBalance, JsonCoin};
use pol_component::coins::Coin;
use pol_component::{Address, Module};
use serde_json::Value;

use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: {msg}")]
    Invalid { path: PathBuf, msg: String },
}

/// Where the chain starts: `initial_height` (CometBFT writes it as a string; absent is 1).
pub fn chain_start(doc: &Value) -> Result<crate::ChainStart, String> {
    let initial_height = match doc.get("initial_height") {
        None | Some(Value::Null) => 1,
        Some(Value::String(s)) => s
            .parse::<u64>()
            .map_err(|_| format!("initial_height {s:?} is not a height"))?,
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("initial_height {n} is not a height"))?,
        Some(other) => return Err(format!("initial_height {other} is not a height")),
    };
    Ok(crate::ChainStart {
        initial_height: initial_height.max(1),
    })
}

/// genesis.json as a JSON document plus its `app_state`, checked against the app's modules
/// when loaded and on every edit.
pub struct GenesisFile {
    pub path: PathBuf,
    pub doc: Value,
    pub app_state: AppState,
    modules: &'static [&'static dyn Module],
}

impl GenesisFile {
    pub fn load(
        path: &Path,
        modules: &'static [&'static dyn Module],
    ) -> Result<Self, GenesisError> {
        let bytes = std::fs::read(path).map_err(|source| GenesisError::Io {
            path: path.into(),
            source,
        })?;
        let doc: Value = serde_json::from_slice(&bytes).map_err(|source| GenesisError::Json {
            path: path.into(),
            source,
        })?;
        let invalid = |msg: String| GenesisError::Invalid {
            path: path.into(),
            msg,
        };
        if !doc.is_object() {
            return Err(invalid("top level must be an object".into()));
        }
        let app_state = match doc.get("app_state") {
            None | Some(Value::Null) => AppState::default(),
            Some(v) => {
                let state: AppState = serde_json::from_value(v.clone())
                    .map_err(|e| invalid(format!("app_state: {e}")))?;
                crate::validate(&state, modules, &chain_start(&doc).map_err(invalid)?)
                    .map_err(invalid)?;
                state
            }
        };
        Ok(GenesisFile {
            path: path.into(),
            doc,
            app_state,
            modules,
        })
    }

    /// Check the file's `app_state` against the modules (an edit must keep it valid).
    pub fn validate(&self) -> Result<(), GenesisError> {
        chain_start(&self.doc)
            .and_then(|chain| crate::validate(&self.app_state, self.modules, &chain))
            .map_err(|msg| GenesisError::Invalid {
                path: self.path.clone(),
                msg,
            })
    }

    pub fn chain_id(&self) -> Option<&str> {
        self.doc.get("chain_id").and_then(Value::as_str)
    }

    /// Add coins to an account's genesis balance (creating it), keeping the file valid.
    pub fn add_account(&mut self, addr: &Address, coins: &[Coin]) -> Result<(), GenesisError> {
        let address = addr.to_string();
        let invalid = |msg: String| GenesisError::Invalid {
            path: self.path.clone(),
            msg,
        };
        self.app_state
            .edit(|bank: &mut pol_bank::GenesisState| add_coins(bank, &address, coins))
            .map_err(invalid)?
            .map_err(invalid)?;
        self.app_state
            .edit(|auth: &mut pol_auth::GenesisState| {
                if !auth.accounts.iter().any(|a| a.address == address) {
                    auth.accounts
                        .push(pol_auth::genesis::GenesisAccount::new(address.clone()));
                }
            })
            .map_err(invalid)?;
        self.validate()
    }

    pub fn save(&mut self) -> Result<(), GenesisError> {
        let app_state =
            serde_json::to_value(&self.app_state).map_err(|source| GenesisError::Json {
                path: self.path.clone(),
                source,
            })?;
        if let Some(obj) = self.doc.as_object_mut() {
            obj.insert("app_state".into(), app_state);
        }
        let text =
            serde_json::to_string_pretty(&self.doc).map_err(|source| GenesisError::Json {
                path: self.path.clone(),
                source,
            })?;
        // Write then rename so a crash never leaves half a genesis file.
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(|source| GenesisError::Io {
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, &self.path).map_err(|source| GenesisError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Add `coins` to `address`'s bank genesis balance (creating it).
fn add_coins(
    bank: &mut pol_bank::GenesisState,
    address: &str,
    coins: &[Coin],
) -> Result<(), String> {
    let entry = match bank.balances.iter_mut().position(|b| b.address == address) {
        Some(i) => &mut bank.balances[i],
        None => {
            bank.balances.push(GenesisBalance {
                address: address.to_string(),
                coins: Vec::new(),
            });
            bank.balances.last_mut().expect("just pushed")
        }
    };
    for c in coins {
        match entry.coins.iter_mut().find(|e| e.denom == c.denom) {
            Some(e) => {
                let have: u128 = e.amount.parse().unwrap_or(0);
                let sum = have
                    .checked_add(c.amount)
                    .ok_or_else(|| format!("balance of {} overflows", c.denom))?;
                e.amount = sum.to_string();
            }
            None => entry.coins.push(JsonCoin::from(c)),
        }
    }
    entry.coins.sort_by(|a, b| a.denom.cmp(&b.denom));
    // The derived supply would be stale; let InitChain recompute it.
    bank.supply.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    static MODULES: &[&dyn Module] = &[&pol_auth::AuthModule, &pol_bank::BankModule];

    #[test]
    fn add_account_accumulates_and_keeps_foreign_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genesis.json");
        std::fs::write(
            &path,
            r#"{"chain_id":"pol-test","consensus_params":{"x":1},"app_state":{}}"#,
        )
        .unwrap();
        let a = Address([1; 20]);
        let mut g = GenesisFile::load(&path, MODULES).unwrap();
        g.add_account(&a, &[Coin::new("upol", 5)]).unwrap();
        g.add_account(&a, &[Coin::new("upol", 7), Coin::new("stake", 1)])
            .unwrap();
        g.save().unwrap();
        let g = GenesisFile::load(&path, MODULES).unwrap();
        assert_eq!(g.chain_id(), Some("pol-test"));
        assert_eq!(g.doc["consensus_params"]["x"], 1);
        let bank: pol_bank::GenesisState = g.app_state.get().unwrap();
        let b = &bank.balances;
        assert_eq!(b.len(), 1);
        assert_eq!(
            b[0].coins,
            vec![
                JsonCoin {
                    denom: "stake".into(),
                    amount: "1".into()
                },
                JsonCoin {
                    denom: "upol".into(),
                    amount: "12".into()
                }
            ]
        );
        let auth: pol_auth::GenesisState = g.app_state.get().unwrap();
        assert_eq!(auth.accounts.len(), 1);
    }
}
