//! The R1CS circuit of one inference: `model(commitment)(input) = output`.
//!
//! Witnesses and checks (every witness that carries an integer is range-checked by a boolean
//! decomposition of exactly the width it needs, so nothing can wrap around the field):
//!
//! * **input**: 8 booleans per input byte; the bytes are packed into the public elements
//!   ([`crate::statement`]); `x = byte - 256*b7` (two's complement);
//! * **weights**: 8 booleans each (`w = Σ_{k<7} 2^k b_k - 128 b_7`), **biases**: 32 booleans
//!   each; the same bits, read as the `.polm` payload bytes and cut into 31-byte chunks, are
//!   hashed with Poseidon in-circuit and must equal the public commitment;
//! * **products**: one constraint `w * x = p` per weight; `acc = Σ p + bias` is a linear
//!   combination (`|acc| < 2^31 + 2^30`, far from the field size);
//! * **hidden neuron** (shift `s`): 32 booleans `c` with `Σ 2^k c_k = acc + 2^31` (so `acc` is
//!   an i32, as the reference demands). Then `floor((acc + 2^(s-1)) / 2^s) = q` with
//!   `q = c_31·2^(31-s) + L + c_{s-1} - 2^(31-s)` where `L = Σ_{k=s}^{30} c_k 2^(k-s)`, hence
//!   `q < 0 ⇒ c_31 = 0` and `y = c_31 · min(L + c_{s-1}, 127)`. With
//!   `L = low7 + 128·H`: `min = 127` if `H ≠ 0`, else `e - [e = 128]` for `e = low7 + c_{s-1}`.
//!   Two is-zero gadgets and two products: 39 constraints per hidden neuron (fewer for s >= 24);
//! * **logits**: the last layer's accumulators go straight into 34-bit signed slots of the
//!   packed public elements (no decomposition needed, see [`crate::statement`]);
//! * **nonce/provider**: bound by one squaring constraint.

use crate::commitment::{self, CHUNK_BYTES};
use crate::model::{Architecture, Model};
use crate::poseidon::{self, WIDTH};
use crate::statement::{pow2, Layout, Statement};
use ark_bn254::Fr;
use ark_ff::{Field, One, Zero};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystemRef, LinearCombination, SynthesisError, Variable,
};
use std::collections::BTreeMap;

type Terms = Vec<(Fr, Variable)>;

thread_local! {
    /// Whether linear combinations are being built (key generation, tests); when proving with
    /// cached matrices only the values are needed and building terms is skipped.
    static BUILD_TERMS: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

fn building() -> bool {
    BUILD_TERMS.with(|b| b.get())
}

/// A linear combination with its value.
#[derive(Clone, Debug)]
struct Lc {
    terms: Terms,
    val: Fr,
}

impl Lc {
    fn var(v: Variable, val: Fr) -> Self {
        Lc {
            terms: vec![(Fr::one(), v)],
            val,
        }
    }
    fn constant(c: Fr) -> Self {
        Lc {
            terms: if c.is_zero() {
                vec![]
            } else {
                vec![(c, Variable::One)]
            },
            val: c,
        }
    }
    fn add_const(mut self, c: Fr) -> Self {
        if !c.is_zero() {
            if building() {
                self.terms.push((c, Variable::One));
            }
            self.val += c;
        }
        self
    }
    fn add_term(&mut self, coeff: Fr, v: Variable, val: Fr) {
        if building() {
            self.terms.push((coeff, v));
        }
        self.val += coeff * val;
    }
    fn lc(&self) -> LinearCombination<Fr> {
        LinearCombination(self.terms.clone())
    }
}

/// Merges `Σ coeffs[j] * lcs[j]` into one compact linear combination.
fn combine(coeffs: &[Fr], lcs: &[Lc]) -> Lc {
    if !building() {
        return Lc {
            terms: vec![],
            val: coeffs.iter().zip(lcs).map(|(c, l)| *c * l.val).sum(),
        };
    }
    let mut map: BTreeMap<Variable, Fr> = BTreeMap::new();
    let mut val = Fr::zero();
    for (c, l) in coeffs.iter().zip(lcs) {
        val += *c * l.val;
        for (k, v) in &l.terms {
            *map.entry(*v).or_insert_with(Fr::zero) += *c * k;
        }
    }
    Lc {
        terms: map
            .into_iter()
            .filter(|(_, c)| !c.is_zero())
            .map(|(v, c)| (c, v))
            .collect(),
        val,
    }
}

struct Builder {
    cs: ConstraintSystemRef<Fr>,
}

impl Builder {
    fn witness(&self, v: Fr) -> Result<Variable, SynthesisError> {
        self.cs.new_witness_variable(|| Ok(v))
    }
    fn input(&self, v: Fr) -> Result<Variable, SynthesisError> {
        self.cs.new_input_variable(|| Ok(v))
    }
    fn enforce(
        &self,
        a: impl FnOnce() -> LinearCombination<Fr>,
        b: impl FnOnce() -> LinearCombination<Fr>,
        c: impl FnOnce() -> LinearCombination<Fr>,
    ) -> Result<(), SynthesisError> {
        self.cs.enforce_r1cs_constraint(a, b, c)
    }
    /// `a == b` as one constraint `(a - b) * 1 = 0`.
    fn enforce_equal(&self, a: &Lc, b: &Lc) -> Result<(), SynthesisError> {
        self.enforce(
            || {
                let mut t = a.terms.clone();
                t.extend(b.terms.iter().map(|(c, v)| (-*c, *v)));
                LinearCombination(t)
            },
            || LinearCombination(vec![(Fr::one(), Variable::One)]),
            LinearCombination::zero,
        )
    }
    /// A boolean witness: `b * (1 - b) = 0`.
    fn bit(&self, v: bool) -> Result<Variable, SynthesisError> {
        let b = self.witness(Fr::from(v))?;
        self.enforce(
            || LinearCombination(vec![(Fr::one(), b)]),
            || LinearCombination(vec![(Fr::one(), Variable::One), (-Fr::one(), b)]),
            LinearCombination::zero,
        )?;
        Ok(b)
    }
    /// `n` boolean witnesses of the low `n` bits of `value`, least significant first.
    fn bits(&self, value: u64, n: usize) -> Result<Vec<Variable>, SynthesisError> {
        (0..n).map(|k| self.bit((value >> k) & 1 == 1)).collect()
    }
    /// `a * b` as a new witness.
    fn mul(&self, a: &Lc, b: &Lc) -> Result<Lc, SynthesisError> {
        let val = a.val * b.val;
        let p = self.witness(val)?;
        self.enforce(
            || a.lc(),
            || b.lc(),
            || LinearCombination(vec![(Fr::one(), p)]),
        )?;
        Ok(Lc::var(p, val))
    }
    /// Returns `[x == 0]` as a boolean variable (two constraints).
    fn is_zero(&self, x: &Lc) -> Result<Lc, SynthesisError> {
        let inv_val = x.val.inverse().unwrap_or_else(Fr::zero);
        let iz_val = Fr::from(x.val.is_zero());
        let inv = self.witness(inv_val)?;
        let iz = self.witness(iz_val)?;
        // x * inv = 1 - iz
        self.enforce(
            || x.lc(),
            || LinearCombination(vec![(Fr::one(), inv)]),
            || LinearCombination(vec![(Fr::one(), Variable::One), (-Fr::one(), iz)]),
        )?;
        // x * iz = 0
        self.enforce(
            || x.lc(),
            || LinearCombination(vec![(Fr::one(), iz)]),
            LinearCombination::zero,
        )?;
        Ok(Lc::var(iz, iz_val))
    }
    /// `x^5` (three constraints).
    fn sbox(&self, x: &Lc) -> Result<Lc, SynthesisError> {
        let x2 = self.mul(x, x)?;
        let x4 = self.mul(&x2, &x2)?;
        self.mul(&x4, x)
    }
}

/// Two's-complement value of little-endian bits: `Σ_{k<n-1} 2^k b_k - 2^(n-1) b_{n-1}`.
fn signed_from_bits(bits: &[Variable], value: i64) -> Lc {
    if !building() {
        return Lc {
            terms: vec![],
            val: Fr::from(value),
        };
    }
    let n = bits.len();
    let mut terms: Terms = bits
        .iter()
        .enumerate()
        .map(|(k, &b)| (pow2(k), b))
        .collect();
    terms[n - 1].0 = -pow2(n - 1);
    Lc {
        terms,
        val: Fr::from(value),
    }
}

/// The values the circuit needs. For key generation any consistent witness of the right shape
/// works (the constraint system does not depend on values).
#[derive(Clone, Debug)]
pub struct MlpCircuit {
    pub model: Model,
    pub statement: Statement,
}

impl MlpCircuit {
    /// A witness of the right shape for key generation (all-zero model and input).
    pub fn blank(arch: &Architecture) -> Self {
        let model = Model::new(
            arch.layers
                .iter()
                .map(|s| crate::model::Layer {
                    shape: s.clone(),
                    weights: vec![0; s.num_weights()],
                    bias: vec![0; s.output as usize],
                })
                .collect(),
        )
        .expect("valid architecture");
        let statement = Statement {
            commitment: commitment::commit(&model),
            input: vec![0; arch.input_len()],
            output: vec![0; arch.output_len()],
            nonce: 0,
            provider: [0; 20],
        };
        MlpCircuit { model, statement }
    }
}

impl ConstraintSynthesizer<Fr> for MlpCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let build = cs.should_construct_matrices();
        let previous = BUILD_TERMS.with(|b| b.replace(build));
        let result = self.synthesize(Builder { cs });
        BUILD_TERMS.with(|b| b.set(previous));
        result
    }
}

impl MlpCircuit {
    fn synthesize(self, b: Builder) -> Result<(), SynthesisError> {
        let arch = self.model.architecture();
        let trace = self
            .model
            .trace(&self.statement.input)
            .map_err(|_| SynthesisError::Unsatisfiable)?;
        let layout = Layout::new(&arch);
        let public = self
            .statement
            .public_inputs(&arch)
            .map_err(|_| SynthesisError::Unsatisfiable)?;

        // Public inputs.
        let commitment_var = b.input(public[0])?;
        let packed_vars = public[1..=layout.elements]
            .iter()
            .map(|&v| b.input(v))
            .collect::<Result<Vec<_>, _>>()?;
        let np_val = public[layout.elements + 1];
        let np_var = b.input(np_val)?;
        let mut packed: Vec<Lc> = vec![Lc::constant(Fr::zero()); layout.elements];

        // Input bytes.
        let mut x: Vec<Lc> = Vec::with_capacity(arch.input_len());
        for (j, &xv) in self.statement.input.iter().enumerate() {
            let bits = b.bits(u64::from(xv as u8), 8)?;
            let (e, off) = layout.inputs[j];
            for (k, &bit) in bits.iter().enumerate() {
                let bv = Fr::from((xv as u8 >> k) & 1);
                packed[e].add_term(pow2(off + k), bit, bv);
            }
            x.push(signed_from_bits(&bits, i64::from(xv)));
        }

        // Weight payload, bit by bit, for the commitment.
        let n_elems = commitment::num_elements(&arch);
        let chunk_bits = 8 * CHUNK_BYTES;
        let mut payload: Vec<Lc> = vec![Lc::constant(Fr::zero()); n_elems];
        let mut pos = 0usize;
        let mut push_payload = |bits: &[Variable], value: u64, pos: &mut usize| {
            for (k, &bit) in bits.iter().enumerate() {
                let e = *pos / chunk_bits;
                let off = *pos % chunk_bits;
                payload[e].add_term(pow2(off), bit, Fr::from((value >> k) & 1));
                *pos += 1;
            }
        };

        let last = self.model.layers.len() - 1;
        for (li, layer) in self.model.layers.iter().enumerate() {
            let n_in = layer.shape.input as usize;
            let mut w_lcs = Vec::with_capacity(layer.weights.len());
            for &w in &layer.weights {
                let bits = b.bits(u64::from(w as u8), 8)?;
                push_payload(&bits, u64::from(w as u8), &mut pos);
                w_lcs.push(signed_from_bits(&bits, i64::from(w)));
            }
            let mut b_lcs = Vec::with_capacity(layer.bias.len());
            for &bias in &layer.bias {
                let bits = b.bits(u64::from(bias as u32), 32)?;
                push_payload(&bits, u64::from(bias as u32), &mut pos);
                b_lcs.push(signed_from_bits(&bits, i64::from(bias)));
            }
            let mut next = Vec::with_capacity(layer.shape.output as usize);
            for (o, bias_lc) in b_lcs.into_iter().enumerate() {
                let mut acc = bias_lc;
                for i in 0..n_in {
                    let p = b.mul(&w_lcs[o * n_in + i], &x[i])?;
                    acc.terms.extend(p.terms);
                    acc.val += p.val;
                }
                let acc_int = trace.accumulators[li][o];
                debug_assert_eq!(acc.val, Fr::from(i64::from(acc_int)));
                if li == last {
                    let (e, off) = layout.outputs[o];
                    let c = pow2(off);
                    let val = c * acc.val;
                    packed[e]
                        .terms
                        .extend(acc.terms.iter().map(|(k, v)| (c * k, *v)));
                    packed[e].val += val;
                } else {
                    next.push(hidden_neuron(&b, &acc, acc_int, layer.shape.shift)?);
                }
            }
            x = next;
        }
        debug_assert_eq!(pos, 8 * (arch.num_weights() + 4 * arch.num_biases()));

        // Packed public elements.
        for (p, &v) in packed.iter().zip(&packed_vars) {
            b.enforce_equal(p, &Lc::var(v, p.val))?;
        }

        // Commitment: Poseidon sponge over the payload elements.
        let digest = poseidon_hash(&b, commitment::domain(&arch), &payload)?;
        b.enforce_equal(&digest, &Lc::var(commitment_var, public[0]))?;

        // Nonce and provider: bound by a squaring constraint.
        let np = Lc::var(np_var, np_val);
        b.mul(&np, &np)?;
        Ok(())
    }
}

/// `clamp((acc + 2^(s-1)) >> s, 0, 127)` with `acc` range-checked to i32.
fn hidden_neuron(b: &Builder, acc: &Lc, acc_int: i32, s: u8) -> Result<Lc, SynthesisError> {
    let s = s as usize;
    let v = (i64::from(acc_int) + (1i64 << 31)) as u64;
    let c = b.bits(v, 32)?;
    let bitval = |k: usize| Fr::from((v >> k) & 1);
    // Σ 2^k c_k = acc + 2^31
    let mut dec = Lc::constant(Fr::zero());
    for (k, &ck) in c.iter().enumerate() {
        dec.add_term(pow2(k), ck, bitval(k));
    }
    b.enforce_equal(&dec, &acc.clone().add_const(pow2(31)))?;

    // e = low7 + c_{s-1}, H = high part of L.
    let mut e = Lc::var(c[s - 1], bitval(s - 1));
    let mut low_bits = 0;
    for (k, &ck) in c.iter().enumerate().take((s + 7).min(31)).skip(s) {
        e.add_term(pow2(k - s), ck, bitval(k));
        low_bits += 1;
    }
    let mut h = Lc::constant(Fr::zero());
    for (k, &ck) in c.iter().enumerate().take(31).skip(s + 7) {
        h.add_term(pow2(k - s - 7), ck, bitval(k));
    }
    // small = min(e, 127) = e - [e == 128]; e == 128 is only possible with 7 low bits.
    let small = if low_bits == 7 {
        let eq = b.is_zero(&e.clone().add_const(-Fr::from(128u64)))?;
        combine(&[Fr::one(), -Fr::one()], &[e, eq])
    } else {
        e
    };
    // z = min(L + c_{s-1}, 127) = iz_H ? small : 127
    // (Decided by the shape only: the witness layout must not depend on values.)
    let z = if s + 7 >= 31 {
        small
    } else {
        let iz = b.is_zero(&h)?;
        let t = b.mul(&iz, &small.add_const(-Fr::from(127u64)))?;
        t.add_const(Fr::from(127u64))
    };
    // y = c_31 * z
    b.mul(&Lc::var(c[31], bitval(31)), &z)
}

/// In-circuit [`poseidon::hash`].
fn poseidon_hash(b: &Builder, domain: Fr, message: &[Lc]) -> Result<Lc, SynthesisError> {
    let mut state: Vec<Lc> = (0..WIDTH).map(|_| Lc::constant(Fr::zero())).collect();
    state[0] = Lc::constant(domain);
    let blocks: Vec<&[Lc]> = if message.is_empty() {
        vec![&[]]
    } else {
        message.chunks(poseidon::RATE).collect()
    };
    for block in blocks {
        for (i, m) in block.iter().enumerate() {
            state[1 + i] = combine(&[Fr::one(), Fr::one()], &[state[1 + i].clone(), m.clone()]);
        }
        state = permute(b, state)?;
    }
    Ok(state.swap_remove(1))
}

fn permute(b: &Builder, mut state: Vec<Lc>) -> Result<Vec<Lc>, SynthesisError> {
    let p = poseidon::params();
    for r in 0..poseidon::FULL_ROUNDS + poseidon::PARTIAL_ROUNDS {
        for (s, c) in state.iter_mut().zip(&p.ark[r]) {
            *s = std::mem::replace(s, Lc::constant(Fr::zero())).add_const(*c);
        }
        if poseidon::is_full_round(r) {
            for s in state.iter_mut() {
                *s = b.sbox(s)?;
            }
        } else {
            state[0] = b.sbox(&state[0])?;
        }
        state = (0..WIDTH).map(|i| combine(&p.mds[i], &state)).collect();
    }
    Ok(state)
}

/// Size of the circuit of an architecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitStats {
    pub constraints: usize,
    pub witness_variables: usize,
    /// Public inputs, not counting the constant 1.
    pub public_inputs: usize,
}

/// Constraint count of each part of the circuit of `arch`, by formula (checked against
/// [`stats`] in the tests): `(part, constraints)`.
pub fn breakdown(arch: &Architecture) -> Vec<(String, usize)> {
    let mut out = vec![(
        format!("input: {} bytes x 8 bits", arch.input_len()),
        8 * arch.input_len(),
    )];
    for (i, l) in arch.layers.iter().enumerate() {
        let (n_in, n_out, s) = (l.input as usize, l.output as usize, l.shift as usize);
        let weights = 9 * n_in * n_out + 32 * n_out;
        let neuron = if s == 0 {
            0
        } else {
            34 + if s + 7 <= 31 { 2 } else { 0 } + if s + 7 < 31 { 3 } else { 0 }
        };
        out.push((
            format!(
                "layer {i}: {n_in}x{n_out}{}",
                if s > 0 {
                    format!(" >>{s} (9/weight + 32/bias + {neuron}/neuron)")
                } else {
                    " logits (9/weight + 32/bias)".into()
                }
            ),
            weights + neuron * n_out,
        ));
    }
    let perms = commitment::num_elements(arch)
        .div_ceil(poseidon::RATE)
        .max(1);
    let per_perm = 3 * (poseidon::FULL_ROUNDS * WIDTH + poseidon::PARTIAL_ROUNDS);
    out.push((
        format!(
            "commitment: {} elements, {perms} Poseidon permutations x {per_perm}",
            commitment::num_elements(arch)
        ),
        perms * per_perm + 1,
    ));
    let layout = Layout::new(arch);
    out.push((
        format!(
            "public packing: {} elements + nonce/provider",
            layout.elements
        ),
        layout.elements + 1,
    ));
    out
}

/// Synthesizes the circuit of `arch` (without values) and counts it.
pub fn stats(arch: &Architecture) -> Result<CircuitStats, SynthesisError> {
    use ark_relations::gr1cs::{ConstraintSystem, SynthesisMode};
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    MlpCircuit::blank(arch).generate_constraints(cs.clone())?;
    cs.finalize();
    Ok(CircuitStats {
        constraints: cs.num_constraints(),
        witness_variables: cs.num_witness_variables(),
        public_inputs: cs.num_instance_variables() - 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{requantize, Layer, LayerShape};
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn neuron_ok(acc: i32, s: u8) -> (bool, Fr) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let b = Builder { cs: cs.clone() };
        let v = b.witness(Fr::from(i64::from(acc))).unwrap();
        let y = hidden_neuron(&b, &Lc::var(v, Fr::from(i64::from(acc))), acc, s).unwrap();
        (cs.is_satisfied().unwrap(), y.val)
    }

    #[test]
    fn hidden_neuron_matches_reference_on_edges() {
        let mut rng = StdRng::seed_from_u64(3);
        for s in 1..=31u8 {
            let half = 1i64 << (s - 1);
            let mut accs: Vec<i64> = vec![
                0,
                1,
                -1,
                i32::MIN as i64,
                i32::MAX as i64,
                -half,
                -half - 1,
                -half + 1,
                half,
                half - 1,
            ];
            for q in [0i64, 1, 126, 127, 128, 129] {
                for d in [-half - 1, -half, -half + 1, -1, 0, 1, half - 1, half] {
                    accs.push((q << s) + d);
                }
            }
            for _ in 0..20 {
                accs.push(rng.gen::<i32>() as i64);
                accs.push(rng.gen_range(-(300i64 << s)..(300i64 << s)));
            }
            for a in accs {
                let Ok(a) = i32::try_from(a) else { continue };
                let (sat, y) = neuron_ok(a, s);
                assert!(sat, "acc {a} shift {s}");
                assert_eq!(y, Fr::from(requantize(a, s) as u64), "acc {a} shift {s}");
            }
        }
    }

    fn satisfied(model: &Model, st: &Statement) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        MlpCircuit {
            model: model.clone(),
            statement: st.clone(),
        }
        .generate_constraints(cs.clone())
        .unwrap();
        cs.is_satisfied().unwrap()
    }

    #[test]
    fn circuit_agrees_with_reference_on_random_models() {
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..12 {
            let depth = rng.gen_range(1..=3);
            let dims: Vec<u32> = (0..=depth).map(|_| rng.gen_range(1..=6)).collect();
            let shifts: Vec<u8> = (0..depth - 1).map(|_| rng.gen_range(1..=14)).collect();
            let arch = Architecture::mlp(&dims, &shifts).unwrap();
            let mut model = Model::random(&arch, &mut rng);
            // Some huge biases, so clamps saturate both ways.
            for l in &mut model.layers {
                for b in &mut l.bias {
                    if rng.gen_bool(0.3) {
                        *b = rng.gen_range(-(1 << 30)..(1 << 30));
                    }
                }
            }
            let input: Vec<i8> = (0..arch.input_len()).map(|_| rng.gen()).collect();
            let Ok(output) = model.forward(&input) else {
                continue;
            };
            let st = Statement {
                commitment: commitment::commit(&model),
                input: input.clone(),
                output: output.clone(),
                nonce: rng.gen(),
                provider: rng.gen(),
            };
            assert!(satisfied(&model, &st), "{arch}");
            let mut wrong = st.clone();
            wrong.output[0] = wrong.output[0].wrapping_add(1);
            assert!(!satisfied(&model, &wrong));
            let mut wrong = st.clone();
            wrong.commitment = commitment::Commitment::from_field(Fr::from(5u64));
            assert!(!satisfied(&model, &wrong));
        }
    }

    #[test]
    fn single_layer_and_constraint_counts() {
        let arch = Architecture {
            layers: vec![LayerShape {
                input: 3,
                output: 2,
                shift: 0,
            }],
        };
        let m = Model::new(vec![Layer {
            shape: arch.layers[0].clone(),
            weights: vec![1, -2, 3, -128, 127, 0],
            bias: vec![i32::MIN + 1000, i32::MAX - 1000],
        }])
        .unwrap();
        let input = vec![-3, 4, -128];
        let output = m.forward(&input).unwrap();
        let st = Statement {
            commitment: commitment::commit(&m),
            input,
            output,
            nonce: 1,
            provider: [1; 20],
        };
        assert!(satisfied(&m, &st));
        let s = stats(&arch).unwrap();
        assert_eq!(s.public_inputs, 3);
        assert!(s.constraints > 0);
        for (dims, shifts) in [
            (vec![3u32, 2], vec![]),
            (vec![5, 4, 3], vec![1]),
            (vec![5, 4, 3], vec![24]),
            (vec![5, 4, 3], vec![25]),
            (vec![5, 4, 2, 3], vec![31, 7]),
        ] {
            let arch = Architecture::mlp(&dims, &shifts).unwrap();
            let total: usize = breakdown(&arch).iter().map(|(_, n)| n).sum();
            assert_eq!(total, stats(&arch).unwrap().constraints, "{arch}");
        }
    }
}
