//! What this requester saw of each provider, for the chain (`MsgReportServedLatency`).
//!
//! Validators' probes cannot see a provider that serves them fast and its requesters
//! slowly; requesters can. The client keeps, per provider, the round trips and failures of
//! its requests since its last report and the provider's receipt for the last paid one
//! (the highest cumulative payment: what gives the report its weight on chain). A report
//! is ready once a paid receipt came in; failures before it wait for the next one.

use std::collections::BTreeMap;
use std::time::Duration;

use pol_component::coins::parse_amount;
use pol_inference::pb::Receipt;
use pol_latency::pb::MsgReportServedLatency;

/// Round trips kept per provider between reports (the oldest go first beyond it).
const MAX_SAMPLES: usize = 1 << 16;

#[derive(Clone, Debug, Default)]
struct Seen {
    rtts_us: Vec<u32>,
    failures: u32,
    /// The paid receipt with the highest cumulative amount, and that amount.
    receipt: Option<(u128, Receipt)>,
}

/// Per-provider figures since the last report.
#[derive(Clone, Debug, Default)]
pub struct ServedLog {
    seen: BTreeMap<String, Seen>,
}

/// The `q`-th per-mille value of sorted `v` (nearest rank); 0 when empty.
fn rank(v: &[u32], per_mille: usize) -> u32 {
    if v.is_empty() {
        return 0;
    }
    let i = (v.len() * per_mille).div_ceil(1000).clamp(1, v.len()) - 1;
    v[i]
}

impl ServedLog {
    /// A verified answer from `provider` after `rtt`, with its receipt. Unpaid answers are
    /// left out: the chain weighs a report by what its answers were paid.
    pub fn answered(&mut self, provider: &str, rtt: Duration, receipt: &Receipt) {
        let paid = (receipt.channel_id != 0)
            .then(|| parse_amount(&receipt.payment_amount))
            .flatten();
        let Some(amount) = paid else {
            return;
        };
        let s = self.seen.entry(provider.to_string()).or_default();
        if s.rtts_us.len() == MAX_SAMPLES {
            s.rtts_us.remove(0);
        }
        s.rtts_us
            .push(u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX));
        if s.receipt.as_ref().is_none_or(|(a, _)| amount > *a) {
            s.receipt = Some((amount, receipt.clone()));
        }
    }

    /// A request to `provider` that failed (error, timeout, an answer that did not verify).
    pub fn failed(&mut self, provider: &str) {
        let s = self.seen.entry(provider.to_string()).or_default();
        s.failures = s.failures.saturating_add(1);
    }

    /// The reports ready now, one per provider with a paid receipt since the last report,
    /// from `requester` (the channels' owner, bech32); what they cover is cleared. Round
    /// trips are capped at `max_latency_us`, the chain's bound. Should the transaction
    /// fail, the payment is not lost: the next report's receipt carries the channel's
    /// cumulative amount (only these round trips are).
    pub fn take_reports(
        &mut self,
        requester: &str,
        max_latency_us: u32,
    ) -> Vec<MsgReportServedLatency> {
        let mut out = Vec::new();
        for s in self.seen.values_mut() {
            let Some((_, receipt)) = s.receipt.take() else {
                continue;
            };
            let mut rtts: Vec<u32> = s.rtts_us.drain(..).map(|r| r.min(max_latency_us)).collect();
            rtts.sort_unstable();
            let answered = u32::try_from(rtts.len()).unwrap_or(u32::MAX);
            // The chain takes at most as many failures as paid answers (a failure rate of
            // one half); more than that is reported as that.
            let failures = std::mem::take(&mut s.failures).min(answered);
            out.push(MsgReportServedLatency {
                requester: requester.to_string(),
                receipt: Some(receipt),
                requests: answered.saturating_add(failures),
                failures,
                p50_us: rank(&rtts, 500),
                p99_us: rank(&rtts, 990),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(channel: u64, amount: u128) -> Receipt {
        Receipt {
            channel_id: channel,
            payment_amount: amount.to_string(),
            ..Default::default()
        }
    }

    #[test]
    fn a_report_needs_a_paid_receipt_and_carries_the_highest_one() {
        let mut log = ServedLog::default();
        log.failed("p");
        log.failed("p");
        log.answered("p", Duration::from_millis(5), &receipt(0, 0));
        assert!(
            log.take_reports("r", 60_000_000).is_empty(),
            "nothing paid yet"
        );
        for (ms, amount) in [(10, 300), (320, 200), (20, 100)] {
            log.answered("p", Duration::from_millis(ms), &receipt(7, amount));
        }
        let r = log.take_reports("r", 60_000_000);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].receipt.as_ref().unwrap().payment_amount, "300");
        // Two failures, three paid answers (the unpaid one is left out).
        assert_eq!((r[0].requests, r[0].failures), (5, 2));
        assert_eq!((r[0].p50_us, r[0].p99_us), (20_000, 320_000));
        // Cleared: the next report covers only what comes after.
        assert!(log.take_reports("r", 60_000_000).is_empty());
        // Failures beyond the paid answers are reported as many as those.
        for _ in 0..3 {
            log.failed("p");
        }
        log.answered("p", Duration::from_secs(90), &receipt(7, 400));
        let r = log.take_reports("r", 60_000_000);
        assert_eq!(
            (r[0].requests, r[0].failures, r[0].p99_us),
            (2, 1, 60_000_000)
        );
    }
}
