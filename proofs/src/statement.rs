//! The public statement of an attestation and its encoding as Groth16 public inputs.
//!
//! Public inputs, in order (for an architecture with `n` inputs and `m` logits):
//!
//! 1. the weight commitment (one field element, canonical bytes required);
//! 2. the input and the logits packed into `k` field elements: the logits first, each in a
//!    34-bit slot holding the *signed* value, then the input bytes, each in an 8-bit slot
//!    holding the unsigned byte (`x as u8`); slots are laid out greedily into elements of at most
//!    248 bits and never straddle two elements (`k = 4` for 64→32→10);
//! 3. `nonce + 2^64 * provider` (the 20 provider bytes read little-endian), one element.
//!
//! Why this is sound: the circuit decomposes every input byte into 8 boolean witnesses, so the
//! bytes are unique. A logit slot holds the circuit's accumulator `A` (computed from committed,
//! range-checked weights and range-checked activations, so `|A| < 2^32`) and the verifier puts
//! the claimed `O` (an i32) there; slot widths of 34 bits exceed `|A - O| < 2^33`, and every
//! element is below 2^249 < p, so equality of the packed elements forces `A = O` slot by slot.
//! The nonce/provider element is bound by a squaring constraint.

use crate::commitment::Commitment;
use crate::model::Architecture;
use crate::ProofError;
use ark_bn254::Fr;
use ark_ff::{Field, PrimeField};

/// Bits per logit slot.
pub const OUTPUT_SLOT_BITS: usize = 34;
/// Bits per input slot.
pub const INPUT_SLOT_BITS: usize = 8;
/// Capacity of one packed element in bits.
pub const ELEMENT_BITS: usize = 248;

/// What is being attested: `model(commitment)(input) = output`, for this receipt nonce and
/// provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Statement {
    pub commitment: Commitment,
    pub input: Vec<i8>,
    pub output: Vec<i32>,
    pub nonce: u64,
    pub provider: [u8; 20],
}

/// Where each slot of the packed part lives: `(element, bit offset)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub outputs: Vec<(usize, usize)>,
    pub inputs: Vec<(usize, usize)>,
    /// Number of packed elements.
    pub elements: usize,
}

impl Layout {
    /// The layout for an architecture.
    pub fn new(arch: &Architecture) -> Self {
        let mut elem = 0usize;
        let mut bit = 0usize;
        let mut place = |w: usize| {
            if bit + w > ELEMENT_BITS {
                elem += 1;
                bit = 0;
            }
            let at = (elem, bit);
            bit += w;
            at
        };
        let outputs = (0..arch.output_len())
            .map(|_| place(OUTPUT_SLOT_BITS))
            .collect();
        let inputs = (0..arch.input_len())
            .map(|_| place(INPUT_SLOT_BITS))
            .collect();
        let elements = if bit == 0 { elem } else { elem + 1 };
        Layout {
            outputs,
            inputs,
            elements,
        }
    }

    /// Total number of public inputs: commitment + packed + nonce/provider.
    pub fn num_public_inputs(&self) -> usize {
        self.elements + 2
    }
}

/// `2^k` as a field element.
pub(crate) fn pow2(k: usize) -> Fr {
    Fr::from(2u64).pow([k as u64])
}

/// `nonce + 2^64 * provider` with the provider bytes read little-endian.
pub fn nonce_provider_element(nonce: u64, provider: &[u8; 20]) -> Fr {
    let mut b = [0u8; 28];
    b[..8].copy_from_slice(&nonce.to_le_bytes());
    b[8..].copy_from_slice(provider);
    Fr::from_le_bytes_mod_order(&b)
}

impl Statement {
    /// The Groth16 public inputs, rebuilt from the statement (never taken from a prover).
    pub fn public_inputs(&self, arch: &Architecture) -> Result<Vec<Fr>, ProofError> {
        if self.input.len() != arch.input_len() {
            return Err(ProofError::StatementShape(format!(
                "input has length {}, the architecture takes {}",
                self.input.len(),
                arch.input_len()
            )));
        }
        if self.output.len() != arch.output_len() {
            return Err(ProofError::StatementShape(format!(
                "output has length {}, the architecture gives {}",
                self.output.len(),
                arch.output_len()
            )));
        }
        let c = self
            .commitment
            .to_field()
            .ok_or(ProofError::NonCanonical("commitment"))?;
        let layout = Layout::new(arch);
        let mut packed = vec![Fr::from(0u64); layout.elements];
        for (&o, &(e, b)) in self.output.iter().zip(&layout.outputs) {
            packed[e] += Fr::from(i64::from(o)) * pow2(b);
        }
        for (&x, &(e, b)) in self.input.iter().zip(&layout.inputs) {
            packed[e] += Fr::from(u64::from(x as u8)) * pow2(b);
        }
        let mut out = Vec::with_capacity(layout.num_public_inputs());
        out.push(c);
        out.extend(packed);
        out.push(nonce_provider_element(self.nonce, &self.provider));
        Ok(out)
    }

    /// Canonical bytes: `"POLS" | 1 | commitment 32 | n u32 | input n bytes | m u32 |
    /// output m x i32 | nonce u64 | provider 20` (little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(69 + self.input.len() + 4 * self.output.len());
        out.extend_from_slice(b"POLS\x01");
        out.extend_from_slice(&self.commitment.0);
        out.extend_from_slice(&(self.input.len() as u32).to_le_bytes());
        out.extend(self.input.iter().map(|&x| x as u8));
        out.extend_from_slice(&(self.output.len() as u32).to_le_bytes());
        for o in &self.output {
            out.extend_from_slice(&o.to_le_bytes());
        }
        out.extend_from_slice(&self.nonce.to_le_bytes());
        out.extend_from_slice(&self.provider);
        out
    }

    /// Parses [`Statement::to_bytes`]; checks the commitment is canonical; no trailing bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, ProofError> {
        let bad = |m: &str| ProofError::Encoding(format!("statement: {m}"));
        let mut r = b;
        let mut take = |n: usize| -> Result<&[u8], ProofError> {
            if r.len() < n {
                return Err(bad("truncated"));
            }
            let (h, t) = r.split_at(n);
            r = t;
            Ok(h)
        };
        if take(5)? != b"POLS\x01" {
            return Err(bad("bad magic or version"));
        }
        let mut c = [0u8; 32];
        c.copy_from_slice(take(32)?);
        let commitment = Commitment(c);
        if commitment.to_field().is_none() {
            return Err(ProofError::NonCanonical("commitment"));
        }
        let n = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        let input = take(n)?.iter().map(|&v| v as i8).collect();
        let m = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        let ob = take(m.checked_mul(4).ok_or_else(|| bad("length overflow"))?)?;
        let output = ob
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let nonce = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes"));
        let mut provider = [0u8; 20];
        provider.copy_from_slice(take(20)?);
        if !r.is_empty() {
            return Err(bad("trailing bytes"));
        }
        Ok(Statement {
            commitment,
            input,
            output,
            nonce,
            provider,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layout_has_six_public_inputs() {
        let l = Layout::new(&Architecture::default_digits());
        assert_eq!(l.elements, 4);
        assert_eq!(l.num_public_inputs(), 6);
        for &(_, b) in &l.outputs {
            assert!(b + OUTPUT_SLOT_BITS <= ELEMENT_BITS);
        }
    }

    #[test]
    fn statement_bytes_roundtrip() {
        let s = Statement {
            commitment: Commitment([3; 32]),
            input: vec![-1, 2, 3],
            output: vec![i32::MIN, 5],
            nonce: 77,
            provider: [9; 20],
        };
        let b = s.to_bytes();
        assert_eq!(Statement::from_bytes(&b).unwrap(), s);
        for cut in 0..b.len() {
            assert!(Statement::from_bytes(&b[..cut]).is_err());
        }
        let mut huge = b.clone();
        huge[37..41].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Statement::from_bytes(&huge).is_err());
    }
}
