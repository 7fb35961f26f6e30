//! Standard Cosmos clients against a running pol node, with nothing pol-specific but the
//! chain-id, the node's address and the `pol` prefix:
//!
//! * cosmjs (`tests/compat/cosmjs/send.mjs`, `SigningStargateClient` over CometBFT RPC);
//! * cosmpy (`tests/compat/cosmpy_send.py`, `LedgerClient` over pold's gRPC: auth, bank,
//!   consensus params, and the tx service's Simulate, BroadcastTx and GetTx);
//! * the tx service's answers to bad input, and Simulate's gas against the real thing.
//!
//! The clients are installed by `scripts/setup --node` (npm ci) and `scripts/setup --python`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_client::ServiceClient;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    BroadcastMode, BroadcastTxRequest, GetTxRequest, SimulateRequest, TxRaw,
};
use pol_client::keyring::Keyring;
use pol_client::SignerKey;
use pol_tests::*;
use prost::Message;
use serde_json::Value;

const FUNDS: u128 = 1_000_000_000;
const CHAIN_ID: &str = "pol-test-1";

/// A fresh BIP39 mnemonic and the key it derives at m/44'/118'/0'/0/0.
fn mnemonic_key() -> (String, SignerKey) {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = Keyring::open(dir.path())
        .add("compat", None)
        .expect("new key");
    let words = record.mnemonic.clone().expect("a new key has words");
    // Derive again from the words, as `pold keys add --recover` would.
    let again = Keyring::open(dir.path())
        .add("compat-recovered", Some(&words))
        .expect("recover");
    assert_eq!(again.address, record.address);
    (words, again.signer().expect("signer"))
}

async fn chain_with(accounts: Vec<(SignerKey, u128)>) -> Node {
    let opts = ChainOptions {
        chain_id: CHAIN_ID.into(),
        accounts,
        ..Default::default()
    };
    let mut node = Node::init(&opts).expect("init");
    node.start_and_wait(2).await.expect("chain starts");
    node
}

/// Run a client to completion (killed after `timeout`), returning the JSON it printed last.
fn run_client(mut cmd: Command, what: &str, timeout: Duration) -> anyhow::Result<Value> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    let start = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let out = child.wait_with_output()?;
            bail!(
                "{what} timed out after {timeout:?}; stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
    }
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .with_context(|| format!("{what} printed no JSON; stdout:\n{stdout}\nstderr:\n{stderr}"))?;
    serde_json::from_str(line).with_context(|| format!("{what} printed bad JSON: {line}"))
}

fn need(path: &Path, setup: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run `scripts/setup {setup}` first",
        path.display()
    );
    path.to_path_buf()
}

/// `node <script> --rpc <node's RPC>` in `dir` (the cosmjs checkout).
fn cosmjs_client(dir: &Path, script: &str, node: &Node) -> Command {
    let mut cmd = Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()));
    cmd.current_dir(dir)
        .arg(script)
        .arg("--rpc")
        .arg(format!("http://127.0.0.1:{}", node.ports.rpc));
    cmd
}

/// Run a cosmjs client to its JSON line; on failure, panic with pold's log.
async fn run_cosmjs(cmd: Command, node: &Node) -> Value {
    tokio::task::spawn_blocking(move || run_client(cmd, "cosmjs", Duration::from_secs(120)))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e:#}\npold log:\n{}", node.log_tail()))
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn num(v: &Value) -> u128 {
    s(v).parse().unwrap_or_else(|_| panic!("not a number: {v}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn cosmjs_signing_stargate_client_queries_and_sends() {
    let dir = repo_root().join("tests/compat/cosmjs");
    need(&dir.join("node_modules/@cosmjs/stargate"), "--node");
    let (words, key) = mnemonic_key();
    let node = chain_with(vec![(key.clone(), FUNDS)]).await;
    let bob = SignerKey::random().address();

    let mut cmd = Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()));
    cmd.current_dir(&dir)
        .arg("send.mjs")
        .arg("--rpc")
        .arg(format!("http://127.0.0.1:{}", node.ports.rpc))
        .arg("--to")
        .arg(bob.to_string())
        .args(["--amount", "12345", "--fee", "5000", "--gas", "200000"])
        .args(["--chain-id", CHAIN_ID])
        .env("POL_MNEMONIC", &words);
    let out =
        tokio::task::spawn_blocking(move || run_client(cmd, "cosmjs", Duration::from_secs(120)))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{e:#}\npold log:\n{}", node.log_tail()));
    println!("cosmjs: {out}");

    assert_eq!(out["ok"], Value::Bool(true), "{out}");
    assert_eq!(s(&out["chainId"]), CHAIN_ID);
    assert_eq!(s(&out["sender"]), key.address().to_string());
    assert_eq!(s(&out["account"]["address"]), key.address().to_string());
    assert_eq!(out["account"]["sequence"], 0);
    assert_eq!(out["sequenceAfter"], 1);
    assert_eq!(num(&out["senderBefore"]), FUNDS);
    assert_eq!(num(&out["senderAfter"]), FUNDS - 12345 - 5000);
    assert_eq!(num(&out["recipientBefore"]), 0);
    assert_eq!(num(&out["recipientAfter"]), 12345);
    assert_eq!(out["code"], 0);
    assert!(
        num(&out["gasUsed"]) > 0 && num(&out["gasUsed"]) <= 200_000,
        "{out}"
    );
    assert_eq!(out["foundTx"]["code"], 0, "{out}");

    // Fee "auto": cosmjs (0.39) simulated over abci_query, then paid ceil(gas × 1.4) × 0.025.
    let auto = &out["auto"];
    assert_eq!(auto["code"], 0, "{out}");
    let simulated = num(&auto["simulatedGas"]);
    let auto_wanted = num(&auto["gasWanted"]);
    let auto_used = num(&auto["gasUsed"]);
    assert!(simulated > 0 && auto_used <= auto_wanted, "{out}");
    assert_eq!(auto_wanted, (simulated * 14).div_ceil(10), "{out}");
    assert_eq!(num(&auto["recipientFinal"]), 12345 + 1);

    // The chain agrees, through its own query path.
    let auto_fee = (auto_wanted * 25).div_ceil(1000);
    assert_eq!(balance(&node.rpc, &bob, 0).await.unwrap(), 12345 + 1);
    assert_eq!(fees_collected(&node.rpc).await.unwrap(), 5000 + auto_fee);
    assert_eq!(
        balance(&node.rpc, &key.address(), 0).await.unwrap(),
        FUNDS - 12345 - 1 - 5000 - auto_fee
    );
    let tx = node
        .rpc
        .tx(&s(&out["txhash"]))
        .await
        .unwrap()
        .expect("the tx is on chain");
    assert_eq!(tx.code, 0);
    assert_eq!(tx.height, num(&out["txHeight"]) as u64);
}

/// cosmjs's `QueryClient` mint extension reads pold's minter exactly as pold stores it (the
/// LegacyDec atomics decoded by cosmjs equal pold's own figures at a height cosmjs saw),
/// and the mint parameters as the SDK's JSON writes them; its slashing extension reads the
/// slashing parameters and the validator's signing info.
#[tokio::test(flavor = "multi_thread")]
async fn cosmjs_mint_and_slashing_extensions_read_pold() {
    use cosmos_sdk_proto::cosmos::mint::v1beta1::{
        QueryAnnualProvisionsRequest, QueryAnnualProvisionsResponse, QueryInflationRequest,
        QueryInflationResponse,
    };
    let dir = repo_root().join("tests/compat/cosmjs");
    need(&dir.join("node_modules/@cosmjs/stargate"), "--node");
    let opts = ChainOptions {
        chain_id: CHAIN_ID.into(),
        inflation: true,
        ..Default::default()
    };
    let mut node = Node::init(&opts).expect("init");
    node.start_and_wait(3).await.expect("chain starts");

    let out = run_cosmjs(cosmjs_client(&dir, "mint.mjs", &node), &node).await;
    println!("cosmjs mint: {out}");

    let p = &out["params"];
    assert_eq!(s(&p["mintDenom"]), "upol");
    assert_eq!(s(&p["blocksPerYear"]), "5259600");
    assert_eq!(s(&p["goalBonded"]), "0.67");
    assert_eq!(s(&p["inflationMin"]), "0.07");
    assert_eq!(s(&p["inflationMax"]), "0.2");
    assert_eq!(s(&p["inflationRateChange"]), "0.13");

    // cosmjs prints a Decimal without trailing zeros; pold's Dec prints 18 decimals.
    let trim = |d: pol_component::Dec| {
        let t = d.to_string();
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let (before, after) = (num(&out["before"]) as u64, num(&out["after"]) as u64);
    let mut seen = Vec::new();
    for h in before..=after {
        let i: QueryInflationResponse = node
            .rpc
            .query(
                "/cosmos.mint.v1beta1.Query/Inflation",
                &QueryInflationRequest {},
                h,
            )
            .await
            .unwrap();
        let a: QueryAnnualProvisionsResponse = node
            .rpc
            .query(
                "/cosmos.mint.v1beta1.Query/AnnualProvisions",
                &QueryAnnualProvisionsRequest {},
                h,
            )
            .await
            .unwrap();
        let dec = |b: Vec<u8>| {
            pol_component::Dec::from_atomics_str(&String::from_utf8(b).unwrap()).unwrap()
        };
        seen.push((trim(dec(i.inflation)), trim(dec(a.annual_provisions))));
    }
    // cosmjs asks for the two one after the other; a block may commit in between, so
    // each must be what pold had at one of the heights cosmjs saw.
    let (inflation, provisions) = (s(&out["inflation"]), s(&out["annualProvisions"]));
    assert!(
        seen.iter().any(|(i, _)| *i == inflation) && seen.iter().any(|(_, a)| *a == provisions),
        "cosmjs read ({inflation}, {provisions}); pold had {seen:?} at heights {before}..={after}"
    );
    // Blocks were minted: the supply grew past genesis (the operator's funds).
    assert!(num(&out["supply"]) > VALIDATOR_FUNDS, "{out}");

    // The slashing extension on the same chain: the SDK's default parameters as cosmjs
    // decodes them, and the genesis validator's liveness record, listed and by address.
    let out = run_cosmjs(cosmjs_client(&dir, "slashing.mjs", &node), &node).await;
    println!("cosmjs slashing: {out}");
    let p = &out["params"];
    assert_eq!(s(&p["signedBlocksWindow"]), "100");
    assert_eq!(s(&p["minSignedPerWindow"]), "500000000000000000");
    assert_eq!(s(&p["downtimeJailDurationSeconds"]), "600");
    assert_eq!(s(&p["slashFractionDoubleSign"]), "50000000000000000");
    assert_eq!(s(&p["slashFractionDowntime"]), "10000000000000000");
    let key: Value = serde_json::from_str(
        &std::fs::read_to_string(node.home.join("config/priv_validator_key.json")).unwrap(),
    )
    .unwrap();
    let cons = hex::decode(s(&key["address"])).unwrap();
    let valcons = pol_staking::types::valcons_string(&cons.try_into().unwrap());
    let infos = out["signingInfos"].as_array().unwrap();
    assert_eq!(infos.len(), 1, "{out}");
    assert_eq!(infos[0], out["signingInfo"]);
    let info = &out["signingInfo"];
    assert_eq!(s(&info["address"]), valcons);
    assert_eq!(s(&info["startHeight"]), "1");
    assert_eq!(s(&info["missedBlocksCounter"]), "0");
    assert_eq!(info["tombstoned"], false);
    assert!(num(&info["indexOffset"]) >= 1, "{out}");
    node.stop().unwrap();
}

/// cosmjs's `delegateTokens` (the SDK's `MsgDelegate`, unchanged) stakes; its distribution
/// extension reads the delegator's rewards from pold, and its `withdrawRewards`
/// (`MsgWithdrawDelegatorReward`) pays them: the delegator receives at least what it saw
/// accrued (more blocks pay in before the withdraw lands); its `undelegateTokens` starts an
/// unbonding that pold's query lists.
#[tokio::test(flavor = "multi_thread")]
async fn cosmjs_delegates_earns_withdraws_and_undelegates() {
    let dir = repo_root().join("tests/compat/cosmjs");
    need(&dir.join("node_modules/@cosmjs/stargate"), "--node");
    let (words, key) = mnemonic_key();
    let opts = ChainOptions {
        chain_id: CHAIN_ID.into(),
        accounts: vec![(key.clone(), FUNDS)],
        inflation: true,
        ..Default::default()
    };
    let mut node = Node::init(&opts).expect("init");
    node.start_and_wait(2).await.expect("chain starts");
    let operator = pold(
        &node.home,
        &["keys", "show", VALIDATOR_OPERATOR, "--address"],
    )
    .unwrap()
    .trim()
    .to_string();
    let validator =
        pol_staking::types::valoper_string(&pol_component::Address::parse(&operator).unwrap());

    // The key delegates through cosmjs's delegateTokens (cosmos.staking.v1beta1.MsgDelegate).
    let staking = |action: &str, amount: u128| {
        let mut cmd = cosmjs_client(&dir, "staking.mjs", &node);
        cmd.args(["--validator", &validator, "--action", action])
            .args(["--amount", &amount.to_string()])
            .env("POL_MNEMONIC", &words);
        cmd
    };
    let out = run_cosmjs(staking("delegate", FUNDS / 2), &node).await;
    println!("cosmjs delegate: {out}");
    assert_eq!(out["code"], 0, "{out}");
    assert_eq!(
        num(&out["balanceBefore"]) - num(&out["balanceAfter"]),
        FUNDS / 2 + num(&out["fee"]),
        "{out}"
    );
    // The QueryClient staking extension reads it back (cosmos.staking.v1beta1.Query).
    assert_eq!(
        s(&out["delegationBalance"]),
        (FUNDS / 2).to_string(),
        "{out}"
    );
    // Shares as LegacyDec atomics: a fresh validator's shares equal its tokens.
    assert_eq!(
        s(&out["delegationShares"]),
        format!("{}000000000000000000", FUNDS / 2),
        "{out}"
    );
    assert_eq!(out["validatorStatus"], 3, "{out}"); // BOND_STATUS_BONDED
    assert_eq!(s(&out["validatorKeyType"]), "/cosmos.crypto.ed25519.PubKey");
    assert_eq!(
        format!("{}000000000000000000", s(&out["validatorTokens"])),
        s(&out["validatorShares"]),
        "{out}"
    );
    assert_eq!(out["bonded"], serde_json::json!([validator]), "{out}");
    assert_eq!(out["delegations"], serde_json::json!([validator]), "{out}");
    assert_eq!(out["unbondings"], serde_json::json!([]), "{out}");
    assert_eq!(s(&out["bondedTokens"]), s(&out["validatorTokens"]), "{out}");
    assert_eq!(s(&out["bondDenom"]), "upol", "{out}");
    let delegated_at = num(&out["height"]) as u64;
    node.wait_for_height(delegated_at + 3, Duration::from_secs(30))
        .await
        .unwrap();

    let mut cmd = cosmjs_client(&dir, "distribution.mjs", &node);
    cmd.args(["--validator", &validator])
        .env("POL_MNEMONIC", &words);
    let out = run_cosmjs(cmd, &node).await;
    println!("cosmjs distribution: {out}");

    let accrued = num(&out["rewardsBefore"]);
    assert!(accrued > 0, "{out}");
    assert_eq!(
        out["totalValidators"],
        serde_json::json!([validator]),
        "{out}"
    );
    assert!(num(&out["totalRewards"]) >= accrued, "{out}");
    assert!(num(&out["outstanding"]) >= accrued, "{out}");
    assert!(num(&out["communityPool"]) > 0, "{out}");
    assert_eq!(s(&out["communityTax"]), "20000000000000000", "{out}"); // 0.02 as atomics
    assert_eq!(out["withdrawAddressEnabled"], true);
    assert_eq!(s(&out["withdrawAddress"]), key.address().to_string());
    assert_eq!(out["code"], 0, "{out}");
    assert!(
        out["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "withdraw_rewards"),
        "{out}"
    );
    let received = num(&out["balanceAfter"]) + num(&out["fee"]) - num(&out["balanceBefore"]);
    assert!(
        received >= accrued,
        "received {received}, had accrued {accrued}: {out}"
    );

    // pold's own verbs, as simd has them.
    let node_url = format!("tcp://127.0.0.1:{}", node.ports.rpc);
    let cli = |args: &[&str]| -> Value {
        let mut all = args.to_vec();
        all.extend(["--node", &node_url]);
        serde_json::from_str(&pold(&node.home, &all).unwrap()).unwrap()
    };
    let inflation = cli(&["query", "mint", "inflation"]);
    assert!(s(&inflation["inflation"]).starts_with("0.1"), "{inflation}");
    let commission = cli(&["query", "distribution", "commission", &validator]);
    let amount = s(&commission["commission"][0]["amount"]);
    assert!(
        amount.split('.').next().unwrap().parse::<u128>().unwrap() > 0,
        "{commission}"
    );
    let rewards = cli(&["query", "distribution", "rewards", &operator]);
    assert_eq!(
        rewards["rewards"][0]["validator_address"],
        validator.as_str(),
        "{rewards}"
    );
    let pool = cli(&["query", "distribution", "community-pool"]);
    assert_eq!(pool["pool"][0]["denom"], "upol", "{pool}");
    // The operator takes its rewards and its commission in one tx.
    let op_addr = pol_component::Address::parse(&operator).unwrap();
    let before = balance(&node.rpc, &op_addr, 0).await.unwrap();
    let out = cli(&[
        "tx",
        "distribution",
        "withdraw-rewards",
        VALIDATOR_OPERATOR,
        &validator,
        "--commission",
    ]);
    assert_eq!(out["code"], 0, "{out}");
    let after = balance(&node.rpc, &op_addr, 0).await.unwrap();
    assert!(after > before, "the operator was paid: {before} → {after}");
    let out = cli(&[
        "tx",
        "distribution",
        "withdraw-all-rewards",
        VALIDATOR_OPERATOR,
    ]);
    assert_eq!(out["code"], 0, "{out}");

    // cosmjs's undelegateTokens (cosmos.staking.v1beta1.MsgUndelegate): a quarter of the
    // stake starts unbonding (the delegation's rewards are paid out on the way).
    let out = run_cosmjs(staking("undelegate", FUNDS / 4), &node).await;
    println!("cosmjs undelegate: {out}");
    assert_eq!(out["code"], 0, "{out}");
    let events: Vec<String> = out["events"].as_array().unwrap().iter().map(s).collect();
    assert!(events.contains(&"unbond".to_string()), "{events:?}");
    assert_eq!(
        out["unbondings"],
        serde_json::json!([{ "validator": validator, "balances": [(FUNDS / 4).to_string()] }]),
        "{out}"
    );
    assert_eq!(
        s(&out["delegationBalance"]),
        (FUNDS / 2 - FUNDS / 4).to_string(),
        "{out}"
    );
    let unbondings = cli(&["query", "staking", "unbondings", &key.address().to_string()]);
    let entries = unbondings["unbondings"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{unbondings}");
    assert_eq!(s(&entries[0]["initial_amount"]), (FUNDS / 4).to_string());
    assert_eq!(s(&entries[0]["validator_address"]), validator);
    node.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn cosmpy_ledger_client_queries_simulates_and_sends_over_grpc() {
    let python = need(&repo_root().join(".venv/bin/python"), "--python");
    let script = repo_root().join("tests/compat/cosmpy_send.py");
    let (words, key) = mnemonic_key();
    let node = chain_with(vec![(key.clone(), FUNDS)]).await;
    let bob = SignerKey::random().address();

    let mut cmd = Command::new(python);
    cmd.arg(&script)
        .arg("--grpc")
        .arg(format!("127.0.0.1:{}", node.ports.grpc))
        .args(["--chain-id", CHAIN_ID])
        .arg("--to")
        .arg(bob.to_string())
        .args(["--amount", "54321", "--gas-price", "0.025"])
        .env("POL_MNEMONIC", &words)
        .env("PYTHONWARNINGS", "ignore");
    let out =
        tokio::task::spawn_blocking(move || run_client(cmd, "cosmpy", Duration::from_secs(120)))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{e:#}\npold log:\n{}", node.log_tail()));
    println!("cosmpy: {out}");

    assert_eq!(out["ok"], Value::Bool(true), "{out}");
    assert_eq!(s(&out["sender"]), key.address().to_string());
    assert_eq!(out["account"]["sequence"], 0);
    assert_eq!(out["sequenceAfter"], 1);
    assert_eq!(out["code"], 0);
    assert!(num(&out["txHeight"]) > 0);
    let gas_used = num(&out["gasUsed"]);
    let gas_wanted = num(&out["gasWanted"]);
    // cosmpy asks Simulate, then multiplies by 1.65: the estimate must have been enough.
    assert!(gas_used > 0 && gas_used <= gas_wanted, "{out}");
    assert!(
        gas_wanted >= gas_used * 3 / 2,
        "gas limit came from a simulation: {out}"
    );
    let events: Vec<String> = out["events"].as_array().unwrap().iter().map(s).collect();
    assert!(events.contains(&"transfer".to_string()), "{events:?}");

    // The chain agrees: recipient credited, sender paid amount + the fee cosmpy computed
    // from its simulated gas, which the fee collector received.
    assert_eq!(balance(&node.rpc, &bob, 0).await.unwrap(), 54321);
    let fee = fees_collected(&node.rpc).await.unwrap();
    assert_eq!(
        fee,
        (gas_wanted * 25).div_ceil(1000),
        "fee = ceil(gas limit × 0.025)"
    );
    assert_eq!(
        balance(&node.rpc, &key.address(), 0).await.unwrap(),
        FUNDS - 54321 - fee
    );
    assert_eq!(num(&out["senderAfter"]), FUNDS - 54321 - fee);
}

#[tokio::test(flavor = "multi_thread")]
async fn tx_service_simulates_exactly_and_answers_bad_input_with_clear_statuses() {
    let alice = SignerKey::random();
    let bob = SignerKey::random().address();
    let node = chain_with(vec![(alice.clone(), FUNDS)]).await;
    let mut client = ServiceClient::connect(format!("http://127.0.0.1:{}", node.ports.grpc))
        .await
        .expect("gRPC up");

    let mut w = Wallet::load(&node.rpc, alice.clone(), CHAIN_ID)
        .await
        .unwrap();
    for round in 0..2 {
        let tx = w.send_tx(&bob, 1000, DEFAULT_FEE);
        let sim = client
            .simulate(SimulateRequest {
                tx_bytes: tx.clone(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("simulate round {round}: {e}"))
            .into_inner();
        let simulated = sim.gas_info.unwrap().gas_used;
        assert!(sim
            .result
            .unwrap()
            .events
            .iter()
            .any(|e| e.r#type == "transfer"));
        // Simulation leaves no trace: the same tx still broadcasts at the same sequence.
        let r = client
            .broadcast_tx(BroadcastTxRequest {
                tx_bytes: tx,
                mode: BroadcastMode::Sync as i32,
            })
            .await
            .unwrap()
            .into_inner()
            .tx_response
            .unwrap();
        assert_eq!(r.code, 0, "{}", r.raw_log);
        assert_eq!(r.txhash.len(), 64);
        let res = node
            .rpc
            .wait_for_tx(&r.txhash, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(res.code, 0, "{}", res.log);
        if round == 0 {
            // First tx: the account's key is not on record yet (a few bytes of read gas).
            assert!(
                simulated.abs_diff(res.gas_used) <= 1_000,
                "simulated {simulated}, used {}",
                res.gas_used
            );
        } else {
            assert_eq!(
                simulated, res.gas_used,
                "simulation is exact once the key is recorded"
            );
        }
        // GetTx returns what CometBFT committed.
        let got = client
            .get_tx(GetTxRequest {
                hash: r.txhash.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let txr = got.tx_response.unwrap();
        assert_eq!(txr.height as u64, res.height);
        assert_eq!(txr.code, 0);
        assert_eq!(txr.gas_used as u64, res.gas_used);
        assert_eq!(txr.gas_wanted as u64, DEFAULT_GAS);
        assert!(!txr.timestamp.is_empty());
        assert!(txr.events.iter().any(|e| e.r#type == "transfer"));
        assert_eq!(txr.tx.unwrap().type_url, "/cosmos.tx.v1beta1.Tx");
        assert_eq!(got.tx.unwrap().signatures.len(), 1);
        w.sequence += 1;
    }

    // CheckTx's verdict comes back in the TxResponse, as in Cosmos: a replayed sequence.
    let stale = Wallet {
        sequence: 0,
        ..Wallet::load(&node.rpc, alice.clone(), CHAIN_ID)
            .await
            .unwrap()
    };
    let r = client
        .broadcast_tx(BroadcastTxRequest {
            tx_bytes: stale.send_tx(&bob, 1, DEFAULT_FEE),
            mode: BroadcastMode::Sync as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .tx_response
        .unwrap();
    assert_eq!((r.code, r.codespace.as_str()), (32, "sdk"), "{}", r.raw_log);

    // Bad input: clear statuses, and the node keeps going.
    let code = |r: Result<tonic::Response<_>, tonic::Status>| match r {
        Ok(_) => panic!("bad input was accepted"),
        Err(status) => (status.code(), status.message().to_string()),
    };
    let (c, m) = code(
        client
            .broadcast_tx(BroadcastTxRequest {
                tx_bytes: b"\xff\xfe garbage".to_vec(),
                mode: BroadcastMode::Sync as i32,
            })
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::InvalidArgument, "{m}");
    let (c, m) = code(
        client
            .broadcast_tx(BroadcastTxRequest {
                tx_bytes: Vec::new(),
                mode: BroadcastMode::Sync as i32,
            })
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::InvalidArgument, "{m}");
    let (c, m) = code(
        client
            .broadcast_tx(BroadcastTxRequest {
                tx_bytes: w.send_tx(&bob, 1, DEFAULT_FEE),
                mode: BroadcastMode::Block as i32,
            })
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::InvalidArgument, "{m}");
    let (c, m) = code(
        client
            .get_tx(GetTxRequest {
                hash: "AB".repeat(32),
            })
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::NotFound, "{m}");
    assert!(m.contains("not found"), "{m}");
    let (c, m) = code(
        client
            .get_tx(GetTxRequest {
                hash: "not-a-hash".into(),
            })
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::InvalidArgument, "{m}");
    let (c, m) = code(
        client
            .simulate(SimulateRequest {
                tx_bytes: b"\x0a\x03abc garbage".to_vec(),
                ..Default::default()
            })
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::InvalidArgument, "{m}");
    let (c, _) = code(
        client
            .simulate(SimulateRequest::default())
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::InvalidArgument);
    // A real but wrong signature is refused by Simulate, as by CheckTx.
    let mut forged = TxRaw::decode(w.send_tx(&bob, 1, DEFAULT_FEE).as_slice()).unwrap();
    forged.signatures[0][7] ^= 1;
    let (c, m) = code(
        client
            .simulate(SimulateRequest {
                tx_bytes: forged.encode_to_vec(),
                ..Default::default()
            })
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::InvalidArgument, "{m}");
    assert!(m.contains("signature verification failed"), "{m}");
    // Overdrawn: the pipeline's own error comes back.
    let (c, m) = code(
        client
            .simulate(SimulateRequest {
                tx_bytes: w.send_tx(&bob, FUNDS * 2, DEFAULT_FEE),
                ..Default::default()
            })
            .await
            .map(|_| tonic::Response::new(())),
    );
    assert_eq!(c, tonic::Code::InvalidArgument, "{m}");
    assert!(m.contains("code 5"), "{m}");

    // Still alive and serving.
    let sim = client
        .simulate(SimulateRequest {
            tx_bytes: w.send_tx(&bob, 1, DEFAULT_FEE),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(sim.gas_info.unwrap().gas_used > 0);
}

/// cosmjs's gov support, unchanged: a legacy TextProposal submitted and voted on with
/// `SigningStargateClient` (cosmos.gov.v1beta1 messages), then read through the
/// `QueryClient` gov extension (v1beta1 queries: LegacyDec atomics in the tally params,
/// the content as the legacy `TextProposal`). The validator's vote through `pold tx gov
/// vote` then passes it, which pold's v1 query reports.
#[tokio::test(flavor = "multi_thread")]
async fn cosmjs_submits_votes_and_reads_a_governance_proposal() {
    let dir = repo_root().join("tests/compat/cosmjs");
    need(&dir.join("node_modules/@cosmjs/stargate"), "--node");
    let (words, key) = mnemonic_key();
    let opts = ChainOptions {
        chain_id: CHAIN_ID.into(),
        accounts: vec![(key.clone(), FUNDS)],
        ..Default::default()
    };
    let mut node = Node::init(&opts).expect("init");
    node.edit_genesis(|g: &mut pol_gov::GenesisState| {
        // cosmjs polls for inclusion every 3 s: two txs, then the reads.
        g.params.voting_period = 15_000_000_000;
        g.params.expedited_voting_period = 5_000_000_000;
    })
    .unwrap();
    node.start_and_wait(2).await.expect("chain starts");

    let mut cmd = cosmjs_client(&dir, "gov.mjs", &node);
    cmd.args(["--deposit", "10000000"])
        .env("POL_MNEMONIC", &words);
    let out = run_cosmjs(cmd, &node).await;
    println!("cosmjs gov: {out}");
    let me = key.address().to_string();
    assert_eq!(
        (out["submitCode"].clone(), out["voteCode"].clone()),
        (0.into(), 0.into()),
        "{out}"
    );
    let id = s(&out["proposalId"]);
    assert_eq!(out["votingIds"], serde_json::json!([id]), "{out}");
    assert_eq!(out["status"], 2, "voting period: {out}");
    assert_eq!(s(&out["contentType"]), "/cosmos.gov.v1beta1.TextProposal");
    assert_eq!(s(&out["title"]), "cosmjs signal");
    assert_eq!(s(&out["description"]), "Proposed by cosmjs");
    assert_eq!(out["totalDeposit"], serde_json::json!(["10000000upol"]));
    assert_eq!(out["deposits"][0]["depositor"], me.as_str());
    assert_eq!(out["votes"][0]["voter"], me.as_str());
    assert_eq!(out["votes"][0]["option"], 1, "{out}");
    // v1beta1 weights are LegacyDec atomics: 1 is 10^18.
    assert_eq!(s(&out["vote"]["weight"]), "1000000000000000000");
    // The voter has no stake: its yes weighs nothing.
    assert_eq!(s(&out["tallyYes"]), "0");
    assert_eq!(s(&out["quorum"]), "334000000000000000");
    assert_eq!(s(&out["threshold"]), "500000000000000000");
    assert_eq!(s(&out["votingPeriodSeconds"]), "15");
    assert_eq!(out["minDeposit"], serde_json::json!(["10000000upol"]));

    // The validator (all the bonded stake) votes yes with pold; the proposal passes.
    let node_url = format!("tcp://127.0.0.1:{}", node.ports.rpc);
    let vote: Value = serde_json::from_str(
        &pold(
            &node.home,
            &[
                "tx",
                "gov",
                "vote",
                VALIDATOR_OPERATOR,
                &id,
                "yes",
                "--node",
                &node_url,
            ],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(vote["code"], 0, "{vote}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let p: Value = serde_json::from_str(
            &pold(
                &node.home,
                &["query", "gov", "proposal", &id, "--node", &node_url],
            )
            .unwrap(),
        )
        .unwrap();
        if p["proposal"]["status"] == "PROPOSAL_STATUS_PASSED" {
            assert_eq!(
                s(&p["proposal"]["finalTallyResult"]["yesCount"]),
                VALIDATOR_SELF_BOND.to_string(),
                "{p}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "never passed: {p}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
