//! Downtime on a 4-validator network of real processes: a validator stopped past its
//! signed-blocks window is slashed by exactly the downtime fraction, jailed and dropped
//! from CometBFT's set; after a restart its unjail is refused until the jail time is over,
//! then accepted, and it is back in the set with every app hash in agreement.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as spb;
use pol_client::RpcClient;
use pol_staking::pb;
use pol_tests::net::{Network, NetworkOptions};
use pol_tests::{pold, VALIDATOR_OPERATOR};
use serde_json::{json, Value};

const JAIL_SECS: u64 = 20;

async fn validator(rpc: &RpcClient, op: &str) -> pb::Validator {
    let r: pb::QueryValidatorResponse = rpc
        .query(
            "/pol.staking.v1.Query/Validator",
            &pb::QueryValidatorRequest {
                validator_address: op.to_string(),
            },
            0,
        )
        .await
        .unwrap();
    r.validator.unwrap()
}

/// The `polvaloper…` of the validator whose home is `home`.
fn valoper_of(home: &std::path::Path) -> String {
    let operator = pold(home, &["keys", "show", VALIDATOR_OPERATOR, "--address"])
        .unwrap()
        .trim()
        .to_string();
    pol_staking::types::valoper_string(&pol_component::Address::parse(&operator).unwrap())
}

async fn set_size(rpc: &RpcClient) -> usize {
    let h = rpc.latest_height().await.unwrap();
    let r = rpc
        .call("validators", json!({"height": h.to_string()}))
        .await
        .unwrap();
    r["validators"].as_array().map_or(0, Vec::len)
}

async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    secs: u64,
    mut check: impl FnMut() -> F,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_validator_down_past_the_window_is_slashed_jailed_and_unjails_after_its_time() {
    let _one = crate::ONE_NETWORK.lock().await;
    let mut net = Network::init(NetworkOptions {
        genesis: Some(Box::new(|g: &mut Value| {
            g["app_state"]["slashing"]["params"] = json!({
                "signed_blocks_window": "10",
                "min_signed_per_window": "0.500000000000000000",
                "downtime_jail_duration": format!("{JAIL_SECS}s"),
                "slash_fraction_double_sign": "0.050000000000000000",
                "slash_fraction_downtime": "0.010000000000000000",
            });
        })),
        ..Default::default()
    })
    .unwrap();
    net.start().unwrap();
    net.wait_for_height(3, Duration::from_secs(90))
        .await
        .unwrap();
    let rpc = net.nodes[0].rpc.clone();
    let home3 = net.nodes[3].home.clone();
    let valoper3 = valoper_of(&home3);
    let before: u128 = validator(&rpc, &valoper3).await.tokens.parse().unwrap();
    assert_eq!(set_size(&rpc).await, 4);

    // Down: 3 of 4 equal powers go on; more than 5 of its 10-block window missed jails it.
    net.nodes[3].stop().unwrap();
    wait_until("validator 3 jailed for downtime", 120, || {
        let (rpc, op) = (rpc.clone(), valoper3.clone());
        async move { validator(&rpc, &op).await.jailed }
    })
    .await;
    let after: u128 = validator(&rpc, &valoper3).await.tokens.parse().unwrap();
    // 1 % of the stake, rounded up, and only once.
    assert_eq!(after, before - before.div_ceil(100));
    wait_until("CometBFT's set without validator 3", 60, || {
        let rpc = rpc.clone();
        async move { set_size(&rpc).await == 3 }
    })
    .await;
    let node0 = net.rpc_url(0);
    let info: Value = serde_json::from_str(
        &pold(
            &net.nodes[0].home,
            &[
                "query",
                "slashing",
                "signing-info",
                &valoper3,
                "--node",
                &node0,
            ],
        )
        .unwrap(),
    )
    .unwrap();
    // The window restarted at the jail; the two commits that still held the validator
    // (the set changes with a delay) are all it can have missed since.
    let missed: u64 = info["missed_blocks_counter"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(missed <= 2, "{info}");
    assert_eq!(info["tombstoned"], false, "{info}");
    // The same record over gRPC's Cosmos query, as an explorer reads it.
    let r: spb::QuerySigningInfoResponse = rpc
        .query(
            "/cosmos.slashing.v1beta1.Query/SigningInfo",
            &spb::QuerySigningInfoRequest {
                cons_address: info["address"].as_str().unwrap().to_string(),
            },
            0,
        )
        .await
        .unwrap();
    let jailed_until = r.val_signing_info.unwrap().jailed_until.unwrap();
    assert!(jailed_until.seconds > 0);
    let jailed_at = tokio::time::Instant::now();

    // Back up; unjail before the jail time is over is refused with slashing's code.
    net.nodes[3].start().unwrap();
    let unjail = || {
        pold(
            &home3,
            &[
                "tx",
                "slashing",
                "unjail",
                VALIDATOR_OPERATOR,
                "--node",
                &node0,
            ],
        )
    };
    let refused = unjail().unwrap_err().to_string();
    assert!(
        refused.contains("\"codespace\": \"slashing\"") && refused.contains("\"code\": 4"),
        "{refused}"
    );
    assert!(validator(&rpc, &valoper3).await.jailed);

    // After it: accepted, and validator 3 is back in CometBFT's set.
    let wait = Duration::from_secs(JAIL_SECS + 2).saturating_sub(jailed_at.elapsed());
    tokio::time::sleep(wait).await;
    let out: Value = serde_json::from_str(&unjail().unwrap()).unwrap();
    assert_eq!(out["code"], 0, "{out}");
    assert!(!validator(&rpc, &valoper3).await.jailed);
    wait_until("validator 3 back in CometBFT's set", 60, || {
        let rpc = rpc.clone();
        async move { set_size(&rpc).await == 4 }
    })
    .await;
    let mut now = 0;
    for n in &net.nodes {
        now = now.max(n.rpc.latest_height().await.unwrap());
    }
    net.wait_for_height(now + 2, Duration::from_secs(60))
        .await
        .unwrap();
    net.assert_app_hashes_agree(now + 2).await.unwrap();
    net.stop_all();
}

/// Validator 3's key also signs on a second node: CometBFT's peers catch the conflicting
/// votes, the evidence is committed, and the chain slashes exactly the double-sign fraction
/// of validator 3's stake, jails and tombstones it (unjail refused for good, with the SDK's code), and drops it
/// from the set, with every app hash in agreement.
#[tokio::test(flavor = "multi_thread")]
async fn a_double_signing_validator_is_slashed_and_tombstoned() {
    let _one = crate::ONE_NETWORK.lock().await;
    let mut net = Network::init(NetworkOptions::default()).unwrap();
    net.start().unwrap();
    net.wait_for_height(2, Duration::from_secs(90))
        .await
        .unwrap();
    let rpc = net.nodes[0].rpc.clone();
    let home3 = net.nodes[3].home.clone();
    let valoper3 = valoper_of(&home3);
    let before: u128 = validator(&rpc, &valoper3).await.tokens.parse().unwrap();

    let twin = net.add_twin(3).unwrap();
    net.nodes[twin].start().unwrap();
    let node0 = net.rpc_url(0);
    let signing_info = || {
        let home = net.nodes[0].home.clone();
        let (valoper, node) = (valoper3.clone(), node0.clone());
        async move {
            let out = pold(
                &home,
                &[
                    "query",
                    "slashing",
                    "signing-info",
                    &valoper,
                    "--node",
                    &node,
                ],
            )
            .unwrap();
            serde_json::from_str::<Value>(&out).unwrap()
        }
    };
    wait_until("validator 3 tombstoned for double-signing", 240, || {
        let info = signing_info();
        async move { info.await["tombstoned"] == true }
    })
    .await;
    let v = validator(&rpc, &valoper3).await;
    assert!(v.jailed);
    // 5 % of the stake, rounded up, once (it had no unbonding entries).
    let after: u128 = v.tokens.parse().unwrap();
    assert_eq!(after, before - before.div_ceil(20));
    assert_eq!(signing_info().await["jailed_until"], "9999-12-31T23:59:59Z");
    wait_until("CometBFT's set without validator 3", 60, || {
        let rpc = rpc.clone();
        async move { set_size(&rpc).await == 3 }
    })
    .await;
    let refused = pold(
        &home3,
        &[
            "tx",
            "slashing",
            "unjail",
            VALIDATOR_OPERATOR,
            "--node",
            &node0,
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("\"codespace\": \"slashing\"")
            && refused.contains("\"code\": 4")
            && refused.contains("tombstoned"),
        "{refused}"
    );
    // The evidence is in a block; the chain went on past it and agrees.
    let h = rpc.latest_height().await.unwrap();
    let mut found = false;
    for height in 1..=h {
        let r = rpc
            .call("block", json!({"height": height.to_string()}))
            .await
            .unwrap();
        let evidence = &r["block"]["evidence"]["evidence"];
        if evidence.as_array().is_some_and(|e| !e.is_empty()) {
            found = true;
            break;
        }
    }
    assert!(found, "no block up to {h} carries evidence");
    net.wait_for_height(h + 2, Duration::from_secs(60))
        .await
        .unwrap();
    net.assert_app_hashes_agree(h + 2).await.unwrap();
    net.stop_all();
}
