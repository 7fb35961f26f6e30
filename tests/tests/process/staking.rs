//! Staking on a real chain: the genesis validator comes from a gentx, a validator created by
//! transaction joins CometBFT's set, delegations change its power, unbonding removes it and
//! pays out after the unbonding period, and supply never moves. Queried over ABCI, gRPC and
//! the `pold` CLI.

use std::time::Duration;

use base64::Engine as _;
use pol_client::{RpcClient, SignerKey};
use pol_staking::msg::{MsgCreateValidator, MsgDelegate, MsgUndelegate};
use pol_staking::pb;
use pol_staking::types::valoper_string;
use pol_tests::*;
use prost::Message;
use serde_json::{json, Value};
use tendermint_proto::google::protobuf::Any;

// Long enough (~5 s of blocks) that the pending unbonding is still there when the test,
// after two CLI round trips, looks for it on a loaded machine.
const UNBONDING_BLOCKS: u64 = 25;

fn any<M: Message>(type_url: &str, m: &M) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

fn coin(amount: u128) -> Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
    upol(amount).pop()
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

/// Wait until CometBFT's latest set satisfies `want` (updates apply two blocks later).
async fn wait_for_set(
    rpc: &RpcClient,
    want: impl Fn(&[(String, i64)]) -> bool,
) -> Vec<(String, i64)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let h = rpc.latest_height().await.unwrap();
        let set = cometbft_set(rpc, h).await;
        if want(&set) {
            return set;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "validator set never became what was expected; last {set:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn total_supply(rpc: &RpcClient) -> u128 {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QuerySupplyOfRequest, QuerySupplyOfResponse};
    let r: QuerySupplyOfResponse = rpc
        .query(
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            &QuerySupplyOfRequest {
                denom: "upol".into(),
            },
            0,
        )
        .await
        .unwrap();
    r.amount.unwrap().amount.parse().unwrap()
}

async fn validator(rpc: &RpcClient, op: &str) -> pb::Validator {
    let r: pb::QueryValidatorResponse = rpc
        .query(
            "/pol.staking.v1.Query/Validator",
            &pb::QueryValidatorRequest {
                validator_address: op.into(),
            },
            0,
        )
        .await
        .unwrap();
    r.validator.unwrap()
}

fn cli_json(node: &Node, args: &[&str]) -> Value {
    let out = pold(&node.home, args).unwrap();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn validators_join_change_power_and_leave_through_transactions() {
    let carol = SignerKey::random();
    let alice = SignerKey::random();
    let opts = ChainOptions {
        accounts: vec![(carol.clone(), 50_000_000), (alice.clone(), 50_000_000)],
        ..Default::default()
    };
    let mut node = Node::init(&opts).unwrap();
    node.edit_genesis(|g: &mut pol_staking::GenesisState| {
        g.params.unbonding_blocks = UNBONDING_BLOCKS
    })
    .unwrap();
    // Every fee to the community pool: no delegation earns rewards, so the balances below
    // move by exactly the amounts bonded, unbonded and paid in fees.
    node.edit_genesis(|g: &mut pol_distribution::GenesisState| {
        g.params.community_tax = pol_component::Dec::one()
    })
    .unwrap();
    let g = pol_genesis::GenesisFile::load(
        &node.home.join("config/genesis.json"),
        pol_app::modules::MODULES,
    )
    .unwrap();
    // collect-gentxs hands the set to InitChain: genesis.json lists no validator itself.
    assert_eq!(g.doc["validators"], json!([]));
    node.start_and_wait(2).await.unwrap();
    let rpc = node.rpc.clone();
    let supply = total_supply(&rpc).await;

    // The gentx validator is bonded with its self-bond, and is CometBFT's whole set.
    let vals = cli_json(
        &node,
        &["query", "staking", "validators", "--node", &rpc_url(&node)],
    );
    let vals = vals["validators"].as_array().unwrap();
    assert_eq!(vals.len(), 1, "{vals:?}");
    assert_eq!(vals[0]["status"], "bonded");
    assert_eq!(vals[0]["moniker"], "val0");
    assert_eq!(vals[0]["tokens"], VALIDATOR_SELF_BOND.to_string());
    let val0_key = vals[0]["consensus_pubkey"].as_str().unwrap().to_string();
    let val0_op = vals[0]["operator_address"].as_str().unwrap().to_string();

    // The operator edits its validator as with simd (cosmos.staking.v1beta1.MsgEditValidator):
    // a website, and its commission cut from the gentx's 5 % to 3 %; a second change within
    // 24 hours is refused.
    let out = cli_json(
        &node,
        &[
            "tx",
            "staking",
            "edit-validator",
            VALIDATOR_OPERATOR,
            "--website",
            "https://val0.example",
            "--commission-rate",
            "0.03",
            "--node",
            &rpc_url(&node),
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
    let val0 = cli_json(
        &node,
        &[
            "query",
            "staking",
            "validator",
            &val0_op,
            "--node",
            &rpc_url(&node),
        ],
    );
    assert_eq!(val0["commission_bps"], 300, "{val0}");
    assert_eq!(val0["moniker"], "val0", "{val0}");
    assert_eq!(val0["details"]["website"], "https://val0.example", "{val0}");
    let again = pold(
        &node.home,
        &[
            "tx",
            "staking",
            "edit-validator",
            VALIDATOR_OPERATOR,
            "--commission-rate",
            "0.04",
            "--node",
            &rpc_url(&node),
        ],
    );
    let refused = match again {
        Ok(out) => out,
        Err(e) => format!("{e:#}"),
    };
    assert!(refused.contains("24h"), "{refused}");
    let val0_power = (VALIDATOR_SELF_BOND / pol_staking::POWER_REDUCTION) as i64;
    assert_eq!(
        cometbft_set(&rpc, 1).await,
        vec![(val0_key.clone(), val0_power)]
    );

    // Carol creates a validator with a fresh consensus key: power 2 joins the set.
    let consensus = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let carol_key =
        base64::engine::general_purpose::STANDARD.encode(consensus.verifying_key().to_bytes());
    let carol_op = valoper_string(&carol.address());
    let mut carol_w = Wallet::load(&rpc, carol.clone(), "pol-test-1")
        .await
        .unwrap();
    let create = MsgCreateValidator {
        validator_address: carol_op.clone(),
        consensus_pubkey: consensus.verifying_key().to_bytes().to_vec(),
        moniker: "carol".into(),
        commission_bps: 1000,
        self_bond: coin(2_000_000),
    };
    let res = carol_w
        .submit(
            &rpc,
            vec![any(pol_staking::MSG_CREATE_VALIDATOR_TYPE_URL, &create)],
        )
        .await
        .unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    let set = wait_for_set(&rpc, |s| s.len() == 2).await;
    assert!(set.contains(&(carol_key.clone(), 2)), "{set:?}");
    assert!(set.contains(&(val0_key.clone(), val0_power)), "{set:?}");

    // The same key twice is refused, and nothing changes.
    let again = carol_w
        .submit(
            &rpc,
            vec![any(pol_staking::MSG_CREATE_VALIDATOR_TYPE_URL, &create)],
        )
        .await;
    match again {
        Err(e) => assert!(e.to_string().contains("code 18"), "{e}"),
        Ok(r) => assert_ne!(r.code, 0, "a second create-validator must fail"),
    }

    // Alice delegates 3 upol-units of power; the set follows.
    let mut alice_w = Wallet::load(&rpc, alice.clone(), "pol-test-1")
        .await
        .unwrap();
    let delegate = MsgDelegate {
        delegator_address: alice.address().to_string(),
        validator_address: carol_op.clone(),
        amount: coin(3_000_000),
    };
    let res = alice_w
        .submit(
            &rpc,
            vec![any(pol_staking::MSG_DELEGATE_TYPE_URL, &delegate)],
        )
        .await
        .unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    wait_for_set(&rpc, |s| s.contains(&(carol_key.clone(), 5))).await;

    // The operator delegates to carol through the CLI, from the node's keyring.
    let out = cli_json(
        &node,
        &[
            "tx",
            "staking",
            "delegate",
            VALIDATOR_OPERATOR,
            &carol_op,
            "1000000upol",
            "--node",
            &rpc_url(&node),
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
    wait_for_set(&rpc, |s| s.contains(&(carol_key.clone(), 6))).await;

    // Again through the generic CLI, which knows every module's messages and queries from
    // their descriptors: the message and the query as JSON.
    let operator = pold(
        &node.home,
        &["keys", "show", VALIDATOR_OPERATOR, "--address"],
    )
    .unwrap()
    .trim()
    .to_string();
    let delegate_json = serde_json::json!({
        "delegatorAddress": operator,
        "validatorAddress": carol_op,
        "amount": {"denom": "upol", "amount": "1000000"},
    })
    .to_string();
    let out = cli_json(
        &node,
        &[
            "tx",
            "call",
            VALIDATOR_OPERATOR,
            "MsgDelegate",
            &delegate_json,
            "--node",
            &rpc_url(&node),
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
    wait_for_set(&rpc, |s| s.contains(&(carol_key.clone(), 7))).await;
    let request = serde_json::json!({"validatorAddress": carol_op}).to_string();
    let out = cli_json(
        &node,
        &[
            "query",
            "call",
            "staking",
            "validator",
            &request,
            "--node",
            &rpc_url(&node),
        ],
    );
    assert_eq!(out["validator"]["tokens"], "7000000", "{out}");
    // A message the JSON does not fit is refused before anything is signed.
    let err = pold(
        &node.home,
        &[
            "tx",
            "call",
            VALIDATOR_OPERATOR,
            "MsgDelegate",
            r#"{"amount": 5}"#,
        ],
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("pol.staking.v1.MsgDelegate"),
        "{err:#}"
    );

    // Over gRPC too: carol's validator, and the pool.
    let mut q =
        pb::query_client::QueryClient::connect(format!("http://127.0.0.1:{}", node.ports.grpc))
            .await
            .unwrap();
    let v = q
        .validator(pb::QueryValidatorRequest {
            validator_address: carol_op.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .validator
        .unwrap();
    assert_eq!(v.tokens, "7000000");
    assert_eq!(v.status, pb::BondStatus::Bonded as i32);
    let pool = q
        .pool(pb::QueryPoolRequest {})
        .await
        .unwrap()
        .into_inner()
        .pool
        .unwrap();
    assert_eq!(
        pool.bonded_tokens,
        (VALIDATOR_SELF_BOND + 7_000_000).to_string()
    );

    // Everyone unbonds from carol: it drops out of the set and starts unbonding.
    let alice_before = balance(&rpc, &alice.address(), 0).await.unwrap();
    for (w, amount) in [(&mut alice_w, 3_000_000u128), (&mut carol_w, 2_000_000)] {
        let unbond = MsgUndelegate {
            delegator_address: w.key.address().to_string(),
            validator_address: carol_op.clone(),
            amount: coin(amount),
        };
        let res = w
            .submit(
                &rpc,
                vec![any(pol_staking::MSG_UNDELEGATE_TYPE_URL, &unbond)],
            )
            .await
            .unwrap();
        assert_eq!(res.code, 0, "{}", res.log);
    }
    let out = cli_json(
        &node,
        &[
            "tx",
            "staking",
            "unbond",
            VALIDATOR_OPERATOR,
            &carol_op,
            "2000000upol",
            "--node",
            &rpc_url(&node),
        ],
    );
    assert_eq!(out["code"], 0, "{out}");
    let unbonded_at = rpc.latest_height().await.unwrap();
    let set = wait_for_set(&rpc, |s| s.len() == 1).await;
    assert_eq!(set, vec![(val0_key.clone(), val0_power)]);
    let v = validator(&rpc, &carol_op).await;
    assert_eq!(v.tokens, "0");
    assert_ne!(v.status, pb::BondStatus::Bonded as i32);

    // Alice's unbonding is pending, then pays out after the unbonding period.
    let pending = cli_json(
        &node,
        &[
            "query",
            "staking",
            "unbondings",
            &alice.address().to_string(),
            "--node",
            &rpc_url(&node),
        ],
    );
    let entries = pending["unbondings"].as_array().unwrap();
    assert!(
        entries.len() == 1 && entries[0]["amount"] == "3000000",
        "{pending}"
    );
    node.wait_for_height(unbonded_at + UNBONDING_BLOCKS + 2, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        balance(&rpc, &alice.address(), 0).await.unwrap(),
        alice_before - DEFAULT_FEE + 3_000_000
    );
    let pending = cli_json(
        &node,
        &[
            "query",
            "staking",
            "unbondings",
            &alice.address().to_string(),
            "--node",
            &rpc_url(&node),
        ],
    );
    assert_eq!(pending["unbondings"], json!([]));

    // Nothing was minted or burned on the way (fees sit in fee_collector and distribution).
    assert_eq!(total_supply(&rpc).await, supply);
    node.stop().unwrap();
}

fn rpc_url(node: &Node) -> String {
    format!("tcp://127.0.0.1:{}", node.ports.rpc)
}
