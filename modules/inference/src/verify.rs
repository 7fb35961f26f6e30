//! Checking attestation proofs: which statement a proof must prove, single verification
//! with cached prepared keys, one batch per architecture per block in FinalizeBlock, and a
//! bounded verdict cache for CheckTx.
//!
//! Every path gives the same verdict for the same (statement, proof): `pol_proofs`' batch
//! verifier derives its random scalars from the proofs themselves and falls back to single
//! checks to name the bad ones, so a block's outcome never depends on how it was verified.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use pol_component::{Address, ExecEnv, TxError};
use pol_proofs::commitment::Commitment;
use pol_proofs::{PreparedVerifyingKey, Proof, Statement, VerifyingKey};
use pol_store::StateRead;
use sha2::{Digest, Sha256};

use crate::pb::{self, MsgSubmitAttestation, ObligationState};
use crate::receipt::{hash_input, hash_output};
use crate::view::{stored_address, InferenceRead};

/// Says whether `proof` proves `statement` under `arch`'s verifying key.
pub trait ProofVerifier {
    fn verify(
        &self,
        arch: &pb::Architecture,
        statement: &Statement,
        proof: &[u8],
    ) -> Result<(), String>;
}

/// The verifier attestation handlers use: the block's verdicts in FinalizeBlock (put in
/// by the module's begin-block hook), the verdict cache in the mempool.
pub fn lent_verifier(env: &ExecEnv) -> Result<&dyn ProofVerifier, TxError> {
    if let Some(v) = env.get::<BlockVerdicts>() {
        return Ok(v);
    }
    if let Some(c) = env.get::<&'static CheckCache>() {
        return Ok(*c);
    }
    Err(TxError::INTERNAL(
        "no proof verifier lent to the inference module",
    ))
}

/// What an attestation must prove, read from state: the obligation (pending, before its
/// deadline), its model and architecture, and the statement whose input and output hash to
/// what the receipt signed.
pub fn statement_for<S: StateRead + ?Sized>(
    state: &S,
    msg: &MsgSubmitAttestation,
    height: u64,
) -> Result<(pb::Obligation, pb::Architecture, Statement), TxError> {
    let o = state.obligation(msg.obligation_id)?.ok_or_else(|| {
        crate::error::UNKNOWN_OBLIGATION(format!("obligation {} does not exist", msg.obligation_id))
    })?;
    if o.state != ObligationState::Pending as i32 {
        return Err(crate::error::OBLIGATION_SETTLED(format!(
            "obligation {} is already settled ({})",
            o.id,
            state_name(o.state)
        )));
    }
    if height > o.deadline_height {
        return Err(crate::error::OBLIGATION_EXPIRED(format!(
            "obligation {} was due by height {}",
            o.id, o.deadline_height
        )));
    }
    let model = state
        .model(&o.model_id)?
        .ok_or_else(|| TxError::INTERNAL(format!("model {} of obligation is gone", o.model_id)))?;
    let arch = state.architecture(&model.architecture_id)?.ok_or_else(|| {
        TxError::INTERNAL(format!("architecture {} is gone", model.architecture_id))
    })?;
    let input: Vec<i8> = msg.input.iter().map(|&b| b as i8).collect();
    let output = msg.output.clone();
    if hash_input(&input).as_slice() != o.input_hash.as_slice() {
        return Err(crate::error::ATTESTATION_MISMATCH(
            "input does not hash to the receipt's input_hash",
        ));
    }
    if hash_output(&output).as_slice() != o.output_hash.as_slice() {
        return Err(crate::error::ATTESTATION_MISMATCH(
            "output does not hash to the receipt's output_hash",
        ));
    }
    let commitment: [u8; 32] = model
        .weight_commitment
        .as_slice()
        .try_into()
        .map_err(|_| TxError::INTERNAL("stored weight commitment is not 32 bytes"))?;
    let provider: Address = stored_address(&o.provider)?;
    let statement = Statement {
        commitment: Commitment(commitment),
        input,
        output,
        nonce: o.nonce,
        provider: *provider.as_bytes(),
    };
    Ok((o, arch, statement))
}

pub fn state_name(s: i32) -> &'static str {
    match ObligationState::try_from(s) {
        Ok(ObligationState::Pending) => "pending",
        Ok(ObligationState::Discharged) => "discharged",
        Ok(ObligationState::Missed) => "missed",
        _ => "unspecified",
    }
}

/// Identifies a (statement, proof) pair for verdict caches.
pub fn verdict_key(arch_id: &str, s: &Statement, proof: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"pol.inference.v1/verdict");
    h.update((arch_id.len() as u64).to_le_bytes());
    h.update(arch_id.as_bytes());
    h.update(s.commitment.0);
    h.update((s.input.len() as u64).to_le_bytes());
    h.update(s.input.iter().map(|&x| x as u8).collect::<Vec<_>>());
    h.update((s.output.len() as u64).to_le_bytes());
    for x in &s.output {
        h.update(x.to_le_bytes());
    }
    h.update(s.nonce.to_le_bytes());
    h.update(s.provider);
    h.update(proof);
    h.finalize().into()
}

/// Decode a verifying key with every point checked and its id recomputed.
pub fn decode_verifying_key(bytes: &[u8]) -> Result<(String, VerifyingKey), String> {
    let vk = VerifyingKey::from_bytes(bytes).map_err(|e| format!("verifying key: {e}"))?;
    Ok((hex::encode(vk.content_hash()), vk))
}

/// Prepared verifying keys by architecture id, decoded and prepared once per process and
/// shared by every path (blocks, CheckTx, simulation). Ids are hashes of the key bytes, so
/// an entry can never go stale.
#[derive(Clone, Default)]
pub struct VerifyingKeys {
    prepared: Arc<Mutex<BTreeMap<String, Arc<PreparedVerifyingKey>>>>,
}

impl VerifyingKeys {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn prepared(&self, arch: &pb::Architecture) -> Result<Arc<PreparedVerifyingKey>, String> {
        if let Some(p) = self.lock().get(&arch.id) {
            return Ok(p.clone());
        }
        let (id, vk) = decode_verifying_key(&arch.verifying_key)?;
        if id != arch.id {
            return Err(format!(
                "stored key of architecture {} hashes to {id}",
                arch.id
            ));
        }
        let p = Arc::new(vk.prepare());
        self.lock().insert(id, p.clone());
        Ok(p)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<PreparedVerifyingKey>>> {
        // A poisoned map still holds only fully inserted, valid keys.
        self.prepared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn parse_proof(bytes: &[u8]) -> Result<Proof, String> {
    if bytes.len() != pol_proofs::keys::PROOF_BYTES {
        return Err(format!(
            "proof is {} bytes, a Groth16 proof here is {}",
            bytes.len(),
            pol_proofs::keys::PROOF_BYTES
        ));
    }
    Proof::from_bytes(bytes).map_err(|e| format!("proof: {e}"))
}

impl ProofVerifier for VerifyingKeys {
    fn verify(
        &self,
        arch: &pb::Architecture,
        statement: &Statement,
        proof: &[u8],
    ) -> Result<(), String> {
        let pvk = self.prepared(arch)?;
        let proof = parse_proof(proof)?;
        pol_proofs::verify(&pvk, statement, &proof).map_err(|e| e.to_string())
    }
}

/// One block's verdicts, computed up front in batches (one per architecture) from the state
/// the block starts on; attestations the batch could not cover (an obligation created in
/// this very block, say) are verified singly when their message runs.
pub struct BlockVerdicts {
    keys: VerifyingKeys,
    verdicts: BTreeMap<[u8; 32], Result<(), String>>,
    /// Proofs checked in batches.
    pub batched: usize,
}

impl BlockVerdicts {
    pub fn precompute<S: StateRead + ?Sized>(
        keys: &VerifyingKeys,
        state: &S,
        height: u64,
        attestations: &[&MsgSubmitAttestation],
    ) -> Self {
        // Per verifying key: its architecture and (attestation id, statement, proof)s.
        type Group = (pb::Architecture, Vec<([u8; 32], Statement, Proof)>);
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for msg in attestations {
            let Ok((_, arch, statement)) = statement_for(state, msg, height) else {
                continue;
            };
            let Ok(proof) = parse_proof(&msg.proof) else {
                continue;
            };
            let key = verdict_key(&arch.id, &statement, &msg.proof);
            groups
                .entry(arch.id.clone())
                .or_insert_with(|| (arch, Vec::new()))
                .1
                .push((key, statement, proof));
        }
        let mut verdicts = BTreeMap::new();
        let mut batched = 0;
        for (arch, items) in groups.into_values() {
            let Ok(pvk) = keys.prepared(&arch) else {
                continue;
            };
            let (keys_in_batch, batch): (Vec<_>, Vec<_>) =
                items.into_iter().map(|(k, s, p)| (k, (s, p))).unzip();
            batched += batch.len();
            let mut results: Vec<Result<(), String>> = vec![Ok(()); batch.len()];
            if let Err(e) = pol_proofs::batch_verify(&pvk, &batch) {
                for (i, why) in e.bad.iter().zip(e.reasons) {
                    results[*i] = Err(why);
                }
            }
            verdicts.extend(keys_in_batch.into_iter().zip(results));
        }
        BlockVerdicts {
            keys: keys.clone(),
            verdicts,
            batched,
        }
    }
}

impl ProofVerifier for BlockVerdicts {
    fn verify(
        &self,
        arch: &pb::Architecture,
        statement: &Statement,
        proof: &[u8],
    ) -> Result<(), String> {
        match self.verdicts.get(&verdict_key(&arch.id, statement, proof)) {
            Some(v) => v.clone(),
            None => self.keys.verify(arch, statement, proof),
        }
    }
}

/// CheckTx's verifier: remembers the last `capacity` verdicts, so a tx re-checked after
/// every block (or re-broadcast) is verified once.
pub struct CheckCache {
    keys: VerifyingKeys,
    capacity: usize,
    inner: Mutex<Verdicts>,
}

/// Verdicts by tx hash, and the hashes oldest first (to evict).
type Verdicts = (BTreeMap<[u8; 32], Result<(), String>>, VecDeque<[u8; 32]>);

impl CheckCache {
    pub fn new(keys: VerifyingKeys, capacity: usize) -> Self {
        CheckCache {
            keys,
            capacity: capacity.max(1),
            inner: Mutex::new((BTreeMap::new(), VecDeque::new())),
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.0.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ProofVerifier for CheckCache {
    fn verify(
        &self,
        arch: &pb::Architecture,
        statement: &Statement,
        proof: &[u8],
    ) -> Result<(), String> {
        let key = verdict_key(&arch.id, statement, proof);
        if let Ok(g) = self.inner.lock() {
            if let Some(v) = g.0.get(&key) {
                return v.clone();
            }
        }
        let verdict = self.keys.verify(arch, statement, proof);
        if let Ok(mut g) = self.inner.lock() {
            if g.0.insert(key, verdict.clone()).is_none() {
                g.1.push_back(key);
            }
            while g.1.len() > self.capacity {
                if let Some(old) = g.1.pop_front() {
                    g.0.remove(&old);
                }
            }
        }
        verdict
    }
}
