//! Governance on a 4-validator network of real processes: a proposal submitted with
//! `pold tx gov submit-proposal` that changes a Proof-of-Latency parameter (latency) and an
//! SLA parameter passes on the validators' votes (one of them weighted), and takes effect
//! at the same height on all four nodes, with every app hash in agreement; a proposal of
//! CometBFT's consensus params changes the block gas limit on every node; a proposal
//! carrying invalid parameters passes the vote but fails at execution and changes nothing.

use std::time::Duration;

use pol_tests::net::{Network, NetworkOptions};
use pol_tests::{pold, VALIDATOR_OPERATOR};
use serde_json::{json, Value};

const VOTING_SECS: u64 = 8;

fn query(net: &Network, node: usize, args: &[&str], height: u64) -> Value {
    let url = net.rpc_url(node);
    let height = height.to_string();
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--node", &url, "--height", &height]);
    serde_json::from_str(&pold(&net.nodes[node].home, &all).unwrap()).unwrap()
}

fn latency_params(net: &Network, node: usize, height: u64) -> Value {
    query(net, node, &["query", "call", "latency", "Params"], height)["params"].clone()
}

fn sla_params(net: &Network, node: usize, height: u64) -> Value {
    query(net, node, &["query", "call", "sla", "Params"], height)["params"].clone()
}

fn proposal(net: &Network, id: &str) -> Value {
    query(net, 0, &["query", "gov", "proposal", id], 0)["proposal"].clone()
}

fn tx(net: &Network, node: usize, args: &[&str]) -> Value {
    let url = net.rpc_url(0);
    let mut all: Vec<&str> = vec!["tx", "gov"];
    all.extend(args);
    all.extend(["--node", &url]);
    let out: Value = serde_json::from_str(&pold(&net.nodes[node].home, &all).unwrap()).unwrap();
    assert_eq!(out["code"], 0, "{out}");
    out
}

async fn wait_for_status(net: &Network, id: &str, want: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(VOTING_SECS + 60);
    loop {
        let p = proposal(net, id);
        if p["status"] == want {
            return p;
        }
        assert!(tokio::time::Instant::now() < deadline, "never {want}: {p}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Submit `messages` from validator 0 and have every validator vote: 0–2 yes, 3 split.
async fn propose_and_vote(
    net: &Network,
    dir: &std::path::Path,
    name: &str,
    messages: Value,
) -> String {
    let file = dir.join(format!("{name}.json"));
    std::fs::write(
        &file,
        serde_json::to_vec(&json!({
            "messages": messages,
            "deposit": "10000000upol",
            "title": name,
            "summary": format!("{name}, by proposal"),
        }))
        .unwrap(),
    )
    .unwrap();
    let out = tx(
        net,
        0,
        &[
            "submit-proposal",
            VALIDATOR_OPERATOR,
            file.to_str().unwrap(),
        ],
    );
    let id = out["proposal_id"]
        .as_str()
        .expect("proposal id")
        .to_string();
    assert_eq!(
        proposal(net, &id)["status"],
        "PROPOSAL_STATUS_VOTING_PERIOD"
    );
    for node in 0..3 {
        tx(net, node, &["vote", VALIDATOR_OPERATOR, &id, "yes"]);
    }
    tx(
        net,
        3,
        &[
            "weighted-vote",
            VALIDATOR_OPERATOR,
            &id,
            "yes=0.5,abstain=0.5",
        ],
    );
    let votes = query(net, 0, &["query", "gov", "votes", &id], 0);
    assert_eq!(votes["votes"].as_array().map(Vec::len), Some(4), "{votes}");
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_passed_proposal_changes_pol_parameters_at_one_height_on_every_node() {
    let _one = crate::ONE_NETWORK.lock().await;
    let mut net = Network::init(NetworkOptions {
        genesis: Some(Box::new(|g: &mut Value| {
            let params = &mut g["app_state"]["gov"]["params"];
            params["voting_period"] = json!(format!("{VOTING_SECS}s"));
            params["max_deposit_period"] = json!(format!("{VOTING_SECS}s"));
            params["expedited_voting_period"] = json!("4s");
        })),
        ..Default::default()
    })
    .unwrap();
    net.start().unwrap();
    net.wait_for_height(2, Duration::from_secs(90))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let start = net.nodes[0].rpc.latest_height().await.unwrap();
    let old_latency = latency_params(&net, 0, start);
    let old_sla = sla_params(&net, 0, start);
    let mut latency = old_latency.clone();
    latency["outlierThresholdPpm"] = json!(700_000);
    let mut sla = old_sla.clone();
    sla["jailAfterMisses"] = json!(old_sla["jailAfterMisses"].as_u64().unwrap() + 3);
    let id = propose_and_vote(
        &net,
        dir.path(),
        "tighter-outliers",
        json!([
            { "@type": "/pol.latency.v1.MsgUpdateParams", "params": latency },
            { "@type": "/pol.sla.v1.MsgUpdateParams", "params": sla },
        ]),
    )
    .await;
    let passed = wait_for_status(&net, &id, "PROPOSAL_STATUS_PASSED").await;
    // 3 yes and half of the fourth: all of the bonded stake voted.
    let tally = &passed["finalTallyResult"];
    assert_ne!(tally["yesCount"], "0", "{passed}");
    assert_ne!(tally["abstainCount"], "0", "{passed}");

    // The first height with the new parameters, found on node 0, is the same on every node.
    let now = net.nodes[0].rpc.latest_height().await.unwrap();
    let changed_at = (start..=now)
        .find(|h| latency_params(&net, 0, *h)["outlierThresholdPpm"] == 700_000)
        .expect("the new latency params on node 0");
    for node in 0..4 {
        assert_eq!(latency_params(&net, node, changed_at - 1), old_latency);
        assert_eq!(
            latency_params(&net, node, changed_at),
            latency,
            "node {node}"
        );
        assert_eq!(sla_params(&net, node, changed_at - 1), old_sla);
        assert_eq!(sla_params(&net, node, changed_at), sla, "node {node}");
    }

    // CometBFT's consensus params: a new block gas limit, applied by every node from the
    // height after the proposal passed.
    let consensus = |node: usize, height: u64| {
        let rpc = net.nodes[node].rpc.clone();
        async move {
            rpc.call("consensus_params", json!({ "height": height.to_string() }))
                .await
                .unwrap()["consensus_params"]
                .clone()
        }
    };
    let now = net.nodes[0].rpc.latest_height().await.unwrap();
    let current = consensus(0, now).await;
    let old_gas: u64 = current["block"]["max_gas"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let new_gas = old_gas / 2;
    let nanos: u64 = current["evidence"]["max_age_duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let gas_id = propose_and_vote(
        &net,
        dir.path(),
        "half-the-block-gas",
        json!([{
            "@type": "/cosmos.consensus.v1.MsgUpdateParams",
            "block": { "maxBytes": current["block"]["max_bytes"], "maxGas": new_gas.to_string() },
            "evidence": {
                "maxAgeNumBlocks": current["evidence"]["max_age_num_blocks"],
                "maxAgeDuration": format!("{}s", nanos / 1_000_000_000),
                "maxBytes": current["evidence"]["max_bytes"],
            },
            "validator": { "pubKeyTypes": ["ed25519"] },
        }]),
    )
    .await;
    wait_for_status(&net, &gas_id, "PROPOSAL_STATUS_PASSED").await;
    let now = net.nodes[0].rpc.latest_height().await.unwrap();
    net.wait_for_height(now + 2, Duration::from_secs(60))
        .await
        .unwrap();
    for node in 0..4 {
        let after = consensus(node, now + 2).await;
        assert_eq!(
            after["block"]["max_gas"],
            new_gas.to_string(),
            "node {node}: {after}"
        );
    }

    // Invalid parameters: the proposal passes the vote, fails at execution, writes nothing.
    let mut bad = latency.clone();
    bad["maxExtensionBytes"] = json!(10);
    let mut sla_again = sla.clone();
    sla_again["jailAfterMisses"] = json!(1);
    let bad_id = propose_and_vote(
        &net,
        dir.path(),
        "broken",
        json!([
            { "@type": "/pol.sla.v1.MsgUpdateParams", "params": sla_again },
            { "@type": "/pol.latency.v1.MsgUpdateParams", "params": bad },
        ]),
    )
    .await;
    let failed = wait_for_status(&net, &bad_id, "PROPOSAL_STATUS_FAILED").await;
    assert!(
        failed["failedReason"]
            .as_str()
            .unwrap()
            .contains("max_extension_bytes"),
        "{failed}"
    );
    let now = net.nodes[0].rpc.latest_height().await.unwrap();
    assert_eq!(latency_params(&net, 0, now), latency);
    assert_eq!(
        sla_params(&net, 0, now),
        sla,
        "the first message was rolled back"
    );
    // Deposits came back: the gov account holds nothing.
    let gov_account = pold(&net.nodes[0].home, &["query", "gov", "authority"]).unwrap();
    let balances = query(
        &net,
        0,
        &["query", "bank", "balances", gov_account.trim()],
        0,
    );
    assert!(
        balances["balances"].as_array().is_none_or(|b| b.is_empty()),
        "{balances}"
    );

    net.wait_for_height(now + 2, Duration::from_secs(60))
        .await
        .unwrap();
    net.assert_app_hashes_agree(now + 2).await.unwrap();
    net.stop_all();
}

/// An upgrade proposal stops the validators at its height with a message naming the
/// upgrade; a restart with the same binary stops again at the same place; restarted with a
/// binary that knows the upgrade (here: `[test_faults] known_upgrades`), the chain goes on
/// from the same state, with every app hash in agreement and the upgrade recorded. A
/// validator that was down at the height catches up with the old binary, stops at the
/// height too, and then joins with the new one.
#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_stops_every_node_at_its_height_and_the_new_binary_continues() {
    let _one = crate::ONE_NETWORK.lock().await;
    let mut net = Network::init(NetworkOptions {
        genesis: Some(Box::new(|g: &mut Value| {
            let params = &mut g["app_state"]["gov"]["params"];
            params["voting_period"] = json!(format!("{VOTING_SECS}s"));
            params["max_deposit_period"] = json!(format!("{VOTING_SECS}s"));
            params["expedited_voting_period"] = json!("4s");
        })),
        ..Default::default()
    })
    .unwrap();
    net.start().unwrap();
    net.wait_for_height(2, Duration::from_secs(90))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The plan's height: far enough ahead for the vote, at this network's block rate.
    let h0 = net.nodes[0].rpc.latest_height().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let h1 = net.nodes[0].rpc.latest_height().await.unwrap();
    let per_sec = (h1 - h0).div_ceil(3).max(1);
    let at = h1 + per_sec * (VOTING_SECS + 15);
    let id = propose_and_vote(
        &net,
        dir.path(),
        "upgrade-to-v2",
        json!([{
            "@type": "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade",
            "plan": { "name": "v2", "height": at.to_string(), "info": "pold v2" },
        }]),
    )
    .await;
    wait_for_status(&net, &id, "PROPOSAL_STATUS_PASSED").await;
    let plan = query(&net, 0, &["query", "call", "upgrade", "CurrentPlan"], 0);
    assert_eq!(plan["plan"]["name"], "v2", "{plan}");
    assert!(
        net.nodes[0].rpc.latest_height().await.unwrap() < at,
        "the vote took past the plan's height"
    );

    // One validator is down when the height comes, as some always are: it will have to
    // catch up with the old binary.
    let down = net.nodes.len() - 1;
    net.nodes[down].kill9();

    // Every node that reaches the plan's height stops there, naming the upgrade. A node that
    // had not yet received that block when its peers stopped waits below it: alone, it can
    // go no further. (A loaded machine makes this happen now and then, as a slow link does
    // on a real network.)
    let needed = format!("UPGRADE \"v2\" NEEDED at height {at}");
    let mut waiting: Vec<usize> = (0..net.nodes.len()).filter(|&i| i != down).collect();
    let mut stopped = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let mut first_stop: Option<std::time::Instant> = None;
    while !waiting.is_empty()
        && std::time::Instant::now() < deadline
        && first_stop.is_none_or(|t| t.elapsed() < Duration::from_secs(20))
    {
        waiting.retain(|&i| {
            let Some(status) = net.nodes[i].wait_exit(Duration::ZERO) else {
                return true;
            };
            assert!(!status.success());
            assert_upgrade_needed(&net.nodes[i].log(), &needed);
            stopped.push(i);
            first_stop.get_or_insert_with(std::time::Instant::now);
            false
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let Some(&first) = stopped.first() else {
        panic!("still running past {at}:\n{}", net.nodes[0].log_tail());
    };
    let mut lagging = vec![down];
    for i in waiting {
        let node = &mut net.nodes[i];
        let height = node.rpc.latest_height().await.unwrap();
        assert!(
            height < at,
            "node {i} committed {height}, past the upgrade at {at}:\n{}",
            node.log_tail()
        );
        node.kill9();
        lagging.push(i);
    }
    eprintln!("stopped at the upgrade: {stopped:?}; left below it: {lagging:?}");
    // The same binary stops again at the same place.
    let said = net.nodes[first].log().matches(&needed).count();
    net.nodes[first].start().unwrap();
    net.nodes[first]
        .wait_exit(Duration::from_secs(60))
        .expect("the old binary goes past the upgrade");
    assert!(net.nodes[first].log().matches(&needed).count() > said);

    // "The new binary": it knows v2. The chain continues from the same state.
    for i in (0..net.nodes.len()).filter(|i| !lagging.contains(i)) {
        start_knowing_v2(&mut net.nodes[i]);
    }
    // A node left behind does what its operator would: it runs the old binary up to the
    // height (the new one refuses to run before it), stops there, and then runs the new one.
    for &i in &lagging {
        let node = &mut net.nodes[i];
        node.start().unwrap();
        let status = node
            .wait_exit(Duration::from_secs(120))
            .unwrap_or_else(|| panic!("node {i} did not catch up to {at}:\n{}", node.log_tail()));
        assert!(!status.success());
        assert_upgrade_needed(&node.log(), &needed);
        start_knowing_v2(node);
    }
    net.wait_for_height(at + 2, Duration::from_secs(120))
        .await
        .unwrap();
    net.assert_app_hashes_agree(at + 2).await.unwrap();
    let applied = query(
        &net,
        1,
        &[
            "query",
            "call",
            "upgrade",
            "AppliedPlan",
            r#"{"name": "v2"}"#,
        ],
        0,
    );
    assert_eq!(applied["height"], at.to_string(), "{applied}");
    let plan = query(&net, 2, &["query", "call", "upgrade", "CurrentPlan"], 0);
    assert!(plan["plan"].is_null(), "{plan}");
    net.stop_all();
}

/// The node's log names the upgrade it stopped for.
fn assert_upgrade_needed(log: &str, needed: &str) {
    assert!(
        log.contains(needed),
        "{:?}",
        log.lines()
            .filter(|l| l.contains("UPGRADE"))
            .collect::<Vec<_>>()
    );
}

/// Restarts a node as "the new binary": one that knows the upgrade v2.
fn start_knowing_v2(node: &mut pol_tests::Node) {
    let mut cfg = pol_app::config::AppConfig::load(&node.home).unwrap();
    cfg.test_faults.known_upgrades = vec!["v2".into()];
    cfg.save(&node.home).unwrap();
    node.start().unwrap();
}
