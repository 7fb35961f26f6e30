//! What checking payments costs the worker: `Infer` latency at a fixed offered rate with
//! and without a payment on every request, side by side in one run (alternating, repeated,
//! medians reported). The paid worker checks every payment against a chain held in memory
//! (16 channels), takes it and journals it to a file before answering, as in production;
//! payments are signed before the run, so the numbers are the worker's cost alone.
//!
//! `cargo bench -p pol-worker --bench payments` (env: `POL_BENCH_RATE` req/s, default 1000;
//! `POL_BENCH_SECS` per run, default 5; `POL_BENCH_REPEATS`, default 3; `POL_BENCH_DEVICE`
//! `cpu` | `reference`, default `cpu`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use pol_payments::pb::{self, ChannelState};
use pol_payments::SignedPayment;
use pol_proofs::model::Model;
use pol_worker::batcher::BatchConfig;
use pol_worker::engine::{make_engine, DeviceChoice};
use pol_worker::loadgen::{self, RunStats};
use pol_worker::payments::{ChainView, ChannelSource, PaymentGate, PaymentsConfig};
use pol_worker::pool::PoolConfig;
use pol_worker::server::{self, ModelSpec, WorkerOptions, WorkerState};

const CHAIN: &str = "pol-bench-1";
const MODEL: &str = "digits-64-32-10";
const PROVIDER: [u8; 20] = [7; 20];
const CHANNELS: u64 = 16;
const PRICE: u128 = 10;
const ROYALTY: u128 = 3;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn signer() -> SigningKey {
    SigningKey::from_bytes(&[4; 32])
}

/// Every channel open, funded far beyond the run, far from expiry.
struct MemoryChain;

fn channel(id: u64) -> pb::Channel {
    pb::Channel {
        id,
        requester: pol_inference::receipt::format_address(&[3; 20]),
        provider: pol_inference::receipt::format_address(&PROVIDER),
        model_id: MODEL.into(),
        signer: signer().verifying_key().to_bytes().to_vec(),
        denom: "upol".into(),
        deposit: u128::MAX.to_string(),
        claimed: "0".into(),
        claimed_royalty: "0".into(),
        expiry_height: u64::MAX,
        state: ChannelState::Open as i32,
        ..Default::default()
    }
}

#[tonic::async_trait]
impl ChannelSource for MemoryChain {
    async fn channel(&self, id: u64) -> Result<(Option<pb::Channel>, u64), String> {
        Ok(((1..=CHANNELS).contains(&id).then(|| channel(id)), 1))
    }
    async fn provider_channels(&self) -> Result<(Vec<pb::Channel>, u64), String> {
        Ok(((1..=CHANNELS).map(channel).collect(), 1))
    }
    async fn prices(&self, models: &[String]) -> Result<(u128, BTreeMap<String, u128>), String> {
        Ok((PRICE, models.iter().map(|m| (m.clone(), ROYALTY)).collect()))
    }
}

async fn start_worker(
    paid: bool,
    device: &DeviceChoice,
    journal: &std::path::Path,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/digits-64-32-10.polm");
    let model = Arc::new(Model::from_bytes(&std::fs::read(path).unwrap()).unwrap());
    let mut state = WorkerState::new(
        WorkerOptions {
            chain_id: CHAIN.into(),
            provider: PROVIDER,
            key: SigningKey::from_bytes(&[9; 32]),
            batching: BatchConfig {
                max_batch: 64,
                window: Duration::from_micros(100),
                queue_capacity: 4096,
            },
            pool: PoolConfig {
                threads: 1,
                max_pending: 1,
                nice: 0,
                ..Default::default()
            },
            record_window: Duration::from_secs(60),
            max_records: 100_000,
        },
        vec![ModelSpec {
            id: MODEL.into(),
            model: model.clone(),
            engine: make_engine(model, device).unwrap(),
            file_sha256: String::new(),
        }],
        None,
    )
    .unwrap();
    if paid {
        let view = ChainView::new(Some(Arc::new(MemoryChain)), vec![MODEL.into()]);
        view.refresh().await.unwrap();
        let config = PaymentsConfig {
            required: true,
            ..Default::default()
        };
        state.payments = Some(Arc::new(
            PaymentGate::new(CHAIN, PROVIDER, config, view, journal).unwrap(),
        ));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, Arc::new(state), 1 << 20, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// `n` payments over the channels in turn, each `PRICE + ROYALTY` beyond the channel's last,
/// starting after `done` rounds of earlier runs.
fn payments(n: usize, done: &mut BTreeMap<u64, u128>) -> Vec<pb::Payment> {
    let key = signer();
    (0..n as u64)
        .map(|i| {
            let id = 1 + i % CHANNELS;
            let k = done.entry(id).or_insert(0);
            *k += 1;
            SignedPayment::sign(CHAIN, id, *k * (PRICE + ROYALTY), *k * ROYALTY, &key)
                .unwrap()
                .to_proto()
        })
        .collect()
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let rate: f64 = env("POL_BENCH_RATE", 1000.0);
    let secs: u64 = env("POL_BENCH_SECS", 5);
    let repeats: usize = env("POL_BENCH_REPEATS", 3);
    let device: DeviceChoice = env::<String>("POL_BENCH_DEVICE", "cpu".into())
        .parse()
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let (free, _stop_free) = start_worker(false, &device, &dir.path().join("unused")).await;
        let (paid, _stop_paid) = start_worker(true, &device, &dir.path().join("payments.journal")).await;
        let inputs: loadgen::Inputs = Arc::new(
            (0..256u32)
                .map(|i| (0..64).map(|j| ((i * 7 + j * 3) % 17) as u8).collect())
                .collect(),
        );
        let free_ch = loadgen::connect(&free, 4).await.unwrap();
        let paid_ch = loadgen::connect(&paid, 4).await.unwrap();
        let mut signed = BTreeMap::new();
        // Warm both up (connections, engine threads, the paid worker's channel view).
        let warm = payments((rate as usize).max(1), &mut signed);
        loadgen::open_loop(&free_ch, MODEL, inputs.clone(), rate, Duration::from_secs(1)).await;
        loadgen::open_loop_paid(&paid_ch, MODEL, inputs.clone(), rate, Duration::from_secs(1), Some(Arc::new(warm))).await;
        let n = (rate * secs as f64).round() as usize;
        let mut rows: Vec<(bool, RunStats)> = Vec::new();
        for _ in 0..repeats {
            let s = loadgen::open_loop(&free_ch, MODEL, inputs.clone(), rate, Duration::from_secs(secs)).await;
            rows.push((false, s));
            let p = Arc::new(payments(n, &mut signed));
            let s = loadgen::open_loop_paid(&paid_ch, MODEL, inputs.clone(), rate, Duration::from_secs(secs), Some(p)).await;
            rows.push((true, s));
        }
        println!("Infer at {rate:.0} req/s offered, {secs} s per run, {repeats} runs each, device {device:?}\n");
        println!("{}", RunStats::header());
        for (paid, s) in &rows {
            let mut s = s.clone();
            s.label = format!("{} {}", if *paid { "paid" } else { "unpaid" }, s.label);
            println!("{}", s.row());
        }
        let pick = |paid: bool, f: fn(&RunStats) -> u64| {
            median(rows.iter().filter(|(p, _)| *p == paid).map(|(_, s)| f(s)).collect())
        };
        let (u50, p50) = (pick(false, |s| s.p50_us), pick(true, |s| s.p50_us));
        let (u99, p99) = (pick(false, |s| s.p99_us), pick(true, |s| s.p99_us));
        let errors: u64 = rows.iter().map(|(_, s)| s.errors).sum();
        println!("\n| median of runs | unpaid | paid | paid − unpaid |\n|---|---|---|---|");
        let ms = |us: u64| format!("{:.3} ms", us as f64 / 1000.0);
        let diff = |a: u64, b: u64| format!("{:+.3} ms", (b as f64 - a as f64) / 1000.0);
        println!("| p50 | {} | {} | {} |", ms(u50), ms(p50), diff(u50, p50));
        println!("| p99 | {} | {} | {} |", ms(u99), ms(p99), diff(u99, p99));
        println!("\nerrors (all runs): {errors}");
    });
}
