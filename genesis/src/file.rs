//! Reading and editing CometBFT's genesis.json while leaving every field we don't own as is.

use std::path::{Path, PathBuf};

use pol_bank::genesis::{GenesisBalance, JsonCoin};
use pol_component::coins::Coin;
use pol_component::Address;
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

/// genesis.json as a JSON document plus our typed view of its `app_state`.
pub struct GenesisFile {
    pub path: PathBuf,
    pub doc: Value,
    pub app_state: AppState,
}

impl GenesisFile {
    pub fn load(path: &Path) -> Result<Self, GenesisError> {
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
                state.validate().map_err(invalid)?;
                state
            }
        };
        Ok(GenesisFile {
            path: path.into(),
            doc,
            app_state,
        })
    }

    pub fn chain_id(&self) -> Option<&str> {
        self.doc.get("chain_id").and_then(Value::as_str)
    }

    /// Add coins to an account's genesis balance (creating it), keeping the file valid.
    pub fn add_account(&mut self, addr: &Address, coins: &[Coin]) -> Result<(), GenesisError> {
        let address = addr.to_string();
        let bank = &mut self.app_state.bank;
        let entry = match bank.balances.iter_mut().position(|b| b.address == address) {
            Some(i) => &mut bank.balances[i],
            None => {
                bank.balances.push(GenesisBalance {
                    address: address.clone(),
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
                        .ok_or_else(|| GenesisError::Invalid {
                            path: self.path.clone(),
                            msg: format!("balance of {} overflows", c.denom),
                        })?;
                    e.amount = sum.to_string();
                }
                None => entry.coins.push(JsonCoin::from(c)),
            }
        }
        entry.coins.sort_by(|a, b| a.denom.cmp(&b.denom));
        if !self
            .app_state
            .auth
            .accounts
            .iter()
            .any(|a| a.address == address)
        {
            self.app_state
                .auth
                .accounts
                .push(pol_auth::genesis::GenesisAccount::new(address));
        }
        // The derived supply would be stale; let InitChain recompute it.
        self.app_state.bank.supply.clear();
        self.app_state
            .validate()
            .map_err(|msg| GenesisError::Invalid {
                path: self.path.clone(),
                msg,
            })
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut g = GenesisFile::load(&path).unwrap();
        g.add_account(&a, &[Coin::new("upol", 5)]).unwrap();
        g.add_account(&a, &[Coin::new("upol", 7), Coin::new("stake", 1)])
            .unwrap();
        g.save().unwrap();
        let g = GenesisFile::load(&path).unwrap();
        assert_eq!(g.chain_id(), Some("pol-test"));
        assert_eq!(g.doc["consensus_params"]["x"], 1);
        let b = &g.app_state.bank.balances;
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
        assert_eq!(g.app_state.auth.accounts.len(), 1);
    }
}
