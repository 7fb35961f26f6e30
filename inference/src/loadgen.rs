//! Load generator for `Infer` (`pol-worker loadgen`).
//!
//! Open loop: a pacing OS thread (microsecond sleeps, not tokio's millisecond timer) issues
//! requests at the offered rate; each latency is measured from the request's *intended*
//! send time, so a stalled server cannot hide its queueing (no coordinated omission).
//! Closed loop: N concurrent callers back to back, for the maximum throughput.
//! Optionally keeps the prover pool busy with `Prove` calls during the whole run.

use crate::proto::{worker_client::WorkerClient, InferRequest, ProveRequest};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::transport::Channel;

/// Result of one run.
#[derive(Debug, Clone)]
pub struct RunStats {
    pub label: String,
    pub offered_rps: Option<f64>,
    pub achieved_rps: f64,
    pub ok: u64,
    pub errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

impl RunStats {
    pub fn header() -> &'static str {
        "| run | offered req/s | achieved req/s | ok | errors | p50 | p99 | p99.9 | max |\n|---|---|---|---|---|---|---|---|---|"
    }
    pub fn row(&self) -> String {
        let ms = |us: u64| format!("{:.3} ms", us as f64 / 1000.0);
        format!(
            "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} |",
            self.label,
            self.offered_rps
                .map(|r| format!("{r:.0}"))
                .unwrap_or_else(|| "closed loop".into()),
            self.achieved_rps,
            self.ok,
            self.errors,
            ms(self.p50_us),
            ms(self.p99_us),
            ms(self.p999_us),
            ms(self.max_us)
        )
    }
}

/// Inputs to cycle through.
pub type Inputs = Arc<Vec<Vec<u8>>>;

/// Opens `n` HTTP/2 connections.
pub async fn connect(target: &str, n: usize) -> Result<Vec<Channel>, String> {
    let endpoint = tonic::transport::Endpoint::from_shared(target.to_string())
        .map_err(|e| format!("bad target {target:?}: {e}"))?
        .tcp_nodelay(true);
    let mut out = Vec::with_capacity(n.max(1));
    for _ in 0..n.max(1) {
        out.push(
            endpoint
                .connect()
                .await
                .map_err(|e| format!("connecting to {target}: {e}"))?,
        );
    }
    Ok(out)
}

struct Shared {
    hist: Mutex<Histogram<u64>>,
    ok: AtomicU64,
    errors: AtomicU64,
}

impl Shared {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            hist: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("static bounds")),
            ok: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        })
    }
    fn record(&self, ok: bool, since: Instant) {
        if ok {
            let us = since.elapsed().as_micros().max(1) as u64;
            if let Ok(mut h) = self.hist.lock() {
                let _ = h.record(us.min(60_000_000));
            }
            self.ok.fetch_add(1, Ordering::Relaxed);
        } else {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn stats(&self, label: String, offered: Option<f64>, elapsed: Duration) -> RunStats {
        let h = self
            .hist
            .lock()
            .map(|h| h.clone())
            .unwrap_or_else(|e| e.into_inner().clone());
        let ok = self.ok.load(Ordering::Relaxed);
        RunStats {
            label,
            offered_rps: offered,
            achieved_rps: ok as f64 / elapsed.as_secs_f64(),
            ok,
            errors: self.errors.load(Ordering::Relaxed),
            p50_us: h.value_at_quantile(0.5),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }
}

async fn one_call(
    client: &mut WorkerClient<Channel>,
    model: &str,
    input: &[u8],
    nonce: u64,
    payment: Option<pol_payments::pb::Payment>,
) -> bool {
    client
        .infer(InferRequest {
            model_id: model.to_string(),
            input: input.to_vec(),
            nonce,
            payment,
        })
        .await
        .is_ok()
}

/// Payments signed ahead, one per request in order (request `i` sends the `i`-th), so a
/// paid run measures the worker's check, not the client's signing.
pub type Payments = Arc<Vec<pol_payments::pb::Payment>>;

/// Offers `rate` requests per second for `duration`.
pub async fn open_loop(
    channels: &[Channel],
    model: &str,
    inputs: Inputs,
    rate: f64,
    duration: Duration,
) -> RunStats {
    open_loop_paid(channels, model, inputs, rate, duration, None).await
}

/// [`open_loop`], each request carrying the next of `payments` (none when they run out).
pub async fn open_loop_paid(
    channels: &[Channel],
    model: &str,
    inputs: Inputs,
    rate: f64,
    duration: Duration,
    payments: Option<Payments>,
) -> RunStats {
    let shared = Shared::new();
    let handle = tokio::runtime::Handle::current();
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let chans: Vec<Channel> = channels.to_vec();
    let model = model.to_string();
    let sh = shared.clone();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<Vec<tokio::task::JoinHandle<()>>>();
    let start = Instant::now();
    std::thread::Builder::new()
        .name("loadgen-pacer".into())
        .spawn(move || {
            let mut tasks = Vec::with_capacity(total as usize);
            for i in 0..total {
                let intended = start + interval.mul_f64(i as f64);
                let now = Instant::now();
                if intended > now {
                    std::thread::sleep(intended - now);
                }
                let mut client = WorkerClient::new(chans[i as usize % chans.len()].clone());
                let input = inputs[i as usize % inputs.len()].clone();
                let model = model.clone();
                let sh = sh.clone();
                let payment = payments.as_ref().and_then(|p| p.get(i as usize).cloned());
                tasks.push(handle.spawn(async move {
                    let ok = one_call(&mut client, &model, &input, i, payment).await;
                    sh.record(ok, intended);
                }));
            }
            let _ = done_tx.send(tasks);
        })
        .expect("spawning the pacer thread");
    if let Ok(tasks) = done_rx.await {
        for t in tasks {
            let _ = t.await;
        }
    }
    let elapsed = start.elapsed();
    shared.stats(format!("open {rate:.0}/s"), Some(rate), elapsed)
}

/// `concurrency` callers back to back for `duration`.
pub async fn closed_loop(
    channels: &[Channel],
    model: &str,
    inputs: Inputs,
    concurrency: usize,
    duration: Duration,
) -> RunStats {
    let shared = Shared::new();
    let start = Instant::now();
    let stop_at = start + duration;
    let mut tasks = Vec::new();
    for w in 0..concurrency.max(1) {
        let mut client = WorkerClient::new(channels[w % channels.len()].clone());
        let inputs = inputs.clone();
        let model = model.to_string();
        let sh = shared.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = w as u64;
            while Instant::now() < stop_at {
                let t = Instant::now();
                let ok = one_call(
                    &mut client,
                    &model,
                    &inputs[i as usize % inputs.len()],
                    i,
                    None,
                )
                .await;
                sh.record(ok, t);
                i += concurrency as u64;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    shared.stats(format!("closed x{concurrency}"), None, start.elapsed())
}

/// Keeps `n` `Prove` calls in flight until `stop` is set; returns the end-to-end times of
/// the proofs that finished, and the first error if proving is not available.
pub async fn prove_background(
    channel: Channel,
    model: String,
    input: Vec<u8>,
    n: usize,
    stop: Arc<AtomicBool>,
) -> Result<Vec<Duration>, tonic::Status> {
    let mut client = WorkerClient::new(channel);
    let receipt = client
        .infer(InferRequest {
            model_id: model,
            input,
            nonce: u64::MAX,
            payment: None,
        })
        .await?
        .into_inner()
        .receipt;
    let times = Arc::new(Mutex::new(Vec::new()));
    let first_err: Arc<Mutex<Option<tonic::Status>>> = Arc::new(Mutex::new(None));
    let mut tasks = Vec::new();
    for _ in 0..n.max(1) {
        let mut client = client.clone();
        let receipt = receipt.clone();
        let stop = stop.clone();
        let times = times.clone();
        let first_err = first_err.clone();
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                match client
                    .prove(ProveRequest {
                        receipt: receipt.clone(),
                    })
                    .await
                {
                    Ok(_) => {
                        if let Ok(mut v) = times.lock() {
                            v.push(t.elapsed());
                        }
                    }
                    Err(e) if e.code() == tonic::Code::ResourceExhausted => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => {
                        if let Ok(mut f) = first_err.lock() {
                            f.get_or_insert(e);
                        }
                        return;
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    if let Some(e) = first_err.lock().ok().and_then(|mut f| f.take()) {
        return Err(e);
    }
    let v = times.lock().map(|v| v.clone()).unwrap_or_default();
    Ok(v)
}
