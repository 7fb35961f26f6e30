//! At an epoch's last block the epoch's consensus latencies and measurer counts are taken
//! (the accumulators start over) and handed to the modules that judge them, which run
//! after this one at end block: `sla` (providers against their SLAs) and `reputation`
//! (validators as measurers, and from it their PoL weight).

use pol_component::{BlockContext, EndBlockOutcome, ExecEnv, TxError};
use pol_reputation::{MeasurerEpoch, MeasurerObservation};
use pol_sla::{EpochObservation, EpochObservations};
use pol_store::StateWrite;

use crate::{LatencyRead, LatencyWrite};

pub fn end_block<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    block_hash: &[u8],
    shared: &mut ExecEnv,
) -> Result<EndBlockOutcome, TxError> {
    // This block's hash and time challenge the extensions voted on it (`evidence`).
    state.put_last_block(&crate::pb::LastBlock {
        height: ctx.height,
        hash: block_hash.to_vec(),
        time_ms: u64::try_from(ctx.time_unix_nanos / 1_000_000).unwrap_or(0),
    });
    let params = state.latency_params()?;
    if !params.is_epoch_end(ctx.height) {
        return Ok(EndBlockOutcome::default());
    }
    let epoch = crate::take_epoch(state, ctx.height)?;
    let mut events = crate::EVENTS
        .emit(&crate::pb::EventLatencyEpoch {
            epoch: epoch.epoch,
            providers: epoch.providers.len() as u64,
            measurers: epoch.measurers.len() as u64,
        })?
        .to_vec();
    for s in &epoch.served {
        events.extend(crate::EVENTS.emit(&crate::pb::EventServedLatency {
            provider: s.provider.clone(),
            epoch: s.epoch,
            p99_us: s.p99_us,
            failure_rate_ppm: s.failure_rate_ppm,
            weight: s.weight.clone(),
            reporters: s.reporters,
            counted: s.counted,
        })?);
    }
    // Requester-side figures that count, by provider, for sla to judge beside the probes'.
    let served: std::collections::BTreeMap<String, (u64, u32)> = epoch
        .served
        .iter()
        .filter_map(|s| {
            let (p99, failures) = crate::served::judged(s, &params)?;
            Some((s.provider.clone(), (u64::from(p99), failures)))
        })
        .collect();
    shared.insert(EpochObservations {
        epoch: epoch.epoch,
        providers: epoch
            .providers
            .iter()
            .map(|p| EpochObservation {
                provider: pol_component::Address(p.provider),
                blocks: p.blocks,
                p99_us: p.mean_p99_us,
                max_p99_us: p.max_p99_us,
                failure_rate_ppm: p.mean_failure_rate_ppm,
                served: served
                    .get(&pol_component::Address(p.provider).to_string())
                    .copied(),
            })
            .collect(),
    });
    shared.insert(MeasurerEpoch {
        epoch: epoch.epoch,
        measurers: epoch
            .measurers
            .iter()
            .map(|m| MeasurerObservation {
                validator_cons: m.validator,
                reports: m.reports,
                outliers: m.outliers,
                excused: m.excused,
            })
            .collect(),
    });
    Ok(EndBlockOutcome {
        events,
        ..Default::default()
    })
}
