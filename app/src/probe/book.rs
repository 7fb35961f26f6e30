//! What the probes measured: a bounded window of results per provider and a bounded queue
//! of verified receipts. Read by ExtendVote on the consensus path, so every read is a short
//! critical section over memory; the probe task writes.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use pol_inference::pb::Receipt;
use pol_latency::pb::ProbeEvidence;
use pol_latency::ProviderWindow;

use crate::config::ProbeConfig;

/// Sizes of a [`ProbeBook`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookConfig {
    /// Results kept per provider, at most (at least 1).
    pub window_samples: usize,
    /// Results older than this leave the window; `None` bounds by count only.
    pub window_age: Option<Duration>,
    /// Verified receipts kept, all providers together.
    pub max_receipts: usize,
    /// Test-only fault injection: what this validator reports instead of what it measured.
    pub fault: ReportFault,
    /// This validator's consensus address: probe nonces derive from it, and receipts of
    /// its probes are kept as evidence that it probed (`pol_latency::evidence`). `None`
    /// (a node that is not a validator): random nonces, no evidence.
    pub validator: Option<[u8; 20]>,
}

/// Test-only ways to report other latencies than those measured (`[probe]
/// test_fault_*`); all off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportFault {
    /// Latencies are multiplied by this/1e6 (0: off): a liar.
    pub scale_ppm: u64,
    /// This many microseconds are added to every latency: a validator that far from every
    /// provider (honest geography).
    pub added_us: u64,
    /// Latencies are drawn at random below this many microseconds (0: off): a liar.
    pub random_below_us: u64,
}

impl ReportFault {
    fn apply(&self, w: &mut ProviderWindow) {
        if w.samples == w.failures {
            return;
        }
        if self.scale_ppm != 0 {
            for v in [&mut w.p50_us, &mut w.p99_us, &mut w.max_us] {
                *v = scale(*v, self.scale_ppm);
            }
        }
        if self.added_us != 0 {
            let added = u32::try_from(self.added_us).unwrap_or(u32::MAX);
            for v in [&mut w.p50_us, &mut w.p99_us, &mut w.max_us] {
                *v = v.saturating_add(added);
            }
        }
        if self.random_below_us != 0 {
            use rand::Rng;
            let bound = u32::try_from(self.random_below_us)
                .unwrap_or(u32::MAX)
                .max(1);
            let mut rng = rand::thread_rng();
            let p99 = rng.gen_range(0..bound);
            w.p50_us = rng.gen_range(0..=p99);
            w.p99_us = p99;
            w.max_us = p99;
        }
    }
}

impl BookConfig {
    pub fn from_config(c: &ProbeConfig) -> Self {
        BookConfig {
            window_samples: c.window_samples,
            window_age: (c.window_secs > 0).then(|| Duration::from_secs(c.window_secs)),
            max_receipts: c.max_receipts,
            fault: ReportFault {
                scale_ppm: c.test_fault_latency_scale_ppm,
                added_us: c.test_fault_added_latency_us,
                random_below_us: c.test_fault_random_latency_us,
            },
            validator: None,
        }
    }
}

/// The result of one probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered correctly with a verified receipt, after this many microseconds.
    Ok { rtt_us: u32 },
    /// An error, a timeout, a wrong answer or a receipt that did not verify.
    Failed,
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Instant,
    outcome: Outcome,
}

#[derive(Default)]
struct State {
    windows: BTreeMap<[u8; 20], VecDeque<Sample>>,
    receipts: BTreeMap<[u8; 20], VecDeque<Receipt>>,
    receipt_count: usize,
    /// The provider the last handed-out receipt came from: the next round starts after it.
    receipt_cursor: Option<[u8; 20]>,
    /// Receipts of this validator's own probes with their nonces' salts, newest last, at
    /// least [`EVIDENCE_SPACING_MS`] apart (worker time).
    evidence: BTreeMap<[u8; 20], VecDeque<ProbeEvidence>>,
}

/// Evidence receipts kept per provider, and their spacing: 64 over at least 64 s, so one
/// signed before the time of the block being voted on is found even after a stall of most
/// of the 60 s evidence window.
const EVIDENCE_PER_PROVIDER: usize = 64;
const EVIDENCE_SPACING_MS: u64 = 1_000;

/// Probe windows and receipts of every probed provider.
pub struct ProbeBook {
    config: BookConfig,
    state: Mutex<State>,
}

impl ProbeBook {
    pub fn new(mut config: BookConfig) -> Self {
        config.window_samples = config.window_samples.max(1);
        ProbeBook {
            config,
            state: Mutex::new(State::default()),
        }
    }

    pub fn config(&self) -> &BookConfig {
        &self.config
    }

    /// Adds one probe result for `provider` finished at `at`.
    pub fn record(&self, provider: [u8; 20], outcome: Outcome, at: Instant) {
        let mut s = self.state.lock();
        let w = s.windows.entry(provider).or_default();
        w.push_back(Sample { at, outcome });
        while w.len() > self.config.window_samples {
            w.pop_front();
        }
        evict_old(w, self.config.window_age, at);
    }

    /// Keeps a verified receipt of `provider`; past the bound, the oldest receipt of the
    /// provider holding the most goes, so one fast provider cannot crowd out the others.
    pub fn push_receipt(&self, provider: [u8; 20], receipt: Receipt) {
        if self.config.max_receipts == 0 {
            return;
        }
        let mut s = self.state.lock();
        s.receipts.entry(provider).or_default().push_back(receipt);
        s.receipt_count += 1;
        while s.receipt_count > self.config.max_receipts {
            let fullest = s
                .receipts
                .iter()
                .max_by_key(|(_, q)| q.len())
                .map(|(p, _)| *p);
            let Some(p) = fullest else { break };
            if let Some(q) = s.receipts.get_mut(&p) {
                q.pop_front();
                if q.is_empty() {
                    s.receipts.remove(&p);
                }
            }
            s.receipt_count -= 1;
        }
    }

    /// A nonce for the next probe and the salt it derives from (`None`: a random nonce, no
    /// evidence to keep).
    pub fn next_nonce(&self, rng: &mut impl rand::Rng) -> (Option<u64>, u64) {
        match self.config.validator {
            Some(v) => {
                let salt: u64 = rng.gen();
                (Some(salt), pol_latency::evidence::probe_nonce(&v, salt))
            }
            None => (None, rng.gen()),
        }
    }

    /// Keeps a verified receipt of this validator's probe of `provider` (nonce from `salt`)
    /// as evidence that it probed.
    pub fn push_evidence(&self, provider: [u8; 20], salt: u64, receipt: Receipt) {
        let mut s = self.state.lock();
        let q = s.evidence.entry(provider).or_default();
        let newest = q
            .back()
            .and_then(|e| e.receipt.as_ref())
            .map_or(0, |r| r.worker_time_ms);
        if !q.is_empty() && receipt.worker_time_ms < newest.saturating_add(EVIDENCE_SPACING_MS) {
            return;
        }
        q.push_back(ProbeEvidence {
            salt,
            receipt: Some(receipt),
        });
        while q.len() > EVIDENCE_PER_PROVIDER {
            q.pop_front();
        }
    }

    /// The newest evidence for `provider` signed within `[not_before_ms, not_after_ms]`.
    pub fn evidence_between(
        &self,
        provider: &[u8; 20],
        not_before_ms: u64,
        not_after_ms: u64,
    ) -> Option<ProbeEvidence> {
        let s = self.state.lock();
        s.evidence
            .get(provider)?
            .iter()
            .rev()
            .find(|e| {
                e.receipt
                    .as_ref()
                    .is_some_and(|r| (not_before_ms..=not_after_ms).contains(&r.worker_time_ms))
            })
            .cloned()
    }

    /// Forgets every provider not in `keep` (deregistered, jailed, gone from the list).
    pub fn retain(&self, keep: &BTreeSet<[u8; 20]>) {
        let mut s = self.state.lock();
        s.windows.retain(|p, _| keep.contains(p));
        s.evidence.retain(|p, _| keep.contains(p));
        s.receipts.retain(|p, _| keep.contains(p));
        s.receipt_count = s.receipts.values().map(VecDeque::len).sum();
    }

    /// Every provider's window as of `now`, sorted by provider.
    pub fn windows_at(&self, now: Instant) -> Vec<ProviderWindow> {
        let mut s = self.state.lock();
        let age = self.config.window_age;
        let mut out = Vec::with_capacity(s.windows.len());
        for (provider, w) in s.windows.iter_mut() {
            evict_old(w, age, now);
            let mut w = summarize(*provider, w.iter().map(|x| x.outcome));
            self.config.fault.apply(&mut w);
            out.push(w);
        }
        out
    }

    /// Pops up to `max` receipts, oldest first within a provider, one provider after the
    /// other (round robin, resuming where the previous call stopped); each is handed out once.
    pub fn take_receipts(&self, max: usize) -> Vec<Receipt> {
        let mut s = self.state.lock();
        let mut out = Vec::with_capacity(max.min(s.receipt_count));
        while out.len() < max && s.receipt_count > 0 {
            // The first provider after the cursor that has a receipt, wrapping around.
            let next = match s.receipt_cursor {
                Some(c) => s
                    .receipts
                    .range((std::ops::Bound::Excluded(c), std::ops::Bound::Unbounded))
                    .next()
                    .or_else(|| s.receipts.iter().next())
                    .map(|(p, _)| *p),
                None => s.receipts.keys().next().copied(),
            };
            let Some(p) = next else { break };
            let q = s.receipts.get_mut(&p).expect("key just found");
            let r = q.pop_front();
            if q.is_empty() {
                s.receipts.remove(&p);
            }
            s.receipt_cursor = Some(p);
            if let Some(r) = r {
                s.receipt_count -= 1;
                out.push(r);
            }
        }
        out
    }

    /// Receipts waiting to be handed out.
    pub fn receipt_count(&self) -> usize {
        self.state.lock().receipt_count
    }
}

impl crate::app::ProbeSource for ProbeBook {
    fn windows(&self) -> Vec<ProviderWindow> {
        self.windows_at(Instant::now())
    }

    fn take_receipts(&self, max: usize) -> Vec<Receipt> {
        ProbeBook::take_receipts(self, max)
    }

    fn identity(&self) -> Option<[u8; 20]> {
        self.config.validator
    }

    fn evidence(
        &self,
        provider: &[u8; 20],
        not_before_ms: u64,
        not_after_ms: u64,
    ) -> Option<ProbeEvidence> {
        self.evidence_between(provider, not_before_ms, not_after_ms)
    }
}

fn evict_old(w: &mut VecDeque<Sample>, age: Option<Duration>, now: Instant) {
    let Some(age) = age else { return };
    while w
        .front()
        .is_some_and(|s| now.saturating_duration_since(s.at) > age)
    {
        w.pop_front();
    }
}

/// `v · ppm / 1e6`, saturating at `u32::MAX`.
fn scale(v: u32, ppm: u64) -> u32 {
    let x = u128::from(v) * u128::from(ppm) / 1_000_000;
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Counts and nearest-rank percentiles of a window's outcomes.
pub fn summarize(provider: [u8; 20], outcomes: impl Iterator<Item = Outcome>) -> ProviderWindow {
    let mut samples = 0u32;
    let mut failures = 0u32;
    let mut rtts = Vec::new();
    for o in outcomes {
        samples = samples.saturating_add(1);
        match o {
            Outcome::Ok { rtt_us } => rtts.push(rtt_us),
            Outcome::Failed => failures = failures.saturating_add(1),
        }
    }
    rtts.sort_unstable();
    ProviderWindow {
        provider,
        samples,
        failures,
        p50_us: nearest_rank(&rtts, 50),
        p99_us: nearest_rank(&rtts, 99),
        max_us: rtts.last().copied().unwrap_or(0),
    }
}

/// The nearest-rank `pct`th percentile of `sorted` (the value at rank ⌈pct·n/100⌉); 0 when
/// empty. Integer arithmetic only: every validator computes the same value from the same data.
pub fn nearest_rank(sorted: &[u32], pct: u32) -> u32 {
    let n = sorted.len();
    if n == 0 {
        return 0;
    }
    let pct = pct.clamp(1, 100) as usize;
    let rank = (pct * n).div_ceil(100).max(1);
    sorted[rank.min(n) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::ProbeSource;

    const A: [u8; 20] = [1; 20];
    const B: [u8; 20] = [2; 20];
    const C: [u8; 20] = [3; 20];

    fn book(samples: usize, age: Option<u64>, receipts: usize, scale: u64) -> ProbeBook {
        ProbeBook::new(BookConfig {
            window_samples: samples,
            window_age: age.map(Duration::from_secs),
            max_receipts: receipts,
            fault: ReportFault {
                scale_ppm: scale,
                ..Default::default()
            },
            validator: None,
        })
    }

    fn receipt(provider: [u8; 20], nonce: u64) -> Receipt {
        Receipt {
            provider: pol_inference::receipt::format_address(&provider),
            nonce,
            ..Default::default()
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), 0);
        assert_eq!(nearest_rank(&[7], 50), 7);
        assert_eq!(nearest_rank(&[7], 99), 7);
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 50), 2);
        assert_eq!(nearest_rank(&[1, 2, 3, 4, 5], 50), 3);
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(nearest_rank(&v, 50), 50);
        assert_eq!(nearest_rank(&v, 99), 99);
        assert_eq!(nearest_rank(&v, 100), 100);
        let v: Vec<u32> = (1..=1000).collect();
        assert_eq!(nearest_rank(&v, 99), 990);
        // 10 samples: p99 is the largest (rank ⌈9.9⌉ = 10).
        let v: Vec<u32> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 99), 10);
    }

    #[test]
    fn window_counts_failures_and_ignores_them_in_percentiles() {
        let b = book(100, None, 0, 0);
        let t = Instant::now();
        for rtt in [300u32, 100, 200] {
            b.record(A, Outcome::Ok { rtt_us: rtt }, t);
        }
        b.record(A, Outcome::Failed, t);
        b.record(B, Outcome::Failed, t);
        let w = b.windows_at(t);
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0],
            ProviderWindow {
                provider: A,
                samples: 4,
                failures: 1,
                p50_us: 200,
                p99_us: 300,
                max_us: 300,
            }
        );
        assert_eq!(
            w[1],
            ProviderWindow {
                provider: B,
                samples: 1,
                failures: 1,
                p50_us: 0,
                p99_us: 0,
                max_us: 0,
            }
        );
    }

    #[test]
    fn window_is_bounded_by_count_and_by_age() {
        let b = book(3, Some(10), 0, 0);
        let t0 = Instant::now();
        // Count bound: the 1000 µs result falls out when the fourth arrives.
        for (i, rtt) in [1000u32, 10, 20, 30].into_iter().enumerate() {
            b.record(
                A,
                Outcome::Ok { rtt_us: rtt },
                t0 + Duration::from_secs(i as u64),
            );
        }
        let w = &b.windows_at(t0 + Duration::from_secs(3))[0];
        assert_eq!((w.samples, w.max_us), (3, 30));
        // Age bound: at t0+12 s the result of t0+1 s is older than 10 s.
        let w = &b.windows_at(t0 + Duration::from_secs(12))[0];
        assert_eq!((w.samples, w.p50_us, w.max_us), (2, 20, 30));
        // Everything aged out: the provider stays, with an empty window.
        let w = &b.windows_at(t0 + Duration::from_secs(60))[0];
        assert_eq!((w.samples, w.failures, w.p99_us), (0, 0, 0));
    }

    #[test]
    fn retain_forgets_providers_and_their_receipts() {
        let b = book(10, None, 10, 0);
        let t = Instant::now();
        b.record(A, Outcome::Failed, t);
        b.record(B, Outcome::Failed, t);
        b.push_receipt(A, receipt(A, 1));
        b.push_receipt(B, receipt(B, 2));
        b.retain(&[B].into_iter().collect());
        let w = b.windows_at(t);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].provider, B);
        assert_eq!(b.receipt_count(), 1);
        assert_eq!(b.take_receipts(10), vec![receipt(B, 2)]);
    }

    #[test]
    fn fault_scale_multiplies_reported_latencies_only() {
        let t = Instant::now();
        for (scale, want) in [(0u64, [100u32, 200, 200]), (3_000_000, [300, 600, 600])] {
            let b = book(10, None, 0, scale);
            b.record(A, Outcome::Ok { rtt_us: 100 }, t);
            b.record(A, Outcome::Ok { rtt_us: 200 }, t);
            b.record(A, Outcome::Failed, t);
            let w = &b.windows_at(t)[0];
            assert_eq!([w.p50_us, w.p99_us, w.max_us], want);
            assert_eq!((w.samples, w.failures), (3, 1));
        }
        let b = book(10, None, 0, 500_000);
        b.record(A, Outcome::Ok { rtt_us: 1001 }, t);
        assert_eq!(b.windows_at(t)[0].p50_us, 500);
        assert_eq!(scale(u32::MAX, 2_000_000), u32::MAX);
    }

    #[test]
    fn evidence_is_kept_spaced_bounded_and_found_by_signing_time() {
        use rand::SeedableRng;
        let me = [9u8; 20];
        let b = ProbeBook::new(BookConfig {
            window_samples: 10,
            window_age: None,
            max_receipts: 0,
            fault: Default::default(),
            validator: Some(me),
        });
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let (salt, nonce) = b.next_nonce(&mut rng);
        let salt = salt.expect("a validator's nonces have salts");
        assert_eq!(nonce, pol_latency::evidence::probe_nonce(&me, salt));
        let at = |t: u64| Receipt {
            worker_time_ms: t,
            ..receipt(A, t)
        };
        // 1,000 probes 100 ms apart: kept at least 1 s apart, at most 64.
        for i in 0..1000u64 {
            b.push_evidence(A, salt, at(1_000 + 100 * i));
        }
        let found = |lo, hi| {
            b.evidence_between(&A, lo, hi)
                .and_then(|e| e.receipt)
                .map(|r| r.worker_time_ms)
        };
        assert_eq!(found(0, u64::MAX), Some(100_000));
        // The newest signed no later than the bound.
        assert_eq!(found(0, 100_000), Some(100_000));
        assert_eq!(found(0, 99_999), Some(99_000));
        // The oldest 36 are gone.
        assert_eq!(found(0, 36_999), None);
        assert_eq!(found(0, 37_000), Some(37_000));
        let s = b.state.lock();
        let kept = &s.evidence[&A];
        assert_eq!(kept.len(), EVIDENCE_PER_PROVIDER);
        assert!(kept.iter().zip(kept.iter().skip(1)).all(|(x, y)| {
            let t = |e: &ProbeEvidence| e.receipt.as_ref().unwrap().worker_time_ms;
            t(y) >= t(x) + EVIDENCE_SPACING_MS
        }));
        drop(s);
        // A node that is not a validator: random nonces, nothing to keep.
        let plain = book(10, None, 0, 0);
        assert_eq!(plain.next_nonce(&mut rng).0, None);
    }

    #[test]
    fn fault_added_and_random_latencies_keep_reports_sane() {
        let t = Instant::now();
        let with = |fault: ReportFault| {
            let b = ProbeBook::new(BookConfig {
                window_samples: 10,
                window_age: None,
                max_receipts: 0,
                fault,
                validator: None,
            });
            b.record(A, Outcome::Ok { rtt_us: 100 }, t);
            b.record(A, Outcome::Ok { rtt_us: 200 }, t);
            b.record(B, Outcome::Failed, t);
            b.windows_at(t)
        };
        let w = with(ReportFault {
            added_us: 50_000,
            ..Default::default()
        });
        assert_eq!(
            [w[0].p50_us, w[0].p99_us, w[0].max_us],
            [50_100, 50_200, 50_200]
        );
        // A provider that answered nothing stays a provider that answered nothing.
        assert_eq!([w[1].p50_us, w[1].p99_us, w[1].max_us], [0, 0, 0]);
        let mut seen = BTreeSet::new();
        for _ in 0..20 {
            let w = with(ReportFault {
                random_below_us: 1_000_000,
                ..Default::default()
            });
            assert!(w[0].p50_us <= w[0].p99_us && w[0].p99_us == w[0].max_us);
            assert!(w[0].p99_us < 1_000_000);
            assert_eq!(w[1].p99_us, 0);
            seen.insert(w[0].p99_us);
        }
        assert!(seen.len() > 10, "not random: {seen:?}");
    }

    #[test]
    fn receipts_go_round_robin_and_only_once() {
        let b = book(10, None, 100, 0);
        for n in 0..3 {
            b.push_receipt(A, receipt(A, n));
        }
        b.push_receipt(B, receipt(B, 10));
        for n in 20..22 {
            b.push_receipt(C, receipt(C, n));
        }
        let nonces = |v: Vec<Receipt>| v.into_iter().map(|r| r.nonce).collect::<Vec<_>>();
        assert_eq!(nonces(b.take_receipts(4)), vec![0, 10, 20, 1]);
        // The next call resumes after A, where the last one stopped.
        assert_eq!(nonces(b.take_receipts(1)), vec![21]);
        assert_eq!(nonces(b.take_receipts(10)), vec![2]);
        assert!(b.take_receipts(10).is_empty());
        assert_eq!(b.receipt_count(), 0);
        // Through the trait ExtendVote uses.
        b.push_receipt(B, receipt(B, 11));
        let src: &dyn ProbeSource = &b;
        assert_eq!(src.take_receipts(0), vec![]);
        assert_eq!(nonces(src.take_receipts(5)), vec![11]);
    }

    #[test]
    fn receipt_queue_is_bounded_and_evicts_from_the_fullest_provider() {
        let b = book(10, None, 4, 0);
        for n in 0..4 {
            b.push_receipt(A, receipt(A, n));
        }
        b.push_receipt(B, receipt(B, 10));
        assert_eq!(b.receipt_count(), 4);
        let got: Vec<_> = b.take_receipts(10).into_iter().map(|r| r.nonce).collect();
        // A's oldest went; B's only receipt stayed.
        assert_eq!(got, vec![1, 10, 2, 3]);
        let none = book(10, None, 0, 0);
        none.push_receipt(A, receipt(A, 1));
        assert_eq!(none.receipt_count(), 0);
    }
}
