//! The requester's side of payment channels: a wallet file of the channels it opened, each
//! with the ed25519 key that signs its payments and the running total signed so far.
//!
//! The total is written to the file (through a temporary file and a rename) before a
//! payment is handed out, so a restarted client never signs less than before: a worker
//! refuses a payment at or below one it has taken. A payment whose request failed is kept
//! as [`Payer::retry`] and handed out again for the next request, which the worker accepts
//! (it gave that payment's charge back).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use pol_payments::SignedPayment;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    #[error("payment wallet {path}: {why}")]
    File { path: String, why: String },
    #[error("channel {0} is not in this wallet (opened elsewhere?)")]
    UnknownChannel(u64),
    #[error(transparent)]
    Payment(#[from] pol_payments::PaymentError),
    #[error("channel {id}: paying {price} more would sign {total}, beyond its deposit of {deposit}; top it up")]
    Exhausted {
        id: u64,
        price: u128,
        total: u128,
        deposit: u128,
    },
}

/// One channel as the requester keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PayerChannel {
    pub channel_id: u64,
    pub provider: String,
    pub model_id: String,
    /// Hex of the 32-byte ed25519 seed of the channel's signer key.
    signer_seed: String,
    /// What was signed so far, royalty included, and the royalty part.
    #[serde(with = "u128_string")]
    pub signed: u128,
    #[serde(with = "u128_string")]
    pub signed_royalty: u128,
    /// The deposit as last seen (payments beyond it are not signed).
    #[serde(with = "u128_string")]
    pub deposit: u128,
    /// A payment whose request failed, handed out again before a new one is signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry: Option<StoredPayment>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct StoredPayment {
    #[serde(with = "u128_string")]
    amount: u128,
    #[serde(with = "u128_string")]
    royalty: u128,
    /// Hex of the 64-byte signature.
    signature: String,
}

impl PayerChannel {
    pub fn signer(&self) -> Result<SigningKey, PaymentsError> {
        let seed: [u8; 32] = hex::decode(&self.signer_seed)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| PaymentsError::File {
                path: String::new(),
                why: format!("channel {}: bad signer seed", self.channel_id),
            })?;
        Ok(SigningKey::from_bytes(&seed))
    }
}

use pol_component::json::u128_string;

/// The channels one requester pays through, persisted at `path`.
pub struct Payer {
    path: PathBuf,
    chain_id: String,
    channels: BTreeMap<u64, PayerChannel>,
}

impl Payer {
    /// The wallet in `home` (`<home>/payments/<chain_id>.json`), created empty.
    pub fn open(home: &Path, chain_id: &str) -> Result<Self, PaymentsError> {
        let path = home.join("payments").join(format!("{chain_id}.json"));
        let file_err = |why: String| PaymentsError::File {
            path: path.display().to_string(),
            why,
        };
        let channels = match std::fs::read(&path) {
            Ok(bytes) => {
                let list: Vec<PayerChannel> =
                    serde_json::from_slice(&bytes).map_err(|e| file_err(e.to_string()))?;
                list.into_iter().map(|c| (c.channel_id, c)).collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(file_err(e.to_string())),
        };
        Ok(Payer {
            path,
            chain_id: chain_id.to_string(),
            channels,
        })
    }

    /// A fresh signer key for a channel about to be opened.
    pub fn new_signer() -> SigningKey {
        SigningKey::generate(&mut rand::rngs::OsRng)
    }

    /// Remember a channel just opened with `signer`.
    pub fn add(
        &mut self,
        channel_id: u64,
        provider: &str,
        model_id: &str,
        signer: &SigningKey,
        deposit: u128,
    ) -> Result<(), PaymentsError> {
        self.channels.insert(
            channel_id,
            PayerChannel {
                channel_id,
                provider: provider.to_string(),
                model_id: model_id.to_string(),
                signer_seed: hex::encode(signer.to_bytes()),
                signed: 0,
                signed_royalty: 0,
                deposit,
                retry: None,
            },
        );
        self.save()
    }

    pub fn channel(&self, id: u64) -> Option<&PayerChannel> {
        self.channels.get(&id)
    }

    pub fn channels(&self) -> impl Iterator<Item = &PayerChannel> {
        self.channels.values()
    }

    /// The channel to `provider` for `model` with the most left to spend, if any.
    pub fn channel_for(&self, provider: &str, model: &str) -> Option<&PayerChannel> {
        self.channels
            .values()
            .filter(|c| c.provider == provider && c.model_id == model)
            .max_by_key(|c| c.deposit.saturating_sub(c.signed))
    }

    /// The deposit seen on chain now (after a top-up).
    pub fn set_deposit(&mut self, id: u64, deposit: u128) -> Result<(), PaymentsError> {
        let c = self
            .channels
            .get_mut(&id)
            .ok_or(PaymentsError::UnknownChannel(id))?;
        c.deposit = deposit;
        self.save()
    }

    /// The payment for one request costing `provider_price` plus `royalty`: the failed
    /// request's payment if one is waiting, else a new one for that much more.
    pub fn pay(
        &mut self,
        id: u64,
        provider_price: u128,
        royalty: u128,
    ) -> Result<SignedPayment, PaymentsError> {
        let chain_id = self.chain_id.clone();
        let c = self
            .channels
            .get_mut(&id)
            .ok_or(PaymentsError::UnknownChannel(id))?;
        if let Some(p) = c.retry.take() {
            let signature = hex::decode(&p.signature)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(pol_payments::PaymentError::SignatureLength(0))?;
            let payment = SignedPayment {
                channel_id: id,
                amount: p.amount,
                royalty: p.royalty,
                signature,
            };
            self.save()?;
            return Ok(payment);
        }
        let price = provider_price.saturating_add(royalty);
        let total = c.signed.saturating_add(price);
        if total > c.deposit {
            return Err(PaymentsError::Exhausted {
                id,
                price,
                total,
                deposit: c.deposit,
            });
        }
        let p = SignedPayment::sign(
            &chain_id,
            id,
            total,
            c.signed_royalty.saturating_add(royalty),
            &c.signer()?,
        )?;
        c.signed = p.amount;
        c.signed_royalty = p.royalty;
        self.save()?;
        Ok(p)
    }

    /// `payment`'s request failed: hand it out again next time.
    pub fn retry_later(&mut self, payment: &SignedPayment) -> Result<(), PaymentsError> {
        let c = self
            .channels
            .get_mut(&payment.channel_id)
            .ok_or(PaymentsError::UnknownChannel(payment.channel_id))?;
        c.retry = Some(StoredPayment {
            amount: payment.amount,
            royalty: payment.royalty,
            signature: hex::encode(payment.signature),
        });
        self.save()
    }

    /// Forget a settled channel.
    pub fn remove(&mut self, id: u64) -> Result<(), PaymentsError> {
        self.channels.remove(&id);
        self.save()
    }

    fn save(&self) -> Result<(), PaymentsError> {
        let file_err = |why: String| PaymentsError::File {
            path: self.path.display().to_string(),
            why,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| file_err(e.to_string()))?;
        }
        let list: Vec<&PayerChannel> = self.channels.values().collect();
        let json = serde_json::to_vec_pretty(&list).map_err(|e| file_err(e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600) // it holds signing keys
                .open(&tmp)
                .map_err(|e| file_err(e.to_string()))?;
            f.write_all(&json).map_err(|e| file_err(e.to_string()))?;
        }
        std::fs::rename(&tmp, &self.path).map_err(|e| file_err(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payments_count_up_persist_and_a_failed_ones_is_handed_out_again() {
        let dir = tempfile::tempdir().unwrap();
        let key = Payer::new_signer();
        {
            let mut w = Payer::open(dir.path(), "c").unwrap();
            w.add(4, "pol1p", "m", &key, 100).unwrap();
            let a = w.pay(4, 10, 3).unwrap();
            let b = w.pay(4, 10, 3).unwrap();
            assert_eq!((a.amount, a.royalty, b.amount, b.royalty), (13, 3, 26, 6));
            b.verify("c", &key.verifying_key()).unwrap();
            w.retry_later(&b).unwrap();
        }
        // After a restart: the failed payment first, then counting on from the total.
        let mut w = Payer::open(dir.path(), "c").unwrap();
        assert_eq!(w.pay(4, 10, 3).unwrap().amount, 26);
        assert_eq!(w.pay(4, 10, 3).unwrap().amount, 39);
        assert!(matches!(
            w.pay(4, 60, 3),
            Err(PaymentsError::Exhausted { .. })
        ));
        assert!(matches!(
            w.pay(5, 1, 0),
            Err(PaymentsError::UnknownChannel(5))
        ));
        assert_eq!(w.channel_for("pol1p", "m").unwrap().signed, 39);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("payments/c.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
