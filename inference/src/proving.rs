//! Proof backend of the `Prove` RPC.

use parking_lot::Mutex;
use pol_proofs::commitment::commit;
use pol_proofs::model::{Architecture, Model};
use pol_proofs::{
    prove, setup_insecure_seeded, verify, PreparedVerifyingKey, ProvingKey, Statement,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

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
    /// Prepares what proving `arch` needs (key setup); blocking, idempotent.
    fn prepare(&self, _arch: &Architecture) -> Result<(), String> {
        Ok(())
    }
    /// The verifying key of `arch` in pol-proofs' encoding (what the chain registers as the
    /// architecture); blocking.
    fn verifying_key(&self, _arch: &Architecture) -> Result<Vec<u8>, String> {
        Err("this prover has no verifying keys".into())
    }
}

type Keys = Arc<(ProvingKey, PreparedVerifyingKey)>;
type KeySlot = OnceLock<Result<Keys, String>>;

/// Groth16 over BN254 with `pol-proofs`: one proving key per architecture from the
/// **insecure** seeded setup (localnet), set up once (or loaded from `key_dir`) and cached.
pub struct Groth16Backend {
    seed: u64,
    verify: bool,
    key_dir: Option<PathBuf>,
    /// Per architecture, its keys once set up (or why they could not be).
    keys: Mutex<HashMap<Architecture, Arc<KeySlot>>>,
}

impl Groth16Backend {
    pub fn new(seed: u64, verify: bool, key_dir: Option<PathBuf>) -> Self {
        Self {
            seed,
            verify,
            key_dir,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// The keys of `arch`; the first caller sets them up, concurrent callers wait for it.
    pub fn keys(&self, arch: &Architecture) -> Result<Keys, String> {
        let cell = self.keys.lock().entry(arch.clone()).or_default().clone();
        cell.get_or_init(|| self.load_or_setup(arch)).clone()
    }

    fn load_or_setup(&self, arch: &Architecture) -> Result<Keys, String> {
        let path = self.key_dir.as_ref().map(|d| {
            d.join(format!(
                "{}-seed{}.pk",
                &hex::encode(arch.id())[..16],
                self.seed
            ))
        });
        if let Some(p) = path.as_ref().filter(|p| p.exists()) {
            let t = Instant::now();
            match ProvingKey::load(p) {
                Ok(pk) if &pk.arch == arch => {
                    let pvk = pk.verifying_key().prepare();
                    tracing::info!(arch = %arch, path = %p.display(), secs = t.elapsed().as_secs_f64(), "proving key loaded");
                    return Ok(Arc::new((pk, pvk)));
                }
                Ok(_) => {
                    tracing::warn!(path = %p.display(), "proving key is for another architecture; setting up")
                }
                Err(e) => {
                    tracing::warn!(path = %p.display(), error = %e, "unreadable proving key; setting up")
                }
            }
        }
        let t = Instant::now();
        tracing::info!(arch = %arch, seed = self.seed, "Groth16 setup (INSECURE seeded: localnet only)");
        let (pk, vk) = setup_insecure_seeded(arch, self.seed).map_err(|e| e.to_string())?;
        let pvk = vk.prepare();
        tracing::info!(arch = %arch, secs = t.elapsed().as_secs_f64(), "Groth16 setup done");
        metrics::histogram!("pol_worker_prove_setup_seconds").record(t.elapsed().as_secs_f64());
        if let Some(p) = path {
            if let Some(d) = p.parent() {
                let _ = std::fs::create_dir_all(d);
            }
            if let Err(e) = pk.save(&p) {
                tracing::warn!(path = %p.display(), error = %e, "could not cache the proving key");
            }
        }
        Ok(Arc::new((pk, pvk)))
    }
}

impl ProofBackend for Groth16Backend {
    fn commitment_hex(&self, model: &Model) -> String {
        commit(model).to_hex()
    }

    fn verifying_key(&self, arch: &Architecture) -> Result<Vec<u8>, String> {
        Ok(self.keys(arch)?.0.verifying_key().to_bytes())
    }

    fn prepare(&self, arch: &Architecture) -> Result<(), String> {
        self.keys(arch).map(|_| ())
    }

    fn prove(
        &self,
        model: &Model,
        input: &[i8],
        output: &[i32],
        nonce: u64,
        provider: [u8; 20],
    ) -> Result<ProofOutput, String> {
        let keys = self.keys(&model.architecture())?;
        let statement = Statement {
            commitment: commit(model),
            input: input.to_vec(),
            output: output.to_vec(),
            nonce,
            provider,
        };
        let proof =
            prove(&keys.0, model, &statement, &mut rand::rngs::OsRng).map_err(|e| e.to_string())?;
        if self.verify {
            verify(&keys.1, &statement, &proof)
                .map_err(|e| format!("own proof does not verify: {e}"))?;
        }
        Ok(ProofOutput {
            proof: proof.to_bytes().to_vec(),
            commitment_hex: statement.commitment.to_hex(),
        })
    }
}

/// The Groth16 backend with the insecure seeded setup.
pub fn default_backend(
    setup_seed: u64,
    verify: bool,
    key_dir: Option<PathBuf>,
) -> Option<Arc<dyn ProofBackend>> {
    Some(Arc::new(Groth16Backend::new(setup_seed, verify, key_dir)))
}

/// Starts the key setup of every served architecture on the prover pool, so that the first
/// `Prove` does not pay for it.
pub fn warm_up(state: &Arc<crate::server::WorkerState>) {
    let Some(backend) = state.backend.clone() else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for m in state.models.values() {
        let arch = m.model.architecture();
        if !seen.insert(arch.clone()) {
            continue;
        }
        let b = backend.clone();
        if let Err(e) = state
            .pool
            .submit("setup", crate::pool::Lane::Public, move || {
                if let Err(e) = b.prepare(&arch) {
                    tracing::error!(arch = %arch, error = %e, "prover key setup failed");
                }
            })
        {
            tracing::warn!(error = %e, "could not queue the prover key setup");
        }
    }
}
