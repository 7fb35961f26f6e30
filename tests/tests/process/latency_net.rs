//! Proof-of-Latency on a 4-validator network of real processes (pold + CometBFT each, on
//! loopback): every block carries the previous height's vote extensions as its first tx,
//! every validator accepts it, all app hashes agree, and the chain lives on with one
//! validator down.

use std::time::Duration;

use pol_tests::net::{Network, NetworkOptions};
use serde_json::Value;

/// The attributes of the first event of `kind` in tx 0 of block `height`.
async fn first_tx_event(
    rpc: &pol_client::RpcClient,
    height: u64,
    kind: &str,
) -> anyhow::Result<Option<(u32, Vec<(String, String)>)>> {
    let r = rpc
        .call(
            "block_results",
            serde_json::json!({"height": height.to_string()}),
        )
        .await?;
    let Some(tx0) = r["txs_results"].as_array().and_then(|t| t.first()) else {
        return Ok(None);
    };
    let code = tx0["code"].as_u64().unwrap_or(0) as u32;
    let events = tx0["events"].as_array().cloned().unwrap_or_default();
    let Some(ev) = events.iter().find(|e| e["type"] == kind) else {
        return Ok(Some((code, Vec::new())));
    };
    let attrs = ev["attributes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|kv| {
                    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
                    (s(&kv["key"]), s(&kv["value"]))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some((code, attrs)))
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread")]
async fn four_validators_inject_and_agree_and_survive_one_down() -> anyhow::Result<()> {
    let _one = crate::ONE_NETWORK.lock().await;
    let mut net = Network::init(NetworkOptions::default())?;
    net.start()?;
    // One past the last block inspected: CometBFT reports a height once the block is
    // stored, a moment before its results are.
    net.wait_for_height(7, Duration::from_secs(90)).await?;

    // From height 2 on, the proposer injects the votes of the height before.
    let rpc = &net.nodes[0].rpc.clone();
    let mut with_report = 0;
    for h in 2..=6u64 {
        let txs = rpc.block_txs(h).await?;
        let Some(first) = txs.first() else { continue };
        assert!(
            pol_latency::is_injected(first),
            "block {h}: first tx is not a latency report"
        );
        let (code, attrs) = first_tx_event(rpc, h, "latency_report")
            .await?
            .expect("a tx result");
        assert_eq!(code, 0, "block {h}: the report failed: {attrs:?}");
        assert_eq!(attr(&attrs, "height"), Some((h - 1).to_string().as_str()));
        let votes: usize = attr(&attrs, "votes").unwrap_or("0").parse()?;
        assert!(
            votes >= 3,
            "block {h}: only {votes} votes for the block carried"
        );
        with_report += 1;
    }
    assert!(
        with_report >= 4,
        "only {with_report} of blocks 2..=6 carried a report; pold log:\n{}",
        std::fs::read_to_string(net.nodes[0].home.join("pold.log"))?
            .lines()
            .filter(|l| l.contains("pol_app"))
            .take(30)
            .collect::<Vec<_>>()
            .join("\n")
    );
    net.assert_app_hashes_agree(6).await?;

    // One validator down: 3 of 4 equal powers are still more than 2/3.
    net.nodes[3].stop()?;
    // The highest height any validator has seen: validator 3 voted at most up to it, so its
    // vote is in no commit past the next block.
    let mut now = 0;
    for n in &net.nodes[..3] {
        now = now.max(n.rpc.latest_height().await?);
    }
    for n in &net.nodes[..3] {
        n.wait_for_height(now + 6, Duration::from_secs(60)).await?;
    }
    let (_, attrs) = first_tx_event(rpc, now + 5, "latency_report")
        .await?
        .expect("blocks still carry reports");
    assert_eq!(attr(&attrs, "votes"), Some("3"), "{attrs:?}");
    net.assert_app_hashes_agree(now + 6).await?;
    net.stop_all();
    Ok(())
}

/// CometBFT's consensus address of validator `i` (from its priv_validator_key.json).
fn consensus_address(net: &Network, i: usize) -> anyhow::Result<String> {
    let key: Value = serde_json::from_str(&std::fs::read_to_string(
        net.nodes[i].home.join("config/priv_validator_key.json"),
    )?)?;
    Ok(key["address"].as_str().unwrap_or_default().to_uppercase())
}

/// Two Byzantine validators (app.toml `[test_faults]`): validator 3 extends its votes with
/// an oversized extension, validator 2 proposes reports with a forged signature. The others
/// refuse both: validator 3's extension never counts (its precommits are refused, and where
/// one reaches a commit anyway the proposer strips it), validator 2's forged reports never
/// get in, and yet nearly every block carries a report: one Byzantine voter cannot stop
/// latency from being measured. The chain goes on with the same app hash everywhere.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_extensions_and_forged_reports_are_refused() -> anyhow::Result<()> {
    let _one = crate::ONE_NETWORK.lock().await;
    let mut net = Network::init(NetworkOptions {
        app_config: Some(Box::new(|i, cfg| {
            cfg.test_faults.oversized_vote_extension = i == 3;
            cfg.test_faults.forge_latency_report = i == 2;
        })),
        ..Default::default()
    })?;
    net.start()?;
    net.wait_for_height(15, Duration::from_secs(180)).await?;
    // Validator 2 proposes in turn; wait until it has proposed a forged report at least once.
    let read_log = |i: usize| std::fs::read_to_string(net.nodes[i].home.join("pold.log"));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !read_log(2)?.contains("TEST FAULT: proposing a forged latency report") {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "validator 2 never proposed"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // An honest validator refuses it when the proposal reaches its ProcessProposal (a
    // proposal that arrives after timeout_propose is prevoted nil unseen: wait for one that
    // was seen).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while ![0, 1, 3]
        .iter()
        .any(|&i| read_log(i).is_ok_and(|l| l.contains("rejecting proposal")))
    {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "no honest validator refused the forged report"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let rpc = net.nodes[0].rpc.clone();
    let oversized = consensus_address(&net, 3)?;

    let mut reports = 0;
    let mut stripped = 0;
    for h in 3..=14u64 {
        let txs = rpc.block_txs(h).await?;
        let Some(first) = txs.first().filter(|t| pol_latency::is_injected(t)) else {
            continue;
        };
        reports += 1;
        // Every committed report is a genuine one: the forged proposals never got in (when
        // the forger does get a block in, it is a block another proposer made first and
        // CometBFT re-proposes, with that proposer's report).
        let (code, attrs) = first_tx_event(&rpc, h, "latency_report")
            .await?
            .expect("a tx result");
        assert_eq!(code, 0, "block {h}: a report that does not check");
        let counted: usize = attr(&attrs, "votes").unwrap_or("0").parse()?;
        assert!(counted >= 3, "block {h}: only {counted} votes counted");
        let info = pol_latency::commit::decode_injected(first)?;
        for v in &info.votes {
            let addr = hex::encode_upper(&v.validator.as_ref().unwrap().address);
            if addr == oversized
                && v.block_id_flag == tendermint_proto::v0_38::types::BlockIdFlag::Commit as i32
            {
                // Its precommit reached the commit (a late precommit skips
                // VerifyVoteExtension): the proposer emptied its extension and nobody
                // counted it.
                assert!(
                    v.vote_extension.is_empty(),
                    "block {h} carries the oversized extension"
                );
                assert!(
                    attr(&attrs, "ignored_validators")
                        .unwrap_or_default()
                        .contains(&oversized),
                    "block {h} counts the oversized extension's vote: {attrs:?}"
                );
                assert_eq!(counted, 3, "block {h}: {attrs:?}");
                stripped += 1;
            }
        }
    }
    eprintln!("reports in blocks 3..=14: {reports}; with validator 3's vote stripped: {stripped}");
    let log = std::fs::read_to_string(net.nodes[0].home.join("pold.log"))?;
    // Every proposer but the forger gets its report in (validator 3 too: its own commit holds
    // its oversized extension, which it strips); the forger's rounds are lost and re-proposed
    // by the next proposer, with a report. Validator 3 proposes its own heights and most of
    // the forger's, and when it committed on its own vote and two honest ones (the fourth
    // arriving late, under load) only two count and its block has no report: up to half
    // the blocks. A Byzantine vote that voids reports leaves about 2 in 12.
    assert!(
        reports >= 6,
        "only {reports} reports in blocks 3..=14:\n{}",
        log.lines()
            .filter(|l| l.contains("latency report") || l.contains("rejecting"))
            .take(20)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        log.contains("rejecting vote extension"),
        "no extension refused"
    );

    let mut top = 0;
    for n in &net.nodes {
        top = top.max(n.rpc.latest_height().await?);
    }
    net.assert_app_hashes_agree(top).await?;
    net.stop_all();
    Ok(())
}

/// Issue 13 item 10: a validator whose gRPC service is flooded with queries keeps measuring
/// like the others. Four validators probe one real worker; 64 query loops hammer validator
/// 3's gRPC (latency history and routes, which scan state) for 25 s. Its probes run on a
/// runtime of their own and the query service is bounded, so its reports in that window
/// stay within the honest spread: about as few outliers as the others'.
#[tokio::test(flavor = "multi_thread")]
async fn a_validator_under_heavy_query_load_reports_within_the_honest_spread() -> anyhow::Result<()>
{
    let _machine = crate::WHOLE_MACHINE.write().await;
    use pol_tests::chain_query::{eventually, latency_history};
    use pol_tests::worker::{ChainLink, WorkerProcess, WorkerSpec};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    let _one = crate::ONE_NETWORK.lock().await;
    let mut net = Network::init(NetworkOptions {
        keyring_accounts: vec![("provider".into(), 10_000_000_000)],
        genesis: Some(Box::new(|g| {
            let s = &mut g["app_state"];
            s["latency"]["params"]["min_samples"] = serde_json::json!(2);
            s["inference"]["params"]["min_provider_bond"] = serde_json::json!("10000000");
        })),
        app_config: Some(Box::new(|_, cfg| {
            cfg.probe.interval_ms = 150;
            cfg.probe.window_secs = 4;
        })),
        ..Default::default()
    })?;
    net.start()?;
    net.wait_for_height(2, Duration::from_secs(90)).await?;
    let rpc = net.nodes[0].rpc.clone();
    let home0 = net.nodes[0].home.clone();
    let addr = pol_tests::pold(&home0, &["keys", "show", "provider", "-a"])?
        .trim()
        .to_string();
    let spec = WorkerSpec {
        chain: Some(ChainLink {
            grpc: format!("127.0.0.1:{}", net.nodes[0].ports.grpc),
            home: home0.clone(),
            key: "provider".into(),
            bond: 100_000_000,
            price_per_inference: 100,
            max_p99_latency_us: 1_000_000,
            max_failure_rate_ppm: 500_000,
            register_models: true,
        }),
        ..WorkerSpec::new("pol-net-1", &addr)
    };
    let worker = WorkerProcess::start(&spec, &net.root.join("w"))?;
    eventually(
        "the provider's first aggregate",
        Duration::from_secs(180),
        || {
            let rpc = rpc.clone();
            let a = addr.clone();
            async move { latency_history(&rpc, &a).await.into_iter().next() }
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}; worker log:\n{}", worker.log_tail(30)))?;

    // The flood, on validator 3's gRPC only.
    let grpc3 = format!("http://127.0.0.1:{}", net.nodes[3].ports.grpc);
    let served = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let start = rpc.latest_height().await?;
    let until = std::time::Instant::now() + Duration::from_secs(25);
    let mut loops = Vec::new();
    for i in 0..64 {
        let (grpc3, addr) = (grpc3.clone(), addr.clone());
        let (served, refused) = (served.clone(), refused.clone());
        loops.push(tokio::spawn(async move {
            use pol_latency::pb::query_client::QueryClient;
            use pol_latency::pb::{QueryHistoryRequest, QueryRouteRequest};
            let Ok(mut client) = QueryClient::connect(grpc3).await else {
                return;
            };
            while std::time::Instant::now() < until {
                let ok = if i % 2 == 0 {
                    client
                        .history(QueryHistoryRequest {
                            provider: addr.clone(),
                            pagination: None,
                        })
                        .await
                        .is_ok()
                } else {
                    client
                        .route(QueryRouteRequest {
                            model_id: pol_tests::worker::MODEL.into(),
                            ..Default::default()
                        })
                        .await
                        .is_ok()
                };
                let counter = if ok { &served } else { &refused };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for l in loops {
        l.await?;
    }
    let end = rpc.latest_height().await?;
    net.wait_for_height(end + 2, Duration::from_secs(60))
        .await?;

    // Each validator's outliers among the aggregates of the flood's heights.
    let loaded = consensus_address(&net, 3)?;
    let mut per_validator: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    for agg in latency_history(&rpc, &addr).await {
        if agg.height <= start || agg.height > end {
            continue;
        }
        for r in &agg.reports {
            let e = per_validator
                .entry(hex::encode_upper(&r.validator))
                .or_default();
            e.0 += 1;
            e.1 += u32::from(r.outlier);
        }
    }
    let served = served.load(Ordering::Relaxed);
    eprintln!(
        "query flood on validator 3: {served} served, {} refused or timed out, heights \
         {start}..={end}; (reports, outliers) per validator: {per_validator:?}",
        refused.load(Ordering::Relaxed)
    );
    assert!(
        served >= 500,
        "the flood did not happen: {served} queries served"
    );
    let (reports, outliers) = per_validator
        .get(&loaded)
        .copied()
        .ok_or_else(|| anyhow::anyhow!("validator 3 reported nothing under load"))?;
    assert!(reports >= 10, "{per_validator:?}");
    let honest_worst = per_validator
        .iter()
        .filter(|(v, _)| **v != loaded)
        .map(|(_, (_, o))| *o)
        .max()
        .unwrap_or(0);
    assert!(
        outliers <= honest_worst + reports / 10,
        "validator 3 under load: {outliers} outliers in {reports} reports; the others at \
         most {honest_worst}: {per_validator:?}"
    );
    let height = rpc.latest_height().await?;
    net.assert_app_hashes_agree(height).await?;
    drop(worker);
    net.stop_all();
    Ok(())
}
