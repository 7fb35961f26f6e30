//! The requester CLI end to end on a single-validator chain: a real pol-worker registers the
//! model and itself, pold probes it (vote-extension aggregates appear after a few blocks),
//! `pold query latency route` ranks it with a measurement, and `pold infer` gets the
//! worker's answer with a receipt verified against the registered key and a measured round
//! trip. A second provider registered at an endpoint nobody listens on is tried first when
//! the route weighs only price (it is cheaper), fails, and the CLI says so and falls back to
//! the next ranked provider. Then the latency, sla and reputation query commands, and the
//! errors: an unknown model, a provider that does not serve the model, every worker down.

use std::process::Command;
use std::time::{Duration, Instant};

use pol_tests::worker::{ChainLink, WorkerProcess, WorkerSpec, MODEL};
use pol_tests::*;
use pol_worker_api::worker_client::WorkerClient;
use pol_worker_api::InferRequest;
use serde_json::Value;

const PRICE: u64 = 100;
const CHEAP: u64 = 1;

/// `pold <args>` against the node: (success, stdout, stderr).
fn pold_out(node: &Node, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(pold_bin())
        .arg("--home")
        .arg(&node.home)
        .args(args)
        .args(["--node", &node.rpc_url()])
        .output()
        .expect("running pold");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `pold <args>` that must succeed and print JSON.
fn pold_json(node: &Node, args: &[&str]) -> Value {
    let (ok, out, err) = pold_out(node, args);
    assert!(ok, "pold {args:?} failed:\n{out}\n{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("pold {args:?} printed {out}: {e}"))
}

/// Poll `f` every 300 ms until it returns `Some`.
async fn eventually<T>(
    what: &str,
    timeout: Duration,
    worker: &WorkerProcess,
    node: &Node,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; worker log:\n{}\nnode log:\n{}",
            worker.log_tail(30),
            node.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The route's providers, if the query succeeds.
fn route(node: &Node, extra: &[&str]) -> Option<Vec<Value>> {
    let mut args = vec!["query", "latency", "route", MODEL];
    args.extend_from_slice(extra);
    let (ok, out, _) = pold_out(node, &args);
    if !ok {
        return None;
    }
    let v: Value = serde_json::from_str(&out).ok()?;
    v["providers"].as_array().cloned()
}

fn input_csv(input: &[i8]) -> String {
    input
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test(flavor = "multi_thread")]
async fn pold_infer_routes_to_the_measured_provider_and_verifies_its_receipt() {
    let mut node = Node::init(&ChainOptions::default()).unwrap();
    let provider = add_funded_key(&node, "provider", 1_000_000_000)
        .unwrap()
        .to_string();
    let dead = add_funded_key(&node, "dead", 1_000_000_000)
        .unwrap()
        .to_string();
    node.edit_genesis(|g: &mut pol_inference::GenesisState| {
        g.params_mut().min_provider_bond = "10000000".into()
    })
    .unwrap();
    // No epoch ends during the test: the dead provider is not judged (and jailed) away.
    node.edit_genesis(|g: &mut pol_latency::GenesisState| g.params_mut().epoch_blocks = 1_000_000)
        .unwrap();
    let mut cfg = pol_app::config::AppConfig::load(&node.home).unwrap();
    cfg.probe.interval_ms = 100;
    cfg.probe.refresh_ms = 500;
    cfg.save(&node.home).unwrap();
    node.start_and_wait(2).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut spec = WorkerSpec::new("pol-test-1", &provider);
    spec.chain = Some(ChainLink {
        grpc: format!("127.0.0.1:{}", node.ports.grpc),
        home: node.home.clone(),
        key: "provider".into(),
        bond: 20_000_000,
        price_per_inference: PRICE,
        max_p99_latency_us: 50_000,
        max_failure_rate_ppm: 10_000,
        register_models: true,
    });
    let mut worker = WorkerProcess::start(&spec, dir.path()).unwrap();

    // Registered, probed, aggregated: the route lists it with a measurement.
    let entry = eventually(
        "a measured route entry",
        Duration::from_secs(240),
        &worker,
        &node,
        || {
            route(&node, &[])?
                .into_iter()
                .find(|e| e["provider"] == provider.as_str() && e["has_measurement"] == true)
        },
    )
    .await;
    assert_eq!(entry["rank"], 1);
    assert_eq!(entry["endpoint"], spec.endpoint().as_str());
    assert_eq!(entry["price_per_inference"], PRICE.to_string().as_str());
    assert_eq!(entry["failure_rate_ppm"], 0, "{entry}");
    assert!(entry["p99_us"].as_u64().unwrap() > 0, "{entry}");
    assert_eq!(entry["latency_score_ppm"], 1_000_000, "{entry}");
    let reasons = entry["reasons"].as_str().unwrap();
    assert!(
        reasons.starts_with("p99 ") && reasons.contains("(1.00x the fastest)"),
        "{reasons}"
    );
    assert!(reasons.contains("price 100upol"), "{reasons}");
    let registered = pold_json(&node, &["query", "inference", "provider", &provider]);
    assert_eq!(entry["receipt_pubkey"], registered["receipt_pubkey"]);

    // `pold infer`: the worker's own answer, a verified receipt, a measured round trip.
    let input: Vec<i8> = (0..64).map(|i| ((i * 5 + 3) % 17) as i8).collect();
    let csv = input_csv(&input);
    let out = pold_json(
        &node,
        &[
            "infer", "--model", MODEL, "--input", &csv, "--nonce", "4242", "--output", "json",
        ],
    );
    assert_eq!(out["provider"], provider.as_str(), "{out}");
    assert_eq!(out["rank"], 1);
    assert_eq!(out["receipt_verified"], true);
    assert_eq!(out["nonce"], "4242");
    assert!(out["failed"].as_array().unwrap().is_empty());
    let latency: u64 = out["latency_us"].as_str().unwrap().parse().unwrap();
    assert!(latency > 0 && latency < 5_000_000, "{out}");
    let receipt_id = out["receipt_id"].as_str().unwrap();
    assert_eq!(receipt_id.len(), 64);
    assert_eq!(
        out["receipt"]["worker_pubkey"],
        registered["receipt_pubkey"]
    );
    assert_eq!(out["receipt"]["nonce"], "4242");
    // The chain's reasons for its rank (a newer aggregate may have landed since the query
    // above, so the figures and the height may differ, not the shape).
    let reasons = out["reasons"].as_str().unwrap();
    assert!(
        reasons.starts_with("p99 ")
            && reasons.contains("(1.00x the fastest)")
            && reasons.contains("consensus of 1 validator at height ")
            && reasons.contains("price 100upol"),
        "{reasons}"
    );
    let logits: Vec<i32> = out["logits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap() as i32)
        .collect();
    assert_eq!(logits.len(), 10);
    // The same request straight to the worker: the same logits, class and receipt id.
    let mut client = WorkerClient::connect(spec.endpoint()).await.unwrap();
    let direct = client
        .infer(InferRequest {
            model_id: MODEL.into(),
            input: input.iter().map(|&x| x as u8).collect(),
            nonce: 4242,
            payment: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(direct.logits, logits);
    assert_eq!(out["class"], direct.class);
    // The printed receipt is the worker's signature over this request, and its id.
    let r = &out["receipt"];
    let bytes = |k: &str| hex::decode(r[k].as_str().unwrap()).unwrap();
    let printed = pol_inference::pb::Receipt {
        chain_id: r["chain_id"].as_str().unwrap().into(),
        provider: r["provider"].as_str().unwrap().into(),
        model_id: r["model_id"].as_str().unwrap().into(),
        input_hash: bytes("input_hash"),
        output_hash: bytes("output_hash"),
        nonce: 4242,
        worker_time_ms: r["worker_time_ms"].as_str().unwrap().parse().unwrap(),
        worker_pubkey: bytes("worker_pubkey"),
        signature: bytes("signature"),
        channel_id: r["channel_id"].as_str().unwrap().parse().unwrap(),
        payment_amount: r["payment_amount"].as_str().unwrap().into(),
        price: r["price"].as_str().unwrap().into(),
        royalty: r["royalty"].as_str().unwrap().into(),
    };
    let signed = pol_inference::receipt::SignedReceipt::from_proto(&printed).unwrap();
    signed.verify_with_data(&input, &logits).unwrap();
    assert_eq!(hex::encode(signed.id().unwrap()), receipt_id);

    // Text output, input from a file, receipt written for submit-receipt.
    let file = dir.path().join("input.txt");
    std::fs::write(&file, csv.replace(',', " ")).unwrap();
    let receipt_file = dir.path().join("receipt.json");
    let (ok, text, err) = pold_out(
        &node,
        &[
            "infer",
            "--model",
            MODEL,
            "--input",
            &format!("@{}", file.display()),
            "--receipt-out",
            receipt_file.to_str().unwrap(),
        ],
    );
    assert!(ok, "{text}\n{err}");
    eprintln!("pold infer:\n{text}");
    assert!(
        text.contains(&format!("class:     {}", direct.class)),
        "{text}"
    );
    assert!(text.contains("rank 1 of 1"), "{text}");
    assert!(text.contains("(round trip)"), "{text}");
    assert!(
        text.contains("signature verified against the registered key"),
        "{text}"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&receipt_file).unwrap()).unwrap();
    assert_eq!(written["provider"], provider.as_str());

    // A cheaper provider whose endpoint nobody serves: first when only price counts; the
    // CLI reports its failure and falls back to the next ranked provider.
    let dead_endpoint = format!("http://127.0.0.1:{}", free_port());
    let dead_key = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_bytes(),
    );
    let (ok, out, err) = pold_out(
        &node,
        &[
            "tx",
            "inference",
            "register-provider",
            "dead",
            "--endpoint",
            &dead_endpoint,
            "--models",
            MODEL,
            // An SLA that promises nothing: a provider breaking its own SLA would rank
            // after the working one, and this checks the client's failover past rank 1.
            "--max-p99-us",
            "3600000000",
            "--max-failure-ppm",
            "1000000",
            "--price",
            &CHEAP.to_string(),
            "--receipt-pubkey",
            &dead_key,
            "--bond",
            "20000000upol",
        ],
    );
    assert!(ok, "register-provider failed:\n{out}\n{err}");
    let price_only = ["--price-weight", "1000000"];
    let ranked = eventually(
        "the dead provider first on price, measured",
        Duration::from_secs(60),
        &worker,
        &node,
        || {
            let r = route(&node, &price_only)?;
            (r.len() == 2 && r[0]["provider"] == dead.as_str() && r[0]["has_measurement"] == true)
                .then_some(r)
        },
    )
    .await;
    eprintln!(
        "route by price only:\n{}",
        serde_json::to_string_pretty(&ranked).unwrap()
    );
    assert_eq!(ranked[0]["failure_rate_ppm"], 1_000_000, "{ranked:?}");
    assert_eq!(ranked[0]["within_sla"], true, "{ranked:?}");
    assert_eq!(ranked[0]["latency_score_ppm"], 0);
    assert!(
        ranked[0]["reasons"]
            .as_str()
            .unwrap()
            .contains("no probe answered (100.0% failures"),
        "{ranked:?}"
    );
    // With the default weights the working provider stays first.
    let default = route(&node, &[]).unwrap();
    assert_eq!(default[0]["provider"], provider.as_str(), "{default:?}");

    let (ok, out, err) = pold_out(
        &node,
        &[
            "infer",
            "--model",
            MODEL,
            "--input",
            &csv,
            "--output",
            "json",
            "--price-weight",
            "1000000",
            "--timeout-ms",
            "2000",
        ],
    );
    assert!(ok, "{out}\n{err}");
    eprintln!("pold infer with the cheap provider down:\n{err}{out}");
    assert!(
        err.contains(&format!("provider {dead} (rank 1"))
            && err.contains("trying the next ranked provider"),
        "{err}"
    );
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["provider"], provider.as_str());
    assert_eq!(out["rank"], 2);
    assert_eq!(out["of"], 2);
    assert_eq!(out["failed"][0]["provider"], dead.as_str());

    // The Proof-of-Latency query commands.
    let params = pold_json(&node, &["query", "latency", "params"]);
    assert_eq!(params["epoch_blocks"], 1_000_000);
    let agg = pold_json(&node, &["query", "latency", "aggregate", &provider]);
    assert_eq!(agg["provider"], provider.as_str());
    assert!(agg["reports"][0]["valcons"]
        .as_str()
        .unwrap()
        .starts_with("polvalcons1"));
    let history = pold_json(&node, &["query", "latency", "history", &provider]);
    assert!(!history["aggregates"].as_array().unwrap().is_empty());
    let measurers = pold_json(&node, &["query", "latency", "measurers"]);
    let valcons = measurers["measurers"][0]["valcons"]
        .as_str()
        .unwrap()
        .to_string();
    let validator_hex = measurers["measurers"][0]["validator"]
        .as_str()
        .unwrap()
        .to_string();
    pold_json(&node, &["query", "sla", "params"]);
    let status = pold_json(&node, &["query", "sla", "status", &provider]);
    assert_eq!(status["status"], "active", "{status}");
    let violations = pold_json(&node, &["query", "sla", "violations", &provider]);
    assert!(violations["violations"].as_array().unwrap().is_empty());
    pold_json(&node, &["query", "reputation", "params"]);
    let rep = pold_json(&node, &["query", "reputation", "provider", &provider]);
    assert!(
        rep["reputation"]["reputation_ppm"].as_u64().is_some(),
        "{rep}"
    );
    pold_json(&node, &["query", "reputation", "providers"]);
    pold_json(&node, &["query", "reputation", "validators"]);
    let by_hex = pold_json(&node, &["query", "reputation", "validator", &validator_hex]);
    let by_valcons = pold_json(&node, &["query", "reputation", "validator", &valcons]);
    assert_eq!(by_hex, by_valcons);

    // Errors: an unknown model, a provider that does not serve it, every worker down.
    let (ok, _, err) = pold_out(&node, &["infer", "--model", "nope", "--input", &csv]);
    assert!(!ok && err.contains("nope"), "{err}");
    let (ok, _, err) = pold_out(
        &node,
        &[
            "infer",
            "--model",
            MODEL,
            "--input",
            &csv,
            "--provider",
            "pol1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a",
        ],
    );
    assert!(!ok && err.contains("is not an active provider"), "{err}");
    let (ok, _, err) = pold_out(&node, &["infer", "--model", MODEL, "--input", "1,2,3"]);
    assert!(!ok && err.contains("takes 64 inputs"), "{err}");
    worker.stop();
    let (ok, _, err) = pold_out(
        &node,
        &[
            "infer",
            "--model",
            MODEL,
            "--input",
            &csv,
            "--timeout-ms",
            "2000",
        ],
    );
    assert!(!ok, "{err}");
    assert!(err.contains("trying the next ranked provider"), "{err}");
    assert!(
        err.contains("no provider of model digits-64-32-10 answered with a verified receipt"),
        "{err}"
    );
}
