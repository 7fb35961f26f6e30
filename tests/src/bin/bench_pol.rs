//! Proof-of-Latency costs and reaction time on a 4-validator network of real processes
//! (pold + CometBFT each, three real pol-workers), printed as tables:
//!
//! 1. Block time with probing and vote extensions on vs off, in the same run: two
//!    networks, one after the other, identical but for `[probe] enabled` and
//!    `vote_extensions_enable_height`; the same three workers registered in both.
//! 2. Time from a provider turning slow (worker `[fault] after_secs`) to its first
//!    on-chain SLA penalty, in blocks and seconds of block time.
//! 3. The same for a provider turning discriminating: it keeps serving the validators'
//!    address (127.0.0.1) fast and every other address 300 ms late (`[fault] spare`); a
//!    requester on 127.0.0.2 pays it and reports what it saw every second
//!    (`MsgReportServedLatency`, the requester client's `take_served_reports`).
//!
//! Medians over the measured blocks; the machine is shared, so compare the two rows of
//! one run, not runs of different days.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use pol_client::RpcClient;
use pol_tests::chain_query::{candidate, eventually, provider, route, violations};
use pol_tests::net::{Network, NetworkOptions};
use pol_tests::worker::{ChainLink, Fault, WorkerProcess, WorkerSpec, MODEL};
use pol_tests::Wallet;
use serde_json::json;

#[derive(Parser)]
#[command(about = "Proof-of-Latency: block time on vs off, and time to the first SLA penalty")]
struct Args {
    /// Blocks measured per network.
    #[arg(long, default_value_t = 60)]
    blocks: u64,
    /// CometBFT timeout_commit of every validator.
    #[arg(long, default_value = "300ms")]
    timeout_commit: String,
    /// Latency epoch length (blocks) for the penalty run.
    #[arg(long, default_value_t = 8)]
    epoch_blocks: u64,
    /// Seconds after its start the slow worker turns slow.
    #[arg(long, default_value_t = 20)]
    slow_after_secs: u64,
    /// Penalty trials.
    #[arg(long, default_value_t = 2)]
    trials: u32,
    /// Trials with a provider turning discriminating.
    #[arg(long, default_value_t = 1)]
    discriminating_trials: u32,
}

const CHAIN: &str = "pol-net-1";
const SLA_P99_US: u64 = 150_000;

fn options(on: bool, timeout_commit: &str, epoch_blocks: u64) -> NetworkOptions {
    NetworkOptions {
        timeout_commit: timeout_commit.into(),
        keyring_accounts: ["p0", "p1", "p2", "requester"]
            .iter()
            .map(|n| (n.to_string(), 10_000_000_000))
            .collect(),
        genesis: Some(Box::new(move |g| {
            if !on {
                g["consensus_params"]["abci"]["vote_extensions_enable_height"] = json!("0");
            }
            let s = &mut g["app_state"];
            s["latency"]["params"]["epoch_blocks"] = json!(epoch_blocks);
            s["latency"]["params"]["min_samples"] = json!(2);
            // A few seconds of one requester's paid requests (103 upol each) count.
            s["latency"]["params"]["min_served_payment"] = json!(500);
            s["sla"]["params"]["min_blocks_per_epoch"] = json!(epoch_blocks / 2);
            s["inference"]["params"]["sample_rate_ppm"] = json!(20_000);
        })),
        app_config: Some(Box::new(move |_, cfg| {
            cfg.probe.enabled = on;
            cfg.probe.interval_ms = 200;
            cfg.probe.window_secs = 4;
        })),
        ..Default::default()
    }
}

/// Starts the network and the three workers (`faults[i]` for worker i) and waits until all
/// three are registered providers. Returns the workers, their addresses and when each was
/// spawned (its `[fault] after_secs` clock starts then).
async fn start(
    net: &mut Network,
    faults: [Fault; 3],
) -> anyhow::Result<(Vec<WorkerProcess>, Vec<String>, Vec<Instant>)> {
    net.start()?;
    net.wait_for_height(2, Duration::from_secs(90)).await?;
    let rpc = net.nodes[0].rpc.clone();
    let home0 = net.nodes[0].home.clone();
    let mut workers = Vec::new();
    let mut addrs = Vec::new();
    let mut spawned = Vec::new();
    for (i, fault) in faults.into_iter().enumerate() {
        let name = format!("p{i}");
        let addr = pol_tests::pold(&home0, &["keys", "show", &name, "-a"])?
            .trim()
            .to_string();
        let spec = WorkerSpec {
            fault,
            chain: Some(ChainLink {
                grpc: format!("127.0.0.1:{}", net.nodes[0].ports.grpc),
                home: home0.clone(),
                key: name.clone(),
                bond: 100_000_000,
                price_per_inference: 100,
                max_p99_latency_us: SLA_P99_US,
                max_failure_rate_ppm: 100_000,
                register_models: i == 0,
            }),
            ..WorkerSpec::new(CHAIN, &addr)
        };
        workers.push(WorkerProcess::start(&spec, &net.root.join(&name))?);
        spawned.push(Instant::now());
        // The first registers the model; the others wait for it.
        if i == 0 {
            let rpc = rpc.clone();
            eventually("the first provider", Duration::from_secs(240), || {
                let (rpc, a) = (rpc.clone(), addr.clone());
                async move { provider(&rpc, &a).await }
            })
            .await?;
        }
        addrs.push(addr);
    }
    for a in &addrs {
        eventually("every provider", Duration::from_secs(120), || {
            let (rpc, a) = (rpc.clone(), a.clone());
            async move { provider(&rpc, &a).await }
        })
        .await?;
    }
    Ok((workers, addrs, spawned))
}

/// Block time of `height` in milliseconds since the Unix epoch.
async fn block_ms(rpc: &RpcClient, height: u64) -> anyhow::Result<i128> {
    let b = rpc
        .call("block", json!({"height": height.to_string()}))
        .await?;
    let t = b["block"]["header"]["time"]
        .as_str()
        .context("block time")?
        .to_string();
    parse_rfc3339_ms(&t).with_context(|| format!("block time {t:?}"))
}

/// `2026-11-25T04:20:56.775311171Z` → ms since the epoch (UTC only, as CometBFT writes).
fn parse_rfc3339_ms(t: &str) -> Option<i128> {
    let (date, rest) = t.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let rest = rest.strip_suffix('Z')?;
    let (hms, frac) = rest.split_once('.').unwrap_or((rest, "0"));
    let mut h = hms.split(':').map(|x| x.parse::<i64>().ok());
    let (hh, mm, ss) = (h.next()??, h.next()??, h.next()??);
    let frac_ms: i64 = format!("{frac:0<3}")[..3].parse().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(i128::from(
        (days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000 + frac_ms,
    ))
}

struct BlockTimes {
    median_ms: i128,
    p90_ms: i128,
    mean_ms: i128,
    report_bytes: Option<usize>,
}

async fn measure_blocks(net: &Network, blocks: u64) -> anyhow::Result<BlockTimes> {
    let rpc = &net.nodes[0].rpc;
    let start = rpc.latest_height().await? + 1;
    net.wait_for_height(start + blocks, Duration::from_secs(60 + blocks * 5))
        .await?;
    let mut times = Vec::new();
    for h in start..=start + blocks {
        times.push(block_ms(rpc, h).await?);
    }
    let mut gaps: Vec<i128> = times.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    let report_bytes = rpc
        .block_txs(start + blocks)
        .await?
        .first()
        .filter(|t| pol_latency::is_injected(t))
        .map(Vec::len);
    Ok(BlockTimes {
        median_ms: gaps[gaps.len() / 2],
        p90_ms: gaps[gaps.len() * 9 / 10],
        mean_ms: gaps.iter().sum::<i128>() / gaps.len() as i128,
        report_bytes,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut rows = Vec::new();
    for on in [false, true] {
        eprintln!(
            "== network with probing and vote extensions {}",
            if on { "on" } else { "off" }
        );
        let mut net = Network::init(options(on, &args.timeout_commit, 1_000_000))?;
        let (workers, _, _) = start(&mut net, Default::default()).await?;
        let t = measure_blocks(&net, args.blocks).await?;
        net.assert_app_hashes_agree(net.nodes[0].rpc.latest_height().await?)
            .await?;
        drop(workers);
        net.stop_all();
        rows.push((on, t));
    }

    let mut penalties = Vec::new();
    for trial in 1..=args.trials {
        eprintln!("== penalty trial {trial}");
        let mut net = Network::init(options(true, &args.timeout_commit, args.epoch_blocks))?;
        let slow = Fault {
            extra_latency_ms: 400,
            after_secs: args.slow_after_secs,
            ..Default::default()
        };
        let (workers, addrs, spawned) =
            start(&mut net, [Fault::default(), slow, Fault::default()]).await?;
        let rpc = net.nodes[0].rpc.clone();
        // The slow worker's fault clock started when it was spawned.
        let turns_slow = spawned[1] + Duration::from_secs(args.slow_after_secs);
        tokio::time::sleep(turns_slow.saturating_duration_since(Instant::now())).await;
        let slow_height = rpc.latest_height().await?;
        let first = eventually("the first SLA penalty", Duration::from_secs(300), || {
            let (rpc, a) = (rpc.clone(), addrs[1].clone());
            async move { violations(&rpc, &a).await.into_iter().last() }
        })
        .await?;
        let secs = (block_ms(&rpc, first.height).await? - block_ms(&rpc, slow_height).await?)
            as f64
            / 1000.0;
        penalties.push((first.height.saturating_sub(slow_height), secs, first));
        drop(workers);
        net.stop_all();
    }

    let mut discriminating = Vec::new();
    for trial in 1..=args.discriminating_trials {
        eprintln!("== discriminating trial {trial}");
        discriminating.push(discriminating_trial(&args).await?);
    }

    println!(
        "\n### Block time, 4 validators, 3 workers, timeout_commit {}\n",
        args.timeout_commit
    );
    println!("| probing + vote extensions | blocks | median | p90 | mean | injected report |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (on, t) in &rows {
        println!(
            "| {} | {} | {} ms | {} ms | {} ms | {} |",
            if *on { "on" } else { "off" },
            args.blocks,
            t.median_ms,
            t.p90_ms,
            t.mean_ms,
            t.report_bytes.map_or("none".into(), |b| format!("{b} B")),
        );
    }
    if let [(_, off), (_, on)] = rows.as_slice() {
        println!(
            "\nmedian on/off: {:.2}",
            on.median_ms as f64 / off.median_ms.max(1) as f64
        );
    }
    println!(
        "\n### Provider turning slow (+400 ms, SLA p99 {} ms) to its first SLA penalty, epoch {} blocks\n",
        SLA_P99_US / 1000,
        args.epoch_blocks
    );
    println!("| trial | blocks | seconds (block time) | epoch | observed p99 | slashed |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for (i, (blocks, secs, v)) in penalties.iter().enumerate() {
        println!(
            "| {} | {blocks} | {secs:.1} | {} | {:.1} ms | {}upol |",
            i + 1,
            v.epoch,
            v.observed_p99_us as f64 / 1000.0,
            v.slashed
        );
    }
    println!(
        "\n### Provider turning discriminating (validators' address fast, others +300 ms, SLA p99 {} ms) to its first SLA penalty, epoch {} blocks\n",
        SLA_P99_US / 1000,
        args.epoch_blocks
    );
    println!("| trial | blocks | seconds (block time) | epoch | probes' p99 | judged p99 (requesters') | slashed |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (i, (blocks, secs, probes_p99, v)) in discriminating.iter().enumerate() {
        println!(
            "| {} | {blocks} | {secs:.1} | {} | {:.1} ms | {:.1} ms | {}upol |",
            i + 1,
            v.epoch,
            *probes_p99 as f64 / 1000.0,
            v.observed_p99_us as f64 / 1000.0,
            v.slashed
        );
    }
    Ok(())
}

/// One discriminating trial: blocks and seconds from the turn to the first penalty, the
/// probes' p99 of the provider at that moment, and the violation.
async fn discriminating_trial(
    args: &Args,
) -> anyhow::Result<(u64, f64, u32, pol_sla::pb::SlaViolation)> {
    use pol_client::requester::{Job, Requester, RequesterConfig};
    let mut net = Network::init(options(true, &args.timeout_commit, args.epoch_blocks))?;
    let picky = Fault {
        extra_latency_ms: 300,
        spare: vec![std::net::Ipv4Addr::LOCALHOST.into()],
        after_secs: args.slow_after_secs,
        ..Default::default()
    };
    let (workers, addrs, spawned) =
        start(&mut net, [Fault::default(), picky, Fault::default()]).await?;
    let rpc = net.nodes[0].rpc.clone();
    let home0 = net.nodes[0].home.clone();
    net.nodes[0].open_channel("requester", &addrs[1], 100_000_000)?;
    let payer = parking_lot::Mutex::new(pol_client::payments::Payer::open(&home0, CHAIN)?);
    let routed = route(&rpc, MODEL).await.context("no route")?;
    let entry = routed
        .entries
        .iter()
        .find(|e| e.provider == addrs[1])
        .context("the picky provider is not routed")?;
    let target = [candidate(entry)?];
    let client = Requester::new(RequesterConfig {
        timeout: Duration::from_secs(3),
        max_extra_ppm: 0,
        retries: 0,
        candidates: 1,
        local_address: Some(std::net::Ipv4Addr::new(127, 0, 0, 2).into()),
        ..Default::default()
    });
    let requester = pol_client::Keyring::open(&home0).get("requester")?;
    let mut wallet = Wallet::load(&rpc, requester.signer()?, CHAIN).await?;
    let requester = requester.address.clone();
    let max_latency_us = pol_latency::pb::Params::DEFAULT.max_latency_us;
    let turns = spawned[1] + Duration::from_secs(args.slow_after_secs);
    let deadline = turns + Duration::from_secs(300);
    let mut turned_at = None;
    let mut last_report = Instant::now();
    let mut i = 0usize;
    let violation = loop {
        let job = Job {
            chain_id: CHAIN.into(),
            model: MODEL.into(),
            input: (0..64).map(|x| ((x * 5 + i) % 16) as i8).collect(),
            output_len: 10,
            royalty: 3,
            nonce: None,
            setup: Default::default(),
        };
        i += 1;
        if let Err(e) = client.infer(&job, &target, &payer).await {
            eprintln!("request {i}: {e}");
        }
        if last_report.elapsed() >= Duration::from_secs(1) {
            let reports = client.take_served_reports(&requester, max_latency_us);
            if !reports.is_empty() {
                let msgs = reports
                    .iter()
                    .map(|m| pol_client::any(pol_latency::served::MSG_REPORT_SERVED_LATENCY, m))
                    .collect();
                let res = wallet.submit(&rpc, msgs).await?;
                anyhow::ensure!(res.code == 0, "report refused: {}", res.log);
            }
            last_report = Instant::now();
        }
        if turned_at.is_none() && Instant::now() >= turns {
            turned_at = Some(rpc.latest_height().await?);
        }
        if turned_at.is_some() {
            if let Some(v) = violations(&rpc, &addrs[1]).await.into_iter().last() {
                break v;
            }
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the discriminating provider was never penalised"
        );
    };
    let probes = pol_tests::chain_query::aggregate(&rpc, &addrs[1])
        .await
        .map_or(0, |a| a.p99_us);
    let turned = turned_at.unwrap_or(violation.height);
    let secs =
        (block_ms(&rpc, violation.height).await? - block_ms(&rpc, turned).await?) as f64 / 1000.0;
    drop(workers);
    net.stop_all();
    Ok((
        violation.height.saturating_sub(turned),
        secs,
        probes,
        violation,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_cometbft_times() {
        assert_eq!(
            super::parse_rfc3339_ms("1970-01-01T00:00:01.5Z"),
            Some(1500)
        );
        assert_eq!(
            super::parse_rfc3339_ms("2026-11-25T04:20:56.775311171Z"),
            Some(1_795_580_456_775)
        );
    }
}
