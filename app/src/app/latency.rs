//! Proof-of-Latency at the ABCI boundary: this validator's vote extension, the checks of
//! everyone else's, and the injected report that carries them into the next block.
//!
//! * ExtendVote (height H) summarizes the probe windows against committed state H−1.
//! * VerifyVoteExtension checks structure and state (active providers, receipts) against
//!   the same state, so every honest validator reaches the same verdict.
//! * PrepareProposal (H+1) injects the extended commit info of H as the first tx when it
//!   passes the very checks ProcessProposal applies; a proposer without extensions (one
//!   catching up) proposes without it, and the block is still valid.
//! * ProcessProposal and FinalizeBlock check the injected tx against the commit CometBFT
//!   decided on; FinalizeBlock then aggregates it.
//!
//! The injected report is the one tx that is not a user's: this file is the only place the
//! app's generic paths learn of it. CheckTx refuses it ([`refuse_in_mempool`]),
//! PrepareProposal places it first and drops any other ([`inject`], [`is_report`]),
//! ProcessProposal checks it ([`check_proposed`]) and FinalizeBlock checks and applies it
//! ([`check_decided`], [`apply_decided`]); each path then treats the block's other txs as
//! any txs.

use pol_component::{BlockContext, Event, TxError};
use pol_latency::commit::{self, VerifiedCommit};
use pol_latency::LatencyRead;
use pol_latency::{extension, probe_receipts};
use pol_store::StateDelta;
use pol_store::{StateRead, StateWrite};
use tendermint_proto::v0_38::abci::{CommitInfo, ExtendedCommitInfo, ResponseCheckTx};

use super::ProbeSource;

/// The block a vote is cast on: its hash challenges the extension, and evidence of probing
/// must be signed no later than its time.
#[derive(Clone, Copy, Debug)]
pub struct VotedBlock<'a> {
    pub hash: &'a [u8],
    pub time_ms: u64,
}

/// Room kept in an extension for the probe evidence (a receipt and a salt, ~300 bytes).
const EVIDENCE_ROOM: u32 = 512;

/// This validator's extension for `height`, encoded; empty when it does not probe.
pub fn extend_vote<S: StateRead>(
    state: &S,
    chain_id: &str,
    height: u64,
    block: VotedBlock<'_>,
    probes: Option<&dyn ProbeSource>,
) -> Vec<u8> {
    use prost::Message;
    let Some(probes) = probes else {
        return Vec::new();
    };
    let params = match state.latency_params() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("ExtendVote: reading latency params: {e}");
            return Vec::new();
        }
    };
    let receipts: Vec<_> = probes
        .take_receipts(params.max_receipts_per_extension as usize)
        .into_iter()
        .filter(|r| extension::check_receipt(state, chain_id, r).is_ok())
        .collect();
    let identity = probes.identity();
    let mut room = params;
    if identity.is_some() && params.probe_evidence_window_ms > 0 {
        room.max_extension_bytes = params.max_extension_bytes.saturating_sub(EVIDENCE_ROOM);
    }
    let mut ext = extension::build(height, probes.windows(), receipts, &room, |p| {
        extension::is_active_provider(state, p).unwrap_or(false)
    });
    if let Some(me) = identity.filter(|_| params.probe_evidence_window_ms > 0) {
        attach_evidence(state, height, &mut ext, &me, block, &params, probes);
    }
    metrics::gauge!("pol_vote_extension_reports").set(ext.reports.len() as f64);
    let bytes = ext.encode_to_vec();
    metrics::gauge!("pol_vote_extension_bytes").set(bytes.len() as f64);
    bytes
}

/// Puts into `ext` the evidence its challenge asks for: a receipt of this validator's own
/// probe of the challenged provider (`pol_latency::evidence`), signed within the window
/// before the block's time. A validator without one (it did not probe that provider in
/// time) reports unbacked if the provider answers others.
fn attach_evidence<S: StateRead>(
    state: &S,
    height: u64,
    ext: &mut pol_latency::pb::VoteExtension,
    me: &[u8; 20],
    block: VotedBlock<'_>,
    params: &pol_latency::pb::Params,
    probes: &dyn ProbeSource,
) {
    use prost::Message;
    let candidates = match pol_latency::evidence::candidates(state, height) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("ExtendVote: reading the providers: {e}");
            return;
        }
    };
    let Some(provider) = pol_latency::evidence::challenged_provider(block.hash, me, &candidates)
    else {
        return;
    };
    let not_before = block
        .time_ms
        .saturating_sub(u64::from(params.probe_evidence_window_ms));
    ext.evidence = probes.evidence(&provider, not_before, block.time_ms);
    if ext.evidence.is_none() {
        metrics::counter!("pol_probe_evidence_missing_total").increment(1);
        tracing::warn!(
            provider = %pol_inference::receipt::format_address(&provider),
            "ExtendVote: no receipt of our own probe of the challenged provider in the window; \
             if it answers others, this vote's reports count as outliers"
        );
    }
    let limit = params.max_extension_bytes as usize;
    while ext.encoded_len() > limit && !ext.receipts.is_empty() {
        ext.receipts.pop();
    }
    while ext.encoded_len() > limit && !ext.reports.is_empty() {
        // Reports go before the evidence (it backs them all); the shared ranking keeps the
        // rest comparable with everyone else's.
        let worst = ext
            .reports
            .iter()
            .enumerate()
            .max_by_key(|(_, r)| extension::report_priority(height, &r.provider))
            .map(|(i, _)| i);
        if let Some(i) = worst {
            ext.reports.remove(i);
        }
    }
}

/// VerifyVoteExtension's verdict on another validator's extension for `height`.
pub fn verify_vote_extension<S: StateRead>(
    state: &S,
    chain_id: &str,
    height: u64,
    bytes: &[u8],
) -> Result<(), String> {
    let params = state.latency_params().map_err(|e| e.to_string())?;
    let ext = extension::check_structure(bytes, height, &params).map_err(|e| e.to_string())?;
    extension::check_against_state(state, chain_id, &ext).map_err(|e| e.to_string())
}

/// The injected tx for a proposal at `height`, if the proposer's extended commit passes
/// every check ProcessProposal will make and fits `max_bytes`.
pub fn inject<S: StateRead>(
    state: &S,
    chain_id: &str,
    height: u64,
    local_last_commit: Option<&ExtendedCommitInfo>,
    max_bytes: u64,
) -> Option<Vec<u8>> {
    let info = local_last_commit.filter(|c| !c.votes.is_empty())?;
    let vote_height = height.checked_sub(1).filter(|h| *h > 0)?;
    let params = state.latency_params().ok()?;
    let verified = match commit::verify(
        state,
        chain_id,
        vote_height,
        info,
        &commit::commit_info_of(info),
        &params,
    ) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(height, "proposing without a latency report: {e}");
            return None;
        }
    };
    let tx = commit::encode_injected(&commit::strip_ignored(info, &verified.ignored));
    if tx.len() as u64 > max_bytes {
        tracing::warn!(
            height,
            bytes = tx.len(),
            "latency report does not fit the block"
        );
        return None;
    }
    metrics::gauge!("pol_injected_report_bytes").set(tx.len() as f64);
    Some(tx)
}

/// Whether `tx` is an injected report (which only a proposer places, first in its block).
pub fn is_report(tx: &[u8]) -> bool {
    pol_latency::is_injected(tx)
}

/// CheckTx's answer to an injected report sent as a tx: refused, since only a block's
/// proposer may place one, as its first tx. `None` for any other tx.
pub fn refuse_in_mempool(tx: &[u8]) -> Option<ResponseCheckTx> {
    is_report(tx).then(|| ResponseCheckTx {
        code: pol_component::error::code::TX_DECODE,
        codespace: "sdk".into(),
        log: "a latency report is placed by the proposer, never sent".into(),
        ..Default::default()
    })
}

/// ProcessProposal's check of a proposal's report: at most one, as its first tx, passing
/// every check FinalizeBlock will make against `proposed` (the commit it carries), with its
/// aggregate computed on a scratch overlay as FinalizeBlock will. Returns how many leading
/// txs are the report (0 or 1): the rest are ordinary txs.
pub fn check_proposed<S: StateRead, T: AsRef<[u8]>>(
    state: &S,
    chain_id: &str,
    height: u64,
    txs: &[T],
    proposed: Option<&CommitInfo>,
) -> Result<usize, String> {
    let first = txs.first().map(AsRef::as_ref).filter(|tx| is_report(tx));
    if let Some(i) = txs.iter().skip(1).position(|tx| is_report(tx.as_ref())) {
        return Err(format!(
            "tx {}: a latency report must be the first tx",
            i + 1
        ));
    }
    let Some(tx) = first else {
        return Ok(0);
    };
    let verified = check_injected(state, chain_id, height, tx, proposed)
        .map_err(|e| format!("latency report: {e}"))?;
    let mut scratch = StateDelta::new(state);
    pol_latency::apply(&mut scratch, &verified)
        .map_err(|e| format!("latency report: {}", e.log))?;
    Ok(1)
}

/// FinalizeBlock's check of a decided block's report (its first tx, if that is one) against
/// `decided`, on the state the block's txs start from. `None` when the block has none.
pub fn check_decided<S: StateRead, T: AsRef<[u8]>>(
    state: &S,
    chain_id: &str,
    height: u64,
    txs: &[T],
    decided: Option<&CommitInfo>,
) -> Option<Result<VerifiedCommit, String>> {
    let tx = txs.first().map(AsRef::as_ref).filter(|tx| is_report(tx))?;
    Some(check_injected(state, chain_id, height, tx, decided))
}

/// FinalizeBlock applies a decided block's report: its events, or, for a report that does
/// not check (only a faulty majority could decide one), a failed result while the block
/// still applies. An `Err` is a state failure: the node must stop.
pub fn apply_decided<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    report: Result<VerifiedCommit, String>,
) -> Result<Result<Vec<Event>, TxError>, String> {
    match report {
        Ok(verified) => match apply_report(state, ctx, &verified) {
            Ok(events) => Ok(Ok(events)),
            Err(e) => Err(format!(
                "latency report at height {}: {}",
                ctx.height, e.log
            )),
        },
        Err(why) => {
            tracing::error!(height = ctx.height, "ignoring the latency report: {why}");
            Ok(Err(TxError::INVALID_REQUEST(why)))
        }
    }
}

/// Says which votes of a committed report did not count (a Byzantine or broken validator,
/// or a proposer that tampered with them).
fn log_ignored(verified: &VerifiedCommit) {
    for v in &verified.votes {
        if let Some(why) = &v.unbacked {
            metrics::counter!("pol_latency_unbacked_votes_total").increment(1);
            tracing::warn!(
                validator = %hex::encode_upper(v.validator),
                "latency report: the extension of height {} fails its probing challenge \
                 (its reports count as outliers): {why}",
                verified.height
            );
        }
    }
    metrics::counter!("pol_latency_ignored_votes_total").increment(verified.ignored.len() as u64);
    for i in &verified.ignored {
        tracing::warn!(
            validator = %hex::encode_upper(i.validator),
            "latency report: vote {} of height {} does not count: {}",
            i.index,
            verified.height,
            i.fault
        );
    }
}

/// Checks an injected tx of a block at `height` against the commit CometBFT decided on.
fn check_injected<S: StateRead>(
    state: &S,
    chain_id: &str,
    height: u64,
    tx: &[u8],
    decided: Option<&CommitInfo>,
) -> Result<VerifiedCommit, String> {
    let vote_height = height
        .checked_sub(1)
        .filter(|h| *h > 0)
        .ok_or("a latency report in the first block")?;
    let decided = decided.ok_or("a latency report without a last commit")?;
    let info = commit::decode_injected(tx).map_err(|e| e.to_string())?;
    let params = state.latency_params().map_err(|e| e.to_string())?;
    let verified = commit::verify(state, chain_id, vote_height, &info, decided, &params)
        .map_err(|e| e.to_string())?;
    Ok(verified)
}

/// FinalizeBlock's handling of a checked report: aggregates, and the probe receipts offered
/// to the inference draw. Returns the events of the injected tx.
fn apply_report<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    verified: &VerifiedCommit,
) -> Result<Vec<Event>, pol_component::TxError> {
    log_ignored(verified);
    let applied = pol_latency::apply(state, verified)?;
    metrics::counter!("pol_latency_aggregates_total").increment(applied.aggregates as u64);
    let mut events = applied.events;
    // Probe receipts join this block's draw into proof obligations, so the requests whose
    // latency was measured are the ones whose answers get proven: the carrier's receipts
    // only, within each provider's budget for the epoch (`pol_latency::probe_receipts`).
    // One that no longer passes (its provider left, it grew too old) is skipped; only a
    // state failure is an error.
    let mut recorded = 0usize;
    let mut over_budget = 0usize;
    if let Some((carrier, power)) = applied.carrier {
        let params = state.latency_params()?;
        for receipt in &applied.receipts {
            let Ok(provider) = pol_inference::receipt::parse_address(&receipt.provider) else {
                tracing::debug!("probe receipt skipped: provider {:?}", receipt.provider);
                continue;
            };
            if !probe_receipts::admits(
                state,
                &params,
                &provider,
                &carrier,
                power,
                verified.total_power,
            )? {
                over_budget += 1;
                continue;
            }
            match pol_inference::msg::record_probe_receipt(state, ctx, receipt) {
                Ok(true) => {
                    probe_receipts::count(state, &provider, &carrier)?;
                    recorded += 1;
                }
                Ok(false) => {}
                Err(e) if e.code == pol_component::error::code::INTERNAL => return Err(e),
                Err(e) => tracing::debug!("probe receipt skipped: {}", e.log),
            }
        }
    }
    metrics::counter!("pol_probe_receipts_over_budget_total").increment(over_budget as u64);
    events.extend(
        pol_latency::EVENTS.emit(&pol_latency::pb::EventLatencyReport {
            height: verified.height,
            votes: verified.votes.len() as u64,
            ignored_votes: verified.ignored.len() as u64,
            ignored_validators: verified
                .ignored
                .iter()
                .map(|i| hex::encode_upper(i.validator))
                .collect(),
            aggregates: applied.aggregates as u64,
            short_of_quorum: applied.short_of_quorum as u64,
            receipts: applied.receipts.len() as u64,
            receipts_recorded: recorded as u64,
            carrier: applied
                .carrier
                .map(|(c, _)| hex::encode_upper(c))
                .unwrap_or_default(),
            receipts_over_budget: over_budget as u64,
            unbacked_validators: verified
                .votes
                .iter()
                .filter(|v| v.unbacked.is_some())
                .map(|v| hex::encode_upper(v.validator))
                .collect(),
        })?,
    );
    Ok(events)
}
