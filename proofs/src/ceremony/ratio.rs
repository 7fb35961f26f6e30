//! Pairing "same ratio" checks, random linear combinations and bulk scalar multiplication.

use super::Progress;
use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::{
    pairing::Pairing,
    scalar_mul::glv::GLVConfig,
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    AffineRepr, CurveGroup, VariableBaseMSM,
};
use ark_ff::{Field, One};
use rand::RngCore;
use rayon::prelude::*;

/// Points per parallel task in bulk scalar multiplication (also the progress granularity).
const CHUNK: usize = 1024;

/// `log_{a1}(b1) = log_{a2}(b2)`, i.e. `e(a1, b2) = e(b1, a2)`: the G1 pair and the G2 pair
/// differ by the same factor.
pub(crate) fn same_ratio(g1: (G1Affine, G1Affine), g2: (G2Affine, G2Affine)) -> bool {
    let (a1, b1) = g1;
    let (a2, b2) = g2;
    Bn254::multi_pairing([a1, (-b1.into_group()).into_affine()], [b2, a2])
        .0
        .is_one()
}

/// 128-bit random scalars, as their low and high 64-bit halves.
pub(crate) struct Scalars128 {
    lo: Vec<u64>,
    hi: Vec<u64>,
}

impl Scalars128 {
    pub(crate) fn random(len: usize, rng: &mut impl RngCore) -> Self {
        let mut lo = vec![0u64; len];
        let mut hi = vec![0u64; len];
        for (l, h) in lo.iter_mut().zip(&mut hi) {
            *l = rng.next_u64();
            *h = rng.next_u64();
        }
        Scalars128 { lo, hi }
    }

    /// The scalars as field elements.
    pub(crate) fn to_fr(&self) -> Vec<Fr> {
        self.lo
            .par_iter()
            .zip(&self.hi)
            .map(|(&l, &h)| Fr::from((u128::from(h) << 64) | u128::from(l)))
            .collect()
    }

    /// `Σ r_i·bases[i]` as two 64-bit MSMs (`2^64·Σ hi_i·P_i + Σ lo_i·P_i`), about half the
    /// cost of one MSM with full-size scalars.
    pub(crate) fn msm<C: SWCurveConfig<ScalarField = Fr>>(
        &self,
        bases: &[Affine<C>],
    ) -> Projective<C> {
        let n = bases.len().min(self.lo.len());
        let (lo, hi) = rayon::join(
            || Projective::<C>::msm_u64(&bases[..n], &self.lo[..n]),
            || Projective::<C>::msm_u64(&bases[..n], &self.hi[..n]),
        );
        hi * Fr::from(2u64).pow([64]) + lo
    }
}

/// For vectors `v` that should each be a geometric sequence with the same ratio `ρ`
/// (`v[i+1] = ρ·v[i]`), returns `(Σ r·v[i], Σ r·v[i+1])` over all of them with independent
/// random 128-bit `r`s: the sequences are all geometric with ratio `ρ` iff the second sum is
/// `ρ` times the first, except with probability `≤ 2^-128` per violated position.
pub(crate) fn shifted_sums<C: SWCurveConfig<ScalarField = Fr>>(
    vectors: &[&[Affine<C>]],
    rng: &mut impl RngCore,
) -> (Affine<C>, Affine<C>) {
    let mut lhs = Projective::<C>::default();
    let mut rhs = Projective::<C>::default();
    for v in vectors {
        if v.len() < 2 {
            continue;
        }
        let r = Scalars128::random(v.len() - 1, rng);
        let (l, h) = rayon::join(|| r.msm(&v[..v.len() - 1]), || r.msm(&v[1..]));
        lhs += l;
        rhs += h;
    }
    (lhs.into_affine(), rhs.into_affine())
}

/// `p·k` with the GLV endomorphism (ark-bn254 uses it by default for G1 only; it halves the
/// cost in G2 too).
pub(crate) fn glv<C: GLVConfig<ScalarField = Fr>>(p: Projective<C>, k: Fr) -> Projective<C> {
    C::glv_mul_projective(p, k)
}

/// `points[i] *= first·ratio^i`, in parallel chunks (GLV scalar multiplication, then batch
/// normalisation back to affine).
pub(crate) fn scale_by_powers<C: GLVConfig<ScalarField = Fr>>(
    points: &mut [Affine<C>],
    first: Fr,
    ratio: Fr,
    progress: &dyn Progress,
) {
    points
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            let mut s = first * ratio.pow([(c * CHUNK) as u64]);
            let proj: Vec<Projective<C>> = chunk
                .iter()
                .map(|p| {
                    let q = glv(p.into_group(), s);
                    s *= ratio;
                    q
                })
                .collect();
            chunk.copy_from_slice(&Projective::normalize_batch(&proj));
            progress.advance(chunk.len() as u64);
        });
}

/// `points[i] *= x` for every `i`.
pub(crate) fn scale_all<C: GLVConfig<ScalarField = Fr>>(
    points: &mut [Affine<C>],
    x: Fr,
    progress: &dyn Progress,
) {
    scale_by_powers(points, x, Fr::one(), progress)
}

/// `p·x` as an affine point.
pub(crate) fn mul<C: GLVConfig<ScalarField = Fr>>(p: Affine<C>, x: Fr) -> Affine<C> {
    glv(p.into_group(), x).into_affine()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn shifted_sums_detect_a_broken_sequence() {
        let mut rng = StdRng::seed_from_u64(9);
        let rho = Fr::rand(&mut rng);
        let mut v = vec![G1Affine::generator(); 40];
        scale_by_powers(&mut v, Fr::from(3u64), rho, &super::super::Quiet);
        let g2 = G2Affine::generator();
        let rho2 = mul(g2, rho);
        let (l, r) = shifted_sums(&[&v], &mut rng);
        assert!(same_ratio((l, r), (g2, rho2)));
        v[17] = mul(v[17], Fr::from(2u64));
        let (l, r) = shifted_sums(&[&v], &mut rng);
        assert!(!same_ratio((l, r), (g2, rho2)));
    }
}
