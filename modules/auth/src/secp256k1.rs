//! Account keys: the address a secp256k1 key signs for, and strict signature checks.
//! The node's ante handler, gentx checks and every client derive addresses here, so a key
//! has one address everywhere.

use k256::ecdsa::signature::Verifier;
use pol_component::{Address, TxError};

/// Derive the account address of a compressed secp256k1 key (RIPEMD160(SHA256(pk))).
pub fn address_of_pubkey(pubkey: &[u8]) -> Result<Address, TxError> {
    use ripemd::Digest as _;
    // Only keys that are valid, compressed curve points have an address.
    if pubkey.len() != 33 || k256::ecdsa::VerifyingKey::from_sec1_bytes(pubkey).is_err() {
        return Err(TxError::INVALID_PUBKEY(
            "not a valid compressed secp256k1 public key",
        ));
    }
    let sha = sha2::Sha256::digest(pubkey);
    let rip = ripemd::Ripemd160::digest(sha);
    Ok(Address(rip.into()))
}

/// Verify a SIGN_MODE_DIRECT signature strictly: 64-byte r||s, low-S only, key on the curve.
pub fn verify_secp256k1(
    pubkey: &[u8],
    sign_bytes: &[u8],
    signature: &[u8],
) -> Result<(), &'static str> {
    let vk =
        k256::ecdsa::VerifyingKey::from_sec1_bytes(pubkey).map_err(|_| "invalid public key")?;
    let sig = k256::ecdsa::Signature::from_slice(signature)
        .map_err(|_| "signature must be 64 bytes r||s")?;
    if sig.normalize_s().is_some() {
        // A high-S signature is the malleated twin of a valid one; Cosmos rejects it too.
        return Err("signature is not in low-S form");
    }
    vk.verify(sign_bytes, &sig)
        .map_err(|_| "signature does not verify")
}
