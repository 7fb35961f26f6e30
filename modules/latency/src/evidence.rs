//! Proof of probing: a validator's reports are backed by receipts of probes it sent.
//!
//! Copying the published aggregate is never an outlier, so the chain asks for evidence
//! that the probes happened. Every probe's nonce derives from the validator's consensus
//! address and a secret salt ([`probe_nonce`]): to the provider it looks random; shown with
//! its salt, it proves whose probe the receipt answered. At each height the block hash
//! picks, for each vote, one provider among those its extension reports with successful
//! probes ([`challenged_provider`]); the extension must carry a receipt of that provider
//! for one of its own probes, signed no later than the block's time and no earlier than
//! `probe_evidence_window_ms` before it ([`check`]). The hash is unknown until the block is
//! proposed, after its time, so a probe sent once the challenge is known cannot answer it:
//! a validator must have probed every provider it reports within the window. An extension
//! that fails the challenge still counts for the medians, but every report in it is an
//! outlier (measurer accountability).
//!
//! What this cannot show is that the reported numbers came from those probes: a validator
//! that probes each provider once per window and reports the median it read on chain
//! passes (see the README).

use pol_store::StateRead;
use sha2::{Digest, Sha256};

use pol_inference::receipt::SignedReceipt;
use pol_inference::InferenceRead;

use crate::extension::report_provider;
use crate::pb::{LastBlock, Params, VoteExtension};

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

/// The provider whose evidence `validator`'s extension voted on the block with
/// `block_hash` must carry: one of its reports with at least one successful probe, picked
/// by `SHA-256("pol.latency.v1/probe-challenge" ‖ hash ‖ validator)`. `None` when it
/// reports no success.
pub fn challenged_provider(
    block_hash: &[u8],
    validator: &[u8; 20],
    ext: &VoteExtension,
) -> Option<[u8; 20]> {
    let succeeded: Vec<[u8; 20]> = ext
        .reports
        .iter()
        .filter(|r| r.samples > r.failures)
        .map(report_provider)
        .collect();
    if succeeded.is_empty() {
        return None;
    }
    let mut h = Sha256::new();
    h.update(b"pol.latency.v1/probe-challenge");
    h.update(block_hash);
    h.update(validator);
    let d = h.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&d[..8]);
    let pick = u64::from_be_bytes(head) % succeeded.len() as u64;
    succeeded.get(usize::try_from(pick).ok()?).copied()
}

/// Whether `validator`'s extension answers its challenge at the block `last`: `Ok` also
/// when nothing is challenged (no successful report, challenges off, or the block is not
/// the one voted on), `Err` says why it does not.
pub fn check<S: StateRead>(
    state: &S,
    chain_id: &str,
    params: &Params,
    last: Option<&LastBlock>,
    vote_height: u64,
    validator: &[u8; 20],
    ext: &VoteExtension,
) -> Result<(), String> {
    let Some(last) = last.filter(|b| b.height == vote_height) else {
        return Ok(());
    };
    if params.probe_evidence_window_ms == 0 {
        return Ok(());
    }
    let Some(provider) = challenged_provider(&last.hash, validator, ext) else {
        return Ok(());
    };
    let evidence = ext
        .evidence
        .as_ref()
        .ok_or("no probe evidence for the challenged provider")?;
    let receipt = evidence
        .receipt
        .as_ref()
        .ok_or("probe evidence without a receipt")?;
    if pol_inference::receipt::parse_address(&receipt.provider).ok() != Some(provider) {
        return Err("probe evidence is a receipt of another provider".into());
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
    // Signed by the key the provider registered. Its status may have changed in the block
    // voted on (jailed at an epoch end): the vote was cast on the state before, so only a
    // provider that is gone altogether leaves nothing to check against.
    let Some(record) = state
        .provider(&pol_component::Address(provider))
        .map_err(|e| format!("probe evidence: {e}"))?
    else {
        return Ok(());
    };
    let signed = SignedReceipt::from_proto(receipt).map_err(|e| format!("probe evidence: {e}"))?;
    if signed.body.chain_id != chain_id {
        return Err(format!(
            "probe evidence: a receipt for chain {:?}",
            signed.body.chain_id
        ));
    }
    if signed.worker_pubkey.as_slice() != record.receipt_pubkey.as_slice() {
        return Err("probe evidence: signed by a key the provider did not register".into());
    }
    signed.verify().map_err(|e| format!("probe evidence: {e}"))
}
