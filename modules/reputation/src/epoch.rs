//! The epoch-end updates: provider reputations from `sla`'s scores, measurer reputations
//! from `latency`'s report counts, and the PoL weights written into staking.
//!
//! All arithmetic is integer: u32 ppm values, u128 intermediates, no floats. Each update
//! runs on an overlay and writes nothing if it fails.

use std::collections::BTreeMap;

use pol_component::state::atomic;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_staking::types::valoper_string;
use pol_staking::{BondStatus, StakingRead, StakingWrite};
use pol_store::StateWrite;

use crate::view::{valcons_string, ReputationRead, ReputationWrite};
use crate::{pb, PPM};

/// One step of the moving average: `(rep·(10⁶ − α) + score·α) / 10⁶`, rounded toward
/// `score` (equivalently `rep ± ceil(|score − rep|·α / 10⁶)`), so repeated equal scores
/// reach the score exactly. Inputs above 10⁶ count as 10⁶.
pub fn move_toward(rep: u32, score: u32, alpha_ppm: u32) -> u32 {
    let (rep, score, alpha) = (rep.min(PPM), score.min(PPM), alpha_ppm.min(PPM));
    let step = |d: u32| -> u32 {
        // d ≤ 10⁶ and α ≤ 10⁶: the product fits u64; the step is at most d.
        let s = (u64::from(d) * u64::from(alpha)).div_ceil(u64::from(PPM));
        s as u32
    };
    if score >= rep {
        rep + step(score - rep)
    } else {
        rep - step(rep - score)
    }
}

/// A measurer's epoch score: `floor(10⁶ · (reports − outliers) / reports)`; `None` for no
/// reports. `outliers` above `reports` counts as all of them.
pub fn measurer_score(reports: u64, outliers: u64) -> Option<u32> {
    if reports == 0 {
        return None;
    }
    let good = u128::from(reports - outliers.min(reports));
    Some((good * u128::from(PPM) / u128::from(reports)) as u32)
}

/// One judged provider's epoch score (from `sla`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProviderScore {
    pub provider: Address,
    /// 0..=10⁶: 10⁶ when the SLA was met.
    pub score_ppm: u32,
}

/// One validator's measuring over an epoch (from `latency`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeasurerObservation {
    /// CometBFT consensus address (sha256(pubkey)[:20]).
    pub validator_cons: [u8; 20],
    pub reports: u64,
    pub outliers: u64,
    /// Its votes were ignored, not missing (a proposer may have blanked them): no report
    /// is not held against it this epoch.
    pub excused: bool,
}

/// The epoch that ended in this block, as `latency` counted its measurers: what
/// `reputation`'s end-block records (handed over through the end-block hooks' shared
/// values).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MeasurerEpoch {
    pub epoch: u64,
    pub measurers: Vec<MeasurerObservation>,
}

fn invalid(why: impl Into<String>) -> TxError {
    TxError::INVALID_REQUEST(why.into())
}

/// Move each provider's reputation toward its score for `epoch` and record a history
/// point. A provider judged twice for one epoch, a score above 10⁶, or an epoch not after
/// the provider's last judged one is refused (nothing written).
pub fn record_provider_scores<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    epoch: u64,
    scores: &[ProviderScore],
) -> Result<Vec<Event>, TxError> {
    let params = state.reputation_params()?;
    let mut sorted = scores.to_vec();
    sorted.sort_by_key(|s| s.provider);
    if let Some(w) = sorted.windows(2).find(|w| w[0].provider == w[1].provider) {
        return Err(invalid(format!(
            "reputation: provider {} scored twice for epoch {epoch}",
            w[0].provider
        )));
    }
    atomic(state, |s| {
        let mut events = Vec::with_capacity(sorted.len());
        for sc in &sorted {
            if sc.score_ppm > PPM {
                return Err(invalid(format!(
                    "reputation: score {} of {} is above 1000000",
                    sc.score_ppm, sc.provider
                )));
            }
            let mut r =
                s.provider_reputation(&sc.provider)?
                    .unwrap_or_else(|| pb::ProviderReputation {
                        provider: sc.provider.to_string(),
                        reputation_ppm: params.initial_ppm,
                        ..Default::default()
                    });
            if r.epochs > 0 && epoch <= r.last_epoch {
                return Err(invalid(format!(
                    "reputation: provider {} was already judged for epoch {} (asked {epoch})",
                    sc.provider, r.last_epoch
                )));
            }
            let before = r.reputation_ppm;
            r.reputation_ppm = move_toward(r.reputation_ppm, sc.score_ppm, params.alpha_ppm);
            r.last_score_ppm = sc.score_ppm;
            r.last_epoch = epoch;
            r.epochs = r.epochs.saturating_add(1);
            r.updated_height = ctx.height;
            s.put_provider_reputation(&sc.provider, &r);
            s.push_history(
                &sc.provider,
                &pb::ReputationPoint {
                    provider: r.provider.clone(),
                    epoch,
                    height: ctx.height,
                    reputation_ppm: r.reputation_ppm,
                    score_ppm: sc.score_ppm,
                },
                params.history_len,
            )?;
            events.extend(crate::EVENTS.emit(&pb::EventProviderReputation {
                provider: r.provider.clone(),
                epoch,
                score_ppm: u64::from(sc.score_ppm),
                previous_ppm: u64::from(before),
                reputation_ppm: u64::from(r.reputation_ppm),
            })?);
        }
        Ok(events)
    })
}

/// At an epoch end: move every validator's measurer reputation and write its PoL weight
/// into staking.
///
/// * Observations must name each consensus address once, with `outliers ≤ reports`;
///   `epoch` must be after the last one recorded. Otherwise nothing is written.
/// * A validator staking knows with `reports > 0` moves toward
///   [`measurer_score`]`(reports, outliers)`.
/// * A BONDED validator with no reports (absent or 0) moves toward `no_report_score_ppm`
///   if anyone reported this epoch, unless it is `excused` (its few votes were ignored);
///   when nobody reported (probing idle), nobody moves.
///   Validators that are not bonded keep their value.
/// * Observations of consensus addresses staking does not know are ignored.
/// * Then every staking validator (operator order) gets
///   `weight = max(min_weight_ppm, measurer reputation)` (the initial measurer reputation
///   for one never measured), written through `set_pol_weight`; it reaches CometBFT at
///   staking's next end-block.
pub fn record_measurers<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    epoch: u64,
    observations: &[MeasurerObservation],
) -> Result<Vec<Event>, TxError> {
    let params = state.reputation_params()?;
    if let Some(last) = state.last_measurer_epoch()? {
        if epoch <= last {
            return Err(invalid(format!(
                "reputation: measurers of epoch {epoch} come after epoch {last}"
            )));
        }
    }
    let mut by_cons: BTreeMap<[u8; 20], MeasurerObservation> = BTreeMap::new();
    let mut total_reports: u64 = 0;
    for o in observations {
        if o.outliers > o.reports {
            return Err(invalid(format!(
                "reputation: {} has {} outliers in {} reports",
                valcons_string(&o.validator_cons),
                o.outliers,
                o.reports
            )));
        }
        if by_cons.insert(o.validator_cons, *o).is_some() {
            return Err(invalid(format!(
                "reputation: {} observed twice",
                valcons_string(&o.validator_cons)
            )));
        }
        total_reports = total_reports.saturating_add(o.reports);
    }
    atomic(state, |s| {
        let mut events = Vec::new();
        for val in s.all_validators()? {
            let cons = val.consensus_address();
            let obs = by_cons.get(&cons);
            let reports = obs.map_or(0, |o| o.reports);
            let outliers = obs.map_or(0, |o| o.outliers);
            let score = match measurer_score(reports, outliers) {
                Some(score) => Some(score),
                None if total_reports > 0
                    && val.status == BondStatus::Bonded
                    && !obs.is_some_and(|o| o.excused) =>
                {
                    Some(params.no_report_score_ppm)
                }
                None => None,
            };
            let stored = s.validator_reputation(&cons)?;
            let mut r = stored.clone().unwrap_or_else(|| pb::ValidatorReputation {
                consensus_address: valcons_string(&cons),
                operator_address: valoper_string(&val.operator),
                measurer_reputation_ppm: params.initial_measurer_ppm,
                ..Default::default()
            });
            r.operator_address = valoper_string(&val.operator);
            if let Some(score) = score {
                let before = r.measurer_reputation_ppm;
                r.measurer_reputation_ppm =
                    move_toward(r.measurer_reputation_ppm, score, params.alpha_ppm);
                r.last_epoch = epoch;
                r.last_reports = reports;
                r.last_outliers = outliers;
                r.total_reports = r.total_reports.saturating_add(reports);
                r.total_outliers = r.total_outliers.saturating_add(outliers);
                r.epochs = r.epochs.saturating_add(1);
                r.updated_height = ctx.height;
                events.extend(crate::EVENTS.emit(&pb::EventMeasurerReputation {
                    validator: r.operator_address.clone(),
                    consensus_address: r.consensus_address.clone(),
                    epoch,
                    reports,
                    outliers,
                    score_ppm: u64::from(score),
                    previous_ppm: u64::from(before),
                    reputation_ppm: u64::from(r.measurer_reputation_ppm),
                })?);
            }
            let weight = r
                .measurer_reputation_ppm
                .max(params.min_weight_ppm)
                .min(PPM);
            let old_weight = s.pol_weight_ppm(&val.operator)?;
            r.weight_ppm = weight;
            if stored.as_ref() != Some(&r) && (score.is_some() || stored.is_some()) {
                s.put_validator_reputation(&cons, &r);
            }
            if weight != old_weight {
                s.set_pol_weight(&val.operator, weight)?;
                events.extend(crate::EVENTS.emit(&pb::EventPolWeight {
                    validator: r.operator_address.clone(),
                    previous_ppm: u64::from(old_weight),
                    weight_ppm: u64::from(weight),
                })?);
            }
        }
        s.set_last_measurer_epoch(epoch);
        Ok(events)
    })
}
