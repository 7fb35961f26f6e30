//! Off-chain payments: canonical bytes, signing and verification, shared by the requester
//! client (signs), the worker (checks before it serves) and the chain (checks a claim).
//!
//! Canonical bytes (what the ed25519 signature covers), in order:
//!
//! | field      | encoding                                                |
//! |------------|---------------------------------------------------------|
//! | domain tag | the 24 ASCII bytes `pol.payments.v1.payment` + `0x00`   |
//! | chain id   | u16 big-endian length, then UTF-8 bytes                 |
//! | channel id | u64 big-endian                                          |
//! | amount     | u128 big-endian: cumulative, royalty included           |
//! | royalty    | u128 big-endian: the model owner's part of `amount`     |
//!
//! The chain id and channel id make a payment worthless anywhere else; amounts are
//! cumulative, so an old payment is never worth more than a newer one.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use pol_component::coins::parse_amount;

use crate::pb;

/// Domain separation tag at the head of the canonical bytes.
pub const DOMAIN_TAG: &[u8; 24] = b"pol.payments.v1.payment\0";
/// Longest chain id the encoding takes.
pub const MAX_CHAIN_ID_LEN: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PaymentError {
    #[error("payment {0} {1:?} is not an amount")]
    Amount(&'static str, String),
    #[error("payment royalty {royalty} exceeds its amount {amount}")]
    RoyaltyAboveAmount { amount: u128, royalty: u128 },
    #[error("payment signature must be 64 bytes, got {0}")]
    SignatureLength(usize),
    #[error("signer key is not a valid ed25519 key")]
    SignerKey,
    #[error("chain id is longer than {MAX_CHAIN_ID_LEN} bytes")]
    ChainId,
    #[error("payment signature does not verify under the channel's signer key")]
    BadSignature,
}

/// A decoded payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedPayment {
    pub channel_id: u64,
    /// Cumulative, royalty included.
    pub amount: u128,
    pub royalty: u128,
    pub signature: [u8; 64],
}

/// The bytes a payment's signature covers.
pub fn canonical_bytes(
    chain_id: &str,
    channel_id: u64,
    amount: u128,
    royalty: u128,
) -> Result<Vec<u8>, PaymentError> {
    let len = u16::try_from(chain_id.len())
        .ok()
        .filter(|l| usize::from(*l) <= MAX_CHAIN_ID_LEN)
        .ok_or(PaymentError::ChainId)?;
    let mut out = Vec::with_capacity(DOMAIN_TAG.len() + 2 + chain_id.len() + 8 + 32);
    out.extend_from_slice(DOMAIN_TAG);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(chain_id.as_bytes());
    out.extend_from_slice(&channel_id.to_be_bytes());
    out.extend_from_slice(&amount.to_be_bytes());
    out.extend_from_slice(&royalty.to_be_bytes());
    Ok(out)
}

/// A signer key as the chain stores it: 32 bytes, a valid point, not of small order.
pub fn parse_signer(bytes: &[u8]) -> Result<VerifyingKey, PaymentError> {
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| PaymentError::SignerKey)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| PaymentError::SignerKey)?;
    if key.is_weak() {
        return Err(PaymentError::SignerKey);
    }
    Ok(key)
}

impl SignedPayment {
    /// Sign a payment of `amount` (of which `royalty`) on `channel_id`.
    pub fn sign(
        chain_id: &str,
        channel_id: u64,
        amount: u128,
        royalty: u128,
        key: &SigningKey,
    ) -> Result<Self, PaymentError> {
        if royalty > amount {
            return Err(PaymentError::RoyaltyAboveAmount { amount, royalty });
        }
        let bytes = canonical_bytes(chain_id, channel_id, amount, royalty)?;
        Ok(SignedPayment {
            channel_id,
            amount,
            royalty,
            signature: key.sign(&bytes).to_bytes(),
        })
    }

    /// Decode the wire form (amounts, royalty within amount, signature length); the
    /// signature itself is checked by [`verify`](Self::verify).
    pub fn from_proto(p: &pb::Payment) -> Result<Self, PaymentError> {
        let amount = parse_amount(&p.amount)
            .ok_or_else(|| PaymentError::Amount("amount", p.amount.clone()))?;
        let royalty = if p.royalty.is_empty() {
            0
        } else {
            parse_amount(&p.royalty)
                .ok_or_else(|| PaymentError::Amount("royalty", p.royalty.clone()))?
        };
        if royalty > amount {
            return Err(PaymentError::RoyaltyAboveAmount { amount, royalty });
        }
        let signature: [u8; 64] = p
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| PaymentError::SignatureLength(p.signature.len()))?;
        Ok(SignedPayment {
            channel_id: p.channel_id,
            amount,
            royalty,
            signature,
        })
    }

    pub fn to_proto(&self) -> pb::Payment {
        pb::Payment {
            channel_id: self.channel_id,
            amount: self.amount.to_string(),
            royalty: self.royalty.to_string(),
            signature: self.signature.to_vec(),
        }
    }

    /// What goes to the provider: the amount less the royalty.
    pub fn provider_share(&self) -> u128 {
        self.amount - self.royalty // from_proto and sign keep royalty <= amount
    }

    /// Strict ed25519 verification (no malleable or small-order signatures) under the
    /// channel's signer key, for `chain_id`.
    pub fn verify(&self, chain_id: &str, signer: &VerifyingKey) -> Result<(), PaymentError> {
        let bytes = canonical_bytes(chain_id, self.channel_id, self.amount, self.royalty)?;
        signer
            .verify_strict(&bytes, &Signature::from_bytes(&self.signature))
            .map_err(|_| PaymentError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[5; 32])
    }

    #[test]
    fn signed_payments_verify_only_for_their_chain_channel_and_amounts() {
        let k = key();
        let p = SignedPayment::sign("pol-1", 7, 1_000, 70, &k).unwrap();
        let vk = k.verifying_key();
        p.verify("pol-1", &vk).unwrap();
        let back = SignedPayment::from_proto(&p.to_proto()).unwrap();
        assert_eq!(back, p);
        assert_eq!(p.provider_share(), 930);
        assert_eq!(p.verify("pol-2", &vk), Err(PaymentError::BadSignature));
        for tampered in [
            SignedPayment { channel_id: 8, ..p },
            SignedPayment { amount: 1_001, ..p },
            SignedPayment { royalty: 0, ..p },
        ] {
            assert_eq!(
                tampered.verify("pol-1", &vk),
                Err(PaymentError::BadSignature)
            );
        }
        let other = SigningKey::from_bytes(&[6; 32]).verifying_key();
        assert_eq!(p.verify("pol-1", &other), Err(PaymentError::BadSignature));
    }

    /// The same payment signed by the Python client (`client/python/tests`) has these
    /// bytes: the two implementations agree on the canonical encoding.
    #[test]
    fn the_python_client_signs_the_same_bytes() {
        let p = SignedPayment::sign("pol-1", 7, 1000, 70, &key()).unwrap();
        assert_eq!(
            hex::encode(p.signature),
            "60b91737f69e954719892dca265520819b02fa13e9acba78c3279b4feccb46c6\
             f5076be2e8fe8e783d63bafd486a43a38d9112f7a3f0ee483b38ba038951b90b"
        );
    }

    #[test]
    fn malformed_payments_are_refused_before_any_signature_check() {
        let good = SignedPayment::sign("c", 1, 10, 1, &key())
            .unwrap()
            .to_proto();
        let bad = |f: fn(&mut pb::Payment)| {
            let mut p = good.clone();
            f(&mut p);
            SignedPayment::from_proto(&p).unwrap_err()
        };
        assert!(matches!(
            bad(|p| p.amount = "-1".into()),
            PaymentError::Amount(..)
        ));
        assert!(matches!(
            bad(|p| p.amount = "".into()),
            PaymentError::Amount(..)
        ));
        assert!(matches!(
            bad(|p| p.royalty = "x".into()),
            PaymentError::Amount(..)
        ));
        assert!(matches!(
            bad(|p| p.royalty = "11".into()),
            PaymentError::RoyaltyAboveAmount { .. }
        ));
        assert_eq!(
            bad(|p| p.signature.pop().map(drop).unwrap_or(())),
            PaymentError::SignatureLength(63)
        );
        assert_eq!(
            SignedPayment::sign("c", 1, 10, 11, &key()),
            Err(PaymentError::RoyaltyAboveAmount {
                amount: 10,
                royalty: 11
            })
        );
        assert_eq!(
            SignedPayment::sign(&"x".repeat(300), 1, 10, 1, &key()),
            Err(PaymentError::ChainId)
        );
        // Keys: wrong length, not a point, small order.
        assert_eq!(parse_signer(&[1; 31]).unwrap_err(), PaymentError::SignerKey);
        let identity = {
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        };
        assert_eq!(
            parse_signer(&identity).unwrap_err(),
            PaymentError::SignerKey
        );
        parse_signer(key().verifying_key().as_bytes()).unwrap();
    }
}
