//! Signatures this process has already verified in CheckTx, so FinalizeBlock does not
//! verify the same bytes twice (a secp256k1 verification is most of a bank send's CPU).
//!
//! The entry is `sha256(pubkey ‖ sign bytes ‖ signature)`, the complete input of a pure
//! function: a hit means the same key, sign bytes (chain id, account number, body and auth
//! info) and signature verified before, so the answer cannot differ from verifying again
//! and consensus stays deterministic whatever each node's cache holds. Gas is charged the
//! same either way. Only successes are remembered; the set is bounded (oldest out first),
//! and a block takes an entry out when it uses it.

use std::collections::{BTreeSet, VecDeque};
use std::sync::OnceLock;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// How a transaction's signature is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigCheck {
    /// Not at all (CheckTx's recheck: the signature verified when the tx entered).
    Skip,
    /// Verify, and remember a success (CheckTx).
    VerifyAndRemember,
    /// Use a remembered success, else verify (FinalizeBlock).
    Remembered,
}

/// Entries kept: a few blocks' worth of transactions at full load (32 bytes each).
const CAPACITY: usize = 200_000;

#[derive(Default)]
struct Verified {
    set: BTreeSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

fn verified() -> &'static Mutex<Verified> {
    static VERIFIED: OnceLock<Mutex<Verified>> = OnceLock::new();
    VERIFIED.get_or_init(Default::default)
}

fn entry(pubkey: &[u8], sign_bytes: &[u8], signature: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [pubkey, sign_bytes, signature] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// `POL_SIG_CACHE=off` verifies every signature in FinalizeBlock again, for measuring what
/// the cache saves (`scripts/bench-chain`); the outcome is the same either way.
fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("POL_SIG_CACHE").map_or(true, |v| v != "off"))
}

/// [`pol_auth::verify_secp256k1`], as `check` says.
pub fn verify(
    check: SigCheck,
    pubkey: &[u8],
    sign_bytes: &[u8],
    signature: &[u8],
) -> Result<(), &'static str> {
    match check {
        SigCheck::Skip => Ok(()),
        SigCheck::VerifyAndRemember if !enabled() => {
            pol_auth::verify_secp256k1(pubkey, sign_bytes, signature)
        }
        SigCheck::VerifyAndRemember => {
            pol_auth::verify_secp256k1(pubkey, sign_bytes, signature)?;
            let e = entry(pubkey, sign_bytes, signature);
            let mut v = verified().lock();
            if v.set.insert(e) {
                v.order.push_back(e);
                while v.order.len() > CAPACITY {
                    if let Some(old) = v.order.pop_front() {
                        v.set.remove(&old);
                    }
                }
            }
            Ok(())
        }
        SigCheck::Remembered => {
            let e = entry(pubkey, sign_bytes, signature);
            if verified().lock().set.remove(&e) {
                // Left in `order`; evicting it later removes nothing.
                return Ok(());
            }
            pol_auth::verify_secp256k1(pubkey, sign_bytes, signature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(memo: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let key = pol_client::SignerKey::random();
        let bytes = format!("sign doc {memo}").into_bytes();
        let sig = key.sign(&bytes);
        (key.public_key().to_vec(), bytes, sig)
    }

    #[test]
    fn a_remembered_success_is_used_once_and_a_forgery_never_hits() {
        let (pk, bytes, sig) = signed("a");
        verify(SigCheck::VerifyAndRemember, &pk, &bytes, &sig).unwrap();
        assert!(verified().lock().set.contains(&entry(&pk, &bytes, &sig)));
        verify(SigCheck::Remembered, &pk, &bytes, &sig).unwrap();
        assert!(!verified().lock().set.contains(&entry(&pk, &bytes, &sig)));
        // Not remembered any more: verified again, still fine.
        verify(SigCheck::Remembered, &pk, &bytes, &sig).unwrap();

        // Other bytes under a remembered signature: verified, and refused.
        verify(SigCheck::VerifyAndRemember, &pk, &bytes, &sig).unwrap();
        let mut other = bytes.clone();
        other[0] ^= 1;
        assert!(verify(SigCheck::Remembered, &pk, &other, &sig).is_err());
        let mut bad = sig.clone();
        bad[5] ^= 1;
        assert!(verify(SigCheck::VerifyAndRemember, &pk, &bytes, &bad).is_err());
        assert!(!verified().lock().set.contains(&entry(&pk, &bytes, &bad)));
        assert!(verify(SigCheck::Remembered, &pk, &bytes, &bad).is_err());
    }
}
