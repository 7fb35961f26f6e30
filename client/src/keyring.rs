//! A file keyring (Cosmos' `test` backend: unencrypted, one JSON file per key, mode 0600).
//! Keys derive from a BIP39 mnemonic at m/44'/118'/0'/0/0, so the same words give the same
//! address in Keplr, cosmjs and `pold`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::key::SignerKey;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("key name {0:?} must be 1-64 characters of letters, digits, '-', '_' or '.'")]
    BadName(String),
    #[error("a key named {0:?} already exists")]
    Exists(String),
    #[error("no key named {name:?} in {dir}")]
    NoSuchName { name: String, dir: String },
    #[error("no key named or with address {0:?}")]
    NotFound(String),
    #[error("invalid mnemonic: {0}")]
    Mnemonic(String),
    #[error("key derivation: {0}")]
    Derivation(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a key file: {why}")]
    Corrupt { path: String, why: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyringError + '_ {
    move |source| KeyringError::Io {
        path: path.display().to_string(),
        source,
    }
}

pub const HD_PATH: &str = "m/44'/118'/0'/0/0";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyRecord {
    pub name: String,
    pub address: String,
    /// Compressed secp256k1 public key, hex.
    pub pubkey: String,
    /// Secret key, hex.
    pub secret: String,
    pub mnemonic: Option<String>,
}

impl KeyRecord {
    pub fn signer(&self) -> Result<SignerKey, KeyringError> {
        let corrupt = |why: String| KeyringError::Corrupt {
            path: format!("key {:?}", self.name),
            why,
        };
        let secret = hex::decode(&self.secret).map_err(|e| corrupt(format!("secret: {e}")))?;
        SignerKey::from_bytes(&secret).map_err(corrupt)
    }
}

pub struct Keyring {
    dir: PathBuf,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !name.starts_with('.')
}

impl Keyring {
    pub fn open(home: &Path) -> Self {
        Keyring {
            dir: home.join("keyring-test"),
        }
    }

    fn path(&self, name: &str) -> Result<PathBuf, KeyringError> {
        if !valid_name(name) {
            return Err(KeyringError::BadName(name.into()));
        }
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Derive a key from `mnemonic`, or from new random words if none is given.
    pub fn add(&self, name: &str, mnemonic: Option<&str>) -> Result<KeyRecord, KeyringError> {
        let path = self.path(name)?;
        if path.exists() {
            return Err(KeyringError::Exists(name.into()));
        }
        let phrase = match mnemonic {
            Some(words) => {
                let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
                bip39::Mnemonic::parse_in(bip39::Language::English, &words)
                    .map_err(|e| KeyringError::Mnemonic(e.to_string()))?
            }
            None => {
                let mut entropy = [0u8; 32]; // 24 words
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut entropy);
                bip39::Mnemonic::from_entropy(&entropy)
                    .map_err(|e| KeyringError::Mnemonic(e.to_string()))?
            }
        };
        let seed = phrase.to_seed("");
        let xprv = bip32::XPrv::derive_from_path(
            seed,
            &HD_PATH
                .parse()
                .map_err(|e: bip32::Error| KeyringError::Derivation(e.to_string()))?,
        )
        .map_err(|e| KeyringError::Derivation(e.to_string()))?;
        let signer = SignerKey::from_bytes(&xprv.private_key().to_bytes())
            .map_err(KeyringError::Derivation)?;
        let record = KeyRecord {
            name: name.into(),
            address: signer.address().to_string(),
            pubkey: hex::encode(signer.public_key()),
            secret: hex::encode(signer.key.to_bytes()),
            mnemonic: Some(phrase.words().collect::<Vec<_>>().join(" ")),
        };
        self.save(&record)?;
        Ok(record)
    }

    fn save(&self, record: &KeyRecord) -> Result<(), KeyringError> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let path = self.path(&record.name)?;
        let json = serde_json::to_string_pretty(record).map_err(|e| KeyringError::Corrupt {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(io(&path))?;
        std::io::Write::write_all(&mut f, json.as_bytes()).map_err(io(&path))
    }

    pub fn get(&self, name: &str) -> Result<KeyRecord, KeyringError> {
        let path = self.path(name)?;
        let text = std::fs::read_to_string(&path).map_err(|_| KeyringError::NoSuchName {
            name: name.into(),
            dir: self.dir.display().to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| KeyringError::Corrupt {
            path: path.display().to_string(),
            why: e.to_string(),
        })
    }

    /// A key by name, or by its address.
    pub fn find(&self, name_or_address: &str) -> Result<KeyRecord, KeyringError> {
        if let Ok(k) = self.get(name_or_address) {
            return Ok(k);
        }
        self.list()?
            .into_iter()
            .find(|k| k.address == name_or_address)
            .ok_or_else(|| KeyringError::NotFound(name_or_address.into()))
    }

    pub fn list(&self) -> Result<Vec<KeyRecord>, KeyringError> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(out);
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) == Some("json") {
                if let Some(stem) = p.file_stem().and_then(|s| s.to_str()) {
                    out.push(self.get(stem)?);
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnemonic_derivation_matches_cosmos_wallets() {
        // The well-known "abandon … about" test mnemonic at m/44'/118'/0'/0/0 is
        // cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4 in every Cosmos wallet.
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path());
        let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        let k = kr.add("alice", Some(words)).unwrap();
        let bytes = pol_component::Address::parse(&k.address).unwrap();
        let cosmos = cosmrs::AccountId::new("cosmos", bytes.as_bytes())
            .unwrap()
            .to_string();
        assert_eq!(cosmos, "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4");
        assert!(kr.add("alice", None).is_err());
        let fresh = kr.add("carol", None).unwrap();
        assert_eq!(fresh.mnemonic.as_ref().unwrap().split(' ').count(), 24);
        assert!(kr.add("dave", Some("abandon abandon about")).is_err());
        assert!(kr.add("../evil", None).is_err());
        assert_eq!(kr.find(&k.address).unwrap().name, "alice");
        assert_eq!(kr.list().unwrap().len(), 2);
    }
}
