//! Proofs of knowledge of a contribution's secrets.
//!
//! For a secret `x` the contributor publishes `X1 = x·G1`, `X2 = x·G2` and a Schnorr proof of
//! knowledge of `x` for `X1` (`R = k·G1`, `s = k + c·x`) whose Fiat–Shamir challenge `c`
//! hashes a *context* (the previous state's hash and the contributor's identity, see
//! [`super::Contribution::context`]), a label naming the secret, `X1`, `X2` and `R`. The
//! verifier checks `s·G1 = R + c·X1` and `e(X1, G2) = e(G1, X2)`, so `X2` carries the same
//! known `x`; the state update is then checked against `X2` with a pairing.
//!
//! Why it matters: a contributor who goes after an honest one cannot cancel the honest secret
//! (publish `X2 = (t/τ_honest)·G2` for a `t` of their choice) because they would have to know
//! the discrete logarithm of `X1`; binding the challenge to the previous state's hash stops
//! them from replaying someone else's proof in another place of the transcript.

use super::encoding::{put_fr, put_point, Reader, FR_BYTES, G1_BYTES, G2_BYTES};
use super::ratio::same_ratio;
use super::CeremonyError;
use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, UniformRand, Zero};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

/// A proof of knowledge of `x` (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pok {
    /// `x·G1`.
    pub x_g1: G1Affine,
    /// `x·G2`.
    pub x_g2: G2Affine,
    /// Schnorr commitment `k·G1`.
    pub r_g1: G1Affine,
    /// Schnorr response `k + c·x`.
    pub s: Fr,
}

/// Encoded size of a [`Pok`].
pub(crate) const POK_BYTES: usize = 2 * G1_BYTES + G2_BYTES + FR_BYTES;

impl Pok {
    /// Proves knowledge of `x` (nonzero) in `context`.
    pub(crate) fn prove<R: RngCore + CryptoRng>(
        x: &Fr,
        context: &[u8; 32],
        label: &'static str,
        rng: &mut R,
    ) -> Pok {
        let x_g1 = (G1Affine::generator() * x).into_affine();
        let x_g2 = (G2Affine::generator() * x).into_affine();
        let k = loop {
            let k = Fr::rand(rng);
            if !k.is_zero() {
                break k;
            }
        };
        let r_g1 = (G1Affine::generator() * k).into_affine();
        let c = challenge(context, label, &x_g1, &x_g2, &r_g1);
        Pok {
            x_g1,
            x_g2,
            r_g1,
            s: k + c * x,
        }
    }

    /// Checks the Schnorr equation and that `X1`, `X2` share `x ≠ 0`.
    pub(crate) fn verify(&self, context: &[u8; 32], label: &'static str) -> bool {
        if self.x_g1.is_zero() || self.x_g2.is_zero() {
            return false;
        }
        let c = challenge(context, label, &self.x_g1, &self.x_g2, &self.r_g1);
        let lhs = G1Affine::generator() * self.s;
        let rhs = self.x_g1 * c + self.r_g1;
        lhs == rhs
            && same_ratio(
                (G1Affine::generator(), self.x_g1),
                (G2Affine::generator(), self.x_g2),
            )
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_point(out, &self.x_g1);
        put_point(out, &self.x_g2);
        put_point(out, &self.r_g1);
        put_fr(out, &self.s);
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Pok, CeremonyError> {
        Ok(Pok {
            x_g1: r.point()?,
            x_g2: r.point()?,
            r_g1: r.point()?,
            s: r.fr()?,
        })
    }
}

/// Fiat–Shamir challenge: 512 bits of sha256 output reduced mod r (negligible bias).
fn challenge(
    context: &[u8; 32],
    label: &str,
    x_g1: &G1Affine,
    x_g2: &G2Affine,
    r_g1: &G1Affine,
) -> Fr {
    let mut transcript = Vec::with_capacity(64 + POK_BYTES);
    transcript.extend_from_slice(context);
    transcript.extend_from_slice(&(label.len() as u16).to_le_bytes());
    transcript.extend_from_slice(label.as_bytes());
    put_point(&mut transcript, x_g1);
    put_point(&mut transcript, x_g2);
    put_point(&mut transcript, r_g1);
    let mut wide = Vec::with_capacity(64);
    for i in 0u8..2 {
        let mut h = Sha256::new();
        h.update(b"pol-ceremony/v1/pok-challenge");
        h.update([i]);
        h.update(&transcript);
        wide.extend_from_slice(&h.finalize());
    }
    Fr::from_le_bytes_mod_order(&wide)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn pok_verifies_only_in_its_context() {
        let mut rng = StdRng::seed_from_u64(1);
        let x = Fr::rand(&mut rng);
        let ctx = [7u8; 32];
        let p = Pok::prove(&x, &ctx, "tau", &mut rng);
        assert!(p.verify(&ctx, "tau"));
        assert!(!p.verify(&[8u8; 32], "tau"), "other context");
        assert!(!p.verify(&ctx, "alpha"), "other label");
        let mut q = p;
        q.s += Fr::from(1u64);
        assert!(!q.verify(&ctx, "tau"), "bad response");
        let mut q = p;
        q.x_g2 = (G2Affine::generator() * (x + Fr::from(1u64))).into_affine();
        assert!(!q.verify(&ctx, "tau"), "x·G2 for another x");
        let mut buf = Vec::new();
        p.encode(&mut buf);
        assert_eq!(buf.len(), POK_BYTES);
        let mut r = Reader::new(&buf, "pok");
        assert_eq!(Pok::decode(&mut r).unwrap(), p);
        r.finish().unwrap();
    }
}
