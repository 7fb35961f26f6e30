//! Groth16 keys per architecture, proofs, and their checked encodings.
//!
//! File formats (little-endian lengths):
//!
//! * proving key `.pk`: `"POLK" | 1 | arch_len u16 | architecture bytes | ark ProvingKey
//!   (uncompressed, every point checked on load: on curve and in the prime-order subgroup)`;
//! * verifying key `.vk`: `"POLV" | 1 | arch_len u16 | architecture bytes | ark VerifyingKey
//!   (compressed, checked)`; [`VerifyingKey::content_hash`] is the sha256 of these bytes and
//!   is what the chain stores;
//! * proof: 128 bytes, `A (G1) | B (G2) | C (G1)` compressed, checked on decode.
//!
//! Every decoder re-encodes what it decoded and rejects the input unless the bytes are
//! identical, so each key and proof has exactly one accepted encoding.

use crate::circuit::MlpCircuit;
use crate::model::Architecture;
use crate::ProofError;
use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

const PK_MAGIC: &[u8; 4] = b"POLK";
const VK_MAGIC: &[u8; 4] = b"POLV";
const KEY_VERSION: u8 = 1;
/// Size of an encoded proof.
pub const PROOF_BYTES: usize = 128;

/// A Groth16 proving key for one architecture.
#[derive(Clone, Debug)]
pub struct ProvingKey {
    pub arch: Architecture,
    pub pk: ark_groth16::ProvingKey<Bn254>,
    /// The circuit's constraint matrices, synthesized once per key and reused by every proof.
    pub(crate) matrices: Arc<OnceLock<Arc<Matrices>>>,
}

impl PartialEq for ProvingKey {
    fn eq(&self, other: &Self) -> bool {
        self.arch == other.arch && self.pk == other.pk
    }
}

/// The R1CS matrices (A, B, C) of an architecture's circuit.
#[derive(Debug)]
pub struct Matrices {
    pub abc: Vec<Matrix<Fr>>,
    /// Instance variables including the constant 1.
    pub num_inputs: usize,
    pub num_constraints: usize,
}

impl Matrices {
    /// Synthesizes the circuit of `arch` exactly as key generation does and keeps its matrices.
    pub fn of(arch: &Architecture) -> Result<Self, ProofError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        MlpCircuit::blank(arch).generate_constraints(cs.clone())?;
        cs.finalize();
        let abc = cs
            .to_matrices()?
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or_else(|| ProofError::Synthesis("no R1CS matrices".into()))?;
        Ok(Matrices {
            abc,
            num_inputs: cs.num_instance_variables(),
            num_constraints: cs.num_constraints(),
        })
    }
}

/// A Groth16 verifying key for one architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifyingKey {
    pub arch: Architecture,
    pub vk: ark_groth16::VerifyingKey<Bn254>,
}

/// A verifying key with its pairing precomputations (what validators keep in memory).
#[derive(Clone, Debug)]
pub struct PreparedVerifyingKey {
    pub arch: Architecture,
    pub pvk: ark_groth16::PreparedVerifyingKey<Bn254>,
    /// `-beta` in G2, prepared (for batch verification).
    pub(crate) beta_g2_neg_pc: <Bn254 as ark_ec::pairing::Pairing>::G2Prepared,
    /// The key's content hash (binds batch scalars to the key).
    pub content_hash: [u8; 32],
}

/// A Groth16 proof.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof(pub ark_groth16::Proof<Bn254>);

impl Eq for Proof {}

fn encode_with_arch(
    magic: &[u8; 4],
    arch: &Architecture,
    body: &impl CanonicalSerialize,
    compress: Compress,
) -> Vec<u8> {
    let a = arch.to_bytes();
    let mut out = Vec::with_capacity(7 + a.len() + body.serialized_size(compress));
    out.extend_from_slice(magic);
    out.push(KEY_VERSION);
    out.extend_from_slice(&(a.len() as u16).to_le_bytes());
    out.extend_from_slice(&a);
    body.serialize_with_mode(&mut out, compress)
        .expect("serializing into a Vec cannot fail");
    out
}

fn decode_with_arch<T: CanonicalDeserialize + CanonicalSerialize>(
    magic: &[u8; 4],
    what: &'static str,
    b: &[u8],
    compress: Compress,
) -> Result<(Architecture, T), ProofError> {
    let bad = |m: &str| ProofError::Encoding(format!("{what}: {m}"));
    if b.len() < 7 || &b[..4] != magic {
        return Err(bad("bad magic"));
    }
    if b[4] != KEY_VERSION {
        return Err(bad(&format!("unsupported version {}", b[4])));
    }
    let n = u16::from_le_bytes([b[5], b[6]]) as usize;
    let rest = &b[7..];
    if rest.len() < n {
        return Err(bad("truncated"));
    }
    let arch = Architecture::from_bytes(&rest[..n])?;
    let mut body = &rest[n..];
    let t = T::deserialize_with_mode(&mut body, compress, Validate::Yes)
        .map_err(|e| bad(&e.to_string()))?;
    if !body.is_empty() {
        return Err(bad("trailing bytes"));
    }
    if encode_with_arch(magic, &arch, &t, compress) != b {
        return Err(ProofError::NonCanonical(what));
    }
    Ok((arch, t))
}

fn check_key_shape(
    arch: &Architecture,
    vk: &ark_groth16::VerifyingKey<Bn254>,
) -> Result<(), ProofError> {
    let want = crate::statement::Layout::new(arch).num_public_inputs() + 1;
    if vk.gamma_abc_g1.len() != want {
        return Err(ProofError::Encoding(format!(
            "verifying key has {} input points, the architecture needs {want}",
            vk.gamma_abc_g1.len()
        )));
    }
    Ok(())
}

impl ProvingKey {
    /// Wraps an arkworks key.
    pub fn new(arch: Architecture, pk: ark_groth16::ProvingKey<Bn254>) -> Self {
        ProvingKey {
            arch,
            pk,
            matrices: Arc::default(),
        }
    }

    /// The circuit's matrices (synthesized on first use, then cached).
    pub fn matrices(&self) -> Result<Arc<Matrices>, ProofError> {
        if let Some(m) = self.matrices.get() {
            return Ok(m.clone());
        }
        let m = Arc::new(Matrices::of(&self.arch)?);
        Ok(self.matrices.get_or_init(|| m).clone())
    }

    /// The matching verifying key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            arch: self.arch.clone(),
            vk: self.pk.vk.clone(),
        }
    }

    /// Encoded key (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_with_arch(PK_MAGIC, &self.arch, &self.pk, Compress::No)
    }

    /// Decodes and checks every point.
    pub fn from_bytes(b: &[u8]) -> Result<Self, ProofError> {
        let (arch, pk): (_, ark_groth16::ProvingKey<Bn254>) =
            decode_with_arch(PK_MAGIC, "proving key", b, Compress::No)?;
        check_key_shape(&arch, &pk.vk)?;
        Ok(ProvingKey::new(arch, pk))
    }

    pub fn load(path: &std::path::Path) -> Result<Self, ProofError> {
        Self::from_bytes(&read(path)?)
    }

    pub fn save(&self, path: &std::path::Path) -> Result<(), ProofError> {
        write(path, &self.to_bytes())
    }
}

impl VerifyingKey {
    /// Encoded key (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_with_arch(VK_MAGIC, &self.arch, &self.vk, Compress::Yes)
    }

    /// Decodes and checks every point.
    pub fn from_bytes(b: &[u8]) -> Result<Self, ProofError> {
        let (arch, vk): (_, ark_groth16::VerifyingKey<Bn254>) =
            decode_with_arch(VK_MAGIC, "verifying key", b, Compress::Yes)?;
        check_key_shape(&arch, &vk)?;
        Ok(VerifyingKey { arch, vk })
    }

    /// sha256 of [`VerifyingKey::to_bytes`]: what the chain stores per architecture.
    pub fn content_hash(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }

    /// Pairing precomputations for verification.
    pub fn prepare(&self) -> PreparedVerifyingKey {
        use ark_ec::{AffineRepr, CurveGroup};
        PreparedVerifyingKey {
            arch: self.arch.clone(),
            pvk: ark_groth16::prepare_verifying_key(&self.vk),
            beta_g2_neg_pc: (-self.vk.beta_g2.into_group()).into_affine().into(),
            content_hash: self.content_hash(),
        }
    }

    pub fn load(path: &std::path::Path) -> Result<Self, ProofError> {
        Self::from_bytes(&read(path)?)
    }

    pub fn save(&self, path: &std::path::Path) -> Result<(), ProofError> {
        write(path, &self.to_bytes())
    }
}

impl From<&VerifyingKey> for PreparedVerifyingKey {
    fn from(vk: &VerifyingKey) -> Self {
        vk.prepare()
    }
}

impl Proof {
    /// 128 bytes: `A | B | C` compressed.
    pub fn to_bytes(&self) -> [u8; PROOF_BYTES] {
        let mut out = Vec::with_capacity(PROOF_BYTES);
        self.0
            .serialize_compressed(&mut out)
            .expect("serializing into a Vec cannot fail");
        let mut b = [0u8; PROOF_BYTES];
        b.copy_from_slice(&out);
        b
    }

    /// Decodes a proof: exactly 128 bytes, canonical coordinates, every point on the curve and
    /// in the prime-order subgroup.
    pub fn from_bytes(b: &[u8]) -> Result<Self, ProofError> {
        if b.len() != PROOF_BYTES {
            return Err(ProofError::Encoding(format!(
                "proof: {} bytes, expected {PROOF_BYTES}",
                b.len()
            )));
        }
        let mut r = b;
        let p = ark_groth16::Proof::<Bn254>::deserialize_compressed(&mut r)
            .map_err(|e| ProofError::Encoding(format!("proof: {e}")))?;
        let proof = Proof(p);
        if proof.to_bytes()[..] != *b {
            return Err(ProofError::NonCanonical("proof"));
        }
        Ok(proof)
    }
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, ProofError> {
    std::fs::read(path).map_err(|source| ProofError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn write(path: &std::path::Path, b: &[u8]) -> Result<(), ProofError> {
    std::fs::write(path, b).map_err(|source| ProofError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Groth16 setup with caller-provided randomness (a real single-party setup; production needs
/// a phase-2 ceremony instead).
pub fn setup<R: RngCore + CryptoRng>(
    arch: &Architecture,
    rng: &mut R,
) -> Result<(ProvingKey, VerifyingKey), ProofError> {
    arch.validate()?;
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(MlpCircuit::blank(arch), rng)?;
    Ok((
        ProvingKey::new(arch.clone(), pk),
        VerifyingKey {
            arch: arch.clone(),
            vk,
        },
    ))
}

/// **INSECURE**: a deterministic setup whose toxic waste is derived from `seed`, so anyone who
/// knows the seed can forge proofs. For local networks and tests only, where every node must
/// derive identical keys without a ceremony.
pub fn setup_insecure_seeded(
    arch: &Architecture,
    seed: u64,
) -> Result<(ProvingKey, VerifyingKey), ProofError> {
    let mut s = [0u8; 32];
    s.copy_from_slice(&Sha256::digest(
        [
            b"pol-proofs/insecure-seeded-setup/v1".as_slice(),
            &seed.to_le_bytes(),
            &arch.id(),
        ]
        .concat(),
    ));
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(s);
    setup(arch, &mut rng)
}
