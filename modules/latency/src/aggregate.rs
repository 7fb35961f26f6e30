//! From checked vote extensions to the chain's view of each provider.
//!
//! Per provider, over the validators whose report has at least `min_samples` samples, when
//! they hold more than 2/3 of the commit's power: the stake-weighted median of p99, of p50
//! and of failure rate. Latencies enter the median with each validator's learned offset
//! taken off (see below): the consensus is what a validator where most validators are would
//! see, so a proposer blanking the near or the far validators' votes cannot move it by the
//! distance between them. A report whose probes all failed counts as `max_latency_us` (a
//! provider that answers nobody is not fast). The median is the lower weighted median: sort
//! by (value, validator address), take the first value at which the power seen reaches half
//! the reporting power. Validators holding less than half the reporting power therefore
//! cannot move it outside the range of the honest reports, however they lie.
//!
//! Measurer accountability judges consistency, not distance from the median. Each validator
//! has a steady offset (`MeasurerScore.geo_offset_us`): a validator far from every provider
//! sees every latency longer by about the same amount, and is honest. The offset is a
//! moving average (steps from 1/4 down to 1/16) of each block's lower median of `p99 − consensus p99` across the
//! providers the validator reported, bounded by `max_geo_offset_us`. A report is an outlier
//! when its p99 less that offset is more than `1 + outlier_threshold_ppm/10⁶` times the
//! median or less than the median divided by that (a ratio on both sides, so a validator
//! reporting every provider at 0 µs stands out as much as one reporting them slow) and more
//! than `outlier_min_us` from it, or its failure rate is further than
//! `outlier_failure_rate_ppm` from the median's, or the vote failed its probing challenge
//! (`crate::evidence`: every report of an unbacked vote is an outlier). Scaled or random values disagree across
//! providers and blocks and stand out; a lie shaped like geography (the same added delay on
//! every provider, within the bound) does not, and cannot move a median either. Each
//! validator's reports and outliers are counted for measurer accountability, and each
//! provider's aggregates summed into the epoch accumulators that `sla` and `reputation`
//! judge.

use std::collections::BTreeMap;

use pol_component::{Address, Event, TxError};
use pol_inference::pb::Receipt;
use pol_store::StateWrite;

use crate::commit::VerifiedCommit;
use crate::extension::{is_active_provider, report_provider};
use crate::pb::{self, ProviderAggregate, ValidatorReport};
use crate::view::{LatencyRead, LatencyWrite};

/// Lower weighted median of `(value, power, tiebreak)`; `None` when the power is zero.
pub fn weighted_median<T: Ord + Copy>(entries: &[(T, i64, [u8; 20])]) -> Option<T> {
    let mut sorted: Vec<_> = entries.iter().filter(|e| e.1 > 0).collect();
    sorted.sort_by_key(|a| (a.0, a.2));
    let total: i128 = sorted.iter().map(|e| i128::from(e.1)).sum();
    let mut seen: i128 = 0;
    for e in sorted {
        seen += i128::from(e.1);
        if seen * 2 >= total {
            return Some(e.0);
        }
    }
    None
}

/// `failures · 10⁶ / samples`.
pub fn failure_rate_ppm(failures: u32, samples: u32) -> u32 {
    if samples == 0 {
        return 0;
    }
    u32::try_from(u64::from(failures.min(samples)) * 1_000_000 / u64::from(samples))
        .unwrap_or(1_000_000)
}

/// Whether `value / median` or `median / value` exceeds `1 + threshold_ppm/10⁶` and the
/// two are more than `min_diff` apart. A value at or below zero is below any positive
/// median by every ratio.
fn far(value: i64, median: u32, threshold_ppm: u32, min_diff: u32) -> bool {
    let median = i64::from(median);
    let (high, low) = if value >= median {
        (value, median)
    } else {
        (median, value)
    };
    let diff = i128::from(high) - i128::from(low);
    diff > i128::from(min_diff)
        && diff * 1_000_000 > i128::from(low.max(0)) * i128::from(threshold_ppm)
}

/// What applying one injected report produced.
#[derive(Debug, Default)]
pub struct Applied {
    pub events: Vec<Event>,
    /// The validator whose vote's receipts count at this height
    /// ([`crate::probe_receipts::carrier`]) and its power, when it is in the commit.
    pub carrier: Option<([u8; 20], i64)>,
    /// The probe receipts the carrier's vote brought, for the inference draw (within the
    /// epoch's budget: [`crate::probe_receipts::admits`]).
    pub receipts: Vec<Receipt>,
    pub aggregates: usize,
    /// Providers reported on by no more than 2/3 of the power: no aggregate this block.
    pub short_of_quorum: usize,
}

/// Aggregates a checked commit into state: latest aggregates and history, epoch
/// accumulators, measurer counts. Reports about providers that are no longer active are
/// skipped.
pub fn apply<S: StateWrite>(state: &mut S, commit: &VerifiedCommit) -> Result<Applied, TxError> {
    let params = state.latency_params()?;
    // Reports by provider, in provider order; within a provider in commit order.
    let mut by_provider: BTreeMap<[u8; 20], Vec<ValidatorReport>> = BTreeMap::new();
    let mut out = Applied::default();
    for vote in &commit.votes {
        for r in &vote.extension.reports {
            if r.samples < params.min_samples {
                continue;
            }
            let success = r.samples > r.failures;
            by_provider
                .entry(report_provider(r))
                .or_default()
                .push(ValidatorReport {
                    validator: vote.validator.to_vec(),
                    power: vote.power,
                    samples: r.samples,
                    failures: r.failures,
                    p50_us: if success {
                        r.p50_us
                    } else {
                        params.max_latency_us
                    },
                    p99_us: if success {
                        r.p99_us
                    } else {
                        params.max_latency_us
                    },
                    max_us: if success {
                        r.max_us
                    } else {
                        params.max_latency_us
                    },
                    failure_rate_ppm: failure_rate_ppm(r.failures, r.samples),
                    outlier: false,
                    offset_us: 0,
                    unbacked: vote.unbacked.is_some(),
                });
        }
    }
    let carrier = crate::probe_receipts::carrier(commit.height, &commit.validators);
    if let Some(vote) = commit.votes.iter().find(|v| Some(v.validator) == carrier) {
        out.carrier = Some((vote.validator, vote.power));
        out.receipts = vote.extension.receipts.clone();
    }

    // Every validator's measurer record, and the offset it has learned (none for a
    // newcomer), measured from the anchor: the power-weighted median of the settled
    // offsets of the whole commit (votes blanked or left out included, so a proposer cannot
    // move it), chosen once an epoch. Offsets only say where validators are relative to
    // each other, in the coordinates they are stored in; the anchor puts the consensus
    // where most of the power is.
    let mut measurers: BTreeMap<[u8; 20], pb::MeasurerScore> = BTreeMap::new();
    let mut stored_offsets: Vec<(i64, i64, [u8; 20])> = Vec::new();
    let mut settled_offsets: Vec<(i64, i64, [u8; 20])> = Vec::new();
    for (validator, power) in &commit.validators {
        let m = measurer_or_new(state, validator)?;
        if offset_is_current(&m, commit.height, &params) {
            stored_offsets.push((m.geo_offset_us, *power, *validator));
            if m.geo_offset_blocks >= GEO_SETTLED_BLOCKS {
                settled_offsets.push((m.geo_offset_us, *power, *validator));
            }
        }
        measurers.insert(*validator, m);
    }
    // Votes are a subset of the commit's validators when `commit::verify` built them; a
    // commit assembled otherwise (tests, tools) may list only its votes.
    for vote in &commit.votes {
        if let std::collections::btree_map::Entry::Vacant(e) = measurers.entry(vote.validator) {
            e.insert(measurer_or_new(state, &vote.validator)?);
        }
    }
    // The frame is chosen at the epoch's first report with settled offsets (learned over
    // `GEO_SETTLED_BLOCKS` blocks: a first block's offsets are relative to medians of raw
    // reports, which Byzantine reports can pull) and kept for the epoch (`pb::GeoFrame`).
    // Until some offset has settled (the chain's first blocks) it is taken block by block
    // and not kept; before any offset is learned the medians are of the raw reports.
    let epoch = params.epoch_of(commit.height);
    let anchor = match state.geo_frame()? {
        Some(frame) if frame.epoch == epoch => frame.anchor_us,
        _ => match weighted_median(&settled_offsets) {
            Some(anchor) => {
                state.put_geo_frame(&pb::GeoFrame {
                    epoch,
                    anchor_us: anchor,
                });
                anchor
            }
            None => weighted_median(&stored_offsets).unwrap_or(0),
        },
    };
    let learned = |validator: &[u8; 20]| -> Option<i64> {
        measurers
            .get(validator)
            .filter(|m| offset_is_current(m, commit.height, &params))
            .map(|m| {
                clamp_offset(
                    m.geo_offset_us.saturating_sub(anchor),
                    params.max_geo_offset_us,
                )
            })
    };

    // A validator without a learned offset (a newcomer, or one back after the set turned
    // over) is first placed in the frame of those with one: its offset is the lower median,
    // across the active providers, of its p99 less the median of the validators with a
    // learned offset. Taken raw, a newcomer holding most of the power would set every
    // median from where it is and store an offset of zero in the old frame, and every
    // validator already measuring would be flagged until its offset caught up.
    // Only active providers get consensus values (read once, for both passes below).
    let mut active = BTreeMap::new();
    for (provider, reports) in by_provider {
        if is_active_provider(state, &provider)? {
            active.insert(provider, reports);
        }
    }
    let by_provider = active;
    let mut provisional: BTreeMap<[u8; 20], u32> = BTreeMap::new();
    for (provider, reports) in &by_provider {
        let known: Vec<_> = reports
            .iter()
            .filter(|r| r.samples > r.failures)
            .filter_map(|r| {
                let offset = learned(&validator_bytes(r))?;
                Some((
                    shifted(r.p99_us, offset, params.max_latency_us),
                    r.power,
                    validator_bytes(r),
                ))
            })
            .collect();
        if let Some(median) = weighted_median(&known) {
            provisional.insert(*provider, median);
        }
    }
    let mut entering_diffs: BTreeMap<[u8; 20], Vec<i64>> = BTreeMap::new();
    for (provider, reports) in &by_provider {
        let Some(&median) = provisional.get(provider) else {
            continue;
        };
        for r in reports.iter().filter(|r| r.samples > r.failures) {
            let validator = validator_bytes(r);
            if learned(&validator).is_none() {
                entering_diffs
                    .entry(validator)
                    .or_default()
                    .push(i64::from(r.p99_us) - i64::from(median));
            }
        }
    }
    let entering = lower_medians(entering_diffs, params.max_geo_offset_us);
    // Whether this block's medians are in the frame of the stored offsets: some validator
    // with a learned offset counted, or nobody has one (the chain's start, or a set that
    // turned over entirely, where the frame starts again). Otherwise (a proposer blanked
    // every validator with a learned offset) a newcomer's offset from this block would be
    // relative to nothing stored, and it is not learned.
    let in_frame = stored_offsets.is_empty() || !provisional.is_empty();
    let offset_of =
        |validator: &[u8; 20]| learned(validator).or_else(|| entering.get(validator).copied());

    // Consensus values first, for every provider with a quorum; judging needs all of them,
    // since a validator's offset is read across the providers it reported.
    let mut judged: Vec<Judged> = Vec::new();
    for (provider, reports) in by_provider {
        // Too little of the power reported on this provider: no consensus latency this
        // block. More than 2/3 of all the commit's power, so that with Byzantine power
        // below 1/3 the honest reporters outweigh the Byzantine ones and the median stays
        // within the honest reports (a lone validator cannot set a new provider's latency).
        let reporting_power = reports
            .iter()
            .fold(0i128, |sum, r| sum + i128::from(r.power.max(0)));
        if reporting_power * 3 <= i128::from(commit.total_power) * 2 {
            out.short_of_quorum += 1;
            continue;
        }
        // Medians of what each validator would have seen from where most validators are
        // (its learned offset taken off), so blanking near or far validators' votes cannot
        // move them by the distance between them.
        let key = |r: &ValidatorReport, v: u32| (v, r.power, validator_bytes(r));
        let at_reference = |r: &ValidatorReport, v: u32| -> u32 {
            match offset_of(&validator_bytes(r)) {
                Some(offset) if r.samples > r.failures => shifted(v, offset, params.max_latency_us),
                _ => v,
            }
        };
        let p99: Vec<_> = reports
            .iter()
            .map(|r| key(r, at_reference(r, r.p99_us)))
            .collect();
        let p50: Vec<_> = reports
            .iter()
            .map(|r| key(r, at_reference(r, r.p50_us)))
            .collect();
        let rate: Vec<_> = reports.iter().map(|r| key(r, r.failure_rate_ppm)).collect();
        let (Some(p99), Some(p50), Some(rate)) = (
            weighted_median(&p99),
            weighted_median(&p50),
            weighted_median(&rate),
        ) else {
            continue;
        };
        judged.push(Judged {
            provider,
            reporting_power: i64::try_from(reporting_power).unwrap_or(i64::MAX),
            reports,
            p99,
            p50,
            rate,
        });
    }

    // Each validator's offset: the one learned from its earlier blocks, or this block's for
    // a validator never judged before.
    let block_offsets = block_offsets(&judged, params.max_geo_offset_us);
    let references: BTreeMap<[u8; 20], i64> = measurers
        .keys()
        .map(|validator| {
            let offset = learned(validator)
                .unwrap_or_else(|| block_offsets.get(validator).copied().unwrap_or(0));
            (*validator, offset)
        })
        .collect();
    let reference = |validator: &[u8; 20]| references.get(validator).copied().unwrap_or(0);

    let unbacked: std::collections::BTreeSet<[u8; 20]> = commit
        .votes
        .iter()
        .filter(|v| v.unbacked.is_some())
        .map(|v| v.validator)
        .collect();
    // Per validator: (reports, outliers) in this block.
    let mut measured: BTreeMap<[u8; 20], (u64, u64)> = BTreeMap::new();
    for j in judged {
        let Judged {
            provider,
            reporting_power,
            mut reports,
            p99,
            p50,
            rate,
        } = j;
        for r in &mut reports {
            let validator = validator_bytes(r);
            r.offset_us = reference(&validator);
            // What it would have reported from where most validators are; below zero when it
            // reported less than its offset (a scaled lie about a fast provider).
            r.outlier = r.unbacked
                || far(
                    i64::from(r.p99_us).saturating_sub(r.offset_us),
                    p99,
                    params.outlier_threshold_ppm,
                    params.outlier_min_us,
                )
                || r.failure_rate_ppm.abs_diff(rate) > params.outlier_failure_rate_ppm;
            let m = measured.entry(validator).or_default();
            m.0 += 1;
            m.1 += u64::from(r.outlier);
        }
        let provider_address = Address(provider).to_string();
        let aggregate = ProviderAggregate {
            provider: provider_address.clone(),
            height: commit.height,
            p99_us: p99,
            failure_rate_ppm: rate,
            p50_us: p50,
            reporters: u32::try_from(reports.len()).unwrap_or(u32::MAX),
            reporting_power,
            total_power: commit.total_power,
            reports,
        };
        state.put_aggregate(&provider, &aggregate, params.history_len)?;
        let mut acc = state
            .epoch_accumulator(&provider)?
            .unwrap_or_else(|| pb::EpochAccumulator {
                provider: provider_address.clone(),
                ..Default::default()
            });
        acc.blocks = acc.blocks.saturating_add(1);
        acc.sum_p99_us = acc.sum_p99_us.saturating_add(u64::from(p99));
        acc.sum_failure_rate_ppm = acc.sum_failure_rate_ppm.saturating_add(u64::from(rate));
        acc.max_p99_us = acc.max_p99_us.max(p99);
        state.put_epoch_accumulator(&provider, &acc);
        out.aggregates += 1;
        out.events
            .extend(crate::EVENTS.emit(&pb::EventLatencyAggregate {
                provider: provider_address,
                height: commit.height,
                p99_us: u64::from(p99),
                failure_rate_ppm: u64::from(rate),
                reporters: u64::from(aggregate.reporters),
            })?);
    }

    for (validator, (reports, outliers)) in measured {
        let mut m = match measurers.remove(&validator) {
            Some(m) => m,
            None => measurer_or_new(state, &validator)?,
        };
        if !offset_is_current(&m, commit.height, &params) {
            // Learned again from this block, as for a newcomer.
            m.geo_offset_blocks = 0;
        }
        let learnable = m.geo_offset_blocks > 0 || in_frame;
        if let Some(block) = block_offsets.get(&validator).filter(|_| learnable) {
            // A moving average whose step shrinks from 1/4 to 1/16 as blocks are seen (the
            // first block's offset is taken as it is).
            let before = reference(&validator);
            let weight = i64::try_from(m.geo_offset_blocks.saturating_add(1))
                .unwrap_or(i64::MAX)
                .clamp(4, GEO_OFFSET_BLOCKS);
            // Stored in the frame of the stored offsets (the anchor added back), so an
            // offset means the same thing whether or not its validator's vote counted in
            // the blocks where the anchor moved.
            m.geo_offset_us = anchor
                .saturating_add(before)
                .saturating_add((block - before) / weight);
            m.geo_offset_blocks = m.geo_offset_blocks.saturating_add(1);
        }
        if unbacked.contains(&validator) {
            m.unbacked_heights = m.unbacked_heights.saturating_add(1);
        }
        m.reports = m.reports.saturating_add(reports);
        m.outliers = m.outliers.saturating_add(outliers);
        m.epoch_reports = m.epoch_reports.saturating_add(reports);
        m.epoch_outliers = m.epoch_outliers.saturating_add(outliers);
        m.last_height = commit.height;
        state.put_measurer(&m)?;
        if outliers > 0 {
            out.events
                .extend(crate::EVENTS.emit(&pb::EventLatencyOutlier {
                    validator: hex::encode_upper(validator),
                    outliers,
                    reports,
                })?);
        }
    }
    // Votes for the block whose extension did not count: the epoch's judgement must not
    // take them for a validator that did not report (see `MeasurerEpoch::excused`).
    for ignored in &commit.ignored {
        let mut m = match measurers.remove(&ignored.validator) {
            Some(m) => m,
            None => measurer_or_new(state, &ignored.validator)?,
        };
        m.epoch_ignored_votes = m.epoch_ignored_votes.saturating_add(1);
        state.put_measurer(&m)?;
    }
    Ok(out)
}

/// A validator's offset starts at its first block's and moves toward each later block's by
/// 1/4 of the way, shrinking to 1/16 by its sixteenth block: steady enough that one block's noisy providers do not shift it
/// (an honest far validator is judged against a stable offset), quick enough to follow a
/// validator that moved, too slow to follow a liar's random values.
const GEO_OFFSET_BLOCKS: i64 = 16;

/// Blocks after which a validator's offset takes part in choosing an epoch's frame.
const GEO_SETTLED_BLOCKS: u64 = 4;

/// Whether `m`'s learned offset still holds at `height`: learned at all, and from a vote
/// that counted within the last epoch. Offsets are relative to one another, so one learned
/// before the rest of the set turned over (a validator jailed or out of the set while the
/// others came and went) may be relative to nobody still here; it is learned again from
/// the validator's next counted block, as a newcomer's is. A proposer cannot force that on
/// an honest validator: it would have to blank its vote at every height for an epoch.
fn offset_is_current(m: &pb::MeasurerScore, height: u64, params: &pb::Params) -> bool {
    m.geo_offset_blocks > 0 && height.saturating_sub(m.last_height) <= params.epoch_blocks.max(1)
}

/// One provider's consensus values at this height, with the reports behind them.
struct Judged {
    provider: [u8; 20],
    reporting_power: i64,
    reports: Vec<ValidatorReport>,
    p99: u32,
    p50: u32,
    rate: u32,
}

fn clamp_offset(offset: i64, max_geo_offset_us: u32) -> i64 {
    let max = i64::from(max_geo_offset_us);
    offset.clamp(-max, max)
}

/// Each validator's offset in this block: the lower median of `p99 − consensus p99` over
/// the providers it reported with at least one successful probe, bounded by
/// `±max_geo_offset_us`. A validator that sees every provider 50 ms later than most has an
/// offset of 50 ms; one that lies by scaling or at random has differences that disagree
/// across providers (and, through the moving average, across blocks), which the offset
/// cannot absorb. Validators without a successful report get none.
fn block_offsets(judged: &[Judged], max_geo_offset_us: u32) -> BTreeMap<[u8; 20], i64> {
    let mut diffs: BTreeMap<[u8; 20], Vec<i64>> = BTreeMap::new();
    for j in judged {
        for r in j.reports.iter().filter(|r| r.samples > r.failures) {
            diffs
                .entry(validator_bytes(r))
                .or_default()
                .push(i64::from(r.p99_us) - i64::from(j.p99));
        }
    }
    lower_medians(diffs, max_geo_offset_us)
}

/// Each validator's lower median of its differences, bounded by `±max_geo_offset_us`.
fn lower_medians(
    diffs: BTreeMap<[u8; 20], Vec<i64>>,
    max_geo_offset_us: u32,
) -> BTreeMap<[u8; 20], i64> {
    diffs
        .into_iter()
        .map(|(validator, mut d)| {
            d.sort_unstable();
            let median = d[(d.len() - 1) / 2];
            (validator, clamp_offset(median, max_geo_offset_us))
        })
        .collect()
}

/// `v` less `offset`, within `0..=max_latency_us`.
fn shifted(v: u32, offset: i64, max_latency_us: u32) -> u32 {
    u32::try_from(
        i64::from(v)
            .saturating_sub(offset)
            .clamp(0, i64::from(max_latency_us)),
    )
    .unwrap_or(max_latency_us)
}

/// A validator's measurer record, or a fresh one.
fn measurer_or_new<S: StateWrite>(
    state: &S,
    validator: &[u8; 20],
) -> Result<pb::MeasurerScore, TxError> {
    Ok(state
        .measurer(validator)?
        .unwrap_or_else(|| pb::MeasurerScore {
            validator: validator.to_vec(),
            ..Default::default()
        }))
}

fn validator_bytes(r: &ValidatorReport) -> [u8; 20] {
    r.validator.as_slice().try_into().unwrap_or([0; 20])
}

/// One provider's judged epoch: means over the blocks that had an aggregate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderEpoch {
    pub provider: [u8; 20],
    pub blocks: u64,
    pub mean_p99_us: u64,
    pub max_p99_us: u64,
    pub mean_failure_rate_ppm: u32,
}

/// One validator's measuring over the epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasurerEpoch {
    pub validator: [u8; 20],
    pub reports: u64,
    pub outliers: u64,
    /// No report counted, but some of its votes were ignored, no more than a third of the
    /// epoch's blocks: it is not judged as a validator that did not report. An honest
    /// validator's votes are blanked only at heights a Byzantine proposer (under 1/3 of
    /// the power) proposes, so stripping one that voted a few times (a newcomer) must not
    /// cost it reputation; one whose every vote of a whole epoch fails is sending
    /// signatures CometBFT takes and strict ed25519 does not, and is judged.
    pub excused: bool,
}

/// The epoch that just closed, in address order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochSummary {
    pub epoch: u64,
    pub providers: Vec<ProviderEpoch>,
    pub measurers: Vec<MeasurerEpoch>,
    /// Requester-side latency of the providers that were reported on (`served`).
    pub served: Vec<pb::ServedLatency>,
}

/// At an epoch end: the epoch's accumulators and measurer counts, which are reset.
pub fn take_epoch<S: StateWrite>(state: &mut S, height: u64) -> Result<EpochSummary, TxError> {
    let params = state.latency_params()?;
    let mut summary = EpochSummary {
        epoch: params.epoch_of(height),
        ..Default::default()
    };
    crate::probe_receipts::reset(state)?;
    summary.served = crate::served::take_epoch(state, &params, summary.epoch)?;
    for (provider, acc) in state.epoch_accumulators()? {
        state.delete_epoch_accumulator(&provider);
        if acc.blocks == 0 {
            continue;
        }
        summary.providers.push(ProviderEpoch {
            provider,
            blocks: acc.blocks,
            mean_p99_us: acc.sum_p99_us / acc.blocks,
            max_p99_us: u64::from(acc.max_p99_us),
            mean_failure_rate_ppm: u32::try_from(acc.sum_failure_rate_ppm / acc.blocks)
                .unwrap_or(1_000_000),
        });
    }
    for mut m in state.measurers()? {
        let validator: [u8; 20] = m
            .validator
            .as_slice()
            .try_into()
            .map_err(|_| TxError::INTERNAL("latency: measurer address"))?;
        summary.measurers.push(MeasurerEpoch {
            validator,
            reports: m.epoch_reports,
            outliers: m.epoch_outliers,
            excused: m.epoch_reports == 0
                && m.epoch_ignored_votes > 0
                && m.epoch_ignored_votes.saturating_mul(3) <= params.epoch_blocks,
        });
        if m.epoch_reports != 0 || m.epoch_outliers != 0 || m.epoch_ignored_votes != 0 {
            m.epoch_reports = 0;
            m.epoch_outliers = 0;
            m.epoch_ignored_votes = 0;
            state.put_measurer(&m)?;
        }
    }
    Ok(summary)
}
