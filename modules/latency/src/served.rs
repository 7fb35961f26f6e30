//! Requester-side latency (Proof-of-Latency against probe discrimination).
//!
//! A provider can tell a validator's probe from a requester's request (by its source
//! address, its channel, its timing) and serve probes fast and everyone else slowly. What
//! the validators measure then is not what requesters get, so requesters report what they
//! got: `MsgReportServedLatency` carries the requester's own timing of its paid requests,
//! backed by the provider's receipt for the last of them. The receipt is signed by the
//! provider's registered key and names the requester's channel and the channel's cumulative
//! payment, so a report weighs what the requester really paid the provider since its
//! previous report, and nothing without paying.
//!
//! At the epoch's end each provider's reports become one [`pb::ServedLatency`]: sorted worst
//! first, the figure at which the reports above carry `min_served_payment`. Reports of fast
//! service cannot improve that figure (a provider paying itself through a channel of its
//! own gains nothing); the payments of others are what can make it worse, and making it
//! worse costs them `min_served_payment`, paid to the provider. `sla` judges the worse of
//! the probe-side p99 and this figure less `served_allowance_us`; `Route` ranks by the same.

use pol_component::coins::parse_amount;
use pol_component::state::scan_decoded;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_inference::receipt::SignedReceipt;
use pol_inference::InferenceRead;
use pol_payments::view::Amounts;
use pol_payments::PaymentsRead;
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt};

use crate::pb::{self, MsgReportServedLatency, MsgReportServedLatencyResponse};
use crate::state_key;
use crate::LatencyRead;

pub const MSG_REPORT_SERVED_LATENCY: &str = "/pol.latency.v1.MsgReportServedLatency";

/// Gas charged up front: a receipt signature check and a few records.
pub const REPORT_GAS: u64 = 2_000;

const PPM: u64 = 1_000_000;

pub fn signer(m: &MsgReportServedLatency) -> Result<Address, TxError> {
    Address::parse(&m.requester)
}

pub fn gas(_: &dyn StateRead, _: &MsgReportServedLatency) -> Result<u64, TxError> {
    Ok(REPORT_GAS)
}

fn invalid(why: impl std::fmt::Display) -> TxError {
    TxError::INVALID_REQUEST(format!("MsgReportServedLatency: {why}"))
}

fn amount(s: &str, what: &str) -> Result<u128, TxError> {
    if s.is_empty() {
        return Ok(0);
    }
    parse_amount(s).ok_or_else(|| TxError::INTERNAL(format!("latency: stored {what} {s:?}")))
}

/// The figures of a report, checked: at least one request, failures among them, and
/// percentiles in order and within `max_latency_us` (zero when nothing was answered).
fn check_figures(m: &MsgReportServedLatency, max_latency_us: u32) -> Result<(), TxError> {
    if m.requests == 0 {
        return Err(invalid("a report covers at least one request"));
    }
    if m.failures > m.requests {
        return Err(invalid(format!(
            "{} failures of {} requests",
            m.failures, m.requests
        )));
    }
    if m.p50_us > m.p99_us || m.p99_us > max_latency_us {
        return Err(invalid(format!(
            "percentiles p50 {} µs, p99 {} µs: need p50 ≤ p99 ≤ {max_latency_us}",
            m.p50_us, m.p99_us
        )));
    }
    if m.failures < m.requests && m.p99_us == 0 {
        return Err(invalid("answered requests with a p99 of 0"));
    }
    Ok(())
}

/// How bad a report says the service was: its p99, then its failure rate (ppm).
fn severity(p99_us: u32, failures: u64, requests: u64) -> (u32, u64) {
    (p99_us, failures.saturating_mul(PPM) / requests.max(1))
}

/// The receipt proves answered requests, and paid ones: at least one request was answered,
/// the answered ones are no more than the payment covers at the receipt's price, and the
/// failures claimed no more than the answered ones (a failure rate of at most one half
/// can be claimed per request paid for).
fn check_paid_for(m: &MsgReportServedLatency, weight: u128, unit: u128) -> Result<(), TxError> {
    let answered = m.requests - m.failures; // check_figures: failures <= requests
    if answered == 0 {
        return Err(invalid(
            "the receipt shows an answered request; all failed cannot be",
        ));
    }
    if unit > 0 && u128::from(answered) > weight / unit {
        return Err(invalid(format!(
            "{answered} answered requests at {unit} each cost more than the {weight} paid"
        )));
    }
    if m.failures > answered {
        return Err(invalid(format!(
            "{} failures against {answered} answered requests: at most as many failures as \
             paid answers can be claimed",
            m.failures
        )));
    }
    Ok(())
}

/// `(a·wa + b·wb) / (wa + wb)`, the weighted mean of two percentiles.
fn weighted_mean(a: u32, wa: u128, b: u32, wb: u128) -> u32 {
    let total = wa.saturating_add(wb).max(1);
    let sum = u128::from(a)
        .saturating_mul(wa)
        .saturating_add(u128::from(b).saturating_mul(wb));
    u32::try_from(sum / total).unwrap_or(u32::MAX)
}

pub fn execute<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgReportServedLatency,
) -> Result<(MsgReportServedLatencyResponse, Vec<Event>), TxError> {
    let requester = Address::parse(&m.requester)?;
    let params = state.latency_params()?;
    check_figures(m, params.max_latency_us)?;
    let proto = m
        .receipt
        .as_ref()
        .ok_or_else(|| invalid("the provider's receipt is required"))?;
    let receipt = SignedReceipt::from_proto(proto).map_err(invalid)?;
    if receipt.body.chain_id != ctx.chain_id {
        return Err(invalid(format!(
            "a receipt for chain {:?}",
            receipt.body.chain_id
        )));
    }
    let provider_addr = Address(receipt.body.provider);
    let provider = state
        .provider(&provider_addr)?
        .ok_or_else(|| invalid(format!("{provider_addr} is not a registered provider")))?;
    // The current key only: a rotated-out key could otherwise sign backdated receipts for
    // payments the provider never received (whoever holds it need not be the provider).
    if receipt.worker_pubkey.as_slice() != provider.receipt_pubkey.as_slice() {
        return Err(invalid(
            "the receipt is not signed by the provider's current receipt key",
        ));
    }
    receipt.verify().map_err(invalid)?;
    let paid = receipt.body.payment;
    if paid.channel_id == 0 {
        return Err(invalid(
            "the receipt is of an unpaid request: it weighs nothing",
        ));
    }
    let channel = state
        .channel(paid.channel_id)?
        .ok_or_else(|| invalid(format!("no channel {}", paid.channel_id)))?;
    if channel.requester != requester.to_string() {
        return Err(TxError::UNAUTHORIZED(format!(
            "MsgReportServedLatency: {requester} is not the requester of channel {}",
            channel.id
        )));
    }
    if channel.provider != provider_addr.to_string() {
        return Err(invalid(format!(
            "channel {} is not with {provider_addr}",
            channel.id
        )));
    }
    let deposit = Amounts::of(&channel)?.deposit;
    if paid.amount > deposit {
        return Err(invalid(format!(
            "the receipt's payment {} exceeds channel {}'s deposit {deposit}",
            paid.amount, channel.id
        )));
    }
    // Each unit of payment weighs once: the channel's amount only grows.
    let reported = reported_on(state, channel.id)?;
    let weight = paid
        .amount
        .checked_sub(reported)
        .filter(|w| *w > 0)
        .ok_or_else(|| {
            invalid(format!(
                "channel {} is reported up to {reported}; this receipt is at {}",
                channel.id, paid.amount
            ))
        })?;
    check_paid_for(m, weight, paid.price.saturating_add(paid.royalty))?;
    let key = state_key::served_report(&provider_addr.0, &requester.0);
    let merged = match state.get_proto::<pb::ServedReport>(&key)? {
        Some(old) => {
            let old_weight = amount(&old.weight, "served weight")?;
            pb::ServedReport {
                weight: old_weight.saturating_add(weight).to_string(),
                requests: old.requests.saturating_add(u64::from(m.requests)),
                failures: old.failures.saturating_add(u64::from(m.failures)),
                p50_us: weighted_mean(old.p50_us, old_weight, m.p50_us, weight),
                p99_us: weighted_mean(old.p99_us, old_weight, m.p99_us, weight),
                ..old
            }
        }
        None => {
            let reporters: Vec<pb::ServedReport> = scan_decoded(
                state,
                &state_key::served_reports_of(&provider_addr.0),
                crate::MODULE,
            )?;
            if reporters.len() >= params.max_served_reporters as usize {
                // Full: the mildest report gives way to a worse one. Reports of good service
                // never make a provider's figure better, so a provider filling the slots
                // with channels of its own (whose payments come back to it) shuts nobody
                // out; and pushing out a bad report takes a worse one.
                let mildest = reporters
                    .iter()
                    .min_by_key(|r| severity(r.p99_us, r.failures, r.requests))
                    .ok_or_else(|| TxError::INTERNAL("latency: no served reports"))?;
                let incoming = severity(m.p99_us, u64::from(m.failures), u64::from(m.requests));
                if incoming <= severity(mildest.p99_us, mildest.failures, mildest.requests) {
                    return Err(invalid(format!(
                        "{provider_addr} already has reports of {} requesters this epoch, \
                         the most max_served_reporters allows, none milder than this one",
                        reporters.len()
                    )));
                }
                let out = mildest;
                state.delete(state_key::served_report(
                    &provider_addr.0,
                    &Address::parse(&out.requester)?.0,
                ));
            }
            pb::ServedReport {
                provider: provider_addr.to_string(),
                requester: requester.to_string(),
                weight: weight.to_string(),
                requests: u64::from(m.requests),
                failures: u64::from(m.failures),
                p50_us: m.p50_us,
                p99_us: m.p99_us,
            }
        }
    };
    state.put_proto(key, &merged);
    state.put_proto(
        state_key::served_channel(channel.id),
        &pb::ServedChannel {
            channel_id: channel.id,
            reported: paid.amount.to_string(),
        },
    );
    let events = crate::EVENTS
        .emit(&pb::EventServedLatencyReported {
            provider: provider_addr.to_string(),
            requester: requester.to_string(),
            channel_id: channel.id,
            weight: weight.to_string(),
            requests: m.requests,
            failures: m.failures,
            p50_us: m.p50_us,
            p99_us: m.p99_us,
        })?
        .to_vec();
    Ok((
        MsgReportServedLatencyResponse {
            weight: weight.to_string(),
        },
        events,
    ))
}

/// How much of channel `id`'s cumulative payment reports have carried.
pub fn reported_on<S: StateRead + ?Sized>(state: &S, id: u64) -> Result<u128, TxError> {
    match state.get_proto::<pb::ServedChannel>(&state_key::served_channel(id))? {
        Some(c) => amount(&c.reported, "served channel amount"),
        None => Ok(0),
    }
}

/// The figure that reports carrying at least `needed` payment saw or worse: `values` (each
/// with its weight) sorted worst first, the value at which the running weight reaches
/// `needed`; `None` when all of them together weigh less.
pub fn worst_with_weight(mut values: Vec<(u32, u128)>, needed: u128) -> Option<u32> {
    values.sort_by_key(|v| std::cmp::Reverse(v.0));
    let mut behind = 0u128;
    for (value, weight) in values {
        behind = behind.saturating_add(weight);
        if behind >= needed {
            return Some(value);
        }
    }
    None
}

/// One provider's reports of an epoch, summarised (see the module's documentation).
pub fn summarise(
    provider: &str,
    epoch: u64,
    reports: &[pb::ServedReport],
    params: &pb::Params,
) -> Result<pb::ServedLatency, TxError> {
    let mut p50 = Vec::with_capacity(reports.len());
    let mut p99 = Vec::with_capacity(reports.len());
    let mut failure = Vec::with_capacity(reports.len());
    let mut total = 0u128;
    for r in reports {
        let w = amount(&r.weight, "served weight")?;
        total = total.saturating_add(w);
        let rate = r.failures.saturating_mul(PPM) / r.requests.max(1);
        p50.push((r.p50_us, w));
        p99.push((r.p99_us, w));
        failure.push((u32::try_from(rate.min(PPM)).unwrap_or(1_000_000), w));
    }
    let needed = u128::from(params.min_served_payment.max(1));
    let figure = |v: Vec<(u32, u128)>| worst_with_weight(v, needed).unwrap_or(0);
    Ok(pb::ServedLatency {
        provider: provider.to_string(),
        epoch,
        p50_us: figure(p50),
        p99_us: figure(p99),
        failure_rate_ppm: figure(failure),
        weight: total.to_string(),
        reporters: u32::try_from(reports.len()).unwrap_or(u32::MAX),
        counted: total >= needed,
    })
}

/// At an epoch's end: every provider's reports summarised into `latency/served/<provider>`
/// (and returned, in provider order), the reports cleared for the next epoch, and the
/// reported amounts of channels that no longer exist forgotten (ids are never reused).
pub fn take_epoch<S: StateWrite>(
    state: &mut S,
    params: &pb::Params,
    epoch: u64,
) -> Result<Vec<pb::ServedLatency>, TxError> {
    let reports: Vec<pb::ServedReport> =
        scan_decoded(state, state_key::SERVED_REPORT_PREFIX, crate::MODULE)?;
    let mut out: Vec<pb::ServedLatency> = Vec::new();
    let mut start = 0;
    // Keys sort by provider, then requester: each provider's reports are one run.
    while start < reports.len() {
        let provider = reports[start].provider.clone();
        let end = reports[start..]
            .iter()
            .position(|r| r.provider != provider)
            .map_or(reports.len(), |n| start + n);
        let p = Address::parse(&provider)?;
        let summary = summarise(&provider, epoch, &reports[start..end], params)?;
        for r in &reports[start..end] {
            state.delete(state_key::served_report(
                &p.0,
                &Address::parse(&r.requester)?.0,
            ));
        }
        state.put_proto(state_key::served(&p.0), &summary);
        out.push(summary);
        start = end;
    }
    let channels: Vec<pb::ServedChannel> =
        scan_decoded(state, state_key::SERVED_CHANNEL_PREFIX, crate::MODULE)?;
    for c in channels {
        if state.channel(c.channel_id)?.is_none() {
            state.delete(state_key::served_channel(c.channel_id));
        }
    }
    Ok(out)
}

/// The figures `sla` and `Route` judge a provider by, from a summary that counted: its p99
/// less `served_allowance_us` (µs), and its failure rate (ppm).
pub fn judged(s: &pb::ServedLatency, params: &pb::Params) -> Option<(u32, u32)> {
    s.counted.then(|| {
        (
            s.p99_us.saturating_sub(params.served_allowance_us),
            s.failure_rate_ppm,
        )
    })
}

/// [`judged`] figures of `provider`'s latest summary, when it is of one of `epochs`.
pub fn judged_p99<S: StateRead + ?Sized>(
    state: &S,
    params: &pb::Params,
    provider: &[u8; 20],
    epochs: std::ops::RangeInclusive<u64>,
) -> Result<Option<(u32, u32)>, pol_store::StoreError> {
    Ok(state
        .get_proto::<pb::ServedLatency>(&state_key::served(provider))?
        .filter(|s| epochs.contains(&s.epoch))
        .and_then(|s| judged(&s, params)))
}
