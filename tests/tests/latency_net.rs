//! Proof-of-Latency on a 4-validator network of real processes (pold + CometBFT each, on
//! loopback): every block carries the previous height's vote extensions as its first tx,
//! every validator accepts it, all app hashes agree, and the chain lives on with one
//! validator down.

use std::time::Duration;

use pol_tests::net::{Network, NetworkOptions};
use serde_json::Value;

/// The attributes of the first event of `kind` in tx 0 of block `height`.
async fn first_tx_event(
    rpc: &pol_app::client::RpcClient,
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
    let mut net = Network::init(NetworkOptions::default())?;
    net.start()?;
    net.wait_for_height(6, Duration::from_secs(90)).await?;

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
    let now = rpc.latest_height().await?;
    for n in &net.nodes[..3] {
        n.wait_for_height(now + 4, Duration::from_secs(60)).await?;
    }
    let (_, attrs) = first_tx_event(rpc, now + 3, "latency_report")
        .await?
        .expect("blocks still carry reports");
    assert_eq!(attr(&attrs, "votes"), Some("3"), "{attrs:?}");
    net.assert_app_hashes_agree(now + 4).await?;
    net.stop_all();
    Ok(())
}
