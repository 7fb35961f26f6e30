//! Durability: kill -9 pold and CometBFT mid-load, restart, and find every committed tx
//! and every committed app hash exactly as before.

use std::collections::BTreeMap;
use std::time::Duration;

use pol_client::SignerKey;
use pol_tests::*;

#[tokio::test(flavor = "multi_thread")]
async fn kill9_mid_load_loses_nothing_committed() {
    let senders: Vec<SignerKey> = (0..4).map(|_| SignerKey::random()).collect();
    let bob = SignerKey::random().address();
    let opts = ChainOptions {
        accounts: senders.iter().map(|k| (k.clone(), 1_000_000_000)).collect(),
        timeout_commit: "100ms".into(),
        ..Default::default()
    };
    let mut node = Node::init(&opts).unwrap();

    // By hash: signing is deterministic (RFC 6979), so a tx re-signed after a crash at the
    // same sequence and amount is the very same tx, and must be counted once.
    let mut accepted: BTreeMap<String, u128> = BTreeMap::new();
    let mut i = 0u128;
    for round in 0..3u32 {
        node.start_and_wait(1).await.expect("node (re)starts");
        let rpc = node.rpc.clone();
        let mut wallets = Vec::new();
        for k in &senders {
            wallets.push(Wallet::load(&rpc, k.clone(), "pol-test-1").await.unwrap());
        }
        // Load: every sender streams sends; kill -9 lands while txs are in flight.
        let deadline =
            tokio::time::Instant::now() + Duration::from_millis(1200 + 300 * u64::from(round));
        while tokio::time::Instant::now() < deadline {
            for w in wallets.iter_mut() {
                i += 1;
                let amount = 1 + (i % 7);
                match rpc
                    .broadcast_tx_sync(&w.send_tx(&bob, amount, DEFAULT_FEE))
                    .await
                {
                    Ok(r) if r.code == 0 => {
                        w.sequence += 1;
                        accepted.insert(r.hash, amount);
                    }
                    Ok(r) => panic!("unexpected CheckTx rejection: {} {}", r.code, r.log),
                    Err(e) => panic!("rpc: {e}"),
                }
            }
        }
        // Remember every committed height's app hash, then crash.
        let height = rpc.latest_height().await.unwrap();
        let mut hashes = BTreeMap::new();
        for h in 1..=height {
            hashes.insert(h, rpc.app_hash_at(h).await.unwrap());
        }
        node.kill9();

        node.start().unwrap();
        node.wait_for_height(height + 2, Duration::from_secs(60))
            .await
            .expect("chain continues after kill -9");
        for (h, hash) in &hashes {
            assert_eq!(
                &node.rpc.app_hash_at(*h).await.unwrap(),
                hash,
                "app hash of height {h} changed across the crash"
            );
        }
        node.kill9();
    }

    // Every accepted tx either committed before a crash (and is still there) or was dropped
    // from CometBFT's non-durable mempool; bob holds exactly the sum of the committed ones.
    // Committed txs are read from the block store and block results, which CometBFT writes
    // before it commits a height; its tx indexer runs after the commit and may miss the last
    // block before a kill -9, so it is reported here but not trusted.
    node.start_and_wait(1).await.unwrap();
    let latest = node.rpc.latest_height().await.unwrap();
    let mut committed = 0u128;
    let mut found = 0usize;
    let mut unindexed = 0usize;
    for h in 1..=latest {
        let txs = node.rpc.block_txs(h).await.unwrap();
        let codes = node.rpc.block_tx_codes(h).await.unwrap();
        assert_eq!(txs.len(), codes.len(), "block {h}: txs vs results");
        for (tx, code) in txs.iter().zip(codes) {
            // The proposer's latency report (vote extensions) is nobody's send.
            if pol_latency::is_injected(tx) {
                assert_eq!(code, 0, "block {h}: the latency report failed");
                continue;
            }
            let hash = hex::encode_upper(pol_app::tx::decode::tx_hash(tx));
            let amount = accepted
                .get(&hash)
                .unwrap_or_else(|| panic!("block {h} holds tx {hash} that nobody sent"));
            assert_eq!(code, 0, "tx {hash} in block {h} failed");
            committed += amount;
            found += 1;
            if node.rpc.tx(&hash).await.unwrap().is_none() {
                unindexed += 1;
            }
        }
    }
    eprintln!(
        "{} txs accepted by CheckTx, {found} committed across 3 kill -9 rounds \
         ({unindexed} of them missing from CometBFT's tx index)",
        accepted.len()
    );
    assert!(found > 0, "no tx committed at all");
    assert_eq!(
        balance(&node.rpc, &bob, 0).await.unwrap(),
        committed,
        "{found} of {} txs committed",
        accepted.len()
    );
}
