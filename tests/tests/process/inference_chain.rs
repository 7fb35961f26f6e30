//! The inference market on a real chain, driven through `pold tx/query inference` with no
//! worker process: the test plays the model owner, the provider's worker (it signs receipts
//! with the worker key file and proves them with `pol_proofs`) and the requester.
//!
//! * an architecture (a tiny 4→3→2 MLP, insecure seeded setup), a model registered from its
//!   weights file, a provider registered with its worker key file;
//! * a receipt sampled into an obligation (sample rate 100 %) and discharged by a proof:
//!   the owner gets the royalty, the provider its escrowed price, the attestation is listed;
//!   a proof for another statement and a second attestation are refused;
//! * a receipt whose obligation is never proven: missed at its deadline, the provider's bond
//!   loses `missed_proof_slash_ppm` (rounded up), the requester gets the price back, a fault
//!   is listed, and the bank supply drops by exactly the slashed amount;
//! * the provider tops its bond back up and changes its terms, then deregisters: it is
//!   unbonding, no longer listed for its model, and its receipts are refused.
//!
//! Bad flags along the way must fail with an error naming them, never a panic.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use pol_inference::receipt::{ReceiptBody, SignedReceipt};
use pol_proofs::commitment::commit;
use pol_proofs::model::{Architecture, Model};
use pol_proofs::{prove, setup_insecure_seeded, Statement};
use pol_tests::*;
use prost::Message;
use rand::rngs::{OsRng, StdRng};
use rand::SeedableRng;
use serde_json::{json, Value};

const CHAIN_ID: &str = "pol-test-1";
const MODEL_ID: &str = "tiny-mlp";
/// Blocks a provider has to prove a sampled receipt (blocks are ~0.2 s here): room for the
/// half-dozen CLI processes the test runs between submitting and attesting on a loaded
/// machine.
const DEADLINE: u64 = 60;
const SLASH_PPM: u32 = 100_000;
/// Odd on purpose: 10 % of it is not whole, so the rounding (up) shows.
const BOND: u128 = 50_000_001;
const MODEL_PRICE: u128 = 300;
const PROVIDER_PRICE: u128 = 7_000;
/// What every transaction below pays (explicit, so balances can be checked exactly).
const FEE: u128 = 10_000;
const FUNDS: u128 = 1_000_000_000;

/// `pold <args>` against the node; stdout as JSON.
fn cli(node: &Node, args: &[&str]) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    let url = node.rpc_url();
    all.extend(["--node", &url]);
    let out = pold(&node.home, &all).unwrap_or_else(|e| panic!("{args:?}: {e:#}"));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// A transaction through the CLI with the test's gas and fee; must commit with code 0.
fn tx(node: &Node, args: &[&str]) -> Value {
    let fee = format!("{FEE}upol");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--gas", "400000", "--fees", &fee]);
    let out = cli(node, &all);
    assert_eq!(out["code"], 0, "{args:?}: {out}");
    out
}

/// A command that must fail with `want` in its error output, never by panicking.
fn fails(node: &Node, args: &[&str], want: &str) {
    let mut all: Vec<&str> = args.to_vec();
    let url = node.rpc_url();
    all.extend(["--node", &url]);
    let err = match pold(&node.home, &all) {
        Ok(out) => panic!("{args:?} succeeded: {out}"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains(want), "{args:?}: wanted {want:?} in: {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The receipt as the JSON file `submit-receipt --receipt` reads (bytes in hex).
/// What a worker's receipt for an unpaid request names: today's prices.
fn unpaid() -> pol_inference::receipt::ReceiptPayment {
    pol_inference::receipt::ReceiptPayment {
        price: PROVIDER_PRICE,
        royalty: MODEL_PRICE,
        ..Default::default()
    }
}

fn receipt_json(r: &SignedReceipt) -> Value {
    let p = r.to_proto();
    json!({
        "chain_id": p.chain_id,
        "provider": p.provider,
        "model_id": p.model_id,
        "input_hash": hex::encode(&p.input_hash),
        "output_hash": hex::encode(&p.output_hash),
        "nonce": p.nonce,
        "worker_time_ms": p.worker_time_ms,
        "worker_pubkey": hex::encode(&p.worker_pubkey),
        "signature": hex::encode(&p.signature),
        "channel_id": p.channel_id,
        "payment_amount": p.payment_amount,
        "price": p.price,
        "royalty": p.royalty,
    })
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> String {
    std::fs::write(path, bytes).unwrap();
    path.display().to_string()
}

/// The provider's obligations in `state`, polled until there are `n` (or 30 s pass).
async fn obligations(node: &Node, provider: &str, state: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let out = cli(
            node,
            &[
                "query",
                "inference",
                "obligations",
                "--provider",
                provider,
                "--state",
                state,
            ],
        );
        let list = out["obligations"].as_array().unwrap().clone();
        if list.len() >= n {
            assert_eq!(list.len(), n, "{out}");
            return list;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {n} {state} obligations: {out}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn receipts_become_obligations_that_are_proven_or_slashed() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::init(&ChainOptions::default()).unwrap();
    let owner = add_funded_key(&node, "owner", FUNDS).unwrap();
    let provider = add_funded_key(&node, "provider", FUNDS).unwrap();
    let requester = add_funded_key(&node, "requester", FUNDS).unwrap();
    let provider_s = provider.to_string();
    let min_bond = node
        .edit_genesis(|g: &mut pol_inference::GenesisState| {
            let p = g.params_mut();
            p.sample_rate_ppm = 1_000_000;
            p.proof_deadline_blocks = DEADLINE;
            p.provider_unbonding_blocks = 100;
            p.missed_proof_slash_ppm = SLASH_PPM;
            p.min_provider_bond.parse::<u128>().unwrap()
        })
        .unwrap();
    assert!(BOND - BOND * u128::from(SLASH_PPM) / 1_000_000 > min_bond);
    // The validator's probes of this provider's dead endpoint all fail: no SLA epoch may
    // end within the test, or its slashes would mix with the missed proof's.
    node.edit_genesis(|g: &mut pol_latency::GenesisState| g.params_mut().epoch_blocks = 1_000_000)
        .unwrap();

    // Off chain: the architecture's keys, the model's weights, the worker's receipt key.
    let arch = Architecture::mlp(&[4, 3, 2], &[2]).unwrap();
    let (pk, vk) = setup_insecure_seeded(&arch, 7).unwrap();
    let vk_path = dir.path().join("tiny.vk");
    vk.save(&vk_path).unwrap();
    let mut model = Model::random(&arch, &mut StdRng::seed_from_u64(3));
    // Model::random's biases (up to ±2^16) swamp w·x at this size, which would make every
    // input give the same logits; small ones keep the output a function of the input.
    for layer in &mut model.layers {
        for b in &mut layer.bias {
            *b /= 1024;
        }
    }
    let model_path = dir.path().join("tiny.polm");
    model.save(&model_path).unwrap();
    let commitment = commit(&model);
    let seed = [0x5au8; 32];
    let worker_key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let worker_key_path = write(
        &dir.path().join("worker.key"),
        format!("{}\n", hex::encode(seed)),
    );

    node.start_and_wait(2).await.unwrap();
    let rpc = node.rpc.clone();

    let params = cli(&node, &["query", "inference", "params"]);
    assert_eq!(params["sample_rate_ppm"], 1_000_000, "{params}");
    assert_eq!(params["proof_deadline_blocks"], DEADLINE, "{params}");
    assert_eq!(params["missed_proof_slash_ppm"], SLASH_PPM, "{params}");

    // Registration, all through the CLI.
    let out = tx(
        &node,
        &[
            "tx",
            "inference",
            "register-architecture",
            "owner",
            "--verifying-key",
            vk_path.to_str().unwrap(),
        ],
    );
    let arch_id = s(&out["architecture_id"]).to_string();
    assert_eq!(arch_id, hex::encode(vk.content_hash()));
    assert_eq!(
        arch_id,
        pol_inference::verify::decode_verifying_key(&vk.to_bytes())
            .unwrap()
            .0
    );
    let archs = cli(&node, &["query", "inference", "architectures"]);
    let archs = archs["architectures"].as_array().unwrap();
    assert_eq!(archs.len(), 1, "{archs:?}");
    assert_eq!(archs[0]["id"], arch_id.as_str());
    assert_eq!(archs[0]["registrant"], owner.to_string());
    assert_eq!(archs[0]["layers"].as_array().unwrap().len(), 2);
    let one_arch = cli(&node, &["query", "inference", "architecture", &arch_id]);
    assert_eq!(one_arch["id"], arch_id.as_str());

    // A bad flag is an error that says which, not a panic.
    fails(
        &node,
        &[
            "tx",
            "inference",
            "register-model",
            "owner",
            MODEL_ID,
            "--architecture",
            &arch_id,
            "--commitment",
            "zz",
        ],
        "--commitment",
    );
    fails(
        &node,
        &[
            "tx",
            "inference",
            "register-model",
            "owner",
            MODEL_ID,
            "--architecture",
            &arch_id,
            "--commitment",
            &commitment.to_hex(),
            "--model",
            model_path.to_str().unwrap(),
        ],
        "cannot be used with",
    );
    let out = tx(
        &node,
        &[
            "tx",
            "inference",
            "register-model",
            "owner",
            MODEL_ID,
            "--architecture",
            &arch_id,
            "--model",
            model_path.to_str().unwrap(),
            "--price",
            &MODEL_PRICE.to_string(),
        ],
    );
    assert_eq!(out["weight_commitment"], commitment.to_hex().as_str());
    let m = cli(&node, &["query", "inference", "model", MODEL_ID]);
    assert_eq!(m["weight_commitment"], commitment.to_hex().as_str(), "{m}");
    assert_eq!(m["architecture_id"], arch_id.as_str());
    assert_eq!(m["owner"], owner.to_string());
    assert_eq!(m["price_per_inference"], MODEL_PRICE.to_string());
    let models = cli(&node, &["query", "inference", "models"]);
    assert_eq!(models["models"].as_array().unwrap().len(), 1, "{models}");

    fails(
        &node,
        &[
            "tx",
            "inference",
            "register-provider",
            "provider",
            "--endpoint",
            "http://127.0.0.1:9",
            "--models",
            MODEL_ID,
            "--max-p99-us",
            "50000",
            "--max-failure-ppm",
            "1000",
            "--price",
            "7000upol",
            "--worker-key",
            &worker_key_path,
            "--bond",
            &format!("{BOND}upol"),
        ],
        "--price",
    );
    let provider_before = balance(&rpc, &provider, 0).await.unwrap();
    let out = tx(
        &node,
        &[
            "tx",
            "inference",
            "register-provider",
            "provider",
            "--endpoint",
            "http://127.0.0.1:9",
            "--models",
            MODEL_ID,
            "--max-p99-us",
            "50000",
            "--max-failure-ppm",
            "1000",
            "--price",
            &PROVIDER_PRICE.to_string(),
            "--worker-key",
            &worker_key_path,
            "--bond",
            &format!("{BOND}upol"),
        ],
    );
    let worker_pub = hex::encode(worker_key.verifying_key().to_bytes());
    assert_eq!(out["receipt_pubkey"], worker_pub.as_str());
    assert_eq!(
        balance(&rpc, &provider, 0).await.unwrap(),
        provider_before - FEE - BOND
    );
    let pv = cli(&node, &["query", "inference", "provider", &provider_s]);
    assert_eq!(pv["status"], "active", "{pv}");
    assert_eq!(pv["bond"], BOND.to_string());
    assert_eq!(pv["receipt_pubkey"], worker_pub.as_str());
    assert_eq!(pv["models"], json!([MODEL_ID]));
    assert_eq!(pv["sla"]["max_p99_latency_us"], 50_000);
    let serving = cli(
        &node,
        &["query", "inference", "providers", "--model", MODEL_ID],
    );
    let serving = serving["providers"].as_array().unwrap();
    assert_eq!(serving.len(), 1);
    assert_eq!(serving[0]["address"], provider_s.as_str());

    // Receipt 1: a real forward pass, signed by the worker key, proven before it is even
    // submitted (the statement is fixed by the receipt); only the CLI round trips stand
    // between submitting and attesting.
    let input1: Vec<i8> = vec![3, -7, 12, 0];
    let output1 = model.forward(&input1).unwrap();
    let r1 = ReceiptBody::new(
        CHAIN_ID,
        *provider.as_bytes(),
        MODEL_ID,
        &input1,
        &output1,
        1,
        now_ms(),
    )
    .with_payment(unpaid())
    .sign(&worker_key)
    .unwrap();
    let statement = |input: &[i8], output: &[i32], nonce: u64| Statement {
        commitment,
        input: input.to_vec(),
        output: output.to_vec(),
        nonce,
        provider: *provider.as_bytes(),
    };
    let proof1 = prove(&pk, &model, &statement(&input1, &output1, 1), &mut OsRng).unwrap();
    let proof1_path = write(&dir.path().join("1.proof"), proof1.to_bytes());
    // A valid proof of the same inference for another nonce: must not discharge receipt 1.
    let wrong_nonce = prove(&pk, &model, &statement(&input1, &output1, 2), &mut OsRng).unwrap();
    let input1_hex = hex::encode(input1.iter().map(|&x| x as u8).collect::<Vec<_>>());
    let output1_csv = output1
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",");

    let requester_before = balance(&rpc, &requester, 0).await.unwrap();
    let owner_before = balance(&rpc, &owner, 0).await.unwrap();
    let r1_path = write(
        &dir.path().join("receipt1.json"),
        receipt_json(&r1).to_string(),
    );
    let out = tx(
        &node,
        &[
            "tx",
            "inference",
            "submit-receipt",
            "requester",
            "--receipt",
            &r1_path,
        ],
    );
    let r1_id = hex::encode(r1.id().unwrap());
    assert_eq!(out["receipt_id"], r1_id.as_str());
    let submitted_at = u(&out["height"]);
    assert_eq!(
        balance(&rpc, &requester, 0).await.unwrap(),
        requester_before - FEE - MODEL_PRICE - PROVIDER_PRICE
    );
    assert_eq!(
        balance(&rpc, &owner, 0).await.unwrap(),
        owner_before + MODEL_PRICE
    );
    // The same receipt twice is refused.
    fails(
        &node,
        &[
            "tx",
            "inference",
            "submit-receipt",
            "requester",
            "--receipt",
            &r1_path,
        ],
        "already submitted",
    );

    let pending = obligations(&node, &provider_s, "pending", 1).await;
    let o1 = &pending[0];
    let o1_id = u(&o1["id"]);
    assert_eq!(o1["receipt_id"], r1_id.as_str(), "{o1}");
    assert_eq!(o1["model_id"], MODEL_ID);
    assert_eq!(o1["nonce"], 1);
    assert_eq!(o1["escrow"], PROVIDER_PRICE.to_string());
    assert_eq!(o1["submitter"], requester.to_string());
    assert_eq!(u(&o1["created_height"]), submitted_at);
    assert_eq!(u(&o1["deadline_height"]), submitted_at + DEADLINE);

    fails(
        &node,
        &[
            "tx",
            "inference",
            "attest",
            "provider",
            &o1_id.to_string(),
            "--input",
            &input1_hex,
            "--output",
            &output1_csv,
            "--proof",
            &hex::encode(wrong_nonce.to_bytes()),
        ],
        "invalid proof",
    );
    fails(
        &node,
        &[
            "tx",
            "inference",
            "attest",
            "provider",
            &o1_id.to_string(),
            "--input",
            "0x03f9",
            "--output",
            &output1_csv,
            "--proof",
            &proof1_path,
        ],
        "input does not hash",
    );
    fails(
        &node,
        &[
            "tx",
            "inference",
            "attest",
            "provider",
            &o1_id.to_string(),
            "--input",
            &input1_hex,
            "--output",
            "1,x",
            "--proof",
            &proof1_path,
        ],
        "--output",
    );
    let provider_before = balance(&rpc, &provider, 0).await.unwrap();
    tx(
        &node,
        &[
            "tx",
            "inference",
            "attest",
            "provider",
            &o1_id.to_string(),
            "--input",
            &input1_hex,
            "--output",
            &output1_csv,
            "--proof",
            &proof1_path,
        ],
    );
    // Discharged: the escrowed price reaches the provider.
    assert_eq!(
        balance(&rpc, &provider, 0).await.unwrap(),
        provider_before - FEE + PROVIDER_PRICE
    );
    let o1 = cli(
        &node,
        &["query", "inference", "obligation", &o1_id.to_string()],
    );
    assert_eq!(o1["state"], "discharged", "{o1}");
    assert!(u(&o1["settled_height"]) <= u(&o1["deadline_height"]));
    let atts = cli(
        &node,
        &[
            "query",
            "inference",
            "attestations",
            "--provider",
            &provider_s,
        ],
    );
    let atts = atts["attestations"].as_array().unwrap();
    assert_eq!(atts.len(), 1, "{atts:?}");
    assert_eq!(u(&atts[0]["obligation_id"]), o1_id);
    assert_eq!(atts[0]["submitter"], provider_s.as_str());
    assert_eq!(s(&atts[0]["proof_hash"]).len(), 64);
    let all_atts = cli(&node, &["query", "inference", "attestations"]);
    assert_eq!(all_atts["attestations"].as_array().unwrap().len(), 1);
    assert_eq!(
        cli(&node, &["query", "inference", "provider", &provider_s])["attested"],
        1
    );
    fails(
        &node,
        &[
            "tx",
            "inference",
            "attest",
            "provider",
            &o1_id.to_string(),
            "--input",
            &input1_hex,
            "--output",
            &output1_csv,
            "--proof",
            &proof1_path,
        ],
        "already settled",
    );

    // Receipt 2, submitted as protobuf base64 and never proven.
    let input2: Vec<i8> = vec![-1, 16, 5, 9];
    let output2 = model.forward(&input2).unwrap();
    assert_ne!(output1, output2, "the test model must depend on its input");
    let r2 = ReceiptBody::new(
        CHAIN_ID,
        *provider.as_bytes(),
        MODEL_ID,
        &input2,
        &output2,
        2,
        now_ms(),
    )
    .with_payment(unpaid())
    .sign(&worker_key)
    .unwrap();
    let r2_b64 = base64::engine::general_purpose::STANDARD.encode(r2.to_proto().encode_to_vec());
    let out = tx(
        &node,
        &[
            "tx",
            "inference",
            "submit-receipt",
            "requester",
            "--receipt-base64",
            &r2_b64,
        ],
    );
    assert_eq!(out["receipt_id"], hex::encode(r2.id().unwrap()).as_str());
    let o2 = obligations(&node, &provider_s, "pending", 1)
        .await
        .remove(0);
    let o2_id = u(&o2["id"]);
    assert_ne!(o2_id, o1_id);
    let deadline = u(&o2["deadline_height"]);
    let supply_before = total_supply_upol(&rpc).await.unwrap();
    let requester_before = balance(&rpc, &requester, 0).await.unwrap();
    let provider_before = balance(&rpc, &provider, 0).await.unwrap();
    node.wait_for_height(deadline + 1, Duration::from_secs(120))
        .await
        .unwrap();

    let o2 = cli(
        &node,
        &["query", "inference", "obligation", &o2_id.to_string()],
    );
    assert_eq!(o2["state"], "missed", "{o2}");
    assert_eq!(u(&o2["settled_height"]), deadline);
    let missed = obligations(&node, &provider_s, "missed", 1).await;
    assert_eq!(u(&missed[0]["id"]), o2_id);
    let slashed = (BOND * u128::from(SLASH_PPM)).div_ceil(1_000_000);
    assert_eq!(slashed, 5_000_001);
    let pv = cli(&node, &["query", "inference", "provider", &provider_s]);
    assert_eq!(pv["bond"], (BOND - slashed).to_string(), "{pv}");
    assert_eq!(pv["faults"], 1);
    assert_eq!(pv["status"], "active");
    let faults = cli(
        &node,
        &["query", "inference", "faults", "--provider", &provider_s],
    );
    let faults = faults["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(u(&faults[0]["obligation_id"]), o2_id);
    assert_eq!(faults[0]["slashed"], slashed.to_string());
    assert_eq!(u(&faults[0]["height"]), deadline);
    // The slash is burned, the requester gets the provider's price back, the provider
    // keeps its balance.
    assert_eq!(
        total_supply_upol(&rpc).await.unwrap(),
        supply_before - slashed
    );
    assert_eq!(
        balance(&rpc, &requester, 0).await.unwrap(),
        requester_before + PROVIDER_PRICE
    );
    assert_eq!(balance(&rpc, &provider, 0).await.unwrap(), provider_before);
    // A proof that comes too late changes nothing.
    let proof2 = prove(&pk, &model, &statement(&input2, &output2, 2), &mut OsRng).unwrap();
    fails(
        &node,
        &[
            "tx",
            "inference",
            "attest",
            "provider",
            &o2_id.to_string(),
            "--input",
            &hex::encode(input2.iter().map(|&x| x as u8).collect::<Vec<_>>()),
            "--output",
            &output2
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(","),
            "--proof",
            &hex::encode(proof2.to_bytes()),
        ],
        "missed",
    );
    fails(
        &node,
        &["query", "inference", "obligations", "--state", "late"],
        "pending, discharged or missed",
    );
    let discharged = obligations(&node, &provider_s, "discharged", 1).await;
    assert_eq!(u(&discharged[0]["id"]), o1_id);

    // The provider tops its bond up and changes its terms, then leaves.
    fails(
        &node,
        &["tx", "inference", "update-provider", "provider"],
        "nothing to update",
    );
    fails(
        &node,
        &[
            "tx",
            "inference",
            "update-provider",
            "provider",
            "--max-p99-us",
            "40000",
        ],
        "--max-failure-ppm",
    );
    tx(
        &node,
        &[
            "tx",
            "inference",
            "update-provider",
            "provider",
            "--add-bond",
            &format!("{slashed}upol"),
            "--price",
            "8000",
            "--max-p99-us",
            "40000",
            "--max-failure-ppm",
            "500",
        ],
    );
    let pv = cli(&node, &["query", "inference", "provider", &provider_s]);
    assert_eq!(pv["bond"], BOND.to_string(), "{pv}");
    assert_eq!(pv["price_per_inference"], "8000");
    // A new SLA waits for the end of the epoch in progress.
    assert_eq!(
        pv["sla"],
        json!({"max_p99_latency_us": 50_000, "max_failure_rate_ppm": 1_000})
    );
    assert_eq!(
        pv["next_sla"],
        json!({"max_p99_latency_us": 40_000, "max_failure_rate_ppm": 500})
    );
    assert_eq!(pv["endpoint"], "http://127.0.0.1:9");
    let out = tx(
        &node,
        &["tx", "inference", "deregister-provider", "provider"],
    );
    let pv = cli(&node, &["query", "inference", "provider", &provider_s]);
    assert_eq!(pv["status"], "unbonding", "{pv}");
    assert_eq!(
        u(&pv["unbonding_completion_height"]),
        u(&out["height"]) + 100
    );
    let serving = cli(
        &node,
        &["query", "inference", "providers", "--model", MODEL_ID],
    );
    assert_eq!(serving["providers"], json!([]), "{serving}");
    // Its receipts are no longer accepted.
    let r3 = ReceiptBody::new(
        CHAIN_ID,
        *provider.as_bytes(),
        MODEL_ID,
        &input2,
        &output2,
        3,
        now_ms(),
    )
    .with_payment(unpaid())
    .sign(&worker_key)
    .unwrap();
    let r3_path = write(
        &dir.path().join("receipt3.json"),
        receipt_json(&r3).to_string(),
    );
    fails(
        &node,
        &[
            "tx",
            "inference",
            "submit-receipt",
            "requester",
            "--receipt",
            &r3_path,
        ],
        "not active",
    );
    node.stop().unwrap();
}
