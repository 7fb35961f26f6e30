//! Proof backend of the `Prove` RPC.

use pol_proofs::model::Model;

/// A proof and the commitment it binds.
#[derive(Debug, Clone)]
pub struct ProofOutput {
    /// `pol_proofs::Proof::to_bytes()`.
    pub proof: Vec<u8>,
    /// Hex of the model commitment's canonical bytes.
    pub commitment_hex: String,
}

/// Proves that `model` maps `input` to `output` for (`nonce`, `provider`).
pub trait ProofBackend: Send + Sync + 'static {
    /// Hex of the model's weight commitment.
    fn commitment_hex(&self, model: &Model) -> String;
    /// Proves one statement (blocking; runs on the prover pool).
    fn prove(
        &self,
        model: &Model,
        input: &[i8],
        output: &[i32],
        nonce: u64,
        provider: [u8; 20],
    ) -> Result<ProofOutput, String>;
}

/// The Groth16 backend of this build, if pol-proofs has a prover.
pub fn default_backend(
    _setup_seed: u64,
    _verify: bool,
) -> Option<std::sync::Arc<dyn ProofBackend>> {
    None
}

/// Starts the key setup of every served architecture on the prover pool, so that the first
/// `Prove` does not pay for it.
pub fn warm_up(_state: &std::sync::Arc<crate::server::WorkerState>) {}
