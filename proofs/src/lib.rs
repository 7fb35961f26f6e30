//! pol-proofs: the integer reference model, its R1CS circuit, Groth16 keys, proving, single and
//! batch verification. See `proofs/README.md` for the formats, the circuit and the numbers.
//!
//! * [`model`]: the reference semantics (the single definition of the right answer);
//! * [`commitment`]: Poseidon commitment to the weights;
//! * [`circuit`]: the R1CS circuit; [`statement`]: the public statement and its packing;
//! * keys ([`setup_insecure_seeded`], [`ProvingKey`], [`VerifyingKey`],
//!   [`PreparedVerifyingKey`]), [`prove`], [`verify`], [`batch_verify`];
//! * [`ceremony`]: the multi-party trusted setup (powers of tau, phase 2, finalisation).

pub mod batch;
pub mod ceremony;
pub mod circuit;
pub mod commitment;
pub mod cpu_time;
pub mod keys;
pub mod model;
pub mod poseidon;
pub mod statement;

pub use batch::{batch_verify, BatchError};
pub use keys::{
    setup, setup_insecure_seeded, PreparedVerifyingKey, Proof, ProvingKey, VerifyingKey,
};
pub use statement::Statement;

use ark_bn254::{Bn254, Fr, G1Projective};
use ark_ec::{
    pairing::{MillerLoopOutput, Pairing},
    CurveGroup, VariableBaseMSM,
};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use rand::{CryptoRng, RngCore};

/// Errors of setup, proving, key/proof decoding and verification.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Model(#[from] model::ModelError),
    #[error("statement does not fit the architecture: {0}")]
    StatementShape(String),
    #[error("non-canonical {0} encoding")]
    NonCanonical(&'static str),
    #[error("malformed {0}")]
    Encoding(String),
    #[error("the key is for architecture {key}, not {other}")]
    ArchitectureMismatch { key: String, other: String },
    #[error("the model's commitment does not match the statement's")]
    CommitmentMismatch,
    #[error("the model's output for this input is not the statement's output")]
    OutputMismatch,
    #[error("constraint synthesis: {0}")]
    Synthesis(String),
    #[error("invalid proof")]
    InvalidProof,
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<ark_relations::gr1cs::SynthesisError> for ProofError {
    fn from(e: ark_relations::gr1cs::SynthesisError) -> Self {
        ProofError::Synthesis(e.to_string())
    }
}

/// Proves `model(statement.input) = statement.output` for the statement's commitment, nonce
/// and provider. Checks the architecture, the commitment and the output with the reference
/// first, so it never produces a proof that does not verify.
pub fn prove<R: RngCore + CryptoRng>(
    pk: &ProvingKey,
    model: &model::Model,
    statement: &Statement,
    rng: &mut R,
) -> Result<Proof, ProofError> {
    let arch = model.architecture();
    if arch != pk.arch {
        return Err(ProofError::ArchitectureMismatch {
            key: pk.arch.to_string(),
            other: arch.to_string(),
        });
    }
    statement.public_inputs(&arch)?;
    if commitment::commit(model) != statement.commitment {
        return Err(ProofError::CommitmentMismatch);
    }
    if model.forward(&statement.input)? != statement.output {
        return Err(ProofError::OutputMismatch);
    }
    let circuit = circuit::MlpCircuit {
        model: model.clone(),
        statement: statement.clone(),
    };
    let matrices = pk.matrices()?;
    // Values only: the matrices are cached in the key.
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    circuit.generate_constraints(cs.clone())?;
    let mut full = cs.instance_assignment()?;
    if full.len() != matrices.num_inputs {
        return Err(ProofError::Synthesis(
            "instance size differs from the key".into(),
        ));
    }
    full.extend(cs.witness_assignment()?);
    drop(cs);
    let r = Fr::rand(rng);
    let s = Fr::rand(rng);
    let proof = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
        &pk.pk,
        r,
        s,
        &matrices.abc,
        matrices.num_inputs,
        matrices.num_constraints,
        &full,
    )?;
    Ok(Proof(proof))
}

/// `IC = gamma_abc[0] + Σ x_k gamma_abc[k+1]` as one MSM.
pub(crate) fn prepare_inputs(
    vk: &ark_groth16::VerifyingKey<Bn254>,
    public: &[Fr],
) -> Result<G1Projective, ProofError> {
    if public.len() + 1 != vk.gamma_abc_g1.len() {
        return Err(ProofError::StatementShape(format!(
            "{} public inputs for a key that takes {}",
            public.len(),
            vk.gamma_abc_g1.len().saturating_sub(1)
        )));
    }
    let msm = G1Projective::msm(&vk.gamma_abc_g1[1..], public)
        .map_err(|_| ProofError::StatementShape("public input length".into()))?;
    Ok(msm + vk.gamma_abc_g1[0])
}

/// Verifies one proof. The public inputs are rebuilt from `statement` (canonical commitment and
/// lengths checked against the key's architecture).
pub fn verify(
    pvk: &PreparedVerifyingKey,
    statement: &Statement,
    proof: &Proof,
) -> Result<(), ProofError> {
    let public = statement.public_inputs(&pvk.arch)?;
    // Two halves of the Miller loop on two threads: the public-input MSM and its pair, and the
    // proof's two other pairs. (The product of the halves is the multi-Miller loop.)
    let (ml_inputs, ml_proof) = rayon::join(
        || -> Result<_, ProofError> {
            let ic = prepare_inputs(&pvk.pvk.vk, &public)?;
            Ok(Bn254::multi_miller_loop(
                [ic.into_affine()],
                [pvk.pvk.gamma_g2_neg_pc.clone()],
            ))
        },
        || {
            Bn254::multi_miller_loop(
                [proof.0.a, proof.0.c],
                [proof.0.b.into(), pvk.pvk.delta_g2_neg_pc.clone()],
            )
        },
    );
    let ml = MillerLoopOutput(ml_inputs?.0 * ml_proof.0);
    match Bn254::final_exponentiation(ml) {
        Some(out) if out.0 == pvk.pvk.alpha_g1_beta_g2 => Ok(()),
        _ => Err(ProofError::InvalidProof),
    }
}
