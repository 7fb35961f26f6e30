//! An account's signing key.

use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey};
use pol_component::Address;

/// An account's secp256k1 signing key.
#[derive(Clone)]
pub struct SignerKey {
    pub key: SigningKey,
}

impl SignerKey {
    pub fn from_bytes(secret: &[u8]) -> Result<Self, String> {
        SigningKey::from_slice(secret)
            .map(|key| SignerKey { key })
            .map_err(|e| format!("invalid secp256k1 secret: {e}"))
    }

    pub fn random() -> Self {
        SignerKey {
            key: SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    pub fn public_key(&self) -> Vec<u8> {
        self.key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec()
    }

    pub fn address(&self) -> Address {
        // A key we hold is a valid point, so it always has an address.
        pol_auth::address_of_pubkey(&self.public_key()).expect("valid secp256k1 key")
    }

    /// Low-S ECDSA over SHA-256 of `msg` (k256 normalizes s when signing).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(msg);
        sig.to_bytes().to_vec()
    }
}
