//! Pay before service, on real processes: a single-validator chain and a pol-worker that
//! requires payments. A requester opens a channel with `pold tx payments open-channel`, pays
//! for 1,000 inferences from its payment wallet (bad payments are refused with their codes
//! and served nothing), the worker is killed with -9 after 600 of them and restarted, and
//! when the requester asks to close, the worker settles all 1,000 in one transaction: the
//! provider (here also the model's owner) is paid exactly what was signed, the requester
//! gets the rest back at the end of the grace period.

use std::time::Duration;

use pol_client::payments::Payer;
use pol_client::RpcClient;
use pol_payments::pb;
use pol_tests::worker::WorkerProcess;
use pol_tests::*;
use pol_worker_api::worker_client::WorkerClient;
use pol_worker_api::InferRequest;
use serde_json::Value;
use tonic::Code;

const MODEL: &str = "digits-64-32-10";
const PRICE: u128 = 10;
const ROYALTY: u128 = 3; // the worker registers the model with `model_price = 3`
const DEPOSIT: u128 = 20_000;
const REQUESTS: u128 = 1_000;
/// The requests paid in all: the 1,000 and one `pold infer`.
const PAID: u128 = REQUESTS + 1;
const GAS_PRICE_MILLI: u128 = 25; // 0.025upol

async fn channel(rpc: &RpcClient, id: u64) -> Option<pb::Channel> {
    let r: pb::QueryChannelResponse = rpc
        .query(
            "/pol.payments.v1.Query/Channel",
            &pb::QueryChannelRequest { channel_id: id },
            0,
        )
        .await
        .ok()?;
    r.channel
}

async fn sequence(rpc: &RpcClient, addr: &str) -> u64 {
    use cosmos_sdk_proto::cosmos::auth::v1beta1::{
        BaseAccount, QueryAccountRequest, QueryAccountResponse,
    };
    use prost::Message;
    let r: QueryAccountResponse = rpc
        .query(
            "/cosmos.auth.v1beta1.Query/Account",
            &QueryAccountRequest {
                address: addr.into(),
            },
            0,
        )
        .await
        .unwrap();
    BaseAccount::decode(r.account.unwrap().value.as_slice())
        .unwrap()
        .sequence
}

async fn wait_for<T, Fut: std::future::Future<Output = Option<T>>>(
    what: &str,
    worker: &WorkerProcess,
    mut f: impl FnMut() -> Fut,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; worker log:\n{}",
            worker.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn request(nonce: u64, payment: Option<pb::Payment>) -> InferRequest {
    InferRequest {
        model_id: MODEL.into(),
        input: (0..64)
            .map(|i| ((i * 5 + nonce as usize) % 16) as u8)
            .collect(),
        nonce,
        payment,
    }
}

fn refused_reason(s: &tonic::Status) -> String {
    s.metadata()
        .get("pol-payment-refused")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn connect(port: u16, worker: &WorkerProcess) -> WorkerClient<tonic::transport::Channel> {
    wait_for("the worker to serve", worker, || async move {
        WorkerClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .ok()
    })
    .await
}

/// A one-validator chain whose probes pay from the operator account, and a worker that
/// requires payment, registered; `provider` and `requester` are funded keys of the node.
struct Market {
    node: Node,
    rpc: RpcClient,
    rpc_url: String,
    provider: String,
    requester: String,
    port: u16,
    config: std::path::PathBuf,
    log: std::path::PathBuf,
    worker: WorkerProcess,
    dir: tempfile::TempDir,
}

impl Market {
    async fn start() -> Market {
        let mut node = Node::init(&ChainOptions::default()).unwrap();
        let addr = |name: &str| -> String {
            let key: Value =
                serde_json::from_str(&pold(&node.home, &["keys", "add", name]).unwrap()).unwrap();
            pold(
                &node.home,
                &["genesis", "add-account", name, "1000000000upol"],
            )
            .unwrap();
            key["address"].as_str().unwrap().to_string()
        };
        let provider = addr("provider");
        let requester = addr("requester");
        node.edit_genesis(|g: &mut pol_payments::GenesisState| {
            let params = g.params_mut();
            params.min_duration_blocks = 20;
            params.close_grace_blocks = 15;
        })
        .unwrap();
        // No SLA epochs: the node's own probes do not pay, and are refused.
        node.edit_genesis(|g: &mut pol_latency::GenesisState| {
            g.params_mut().epoch_blocks = 1_000_000;
            g.params_mut().max_receipts_per_extension = 0;
        })
        .unwrap();
        // The validator's probes pay like traffic, from its operator account.
        let mut cfg = pol_app::config::AppConfig::load(&node.home).unwrap();
        cfg.probe.payer_key = VALIDATOR_OPERATOR.into();
        cfg.probe.channel_deposit = 500_000;
        cfg.probe.channel_blocks = 5_000;
        cfg.save(&node.home).unwrap();
        node.start_and_wait(2).await.unwrap();
        let rpc = node.rpc.clone();
        let rpc_url = node.rpc_url();

        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("worker.toml");
        std::fs::write(
            &config,
            format!(
                r#"
chain_id = "pol-test-1"
provider = "{provider}"
listen = "127.0.0.1:{port}"
metrics_listen = ""
key_file = "worker.key"
device = "cpu"

[prover]
threads = 1
setup_seed = 1
verify = false
key_dir = "keys"

[payments]
required = true
margin_blocks = 5
claim_interval_secs = 3600

[[models]]
id = "{MODEL}"
path = "{model}"

[chain]
grpc = "http://127.0.0.1:{grpc}"
home = "{home}"
key = "provider"
poll_ms = 200

[chain.register]
endpoint = "http://127.0.0.1:{port}"
bond = "20000000upol"
price_per_inference = {PRICE}
max_p99_latency_us = 50000
max_failure_rate_ppm = 10000
models = true
model_price = {ROYALTY}
"#,
                model = worker::default_model_path().display(),
                grpc = node.ports.grpc,
                home = node.home.display(),
            ),
        )
        .unwrap();
        let log = dir.path().join("worker.log");
        let worker = WorkerProcess::start_config(&config, log.clone()).unwrap();
        wait_for("the provider's registration", &worker, || {
            let (rpc, p) = (rpc.clone(), provider.clone());
            async move { chain_query::provider(&rpc, &p).await }
        })
        .await;
        Market {
            node,
            rpc,
            rpc_url,
            provider,
            requester,
            port,
            config,
            log,
            worker,
            dir,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_paid_inferences_settle_in_one_claim_across_a_worker_crash() {
    let _machine = crate::WHOLE_MACHINE.read().await;
    let Market {
        node,
        rpc,
        rpc_url,
        provider,
        requester,
        port,
        config,
        log,
        mut worker,
        dir: _dir,
    } = Market::start().await;
    let mut client = connect(port, &worker).await;

    // Unpaid: refused, nothing served.
    let e = client.infer(request(1, None)).await.unwrap_err();
    assert_eq!(
        (e.code(), refused_reason(&e).as_str()),
        (Code::PermissionDenied, "missing"),
        "{e:?}"
    );

    // The requester opens a channel; the wallet keeps its signer key.
    let out: Value = serde_json::from_str(
        &pold(
            &node.home,
            &[
                "tx",
                "payments",
                "open-channel",
                "requester",
                &provider,
                MODEL,
                &format!("{DEPOSIT}upol"),
                "--blocks",
                "2000",
                "--node",
                &rpc_url,
            ],
        )
        .unwrap(),
    )
    .unwrap();
    let id: u64 = out["channel_id"].as_str().unwrap().parse().unwrap();
    let requester_after_open =
        balance(&rpc, &pol_component::Address::parse(&requester).unwrap(), 0)
            .await
            .unwrap();
    // `pold infer` pays from the same wallet, through the Rust requester client, and the
    // receipt it verified commits to that payment.
    let csv = (0..64)
        .map(|i| (i % 16).to_string())
        .collect::<Vec<_>>()
        .join(",");
    let out: Value = serde_json::from_str(
        &pold(
            &node.home,
            &[
                "infer",
                "--model",
                MODEL,
                "--input",
                &csv,
                "--provider",
                &provider,
                "--output",
                "json",
                "--node",
                &rpc_url,
            ],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(out["receipt"]["channel_id"], id.to_string());
    assert_eq!(
        out["receipt"]["payment_amount"],
        (PRICE + ROYALTY).to_string()
    );
    let mut payer = Payer::open(&node.home, "pol-test-1").unwrap();

    // Bad payments, each refused with its code; none is charged.
    let first = payer.pay(id, PRICE, ROYALTY).unwrap();
    let mut forged = first.to_proto();
    forged.amount = "14".into();
    let e = client.infer(request(2, Some(forged))).await.unwrap_err();
    assert_eq!(
        (e.code(), refused_reason(&e).as_str()),
        (Code::Unauthenticated, "forged")
    );
    let mut short = pol_payments::SignedPayment::sign(
        "pol-test-1",
        id,
        12,
        3,
        &payer.channel(id).unwrap().signer().unwrap(),
    )
    .unwrap()
    .to_proto();
    let e = client
        .infer(request(3, Some(short.clone())))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), refused_reason(&e).as_str()),
        (Code::PermissionDenied, "underpaid")
    );
    // An id nobody opened (id + 1 may be the validator prober's own channel by now).
    short.channel_id = id + 1_000_000;
    let e = client.infer(request(4, Some(short))).await.unwrap_err();
    assert_eq!(refused_reason(&e), "unknown_channel");
    let over = pol_payments::SignedPayment::sign(
        "pol-test-1",
        id,
        DEPOSIT + 13,
        3,
        &payer.channel(id).unwrap().signer().unwrap(),
    )
    .unwrap();
    let e = client
        .infer(request(5, Some(over.to_proto())))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), refused_reason(&e).as_str()),
        (Code::PermissionDenied, "overspent")
    );

    // 600 paid requests, the first with the payment signed above.
    let mut last = first;
    client
        .infer(request(10, Some(first.to_proto())))
        .await
        .unwrap();
    for n in 1..600u64 {
        last = payer.pay(id, PRICE, ROYALTY).unwrap();
        client
            .infer(request(10 + n, Some(last.to_proto())))
            .await
            .unwrap();
    }
    // The same payment twice is a replay.
    let e = client
        .infer(request(9_999, Some(last.to_proto())))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), refused_reason(&e).as_str()),
        (Code::AlreadyExists, "replayed")
    );

    // kill -9, restart: what was served is in the journal; payments at or below it are
    // refused, the requester's next ones are taken.
    worker.stop();
    let worker = WorkerProcess::start_config(&config, log).unwrap();
    let mut client = connect(port, &worker).await;
    let e = wait_for("the restarted worker to read the chain", &worker, || {
        let mut c = client.clone();
        async move {
            match c.infer(request(9_998, Some(last.to_proto()))).await {
                Err(e) if refused_reason(&e) == "stale" => Some(e),
                _ => None,
            }
        }
    })
    .await;
    assert_eq!(e.code(), Code::FailedPrecondition);
    let mut receipt = None;
    for n in 600..REQUESTS as u64 {
        last = payer.pay(id, PRICE, ROYALTY).unwrap();
        receipt = client
            .infer(request(10 + n, Some(last.to_proto())))
            .await
            .unwrap()
            .into_inner()
            .receipt;
    }
    // The receipt commits to what the request paid.
    let receipt = pol_inference::receipt::SignedReceipt::from_proto(&receipt.unwrap()).unwrap();
    receipt.verify().unwrap();
    let paid = receipt.body.payment;
    assert_eq!(
        (paid.channel_id, paid.amount, paid.price, paid.royalty),
        (id, last.amount, PRICE, ROYALTY)
    );
    assert_eq!(last.amount, PAID * (PRICE + ROYALTY));
    assert_eq!(
        channel(&rpc, id).await.unwrap().claimed,
        "0",
        "nothing claimed yet"
    );

    // The provider turns on a free tier of 2 requests a minute per channel, declared in
    // Health: `pold infer --free` is served twice with receipts naming no payment and no
    // price, the third in the minute is refused, and nothing free reaches the claim below.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "claim_interval_secs = 3600\n",
            "claim_interval_secs = 3600\nfree_per_minute = 2\n",
        ),
    )
    .unwrap();
    drop(client);
    let mut worker = worker;
    worker.stop();
    let worker = WorkerProcess::start_config(&config, config.with_file_name("free.log")).unwrap();
    let mut client = connect(port, &worker).await;
    let health = client
        .health(pol_worker_api::HealthRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.free_requests_per_minute, 2);
    let free_infer = || {
        pold(
            &node.home,
            &[
                "infer",
                "--free",
                "--model",
                MODEL,
                "--input",
                &csv,
                "--provider",
                &provider,
                "--output",
                "json",
                "--no-hedge",
                "--retries",
                "0",
                "--node",
                &rpc_url,
            ],
        )
    };
    let first_free = wait_for("a free answer from the restarted worker", &worker, || {
        let out = free_infer().ok();
        async move { out }
    })
    .await;
    for out in [first_free, free_infer().unwrap()] {
        let out: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out["receipt"]["channel_id"], "0", "{out}");
        assert_eq!(out["receipt"]["payment_amount"], "", "{out}");
        assert_eq!(out["receipt"]["price"], "", "{out}");
    }
    let refused = free_infer().unwrap_err().to_string();
    assert!(refused.contains("older than"), "{refused}");

    // The requester asks to close: the worker claims everything in one transaction.
    let provider_before = balance(&rpc, &pol_component::Address::parse(&provider).unwrap(), 0)
        .await
        .unwrap();
    let claimed = close_and_await_one_claim(&node, &worker, &provider, "requester", id).await;
    assert_eq!(claimed.claimed, (PAID * (PRICE + ROYALTY)).to_string());
    assert_eq!(claimed.claimed_royalty, (PAID * ROYALTY).to_string());
    // Its gas, for the record: the block that carries the claim's event.
    let now = rpc.latest_height().await.unwrap();
    let mut claim_gas_used = None;
    for h in (now.saturating_sub(20)..=now).rev() {
        let r = rpc
            .call(
                "block_results",
                serde_json::json!({"height": h.to_string()}),
            )
            .await
            .unwrap();
        for tx in r["txs_results"].as_array().into_iter().flatten() {
            let claims = tx["events"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["type"] == "pol.payments.v1.EventPaymentClaimed");
            if claims {
                claim_gas_used = tx["gas_used"].as_str().and_then(|g| g.parse::<u64>().ok());
            }
        }
        if claim_gas_used.is_some() {
            break;
        }
    }
    let gas = claim_gas_used.expect("the claim's block");
    eprintln!("one claim settled {PAID} inferences with {gas} gas");
    assert!(gas <= pol_payments::msg::claim_gas(1), "{gas} gas");
    let claim_fee = (u128::from(pol_payments::msg::claim_gas(1)) * GAS_PRICE_MILLI).div_ceil(1000);
    let provider_now = balance(&rpc, &pol_component::Address::parse(&provider).unwrap(), 0)
        .await
        .unwrap();
    assert_eq!(
        provider_now,
        provider_before + PAID * (PRICE + ROYALTY) - claim_fee
    );

    // At the end of the grace period the rest returns to the requester, and the channel is gone.
    wait_for("the channel to settle", &worker, || {
        let rpc = rpc.clone();
        async move { channel(&rpc, id).await.is_none().then_some(()) }
    })
    .await;
    let close_fee = (200_000 * GAS_PRICE_MILLI).div_ceil(1000);
    let requester_now = balance(&rpc, &pol_component::Address::parse(&requester).unwrap(), 0)
        .await
        .unwrap();
    assert_eq!(
        requester_now,
        requester_after_open + DEPOSIT - PAID * (PRICE + ROYALTY) - close_fee,
        "the requester paid exactly what it signed"
    );
    // Meanwhile the validator's probes paid like traffic: its prober opened a channel of
    // its own to the provider, the consensus aggregate has answered probes, and when the
    // operator closes that channel the worker claims what the probes paid.
    let probe_channel = wait_for("the prober's channel", &worker, || {
        let (rpc, p, r) = (rpc.clone(), provider.clone(), requester.clone());
        async move {
            let page: pb::QueryChannelsResponse = pol_tests::chain_query::query(
                &rpc,
                "/pol.payments.v1.Query/ChannelsByProvider",
                &pb::QueryChannelsByProviderRequest {
                    provider: p,
                    pagination: None,
                },
            )
            .await?;
            page.channels.into_iter().find(|c| c.requester != r)
        }
    })
    .await;
    let agg = wait_for("a consensus aggregate from paid probes", &worker, || {
        let (rpc, p) = (rpc.clone(), provider.clone());
        async move {
            chain_query::aggregate(&rpc, &p)
                .await
                .filter(|a| a.reporters > 0 && a.p50_us > 0)
        }
    })
    .await;
    assert!(
        agg.failure_rate_ppm < 500_000,
        "paid probes are served: {agg:?}"
    );
    let claimed = close_and_await_one_claim(
        &node,
        &worker,
        &provider,
        VALIDATOR_OPERATOR,
        probe_channel.id,
    )
    .await;
    let probes_paid: u128 = claimed.claimed.parse().unwrap();
    assert!(
        probes_paid > 0 && probes_paid.is_multiple_of(PRICE + ROYALTY),
        "{claimed:?}"
    );
    drop(worker);
}

/// The Python requester client (`client/python`, installed into `.venv` by `scripts/setup
/// --python`) opens a channel with cosmpy and pays for 1,000 requests, hedging among the
/// chain's providers; the worker then dies before claiming, and its operator settles all
/// of them in one transaction from the journal it left (`pold tx payments claim`).
#[tokio::test(flavor = "multi_thread")]
async fn the_python_client_pays_a_thousand_requests_settled_in_one_claim() {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `scripts/setup --python`",
        python.display()
    );
    let Market {
        node,
        rpc,
        rpc_url,
        provider,
        requester,
        worker,
        dir: _dir,
        ..
    } = Market::start().await;
    let exported: Value = serde_json::from_str(
        &pold(
            &node.home,
            &["keys", "export", "requester", "--unsafe-export"],
        )
        .unwrap(),
    )
    .unwrap();
    let secret = exported["secret_hex"].as_str().unwrap().to_string();
    let wallet = tempfile::tempdir().unwrap();
    let grpc = format!("127.0.0.1:{}", node.ports.grpc);
    let run = |args: Vec<String>| {
        let python = python.clone();
        async move {
            let shown = args.join(" ");
            let out = tokio::task::spawn_blocking(move || {
                std::process::Command::new(python)
                    .args(["-m", "pol_requester"])
                    .args(&args)
                    .env("PYTHONWARNINGS", "ignore")
                    .output()
                    .unwrap()
            })
            .await
            .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).to_string();
            assert!(
                out.status.success(),
                "pol_requester {shown}: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_str::<Value>(stdout.trim()).unwrap()
        }
    };
    let common = |cmd: &str| -> Vec<String> {
        vec![
            cmd.into(),
            "--grpc".into(),
            grpc.clone(),
            "--chain-id".into(),
            "pol-test-1".into(),
            "--home".into(),
            wallet.path().display().to_string(),
            "--model".into(),
            MODEL.into(),
        ]
    };
    let mut open = common("open-channel");
    open.extend([
        "--private-key".into(),
        secret.clone(),
        "--provider".into(),
        provider.clone(),
        "--deposit".into(),
        DEPOSIT.to_string(),
        "--blocks".into(),
        "2000".into(),
    ]);
    let opened = run(open).await;
    let id: u64 = opened["channel_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(channel(&rpc, id).await.unwrap().requester, requester);

    let mut infer = common("infer");
    let csv = (0..64)
        .map(|i| (i % 16).to_string())
        .collect::<Vec<_>>()
        .join(",");
    infer.extend([
        "--input".into(),
        csv,
        "--count".into(),
        REQUESTS.to_string(),
        "--report-served".into(),
        "--private-key".into(),
        secret,
    ]);
    let out = run(infer).await;
    assert_eq!(out["answered"], REQUESTS as u64, "{out}");
    assert_eq!(out["failed"], 0, "{out}");
    assert_eq!(out["receipt_channel_id"], id.to_string());
    assert_eq!(
        out["receipt_payment_amount"],
        (REQUESTS * (PRICE + ROYALTY)).to_string()
    );
    eprintln!("python client: {out}");
    // It told the chain what the paid requests saw, weighted by all it paid.
    assert_eq!(out["served_reports"], 1, "{out}");
    let served = pol_tests::chain_query::served(&rpc, &provider)
        .await
        .expect("the provider's served figures");
    assert_eq!(served.current.len(), 1, "{served:?}");
    let report = &served.current[0];
    assert_eq!(report.requester, requester);
    assert_eq!(report.weight, (REQUESTS * (PRICE + ROYALTY)).to_string());
    assert_eq!(report.requests, REQUESTS as u64);
    assert!(
        report.p50_us > 0 && report.p50_us <= report.p99_us,
        "{report:?}"
    );

    // The worker goes down for good (kill -9) before claiming; its operator settles what
    // it is owed from the journal it left, every payment it served in one transaction.
    let mut worker = worker;
    worker.stop();
    let journal = _dir.path().join("payments.journal");
    let claim = || {
        pold(
            &node.home,
            &[
                "tx",
                "payments",
                "claim",
                "provider",
                "--journal",
                journal.to_str().unwrap(),
                "--node",
                &rpc_url,
            ],
        )
        .unwrap()
    };
    // Every channel the journal holds: the requester's, and the validator prober's when
    // its probes were paid before the worker went down.
    let out: Value = serde_json::from_str(&claim()).unwrap();
    let claims = out["claims"].as_u64().unwrap();
    assert!((1..=2).contains(&claims), "{out}");
    assert_eq!(out["skipped"], serde_json::json!([]), "{out}");
    assert_eq!(
        channel(&rpc, id).await.unwrap().claimed,
        (REQUESTS * (PRICE + ROYALTY)).to_string()
    );
    // Nothing is left: a second run sends no transaction and says why.
    let seq = sequence(&rpc, &provider).await;
    let again: Value = serde_json::from_str(&claim()).unwrap();
    assert_eq!(again["claims"], 0, "{again}");
    let skipped = again["skipped"].as_array().unwrap();
    assert_eq!(skipped.len() as u64, claims, "{again}");
    assert!(skipped
        .iter()
        .all(|s| s["why"].as_str().unwrap().starts_with("already claimed")));
    assert_eq!(sequence(&rpc, &provider).await, seq);
}

/// `key` asks to close channel `id`; the worker claims it in exactly one transaction of
/// the provider's account; returns the channel as claimed.
async fn close_and_await_one_claim(
    node: &Node,
    worker: &WorkerProcess,
    provider: &str,
    key: &str,
    id: u64,
) -> pb::Channel {
    let rpc = node.rpc.clone();
    let seq_before = sequence(&rpc, provider).await;
    pold(
        &node.home,
        &[
            "tx",
            "payments",
            "close-channel",
            key,
            &id.to_string(),
            "--node",
            &node.rpc_url(),
        ],
    )
    .unwrap();
    let claimed = wait_for("the worker's claim", worker, || {
        let rpc = rpc.clone();
        async move { channel(&rpc, id).await.filter(|c| c.claimed != "0") }
    })
    .await;
    assert_eq!(
        sequence(&rpc, provider).await,
        seq_before + 1,
        "one settlement transaction"
    );
    claimed
}
