//! Inference receipts: canonical bytes, signing and verification.
//!
//! This module is shared with the chain (it never touches libtorch): validators verify the
//! receipts they collect while probing, and a sampled receipt maps onto the proof
//! `Statement` (`nonce`, 20-byte `provider`; the input and output whose hashes it carries).
//!
//! Canonical bytes (what the ed25519 signature covers), in order:
//!
//! | field            | encoding                                              |
//! |------------------|-------------------------------------------------------|
//! | domain tag       | the 25 ASCII bytes `pol.worker.v1.receipt.v2` + `0x00`|
//! | chain id         | u16 big-endian length, then UTF-8 bytes               |
//! | provider         | 20 raw address bytes (the bech32 `pol1…` payload)     |
//! | model id         | u16 big-endian length, then UTF-8 bytes               |
//! | input hash       | 32 bytes: SHA-256 of the input, one byte per i8       |
//! | output hash      | 32 bytes: SHA-256 of the logits as little-endian i32  |
//! | nonce            | u64 big-endian                                        |
//! | worker time      | u64 big-endian, Unix milliseconds                     |
//! | channel id       | u64 big-endian: the payment channel (0: unpaid)       |
//! | payment amount   | u128 big-endian: the cumulative payment taken         |
//! | price            | u128 big-endian: the provider's price charged         |
//! | royalty          | u128 big-endian: the model owner's royalty charged    |
//!
//! The receipt commits to what the request paid, so a price change never reaches a
//! request already served, and a requester holds proof of what it was charged.
//!
//! The receipt id is SHA-256 of the canonical bytes.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Bech32 human-readable prefix of account addresses.
pub const ACCOUNT_HRP: &str = "pol";
/// Domain separation tag at the head of the canonical bytes.
pub const DOMAIN_TAG: &[u8; 25] = b"pol.worker.v1.receipt.v2\0";
/// Longest chain id or model id that fits the canonical encoding.
pub const MAX_STRING_LEN: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    #[error("invalid bech32 address {0:?}: {1}")]
    Address(String, String),
    #[error("address has prefix {found:?}, expected {expected:?}")]
    AddressPrefix { found: String, expected: String },
    #[error("address payload is {0} bytes, expected 20")]
    AddressLength(usize),
    #[error("{field} is {len} bytes, longer than {MAX_STRING_LEN}")]
    StringTooLong { field: &'static str, len: usize },
    #[error("{field} must be {expected} bytes, got {got}")]
    FieldLength {
        field: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("invalid worker public key")]
    PublicKey,
    #[error("receipt signature does not verify")]
    BadSignature,
    #[error("receipt {0} hash does not match the data")]
    HashMismatch(&'static str),
    #[error("receipt {0} is not a decimal amount")]
    Amount(&'static str),
}

/// Parses a bech32 account address with prefix `pol` into its 20 bytes.
pub fn parse_address(addr: &str) -> Result<[u8; 20], ReceiptError> {
    let (hrp, data) =
        bech32::decode(addr).map_err(|e| ReceiptError::Address(addr.to_string(), e.to_string()))?;
    if hrp.as_str() != ACCOUNT_HRP {
        return Err(ReceiptError::AddressPrefix {
            found: hrp.to_string(),
            expected: ACCOUNT_HRP.to_string(),
        });
    }
    data.as_slice()
        .try_into()
        .map_err(|_| ReceiptError::AddressLength(data.len()))
}

/// Encodes 20 address bytes as a bech32 `pol1…` account address.
pub fn format_address(bytes: &[u8; 20]) -> String {
    let hrp = bech32::Hrp::parse(ACCOUNT_HRP).expect("static hrp is valid");
    bech32::encode::<bech32::Bech32>(hrp, bytes).expect("20 bytes always encode")
}

/// SHA-256 of an int8 input (one two's-complement byte per element).
pub fn hash_input(input: &[i8]) -> [u8; 32] {
    let mut h = Sha256::new();
    for &x in input {
        h.update([x as u8]);
    }
    h.finalize().into()
}

/// SHA-256 of i32 logits, each as 4 little-endian bytes.
pub fn hash_output(output: &[i32]) -> [u8; 32] {
    let mut h = Sha256::new();
    for &x in output {
        h.update(x.to_le_bytes());
    }
    h.finalize().into()
}

/// The signed content of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptBody {
    pub chain_id: String,
    pub provider: [u8; 20],
    pub model_id: String,
    pub input_hash: [u8; 32],
    pub output_hash: [u8; 32],
    pub nonce: u64,
    pub worker_time_ms: u64,
    pub payment: ReceiptPayment,
}

/// What a request paid, as its receipt commits to it. All zero for an unpaid request; an
/// unpaid receipt may still name the prices that settling it on chain costs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiptPayment {
    /// The payment channel that paid (0: none).
    pub channel_id: u64,
    /// The cumulative amount of the channel payment taken for this request.
    pub amount: u128,
    /// The provider's price and the model owner's royalty charged for this request.
    pub price: u128,
    pub royalty: u128,
}

impl ReceiptBody {
    /// Builds a body from the actual input and output.
    pub fn new(
        chain_id: &str,
        provider: [u8; 20],
        model_id: &str,
        input: &[i8],
        output: &[i32],
        nonce: u64,
        worker_time_ms: u64,
    ) -> Self {
        Self {
            chain_id: chain_id.to_string(),
            provider,
            model_id: model_id.to_string(),
            input_hash: hash_input(input),
            output_hash: hash_output(output),
            nonce,
            worker_time_ms,
            payment: ReceiptPayment::default(),
        }
    }

    /// The same body, committing to `payment`.
    pub fn with_payment(mut self, payment: ReceiptPayment) -> Self {
        self.payment = payment;
        self
    }

    /// The canonical bytes the signature covers (see the module docs).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, ReceiptError> {
        let mut out = Vec::with_capacity(
            DOMAIN_TAG.len() + 2 + self.chain_id.len() + 20 + 2 + self.model_id.len() + 136,
        );
        out.extend_from_slice(DOMAIN_TAG);
        put_str(&mut out, "chain_id", &self.chain_id)?;
        out.extend_from_slice(&self.provider);
        put_str(&mut out, "model_id", &self.model_id)?;
        out.extend_from_slice(&self.input_hash);
        out.extend_from_slice(&self.output_hash);
        out.extend_from_slice(&self.nonce.to_be_bytes());
        out.extend_from_slice(&self.worker_time_ms.to_be_bytes());
        out.extend_from_slice(&self.payment.channel_id.to_be_bytes());
        out.extend_from_slice(&self.payment.amount.to_be_bytes());
        out.extend_from_slice(&self.payment.price.to_be_bytes());
        out.extend_from_slice(&self.payment.royalty.to_be_bytes());
        Ok(out)
    }

    /// Receipt id: SHA-256 of the canonical bytes.
    pub fn id(&self) -> Result<[u8; 32], ReceiptError> {
        Ok(Sha256::digest(self.canonical_bytes()?).into())
    }

    /// Signs the body with the worker key.
    pub fn sign(self, key: &SigningKey) -> Result<SignedReceipt, ReceiptError> {
        let sig = key.sign(&self.canonical_bytes()?);
        Ok(SignedReceipt {
            body: self,
            worker_pubkey: key.verifying_key().to_bytes(),
            signature: sig.to_bytes(),
        })
    }
}

fn put_str(out: &mut Vec<u8>, field: &'static str, s: &str) -> Result<(), ReceiptError> {
    if s.len() > MAX_STRING_LEN {
        return Err(ReceiptError::StringTooLong {
            field,
            len: s.len(),
        });
    }
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// An amount on the wire: empty for zero (proto3's default, what an unpaid receipt carries).
fn amount_string(a: u128) -> String {
    if a == 0 {
        String::new()
    } else {
        a.to_string()
    }
}

/// A receipt with the worker's public key and signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReceipt {
    pub body: ReceiptBody,
    pub worker_pubkey: [u8; 32],
    pub signature: [u8; 64],
}

impl SignedReceipt {
    /// Whether the receipt names a key `provider` registered for its receipts: its current
    /// key, or the previous one for receipts stamped before the change (receipts a client
    /// kept from before a key rotation are still the provider's). The signature itself is
    /// checked by [`Self::verify`].
    pub fn signed_with_key_of(&self, provider: &crate::pb::Provider) -> bool {
        let key = self.worker_pubkey.as_slice();
        key == provider.receipt_pubkey.as_slice()
            || (!provider.previous_receipt_pubkey.is_empty()
                && key == provider.previous_receipt_pubkey.as_slice()
                && self.body.worker_time_ms <= provider.receipt_key_changed_ms)
    }

    /// Checks the ed25519 signature against `worker_pubkey` (strict verification: no
    /// malleable or small-order signatures).
    pub fn verify(&self) -> Result<(), ReceiptError> {
        let vk =
            VerifyingKey::from_bytes(&self.worker_pubkey).map_err(|_| ReceiptError::PublicKey)?;
        let sig = Signature::from_bytes(&self.signature);
        let msg = self.body.canonical_bytes()?;
        vk.verify_strict(&msg, &sig)
            .map_err(|_| ReceiptError::BadSignature)?;
        Ok(())
    }

    /// Checks the signature and that the receipt commits to this input and output.
    pub fn verify_with_data(&self, input: &[i8], output: &[i32]) -> Result<(), ReceiptError> {
        self.verify()?;
        if hash_input(input) != self.body.input_hash {
            return Err(ReceiptError::HashMismatch("input"));
        }
        if hash_output(output) != self.body.output_hash {
            return Err(ReceiptError::HashMismatch("output"));
        }
        Ok(())
    }

    /// Receipt id: SHA-256 of the canonical bytes of the body.
    pub fn id(&self) -> Result<[u8; 32], ReceiptError> {
        self.body.id()
    }

    /// The protobuf form (`pol.inference.v1.Receipt`, wire-compatible with `pol.worker.v1.Receipt`).
    pub fn to_proto(&self) -> crate::pb::Receipt {
        crate::pb::Receipt {
            chain_id: self.body.chain_id.clone(),
            provider: format_address(&self.body.provider),
            model_id: self.body.model_id.clone(),
            input_hash: self.body.input_hash.to_vec(),
            output_hash: self.body.output_hash.to_vec(),
            nonce: self.body.nonce,
            worker_time_ms: self.body.worker_time_ms,
            worker_pubkey: self.worker_pubkey.to_vec(),
            signature: self.signature.to_vec(),
            channel_id: self.body.payment.channel_id,
            payment_amount: amount_string(self.body.payment.amount),
            price: amount_string(self.body.payment.price),
            royalty: amount_string(self.body.payment.royalty),
        }
    }

    /// Parses the protobuf form; does not check the signature (call [`Self::verify`]).
    pub fn from_proto(p: &crate::pb::Receipt) -> Result<Self, ReceiptError> {
        fn fixed<const N: usize>(field: &'static str, b: &[u8]) -> Result<[u8; N], ReceiptError> {
            b.try_into().map_err(|_| ReceiptError::FieldLength {
                field,
                expected: N,
                got: b.len(),
            })
        }
        // Amounts are decimal u128; empty is zero.
        fn amount(field: &'static str, s: &str) -> Result<u128, ReceiptError> {
            if s.is_empty() {
                return Ok(0);
            }
            if s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ReceiptError::Amount(field));
            }
            s.parse().map_err(|_| ReceiptError::Amount(field))
        }
        for (field, s) in [("chain_id", &p.chain_id), ("model_id", &p.model_id)] {
            if s.len() > MAX_STRING_LEN {
                return Err(ReceiptError::StringTooLong {
                    field,
                    len: s.len(),
                });
            }
        }
        Ok(Self {
            body: ReceiptBody {
                chain_id: p.chain_id.clone(),
                provider: parse_address(&p.provider)?,
                model_id: p.model_id.clone(),
                input_hash: fixed("input_hash", &p.input_hash)?,
                output_hash: fixed("output_hash", &p.output_hash)?,
                nonce: p.nonce,
                worker_time_ms: p.worker_time_ms,
                payment: ReceiptPayment {
                    channel_id: p.channel_id,
                    amount: amount("payment_amount", &p.payment_amount)?,
                    price: amount("price", &p.price)?,
                    royalty: amount("royalty", &p.royalty)?,
                },
            },
            worker_pubkey: fixed("worker_pubkey", &p.worker_pubkey)?,
            signature: fixed("signature", &p.signature)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn body() -> ReceiptBody {
        ReceiptBody::new(
            "pol-local-1",
            [3u8; 20],
            "digits-64-32-10",
            &[1, -2, 3],
            &[10, -20, 30],
            42,
            1_700_000_000_000,
        )
    }

    #[test]
    fn canonical_bytes_layout_is_stable() {
        let b = body().canonical_bytes().unwrap();
        assert_eq!(&b[..25], DOMAIN_TAG);
        assert_eq!(&b[25..27], &11u16.to_be_bytes());
        assert_eq!(&b[27..38], b"pol-local-1");
        assert_eq!(&b[38..58], &[3u8; 20]);
        assert_eq!(
            b.len(),
            25 + 2 + 11 + 20 + 2 + 15 + 32 + 32 + 8 + 8 + 8 + 48
        );
        assert_eq!(&b[b.len() - 72..b.len() - 64], &42u64.to_be_bytes());
        let paid = body()
            .with_payment(ReceiptPayment {
                channel_id: 5,
                amount: 130,
                price: 10,
                royalty: 3,
            })
            .canonical_bytes()
            .unwrap();
        assert_eq!(&paid[paid.len() - 56..paid.len() - 48], &5u64.to_be_bytes());
        assert_eq!(
            &paid[paid.len() - 48..paid.len() - 32],
            &130u128.to_be_bytes()
        );
        assert_eq!(&paid[paid.len() - 16..], &3u128.to_be_bytes());
        // Hash of the input: one byte per i8, two's complement.
        assert_eq!(
            body().input_hash,
            <[u8; 32]>::from(Sha256::digest([1u8, 0xfe, 3]))
        );
    }

    /// The Python client (`client/python/tests`) computes the same id and signature for
    /// this receipt: the two implementations agree on the canonical encoding.
    #[test]
    fn the_python_client_agrees_on_the_canonical_bytes() {
        let r = body()
            .with_payment(ReceiptPayment {
                channel_id: 5,
                amount: 130,
                price: 10,
                royalty: 3,
            })
            .sign(&key())
            .unwrap();
        assert_eq!(
            hex::encode(r.id().unwrap()),
            "b7cbec444fc55c0577709de3c908f5b1bb561e5dda3a2fc4f26ec25736c16509"
        );
        assert_eq!(
            hex::encode(r.signature),
            "da6e4e88114dfe494d10713157510e385d79408d6344d58574a334a73dee8f6d\
             b688eee99d54a6940ddaf24cacbd8a3f32cb0dd8ae283fb7c06cb3ec0bfb7600"
        );
    }

    #[test]
    fn sign_verify_and_tamper() {
        let r = body().sign(&key()).unwrap();
        r.verify().unwrap();
        r.verify_with_data(&[1, -2, 3], &[10, -20, 30]).unwrap();
        assert_eq!(
            r.verify_with_data(&[1, -2, 4], &[10, -20, 30]),
            Err(ReceiptError::HashMismatch("input"))
        );
        for f in 0..8 {
            let mut t = r.clone();
            match f {
                0 => t.body.nonce += 1,
                1 => t.body.chain_id.push('x'),
                2 => t.body.provider[0] ^= 1,
                3 => t.body.worker_time_ms += 1,
                4 => t.body.payment.price += 1,
                5 => t.body.payment.royalty += 1,
                6 => t.body.payment.channel_id += 1,
                _ => t.body.model_id = "other".into(),
            }
            assert_eq!(t.verify(), Err(ReceiptError::BadSignature), "field {f}");
        }
    }

    #[test]
    fn proto_round_trip_and_address() {
        let r = body().sign(&key()).unwrap();
        let p = r.to_proto();
        assert!(p.provider.starts_with("pol1"));
        assert_eq!(SignedReceipt::from_proto(&p).unwrap(), r);
        assert_eq!(parse_address(&p.provider).unwrap(), [3u8; 20]);
        let mut bad = p.clone();
        bad.signature.pop();
        assert!(SignedReceipt::from_proto(&bad).is_err());
        let mut bad = p.clone();
        bad.price = "-1".into();
        assert_eq!(
            SignedReceipt::from_proto(&bad),
            Err(ReceiptError::Amount("price"))
        );
        assert!(matches!(
            parse_address("cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du"),
            Err(ReceiptError::AddressPrefix { .. }) | Err(ReceiptError::Address(..))
        ));
    }
}
