//! A single-validator pol chain under real CometBFT: blocks, sends, rejections with their
//! codes, proofs against the app hash, historical queries.

use std::time::Duration;

use pol_client::SignerKey;
use pol_tests::*;

const FUNDS: u128 = 1_000_000_000;

async fn chain_with(accounts: Vec<(SignerKey, u128)>) -> Node {
    let opts = ChainOptions {
        accounts,
        ..Default::default()
    };
    let mut node = Node::init(&opts).expect("init");
    node.start_and_wait(2).await.expect("chain starts");
    node
}

#[tokio::test(flavor = "multi_thread")]
async fn sends_tokens_and_rejects_bad_transactions_with_their_codes() {
    let alice = SignerKey::random();
    let bob = SignerKey::random().address();
    let node = chain_with(vec![(alice.clone(), FUNDS)]).await;
    let rpc = &node.rpc;
    let mut w = Wallet::load(rpc, alice.clone(), "pol-test-1")
        .await
        .unwrap();

    // A good send lands and moves exactly amount + fee.
    let r = rpc
        .broadcast_tx_sync(&w.send_tx(&bob, 1234, DEFAULT_FEE))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.log);
    let res = rpc
        .wait_for_tx(&r.hash, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    assert!(res.gas_used > 0 && res.gas_used <= DEFAULT_GAS);
    w.sequence += 1;
    assert_eq!(balance(rpc, &bob, 0).await.unwrap(), 1234);
    assert_eq!(
        balance(rpc, &alice.address(), 0).await.unwrap(),
        FUNDS - 1234 - DEFAULT_FEE
    );
    assert_eq!(fees_collected(rpc).await.unwrap(), DEFAULT_FEE);

    // Replayed sequence: a new tx signed at the already-used sequence 0.
    let replay = w.send_tx(&bob, 1, DEFAULT_FEE);
    let stale = Wallet {
        sequence: 0,
        ..Wallet::load(rpc, alice.clone(), "pol-test-1")
            .await
            .unwrap()
    };
    let r = rpc
        .broadcast_tx_sync(&stale.send_tx(&bob, 1, DEFAULT_FEE))
        .await
        .unwrap();
    assert_eq!(
        (r.code, r.codespace.as_str()),
        (32, "sdk"),
        "replayed sequence: {}",
        r.log
    );
    assert!(r.log.contains("expected 1, got 0"), "{}", r.log);

    // Bad signature: flip one byte of the signature.
    let mut tx: cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw =
        prost::Message::decode(replay.as_slice()).unwrap();
    tx.signatures[0][10] ^= 0x01;
    let r = rpc
        .broadcast_tx_sync(&prost::Message::encode_to_vec(&tx))
        .await
        .unwrap();
    assert_eq!(r.code, 4, "bad signature: {}", r.log);

    // Wrong chain-id in the sign doc.
    let other = Wallet {
        chain_id: "pol-other-9".into(),
        ..Wallet::load(rpc, alice.clone(), "x").await.unwrap()
    };
    let r = rpc
        .broadcast_tx_sync(&other.send_tx(&bob, 1, DEFAULT_FEE))
        .await
        .unwrap();
    assert_eq!(r.code, 4, "wrong chain-id: {}", r.log);
    assert!(r.log.contains("chain-id (pol-test-1)"), "{}", r.log);

    // Overdrawn send.
    let r = rpc
        .broadcast_tx_sync(&w.send_tx(&bob, FUNDS, DEFAULT_FEE))
        .await
        .unwrap();
    assert_eq!(r.code, 5, "overdrawn: {}", r.log);

    // Underpriced fee (node floor 0.025upol × 200k gas = 5000upol).
    let r = rpc
        .broadcast_tx_sync(&w.send_tx(&bob, 1, 4999))
        .await
        .unwrap();
    assert_eq!(r.code, 13, "underpriced: {}", r.log);
    assert!(r.log.contains("required: 5000upol"), "{}", r.log);

    // Garbage bytes.
    let r = rpc.broadcast_tx_sync(b"\xff\xfe not a tx").await.unwrap();
    assert_eq!(r.code, 2, "garbage: {}", r.log);

    // None of the rejections moved coins or sequences: the next honest tx still uses seq 1.
    let r = rpc
        .broadcast_tx_sync(&w.send_tx(&bob, 1, DEFAULT_FEE))
        .await
        .unwrap();
    assert_eq!(r.code, 0, "{}", r.log);
    rpc.wait_for_tx(&r.hash, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(balance(rpc, &bob, 0).await.unwrap(), 1235);
}

#[tokio::test(flavor = "multi_thread")]
async fn abci_query_proofs_verify_against_the_app_hash_and_history_is_queryable() {
    use prost::Message;
    let alice = SignerKey::random();
    let bob = SignerKey::random().address();
    let node = chain_with(vec![(alice.clone(), FUNDS)]).await;
    let rpc = &node.rpc;
    let w = Wallet::load(rpc, alice.clone(), "pol-test-1")
        .await
        .unwrap();
    let r = rpc
        .broadcast_tx_sync(&w.send_tx(&bob, 777, DEFAULT_FEE))
        .await
        .unwrap();
    let included = rpc
        .wait_for_tx(&r.hash, Duration::from_secs(30))
        .await
        .unwrap()
        .height;
    node.wait_for_height(included + 1, Duration::from_secs(30))
        .await
        .unwrap();

    // State at height h is committed by the app hash in header h+1.
    let key = [b"bank/balance/".as_slice(), bob.as_bytes(), b"/upol"].concat();
    let q = rpc
        .abci_query("/store/key", &key, included, true)
        .await
        .unwrap();
    assert_eq!(q.code, 0, "{}", q.log);
    assert_eq!(q.height, included);
    let coin = cosmos_sdk_proto::cosmos::base::v1beta1::Coin::decode(q.value.as_slice()).unwrap();
    assert_eq!(coin.amount, "777");
    let (kind, _, data) = &q.proof_ops[0];
    assert_eq!(kind, "ics23:jmt");
    let proof = ics23::CommitmentProof::decode(data.as_slice()).unwrap();
    let root = rpc.app_hash_at(included + 1).await.unwrap();
    let spec = pol_store::proof_spec();
    assert!(ics23::verify_membership::<ics23::HostFunctionsManager>(
        &proof, &spec, &root, &key, &q.value
    ));
    // The same proof does not prove another value, nor against another root.
    assert!(!ics23::verify_membership::<ics23::HostFunctionsManager>(
        &proof, &spec, &root, &key, b"forged"
    ));
    let older_root = rpc.app_hash_at(included).await.unwrap();
    assert!(!ics23::verify_membership::<ics23::HostFunctionsManager>(
        &proof,
        &spec,
        &older_root,
        &key,
        &q.value
    ));

    // Absence is proven too: before the send, bob had no balance.
    let q0 = rpc
        .abci_query("/store/key", &key, included - 1, true)
        .await
        .unwrap();
    assert!(q0.value.is_empty());
    let proof0 = ics23::CommitmentProof::decode(q0.proof_ops[0].2.as_slice()).unwrap();
    assert!(ics23::verify_non_membership::<ics23::HostFunctionsManager>(
        &proof0,
        &spec,
        &older_root,
        &key
    ));

    // Historical gRPC-path queries.
    assert_eq!(balance(rpc, &bob, included - 1).await.unwrap(), 0);
    assert_eq!(balance(rpc, &bob, included).await.unwrap(), 777);
    // A height that does not exist yet is a clear error, not a panic.
    let err = balance(rpc, &bob, 1_000_000).await.unwrap_err().to_string();
    assert!(err.contains("not available"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn old_heights_are_pruned_past_the_retention_window() {
    let opts = ChainOptions {
        // Wide enough that `latest - 1` is still kept however slowly the query arrives.
        keep_recent_heights: 20,
        timeout_commit: "100ms".into(),
        ..Default::default()
    };
    let mut node = Node::init(&opts).unwrap();
    node.start_and_wait(40).await.unwrap();
    let rpc = &node.rpc;
    let latest = rpc.latest_height().await.unwrap();
    let key = pol_app::app::CHAIN_ID_KEY;
    // Inside the window: answered with a proof.
    let q = rpc
        .abci_query("/store/key", key, latest - 1, true)
        .await
        .unwrap();
    assert_eq!(
        (q.code, q.value.as_slice()),
        (0, b"pol-test-1".as_slice()),
        "{}",
        q.log
    );
    // Far behind it: a clear error, never stale or wrong data.
    let q = rpc.abci_query("/store/key", key, 2, true).await.unwrap();
    assert_ne!(q.code, 0);
    assert!(q.log.contains("not available"), "{}", q.log);
    let err = balance(rpc, &pol_component::Address([1; 20]), 2)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not available"), "{err}");
}
