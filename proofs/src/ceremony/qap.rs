//! Phase-2 start: the Groth16 parameters of a circuit from the powers of tau, with `δ = γ = 1`.
//!
//! This reproduces ark-groth16 0.6's `generate_parameters_with_qap` with the
//! `LibsnarkReduction` exactly (same vectors, same lengths, identities where a polynomial is
//! zero), with `τ, α, β` known only "in the exponent":
//!
//! * the circuit is synthesized as the generator does (`OptimizationGoal::Constraints`,
//!   `SynthesisMode::Setup`, finalized); `m` constraints, `l` instance variables (the constant
//!   1 included), domain `n = 2^⌈log2(m + l)⌉`;
//! * `L_j(τ)·G` (Lagrange basis of the domain) is the inverse FFT of `(τ^k·G)_{k<n}` over the
//!   group, for `G1`, `G2`, `α·G1` and `β·G1`;
//! * variable `i`'s `A_i(τ) = Σ_j A[j][i]·L_j(τ)`, plus `L_{m+i}(τ)` for instance variables (the
//!   reduction's extra input-consistency constraints `x_i · 0 = 0` in rows `m..m+l`), `B_i`,
//!   `C_i` likewise without the extra term;
//! * `a_query = A_i(τ)·G1`, `b_g1_query = B_i(τ)·G1`, `b_g2_query = B_i(τ)·G2`,
//!   `gamma_abc_g1 = (β·A_i + α·B_i + C_i)(τ)·G1` for instance variables (`γ = 1`),
//!   `l_query` the same for witness variables (`δ = 1`), `h_query_i = τ^i·Z(τ)·G1 =
//!   (τ^{n+i} − τ^i)·G1` for `i < n−1`.

use super::ratio::glv;
use super::{CeremonyError, Phase1, Progress};
use crate::circuit::MlpCircuit;
use crate::model::Architecture;
use crate::ProofError;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{
    scalar_mul::glv::GLVConfig,
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    AffineRepr, CurveGroup,
};
use ark_ff::{BigInteger, Field, One, PrimeField, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use rayon::prelude::*;

/// The circuit's matrices and sizes, synthesized exactly as the Groth16 generator does.
pub(crate) struct Qap {
    pub abc: Vec<Matrix<Fr>>,
    pub num_instance: usize,
    pub num_witness: usize,
    pub num_constraints: usize,
    pub domain: Radix2EvaluationDomain<Fr>,
}

impl Qap {
    pub(crate) fn of(arch: &Architecture) -> Result<Self, CeremonyError> {
        arch.validate().map_err(ProofError::from)?;
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        MlpCircuit::blank(arch)
            .generate_constraints(cs.clone())
            .map_err(ProofError::from)?;
        cs.finalize();
        let abc = cs
            .to_matrices()
            .map_err(ProofError::from)?
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or_else(|| ProofError::Synthesis("no R1CS matrices".into()))?;
        if abc.len() != 3 {
            return Err(ProofError::Synthesis("expected 3 R1CS matrices".into()).into());
        }
        let num_constraints = cs.num_constraints();
        let num_instance = cs.num_instance_variables();
        let domain = Radix2EvaluationDomain::<Fr>::new(num_constraints + num_instance)
            .ok_or_else(|| CeremonyError::Unusable("circuit too large for BN254's FFT".into()))?;
        Ok(Qap {
            abc,
            num_instance,
            num_witness: cs.num_witness_variables(),
            num_constraints,
            domain,
        })
    }

    pub(crate) fn log_size(&self) -> u8 {
        self.domain.log_size_of_group as u8
    }
}

/// Refuses, before synthesizing anything, an architecture whose circuit (by the constraint
/// formula of [`crate::circuit::breakdown`]) is far too large for a phase-1 state of
/// `2^log_size`: a hostile phase-2 file must not make a verifier synthesize a huge circuit.
/// The exact size is checked after synthesis.
pub(crate) fn precheck(arch: &Architecture, log_size: u8) -> Result<(), CeremonyError> {
    arch.validate().map_err(ProofError::from)?;
    let estimate: usize = crate::circuit::breakdown(arch)
        .iter()
        .map(|(_, n)| *n)
        .sum::<usize>()
        + crate::statement::Layout::new(arch).num_public_inputs()
        + 1;
    let capacity = 1usize << log_size.min(super::MAX_LOG_SIZE);
    if estimate / 2 > capacity {
        return Err(CeremonyError::TooSmall {
            need: estimate.next_power_of_two().trailing_zeros() as u8,
            have: log_size,
        });
    }
    Ok(())
}

/// `log2` of the Groth16 domain of an architecture's circuit: the smallest phase-1 size that
/// serves it.
pub fn domain_log_size(arch: &Architecture) -> Result<u8, CeremonyError> {
    Ok(Qap::of(arch)?.log_size())
}

/// Column-major copy of a matrix: for each variable, its `(row, coefficient)` entries.
struct Columns {
    start: Vec<usize>,
    rows: Vec<u32>,
    coeffs: Vec<Fr>,
}

impl Columns {
    fn of(m: &Matrix<Fr>, num_vars: usize) -> Result<Self, CeremonyError> {
        let mut count = vec![0usize; num_vars + 1];
        for row in m {
            for &(_, v) in row {
                if v >= num_vars {
                    return Err(ProofError::Synthesis("matrix index out of range".into()).into());
                }
                count[v + 1] += 1;
            }
        }
        for i in 0..num_vars {
            count[i + 1] += count[i];
        }
        let total = count[num_vars];
        let mut fill = count.clone();
        let mut rows = vec![0u32; total];
        let mut coeffs = vec![Fr::zero(); total];
        for (j, row) in m.iter().enumerate() {
            for &(c, v) in row {
                rows[fill[v]] = j as u32;
                coeffs[fill[v]] = c;
                fill[v] += 1;
            }
        }
        Ok(Columns {
            start: count,
            rows,
            coeffs,
        })
    }

    fn entries(&self, var: usize) -> impl Iterator<Item = (usize, &Fr)> {
        let r = self.start[var]..self.start[var + 1];
        self.rows[r.clone()]
            .iter()
            .map(|&j| j as usize)
            .zip(&self.coeffs[r])
    }
}

/// `c·p`, cheap for the small coefficients R1CS matrices are full of (±1, bit weights).
fn times<C: GLVConfig<ScalarField = Fr>>(p: &Affine<C>, c: &Fr) -> Projective<C> {
    if c.is_one() {
        return p.into_group();
    }
    if (-*c).is_one() {
        return -p.into_group();
    }
    let small = |b: &<Fr as PrimeField>::BigInt| b.num_bits() <= 64;
    let b = c.into_bigint();
    if small(&b) {
        return p.mul_bigint([b.as_ref()[0]]);
    }
    let nb = (-*c).into_bigint();
    if small(&nb) {
        return -p.mul_bigint([nb.as_ref()[0]]);
    }
    glv(p.into_group(), *c)
}

/// Columns longer than this are summed with an MSM (Pippenger) instead of one scalar
/// multiplication per entry.
const MSM_COLUMN: usize = 16;

/// `Σ_j c_j·basis[row_j]` over one column.
fn column_sum<C: GLVConfig<ScalarField = Fr>>(
    cols: &Columns,
    var: usize,
    basis: &[Affine<C>],
) -> Projective<C> {
    let r = cols.start[var]..cols.start[var + 1];
    if r.len() > MSM_COLUMN {
        let bases: Vec<Affine<C>> = cols.rows[r.clone()]
            .iter()
            .map(|&j| basis[j as usize])
            .collect();
        return msm(&bases, &cols.coeffs[r]);
    }
    cols.entries(var).map(|(j, c)| times(&basis[j], c)).sum()
}

/// Lagrange basis `(L_j(τ)·G)_{j<n}` from `(τ^k·G)_{k<n}`: an inverse FFT over the group
/// (`L_j(τ) = (1/n)·Σ_k ω^{-jk}·τ^k`).
fn lagrange<C: GLVConfig<ScalarField = Fr>>(
    domain: &Radix2EvaluationDomain<Fr>,
    powers: &[Affine<C>],
) -> Vec<Affine<C>> {
    let mut v: Vec<Projective<C>> = powers[..domain.size()]
        .par_iter()
        .map(|p| p.into_group())
        .collect();
    group_ifft(domain, &mut v);
    Projective::normalize_batch(&v)
}

/// In-place inverse FFT over group elements: iterative radix-2 decimation in time. Unlike
/// ark-poly's generic FFT it uses GLV scalar multiplication in G2 as well as in G1 and skips
/// the multiplications by 1, which together halve the cost of the G2 transform.
fn group_ifft<C: GLVConfig<ScalarField = Fr>>(
    domain: &Radix2EvaluationDomain<Fr>,
    v: &mut [Projective<C>],
) {
    let n = v.len();
    debug_assert_eq!(n as u64, domain.size);
    let log_n = n.trailing_zeros();
    if n <= 1 {
        return;
    }
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - log_n);
        if i < j {
            v.swap(i, j);
        }
    }
    let butterfly = |(k, (lo, hi)): (usize, (&mut Projective<C>, &mut Projective<C>)),
                     tw: &[Fr]| {
        let t = if k == 0 { *hi } else { glv(*hi, tw[k]) };
        *hi = *lo - t;
        *lo += t;
    };
    let mut half = 1;
    while half < n {
        // Twiddles ω^{-k·n/(2·half)} for k < half.
        let root = domain.group_gen_inv.pow([(n / (2 * half)) as u64]);
        let mut tw = Vec::with_capacity(half);
        let mut w = Fr::one();
        for _ in 0..half {
            tw.push(w);
            w *= root;
        }
        let chunks = n / (2 * half);
        if chunks >= 64 {
            // Many small blocks: one task per block.
            v.par_chunks_mut(2 * half).for_each(|c| {
                let (lo, hi) = c.split_at_mut(half);
                lo.iter_mut()
                    .zip(hi.iter_mut())
                    .enumerate()
                    .for_each(|x| butterfly(x, &tw));
            });
        } else {
            // Few large blocks: split each block's butterflies across threads.
            for c in v.chunks_mut(2 * half) {
                let (lo, hi) = c.split_at_mut(half);
                lo.par_iter_mut()
                    .zip(hi.par_iter_mut())
                    .enumerate()
                    .with_min_len(64)
                    .for_each(|x| butterfly(x, &tw));
            }
        }
        half *= 2;
    }
    let n_inv = domain.size_inv;
    v.par_iter_mut()
        .with_min_len(64)
        .for_each(|x| *x = glv(*x, n_inv));
}

/// Variables per parallel task (and progress granularity).
const VAR_CHUNK: usize = 1024;

/// Per variable: `A_i·G1, B_i·G1, B_i·G2, (β·A_i + α·B_i + C_i)·G1`.
type PerVar = (
    G1Projective,
    G1Projective,
    Projective<ark_bn254::g2::Config>,
    G1Projective,
);

/// The phase-2 start parameters of `qap` from a phase-1 state (see the module docs). Does not
/// verify `p1`.
pub(crate) fn derive(
    p1: &Phase1,
    qap: &Qap,
    progress: &dyn Progress,
) -> Result<ark_groth16::ProvingKey<Bn254>, CeremonyError> {
    let need = qap.log_size();
    if need > p1.log_size {
        return Err(CeremonyError::TooSmall {
            need,
            have: p1.log_size,
        });
    }
    let n = qap.domain.size();
    let (m, l) = (qap.num_constraints, qap.num_instance);
    let vars = l + qap.num_witness;
    if p1.tau_g1.len() < 2 * n - 1
        || p1.tau_g2.len() < n
        || p1.alpha_g1.len() < n
        || p1.beta_g1.len() < n
    {
        return Err(CeremonyError::Inconsistent(
            "phase-1 vectors too short".into(),
        ));
    }

    progress.step("phase 2: Lagrange basis in G1 (group FFT)", 0);
    let lag_g1 = lagrange(&qap.domain, &p1.tau_g1);
    progress.step("phase 2: Lagrange basis for α in G1 (group FFT)", 0);
    let lag_alpha = lagrange(&qap.domain, &p1.alpha_g1);
    progress.step("phase 2: Lagrange basis for β in G1 (group FFT)", 0);
    let lag_beta = lagrange(&qap.domain, &p1.beta_g1);
    progress.step("phase 2: Lagrange basis in G2 (group FFT)", 0);
    let lag_g2 = lagrange(&qap.domain, &p1.tau_g2);

    progress.step("phase 2: QAP queries", vars as u64);
    let [ma, mb, mc] = [&qap.abc[0], &qap.abc[1], &qap.abc[2]];
    let (ca, (cb, cc)) = rayon::join(
        || Columns::of(ma, vars),
        || rayon::join(|| Columns::of(mb, vars), || Columns::of(mc, vars)),
    );
    let (ca, cb, cc) = (ca?, cb?, cc?);
    let per_var: Vec<PerVar> = (0..vars.div_ceil(VAR_CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| {
            let vars_here = c * VAR_CHUNK..vars.min((c + 1) * VAR_CHUNK);
            let out: Vec<PerVar> = vars_here
                .map(|i| {
                    let mut a = column_sum(&ca, i, &lag_g1);
                    let mut abc = column_sum(&ca, i, &lag_beta);
                    if i < l {
                        // The reduction's input-consistency constraint for instance variable i.
                        a += lag_g1[m + i];
                        abc += lag_beta[m + i];
                    }
                    let b1 = column_sum(&cb, i, &lag_g1);
                    let b2 = column_sum(&cb, i, &lag_g2);
                    abc += column_sum(&cb, i, &lag_alpha);
                    abc += column_sum(&cc, i, &lag_g1);
                    (a, b1, b2, abc)
                })
                .collect();
            progress.advance(out.len() as u64);
            out
        })
        .collect();
    drop((lag_alpha, lag_beta, lag_g2));
    let (a_q, (b1_q, (b2_q, abc_q))): (Vec<_>, (Vec<_>, (Vec<_>, Vec<_>))) = per_var
        .into_par_iter()
        .map(|(a, b1, b2, abc)| (a, (b1, (b2, abc))))
        .unzip();
    let a_query = G1Projective::normalize_batch(&a_q);
    let b_g1_query = G1Projective::normalize_batch(&b1_q);
    let b_g2_query = Projective::normalize_batch(&b2_q);
    let abc_all = G1Projective::normalize_batch(&abc_q);
    let (gamma_abc_g1, l_query) = (abc_all[..l].to_vec(), abc_all[l..].to_vec());

    progress.step("phase 2: H query", 0);
    let h_proj: Vec<G1Projective> = (0..n - 1)
        .into_par_iter()
        .map(|i| p1.tau_g1[n + i].into_group() - p1.tau_g1[i])
        .collect();
    let h_query = G1Projective::normalize_batch(&h_proj);
    if h_query.first().is_some_and(AffineRepr::is_zero) {
        // Z(τ) = 0: τ is in the domain (only the unusable start state, in practice).
        return Err(CeremonyError::Unusable(
            "τ lies in the evaluation domain (has phase 1 had any contribution?)".into(),
        ));
    }

    let g1 = G1Affine::generator();
    let g2 = G2Affine::generator();
    Ok(ark_groth16::ProvingKey {
        vk: ark_groth16::VerifyingKey {
            alpha_g1: p1.alpha_g1[0],
            beta_g2: p1.beta_g2,
            gamma_g2: g2,
            delta_g2: g2,
            gamma_abc_g1,
        },
        beta_g1: p1.beta_g1[0],
        delta_g1: g1,
        a_query,
        b_g1_query,
        b_g2_query,
        h_query,
        l_query,
    })
}

/// `s[j] = Σ_i M[j][i]·r[i]` for each row `j < m`, in a vector of the domain's size; with
/// `instance_rows`, also `s[m+i] += r[i]` for instance variables (the reduction's extra rows).
fn weigh_rows(qap: &Qap, matrix: &Matrix<Fr>, r: &[Fr], instance_rows: bool) -> Vec<Fr> {
    let n = qap.domain.size();
    let mut s = vec![Fr::zero(); n];
    s[..qap.num_constraints]
        .par_iter_mut()
        .zip(matrix.par_iter())
        .for_each(|(s, row)| {
            *s = row
                .iter()
                .map(|(c, i)| *c * r.get(*i).copied().unwrap_or_default())
                .sum()
        });
    if instance_rows {
        let m = qap.num_constraints;
        for (i, ri) in r.iter().take(qap.num_instance).enumerate() {
            s[m + i] += ri;
        }
    }
    s
}

/// `Σ_j s_j·L_j(τ)·G = Σ_k ŝ_k·τ^k·G` with `ŝ = IFFT(s)`: the coefficients for an MSM over the
/// powers of tau.
fn to_monomial(qap: &Qap, mut s: Vec<Fr>) -> Vec<Fr> {
    qap.domain.ifft_in_place(&mut s);
    s
}

fn msm<C: SWCurveConfig<ScalarField = Fr>>(bases: &[Affine<C>], scalars: &[Fr]) -> Projective<C> {
    let k = bases.len().min(scalars.len());
    <Projective<C> as ark_ec::VariableBaseMSM>::msm_unchecked(&bases[..k], &scalars[..k])
}

/// Checks Groth16 parameters (with some `δ`, given in G2) against the powers of tau they must
/// come from, without recomputing them (no group FFT): every vector is compressed to one point
/// by a random linear combination, and the same combination is evaluated from the powers via
/// the matrices and a field IFFT (`Σ_i r_i·A_i(τ) = Σ_k IFFT(s)_k·τ^k` with
/// `s_j = Σ_i r_i·A[j][i]`). Checks:
///
/// 1. `Σ r·a_query + Σ r'·b_g1_query` equals its evaluation from `τ^k·G1`;
/// 2. `Σ r''·b_g2_query` equals its evaluation from `τ^k·G2`;
/// 3. with `E = Σ r'''_i·(β·A_i + α·B_i + C_i)(τ)·G1` (from `β·τ^k`, `α·τ^k`, `τ^k` in G1),
///    `T = Σ ρ_i·(τ^{n+i} − τ^i)·G1`, `R_γ = Σ_{instance} r'''·gamma_abc_g1`,
///    `R_L = Σ_{witness} r'''·l_query`, `H = Σ ρ·h_query`:
///    `e(E − R_γ + T, G2) = e(R_L + H, δ·G2)` (`γ = 1`; `L` and `H` carry `1/δ`).
///
/// A wrong point survives a check with probability `≤ 2^-128` (128-bit random scalars). The
/// `α`, `β`, `γ` points are compared directly.
pub(crate) fn check(
    p1: &Phase1,
    qap: &Qap,
    params: &ark_groth16::ProvingKey<Bn254>,
    progress: &dyn Progress,
) -> Result<(), CeremonyError> {
    use super::ratio::{same_ratio, Scalars128};
    let bad = |m: String| Err(CeremonyError::Phase2Mismatch(m));
    let need = qap.log_size();
    if need > p1.log_size {
        return Err(CeremonyError::TooSmall {
            need,
            have: p1.log_size,
        });
    }
    let n = qap.domain.size();
    let (l, w) = (qap.num_instance, qap.num_witness);
    let vars = l + w;
    if p1.tau_g1.len() < 2 * n - 1
        || p1.tau_g2.len() < n
        || p1.alpha_g1.len() < n
        || p1.beta_g1.len() < n
    {
        return Err(CeremonyError::Inconsistent(
            "phase-1 vectors too short".into(),
        ));
    }
    let p = params;
    for (name, got, want) in [
        ("gamma_abc_g1", p.vk.gamma_abc_g1.len(), l),
        ("a_query", p.a_query.len(), vars),
        ("b_g1_query", p.b_g1_query.len(), vars),
        ("b_g2_query", p.b_g2_query.len(), vars),
        ("h_query", p.h_query.len(), n - 1),
        ("l_query", p.l_query.len(), w),
    ] {
        if got != want {
            return bad(format!("{name} has {got} points, the circuit needs {want}"));
        }
    }
    let g2 = G2Affine::generator();
    if p.vk.alpha_g1 != p1.alpha_g1[0] || p.beta_g1 != p1.beta_g1[0] || p.vk.beta_g2 != p1.beta_g2 {
        return bad("alpha_g1, beta_g1 or beta_g2 is not phase 1's".into());
    }
    if p.vk.gamma_g2 != g2 {
        return bad("gamma_g2 changed (γ must stay 1)".into());
    }

    progress.step("phase 2: checking the queries against phase 1", 3);
    let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::from_entropy();
    let [ma, mb, mc] = [&qap.abc[0], &qap.abc[1], &qap.abc[2]];

    // 1. A and B in G1.
    let (r_a, r_b1) = (
        Scalars128::random(vars, &mut rng),
        Scalars128::random(vars, &mut rng),
    );
    let (fa, fb1) = (r_a.to_fr(), r_b1.to_fr());
    let (direct, from_powers) = rayon::join(
        || r_a.msm(&p.a_query) + r_b1.msm(&p.b_g1_query),
        || {
            let (sa, sb) = rayon::join(
                || weigh_rows(qap, ma, &fa, true),
                || weigh_rows(qap, mb, &fb1, false),
            );
            let s: Vec<Fr> = sa.into_par_iter().zip(sb).map(|(a, b)| a + b).collect();
            msm(&p1.tau_g1[..n], &to_monomial(qap, s))
        },
    );
    if direct != from_powers {
        return bad("a_query or b_g1_query is not A_i(τ)·G1 / B_i(τ)·G1".into());
    }
    progress.advance(1);

    // 2. B in G2.
    let r_b2 = Scalars128::random(vars, &mut rng);
    let fb2 = r_b2.to_fr();
    let (direct, from_powers) = rayon::join(
        || r_b2.msm(&p.b_g2_query),
        || {
            msm(
                &p1.tau_g2[..n],
                &to_monomial(qap, weigh_rows(qap, mb, &fb2, false)),
            )
        },
    );
    if direct != from_powers {
        return bad("b_g2_query is not B_i(τ)·G2".into());
    }
    progress.advance(1);

    // 3. gamma_abc, L and H against δ.
    let (r_inst, r_wit) = (
        Scalars128::random(l, &mut rng),
        Scalars128::random(w, &mut rng),
    );
    let rho = Scalars128::random(n - 1, &mut rng);
    let fe = [r_inst.to_fr(), r_wit.to_fr()].concat();
    let frho = rho.to_fr();
    let (lhs, rhs) = rayon::join(
        || {
            // E − R_γ + T from the powers and gamma_abc.
            let (ea, (eb, ec)) = rayon::join(
                || to_monomial(qap, weigh_rows(qap, ma, &fe, true)),
                || {
                    rayon::join(
                        || to_monomial(qap, weigh_rows(qap, mb, &fe, false)),
                        || to_monomial(qap, weigh_rows(qap, mc, &fe, false)),
                    )
                },
            );
            let mut tau_coeffs = ec;
            tau_coeffs.resize(2 * n - 1, Fr::zero());
            for (i, r) in frho.iter().enumerate() {
                tau_coeffs[i] -= r;
                tau_coeffs[n + i] += r;
            }
            let e = msm(&p1.beta_g1[..n], &ea)
                + msm(&p1.alpha_g1[..n], &eb)
                + msm(&p1.tau_g1[..2 * n - 1], &tau_coeffs);
            let r_gamma = r_inst.msm(&p.vk.gamma_abc_g1);
            (e - r_gamma).into_affine()
        },
        || {
            // R_L + H.
            (r_wit.msm(&p.l_query) + rho.msm(&p.h_query)).into_affine()
        },
    );
    progress.advance(1);
    if !same_ratio((rhs, lhs), (g2, p.vk.delta_g2)) {
        return bad("gamma_abc_g1, l_query or h_query is not what phase 1 and δ give".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceremony::{Participant, Quiet};
    use ark_ff::UniformRand;
    use ark_groth16::Groth16;
    use rand::{rngs::StdRng, SeedableRng};

    /// With one contribution of known secrets, the derived parameters are exactly what
    /// ark-groth16's generator produces for the same τ, α, β with γ = δ = 1 and the standard
    /// generators.
    #[test]
    fn derived_parameters_equal_the_generators() {
        let arch = Architecture::mlp(&[3, 2, 2], &[3]).unwrap();
        let qap = Qap::of(&arch).unwrap();
        // The generator draws t with `sample_element_outside_domain` = the first Fr::rand.
        let rng = StdRng::seed_from_u64(11);
        let tau = Fr::rand(&mut rng.clone());
        assert!(!qap.domain.evaluate_vanishing_polynomial(tau).is_zero());
        let mut other = StdRng::seed_from_u64(12);
        let (alpha, beta) = (Fr::rand(&mut other), Fr::rand(&mut other));
        let p1 = Phase1::new(qap.log_size() + 1)
            .unwrap()
            .contribute_with(
                &Participant::named("known"),
                &[tau, alpha, beta],
                &mut other,
                &Quiet,
            )
            .unwrap();
        let derived = derive(&p1, &qap, &Quiet).unwrap();
        let want = Groth16::<Bn254>::generate_parameters_with_qap(
            MlpCircuit::blank(&arch),
            alpha,
            beta,
            Fr::one(),
            Fr::one(),
            G1Affine::generator().into_group(),
            G2Affine::generator().into_group(),
            &mut rng.clone(),
        )
        .unwrap();
        assert_eq!(derived.a_query, want.a_query);
        assert_eq!(derived.b_g1_query, want.b_g1_query);
        assert_eq!(derived.b_g2_query, want.b_g2_query);
        assert_eq!(derived.h_query, want.h_query);
        assert_eq!(derived.l_query, want.l_query);
        assert_eq!(derived.vk.gamma_abc_g1, want.vk.gamma_abc_g1);
        assert_eq!(derived, want);
        // The independent check accepts it, against a phase-1 state larger than needed.
        check(&p1, &qap, &derived, &Quiet).unwrap();
    }
}
