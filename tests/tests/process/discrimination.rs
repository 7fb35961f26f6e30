//! Proof-of-Latency against a provider that tells probes from traffic (issue 13, item 1).
//!
//! One validator probes two providers from 127.0.0.1, paying like traffic. The honest
//! provider serves everyone alike; the picky one (worker `[fault] spare`) answers the
//! validator's address at once and every other address 300 ms late. A requester on
//! 127.0.0.2 pays both through channels and reports what it saw
//! (`MsgReportServedLatency`, from the requester client's `take_served_reports`). The
//! probes see both providers fast; what the requester saw makes the picky one miss its
//! 100 ms SLA within two epochs of the first reports and rank below the honest one.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use pol_client::payments::Payer;
use pol_client::requester::{Candidate, Job, Requester, RequesterConfig};
use pol_tests::chain_query::{
    aggregate, candidate, eventually, measured, provider, route, served, violations,
};
use pol_tests::worker::{ChainLink, Fault, WorkerProcess, WorkerSpec, MODEL};
use pol_tests::{add_funded_key, pold, ChainOptions, Node, Wallet, VALIDATOR_OPERATOR};
use serde_json::Value;

const EPOCH_BLOCKS: u64 = 60;
const SLA_P99_US: u64 = 100_000;
const PRICE: u64 = 10;
const ROYALTY: u128 = 3;

fn epoch_of(height: u64) -> u64 {
    height.saturating_sub(1) / EPOCH_BLOCKS + 1
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_serving_probes_fast_and_requesters_slowly_misses_its_sla_and_ranks_below_an_honest_one(
) -> anyhow::Result<()> {
    let _machine = crate::WHOLE_MACHINE.read().await;
    let mut node = Node::init(&ChainOptions::default())?;
    let names = ["honest", "picky", "requester"];
    let mut addrs = Vec::new();
    for name in names {
        addrs.push(add_funded_key(&node, name, 100_000_000_000)?.to_string());
    }
    node.edit_genesis(|g: &mut pol_sla::GenesisState| {
        let p = g.params_mut();
        p.min_blocks_per_epoch = 1;
        p.jail_after_misses = 1_000_000;
    })?;
    node.edit_genesis(|g: &mut pol_latency::GenesisState| {
        g.params_mut().epoch_blocks = EPOCH_BLOCKS;
        g.params_mut().min_samples = 2;
        g.params_mut().max_receipts_per_extension = 0;
        // Sixteen of the requester's paid requests (13 upol each) make a figure count.
        g.params_mut().min_served_payment = 200;
    })?;
    let mut cfg = pol_app::config::AppConfig::load(&node.home)?;
    cfg.probe.payer_key = VALIDATOR_OPERATOR.into();
    cfg.probe.interval_ms = 200;
    cfg.probe.window_secs = 5;
    cfg.save(&node.home)?;
    node.start_and_wait(2).await?;
    let rpc = node.rpc.clone();
    let dir = tempfile::tempdir()?;

    let validator: IpAddr = "127.0.0.1".parse()?;
    let requester_ip: IpAddr = "127.0.0.2".parse()?;
    let faults = [
        Fault::default(),
        Fault {
            extra_latency_ms: 300,
            spare: vec![validator],
            ..Default::default()
        },
    ];
    let mut workers: Vec<WorkerProcess> = Vec::new();
    for (j, name) in names[..2].iter().enumerate() {
        let spec = WorkerSpec {
            fault: faults[j].clone(),
            chain: Some(ChainLink {
                grpc: format!("127.0.0.1:{}", node.ports.grpc),
                home: node.home.clone(),
                key: name.to_string(),
                bond: 20_000_000,
                price_per_inference: PRICE,
                max_p99_latency_us: SLA_P99_US,
                max_failure_rate_ppm: 500_000,
                register_models: j == 0,
            }),
            payments_required: true,
            ..WorkerSpec::new("pol-test-1", &addrs[j])
        };
        let home = dir.path().join(name);
        if j > 0 {
            // The second worker proves with the keys the first one set up.
            eventually("the first provider", Duration::from_secs(300), || {
                let (rpc, a) = (rpc.clone(), addrs[0].clone());
                async move { provider(&rpc, &a).await }
            })
            .await?;
            copy_dir(&workers[0].dir.join("keys"), &home.join("keys"))?;
        }
        workers.push(WorkerProcess::start(&spec, &home)?);
    }
    for a in &addrs[..2] {
        measured(&rpc, a, Duration::from_secs(240)).await?;
    }

    // The requester's channels, one per provider.
    for a in &addrs[..2] {
        node.open_channel("requester", a, 10_000_000)?;
    }
    let payer = parking_lot::Mutex::new(Payer::open(&node.home, "pol-test-1")?);
    let routed = route(&rpc, MODEL).await.context("no route")?;
    let candidate = |who: &str| -> anyhow::Result<Candidate> {
        candidate(
            routed
                .entries
                .iter()
                .find(|e| e.provider == who)
                .context("provider not routed")?,
        )
    };
    let candidates = [candidate(&addrs[0])?, candidate(&addrs[1])?];
    let client = Requester::new(RequesterConfig {
        timeout: Duration::from_secs(3),
        max_extra_ppm: 0,
        retries: 0,
        candidates: 1,
        local_address: Some(requester_ip),
        ..Default::default()
    });
    let keyring = pol_client::Keyring::open(&node.home);
    let mut wallet = Wallet::load(&rpc, keyring.get("requester")?.signer()?, "pol-test-1").await?;
    let max_latency_us = pol_latency::pb::Params::DEFAULT.max_latency_us;

    // Paid requests to both, round robin, with a report of each provider every few seconds;
    // until the picky provider has a violation (or three epochs after the first reports).
    let mut first_report_epoch = None;
    let mut rtts: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut last_report = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut i = 0usize;
    let picky_violation = loop {
        for (k, c) in candidates.iter().enumerate() {
            let job = Job {
                chain_id: "pol-test-1".into(),
                model: MODEL.into(),
                input: (0..64).map(|x| ((x * 5 + i) % 16) as i8).collect(),
                output_len: 10,
                royalty: ROYALTY,
                nonce: None,
                setup: Default::default(),
            };
            let answer = client.infer(&job, std::slice::from_ref(c), &payer).await?;
            rtts[k].push(answer.rtt);
            i += 1;
        }
        if last_report.elapsed() >= Duration::from_secs(2) {
            let reports = client.take_served_reports(&addrs[2], max_latency_us);
            if !reports.is_empty() {
                let msgs = reports
                    .iter()
                    .map(|m| pol_client::any("/pol.latency.v1.MsgReportServedLatency", m))
                    .collect();
                let res = wallet.submit(&rpc, msgs).await?;
                anyhow::ensure!(res.code == 0, "report refused: {}", res.log);
                let height = rpc.latest_height().await?;
                first_report_epoch.get_or_insert(epoch_of(height));
            }
            last_report = Instant::now();
        }
        if let Some(v) = violations(&rpc, &addrs[1]).await.into_iter().next() {
            break v;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the picky provider was never penalised; its consensus: {:?}; requesters: {:?}",
            aggregate(&rpc, &addrs[1]).await,
            served(&rpc, &addrs[1]).await
        );
    };
    let first = first_report_epoch.context("no report was sent")?;
    let p99 = |v: &mut Vec<Duration>| {
        v.sort();
        v[(v.len() * 99).div_ceil(100).clamp(1, v.len()) - 1]
    };
    let (honest_p99, picky_p99) = (p99(&mut rtts[0]), p99(&mut rtts[1]));
    let probes = aggregate(&rpc, &addrs[1]).await.context("no aggregate")?;
    let seen = served(&rpc, &addrs[1]).await.context("no served figures")?;
    eprintln!("requesters' figures of picky: {seen:?}");
    eprintln!(
        "requester p99: honest {honest_p99:?}, picky {picky_p99:?}; probes' p99 of picky \
         {} µs; violation in epoch {} (first reports in epoch {first}): {picky_violation:?}",
        probes.p99_us, picky_violation.epoch
    );
    // The probes were fooled; the requester was not.
    assert!(u64::from(probes.p99_us) < SLA_P99_US, "{probes:?}");
    assert!(picky_p99 >= Duration::from_millis(300), "{picky_p99:?}");
    assert!(honest_p99 < Duration::from_millis(300), "{honest_p99:?}");
    // Penalised within two epochs of the first reports, on the requester's figure.
    assert!(picky_violation.epoch <= first + 1, "{picky_violation:?}");
    assert!(
        picky_violation.served_p99_us > SLA_P99_US,
        "{picky_violation:?}"
    );
    assert!(picky_violation.slashed != "0", "{picky_violation:?}");
    // What an explorer sees: `pold query latency served`.
    let cli: Value = serde_json::from_str(&pold(
        &node.home,
        &[
            "query",
            "latency",
            "served",
            &addrs[1],
            "--node",
            &node.rpc_url(),
        ],
    )?)?;
    assert_eq!(cli["last_epoch"]["counted"], true, "{cli}");
    assert_eq!(
        cli["last_epoch"]["p99_us"],
        seen.last_epoch.as_ref().map_or(0, |l| l.p99_us),
        "{cli}"
    );
    // The honest provider, reported on by the same requester, kept its SLA.
    assert!(violations(&rpc, &addrs[0]).await.is_empty());
    // And ranks first.
    let routed = route(&rpc, MODEL).await.context("no route")?;
    let order: Vec<&str> = routed.entries.iter().map(|e| e.provider.as_str()).collect();
    assert_eq!(
        order,
        vec![addrs[0].as_str(), addrs[1].as_str()],
        "{routed:?}"
    );
    assert!(routed.entries[1].served_p99_us > 0);
    assert!(!routed.entries[1].within_sla);

    drop(workers);
    node.stop()?;
    Ok(())
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}
