//! Batch verification of many proofs under one key.
//!
//! For proofs `(A_i, B_i, C_i)` with public-input points `IC_i`, a single proof is valid iff
//! `e(A_i, B_i) · e(IC_i, -γ) · e(C_i, -δ) · e(α, -β) = 1`. The batch checks
//!
//! ```text
//! Π e(r_i A_i, B_i) · e(Σ r_i IC_i, -γ) · e(Σ r_i C_i, -δ) · e((Σ r_i) α, -β) = 1
//! ```
//!
//! with one multi-Miller loop over `n + 3` pairs and one final exponentiation. `Σ r_i IC_i` is
//! one MSM over the key's input points with scalars `(Σ r_i, Σ r_i x_i1, …)`, and `Σ r_i C_i`
//! one MSM over the proofs. The 128-bit scalars `r_i` are derived by hashing the key's content
//! hash, every statement's public inputs and every proof, so they are deterministic (every
//! validator reaches the same verdict) yet unpredictable to whoever produced the proofs: a
//! batch containing an invalid proof passes with probability at most about 2^-128.
//!
//! If the batch equation fails, every proof is verified on its own and the failing indices are
//! returned, so the verdict is always exactly that of [`crate::verify`] on each item.

use crate::commitment::fr_to_bytes;
use crate::keys::{PreparedVerifyingKey, Proof};
use crate::statement::Statement;
use crate::{verify, ProofError};
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective};
use ark_ec::{pairing::Pairing, CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// The proofs of a batch that do not verify.
#[derive(Debug, thiserror::Error)]
#[error("{} of {total} proofs are invalid: indices {bad:?}", bad.len())]
pub struct BatchError {
    /// Indices (into the batch) of the invalid items, ascending.
    pub bad: Vec<usize>,
    /// Why each of `bad` failed, in the same order.
    pub reasons: Vec<String>,
    /// Size of the batch.
    pub total: usize,
}

/// The batch's random scalars, derived from the key, every public input and every proof.
fn batch_scalars(pvk: &PreparedVerifyingKey, items: &[(&[Fr], &Proof)]) -> Vec<Fr> {
    let mut h = Sha256::new();
    h.update(b"pol-proofs/batch-verify/v1");
    h.update(pvk.content_hash);
    h.update((items.len() as u64).to_le_bytes());
    for (public, proof) in items {
        h.update((public.len() as u64).to_le_bytes());
        for x in public.iter() {
            h.update(fr_to_bytes(*x));
        }
        h.update(proof.to_bytes());
    }
    let seed: [u8; 32] = h.finalize().into();
    (0..items.len() as u64)
        .map(|i| {
            let d = Sha256::digest([seed.as_slice(), &i.to_le_bytes()].concat());
            let mut lo = [0u8; 16];
            lo.copy_from_slice(&d[..16]);
            let r = u128::from_le_bytes(lo);
            Fr::from(if r == 0 { 1 } else { r })
        })
        .collect()
}

/// The batch equation over well-formed items.
fn batch_equation(pvk: &PreparedVerifyingKey, items: &[(&[Fr], &Proof)]) -> bool {
    let vk = &pvk.pvk.vk;
    let r = batch_scalars(pvk, items);
    let n_inputs = vk.gamma_abc_g1.len();
    // Σ r_i (1, x_i1, x_i2, …)
    let mut ic_scalars = vec![Fr::zero(); n_inputs];
    for ((public, _), ri) in items.iter().zip(&r) {
        ic_scalars[0] += ri;
        for (s, x) in ic_scalars[1..].iter_mut().zip(public.iter()) {
            *s += *ri * x;
        }
    }
    let r_sum = ic_scalars[0];
    let ic = G1Projective::msm_unchecked(&vk.gamma_abc_g1, &ic_scalars);
    let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.0.c).collect();
    let c = G1Projective::msm_unchecked(&cs, &r);
    let alpha = vk.alpha_g1 * r_sum;
    let ra: Vec<G1Projective> = items
        .par_iter()
        .zip(&r)
        .map(|((_, p), ri)| p.0.a * ri)
        .collect();
    let mut g1 = ra;
    g1.extend([ic, c, alpha]);
    let g1 = G1Projective::normalize_batch(&g1);
    let mut g2: Vec<<Bn254 as Pairing>::G2Prepared> =
        items.par_iter().map(|(_, p)| p.0.b.into()).collect();
    g2.extend([
        pvk.pvk.gamma_g2_neg_pc.clone(),
        pvk.pvk.delta_g2_neg_pc.clone(),
        pvk.beta_g2_neg_pc.clone(),
    ]);
    let ml = Bn254::multi_miller_loop(g1, g2);
    matches!(Bn254::final_exponentiation(ml), Some(out) if out.0.is_one())
}

/// Verifies `n` proofs under one key with one multi-Miller loop and one final exponentiation;
/// on failure lists exactly the items that [`crate::verify`] rejects.
pub fn batch_verify(
    pvk: &PreparedVerifyingKey,
    items: &[(Statement, Proof)],
) -> Result<(), BatchError> {
    let publics: Vec<Result<Vec<Fr>, ProofError>> = items
        .par_iter()
        .map(|(s, _)| s.public_inputs(&pvk.arch))
        .collect();
    let mut failures: Vec<(usize, String)> = Vec::new();
    let mut good: Vec<(usize, &[Fr], &Proof)> = Vec::new();
    for (i, (p, (_, proof))) in publics.iter().zip(items).enumerate() {
        match p {
            Ok(x) => good.push((i, x.as_slice(), proof)),
            Err(e) => failures.push((i, e.to_string())),
        }
    }
    let passed = match good.len() {
        0 => true,
        1 => {
            let i = good[0].0;
            match verify(pvk, &items[i].0, &items[i].1) {
                Ok(()) => true,
                Err(e) => {
                    failures.push((i, e.to_string()));
                    good.clear();
                    true
                }
            }
        }
        _ => {
            let view: Vec<(&[Fr], &Proof)> = good.iter().map(|&(_, x, p)| (x, p)).collect();
            batch_equation(pvk, &view)
        }
    };
    if !passed {
        let bad: Vec<(usize, String)> = good
            .par_iter()
            .filter_map(|&(i, _, _)| {
                verify(pvk, &items[i].0, &items[i].1)
                    .err()
                    .map(|e| (i, e.to_string()))
            })
            .collect();
        failures.extend(bad);
    }
    if failures.is_empty() {
        return Ok(());
    }
    failures.sort_by_key(|(i, _)| *i);
    let (bad, reasons) = failures.into_iter().unzip();
    Err(BatchError {
        bad,
        reasons,
        total: items.len(),
    })
}
