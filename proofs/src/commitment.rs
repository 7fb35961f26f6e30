//! The weight commitment: Poseidon over BN254 of the model's weights and biases packed densely
//! into field elements.
//!
//! Payload: for every layer in order, the weights as bytes (i8 two's complement, row-major
//! `[output][input]`) followed by the biases as 4-byte little-endian i32 two's complement — the
//! same bytes as the weight section of the `.polm` file. The payload is cut into 31-byte
//! chunks, each read as a little-endian integer (< 2^248, so one field element each, the last
//! chunk zero-padded). The commitment is [`crate::poseidon::hash`] of those elements with the
//! capacity initialised to the architecture's domain ([`domain`]), so a commitment is bound to
//! its architecture and to the exact number of elements.

use crate::model::{Architecture, Model};
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use sha2::{Digest, Sha256};

/// Payload bytes per packed field element.
pub const CHUNK_BYTES: usize = 31;

/// A weight commitment: the canonical (little-endian, < modulus) bytes of one BN254 scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Commitment(pub [u8; 32]);

impl Commitment {
    /// The field element, or `None` if the bytes are not a canonical encoding.
    pub fn to_field(&self) -> Option<Fr> {
        fr_from_canonical(&self.0)
    }

    /// The canonical bytes of a field element.
    pub fn from_field(f: Fr) -> Self {
        Commitment(fr_to_bytes(f))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits of a canonical encoding.
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = hex::decode(s.trim()).ok()?;
        let b: [u8; 32] = v.try_into().ok()?;
        let c = Commitment(b);
        c.to_field().map(|_| c)
    }
}

impl std::fmt::Display for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Canonical little-endian bytes of a field element.
pub fn fr_to_bytes(f: Fr) -> [u8; 32] {
    let v = f.into_bigint().to_bytes_le();
    let mut out = [0u8; 32];
    out.copy_from_slice(&v);
    out
}

/// The field element of canonical little-endian bytes (`None` if >= the modulus).
pub fn fr_from_canonical(b: &[u8; 32]) -> Option<Fr> {
    let mut limbs = [0u64; 4];
    for (i, l) in limbs.iter_mut().enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[8 * i..8 * i + 8]);
        *l = u64::from_le_bytes(w);
    }
    Fr::from_bigint(ark_ff::BigInt(limbs))
}

/// The sponge's initial capacity element for an architecture:
/// the first 31 bytes of `sha256("pol-proofs/commitment/v1" || architecture bytes)`.
pub fn domain(arch: &Architecture) -> Fr {
    let mut h = Sha256::new();
    h.update(b"pol-proofs/commitment/v1");
    h.update(arch.to_bytes());
    let d = h.finalize();
    Fr::from_le_bytes_mod_order(&d[..31])
}

/// The weight payload (see the module docs).
pub fn payload(model: &Model) -> Vec<u8> {
    let mut out = Vec::new();
    for l in &model.layers {
        out.extend(l.weights.iter().map(|&w| w as u8));
        for b in &l.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
    }
    out
}

/// Number of packed elements for an architecture.
pub fn num_elements(arch: &Architecture) -> usize {
    (arch.num_weights() + 4 * arch.num_biases()).div_ceil(CHUNK_BYTES)
}

/// Packs bytes into field elements, 31 little-endian bytes each.
pub fn pack(bytes: &[u8]) -> Vec<Fr> {
    bytes
        .chunks(CHUNK_BYTES)
        .map(Fr::from_le_bytes_mod_order)
        .collect()
}

/// The commitment field element of a model.
pub fn commit_field(model: &Model) -> Fr {
    crate::poseidon::hash(domain(&model.architecture()), &pack(&payload(model)))
}

/// The commitment of a model.
pub fn commit(model: &Model) -> Commitment {
    Commitment::from_field(commit_field(model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Architecture;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn commitment_binds_weights_and_architecture() {
        let mut rng = StdRng::seed_from_u64(1);
        let arch = Architecture::mlp(&[6, 4, 3], &[2]).unwrap();
        let m = Model::random(&arch, &mut rng);
        let c = commit(&m);
        assert_eq!(c, commit(&m.clone()));
        assert!(c.to_field().is_some());
        assert_eq!(Commitment::from_hex(&c.to_hex()), Some(c));
        let mut m2 = m.clone();
        m2.layers[1].weights[5] = m2.layers[1].weights[5].wrapping_add(1);
        assert_ne!(commit(&m2), c);
        let mut m3 = m.clone();
        m3.layers[0].bias[3] ^= 1 << 31;
        assert_ne!(commit(&m3), c);
        // Same payload, other architecture (shift) → other commitment.
        let mut m4 = m.clone();
        m4.layers[0].shape.shift = 3;
        assert_ne!(commit(&m4), c);
        assert_eq!(num_elements(&arch), pack(&payload(&m)).len());
    }

    #[test]
    fn non_canonical_rejected() {
        assert!(Commitment([0xff; 32]).to_field().is_none());
        // The modulus itself is not canonical.
        let p = Fr::MODULUS.to_bytes_le();
        let mut b = [0u8; 32];
        b.copy_from_slice(&p);
        assert!(Commitment(b).to_field().is_none());
        b[0] -= 1;
        assert!(Commitment(b).to_field().is_some());
    }
}
