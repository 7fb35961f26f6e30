//! Vote extensions (`pol.latency.v1.VoteExtension`): building one from a validator's probe
//! windows (ExtendVote) and checking one (VerifyVoteExtension, and again when a proposer
//! injects it).
//!
//! Two kinds of checks, kept apart on purpose:
//! * [`check_structure`] depends on the bytes alone: size, decoding, canonical encoding,
//!   the height, sorted unique providers, sane numbers. A proposal carrying an extension
//!   that fails it was made by a faulty proposer and is rejected.
//! * [`check_against_state`] asks the state whether the providers are active and the
//!   receipts verify. VerifyVoteExtension requires it; at injection, one height later, the
//!   provider set may have moved on, so entries that no longer pass are skipped instead.

use pol_component::Address;
use pol_inference::pb::{ProviderStatus, Receipt};
use pol_inference::receipt::SignedReceipt;
use pol_inference::InferenceRead;
use pol_store::{StateRead, StoreError};
use prost::Message;

use crate::pb::{Params, ProviderReport, VoteExtension};
use crate::ProviderWindow;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ExtensionError {
    #[error("vote extension of {0} bytes exceeds the limit of {1}")]
    TooLarge(usize, u32),
    #[error("vote extension does not decode: {0}")]
    Decode(String),
    #[error("vote extension is not canonically encoded")]
    NotCanonical,
    #[error("vote extension is for height {found}, the vote for {expected}")]
    Height { found: u64, expected: u64 },
    #[error("report {0}: provider must be 20 bytes")]
    ProviderLength(usize),
    #[error("report {0}: providers must be sorted and unique")]
    Unsorted(usize),
    #[error("report {index}: {why}")]
    Insane { index: usize, why: &'static str },
    #[error("{found} receipts, at most {max}")]
    TooManyReceipts { found: usize, max: u32 },
    #[error("report {index}: provider {provider} is not an active provider")]
    UnknownProvider { index: usize, provider: String },
    #[error("receipt {index}: {why}")]
    Receipt { index: usize, why: String },
    #[error("state: {0}")]
    State(String),
}

impl From<StoreError> for ExtensionError {
    fn from(e: StoreError) -> Self {
        ExtensionError::State(e.to_string())
    }
}

/// The vote extension of a validator at `height`: one report per probed provider that
/// `is_active` accepts, in canonical order, and up to `max_receipts_per_extension` of
/// `receipts`. When the encoding would pass `max_extension_bytes`, receipts go first, then
/// reports: the ones kept are those ranked first by [`report_priority`] at this height, a
/// ranking every validator shares, so all of them report the same providers at a height
/// (each of those reaches the vote quorum) and the ranking rotates so that every provider
/// is reported within a few heights. Windows with insane numbers are repaired, not trusted.
pub fn build(
    height: u64,
    windows: Vec<ProviderWindow>,
    receipts: Vec<Receipt>,
    params: &Params,
    mut is_active: impl FnMut(&[u8; 20]) -> bool,
) -> VoteExtension {
    let mut reports: Vec<ProviderReport> = windows
        .into_iter()
        .filter(|w| w.samples > 0 && is_active(&w.provider))
        .map(|w| sanitize(w, params.max_latency_us))
        .collect();
    reports.sort_by(|a, b| a.provider.cmp(&b.provider));
    reports.dedup_by(|a, b| a.provider == b.provider);
    let max_receipts = usize::try_from(params.max_receipts_per_extension).unwrap_or(0);
    let mut ext = VoteExtension {
        height,
        reports,
        receipts: receipts.into_iter().take(max_receipts).collect(),
        evidence: None,
    };
    let limit = usize::try_from(params.max_extension_bytes).unwrap_or(usize::MAX);
    while ext.encoded_len() > limit && !ext.receipts.is_empty() {
        ext.receipts.pop();
    }
    if ext.encoded_len() > limit {
        ext.reports = keep_within(height, std::mem::take(&mut ext.reports), limit);
    }
    ext
}

/// The rank of `provider`'s report at `height` when not every report fits: the lowest
/// value goes first. A hash of both, so the order is the same for every validator, owes
/// nothing to the addresses providers chose, and is new at every height.
pub fn report_priority(height: u64, provider: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"pol.latency.v1/report-priority");
    h.update(height.to_be_bytes());
    h.update(provider);
    h.finalize().into()
}

/// The reports (canonically ordered) of a receipt-less extension at `height` that fit
/// `limit`: taken in [`report_priority`] order until the next would not fit; stopping
/// there, rather than skipping to smaller reports, keeps the kept set a prefix of the
/// shared ranking.
fn keep_within(height: u64, reports: Vec<ProviderReport>, limit: usize) -> Vec<ProviderReport> {
    let mut ranked: Vec<([u8; 32], ProviderReport)> = reports
        .into_iter()
        .map(|r| (report_priority(height, &r.provider), r))
        .collect();
    ranked.sort_by_key(|a| a.0);
    let mut size = VoteExtension {
        height,
        ..Default::default()
    }
    .encoded_len();
    let mut kept = Vec::new();
    for (_, r) in ranked {
        // What the report adds as an element of `reports` (field 2): key, length, body.
        let framed = prost::encoding::message::encoded_len(2, &r);
        if size.saturating_add(framed) > limit {
            break;
        }
        size += framed;
        kept.push(r);
    }
    kept.sort_by(|a, b| a.provider.cmp(&b.provider));
    kept
}

fn sanitize(w: ProviderWindow, max_latency_us: u32) -> ProviderReport {
    let failures = w.failures.min(w.samples);
    let (p50, p99, max) = if failures == w.samples {
        (0, 0, 0)
    } else {
        let max = w.max_us.min(max_latency_us);
        let p99 = w.p99_us.min(max);
        (w.p50_us.min(p99), p99, max)
    };
    ProviderReport {
        provider: w.provider.to_vec(),
        samples: w.samples,
        failures,
        p50_us: p50,
        p99_us: p99,
        max_us: max,
    }
}

/// Checks that need only the bytes; see the module comment.
pub fn check_structure(
    bytes: &[u8],
    height: u64,
    params: &Params,
) -> Result<VoteExtension, ExtensionError> {
    if bytes.len() > params.max_extension_bytes as usize {
        return Err(ExtensionError::TooLarge(
            bytes.len(),
            params.max_extension_bytes,
        ));
    }
    let ext = VoteExtension::decode(bytes).map_err(|e| ExtensionError::Decode(e.to_string()))?;
    // One encoding per content: no unknown fields, no reordering, no padding.
    if ext.encode_to_vec() != bytes {
        return Err(ExtensionError::NotCanonical);
    }
    // An empty extension (a validator that does not probe) decodes to height 0.
    if bytes.is_empty() {
        return Ok(ext);
    }
    if ext.height != height {
        return Err(ExtensionError::Height {
            found: ext.height,
            expected: height,
        });
    }
    let mut previous: Option<&[u8]> = None;
    for (index, r) in ext.reports.iter().enumerate() {
        if r.provider.len() != 20 {
            return Err(ExtensionError::ProviderLength(index));
        }
        if previous.is_some_and(|p| p >= r.provider.as_slice()) {
            return Err(ExtensionError::Unsorted(index));
        }
        previous = Some(&r.provider);
        let insane = |why| Err(ExtensionError::Insane { index, why });
        if r.samples == 0 {
            return insane("a report needs at least one sample");
        }
        if r.failures > r.samples {
            return insane("more failures than samples");
        }
        if r.failures == r.samples {
            if r.p50_us != 0 || r.p99_us != 0 || r.max_us != 0 {
                return insane("latencies without a successful probe");
            }
        } else if !(r.p50_us <= r.p99_us && r.p99_us <= r.max_us) {
            return insane("percentiles out of order");
        }
        if r.max_us > params.max_latency_us {
            return insane("latency above max_latency_us");
        }
    }
    if ext.receipts.len() > params.max_receipts_per_extension as usize {
        return Err(ExtensionError::TooManyReceipts {
            found: ext.receipts.len(),
            max: params.max_receipts_per_extension,
        });
    }
    Ok(ext)
}

/// The 20 bytes of a report's provider (checked by [`check_structure`]).
pub fn report_provider(r: &ProviderReport) -> [u8; 20] {
    r.provider.as_slice().try_into().unwrap_or([0; 20])
}

/// Whether `provider` is registered and active.
pub fn is_active_provider<S: StateRead>(
    state: &S,
    provider: &[u8; 20],
) -> Result<bool, StoreError> {
    Ok(state
        .provider(&Address(*provider))?
        .is_some_and(|p| p.status == ProviderStatus::Active as i32))
}

/// A probe receipt a validator may carry: for this chain, by an active provider serving the
/// model, signed by the key the provider registered. Returns the receipt id.
pub fn check_receipt<S: StateRead>(
    state: &S,
    chain_id: &str,
    receipt: &Receipt,
) -> Result<[u8; 32], String> {
    let signed = SignedReceipt::from_proto(receipt).map_err(|e| e.to_string())?;
    let body = &signed.body;
    if body.chain_id != chain_id {
        return Err(format!("for chain {:?}", body.chain_id));
    }
    let provider = state
        .provider(&Address(body.provider))
        .map_err(|e| e.to_string())?
        .filter(|p| p.status == ProviderStatus::Active as i32)
        .ok_or("not from an active provider")?;
    if !provider.models.contains(&body.model_id) {
        return Err(format!("provider does not serve model {}", body.model_id));
    }
    if signed.worker_pubkey.as_slice() != provider.receipt_pubkey.as_slice() {
        return Err("signed by a key the provider did not register".into());
    }
    signed.verify().map_err(|e| e.to_string())?;
    signed.id().map_err(|e| e.to_string())
}

/// VerifyVoteExtension's state checks: every reported provider is active and every
/// receipt verifies.
pub fn check_against_state<S: StateRead>(
    state: &S,
    chain_id: &str,
    ext: &VoteExtension,
) -> Result<(), ExtensionError> {
    for (index, r) in ext.reports.iter().enumerate() {
        let provider = report_provider(r);
        if !is_active_provider(state, &provider)? {
            return Err(ExtensionError::UnknownProvider {
                index,
                provider: Address(provider).to_string(),
            });
        }
    }
    for (index, receipt) in ext.receipts.iter().enumerate() {
        check_receipt(state, chain_id, receipt)
            .map_err(|why| ExtensionError::Receipt { index, why })?;
    }
    Ok(())
}
