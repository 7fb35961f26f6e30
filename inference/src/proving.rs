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
    /// How `arch`'s key was made, as the chain registers it: a ceremony's record, or `None`
    /// for an insecure (seeded) setup.
    fn setup_record(&self, _arch: &Architecture) -> Option<pol_inference::pb::Setup> {
        None
    }
}

/// A ceremony's keys, loaded from the files `pol-proofs ceremony finalize` wrote.
pub struct CeremonyKeys {
    pub keys: Keys,
    pub setup: pol_inference::pb::Setup,
    pub path: PathBuf,
}

/// The setup record that goes with a ceremony proving key: `<name>.setup.json` beside
/// `<name>.pk`.
pub fn setup_record_path(pk: &std::path::Path) -> PathBuf {
    pk.with_extension("setup.json")
}

/// Loads each proving key in `paths` and its setup record: the record must be a
/// well-formed ceremony record (as the chain checks it). Any error names the file.
pub fn load_ceremony_keys(
    paths: &[PathBuf],
) -> Result<HashMap<Architecture, CeremonyKeys>, String> {
    let mut out = HashMap::new();
    for path in paths {
        let t = Instant::now();
        let pk = ProvingKey::load(path)
            .map_err(|e| format!("[prover] keys: {}: {e}", path.display()))?;
        let record_path = setup_record_path(path);
        let text = std::fs::read_to_string(&record_path).map_err(|e| {
            format!(
                "[prover] keys: {}: its setup record {}: {e} (pol-proofs ceremony finalize \
                 --out-setup writes it)",
                path.display(),
                record_path.display()
            )
        })?;
        let setup: pol_inference::pb::Setup = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a setup record: {e}", record_path.display()))?;
        if pol_inference::setup::kind_of(Some(&setup)) != pol_inference::pb::SetupKind::Ceremony {
            return Err(format!("{}: not a ceremony record", record_path.display()));
        }
        pol_inference::setup::check(Some(&setup), false)
            .map_err(|e| format!("{}: {e}", record_path.display()))?;
        let arch = pk.arch.clone();
        let pvk = pk.verifying_key().prepare();
        tracing::info!(arch = %arch, path = %path.display(), secs = t.elapsed().as_secs_f64(), "ceremony proving key loaded");
        if out
            .insert(
                arch.clone(),
                CeremonyKeys {
                    keys: Arc::new((pk, pvk)),
                    setup,
                    path: path.clone(),
                },
            )
            .is_some()
        {
            return Err(format!(
                "[prover] keys: two keys for architecture {arch} (the last: {})",
                path.display()
            ));
        }
    }
    Ok(out)
}

type Keys = Arc<(ProvingKey, PreparedVerifyingKey)>;
type KeySlot = OnceLock<Result<Keys, String>>;

/// Groth16 over BN254 with `pol-proofs`: one proving key per architecture, either from a
/// ceremony (`[prover] keys`, loaded at start; then only those) or, on a localnet, from the
/// **insecure** seeded setup, set up once (or loaded from `key_dir`) and cached.
pub struct Groth16Backend {
    seed: u64,
    verify: bool,
    key_dir: Option<PathBuf>,
    /// Ceremony keys by architecture; when any is given, nothing is set up from a seed.
    ceremony: HashMap<Architecture, CeremonyKeys>,
    /// Per architecture, its keys once set up (or why they could not be).
    keys: Mutex<HashMap<Architecture, Arc<KeySlot>>>,
}

impl Groth16Backend {
    pub fn new(seed: u64, verify: bool, key_dir: Option<PathBuf>) -> Self {
        Self {
            seed,
            verify,
            key_dir,
            ceremony: HashMap::new(),
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// A backend that proves only with ceremony keys.
    pub fn with_ceremony_keys(verify: bool, ceremony: HashMap<Architecture, CeremonyKeys>) -> Self {
        Self {
            ceremony,
            ..Self::new(0, verify, None)
        }
    }

    /// The keys of `arch`; the first caller sets them up, concurrent callers wait for it.
    pub fn keys(&self, arch: &Architecture) -> Result<Keys, String> {
        let cell = self.keys.lock().entry(arch.clone()).or_default().clone();
        cell.get_or_init(|| self.load_or_setup(arch)).clone()
    }

    fn load_or_setup(&self, arch: &Architecture) -> Result<Keys, String> {
        if let Some(c) = self.ceremony.get(arch) {
            return Ok(c.keys.clone());
        }
        if !self.ceremony.is_empty() {
            return Err(format!(
                "no ceremony proving key for architecture {arch} in [prover] keys (the worker \
                 never sets one up from a seed when ceremony keys are given)"
            ));
        }
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

    fn setup_record(&self, arch: &Architecture) -> Option<pol_inference::pb::Setup> {
        self.ceremony.get(arch).map(|c| c.setup.clone())
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

/// The Groth16 backend: with the ceremony keys of `prover.keys` when it lists any (each
/// loaded and checked now), else the insecure seeded setup (localnets), which it says.
pub fn default_backend(
    prover: &crate::config::Prover,
) -> Result<Option<Arc<dyn ProofBackend>>, String> {
    if prover.keys.is_empty() {
        tracing::warn!(
            seed = prover.setup_seed,
            "proving keys from the INSECURE seeded setup: anyone who knows the seed can forge \
             proofs (a localnet only; give [prover] keys from a ceremony on a real chain)"
        );
        return Ok(Some(Arc::new(Groth16Backend::new(
            prover.setup_seed,
            prover.verify,
            prover.key_dir.clone(),
        ))));
    }
    let ceremony = load_ceremony_keys(&prover.keys)?;
    Ok(Some(Arc::new(Groth16Backend::with_ceremony_keys(
        prover.verify,
        ceremony,
    ))))
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

#[cfg(test)]
mod tests {
    use super::*;
    use pol_proofs::ceremony::{finalize, local_ceremony, setup_record, Participant};
    use rand::SeedableRng;

    /// A two-party ceremony for a tiny architecture, its key and record written to `dir`.
    fn ceremony_files(dir: &std::path::Path) -> (Architecture, PathBuf) {
        let arch = Architecture::mlp(&[4, 3, 2], &[2]).unwrap();
        let (p1, p2) = local_ceremony(
            &arch,
            &[Participant::named("alice")],
            &[Participant::named("bob")],
            &mut rand::rngs::StdRng::seed_from_u64(3),
        )
        .unwrap();
        let (pk, _) = finalize(&p2).unwrap();
        let path = dir.join("tiny.pk");
        pk.save(&path).unwrap();
        std::fs::write(
            setup_record_path(&path),
            setup_record(&p1, &p2, "").to_json(),
        )
        .unwrap();
        (arch, path)
    }

    #[test]
    fn ceremony_keys_load_with_their_record_and_nothing_falls_back_to_a_seed() {
        let dir = tempfile::tempdir().unwrap();
        let (arch, pk) = ceremony_files(dir.path());
        let backend = Groth16Backend::with_ceremony_keys(
            true,
            load_ceremony_keys(std::slice::from_ref(&pk)).unwrap(),
        );
        let record = backend.setup_record(&arch).expect("a ceremony record");
        assert_eq!(record.kind, pol_inference::pb::SetupKind::Ceremony as i32);
        assert_eq!(record.contributors.len(), 2);
        assert_eq!(
            backend.verifying_key(&arch).unwrap(),
            ProvingKey::load(&pk).unwrap().verifying_key().to_bytes()
        );
        // An architecture the ceremony did not cover: an error, not a seeded setup.
        let other = Architecture::mlp(&[4, 2, 2], &[2]).unwrap();
        let e = backend.prepare(&other).unwrap_err();
        assert!(e.contains("no ceremony proving key"), "{e}");
        assert!(backend.setup_record(&other).is_none());

        // A key without its record, a record that is not a ceremony's, and a forged one.
        std::fs::copy(&pk, dir.path().join("lonely.pk")).unwrap();
        let e = load_ceremony_keys(&[dir.path().join("lonely.pk")])
            .err()
            .unwrap();
        assert!(
            e.contains("setup record") && e.contains("--out-setup"),
            "{e}"
        );
        let record_path = setup_record_path(&pk);
        let good = std::fs::read_to_string(&record_path).unwrap();
        std::fs::write(&record_path, r#"{"kind": "insecure"}"#).unwrap();
        let e = load_ceremony_keys(std::slice::from_ref(&pk)).err().unwrap();
        assert!(e.contains("not a ceremony record"), "{e}");
        let mut forged: serde_json::Value = serde_json::from_str(&good).unwrap();
        forged["phase2_digest"] = serde_json::json!("AAAA");
        std::fs::write(&record_path, forged.to_string()).unwrap();
        let e = load_ceremony_keys(std::slice::from_ref(&pk)).err().unwrap();
        assert!(e.contains("phase2_digest"), "{e}");
        // Two keys for one architecture.
        std::fs::write(&record_path, &good).unwrap();
        let e = load_ceremony_keys(&[pk.clone(), pk]).err().unwrap();
        assert!(e.contains("two keys"), "{e}");
    }
}
