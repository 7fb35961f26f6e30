//! Proof of probing: a validator's reports are backed by receipts of probes it sent.
//!
//! Copying the published aggregate is never an outlier, so the chain asks for evidence
//! that the probes happened. Every probe's nonce derives from the validator's consensus
//! address and a secret salt ([`probe_nonce`]): to the provider it looks random; shown with
//! its salt, it proves whose probe the receipt answered.
//!
//! At each height the block hash challenges each voter on one provider: the provider
//! ranked first by `SHA-256(domain ‖ hash ‖ validator ‖ provider)` among the providers
//! that were active before the height ([`challenged_provider`], rendezvous hashing, so a
//! provider joining or leaving changes the pick only where it ranks first). The pick does
//! not depend on what the vote reports, so dropping or inventing reports cannot steer it.
//! When the challenged provider answers (its latest consensus failure rate is below one
//! half), the vote's extension must carry a receipt of it for the validator's own probe,
//! signed no later than the block's time and no earlier than `probe_evidence_window_ms`
//! before it ([`check`]). The hash is unknown until the block is proposed, after its time,
//! so a probe sent once the challenge is known cannot answer it: a validator must have
//! probed every active provider within the window. A vote that fails still counts for the
//! medians, but every report in it is an outlier (measurer accountability).
//!
//! What this cannot show is that the reported numbers came from those probes: a validator
//! that probes each provider once per window and reports the median it read on chain
//! passes (see the README).

use pol_component::Address;
use pol_inference::pb::{Provider, ProviderStatus};
use pol_inference::receipt::SignedReceipt;
use pol_inference::InferenceRead;
use pol_store::{StateRead, StoreError};
use sha2::{Digest, Sha256};

use crate::pb::{LastBlock, Params, VoteExtension};
use crate::view::LatencyRead;

/// The nonce of a probe by `validator` with `salt`.
pub fn probe_nonce(validator: &[u8; 20], salt: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(b"pol.latency.v1/probe-nonce");
    h.update(validator);
    h.update(salt.to_be_bytes());
    let d = h.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&d[..8]);
    u64::from_be_bytes(head)
}

/// Where `provider` ranks in `validator`'s challenge at the block with `block_hash`: the
/// lowest goes first.
pub fn challenge_rank(block_hash: &[u8], validator: &[u8; 20], provider: &[u8; 20]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"pol.latency.v1/probe-challenge");
    h.update(block_hash);
    h.update(validator);
    h.update(provider);
    h.finalize().into()
}

/// The providers a vote at `vote_height` can be challenged on: active, and registered
/// before that height (a validator extending its vote has not seen later ones).
pub fn candidates<S: StateRead>(state: &S, vote_height: u64) -> Result<Vec<[u8; 20]>, StoreError> {
    let mut out = Vec::new();
    for (_, v) in pol_component::state::scan(state, pol_inference::state_key::PROVIDER_PREFIX)? {
        let p: Provider = pol_store::decode_record(&v)
            .map_err(|e| StoreError::Corrupt(format!("latency: provider record: {e}")))?;
        if p.status != ProviderStatus::Active as i32 || p.registered_height >= vote_height {
            continue;
        }
        let a = Address::parse(&p.address)
            .map_err(|e| StoreError::Corrupt(format!("latency: provider address: {}", e.log)))?;
        out.push(a.0);
    }
    Ok(out)
}

/// The provider `validator` is challenged on at the block with `block_hash`: the first of
/// `candidates` by [`challenge_rank`]. `None` without candidates.
pub fn challenged_provider(
    block_hash: &[u8],
    validator: &[u8; 20],
    candidates: &[[u8; 20]],
) -> Option<[u8; 20]> {
    candidates
        .iter()
        .min_by_key(|p| challenge_rank(block_hash, validator, p))
        .copied()
}

/// What the votes of one commit are challenged with.
#[derive(Clone, Debug, PartialEq)]
pub enum Challenge {
    /// Challenges are off, or the last block is not the one voted on.
    None,
    /// The block voted on, and the providers it challenges voters on.
    Asked {
        last: LastBlock,
        candidates: Vec<[u8; 20]>,
    },
}

impl Challenge {
    /// The challenge for votes at `vote_height`, given the last block in state.
    pub fn at<S: StateRead>(
        state: &S,
        params: &Params,
        last: Option<LastBlock>,
        vote_height: u64,
    ) -> Result<Challenge, StoreError> {
        match last.filter(|b| b.height == vote_height) {
            Some(last) if params.probe_evidence_window_ms > 0 => Ok(Challenge::Asked {
                candidates: candidates(state, vote_height)?,
                last,
            }),
            _ => Ok(Challenge::None),
        }
    }
}

/// Whether `validator`'s extension answers its challenge at the block `last`: `Ok` also
/// when nothing is asked (challenges off, the block is not the one voted on, no candidate,
/// or the challenged provider does not answer most probes), `Err` says why it does not.
///
/// Evidence for a provider other than the chain's pick still counts when that provider
/// ranks first but is no longer a candidate (jailed or gone in the block voted on, after
/// the validator extended its vote): it was the validator's pick.
///
/// `challenge` is [`Challenge::at`] of the commit, read once for all its votes.
pub fn check<S: StateRead>(
    state: &S,
    chain_id: &str,
    params: &Params,
    challenge: &Challenge,
    validator: &[u8; 20],
    ext: &VoteExtension,
) -> Result<(), String> {
    let Challenge::Asked { last, candidates } = challenge else {
        return Ok(());
    };
    let Some(challenged) = challenged_provider(&last.hash, validator, candidates) else {
        return Ok(());
    };
    // A provider that fails most probes cannot be shown answering one.
    let answers = state
        .aggregate(&challenged)
        .map_err(|e| e.to_string())?
        .is_some_and(|a| a.failure_rate_ppm < 500_000);
    if !answers {
        return Ok(());
    }
    let evidence = ext
        .evidence
        .as_ref()
        .ok_or("no probe evidence for the challenged provider")?;
    let receipt = evidence
        .receipt
        .as_ref()
        .ok_or("probe evidence without a receipt")?;
    let shown = pol_inference::receipt::parse_address(&receipt.provider)
        .map_err(|e| format!("probe evidence: {e}"))?;
    if shown != challenged {
        let ranks_first = challenge_rank(&last.hash, validator, &shown)
            < challenge_rank(&last.hash, validator, &challenged);
        if !ranks_first || candidates.contains(&shown) {
            return Err("probe evidence is a receipt of another provider".into());
        }
    }
    if receipt.nonce != probe_nonce(validator, evidence.salt) {
        return Err("probe evidence is not for this validator's probe".into());
    }
    let not_before = last
        .time_ms
        .saturating_sub(u64::from(params.probe_evidence_window_ms));
    if receipt.worker_time_ms > last.time_ms || receipt.worker_time_ms < not_before {
        return Err(format!(
            "probe evidence signed at {} ms, outside [{not_before}, {}]",
            receipt.worker_time_ms, last.time_ms
        ));
    }
    let record = state
        .provider(&Address(shown))
        .map_err(|e| format!("probe evidence: {e}"))?
        .ok_or("probe evidence of an unknown provider")?;
    let signed = SignedReceipt::from_proto(receipt).map_err(|e| format!("probe evidence: {e}"))?;
    if signed.body.chain_id != chain_id {
        return Err(format!(
            "probe evidence: a receipt for chain {:?}",
            signed.body.chain_id
        ));
    }
    // The key the provider registered (its previous one too, for a window after a change:
    // receipts a validator kept from before the change are still its own probes).
    if !signed.signed_with_key_of(&record) {
        return Err("probe evidence: signed by a key the provider did not register".into());
    }
    signed.verify().map_err(|e| format!("probe evidence: {e}"))
}
