//! What the requester has seen of each provider itself: its last round-trip times and
//! its recent failures, and the estimates made from them (or from the chain's consensus
//! figures while it has seen too little).

use std::collections::VecDeque;

/// Round trips kept per provider.
pub const WINDOW: usize = 256;
/// Own samples needed before they replace the consensus figures.
pub const MIN_OWN_SAMPLES: usize = 20;

/// The chain's view of a provider (`pol.latency.v1` Route entry).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consensus {
    pub p50_us: u32,
    pub p99_us: u32,
    pub failure_rate_ppm: u32,
}

impl Consensus {
    /// p95 from p50 and p99 as for a normal distribution (p95 = p50 + 0.707·(p99 − p50));
    /// the chain publishes those two.
    pub fn p95_us(&self) -> u64 {
        let (p50, p99) = (
            u64::from(self.p50_us),
            u64::from(self.p99_us.max(self.p50_us)),
        );
        p50 + (p99 - p50) * 707 / 1000
    }
}

#[derive(Clone, Debug, Default)]
pub struct ProviderStats {
    rtts_us: VecDeque<u64>,
    /// The last attempts, `true` for a failure.
    outcomes: VecDeque<bool>,
}

impl ProviderStats {
    pub fn record_ok(&mut self, rtt_us: u64) {
        push(&mut self.rtts_us, rtt_us);
        push(&mut self.outcomes, false);
    }

    pub fn record_failure(&mut self) {
        push(&mut self.outcomes, true);
    }

    pub fn samples(&self) -> usize {
        self.rtts_us.len()
    }

    fn quantile_us(&self, per_mille: u64) -> Option<u64> {
        if self.rtts_us.len() < MIN_OWN_SAMPLES {
            return None;
        }
        let mut v: Vec<u64> = self.rtts_us.iter().copied().collect();
        v.sort_unstable();
        let i = ((v.len() as u64 * per_mille).div_ceil(1000) as usize).clamp(1, v.len()) - 1;
        Some(v[i])
    }

    /// p95 and p99: own when it has enough samples, else the consensus figures.
    pub fn p95_us(&self, c: &Consensus) -> u64 {
        self.quantile_us(950).unwrap_or_else(|| c.p95_us())
    }

    pub fn p99_us(&self, c: &Consensus) -> u64 {
        self.quantile_us(990).unwrap_or(u64::from(c.p99_us))
    }

    /// Failures per million attempts: own when it has enough attempts, else consensus.
    pub fn failure_rate_ppm(&self, c: &Consensus) -> u64 {
        if self.outcomes.len() < MIN_OWN_SAMPLES {
            return u64::from(c.failure_rate_ppm);
        }
        let failed = self.outcomes.iter().filter(|f| **f).count() as u64;
        failed * 1_000_000 / self.outcomes.len() as u64
    }

    /// Lower is better: the tail latency, multiplied by `1 + 100 × failure rate`. A
    /// provider failing 1 % of requests puts a failover (another provider's latency, or a
    /// timeout) into the requester's p99, so it counts double; one failing 40 % is worse
    /// than one 40× slower that never fails. An unmeasured provider (no consensus, no
    /// samples) scores as a second.
    ///
    /// The tail is the p99 without hedging. With hedging (`hedged`) it is the p95: a
    /// request still waiting then goes to a second provider too, so what the first
    /// provider's slowest 5 % take no longer reaches the requester, and a provider fast but
    /// for a long tail ranks above a steadily slower one. A provider this client has not
    /// measured enough is then ranked by the consensus p50: optimistic, so the client tries
    /// it and learns (a wrong try costs little, the hedge covers it), where the consensus
    /// p95, interpolated between p50 and p99, would overstate a long tail for good.
    pub fn score(&self, c: &Consensus, hedged: bool) -> u64 {
        let latency = if hedged {
            self.quantile_us(950).unwrap_or(u64::from(c.p50_us))
        } else {
            self.p99_us(c)
        };
        let tail = match latency {
            0 => 1_000_000,
            v => v,
        };
        let fail = self.failure_rate_ppm(c).min(1_000_000);
        tail.saturating_mul(1_000_000 + 100 * fail) / 1_000_000
    }
}

fn push<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() == WINDOW {
        q.pop_front();
    }
    q.push_back(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_until_enough_own_samples_then_own() {
        let c = Consensus {
            p50_us: 1_000,
            p99_us: 5_000,
            failure_rate_ppm: 10_000,
        };
        let mut s = ProviderStats::default();
        assert_eq!(s.p95_us(&c), 1_000 + 4_000 * 707 / 1000);
        assert_eq!(s.p99_us(&c), 5_000);
        for i in 0..100 {
            s.record_ok(100 + i);
        }
        assert_eq!(s.p99_us(&c), 198, "nearest rank: the 99th of 100");
        assert_eq!(s.p95_us(&c), 194);
        assert_eq!(s.failure_rate_ppm(&c), 0);
        for _ in 0..100 {
            s.record_failure();
        }
        assert_eq!(s.failure_rate_ppm(&c), 500_000);
        assert_eq!(
            s.score(&c, false),
            s.p99_us(&c) * 51,
            "50 % failures: × (1 + 100 × 0.5)"
        );
        assert_eq!(s.score(&c, true), s.p95_us(&c) * 51, "hedged: the p95");
        // Hedged and not measured yet: the consensus p50, so a provider whose consensus p99
        // is a long tail (2 ms typical, 100 ms p99) is tried before a steady 60 ms one.
        let long_tail = Consensus {
            p50_us: 2_000,
            p99_us: 100_000,
            failure_rate_ppm: 0,
        };
        let steady_60 = Consensus {
            p50_us: 60_000,
            p99_us: 62_000,
            failure_rate_ppm: 0,
        };
        let fresh = ProviderStats::default();
        assert!(fresh.score(&long_tail, true) < fresh.score(&steady_60, true));
        assert!(fresh.score(&long_tail, false) > fresh.score(&steady_60, false));
        // A fast provider failing 40 % ranks behind one 20× slower that never fails.
        let flaky = Consensus {
            p50_us: 500,
            p99_us: 1_000,
            failure_rate_ppm: 400_000,
        };
        let steady = Consensus {
            p50_us: 10_000,
            p99_us: 20_000,
            failure_rate_ppm: 0,
        };
        let fresh = ProviderStats::default();
        assert!(fresh.score(&flaky, false) > fresh.score(&steady, false));
        // Fast but for a 2 % tail of 100 ms, against a steady 60 ms: behind it unhedged (its
        // p99 is the tail), ahead of it when a hedge takes over its slowest 5 %.
        let mut tailed = ProviderStats::default();
        for i in 0..100 {
            tailed.record_ok(if i < 2 { 100_000 } else { 4_000 });
        }
        let mut slow = ProviderStats::default();
        (0..100).for_each(|_| slow.record_ok(60_000));
        let none = Consensus::default();
        assert!(tailed.score(&none, false) > slow.score(&none, false));
        assert!(tailed.score(&none, true) < slow.score(&none, true));
        // An unmeasured provider scores as slow.
        assert_eq!(
            ProviderStats::default().score(&Consensus::default(), true),
            1_000_000
        );
    }
}
