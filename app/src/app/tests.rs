//! The consensus driver without CometBFT: bounds, determinism, restart and replay.

use crate::modules::Modules;
use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::*;
use tendermint_proto::v0_38::types::{BlockParams, ConsensusParams};

use super::{App, NodeSettings};
use crate::query::QueryRouter;
use pol_client::{SendTx, SignerKey};
use pol_component::coins::Coin;
use pol_component::Address;
use pol_store::{Storage, StorageConfig};

const CHAIN: &str = "pol-unit-1";

fn app_at(dir: &std::path::Path, rt: &tokio::runtime::Runtime) -> App {
    let storage = Storage::open(dir, StorageConfig { keep_recent: 0 }).unwrap();
    let queries = QueryRouter::new(&storage, Modules::pol(), rt.handle().clone());
    App::new(
        storage,
        Modules::pol(),
        NodeSettings {
            min_gas_price: None,
            ..Default::default()
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
    // The same block as `finalize` sends (its time is in state: the latency module keeps
    // the last block's hash and time).
    let first = app.finalize_block(RequestFinalizeBlock {
        txs: vec![send(&alice, 5, 200_000).into()],
        height: 6,
        time: Some(tendermint_proto::google::protobuf::Timestamp {
            seconds: 1_700_000_006,
            nanos: 0,
        }),
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
    let tx = pol_client::sign_tx(
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

/// A validator that enters through genesis.json alone (no gentx) has its consensus key
/// reserved: creating a staking validator with it is refused.
#[test]
fn genesis_json_validators_keys_cannot_be_taken_by_a_staking_validator() {
    use pol_staking::end_block::validator_update;
    use pol_staking::StakingRead;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(dir.path(), &rt);
    let mut req = genesis(&[], 10_000_000);
    req.validators = vec![validator_update(&ed25519_key(4), 10)];
    let r = app.init_chain(req);
    assert_eq!(r.validators.len(), 1);
    finalize(&app, 1, vec![]);
    let snapshot = app.storage().latest_snapshot();
    let cons = pol_staking::types::consensus_address(&ed25519_key(4));
    assert!(snapshot.consensus_key_reserved(&cons).unwrap());
}

/// For every module with a genesis, an empty object, a missing entry and its default JSON all
/// stand for the same default genesis, which validates: a genesis type generated from
/// `genesis.proto` must not fall back to its all-zero `Default` (absent params) for what
/// JSON leaves out.
#[test]
fn an_empty_or_missing_module_genesis_is_its_valid_default() {
    use pol_component::genesis::AppState;
    for m in crate::modules::MODULES {
        let Some(g) = m.genesis() else { continue };
        let default = g.default_json().unwrap();
        for (what, entry) in [
            ("{}", Some(serde_json::json!({}))),
            ("missing", None),
            ("default", Some(default.clone())),
        ] {
            let mut app_state = AppState::default();
            if let Some(e) = entry {
                app_state.insert_raw(m.name(), e);
            }
            g.validate(&app_state)
                .unwrap_or_else(|e| panic!("module {}: {what} genesis: {e}", m.name()));
        }
    }
}

/// Every method of every module's query services (read from the descriptors, module by
/// module from the app's one list) is served on its ABCI path: an empty request reaches the
/// service and gets its answer or its own refusal, never "unknown path".
#[test]
fn every_module_query_is_served_on_its_abci_path() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
    let router = QueryRouter::new(&storage, Modules::pol(), rt.handle().clone());
    let paths: Vec<String> = router.paths().cloned().collect();
    for m in crate::modules::MODULES {
        for svc in m.query_services() {
            let prefix = format!("/{svc}/");
            let methods: Vec<&String> = paths.iter().filter(|p| p.starts_with(&prefix)).collect();
            assert!(
                !methods.is_empty(),
                "module {}: {svc} has no routed method",
                m.name()
            );
            for path in methods {
                let r = router.handle(
                    &storage,
                    RequestQuery {
                        path: path.clone(),
                        ..Default::default()
                    },
                );
                assert!(
                    r.code != 6
                        && !r.log.contains("malformed")
                        && !r.log.contains("unknown query path"),
                    "{path}: code {} {}",
                    r.code,
                    r.log
                );
            }
        }
    }
    // A path nobody serves is refused as such, and a request that does not decode gets
    // the service's own refusal.
    let unknown = router.handle(
        &storage,
        RequestQuery {
            path: "/pol.nothing.v1.Query/Nothing".into(),
            ..Default::default()
        },
    );
    assert_eq!(unknown.code, 6, "{}", unknown.log);
    let garbage = router.handle(
        &storage,
        RequestQuery {
            path: "/cosmos.bank.v1beta1.Query/Balance".into(),
            data: vec![0xff, 0xff, 0xff].into(),
            ..Default::default()
        },
    );
    assert_eq!(garbage.code, 18, "{}", garbage.log);
    assert!(garbage.log.contains("does not decode"), "{}", garbage.log);
}

// ---- genesis export and import ---------------------------------------------------------

mod export {
    use super::*;
    use crate::export::{export_from_storage, init_chain_request, init_chain_root, ExportOptions};
    use pol_auth::AuthRead;
    use pol_staking::StakingRead;
    use serde_json::{json, Value};

    /// A staking message from `key`, signed with its on-chain account number and sequence.
    fn staking_tx<M: prost::Message>(
        app: &App,
        key: &SignerKey,
        type_url: &str,
        msg: &M,
    ) -> Vec<u8> {
        let acc = app
            .storage()
            .latest_snapshot()
            .account(&key.address())
            .unwrap()
            .expect("account exists");
        pol_client::sign_tx(
            key,
            vec![tendermint_proto::google::protobuf::Any {
                type_url: type_url.into(),
                value: msg.encode_to_vec(),
            }],
            "",
            vec![Coin::new("upol", 100).to_proto()],
            200_000,
            CHAIN,
            acc.account_number,
            acc.sequence,
        )
    }

    /// A send of `amount` from `key` to `to` at the account's current sequence.
    fn send_from(app: &App, key: &SignerKey, to: Address, amount: u128) -> Vec<u8> {
        let acc = app
            .storage()
            .latest_snapshot()
            .account(&key.address())
            .unwrap()
            .expect("account exists");
        SendTx {
            to,
            amount: vec![Coin::new("upol", amount).to_proto()],
            fee: vec![Coin::new("upol", 100).to_proto()],
            gas_limit: 200_000,
            memo: String::new(),
            chain_id: CHAIN.into(),
            account_number: acc.account_number,
            sequence: acc.sequence,
        }
        .sign(key)
    }

    fn ok(r: &ResponseFinalizeBlock) {
        for t in &r.tx_results {
            assert_eq!(t.code, 0, "{}", t.log);
        }
    }

    /// genesis.json as CometBFT would hold it: funded accounts, a gentx validator, and a
    /// 3-block unbonding period.
    fn genesis_doc(operator: &SignerKey, funded: &[Address]) -> Value {
        let req = genesis_with_validator(operator, funded, ed25519_key(1));
        let mut app_state: Value = serde_json::from_slice(&req.app_state_bytes).unwrap();
        app_state["staking"]["params"] = json!({"unbonding_blocks": 3});
        json!({
            "genesis_time": "2024-01-01T00:00:00Z",
            "chain_id": CHAIN,
            "initial_height": "1",
            "consensus_params": {
                "block": {"max_bytes": (1u64 << 20).to_string(), "max_gas": "10000000"},
                "abci": {"vote_extensions_enable_height": "1"}
            },
            "validators": [],
            "app_hash": "",
            "app_state": app_state,
        })
    }

    /// The (sorted) key → value content of committed `version`.
    fn content(app: &App, version: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
        pol_component::state::scan(&app.storage().snapshot(version).unwrap(), b"").unwrap()
    }

    struct Chain {
        app: App,
        hashes: Vec<Vec<u8>>, // app hash after block h at index h
        doc: Value,
        operator: SignerKey,
        alice: SignerKey,
        carol: SignerKey,
    }

    /// Five blocks: sends, a delegation, a new validator, an undelegation.
    fn run_chain(home: &std::path::Path, rt: &tokio::runtime::Runtime) -> Chain {
        let app = app_at(&crate::node::db_path(home), rt);
        let (operator, alice, carol) = (
            SignerKey::random(),
            SignerKey::random(),
            SignerKey::random(),
        );
        let doc = genesis_doc(&operator, &[alice.address(), carol.address()]);
        std::fs::create_dir_all(home.join("config")).unwrap();
        std::fs::write(
            home.join("config/genesis.json"),
            serde_json::to_vec_pretty(&doc).unwrap(),
        )
        .unwrap();
        let init = app.init_chain(init_chain_request(&doc).unwrap());
        let mut hashes = vec![init.app_hash.to_vec()];
        let r = finalize(&app, 1, vec![]);
        hashes.push(r.app_hash.to_vec());

        let op_val = pol_staking::types::valoper_string(&operator.address());
        let delegate = pol_staking::msg::MsgDelegate {
            delegator_address: carol.address().to_string(),
            validator_address: op_val.clone(),
            amount: Some(Coin::new("upol", 2_000_000).to_proto()),
        };
        let txs = vec![
            send_from(&app, &alice, Address([7; 20]), 10),
            staking_tx(&app, &carol, pol_staking::MSG_DELEGATE_TYPE_URL, &delegate),
        ];
        let r = finalize(&app, 2, txs);
        ok(&r);
        hashes.push(r.app_hash.to_vec());

        let create = pol_staking::msg::MsgCreateValidator {
            validator_address: pol_staking::types::valoper_string(&carol.address()),
            consensus_pubkey: ed25519_key(2).to_vec(),
            moniker: "carol".into(),
            commission_bps: 100,
            self_bond: Some(Coin::new("upol", 3_000_000).to_proto()),
        };
        let txs = vec![
            staking_tx(
                &app,
                &carol,
                pol_staking::MSG_CREATE_VALIDATOR_TYPE_URL,
                &create,
            ),
            send_from(&app, &alice, carol.address(), 1234),
        ];
        let r = finalize(&app, 3, txs);
        ok(&r);
        assert_eq!(r.validator_updates.len(), 1, "carol joins the set");
        hashes.push(r.app_hash.to_vec());

        let undelegate = pol_staking::msg::MsgUndelegate {
            delegator_address: carol.address().to_string(),
            validator_address: op_val,
            amount: Some(Coin::new("upol", 500_000).to_proto()),
        };
        let r = finalize(
            &app,
            4,
            vec![staking_tx(
                &app,
                &carol,
                pol_staking::MSG_UNDELEGATE_TYPE_URL,
                &undelegate,
            )],
        );
        ok(&r);
        hashes.push(r.app_hash.to_vec());
        let r = finalize(&app, 5, vec![send_from(&app, &alice, Address([8; 20]), 5)]);
        ok(&r);
        hashes.push(r.app_hash.to_vec());
        let latest = app.storage().latest_snapshot();
        assert_eq!(
            latest.all_unbondings().unwrap().len(),
            1,
            "an unbonding is pending"
        );
        assert_eq!(latest.last_powers().unwrap().len(), 2);
        Chain {
            app,
            hashes,
            doc,
            operator,
            alice,
            carol,
        }
    }

    #[test]
    fn an_exported_height_is_reproduced_by_init_chain_and_both_chains_go_on_alike() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let home = tempfile::tempdir().unwrap();
        let chain = run_chain(home.path(), &rt);
        let old = &chain.app;

        // The latest height, and an older retained one.
        let started = std::time::Instant::now();
        let e = export_from_storage(old.storage(), &chain.doc, ExportOptions::default()).unwrap();
        let took = started.elapsed();
        assert!(e.verified);
        assert_eq!(e.height, 5);
        assert_eq!(e.app_hash.to_vec(), chain.hashes[5]);
        assert_eq!(e.genesis["initial_height"], "6");
        assert_eq!(e.genesis["validators"], json!([]));
        assert_eq!(e.genesis["chain_id"], CHAIN);
        assert_eq!(e.genesis["genesis_time"], chain.doc["genesis_time"]);
        assert_eq!(e.genesis["consensus_params"], chain.doc["consensus_params"]);
        assert_eq!(e.genesis["app_hash"], hex::encode_upper(&chain.hashes[5]));
        eprintln!(
            "export of height 5 ({} state entries, {} accounts): {:?} including the \
             InitChain check",
            content(old, 5).len(),
            e.accounts,
            took
        );
        let e3 = export_from_storage(
            old.storage(),
            &chain.doc,
            ExportOptions {
                height: Some(3),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(e3.app_hash.to_vec(), chain.hashes[3]);
        assert_eq!(e3.genesis["initial_height"], "4");

        // A new chain from the export: InitChain gives the exported app hash, and starts
        // CometBFT with staking's set as it stood at height 5.
        let new_dir = tempfile::tempdir().unwrap();
        let new = app_at(new_dir.path(), &rt);
        let text = serde_json::to_string_pretty(&e.genesis).unwrap();
        let reread: Value = serde_json::from_str(&text).unwrap();
        let init = new.init_chain(init_chain_request(&reread).unwrap());
        assert_eq!(init.app_hash.to_vec(), chain.hashes[5], "imported app hash");
        let snap = old.storage().latest_snapshot();
        let mut want_set = Vec::new();
        for (op, power) in snap.last_powers().unwrap() {
            let v = snap.validator(&op).unwrap().unwrap();
            want_set.push(pol_staking::end_block::validator_update(
                &v.consensus_pubkey,
                power,
            ));
        }
        assert_eq!(init.validators, want_set);
        assert_eq!(init.validators.len(), 2);

        // The same blocks on both chains give the same hashes, through the maturing of the
        // unbonding (completion at height 7), and with the imported sequences and numbers.
        for height in 6..=8i64 {
            let txs = vec![
                send_from(old, &chain.alice, chain.operator.address(), height as u128),
                send_from(old, &chain.carol, Address([9; 20]), 1),
            ];
            let a = finalize(old, height, txs.clone());
            let b = finalize(&new, height, txs);
            ok(&a);
            ok(&b);
            assert_eq!(a.app_hash, b.app_hash, "block {height} diverges");
            assert_eq!(a.validator_updates, b.validator_updates);
            assert_eq!(a.events.len(), b.events.len());
        }
        assert_eq!(content(old, 8), content(&new, 8));
        assert!(
            new.storage()
                .latest_snapshot()
                .all_unbondings()
                .unwrap()
                .is_empty(),
            "the imported unbonding matured on the new chain"
        );
    }

    #[test]
    fn a_tampered_export_gives_another_hash_or_an_error() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let home = tempfile::tempdir().unwrap();
        let chain = run_chain(home.path(), &rt);
        let e =
            export_from_storage(chain.app.storage(), &chain.doc, ExportOptions::default()).unwrap();
        let (root, _) = init_chain_root(&e.genesis, Modules::pol()).unwrap();
        assert_eq!(root.to_vec(), chain.hashes[5]);
        let alice = chain.alice.address().to_string();
        fn balance_of<'a>(g: &'a mut Value, addr: &str) -> &'a mut Value {
            let balances = g["app_state"]["bank"]["balances"].as_array_mut().unwrap();
            let b = balances.iter_mut().find(|b| b["address"] == addr).unwrap();
            &mut b["coins"][0]["amount"]
        }

        // One more upol for alice: the supply no longer adds up.
        let mut g = e.genesis.clone();
        let have: u128 = balance_of(&mut g, &alice)
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        *balance_of(&mut g, &alice) = json!((have + 1).to_string());
        let err = init_chain_root(&g, Modules::pol()).unwrap_err().to_string();
        assert!(err.contains("supply"), "{err}");
        // ...and with the supply raised to match, a valid genesis of another state.
        let supply = &mut g["app_state"]["bank"]["supply"][0]["amount"];
        let s: u128 = supply.as_str().unwrap().parse().unwrap();
        *supply = json!((s + 1).to_string());
        let (other, _) = init_chain_root(&g, Modules::pol()).unwrap();
        assert_ne!(other.to_vec(), chain.hashes[5]);

        // A sequence (replay protection) is state too.
        let mut g = e.genesis.clone();
        let acc = g["app_state"]["auth"]["accounts"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|a| a["address"] == alice.as_str())
            .unwrap();
        assert_eq!(acc["sequence"], 3);
        acc["sequence"] = json!(2);
        assert_ne!(
            init_chain_root(&g, Modules::pol()).unwrap().0.to_vec(),
            chain.hashes[5]
        );

        // Someone else's public key on alice's account is refused.
        let mut g = e.genesis.clone();
        let carol_key = g["app_state"]["auth"]["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["address"] == chain.carol.address().to_string().as_str())
            .unwrap()["pub_key"]
            .clone();
        for a in g["app_state"]["auth"]["accounts"].as_array_mut().unwrap() {
            if a["address"] == alice.as_str() {
                a["pub_key"] = carol_key.clone();
            }
        }
        let err = init_chain_root(&g, Modules::pol()).unwrap_err().to_string();
        assert!(err.contains("belongs to"), "{err}");

        // A bonded validator without its last power is refused.
        let mut g = e.genesis.clone();
        g["app_state"]["staking"]["last_powers"]
            .as_array_mut()
            .unwrap()
            .pop();
        let err = init_chain_root(&g, Modules::pol()).unwrap_err().to_string();
        assert!(err.contains("no last power"), "{err}");

        // A different chain-id is another state (the chain-id key).
        let mut g = e.genesis.clone();
        g["chain_id"] = json!("pol-other-1");
        assert_ne!(
            init_chain_root(&g, Modules::pol()).unwrap().0.to_vec(),
            chain.hashes[5]
        );
    }

    #[test]
    fn export_refuses_pruned_unknown_and_locked_state() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let home = tempfile::tempdir().unwrap();
        let chain = run_chain(home.path(), &rt);
        let opts = |h| ExportOptions {
            height: Some(h),
            ..Default::default()
        };
        let err = export_from_storage(chain.app.storage(), &chain.doc, opts(9))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("never committed") && err.contains("5"),
            "{err}"
        );
        let err = export_from_storage(chain.app.storage(), &chain.doc, opts(0))
            .unwrap_err()
            .to_string();
        assert!(err.contains("height 0"), "{err}");
        // The genesis.json of another chain cannot dress this state.
        let mut other = chain.doc.clone();
        other["chain_id"] = json!("pol-other-1");
        let err = export_from_storage(chain.app.storage(), &other, ExportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("belongs to chain"), "{err}");
        // A genesis.json whose consensus params differ from those the chain runs with (a
        // consensus-params proposal changed them) gets the chain's written in.
        let mut other = chain.doc.clone();
        other["consensus_params"]["block"]["max_gas"] = json!("5");
        let e = export_from_storage(chain.app.storage(), &other, ExportOptions::default()).unwrap();
        assert!(e.verified);
        assert_eq!(
            e.genesis["consensus_params"]["block"]["max_gas"],
            chain.doc["consensus_params"]["block"]["max_gas"]
        );

        // While the node holds the store, the file-level export says so.
        let err = crate::export::export_genesis(home.path(), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("locked") && err.contains("Stop the node"),
            "{err}"
        );
        // Once it is stopped, the same export as from the live store.
        let live =
            export_from_storage(chain.app.storage(), &chain.doc, ExportOptions::default()).unwrap();
        drop(chain);
        let e = crate::export::export_genesis(home.path(), None).unwrap();
        assert_eq!(e.genesis, live.genesis);
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(empty.path().join("config")).unwrap();
        std::fs::write(empty.path().join("config/genesis.json"), b"{}").unwrap();
        let err = crate::export::export_genesis(empty.path(), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("never run"), "{err}");

        // A pruned height is a clear error.
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 2 }).unwrap();
        let queries = QueryRouter::new(&storage, Modules::pol(), rt.handle().clone());
        let app = App::new(
            storage,
            Modules::pol(),
            NodeSettings {
                min_gas_price: None,
                ..Default::default()
            },
            queries,
        )
        .unwrap();
        let alice = SignerKey::random();
        let doc = genesis_doc(&SignerKey::random(), &[alice.address()]);
        app.init_chain(init_chain_request(&doc).unwrap());
        for h in 1..=6 {
            finalize(&app, h, vec![]);
        }
        let err = export_from_storage(app.storage(), &doc, opts(2))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pruned") && err.contains("keep_recent_heights"),
            "{err}"
        );
        assert!(export_from_storage(app.storage(), &doc, opts(5)).is_ok());
    }

    /// Export and import time for a state of many accounts (numbers printed, not judged).
    #[test]
    fn export_of_a_larger_state_round_trips() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let app = app_at(dir.path(), &rt);
        let funded: Vec<Address> = (0..3000u32)
            .map(|i| {
                let mut a = [0u8; 20];
                a[..4].copy_from_slice(&i.to_be_bytes());
                a[19] = 1;
                Address(a)
            })
            .collect();
        let doc = genesis_doc(&SignerKey::random(), &funded);
        app.init_chain(init_chain_request(&doc).unwrap());
        let r = finalize(&app, 1, vec![]);
        let entries = content(&app, 1).len();
        let started = std::time::Instant::now();
        let e = export_from_storage(
            app.storage(),
            &doc,
            ExportOptions {
                skip_verify: true,
                ..Default::default()
            },
        )
        .unwrap();
        let export_time = started.elapsed();
        let (root, import_time) = init_chain_root(&e.genesis, Modules::pol()).unwrap();
        assert_eq!(root.to_vec(), r.app_hash.to_vec());
        assert_eq!(
            e.accounts,
            3000 + 4,
            "the funded, the operator, the bonded pool, the fee collector (block 1's mint) and \
             distribution (that mint, paid out)"
        );
        eprintln!(
            "{entries} state entries, {} accounts: export {export_time:?}, InitChain of the \
             export {import_time:?}, {} bytes of JSON",
            e.accounts,
            serde_json::to_string_pretty(&e.genesis).unwrap().len()
        );
    }
}

/// Proof-of-Latency at the ABCI boundary: what VerifyVoteExtension refuses, the proposer's
/// injected report, and what ProcessProposal refuses of it.
mod latency {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use pol_latency::commit::{commit_info_of, encode_injected, vote_extension_sign_bytes};
    use pol_latency::pb::{ProviderReport, VoteExtension};
    use prost::Message;
    use response_process_proposal::ProposalStatus::{Accept, Reject};
    use response_verify_vote_extension::VerifyStatus;
    use sha2::{Digest, Sha256};
    use tendermint_proto::v0_38::types::BlockIdFlag;

    fn signing(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn cons_address(key: &SigningKey) -> Vec<u8> {
        Sha256::digest(key.verifying_key().to_bytes())[..20].to_vec()
    }

    /// A chain with three genesis.json validators of power 10, at height 1 committed.
    fn chain(rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> (App, Vec<SigningKey>) {
        use tendermint_proto::crypto::{public_key::Sum, PublicKey};
        let app = app_at(dir, rt);
        let keys: Vec<_> = (1..=3).map(signing).collect();
        let mut req = genesis(&[], 10_000_000);
        req.validators = keys
            .iter()
            .map(|k| ValidatorUpdate {
                pub_key: Some(PublicKey {
                    sum: Some(Sum::Ed25519(k.verifying_key().to_bytes().to_vec())),
                }),
                power: 10,
            })
            .collect();
        app.init_chain(req);
        finalize(&app, 1, Vec::new());
        (app, keys)
    }

    /// The extended commit of height 1 with each validator's `extensions[i]`, signed.
    fn extended_commit(keys: &[SigningKey], extensions: &[Vec<u8>]) -> ExtendedCommitInfo {
        ExtendedCommitInfo {
            round: 0,
            votes: keys
                .iter()
                .zip(extensions)
                .map(|(k, ext)| ExtendedVoteInfo {
                    validator: Some(Validator {
                        address: cons_address(k).into(),
                        power: 10,
                    }),
                    vote_extension: ext.clone().into(),
                    extension_signature: k
                        .sign(&vote_extension_sign_bytes(CHAIN, 1, 0, ext))
                        .to_bytes()
                        .to_vec()
                        .into(),
                    block_id_flag: BlockIdFlag::Commit as i32,
                })
                .collect(),
        }
    }

    #[test]
    fn vote_extensions_are_checked_before_they_are_signed_into_a_block() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (app, _) = chain(&rt, dir.path());
        let verify = |height: i64, ext: Vec<u8>| {
            app.verify_vote_extension(RequestVerifyVoteExtension {
                height,
                vote_extension: ext.into(),
                validator_address: vec![1; 20].into(),
                ..Default::default()
            })
            .status
        };
        let accept = VerifyStatus::Accept as i32;
        let reject = VerifyStatus::Reject as i32;
        // A validator that does not probe extends with nothing.
        assert_eq!(verify(2, Vec::new()), accept);
        let empty = VoteExtension {
            height: 2,
            ..Default::default()
        };
        assert_eq!(verify(2, empty.encode_to_vec()), accept);
        // Oversized (the default bound is 48 KiB), garbage, wrong height.
        assert_eq!(verify(2, vec![0x0a; 49 * 1024]), reject);
        assert_eq!(verify(2, vec![0xff, 0xff, 0x01]), reject);
        assert_eq!(verify(3, empty.encode_to_vec()), reject);
        // A report about a provider the chain does not know.
        let unknown = VoteExtension {
            height: 2,
            reports: vec![ProviderReport {
                provider: vec![9; 20],
                samples: 10,
                failures: 0,
                p50_us: 1_000,
                p99_us: 2_000,
                max_us: 3_000,
            }],
            receipts: Vec::new(),
            evidence: None,
        };
        assert_eq!(verify(2, unknown.encode_to_vec()), reject);
        // And the node that does not probe extends its own vote with an empty report.
        let own = app.extend_vote(RequestExtendVote {
            height: 2,
            ..Default::default()
        });
        assert!(own.vote_extension.is_empty());
    }

    #[test]
    fn the_injected_report_is_first_signed_by_two_thirds_and_never_from_the_mempool() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (app, keys) = chain(&rt, dir.path());
        let empty_ext = VoteExtension {
            height: 1,
            ..Default::default()
        }
        .encode_to_vec();
        let info = extended_commit(&keys, &vec![empty_ext.clone(); 3]);

        // The proposer injects its extended commit first, ahead of the mempool's txs.
        let prepared = app.prepare_proposal(RequestPrepareProposal {
            max_tx_bytes: 1 << 20,
            height: 2,
            local_last_commit: Some(info.clone()),
            txs: vec![encode_injected(&info).into()],
            ..Default::default()
        });
        assert_eq!(
            prepared.txs.len(),
            1,
            "a stray report from the mempool is dropped"
        );
        assert_eq!(prepared.txs[0].to_vec(), encode_injected(&info));

        let process = |txs: Vec<Vec<u8>>, decided: &ExtendedCommitInfo| {
            app.process_proposal(RequestProcessProposal {
                txs: txs.into_iter().map(Into::into).collect(),
                height: 2,
                proposed_last_commit: Some(commit_info_of(decided)),
                ..Default::default()
            })
            .status
        };
        assert_eq!(process(vec![encode_injected(&info)], &info), Accept as i32);
        // Catching up without extensions: no report, still a valid block.
        assert_eq!(process(Vec::new(), &info), Accept as i32);
        // Not first.
        let alice = SignerKey::random();
        assert_eq!(
            process(
                vec![send(&alice, 0, 100_000), encode_injected(&info)],
                &info
            ),
            Reject as i32
        );
        // A forged signature: that vote does not count, and the other two of three are not
        // more than 2/3 (the module tests show a report standing without one bad vote).
        let mut forged = info.clone();
        let mut sig = forged.votes[1].extension_signature.to_vec();
        sig[7] ^= 1;
        forged.votes[1].extension_signature = sig.into();
        assert_eq!(
            process(vec![encode_injected(&forged)], &info),
            Reject as i32
        );
        // Another extension than the one signed: the same.
        let mut swapped = info.clone();
        swapped.votes[2].vote_extension = VoteExtension {
            height: 1,
            reports: Vec::new(),
            receipts: Vec::new(),
            evidence: None,
        }
        .encode_to_vec()
        .into_iter()
        .chain([0x18, 0x01])
        .collect::<Vec<u8>>()
        .into();
        assert_eq!(
            process(vec![encode_injected(&swapped)], &info),
            Reject as i32
        );
        // Two of three votes are not more than 2/3 of the power.
        let mut thin = info.clone();
        for v in &mut thin.votes[1..] {
            v.block_id_flag = BlockIdFlag::Absent as i32;
            v.vote_extension = Vec::new().into();
            v.extension_signature = Vec::new().into();
        }
        assert_eq!(process(vec![encode_injected(&thin)], &thin), Reject as i32);
        // Votes that differ from the commit CometBFT decided on.
        assert_eq!(process(vec![encode_injected(&info)], &thin), Reject as i32);

        // FinalizeBlock applies it as tx 0, and the mempool never takes one.
        let r = app.finalize_block(RequestFinalizeBlock {
            txs: vec![encode_injected(&info).into()],
            height: 2,
            time: Some(tendermint_proto::google::protobuf::Timestamp {
                seconds: 1_700_000_002,
                nanos: 0,
            }),
            decided_last_commit: Some(commit_info_of(&info)),
            ..Default::default()
        });
        app.commit();
        assert_eq!(r.tx_results.len(), 1);
        assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
        let report = r.tx_results[0]
            .events
            .iter()
            .find(|e| e.r#type == "latency_report")
            .expect("a latency_report event");
        // It names the height's receipt carrier, one of the commit's validators.
        let carrier = report
            .attributes
            .iter()
            .find(|a| a.key == "carrier")
            .map(|a| a.value.clone())
            .unwrap_or_default();
        let voters: Vec<String> = info
            .votes
            .iter()
            .filter_map(|v| v.validator.as_ref())
            .map(|v| hex::encode_upper(&v.address))
            .collect();
        assert!(voters.contains(&carrier), "{carrier:?} not in {voters:?}");
        let check = app.check_tx(RequestCheckTx {
            tx: encode_injected(&info).into(),
            r#type: CheckTxType::New as i32,
        });
        assert_eq!(check.code, pol_component::error::code::TX_DECODE);
    }
}
