//! `auth` genesis: parameters and the accounts that exist at genesis.
//!
//! A hand-written genesis lists addresses only; they are numbered in order. An exported
//! genesis carries each account exactly as stored (number, sequence, public key) and the
//! next account number, so importing it recreates the same state keys and values.

use pol_component::ModuleGenesis;
use std::collections::BTreeSet;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use pol_component::{Address, BlockContext, TxError};
use pol_store::{StateRead, StateWrite, StateWriteExt};
use prost::Message as _;
use serde::{Deserialize, Serialize};

use crate::{AuthRead, AuthWrite, Params};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    /// Accounts created at genesis. Accounts with an `account_number` keep it; the others
    /// are numbered in this order after every explicit number (and after
    /// `next_account_number`). Accounts that only appear in `bank` balances are created
    /// after these, in the order of the balances.
    pub accounts: Vec<GenesisAccount>,
    /// The number the next new account gets; 0 means "one past the largest explicit
    /// number" (or 0 without any). An export writes the stored value.
    #[serde(skip_serializing_if = "is_zero")]
    pub next_account_number: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_number: Option<u64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sequence: u64,
    /// The key on record (set by the account's first transaction), Cosmos-style:
    /// `{"@type": "/cosmos.crypto.secp256k1.PubKey", "key": "<base64>"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_key: Option<GenesisPubKey>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPubKey {
    #[serde(rename = "@type")]
    pub type_url: String,
    /// Compressed secp256k1 point (33 bytes).
    #[serde(with = "tendermint_proto::serializers::bytes::base64string")]
    pub key: Vec<u8>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl GenesisAccount {
    /// An account that only names its address (numbered at genesis in list order).
    pub fn new(address: impl Into<String>) -> Self {
        GenesisAccount {
            address: address.into(),
            account_number: None,
            sequence: 0,
            pub_key: None,
        }
    }

    fn pub_key_any(&self) -> Option<tendermint_proto::google::protobuf::Any> {
        self.pub_key
            .as_ref()
            .map(|k| crate::view::secp256k1_pubkey_any(&k.key))
    }
}

impl GenesisPubKey {
    fn validate(&self) -> Result<(), String> {
        if self.type_url != crate::SECP256K1_PUBKEY_TYPE_URL {
            return Err(format!(
                "public key type {:?}: only {} is supported",
                self.type_url,
                crate::SECP256K1_PUBKEY_TYPE_URL
            ));
        }
        if self.key.len() != 33 || !matches!(self.key[0], 2 | 3) {
            return Err("public key is not a 33-byte compressed secp256k1 point".into());
        }
        Ok(())
    }

    /// The genesis form of a stored `Any` key; errors on a key type genesis cannot carry.
    pub fn from_any(any: &tendermint_proto::google::protobuf::Any) -> Result<Self, String> {
        if any.type_url != crate::SECP256K1_PUBKEY_TYPE_URL {
            return Err(format!(
                "public key type {:?} cannot be exported",
                any.type_url
            ));
        }
        let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(any.value.as_slice())
            .map_err(|e| format!("stored public key does not decode: {e}"))?;
        let out = GenesisPubKey {
            type_url: any.type_url.clone(),
            key: pk.key,
        };
        // Re-encoding must give the stored bytes, or an import would not be exact.
        if crate::view::secp256k1_pubkey_any(&out.key).value != any.value {
            return Err("stored public key is not in canonical encoding".into());
        }
        Ok(out)
    }
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = "auth";

    fn validate(&self) -> Result<(), String> {
        self.params.validate()?;
        let mut seen = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        for a in &self.accounts {
            let addr =
                Address::parse(&a.address).map_err(|e| format!("auth genesis: {}", e.log))?;
            if !seen.insert(addr) {
                return Err(format!("auth genesis: duplicate account {}", a.address));
            }
            if let Some(n) = a.account_number {
                if !numbers.insert(n) {
                    return Err(format!("auth genesis: account number {n} used twice"));
                }
                if n == u64::MAX {
                    return Err(format!("auth genesis: account number {n} out of range"));
                }
            }
            if let Some(k) = &a.pub_key {
                k.validate()
                    .map_err(|e| format!("auth genesis: account {}: {e}", a.address))?;
                // A recorded key must be the account's own, or the account could never sign.
                let owner = crate::address_of_pubkey(&k.key)
                    .map_err(|e| format!("auth genesis: account {}: {}", a.address, e.log))?;
                if owner != addr {
                    return Err(format!(
                        "auth genesis: the public key of account {} belongs to {owner}",
                        a.address
                    ));
                }
            }
        }
        if self.next_account_number != 0 {
            if let Some(max) = numbers.last() {
                if *max >= self.next_account_number {
                    return Err(format!(
                        "auth genesis: next_account_number {} is not past account number {max}",
                        self.next_account_number
                    ));
                }
            }
        }
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        state.put_auth_params(&self.params);
        // Explicit numbers first, so the numbering of the others cannot collide with them.
        let mut next = self.next_account_number;
        for a in &self.accounts {
            if let Some(number) = a.account_number {
                state.put_account(&BaseAccount {
                    address: Address::parse(&a.address)?.to_string(),
                    pub_key: a.pub_key_any(),
                    account_number: number,
                    sequence: a.sequence,
                })?;
                next = next.max(number + 1);
            }
        }
        if next != 0 {
            state.put_proto(crate::state_key::NEXT_ACCOUNT_NUMBER.to_vec(), &next);
        }
        for a in &self.accounts {
            if a.account_number.is_none() {
                let mut acc = state.ensure_account(&Address::parse(&a.address)?)?;
                if a.sequence != 0 || a.pub_key.is_some() {
                    acc.sequence = a.sequence;
                    acc.pub_key = a.pub_key_any();
                    state.put_account(&acc)?;
                }
            }
        }
        Ok(Vec::new())
    }

    /// The `auth` part of an exported genesis: every account as stored, in account-number
    /// order, and the next account number.
    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        let mut accounts = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = state.prefix_raw(
                crate::state_key::ACCOUNT_BY_NUMBER_PREFIX,
                after.as_deref(),
                1024,
            )?;
            for (k, v) in &page {
                let addr = Address::from_slice(v).ok_or_else(|| {
                    TxError::INTERNAL("auth account-number index holds a bad address")
                })?;
                let acc = state.account(&addr)?.ok_or_else(|| {
                    TxError::INTERNAL(format!("account-number index names missing account {addr}"))
                })?;
                let number = k[crate::state_key::ACCOUNT_BY_NUMBER_PREFIX.len()..]
                    .try_into()
                    .map(u64::from_be_bytes)
                    .map_err(|_| TxError::INTERNAL("auth account-number key"))?;
                if acc.account_number != number || acc.address != addr.to_string() {
                    return Err(TxError::INTERNAL(format!(
                        "account {addr} disagrees with its account-number index entry {number}"
                    )));
                }
                let pub_key = acc
                    .pub_key
                    .as_ref()
                    .map(GenesisPubKey::from_any)
                    .transpose()
                    .map_err(|e| TxError::INTERNAL(format!("account {addr}: {e}")))?;
                accounts.push(GenesisAccount {
                    address: acc.address,
                    account_number: Some(acc.account_number),
                    sequence: acc.sequence,
                    pub_key,
                });
            }
            match page.last() {
                Some((k, _)) if page.len() == 1024 => after = Some(k.clone()),
                _ => break,
            }
        }
        Ok(GenesisState {
            params: state.auth_params()?,
            accounts,
            next_account_number: state.next_account_number()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pol_store::{MemState, StateDelta, StateRead};

    fn all(state: &impl StateRead) -> Vec<(Vec<u8>, Vec<u8>)> {
        pol_component::state::scan(state, b"").unwrap()
    }

    #[test]
    fn export_round_trips_numbers_sequences_and_keys() {
        // `a` gets a public key: its address must be that key's.
        let mut key = vec![2u8];
        key.extend([9u8; 32]);
        let a = crate::address_of_pubkey(&key).unwrap();
        let (b, c) = (Address([2; 20]), Address([3; 20]));
        let mut s = StateDelta::new(MemState::default());
        GenesisState {
            accounts: vec![GenesisAccount::new(b.to_string())],
            ..Default::default()
        }
        .init(&mut s, &Default::default())
        .unwrap();
        s.ensure_account(&a).unwrap();
        s.ensure_account(&c).unwrap();
        let mut acc = s.account(&a).unwrap().unwrap();
        acc.sequence = 5;
        acc.pub_key = Some(crate::view::secp256k1_pubkey_any(&key));
        s.put_account(&acc).unwrap();

        let exported = GenesisState::export(&s).unwrap();
        assert_eq!(exported.next_account_number, 3);
        let numbers: Vec<_> = exported
            .accounts
            .iter()
            .map(|x| (x.address.clone(), x.account_number, x.sequence))
            .collect();
        assert_eq!(
            numbers,
            vec![
                (b.to_string(), Some(0), 0),
                (a.to_string(), Some(1), 5),
                (c.to_string(), Some(2), 0)
            ]
        );
        let mut fresh = StateDelta::new(MemState::default());
        exported.init(&mut fresh, &Default::default()).unwrap();
        assert_eq!(
            all(&fresh),
            all(&s),
            "import must recreate every key and value"
        );

        // A new account after import continues the numbering.
        assert_eq!(
            fresh
                .ensure_account(&Address([4; 20]))
                .unwrap()
                .account_number,
            3
        );
    }

    #[test]
    fn numbering_mixes_explicit_and_implicit_accounts() {
        let g = GenesisState {
            accounts: vec![
                GenesisAccount::new(Address([1; 20]).to_string()),
                GenesisAccount {
                    account_number: Some(7),
                    ..GenesisAccount::new(Address([2; 20]).to_string())
                },
            ],
            ..Default::default()
        };
        let mut s = StateDelta::new(MemState::default());
        g.init(&mut s, &Default::default()).unwrap();
        assert_eq!(
            s.account(&Address([1; 20]))
                .unwrap()
                .unwrap()
                .account_number,
            8
        );
        assert_eq!(s.next_account_number().unwrap(), 9);
    }

    #[test]
    fn rejects_inconsistent_accounts() {
        let acc = |n: Option<u64>| GenesisAccount {
            account_number: n,
            ..GenesisAccount::new(Address([n.unwrap_or(0) as u8 + 1; 20]).to_string())
        };
        let g = GenesisState {
            accounts: vec![acc(Some(1)), acc(Some(1))],
            ..Default::default()
        };
        // Different addresses, same number.
        let mut g2 = g.clone();
        g2.accounts[1].address = Address([9; 20]).to_string();
        assert!(g2.validate().unwrap_err().contains("used twice"));
        let g = GenesisState {
            accounts: vec![acc(Some(4))],
            next_account_number: 4,
            ..Default::default()
        };
        assert!(g.validate().unwrap_err().contains("not past"));
        let mut g = GenesisState {
            accounts: vec![acc(None)],
            ..Default::default()
        };
        g.accounts[0].pub_key = Some(GenesisPubKey {
            type_url: "/cosmos.crypto.ed25519.PubKey".into(),
            key: vec![2; 33],
        });
        assert!(g.validate().unwrap_err().contains("only"));
        g.accounts[0].pub_key = Some(GenesisPubKey {
            type_url: crate::SECP256K1_PUBKEY_TYPE_URL.into(),
            key: vec![2; 32],
        });
        assert!(g.validate().unwrap_err().contains("33-byte"));
    }
}
