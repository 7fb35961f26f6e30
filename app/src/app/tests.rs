//! The consensus driver without CometBFT: bounds, determinism, restart and replay.

use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::*;
use tendermint_proto::v0_38::types::{BlockParams, ConsensusParams};

use super::{App, NodeSettings};
use crate::client::txbuilder::{SendTx, SignerKey};
use crate::query::QueryRouter;
use pol_component::coins::Coin;
use pol_component::Address;
use pol_store::{Storage, StorageConfig};

const CHAIN: &str = "pol-unit-1";

fn app_at(dir: &std::path::Path, rt: &tokio::runtime::Runtime) -> App {
    let storage = Storage::open(dir, StorageConfig { keep_recent: 0 }).unwrap();
    let queries = QueryRouter::new(&storage, rt.handle().clone());
    App::new(
        storage,
        NodeSettings {
            min_gas_price: None,
        },
        queries,
    )
    .unwrap()
}

fn genesis(funded: &[Address], max_gas: i64) -> RequestInitChain {
    let balances: Vec<_> = funded
        .iter()
        .map(|a| serde_json::json!({"address": a.to_string(), "coins": [{"denom": "upol", "amount": "1000000000"}]}))
        .collect();
    RequestInitChain {
        chain_id: CHAIN.into(),
        initial_height: 1,
        app_state_bytes: serde_json::to_vec(&serde_json::json!({"bank": {"balances": balances}}))
            .unwrap()
            .into(),
        consensus_params: Some(ConsensusParams {
            block: Some(BlockParams {
                max_bytes: 1 << 20,
                max_gas,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn send(key: &SignerKey, seq: u64, gas: u64) -> Vec<u8> {
    SendTx {
        to: Address([7; 20]),
        amount: vec![Coin::new("upol", 10).to_proto()],
        fee: vec![Coin::new("upol", 100).to_proto()],
        gas_limit: gas,
        memo: String::new(),
        chain_id: CHAIN.into(),
        account_number: 0,
        sequence: seq,
    }
    .sign(key)
}

fn finalize(app: &App, height: i64, txs: Vec<Vec<u8>>) -> ResponseFinalizeBlock {
    let r = app.finalize_block(RequestFinalizeBlock {
        txs: txs.into_iter().map(Into::into).collect(),
        height,
        time: Some(tendermint_proto::google::protobuf::Timestamp {
            seconds: 1_700_000_000 + height,
            nanos: 0,
        }),
        ..Default::default()
    });
    app.commit();
    r
}

#[test]
fn proposals_respect_block_gas_and_reject_undecodable_txs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &rt);
    let alice = SignerKey::random();
    app.init_chain(genesis(&[alice.address()], 500_000));

    let txs: Vec<_> = (0..4).map(|s| send(&alice, s, 200_000).into()).collect();
    let prepared = app.prepare_proposal(RequestPrepareProposal {
        txs: txs.clone(),
        max_tx_bytes: 1 << 20,
        height: 1,
        ..Default::default()
    });
    assert_eq!(
        prepared.txs.len(),
        2,
        "two 200k-gas txs fit a 500k block, three don't"
    );

    use response_process_proposal::ProposalStatus::{Accept, Reject};
    let verdict = |txs: Vec<_>| {
        app.process_proposal(RequestProcessProposal {
            txs,
            height: 1,
            ..Default::default()
        })
        .status
    };
    assert_eq!(verdict(prepared.txs.clone()), Accept as i32);
    assert_eq!(
        verdict(txs.clone()),
        Reject as i32,
        "over the block gas limit"
    );
    assert_eq!(verdict(vec![b"garbage".to_vec().into()]), Reject as i32);
    // Txs that decode but fail in execution are the block's business, not a reason to reject it.
    assert_eq!(verdict(vec![send(&alice, 99, 1000).into()]), Accept as i32);
}

#[test]
fn two_nodes_agree_and_a_restart_resumes_with_the_same_hash() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let alice = SignerKey::random();
    let mut hashes = Vec::new();
    for dir in [d1.path(), d2.path()] {
        let app = app_at(dir, &rt);
        let init = app.init_chain(genesis(&[alice.address()], 10_000_000));
        let mut h = vec![init.app_hash.to_vec()];
        for height in 1..=5i64 {
            let seq = (height - 1) as u64;
            let r = finalize(
                &app,
                height,
                vec![send(&alice, seq, 200_000), b"junk".to_vec()],
            );
            assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
            assert_eq!(r.tx_results[1].code, 2);
            h.push(r.app_hash.to_vec());
        }
        hashes.push(h);
    }
    assert_eq!(hashes[0], hashes[1], "same blocks, different app hashes");
    assert_eq!(
        hashes[0]
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        6,
        "every block changes the hash"
    );

    // Restart: Info reports the last commit; a block finalized but never committed (crash
    // between FinalizeBlock and Commit) is replayed to the same hash.
    let app = app_at(d1.path(), &rt);
    let info = app.info(RequestInfo::default());
    assert_eq!(info.last_block_height, 5);
    assert_eq!(info.last_block_app_hash.to_vec(), hashes[0][5]);
    let first = app.finalize_block(RequestFinalizeBlock {
        txs: vec![send(&alice, 5, 200_000).into()],
        height: 6,
        ..Default::default()
    });
    drop(app); // crash before Commit
    let app = app_at(d1.path(), &rt);
    assert_eq!(app.info(RequestInfo::default()).last_block_height, 5);
    let replayed = finalize(&app, 6, vec![send(&alice, 5, 200_000)]);
    assert_eq!(first.app_hash, replayed.app_hash);
    assert_eq!(app.info(RequestInfo::default()).last_block_height, 6);
}

#[test]
fn queries_read_committed_state_at_any_height() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &rt);
    let alice = SignerKey::random();
    app.init_chain(genesis(&[alice.address()], 10_000_000));
    finalize(&app, 1, vec![]);
    finalize(&app, 2, vec![send(&alice, 0, 200_000)]);
    let key = [b"bank/balance/".as_slice(), &[7u8; 20], b"/upol"].concat();
    let at = |h: i64| {
        app.query(RequestQuery {
            path: "/store/key".into(),
            data: key.clone().into(),
            height: h,
            prove: true,
        })
    };
    assert!(at(1).value.is_empty());
    assert!(!at(2).value.is_empty());
    assert!(at(2).proof_ops.is_some());
    let bad = app.query(RequestQuery {
        path: "/nope.Query/X".into(),
        ..Default::default()
    });
    assert_eq!(bad.code, 6);
    assert!(bad.log.contains("unknown query path"));
    let neg = app.query(RequestQuery {
        path: "/store/key".into(),
        height: -1,
        ..Default::default()
    });
    assert_ne!(neg.code, 0);
    let version = app.query(RequestQuery {
        path: "/app/version".into(),
        ..Default::default()
    });
    assert_eq!(version.value.to_vec(), env!("CARGO_PKG_VERSION").as_bytes());
}

/// A genesis whose only validator comes from a gentx entry for `operator`.
fn genesis_with_validator(
    operator: &SignerKey,
    funded: &[Address],
    cons_key: [u8; 32],
) -> RequestInitChain {
    let mut req = genesis(funded, 10_000_000);
    let mut state: serde_json::Value = serde_json::from_slice(&req.app_state_bytes).unwrap();
    let op = operator.address().to_string();
    state["bank"]["balances"].as_array_mut().unwrap().push(
        serde_json::json!({"address": op, "coins": [{"denom": "upol", "amount": "100000000"}]}),
    );
    state["staking"] = serde_json::json!({"gentxs": [pol_staking::GenesisValidator::new(
        &operator.address(), &cons_key, "val0", 0, 7_000_000)]});
    req.app_state_bytes = serde_json::to_vec(&state).unwrap().into();
    req
}

fn ed25519_key(seed: u8) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
        .verifying_key()
        .to_bytes()
}

#[test]
fn staking_sets_the_genesis_validators_and_reports_set_changes() {
    use pol_staking::end_block::validator_update;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &rt);
    let (operator, carol) = (SignerKey::random(), SignerKey::random());
    let init = app.init_chain(genesis_with_validator(
        &operator,
        &[carol.address()],
        ed25519_key(1),
    ));
    assert_eq!(init.validators, vec![validator_update(&ed25519_key(1), 7)]);
    finalize(&app, 1, vec![]);

    // Carol creates a validator in block 2: FinalizeBlock hands CometBFT the new member.
    let create = pol_staking::msg::MsgCreateValidator {
        validator_address: pol_staking::types::valoper_string(&carol.address()),
        consensus_pubkey: ed25519_key(2).to_vec(),
        moniker: "carol".into(),
        commission_bps: 100,
        self_bond: Some(Coin::new("upol", 3_000_000).to_proto()),
    };
    let tx = crate::client::txbuilder::sign_tx(
        &carol,
        vec![tendermint_proto::google::protobuf::Any {
            type_url: pol_staking::MSG_CREATE_VALIDATOR_TYPE_URL.into(),
            value: prost::Message::encode_to_vec(&create),
        }],
        "",
        vec![Coin::new("upol", 100).to_proto()],
        200_000,
        CHAIN,
        0, // carol is genesis account 0; the operator has no auth entry until it acts
        0,
    );
    let r = finalize(&app, 2, vec![tx]);
    assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
    assert_eq!(
        r.validator_updates,
        vec![validator_update(&ed25519_key(2), 3)]
    );
    // Nothing changes in the next block: no updates at all.
    assert!(finalize(&app, 3, vec![]).validator_updates.is_empty());
}

#[test]
fn genesis_json_validators_must_match_staking() {
    use super::consensus::initial_validators;
    use pol_staking::end_block::validator_update;
    let ours = vec![validator_update(&ed25519_key(1), 7)];
    let err =
        initial_validators(&[validator_update(&ed25519_key(9), 7)], ours.clone()).unwrap_err();
    assert!(err.contains("differ"), "{err}");
    // Empty (as collect-gentxs leaves it) or identical: staking's set wins.
    assert_eq!(initial_validators(&[], ours.clone()).unwrap(), ours);
    assert_eq!(initial_validators(&ours, ours.clone()).unwrap(), ours);
    // Staking has none: genesis.json's own list stands.
    let theirs = vec![validator_update(&ed25519_key(3), 1)];
    assert_eq!(initial_validators(&theirs, vec![]).unwrap(), theirs);
}

#[test]
fn every_staking_query_is_served_on_its_abci_path() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
    let router = QueryRouter::new(&storage, rt.handle().clone());
    let paths: Vec<_> = router.paths().copied().collect();
    for p in pol_staking::QUERY_PATHS {
        assert!(paths.contains(p), "{p} not routed");
    }
}
