//! pold's latency probes against a real pol-worker process, without a chain: the worker
//! answers fast, then (fault injection, `[fault] after_secs`) turns 100 ms slower; the probe
//! book's windows follow, every receipt it keeps verifies, and a provider registered with
//! another receipt key fails every probe although the worker answers it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pol_app::probe::{self, BookConfig, ProbeBook, ProbeModel, ProbeTiming, StaticTargets, Target};
use pol_inference::receipt::{format_address, SignedReceipt};
use pol_tests::worker::WorkerProcess;
use pol_tests::*;
use pol_worker_api::worker_client::WorkerClient;
use pol_worker_api::HealthRequest;

const MODEL: &str = "digits-64-32-10";
const CHAIN: &str = "pol-test-1";
const PROVIDER: [u8; 20] = [0x11; 20];
/// Another provider address, registered (in the static list) with a key the worker lacks.
const IMPOSTOR: [u8; 20] = [0x22; 20];
const EXTRA_MS: u64 = 100;
/// Room for the worker to start (its prover setup competes for the CPU) and then for the
/// fast phase.
const SLOW_AFTER_SECS: u64 = 20;

/// Polls `f` every 100 ms until it returns `Some`.
async fn eventually<T>(
    what: &str,
    timeout: Duration,
    worker: &WorkerProcess,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; worker log:\n{}",
            worker.log_tail(60)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn probes_see_a_worker_turn_slow_and_reject_foreign_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("worker.toml");
    std::fs::write(
        &config,
        format!(
            r#"
chain_id = "{CHAIN}"
provider = "{provider}"
listen = "127.0.0.1:{port}"
metrics_listen = ""
key_file = "worker.key"
device = "cpu"

[prover]
threads = 1
nice = 19
key_dir = "keys"

[fault]
extra_latency_ms = {EXTRA_MS}
after_secs = {SLOW_AFTER_SECS}

[[models]]
id = "{MODEL}"
path = "{model}"
"#,
            provider = format_address(&PROVIDER),
            model = repo_root()
                .join("inference/models/digits-64-32-10.polm")
                .display(),
        ),
    )
    .unwrap();
    let worker = WorkerProcess::start_config(&config, dir.path().join("worker.log")).unwrap();
    let url = format!("http://127.0.0.1:{port}");

    // Up, and its receipt key (what the chain would have registered).
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        if let Ok(mut c) = WorkerClient::connect(url.clone()).await {
            if let Ok(h) = c.health(HealthRequest {}).await {
                break h.into_inner();
            }
        }
        assert!(
            Instant::now() < deadline,
            "worker did not start:\n{}",
            worker.log_tail(60)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        health.uptime_ms < SLOW_AFTER_SECS * 1000 - 5000,
        "the worker took too long to start ({} ms up) for the fast phase",
        health.uptime_ms
    );
    let key: [u8; 32] = health.worker_pubkey.as_slice().try_into().unwrap();
    let models = vec![ProbeModel {
        id: MODEL.into(),
        input_len: 64,
        output_len: 10,
    }];
    let targets = vec![
        Target {
            provider: PROVIDER,
            endpoint: url.clone(),
            receipt_pubkey: key,
            models: models.clone(),
            public_only: false,
        },
        Target {
            provider: IMPOSTOR,
            endpoint: url.clone(),
            receipt_pubkey: [7; 32],
            models,
            public_only: false,
        },
    ];

    let book = Arc::new(ProbeBook::new(BookConfig {
        window_samples: 1000,
        window_age: Some(Duration::from_secs(2)),
        max_receipts: 16,
        fault: Default::default(),
        validator: None,
    }));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let task = probe::spawn(
        ProbeTiming {
            interval: Duration::from_millis(50),
            timeout: Duration::from_secs(2),
            refresh: Duration::from_millis(500),
            max_concurrency: 8,
            chain_interval: false,
            chain_timeout: false,
        },
        CHAIN.into(),
        // Probes are perturbed real digits, as a requester's would be.
        Arc::new(
            probe::Corpus::load(
                &std::collections::BTreeMap::from([(
                    MODEL.to_string(),
                    repo_root().join("inference/models/digits-test-vectors.bin"),
                )]),
                &repo_root(),
            )
            .expect("the digits corpus"),
        ),
        Arc::new(StaticTargets(targets)),
        Arc::new(probe::NoPayment),
        book.clone(),
        stop_rx,
    );
    let window = |p: [u8; 20]| {
        book.windows_at(Instant::now())
            .into_iter()
            .find(|w| w.provider == p)
    };

    // Fast phase: answered, verified, well under the injected delay.
    let fast = eventually("fast probes", Duration::from_secs(5), &worker, || {
        window(PROVIDER).filter(|w| w.samples >= 10)
    })
    .await;
    assert_eq!(fast.failures, 0, "{fast:?}\n{}", worker.log_tail(60));
    assert!(fast.p50_us > 0 && fast.p50_us < 50_000, "{fast:?}");
    assert!(fast.p50_us <= fast.p99_us && fast.p99_us <= fast.max_us);

    // The registered key is not the worker's: every answer is a failure.
    let impostor = window(IMPOSTOR).expect("probed");
    assert!(impostor.samples >= 5, "{impostor:?}");
    assert_eq!(impostor.failures, impostor.samples, "{impostor:?}");
    assert_eq!((impostor.p50_us, impostor.p99_us), (0, 0));

    // Receipts: only the honest provider's, each verifying, each handed out once.
    let receipts = book.take_receipts(100);
    assert!(!receipts.is_empty());
    for r in &receipts {
        let s = SignedReceipt::from_proto(r).unwrap();
        s.verify().unwrap();
        assert_eq!(s.worker_pubkey, key);
        assert_eq!(s.body.provider, PROVIDER);
        assert_eq!(s.body.chain_id, CHAIN);
        assert_eq!(s.body.model_id, MODEL);
    }
    let nonces: std::collections::BTreeSet<u64> = receipts.iter().map(|r| r.nonce).collect();
    assert_eq!(nonces.len(), receipts.len(), "random nonces, no repeats");
    assert!(book.take_receipts(100).len() <= 16);

    // The worker turns slow: within the 2 s window every success shows the delay.
    let slow = eventually(
        "the injected latency in the window",
        Duration::from_secs(SLOW_AFTER_SECS + 20),
        &worker,
        || {
            window(PROVIDER).filter(|w| {
                w.samples >= 5 && w.p50_us >= (EXTRA_MS * 1000) as u32 && w.max_us < 1_000_000
            })
        },
    )
    .await;
    assert_eq!(slow.failures, 0, "{slow:?}");
    // Once the window holds only slow-phase results, even the p50 is past the delay.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let settled = window(PROVIDER).unwrap();
    assert!(settled.samples >= 5, "{settled:?}");
    assert_eq!(settled.failures, 0, "{settled:?}");
    assert!(settled.p50_us >= (EXTRA_MS * 1000) as u32, "{settled:?}");
    assert!(
        !book.take_receipts(4).is_empty(),
        "slow answers still verify"
    );

    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the probe task stops on shutdown")
        .unwrap();
}

/// A Prometheus sample `name{provider="addr"}` from pold's `/metrics`, if there.
async fn scrape(port: u16, name: &str, provider: &str) -> Option<f64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).await.ok()?;
    let prefix = format!("{name}{{provider=\"{provider}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

/// `pold start` probes the providers registered on chain: a worker registers itself, and
/// the node's probe windows (exported as gauges) fill with successful probes. The node runs
/// the lying-validator fault (`test_fault_latency_scale_ppm` ×1000), so what it reports is
/// a thousand times what it measured.
#[tokio::test(flavor = "multi_thread")]
async fn pold_probes_the_providers_registered_on_chain() {
    let mut node = Node::init(&ChainOptions::default()).unwrap();
    let key: serde_json::Value =
        serde_json::from_str(&pold(&node.home, &["keys", "add", "provider"]).unwrap()).unwrap();
    let provider_addr = key["address"].as_str().unwrap().to_string();
    pold(
        &node.home,
        &["genesis", "add-account", "provider", "1000000000upol"],
    )
    .unwrap();
    node.edit_genesis(|g: &mut pol_inference::GenesisState| {
        g.params_mut().min_provider_bond = "10000000".into()
    })
    .unwrap();
    let mut cfg = pol_app::config::AppConfig::load(&node.home).unwrap();
    cfg.probe.interval_ms = 100;
    cfg.probe.refresh_ms = 500;
    cfg.probe.test_fault_latency_scale_ppm = 1_000_000_000;
    cfg.save(&node.home).unwrap();
    node.start_and_wait(2).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("worker.toml");
    std::fs::write(
        &config,
        format!(
            r#"
chain_id = "pol-test-1"
provider = "{provider_addr}"
listen = "127.0.0.1:{port}"
metrics_listen = ""
key_file = "worker.key"
device = "cpu"

[prover]
threads = 1
nice = 19
key_dir = "keys"

[[models]]
id = "{MODEL}"
path = "{model}"

[chain]
grpc = "http://127.0.0.1:{grpc}"
home = "{home}"
key = "provider"
poll_ms = 300

[chain.register]
endpoint = "http://127.0.0.1:{port}"
bond = "20000000upol"
max_p99_latency_us = 50000
max_failure_rate_ppm = 10000
models = true
"#,
            model = repo_root()
                .join("inference/models/digits-64-32-10.polm")
                .display(),
            grpc = node.ports.grpc,
            home = node.home.display(),
        ),
    )
    .unwrap();
    let worker = WorkerProcess::start_config(&config, dir.path().join("worker.log")).unwrap();

    // Registered, listed from the committed state, probed: samples and no failures.
    let metrics = node.ports.metrics;
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let samples = scrape(metrics, "pol_probe_window_samples", &provider_addr).await;
        if samples.is_some_and(|s| s >= 10.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pold never probed the worker ({samples:?} samples); pold log:\n{}\nworker log:\n{}",
            node.log_tail(),
            worker.log_tail(60)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let failures = scrape(metrics, "pol_probe_window_failures", &provider_addr).await;
    assert_eq!(failures, Some(0.0), "pold log:\n{}", node.log_tail());
    // Measured about a millisecond on loopback; reported ×1000 by the lying validator.
    let p50 = scrape(metrics, "pol_probe_window_p50_seconds", &provider_addr)
        .await
        .unwrap();
    assert!(p50 >= 0.05, "reported p50 {p50} s is not scaled ×1000");
    node.stop().unwrap();
}
