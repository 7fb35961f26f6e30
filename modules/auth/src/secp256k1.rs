//! Account keys: the address a secp256k1 key signs for, and strict signature checks.
//! The node's ante handler, gentx checks and every client derive addresses here, so a key
//! has one address everywhere.

use std::sync::OnceLock;

use pol_component::{Address, TxError};
use sha2::Digest as _;

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

/// The verifier's precomputed tables, built once per process.
fn verifier() -> &'static secp256k1::Secp256k1<secp256k1::VerifyOnly> {
    static VERIFIER: OnceLock<secp256k1::Secp256k1<secp256k1::VerifyOnly>> = OnceLock::new();
    VERIFIER.get_or_init(secp256k1::Secp256k1::verification_only)
}

/// Verify a SIGN_MODE_DIRECT signature strictly: 64-byte r||s, low-S only, key on the curve.
///
/// The ECDSA check itself runs in libsecp256k1 (about 2.5x faster than k256, and most of a
/// bank send's CPU); what it accepts is exactly what k256 accepts, which
/// `agrees_with_k256_on_every_input_shape` holds it to, so nodes on either agree.
pub fn verify_secp256k1(
    pubkey: &[u8],
    sign_bytes: &[u8],
    signature: &[u8],
) -> Result<(), &'static str> {
    // SEC1 compressed or uncompressed only, as k256 reads keys: libsecp256k1 also reads the
    // "hybrid" 0x06/0x07 form, which no Cosmos key uses.
    if !matches!(
        (pubkey.len(), pubkey.first()),
        (33, Some(2 | 3)) | (65, Some(4))
    ) {
        return Err("invalid public key");
    }
    let key = secp256k1::PublicKey::from_slice(pubkey).map_err(|_| "invalid public key")?;
    // k256 parses r and s (each in [1, n)), so the errors stay what they were.
    let sig = k256::ecdsa::Signature::from_slice(signature)
        .map_err(|_| "signature must be 64 bytes r||s")?;
    if sig.normalize_s().is_some() {
        // A high-S signature is the malleated twin of a valid one; Cosmos rejects it too.
        return Err("signature is not in low-S form");
    }
    let sig = secp256k1::ecdsa::Signature::from_compact(signature)
        .map_err(|_| "signature must be 64 bytes r||s")?;
    let digest: [u8; 32] = sha2::Sha256::digest(sign_bytes).into();
    let message =
        secp256k1::Message::from_slice(&digest).map_err(|_| "signature does not verify")?;
    verifier()
        .verify_ecdsa(&message, &sig, &key)
        .map_err(|_| "signature does not verify")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::{Signer, Verifier};
    use rand::{Rng, SeedableRng};

    /// k256's verdict, the reference libsecp256k1 must match.
    fn k256_verdict(pubkey: &[u8], msg: &[u8], signature: &[u8]) -> Result<(), &'static str> {
        let vk =
            k256::ecdsa::VerifyingKey::from_sec1_bytes(pubkey).map_err(|_| "invalid public key")?;
        let sig = k256::ecdsa::Signature::from_slice(signature)
            .map_err(|_| "signature must be 64 bytes r||s")?;
        if sig.normalize_s().is_some() {
            return Err("signature is not in low-S form");
        }
        vk.verify(msg, &sig)
            .map_err(|_| "signature does not verify")
    }

    #[test]
    fn agrees_with_k256_on_every_input_shape() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut accepted = 0;
        for i in 0..300 {
            let sk = k256::ecdsa::SigningKey::random(&mut rng);
            let vk = sk.verifying_key();
            let msg: Vec<u8> = (0..rng.gen_range(0..300)).map(|_| rng.gen()).collect();
            let sig: k256::ecdsa::Signature = sk.sign(&msg);
            let compressed = vk.to_encoded_point(true).as_bytes().to_vec();
            let uncompressed = vk.to_encoded_point(false).as_bytes().to_vec();
            let good = sig.to_bytes().to_vec();
            // The malleated twin: s -> n - s.
            let (r, s) = sig.split_scalars();
            let high = k256::ecdsa::Signature::from_scalars(r, -*s)
                .unwrap()
                .to_bytes()
                .to_vec();
            let mut flipped = good.clone();
            flipped[i % 64] ^= 1 << (i % 8);
            let mut hybrid = uncompressed.clone();
            hybrid[0] = 6 + (uncompressed[64] & 1);
            let mut off_curve = compressed.clone();
            off_curve[1 + i % 32] ^= 0x40;
            let mut other_msg = msg.clone();
            other_msg.push(1);
            let zeros = [0u8; 64];
            let ones = [0xffu8; 64];
            let cases: [(&[u8], &[u8], &[u8]); 11] = [
                (&compressed, &msg, &good),
                (&uncompressed, &msg, &good),
                (&compressed, &msg, &high),
                (&compressed, &msg, &flipped),
                (&compressed, &other_msg, &good),
                (&hybrid, &msg, &good),
                (&off_curve, &msg, &good),
                (&compressed[..32], &msg, &good),
                (&compressed, &msg, &good[..63]),
                (&compressed, &msg, &zeros),
                (&compressed, &msg, &ones),
            ];
            for (case, (key, m, s)) in cases.iter().enumerate() {
                let ours = verify_secp256k1(key, m, s);
                assert_eq!(ours, k256_verdict(key, m, s), "round {i}, case {case}");
                accepted += usize::from(ours.is_ok());
            }
        }
        // Compressed and uncompressed keys with the right signature, in every round (and a
        // bit flip in the signature that happens to keep it valid never does).
        assert_eq!(accepted, 600);
    }
}
