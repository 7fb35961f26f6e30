//! The probe task: one paced loop per provider on the tokio runtime, under a global
//! concurrency bound, each probe under a timeout, so a provider that hangs only slows its
//! own loop. A supervisor re-reads the provider list every `refresh_ms`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pol_inference::pb::Receipt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

use super::book::{Outcome, ProbeBook};
use super::corpus::Corpus;
use super::pay::{ProbePay, ProbePayer};
use super::targets::{Target, TargetSource};
use super::{check_answer, Expected, ProbeFailure};
use crate::config::ProbeConfig;
use pol_worker_api::{worker_client::WorkerClient, InferRequest};

/// Timing of the probe task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeTiming {
    /// Mean pause between the end of one probe of a provider and the start of the next;
    /// each pause is drawn uniformly from ½× to 1½× so probes do not tick like a clock.
    pub interval: Duration,
    pub timeout: Duration,
    pub refresh: Duration,
    pub max_concurrency: usize,
    /// Follow the chain's `probe_interval_ms` / `probe_timeout_ms` (app.toml left them 0).
    pub chain_interval: bool,
    pub chain_timeout: bool,
}

impl ProbeTiming {
    /// From app.toml; values left at 0 start at the chain's defaults and follow the chain's
    /// parameters once the task reads them.
    pub fn from_config(c: &ProbeConfig) -> Self {
        let chain = pol_latency::pb::Params::DEFAULT;
        let or_chain = |ms: u64, default: u32| {
            Duration::from_millis(if ms == 0 { default.into() } else { ms })
        };
        ProbeTiming {
            interval: or_chain(c.interval_ms, chain.probe_interval_ms),
            timeout: or_chain(c.timeout_ms, chain.probe_timeout_ms),
            refresh: Duration::from_millis(c.refresh_ms),
            max_concurrency: c.max_concurrency.max(1),
            chain_interval: c.interval_ms == 0,
            chain_timeout: c.timeout_ms == 0,
        }
    }

    /// This timing with the chain's rate and timeout where it follows them.
    fn with_chain(&self, (interval_ms, timeout_ms): (u64, u64)) -> Self {
        let mut t = self.clone();
        if t.chain_interval {
            t.interval = Duration::from_millis(interval_ms.max(10));
        }
        if t.chain_timeout {
            t.timeout = Duration::from_millis(timeout_ms.max(1));
        }
        t
    }
}

/// Starts probing the providers `source` lists into `book`, until `shutdown` turns true.
/// `chain_id` is what every receipt must name; probe inputs come from `corpus`, their
/// payments from `payer`.
pub fn spawn(
    mut timing: ProbeTiming,
    chain_id: String,
    corpus: Arc<Corpus>,
    source: Arc<dyn TargetSource>,
    payer: Arc<dyn ProbePayer>,
    book: Arc<ProbeBook>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let chain_id: Arc<str> = chain_id.into();
        let permits = Arc::new(ProbePermits::new(timing.max_concurrency));
        let mut running: BTreeMap<[u8; 20], (Target, JoinHandle<()>)> = BTreeMap::new();
        loop {
            let src = source.clone();
            match tokio::task::spawn_blocking(move || (src.targets(), src.chain_timing())).await {
                Ok((Ok(list), chain)) => {
                    // The chain changed its probe rate or timeout: every loop restarts on it.
                    if let Some(next) = chain.map(|c| timing.with_chain(c)) {
                        if next != timing {
                            tracing::info!(
                                interval_ms = next.interval.as_millis() as u64,
                                timeout_ms = next.timeout.as_millis() as u64,
                                "probe: following the chain's probe timing"
                            );
                            for (_, (_, handle)) in std::mem::take(&mut running) {
                                handle.abort();
                            }
                            timing = next;
                        }
                    }
                    let keep: BTreeSet<[u8; 20]> = list.iter().map(|t| t.provider).collect();
                    running.retain(|p, (old, handle)| {
                        // A provider that left, or changed endpoint, key or models, restarts.
                        let stays = list.iter().any(|t| t.provider == *p && t == old);
                        if !stays {
                            handle.abort();
                        }
                        stays
                    });
                    book.retain(&keep);
                    for t in list {
                        if running.contains_key(&t.provider) {
                            continue;
                        }
                        if t.models.iter().any(|m| !corpus.fits(&m.id, m.input_len)) {
                            tracing::debug!(
                                provider = %pol_inference::receipt::format_address(&t.provider),
                                "probe: a model without a fitting [probe.corpus] file gets \
                                 uniform inputs, which a provider can tell from traffic"
                            );
                        }
                        let handle = tokio::spawn(probe_loop(
                            t.clone(),
                            chain_id.clone(),
                            corpus.clone(),
                            payer.clone(),
                            book.clone(),
                            permits.clone(),
                            timing.clone(),
                        ));
                        running.insert(t.provider, (t, handle));
                    }
                    metrics::gauge!("pol_probe_providers").set(running.len() as f64);
                }
                Ok((Err(e), _)) => tracing::warn!("probe: reading the provider list: {e}"),
                Err(e) => tracing::warn!("probe: provider list reader failed: {e}"),
            }
            export_windows(&book);
            tokio::select! {
                _ = tokio::time::sleep(timing.refresh) => {}
                _ = shutdown.wait_for(|s| *s) => break,
            }
        }
        for (_, (_, handle)) in running {
            handle.abort();
        }
        tracing::info!("probe task stopped");
    })
}

/// Window gauges per provider (what the vote extension would report now).
fn export_windows(book: &ProbeBook) {
    for w in book.windows_at(Instant::now()) {
        let p = pol_inference::receipt::format_address(&w.provider);
        let secs = |us: u32| f64::from(us) / 1e6;
        metrics::gauge!("pol_probe_window_samples", "provider" => p.clone())
            .set(f64::from(w.samples));
        metrics::gauge!("pol_probe_window_failures", "provider" => p.clone())
            .set(f64::from(w.failures));
        metrics::gauge!("pol_probe_window_p50_seconds", "provider" => p.clone())
            .set(secs(w.p50_us));
        metrics::gauge!("pol_probe_window_p99_seconds", "provider" => p.clone())
            .set(secs(w.p99_us));
        metrics::gauge!("pol_probe_window_max_seconds", "provider" => p).set(secs(w.max_us));
    }
}

async fn probe_loop(
    target: Target,
    chain_id: Arc<str>,
    corpus: Arc<Corpus>,
    payer: Arc<dyn ProbePayer>,
    book: Arc<ProbeBook>,
    permits: Arc<ProbePermits>,
    timing: ProbeTiming,
) {
    let mut rng = StdRng::from_entropy();
    let label = pol_inference::receipt::format_address(&target.provider);
    // One long-lived connection, as a real client keeps; connected on first use.
    let channel = Endpoint::from_shared(target.endpoint.clone()).map(|e| {
        e.tcp_nodelay(true)
            .connect_timeout(timing.timeout)
            .connect_lazy()
    });
    if let Err(e) = &channel {
        tracing::warn!(provider = %label, endpoint = %target.endpoint, "probe: bad endpoint: {e}");
    }
    // Start at a random phase so providers are not probed in lockstep.
    tokio::time::sleep(jittered(&mut rng, timing.interval) / 2).await;
    let mut resolved: Option<(Instant, Result<(), String>)> = None;
    let mut timed_out = false;
    loop {
        if target.public_only {
            let fresh = resolved
                .as_ref()
                .is_some_and(|(at, _)| at.elapsed() < RESOLVE_EVERY);
            if !fresh {
                resolved = Some((Instant::now(), resolves_to_public(&target.endpoint).await));
            }
            if let Some((_, Err(why))) = &resolved {
                // Not measured at all: the chain only accepts public endpoints.
                tracing::warn!(provider = %label, endpoint = %target.endpoint, "probe: not probing: {why}");
                metrics::counter!("pol_probe_refused_endpoints_total", "provider" => label.clone())
                    .increment(1);
                tokio::time::sleep(RESOLVE_EVERY).await;
                continue;
            }
        }
        let Ok(permit) = permits.acquire(timed_out).await else {
            return;
        };
        let (salt, nonce) = book.next_nonce(&mut rng);
        let result = match &channel {
            Ok(ch) => {
                probe_once(
                    &mut rng,
                    nonce,
                    ch.clone(),
                    &target,
                    &chain_id,
                    &corpus,
                    payer.as_ref(),
                    timing.timeout,
                )
                .await
            }
            Err(e) => Err(ProbeFailure::Rpc(
                tonic::Code::InvalidArgument,
                e.to_string(),
            )),
        };
        drop(permit);
        timed_out = matches!(result, Err(ProbeFailure::Timeout));
        let now = Instant::now();
        match result {
            // Not paid for yet (the prober's channel is opening): nothing to count.
            Ok(None) => {}
            Ok(Some((rtt, receipt))) => {
                metrics::histogram!("pol_probe_latency_seconds", "provider" => label.clone())
                    .record(rtt.as_secs_f64());
                let rtt_us = u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX);
                book.record(target.provider, Outcome::Ok { rtt_us }, now);
                if let Some(salt) = salt {
                    book.push_evidence(target.provider, salt, receipt.clone());
                }
                book.push_receipt(target.provider, receipt);
            }
            Err(f) => {
                metrics::counter!(
                    "pol_probe_failures_total",
                    "provider" => label.clone(),
                    "reason" => f.reason()
                )
                .increment(1);
                tracing::debug!(provider = %label, "probe failed: {f}");
                book.record(target.provider, Outcome::Failed, now);
            }
        }
        tokio::time::sleep(jittered(&mut rng, timing.interval)).await;
    }
}

/// How long a check that an endpoint resolves to public addresses is trusted.
const RESOLVE_EVERY: Duration = Duration::from_secs(60);

/// Every address `endpoint`'s host resolves to is public.
async fn resolves_to_public(endpoint: &str) -> Result<(), String> {
    let host = pol_inference::endpoint::endpoint_host(endpoint)
        .ok_or_else(|| format!("{endpoint:?} has no host"))?;
    let port = endpoint
        .parse::<tonic::codegen::http::Uri>()
        .ok()
        .and_then(|u| u.port_u16())
        .unwrap_or(if endpoint.starts_with("https") {
            443
        } else {
            80
        });
    let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("resolving {host}: {e}"))?
        .collect();
    match addrs
        .iter()
        .find(|a| !pol_inference::endpoint::is_public_ip(a.ip()))
    {
        Some(a) => Err(format!(
            "{host} resolves to {}, not a public address",
            a.ip()
        )),
        None if addrs.is_empty() => Err(format!("{host} resolves to nothing")),
        None => Ok(()),
    }
}

/// The probe task's concurrency. Providers whose last probe timed out (black holes, or
/// ones gone down) draw from a small pool of their own, so that however many of them are
/// registered they hold at most that pool for their timeouts, and the responsive
/// providers keep their probe rate.
pub struct ProbePermits {
    responsive: Arc<Semaphore>,
    timing_out: Arc<Semaphore>,
}

impl ProbePermits {
    pub fn new(max_concurrency: usize) -> Self {
        let max = max_concurrency.max(1);
        ProbePermits {
            responsive: Arc::new(Semaphore::new(max)),
            timing_out: Arc::new(Semaphore::new((max / 8).max(1))),
        }
    }

    async fn acquire(
        &self,
        timed_out: bool,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, tokio::sync::AcquireError> {
        let pool = if timed_out {
            &self.timing_out
        } else {
            &self.responsive
        };
        pool.clone().acquire_owned().await
    }
}

/// Uniform in [½·d, 1½·d].
fn jittered(rng: &mut StdRng, d: Duration) -> Duration {
    let us = d.as_micros().min(u128::from(u64::MAX)) as u64;
    Duration::from_micros(rng.gen_range(us / 2..=us + us / 2))
}

/// One probe: a random model of the target, a traffic-like input (see [`Corpus`]), a
/// nonce that looks random (`nonce`: from the book, derived from this validator's address
/// and a secret salt), paid like traffic. `Ok(None)`: skipped, its payment is not ready.
#[allow(clippy::too_many_arguments)]
async fn probe_once(
    rng: &mut StdRng,
    nonce: u64,
    channel: Channel,
    target: &Target,
    chain_id: &str,
    corpus: &Corpus,
    payer: &dyn ProbePayer,
    timeout: Duration,
) -> Result<Option<(Duration, Receipt)>, ProbeFailure> {
    let model = &target.models[rng.gen_range(0..target.models.len())];
    let payment = match payer.pay(&target.provider, &model.id) {
        ProbePay::NotReady => return Ok(None),
        ProbePay::Unpaid => None,
        ProbePay::Paid(p) => Some(p),
    };
    let paid = payment.as_ref().map(|p| {
        (
            p.channel_id,
            pol_component::coins::parse_amount(&p.amount).unwrap_or(0),
        )
    });
    let input = corpus.input(rng, &model.id, model.input_len);
    let request = InferRequest {
        model_id: model.id.clone(),
        input: input.iter().map(|&x| x as u8).collect(),
        nonce,
        payment,
    };
    let mut client = WorkerClient::new(channel);
    let t0 = Instant::now();
    let answer = tokio::time::timeout(timeout, client.infer(request)).await;
    let rtt = t0.elapsed();
    let resp = match answer {
        Err(_) => return Err(ProbeFailure::Timeout),
        Ok(Err(status)) => {
            return Err(ProbeFailure::Rpc(
                status.code(),
                status.message().to_string(),
            ))
        }
        Ok(Ok(r)) => r.into_inner(),
    };
    let want = Expected {
        chain_id,
        provider: target.provider,
        receipt_pubkey: target.receipt_pubkey,
        model_id: &model.id,
        nonce,
        input: &input,
        output_len: model.output_len,
        payment: paid,
    };
    let receipt = check_answer(&want, &resp.logits, resp.class, resp.receipt)?;
    check_receipt_clock(receipt.worker_time_ms, wall_clock_ms())?;
    Ok(Some((rtt, receipt)))
}

/// How far a receipt's signing time may be from this validator's clock. A provider whose
/// receipts are stamped further off fails the probe: such receipts could not back anyone's
/// reports (`pol_latency::evidence`), and the chain could not age them.
const MAX_RECEIPT_CLOCK_SKEW_MS: u64 = 30_000;

fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn check_receipt_clock(worker_time_ms: u64, now_ms: u64) -> Result<(), ProbeFailure> {
    if worker_time_ms.abs_diff(now_ms) > MAX_RECEIPT_CLOCK_SKEW_MS {
        return Err(ProbeFailure::Mismatch {
            field: "worker_time_ms",
            got: worker_time_ms.to_string(),
            want: format!("within {MAX_RECEIPT_CLOCK_SKEW_MS} ms of {now_ms}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_inputs_look_like_digit_pixels() {
        let mut rng = StdRng::seed_from_u64(3);
        let x = Corpus::default().input(&mut rng, "any", 64 * 100);
        assert_eq!(x.len(), 6400);
        assert!(x.iter().all(|&v| (0..=16).contains(&v)));
        // Every pixel value shows up: not a constant or marked pattern.
        let distinct: BTreeSet<i8> = x.iter().copied().collect();
        assert_eq!(distinct.len(), 17);
    }

    #[test]
    fn receipts_stamped_far_from_our_clock_fail_the_probe() {
        let now = 1_700_000_000_000;
        assert!(check_receipt_clock(now, now).is_ok());
        assert!(check_receipt_clock(now + 30_000, now).is_ok());
        assert!(check_receipt_clock(now - 30_000, now).is_ok());
        assert!(check_receipt_clock(now + 30_001, now).is_err());
        assert!(check_receipt_clock(now - 30_001, now).is_err());
        assert!(check_receipt_clock(0, now).is_err());
    }

    #[test]
    fn jitter_stays_within_half_to_one_and_a_half() {
        let mut rng = StdRng::seed_from_u64(4);
        let d = Duration::from_millis(500);
        for _ in 0..1000 {
            let j = jittered(&mut rng, d);
            assert!(j >= Duration::from_millis(250) && j <= Duration::from_millis(750));
        }
    }

    /// Accepts TCP and never speaks HTTP/2 (a black hole).
    async fn hanging_endpoint() -> std::net::SocketAddr {
        let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = hang.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = hang.accept().await {
                held.push(s);
            }
        });
        addr
    }

    /// Bound, then closed: connections are refused at once.
    fn refusing_endpoint() -> std::net::SocketAddr {
        let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = refused.local_addr().unwrap();
        drop(refused);
        addr
    }

    fn target(b: u8, addr: std::net::SocketAddr, public_only: bool) -> Target {
        use super::super::targets::ProbeModel;
        Target {
            provider: [b; 20],
            endpoint: format!("http://{addr}"),
            receipt_pubkey: [b; 32],
            models: vec![ProbeModel {
                id: "m".into(),
                input_len: 4,
                output_len: 2,
            }],
            public_only,
        }
    }

    /// Probes `targets` (20 ms interval, 300 ms timeout) for `run`; the windows, in
    /// provider order.
    async fn probe_for(
        targets: Vec<Target>,
        max_concurrency: usize,
        run: Duration,
    ) -> Vec<pol_latency::ProviderWindow> {
        use super::super::book::BookConfig;
        use super::super::targets::StaticTargets;
        let book = Arc::new(ProbeBook::new(BookConfig {
            window_samples: 1000,
            window_age: None,
            max_receipts: 8,
            fault: Default::default(),
            validator: None,
        }));
        let (stop_tx, stop_rx) = watch::channel(false);
        let handle = spawn(
            ProbeTiming {
                interval: Duration::from_millis(20),
                timeout: Duration::from_millis(300),
                refresh: Duration::from_millis(100),
                max_concurrency,
                chain_interval: false,
                chain_timeout: false,
            },
            "pol-test-1".into(),
            Arc::new(Corpus::default()),
            Arc::new(StaticTargets(targets)),
            Arc::new(super::super::pay::NoPayment),
            book.clone(),
            stop_rx,
        );
        tokio::time::sleep(run).await;
        let w = book.windows_at(Instant::now());
        assert_eq!(book.receipt_count(), 0);
        stop_tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(2), handle)
            .await
            .expect("the probe task stops on shutdown")
            .unwrap();
        w
    }

    /// A provider whose endpoint accepts connections and never answers times out, and one
    /// whose endpoint refuses connections fails; neither stalls the other's loop.
    #[tokio::test]
    async fn hanging_and_refusing_providers_fail_independently() {
        let targets = vec![
            target(1, hanging_endpoint().await, false),
            target(2, refusing_endpoint(), false),
        ];
        let w = probe_for(targets, 4, Duration::from_millis(1200)).await;
        assert_eq!(w.len(), 2, "{w:?}");
        let (hung, refusing) = (&w[0], &w[1]);
        // The hanging one gets about one probe per timeout; the refusing one many more.
        assert!(
            hung.samples >= 1 && hung.samples == hung.failures,
            "{hung:?}"
        );
        assert!(refusing.samples >= 5, "{refusing:?}");
        assert_eq!(refusing.samples, refusing.failures);
        assert!(refusing.samples > 2 * hung.samples, "{w:?}");
    }

    /// Attack: register many black-hole endpoints so that they hold every probe permit for
    /// their timeouts and the other providers go unprobed. Those timing out share a pool of
    /// their own (1 permit of 4 here): the responsive provider keeps its rate. With one
    /// shared pool it got about one probe per (12 / 4) timeouts, under 10 in 3 s.
    #[tokio::test]
    async fn black_hole_providers_do_not_starve_the_others() {
        let mut targets = Vec::new();
        for b in 1..=12 {
            targets.push(target(b, hanging_endpoint().await, false));
        }
        targets.push(target(13, refusing_endpoint(), false));
        let w = probe_for(targets, 4, Duration::from_millis(3000)).await;
        let answering = w.iter().find(|w| w.provider == [13; 20]).unwrap();
        assert!(answering.samples >= 30, "{answering:?}");
        let hung: u64 = w
            .iter()
            .filter(|w| w.provider != [13; 20])
            .map(|w| u64::from(w.samples))
            .sum();
        // After their first timeouts, the twelve share one permit: about 10 probes in all.
        assert!(hung <= 30, "{hung} probes of black holes: {w:?}");
    }

    /// Attack (or just load): flood a validator with queries so that its probes wait behind
    /// them and it reports providers slower than they are. Probes run on a runtime of their
    /// own: with every thread of the node's runtime busy for a second, they keep their rate.
    /// (Spawned on the node's runtime they recorded nothing for that second.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn probes_keep_their_rate_while_the_node_runtime_is_busy() {
        use super::super::book::BookConfig;
        use super::super::runtime::ProbeRuntime;
        use super::super::targets::StaticTargets;
        let book = Arc::new(ProbeBook::new(BookConfig {
            window_samples: 10_000,
            window_age: None,
            max_receipts: 8,
            fault: Default::default(),
            validator: None,
        }));
        let (stop_tx, stop_rx) = watch::channel(false);
        let runtime = ProbeRuntime::new(1).unwrap();
        let target = target(1, refusing_endpoint(), false);
        let handle = runtime.enter(|| {
            spawn(
                ProbeTiming {
                    interval: Duration::from_millis(20),
                    timeout: Duration::from_millis(300),
                    refresh: Duration::from_millis(100),
                    max_concurrency: 4,
                    chain_interval: false,
                    chain_timeout: false,
                },
                "pol-test-1".into(),
                Arc::new(Corpus::default()),
                Arc::new(StaticTargets(vec![target])),
                Arc::new(super::super::pay::NoPayment),
                book.clone(),
                stop_rx,
            )
        });
        let samples = || {
            book.windows_at(Instant::now())
                .first()
                .map_or(0, |w| w.samples)
        };
        std::thread::sleep(Duration::from_millis(300));
        let before = samples();
        // The node runtime's only thread is taken for a second (a synchronous query).
        tokio::spawn(async { std::thread::sleep(Duration::from_secs(1)) });
        std::thread::sleep(Duration::from_millis(1000));
        let during = samples() - before;
        assert!(
            during >= 10,
            "{during} probes while the node runtime was busy"
        );
        stop_tx.send(true).unwrap();
        let _ = tokio::time::timeout(Duration::from_secs(2), handle).await;
    }

    /// On a chain without private endpoints, a target whose host resolves to a private
    /// address is never probed (nothing is recorded for it); one allowed is.
    #[tokio::test]
    async fn endpoints_resolving_to_private_addresses_are_not_probed_on_a_public_chain() {
        let targets = vec![
            target(1, refusing_endpoint(), true),
            target(2, refusing_endpoint(), false),
        ];
        let w = probe_for(targets, 4, Duration::from_millis(600)).await;
        assert!(w.iter().all(|w| w.provider != [1; 20]), "{w:?}");
        assert!(
            w.iter().any(|w| w.provider == [2; 20] && w.samples > 0),
            "{w:?}"
        );
    }

    #[test]
    fn timing_follows_the_chain_unless_app_toml_sets_it() {
        let mut c = ProbeConfig::default();
        let follow = ProbeTiming::from_config(&c);
        assert_eq!(follow.interval, Duration::from_millis(500));
        assert_eq!(follow.timeout, Duration::from_millis(2_000));
        let chain = follow.with_chain((250, 900));
        assert_eq!(
            (chain.interval, chain.timeout),
            (Duration::from_millis(250), Duration::from_millis(900))
        );
        c.interval_ms = 100;
        let fixed = ProbeTiming::from_config(&c).with_chain((250, 900));
        assert_eq!(
            (fixed.interval, fixed.timeout),
            (Duration::from_millis(100), Duration::from_millis(900))
        );
    }
}
