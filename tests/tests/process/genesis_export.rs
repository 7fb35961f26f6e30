//! `pold genesis export` on a real chain: run a chain with sends and a delegation, stop it,
//! export its state, start a second node from the export (same validator key, fresh
//! CometBFT data), and check that the new chain's first block carries the old chain's app
//! hash of the exported height, that balances, accounts and validators are as they were,
//! and that the new chain goes on producing blocks and accepting transactions.

use std::time::Duration;

use pol_client::{RpcClient, SignerKey};
use pol_staking::msg::MsgDelegate;
use pol_staking::pb;
use pol_tests::*;
use prost::Message;
use serde_json::{json, Value};
use tendermint_proto::google::protobuf::Any;

const CHAIN: &str = "pol-test-1";

async fn validators_at(rpc: &RpcClient, height: u64) -> Vec<pb::Validator> {
    let r: pb::QueryValidatorsResponse = rpc
        .query(
            "/pol.staking.v1.Query/Validators",
            &pb::QueryValidatorsRequest::default(),
            height,
        )
        .await
        .unwrap();
    r.validators
}

/// CometBFT's validator set at `height` as (base64 ed25519 key, power), sorted.
async fn cometbft_set(rpc: &RpcClient, height: u64) -> Vec<(String, i64)> {
    let r = rpc
        .call("validators", json!({"height": height.to_string()}))
        .await
        .unwrap();
    let mut set: Vec<(String, i64)> = r["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["pub_key"]["value"].as_str().unwrap().to_string(),
                v["voting_power"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    set.sort();
    set
}

async fn send(rpc: &RpcClient, w: &mut Wallet, to: &pol_component::Address, amount: u128) -> u64 {
    let r = rpc
        .broadcast_tx_sync(&w.send_tx(to, amount, DEFAULT_FEE))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "CheckTx: {}", r.log);
    w.sequence += 1;
    let res = rpc
        .wait_for_tx(&r.hash, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    res.height
}

fn exported_height(genesis: &Value) -> u64 {
    genesis["initial_height"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap()
        - 1
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_started_from_an_export_continues_with_the_same_state() {
    let (alice, bob) = (SignerKey::random(), SignerKey::random());
    let opts = ChainOptions {
        accounts: vec![(alice.clone(), 50_000_000), (bob.clone(), 1_000_000)],
        ..Default::default()
    };
    let mut old = Node::init(&opts).unwrap();
    old.start_and_wait(2).await.unwrap();
    let rpc = old.rpc.clone();

    // Sends and a delegation to the gentx validator.
    let mut alice_w = Wallet::load(&rpc, alice.clone(), CHAIN).await.unwrap();
    send(&rpc, &mut alice_w, &bob.address(), 1234).await;
    let mut bob_w = Wallet::load(&rpc, bob.clone(), CHAIN).await.unwrap();
    send(&rpc, &mut bob_w, &alice.address(), 34).await;
    let operator = validators_at(&rpc, 0).await[0].operator_address.clone();
    let delegate = MsgDelegate {
        delegator_address: alice.address().to_string(),
        validator_address: operator.clone(),
        amount: upol(3_000_000).pop(),
    };
    let res = alice_w
        .submit(
            &rpc,
            vec![Any {
                type_url: pol_staking::MSG_DELEGATE_TYPE_URL.into(),
                value: delegate.encode_to_vec(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    let last_tx = send(&rpc, &mut alice_w, &bob.address(), 5).await;
    // Let the delegation's power change reach CometBFT's set (two blocks later), so the
    // old chain at H + 1 signs with the set the export starts with.
    old.wait_for_height(last_tx + 3, Duration::from_secs(60))
        .await
        .unwrap();

    // The store is locked while the node runs, and the export says so.
    let err = pold(&old.home, &["genesis", "export"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("locked") && err.contains("Stop the node"),
        "{err}"
    );

    old.stop().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("exported.json");
    let started = std::time::Instant::now();
    pold(
        &old.home,
        &["genesis", "export", "--output", file.to_str().unwrap()],
    )
    .unwrap();
    eprintln!("pold genesis export took {:?}", started.elapsed());
    let exported: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let h = exported_height(&exported);
    assert!(h > last_tx, "exported height {h}, last tx at {last_tx}");
    assert_eq!(exported["chain_id"], CHAIN);
    assert_eq!(exported["validators"], json!([]));
    let original: Value =
        serde_json::from_slice(&std::fs::read(old.home.join("config/genesis.json")).unwrap())
            .unwrap();
    assert_eq!(exported["consensus_params"], original["consensus_params"]);
    assert_eq!(exported["genesis_time"], original["genesis_time"]);
    // An earlier height, to stdout.
    let earlier: Value = serde_json::from_str(
        &pold(
            &old.home,
            &["genesis", "export", "--height", &(h - 1).to_string()],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(exported_height(&earlier), h - 1);

    // The old chain's view of H (its block H + 1 carries the app hash of H).
    old.start_and_wait(h + 1).await.unwrap();
    let old_hash = rpc.app_hash_at(h + 1).await.unwrap();
    assert_eq!(
        exported["app_hash"].as_str().unwrap(),
        hex::encode_upper(&old_hash)
    );
    assert_eq!(
        earlier["app_hash"].as_str().unwrap(),
        hex::encode_upper(rpc.app_hash_at(h).await.unwrap())
    );
    let old_alice = balance(&rpc, &alice.address(), h).await.unwrap();
    let old_bob = balance(&rpc, &bob.address(), h).await.unwrap();
    let old_validators = validators_at(&rpc, h).await;
    let old_set = cometbft_set(&rpc, h + 1).await;
    old.stop().unwrap();

    // A second node: the export as its genesis, the same validator key, fresh CometBFT data.
    let mut new = Node::init(&ChainOptions::default()).unwrap();
    std::fs::copy(&file, new.home.join("config/genesis.json")).unwrap();
    std::fs::copy(
        old.home.join("config/priv_validator_key.json"),
        new.home.join("config/priv_validator_key.json"),
    )
    .unwrap();
    new.start_and_wait(h + 2).await.unwrap();
    let nrpc = new.rpc.clone();
    assert_eq!(
        nrpc.app_hash_at(h + 1).await.unwrap(),
        old_hash,
        "the new chain's first block carries the app hash of the exported height"
    );
    assert_eq!(
        balance(&nrpc, &alice.address(), 0).await.unwrap(),
        old_alice
    );
    assert_eq!(balance(&nrpc, &bob.address(), 0).await.unwrap(), old_bob);
    assert_eq!(validators_at(&nrpc, h + 1).await, old_validators);
    assert_eq!(cometbft_set(&nrpc, h + 1).await, old_set);
    assert_eq!(old_validators.len(), 1);
    assert_eq!(old_validators[0].operator_address, operator);

    // Accounts kept their numbers and sequences: alice's next send goes through.
    let mut alice_new = Wallet::load(&nrpc, alice.clone(), CHAIN).await.unwrap();
    assert_eq!(
        (alice_new.account_number, alice_new.sequence),
        (alice_w.account_number, alice_w.sequence)
    );
    let at = send(&nrpc, &mut alice_new, &bob.address(), 100).await;
    assert!(at > h + 1);
    assert_eq!(
        balance(&nrpc, &bob.address(), 0).await.unwrap(),
        old_bob + 100
    );
    new.wait_for_height(at + 2, Duration::from_secs(60))
        .await
        .unwrap();
    new.stop().unwrap();
}
