//! FinalizeBlock and Commit of a block with no transactions through the real app (sled +
//! JMT on a temporary directory), with 4 validators / 100 delegations and 100 validators /
//! 10,000 delegations (issue 11's measure): what every block costs before any transaction,
//! namely mint, distribution's payout of the previous commit, slashing's liveness records
//! and staking's end block. Each size runs with every validator signing and with a tenth
//! of them absent (slashing's window writes).
//!
//! The chain is built through real transactions: gentxs at genesis, then each delegator
//! sends one transaction of `MsgDelegate`s, one per validator.
//!
//! `cargo bench -p pol-app --bench finalize_block` prints a markdown table of medians.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pol_app::app::{App, NodeSettings};
use pol_app::modules::Modules;
use pol_app::query::QueryRouter;
use pol_auth::AuthRead;
use pol_client::{any, sign_tx, SignerKey};
use pol_component::coins::Coin;
use pol_staking::msg::MsgDelegate;
use pol_staking::types::valoper_string;
use pol_store::{Storage, StorageConfig};
use sha2::{Digest, Sha256};
use tendermint_abci::Application;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::*;
use tendermint_proto::v0_38::types::BlockIdFlag;

const CHAIN: &str = "pol-bench-1";
const RUNS: usize = 30;
const SELF_BOND: u128 = 10_000_000_000;
const FUNDS: u128 = 1_000_000_000_000;

fn key(what: &str, i: u32) -> [u8; 32] {
    Sha256::digest(format!("{what}/{i}")).into()
}

struct Chain {
    app: App,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
    height: i64,
    /// Consensus address → power, as CometBFT was told.
    set: BTreeMap<Vec<u8>, i64>,
    consensus: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Chain {
    fn new(validators: u32, delegators: u32) -> Chain {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 64 }).unwrap();
        let queries = QueryRouter::new(&storage, Modules::pol(), rt.handle().clone());
        let settings = NodeSettings {
            min_gas_price: None,
            ..Default::default()
        };
        let app = App::new(storage, Modules::pol(), settings, queries).unwrap();

        let operators: Vec<SignerKey> = (0..validators)
            .map(|i| SignerKey::from_bytes(&key("operator", i)).unwrap())
            .collect();
        let delegator_keys: Vec<SignerKey> = (0..delegators)
            .map(|i| SignerKey::from_bytes(&key("delegator", i)).unwrap())
            .collect();
        let mut balances = Vec::new();
        for k in operators.iter().chain(&delegator_keys) {
            balances.push(serde_json::json!({
                "address": k.address().to_string(),
                "coins": [{"denom": "upol", "amount": FUNDS.to_string()}],
            }));
        }
        let mut consensus = BTreeMap::new();
        let gentxs: Vec<_> = operators
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let cons = ed25519_dalek::SigningKey::from_bytes(&key("consensus", i as u32))
                    .verifying_key()
                    .to_bytes();
                consensus.insert(Sha256::digest(cons)[..20].to_vec(), cons.to_vec());
                pol_staking::GenesisValidator::new(
                    &op.address(),
                    &cons,
                    &format!("v{i}"),
                    500,
                    SELF_BOND,
                )
            })
            .collect();
        let doc = serde_json::json!({
            "chain_id": CHAIN,
            "consensus_params": {
                "block": {"max_bytes": "22020096", "max_gas": "4000000000"},
                "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000"},
            },
            "app_state": {
                "bank": {"balances": balances},
                "staking": {"params": {"max_validators": validators}, "gentxs": gentxs},
            },
        });
        let init = pol_app::export::init_chain_request(&doc).unwrap();
        let r = app.init_chain(init);
        let mut chain = Chain {
            app,
            _dir: dir,
            _rt: rt,
            height: 0,
            set: BTreeMap::new(),
            consensus,
        };
        chain.apply(&r.validators);
        chain.block(Vec::new(), 0);

        // Every delegator delegates to every validator, one transaction each.
        let snap = chain.app.storage().latest_snapshot();
        let mut txs = Vec::new();
        for d in &delegator_keys {
            let account = snap.account(&d.address()).unwrap().unwrap();
            let msgs = operators
                .iter()
                .map(|op| {
                    any(
                        pol_staking::MSG_DELEGATE_TYPE_URL,
                        &MsgDelegate {
                            delegator_address: d.address().to_string(),
                            validator_address: valoper_string(&op.address()),
                            amount: Some(Coin::new("upol", 1_000_000).to_proto()),
                        },
                    )
                })
                .collect();
            txs.push(sign_tx(
                d,
                msgs,
                "",
                Vec::new(),
                3_000_000_000,
                CHAIN,
                account.account_number,
                account.sequence,
            ));
        }
        for batch in txs.chunks(8) {
            let r = chain.block(batch.to_vec(), 0);
            for t in &r.tx_results {
                assert_eq!(t.code, 0, "{}", t.log);
            }
        }
        chain
    }

    fn apply(&mut self, updates: &[ValidatorUpdate]) {
        for u in updates {
            let Some(tendermint_proto::crypto::PublicKey {
                sum: Some(tendermint_proto::crypto::public_key::Sum::Ed25519(pk)),
            }) = &u.pub_key
            else {
                continue;
            };
            let address = Sha256::digest(pk)[..20].to_vec();
            if u.power == 0 {
                self.set.remove(&address);
            } else {
                self.set.insert(address, u.power);
            }
        }
    }

    /// One block; every `absent_every`-th validator of the commit is absent (0: none).
    fn block(&mut self, txs: Vec<Vec<u8>>, absent_every: usize) -> ResponseFinalizeBlock {
        let r = self.finalize(txs, absent_every);
        self.app.commit();
        r
    }

    fn finalize(&mut self, txs: Vec<Vec<u8>>, absent_every: usize) -> ResponseFinalizeBlock {
        self.height += 1;
        let votes = self
            .set
            .iter()
            .enumerate()
            .map(|(i, (address, power))| VoteInfo {
                validator: Some(Validator {
                    address: address.clone().into(),
                    power: *power,
                }),
                block_id_flag: if absent_every > 0 && i % absent_every == 0 {
                    BlockIdFlag::Absent as i32
                } else {
                    BlockIdFlag::Commit as i32
                },
            })
            .collect();
        let r = self.app.finalize_block(RequestFinalizeBlock {
            txs: txs.into_iter().map(Into::into).collect(),
            height: self.height,
            time: Some(Timestamp {
                seconds: 1_700_000_000 + self.height * 5,
                nanos: 0,
            }),
            hash: Sha256::digest(self.height.to_be_bytes()).to_vec().into(),
            decided_last_commit: Some(CommitInfo {
                round: 0,
                votes: if self.height > 1 { votes } else { Vec::new() },
            }),
            ..Default::default()
        });
        let updates = r.validator_updates.clone();
        self.apply(&updates);
        r
    }
}

/// One bank send from each delegator (to the next), at its current sequence.
fn sends(chain: &Chain, delegators: u32) -> Vec<Vec<u8>> {
    let snap = chain.app.storage().latest_snapshot();
    (0..delegators)
        .map(|i| {
            let from = SignerKey::from_bytes(&key("delegator", i)).unwrap();
            let to = SignerKey::from_bytes(&key("delegator", (i + 1) % delegators)).unwrap();
            let account = snap.account(&from.address()).unwrap().unwrap();
            pol_client::SendTx {
                to: to.address(),
                amount: vec![Coin::new("upol", 1).to_proto()],
                fee: Vec::new(),
                gas_limit: 200_000,
                memo: String::new(),
                chain_id: CHAIN.into(),
                account_number: account.account_number,
                sequence: account.sequence,
            }
            .sign(&from)
        })
        .collect()
}

/// FinalizeBlock of blocks of `delegators` bank sends: after CheckTx saw them (as every
/// tx of a real block; FinalizeBlock uses the signatures CheckTx verified), and without
/// (every signature verified in FinalizeBlock).
fn sends_table() {
    const SENDERS: u32 = 200;
    let mut chain = Chain::new(4, SENDERS);
    println!();
    println!("| block of {SENDERS} bank sends | FinalizeBlock (median) |");
    println!("|---|---:|");
    for checked in [false, true] {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let txs = sends(&chain, SENDERS);
            if checked {
                for tx in &txs {
                    let r = chain.app.check_tx(RequestCheckTx {
                        tx: tx.clone().into(),
                        r#type: CheckTxType::New as i32,
                    });
                    assert_eq!(r.code, 0, "{}", r.log);
                }
            }
            let t = Instant::now();
            let r = chain.finalize(txs, 0);
            times.push(t.elapsed());
            assert!(r.tx_results.iter().all(|t| t.code == 0));
            chain.app.commit();
        }
        println!(
            "| {} | {:.2?} |",
            if checked {
                "CheckTx first (signatures remembered)"
            } else {
                "not seen by CheckTx (every signature verified)"
            },
            median(times)
        );
    }
}

/// `pol_module_hook_seconds`' sum and count per (module, hook), from the recorder's text.
fn hook_totals(
    handle: &metrics_exporter_prometheus::PrometheusHandle,
) -> BTreeMap<(String, String), (f64, f64)> {
    let mut out: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for line in handle.render().lines() {
        let (is_sum, rest) = if let Some(r) = line.strip_prefix("pol_module_hook_seconds_sum{") {
            (true, r)
        } else if let Some(r) = line.strip_prefix("pol_module_hook_seconds_count{") {
            (false, r)
        } else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        let label = |name: &str| {
            labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
                .unwrap_or_default()
        };
        let entry = out.entry((label("module"), label("hook"))).or_default();
        let v: f64 = value.trim().parse().unwrap_or(0.0);
        if is_sum {
            entry.0 = v;
        } else {
            entry.1 = v;
        }
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; this harness has no options.
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("a metrics recorder");
    let mut breakdown = BTreeMap::new();
    println!("| validators | delegations | absent | FinalizeBlock (median) | Commit (median) |");
    println!("|---:|---:|---:|---:|---:|");
    for (validators, delegators) in [(4u32, 25u32), (100, 100)] {
        let mut chain = Chain::new(validators, delegators);
        assert_eq!(chain.set.len(), validators as usize);
        assert_eq!(chain.consensus.len(), validators as usize);
        for absent_every in [0usize, 10] {
            let (mut finalize, mut commit) = (Vec::new(), Vec::new());
            let hooks_before = hook_totals(&handle);
            for _ in 0..RUNS {
                let t = Instant::now();
                let r = chain.finalize(Vec::new(), absent_every);
                finalize.push(t.elapsed());
                assert!(r.tx_results.is_empty());
                let t = Instant::now();
                chain.app.commit();
                commit.push(t.elapsed());
            }
            if validators == 100 && absent_every == 0 {
                for (k, (sum, count)) in hook_totals(&handle) {
                    let (s0, c0) = hooks_before.get(&k).copied().unwrap_or_default();
                    if count > c0 {
                        breakdown.insert(k, (sum - s0) / (count - c0));
                    }
                }
            }
            println!(
                "| {validators} | {} | {} | {:.2?} | {:.2?} |",
                validators * delegators,
                if absent_every == 0 {
                    "none".to_string()
                } else {
                    format!("1 in {absent_every}")
                },
                median(finalize),
                median(commit)
            );
        }
    }
    println!();
    println!("| 100 validators, 10,000 delegations: hook | mean per block |");
    println!("|---|---:|");
    for ((module, hook), mean) in &breakdown {
        if *mean >= 1e-5 {
            println!(
                "| {module} {hook} | {:.2?} |",
                Duration::from_secs_f64(*mean)
            );
        }
    }
    sends_table();
}
