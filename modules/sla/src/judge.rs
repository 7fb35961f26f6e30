//! The epoch judgement. Integer math only: u64/u128 with saturating or checked operations.

use pol_component::coins::parse_amount;
use pol_component::state::atomic;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_inference::pb::ProviderStatus;
use pol_inference::InferenceRead;
use pol_reputation::ProviderScore;
use pol_store::StateWrite;

use crate::params::Params;
use crate::view::{SlaRead, SlaWrite};
use crate::{pb, PPM};

/// One provider's epoch, as `latency` accumulated it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochObservation {
    pub provider: Address,
    /// Heights of the epoch that had a consensus aggregate for this provider.
    pub blocks: u64,
    /// Mean over those heights of the per-block consensus p99, µs.
    pub p99_us: u64,
    /// Largest per-block consensus p99 of the epoch, µs.
    pub max_p99_us: u64,
    /// Mean consensus failure rate, per million requests.
    pub failure_rate_ppm: u32,
    /// What paying requesters saw, when enough of them reported (`latency`'s
    /// `ServedLatency`, its allowance for requesters' distance already taken off): p99 µs
    /// and failure rate ppm. The worse of this and the probes' figures is judged, so a
    /// provider that serves validators' probes fast and requesters slowly misses its SLA.
    pub served: Option<(u64, u32)>,
}

impl EpochObservation {
    /// The p99 and failure rate judged: the worse of the probes' and the requesters'.
    pub fn judged(&self) -> (u64, u32) {
        match self.served {
            Some((p99, failures)) => (self.p99_us.max(p99), self.failure_rate_ppm.max(failures)),
            None => (self.p99_us, self.failure_rate_ppm),
        }
    }
}

/// The epoch that ended in this block, as `latency` measured it: what `sla`'s end-block
/// judges (handed over through the end-block hooks' shared values).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochObservations {
    pub epoch: u64,
    pub providers: Vec<EpochObservation>,
}

/// `(obs − lim)·10⁶ / max(lim, 1)`, floored and saturated at `u64::MAX`; 0 when
/// `obs ≤ lim`.
fn overshoot_ppm(obs: u64, lim: u64) -> u64 {
    if obs <= lim {
        return 0;
    }
    let over = u128::from(obs - lim) * u128::from(PPM) / u128::from(lim.max(1));
    u64::try_from(over).unwrap_or(u64::MAX)
}

/// How far an epoch missed its SLA, in ppm of the bound: the larger relative overshoot of
/// the p99 and of the failure rate (0 when both are within the SLA).
pub fn excess_ppm(
    p99_us: u64,
    sla_p99_us: u64,
    failure_rate_ppm: u32,
    sla_failure_rate_ppm: u32,
) -> u64 {
    overshoot_ppm(p99_us, sla_p99_us).max(overshoot_ppm(
        u64::from(failure_rate_ppm),
        u64::from(sla_failure_rate_ppm),
    ))
}

/// The share of the bond a miss of `excess_ppm` burns:
/// `min(max_slash_ppm, base_slash_ppm + excess_ppm · slash_slope_ppm / 10⁶)`.
pub fn slash_ppm(params: &Params, excess_ppm: u64) -> u32 {
    let extra = u128::from(excess_ppm) * u128::from(params.slash_slope_ppm) / u128::from(PPM);
    let total = u128::from(params.base_slash_ppm).saturating_add(extra);
    total.min(u128::from(params.max_slash_ppm)) as u32
}

/// The reputation score of an epoch: 10⁶ when met, else
/// `(max_slash_ppm − slash_ppm)·10⁶ / max_slash_ppm` (0 at the maximum slash, and 0 for any
/// miss when `max_slash_ppm` is 0).
pub fn epoch_score(params: &Params, missed: bool, slash_ppm: u32) -> u32 {
    if !missed {
        return PPM;
    }
    if params.max_slash_ppm == 0 {
        return 0;
    }
    let left = u64::from(params.max_slash_ppm.saturating_sub(slash_ppm));
    (left * u64::from(PPM) / u64::from(params.max_slash_ppm)) as u32
}

fn invalid(why: impl Into<String>) -> TxError {
    TxError::INVALID_REQUEST(why.into())
}

fn amount(s: &str) -> Result<u128, TxError> {
    if s.is_empty() {
        return Ok(0);
    }
    parse_amount(s).ok_or_else(|| TxError::INTERNAL(format!("sla: stored amount {s:?}")))
}

/// Judge the epoch `epoch` (called once, at its last height). Observations are processed
/// in provider-address order whatever order they come in. Skipped (an `sla_skipped` event,
/// nothing else): providers with fewer than `min_blocks_per_epoch` blocks, and providers
/// no longer registered. Refused (nothing written): an epoch at or before the last judged
/// one, a provider observed twice, a failure rate above 10⁶.
pub fn judge_epoch<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    epoch: u64,
    observations: &[EpochObservation],
) -> Result<Vec<Event>, TxError> {
    let params = state.sla_params()?;
    if let Some(last) = state.sla_last_epoch()? {
        if epoch <= last {
            return Err(invalid(format!(
                "sla: epoch {epoch} is not after the last judged epoch {last}"
            )));
        }
    }
    let mut sorted = observations.to_vec();
    sorted.sort_by_key(|o| o.provider);
    if let Some(w) = sorted.windows(2).find(|w| w[0].provider == w[1].provider) {
        return Err(invalid(format!(
            "sla: provider {} observed twice in epoch {epoch}",
            w[0].provider
        )));
    }
    if let Some(o) = sorted.iter().find(|o| o.judged().1 > PPM) {
        return Err(invalid(format!(
            "sla: failure rate {} ppm of {} is above 1000000",
            o.judged().1,
            o.provider
        )));
    }
    atomic(state, |s| {
        let mut events = Vec::new();
        let mut scores = Vec::new();
        for o in &sorted {
            let skip = |reason: &str| {
                crate::EVENTS.emit(&pb::EventSlaSkipped {
                    provider: o.provider.to_string(),
                    epoch,
                    reason: reason.to_string(),
                })
            };
            if o.blocks < params.min_blocks_per_epoch {
                events.extend(skip("too few blocks")?);
                continue;
            }
            let Some(provider) = s.provider(&o.provider)? else {
                events.extend(skip("not a registered provider")?);
                continue;
            };
            let sla = provider.sla.unwrap_or_default();
            let (p99_us, failure_rate_ppm) = o.judged();
            let served_p99 = o.served.map_or(0, |(p99, _)| p99);
            let missed =
                p99_us > sla.max_p99_latency_us || failure_rate_ppm > sla.max_failure_rate_ppm;
            let mut record = s
                .sla_record(&o.provider)?
                .unwrap_or_else(|| pb::ProviderRecord {
                    provider: o.provider.to_string(),
                    ..Default::default()
                });
            record.epochs_judged = record.epochs_judged.saturating_add(1);
            record.last_epoch = epoch;
            let mut slash = 0;
            if !missed {
                record.consecutive_misses = 0;
                events.extend(crate::EVENTS.emit(&pb::EventSlaMet {
                    provider: o.provider.to_string(),
                    epoch,
                    p99_us,
                    failure_rate_ppm: u64::from(failure_rate_ppm),
                    served_p99_us: served_p99,
                })?);
            } else {
                let excess = excess_ppm(
                    p99_us,
                    sla.max_p99_latency_us,
                    failure_rate_ppm,
                    sla.max_failure_rate_ppm,
                );
                slash = slash_ppm(&params, excess);
                // Requesters' reports are bought evidence (a competitor can pay to file
                // them): a miss they alone show burns the base fraction, not more. It still
                // counts as a miss (reputation, consecutive misses, jail, routing).
                let probes_missed = o.p99_us > sla.max_p99_latency_us
                    || o.failure_rate_ppm > sla.max_failure_rate_ppm;
                if !probes_missed {
                    slash = slash.min(params.base_slash_ppm);
                }
                let slashed = pol_inference::slash_bond(s, &o.provider, slash)?;
                events.extend(slashed.events);
                record.consecutive_misses = record.consecutive_misses.saturating_add(1);
                record.total_misses = record.total_misses.saturating_add(1);
                record.total_slashed = amount(&record.total_slashed)?
                    .saturating_add(slashed.slashed)
                    .to_string();
                let consecutive = record.consecutive_misses;
                let mut jailed = slashed.jailed;
                let leaving = provider.status == ProviderStatus::Unbonding as i32;
                if consecutive >= params.jail_after_misses && !leaving {
                    let until = ctx.height.saturating_add(params.jail_blocks);
                    let (_, jail_events) =
                        pol_inference::jail(s, &o.provider, until, "sla misses")?;
                    events.extend(jail_events);
                    pol_inference::raise_min_bond(s, &o.provider, params.min_bond_raise_ppm)?;
                    record.jailings = record.jailings.saturating_add(1);
                    record.consecutive_misses = 0;
                    jailed = true;
                }
                let inference_params = s.inference_params()?;
                let after = s.provider(&o.provider)?.ok_or_else(|| {
                    TxError::INTERNAL(format!("sla: provider {} vanished", o.provider))
                })?;
                let required = pol_inference::required_bond(&after, &inference_params)?;
                let v = pb::SlaViolation {
                    provider: o.provider.to_string(),
                    epoch,
                    height: ctx.height,
                    observed_p99_us: p99_us,
                    sla_p99_us: sla.max_p99_latency_us,
                    observed_failure_rate_ppm: failure_rate_ppm,
                    sla_failure_rate_ppm: sla.max_failure_rate_ppm,
                    slashed: slashed.slashed.to_string(),
                    consecutive_misses: consecutive,
                    jailed,
                    observed_max_p99_us: o.max_p99_us,
                    blocks: o.blocks,
                    excess_ppm: excess,
                    slash_ppm: slash,
                    required_bond: required.to_string(),
                    served_p99_us: served_p99,
                };
                s.push_violation(&o.provider, &v, params.max_violations_per_provider)?;
                events.extend(crate::EVENTS.emit(&pb::EventSlaViolation {
                    provider: o.provider.to_string(),
                    epoch,
                    p99_us,
                    sla_p99_us: sla.max_p99_latency_us,
                    failure_rate_ppm: u64::from(failure_rate_ppm),
                    sla_failure_rate_ppm: u64::from(sla.max_failure_rate_ppm),
                    excess_ppm: excess,
                    slash_ppm: u64::from(slash),
                    slashed: format!("{}{}", slashed.slashed, inference_params.bond_denom),
                    consecutive_misses: u64::from(consecutive),
                    jailed,
                    required_bond: required.to_string(),
                    served_p99_us: served_p99,
                })?);
            }
            s.put_sla_record(&o.provider, &record);
            scores.push(ProviderScore {
                provider: o.provider,
                score_ppm: epoch_score(&params, missed, slash),
            });
        }
        events.extend(pol_reputation::record_provider_scores(
            s, ctx, epoch, &scores,
        )?);
        s.set_sla_last_epoch(epoch);
        Ok(events)
    })
}
