//! What a requester sees, by how it picks providers: one validator measuring three real
//! workers that require payment (fast with a jittery tail, slow, dropping; none jailed, so
//! all three stay candidates), and a requester paying every request through its channels.
//! The same number of requests, one at a time, under three strategies:
//!
//! (a) a uniformly random provider of the model;
//! (b) the chain's top-ranked provider only;
//! (c) the Rust requester client: order by the consensus figures and its own measurements,
//!     hedging after the first provider's p95 within a 5 % budget, failover, retries.
//!
//! Prints p50/p99 of the answered requests, the failure rate, and the extra requests (c)
//! sent. Debug builds; everything on 127.0.0.1 in a temporary directory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use pol_client::payments::Payer;
use pol_client::requester::{Candidate, Job, Requester, RequesterConfig};
use pol_tests::chain_query::{candidate, eventually, measured, provider, route};
use pol_tests::worker::{ChainLink, Fault, WorkerProcess, WorkerSpec, MODEL};
use pol_tests::{add_funded_key, ChainOptions, Node, VALIDATOR_OPERATOR};
use rand::{Rng, SeedableRng};

#[derive(Parser)]
#[command(
    about = "Requester p99 and failures: random choice vs the chain's rank vs the hedging client"
)]
struct Args {
    /// Requests per strategy.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// The fast worker's jitter (its tail), ms.
    #[arg(long, default_value_t = 30)]
    fast_jitter_ms: u64,
    /// The fast worker's long tail: this much more on `--fast-tail-ppm` of its calls, ms.
    #[arg(long, default_value_t = 0)]
    fast_tail_ms: u64,
    #[arg(long, default_value_t = 0)]
    fast_tail_ppm: u32,
    /// The slow worker's added latency, ms (the localnet's slow provider: +400 ms).
    #[arg(long, default_value_t = 400)]
    slow_ms: u64,
    /// The dropping worker's failure rate, per million (the localnet's: 600,000).
    #[arg(long, default_value_t = 600_000)]
    drop_ppm: u32,
    /// The client hedges after the first provider's p95 × this / 100.
    #[arg(long, default_value_t = RequesterConfig::default().hedge_delay_pct)]
    hedge_delay_pct: u32,
}

const PRICE: u64 = 10;

#[derive(Default)]
struct Row {
    latencies_us: Vec<u64>,
    failures: usize,
    requests: usize,
    extra: u64,
}

impl Row {
    fn quantile(&self, per_mille: usize) -> Duration {
        let mut v = self.latencies_us.clone();
        v.sort_unstable();
        if v.is_empty() {
            return Duration::ZERO;
        }
        let i = (v.len() * per_mille).div_ceil(1000).clamp(1, v.len()) - 1;
        Duration::from_micros(v[i])
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let mut node = Node::init(&ChainOptions::default())?;
    let names = ["fast", "slow", "dropping"];
    let mut addrs = Vec::new();
    for name in names.iter().chain(&["requester"]) {
        addrs.push(add_funded_key(&node, name, 100_000_000_000)?.to_string());
    }
    // Nobody is jailed or penalised: all three stay candidates.
    node.edit_genesis(|g: &mut pol_sla::GenesisState| {
        g.params_mut().jail_after_misses = 1_000_000;
    })?;
    node.edit_genesis(|g: &mut pol_latency::GenesisState| {
        g.params_mut().epoch_blocks = 1_000_000;
        g.params_mut().min_samples = 2;
        g.params_mut().max_receipts_per_extension = 0;
    })?;
    let mut cfg = pol_app::config::AppConfig::load(&node.home)?;
    cfg.probe.payer_key = VALIDATOR_OPERATOR.into();
    cfg.probe.window_secs = 30;
    cfg.save(&node.home)?;
    node.start_and_wait(2).await?;
    let rpc = node.rpc.clone();
    let dir = tempfile::tempdir()?;
    let faults = [
        Fault {
            jitter_ms: args.fast_jitter_ms,
            tail_ms: args.fast_tail_ms,
            tail_ppm: args.fast_tail_ppm,
            ..Default::default()
        },
        Fault {
            extra_latency_ms: args.slow_ms,
            ..Default::default()
        },
        Fault {
            drop_ppm: args.drop_ppm,
            ..Default::default()
        },
    ];
    let mut workers = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let spec = WorkerSpec {
            fault: faults[j].clone(),
            chain: Some(ChainLink {
                grpc: format!("127.0.0.1:{}", node.ports.grpc),
                home: node.home.clone(),
                key: name.to_string(),
                bond: 20_000_000,
                price_per_inference: PRICE,
                max_p99_latency_us: 1_000_000,
                max_failure_rate_ppm: 1_000_000,
                register_models: j == 0,
            }),
            payments_required: true,
            ..WorkerSpec::new("pol-test-1", &addrs[j])
        };
        if j > 0 {
            eventually("the model's registration", Duration::from_secs(180), || {
                let (rpc, a) = (rpc.clone(), addrs[0].clone());
                async move { provider(&rpc, &a).await }
            })
            .await?;
        }
        workers.push(WorkerProcess::start(&spec, &dir.path().join(name))?);
    }
    eprintln!("waiting for the chain to measure all three providers …");
    for a in &addrs[..3] {
        measured(&rpc, a, Duration::from_secs(240)).await?;
    }
    // Thirty seconds of probes, so the figures cover the tails.
    tokio::time::sleep(Duration::from_secs(30)).await;

    // The requester's channels, one per provider.
    for a in &addrs[..3] {
        node.open_channel("requester", a, 100_000_000)?;
    }
    let payer = parking_lot::Mutex::new(Payer::open(&node.home, "pol-test-1")?);
    let routed = route(&rpc, MODEL).await.context("no route")?;
    let royalty = 3;
    let candidates: Vec<Candidate> = routed
        .entries
        .iter()
        .map(candidate)
        .collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(
        candidates.len() == 3,
        "route lists {} providers",
        candidates.len()
    );
    let name_of = |p: &str| names[addrs.iter().position(|a| a == p).unwrap_or(0)];
    eprintln!(
        "chain's route: {}",
        routed
            .entries
            .iter()
            .map(|e| format!(
                "#{} {} p99 {} µs, {} ppm failed",
                e.rank,
                name_of(&e.provider),
                e.p99_us,
                e.failure_rate_ppm
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let job = |i: usize| Job {
        chain_id: "pol-test-1".into(),
        model: MODEL.into(),
        input: (0..64).map(|k| ((k * 5 + i) % 16) as i8).collect(),
        output_len: 10,
        royalty,
        nonce: None,
        setup: Default::default(),
    };
    let single = Requester::new(RequesterConfig {
        timeout: Duration::from_secs(2),
        max_extra_ppm: 0,
        retries: 0,
        candidates: 1,
        chain_rank_order: true,
        ..Default::default()
    });
    let client = Arc::new(Requester::new(RequesterConfig {
        timeout: Duration::from_secs(2),
        hedge_delay_pct: args.hedge_delay_pct,
        ..Default::default()
    }));
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut rows: Vec<(&str, Row)> = Vec::new();
    for strategy in [
        "(a) random provider",
        "(b) chain's top rank",
        "(c) client: own stats + hedging",
    ] {
        let mut row = Row::default();
        let before = client.counts();
        for i in 0..args.requests {
            let t0 = Instant::now();
            let r = match strategy.chars().nth(1) {
                Some('a') => {
                    let c = candidates[rng.gen_range(0..candidates.len())].clone();
                    single.infer(&job(i), &[c], &payer).await
                }
                Some('b') => single.infer(&job(i), &candidates[..1], &payer).await,
                _ => client.infer(&job(i), &candidates, &payer).await,
            };
            row.requests += 1;
            match r {
                Ok(_) => row.latencies_us.push(t0.elapsed().as_micros() as u64),
                Err(_) => row.failures += 1,
            }
        }
        let after = client.counts();
        row.extra = after.1 - before.1;
        rows.push((strategy, row));
    }
    println!("\n{} requests per strategy, one at a time; fast worker jitter {} ms and +{} ms on {} ppm of calls, slow +{} ms, dropping {} ppm; hedge after p95 × {} %\n", args.requests, args.fast_jitter_ms, args.fast_tail_ms, args.fast_tail_ppm, args.slow_ms, args.drop_ppm, args.hedge_delay_pct);
    println!("| strategy | p50 | p99 | failed | extra requests |\n|---|---|---|---|---|");
    for (name, r) in &rows {
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} % | {:.2} % |",
            r.quantile(500).as_secs_f64() * 1e3,
            r.quantile(990).as_secs_f64() * 1e3,
            r.failures as f64 * 100.0 / r.requests as f64,
            r.extra as f64 * 100.0 / r.requests as f64,
        );
    }
    let (a, c) = (rows[0].1.quantile(990), rows[2].1.quantile(990));
    println!(
        "\np99 (a) ÷ (c): {:.2}",
        a.as_secs_f64() / c.as_secs_f64().max(1e-9)
    );
    drop(workers);
    Ok(())
}
