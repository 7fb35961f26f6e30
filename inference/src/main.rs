//! `pol-worker`: the provider sidecar (serve, keys, loadgen).

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use pol_proofs::model::Model;
use pol_worker::{
    batcher::BatchConfig,
    config::Config,
    engine::{make_engine, DeviceChoice},
    keys,
    loadgen::{self, RunStats},
    pool::PoolConfig,
    receipt,
    server::{self, ModelSpec, WorkerOptions, WorkerState},
};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "pol-worker",
    version,
    about = "pol provider sidecar: int8 inference over gRPC with signed receipts and Groth16 proofs"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the pol.worker.v1 API (keys are generated on first run).
    Serve {
        #[arg(long, env = "POL_WORKER_CONFIG")]
        config: PathBuf,
    },
    /// Create the receipt key if missing and print its public key.
    Keys {
        /// Key file (default: the config's key_file, else ./worker.key).
        #[arg(long)]
        key_file: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Load generator against Infer: open loop at fixed rates, then closed loop.
    Loadgen {
        #[arg(long, default_value = "http://127.0.0.1:50051")]
        target: String,
        #[arg(long, default_value = "digits-64-32-10")]
        model: String,
        /// Offered rates in requests per second (open loop).
        #[arg(long, value_delimiter = ',', default_value = "100,1000,5000")]
        rates: Vec<f64>,
        /// Seconds per run.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Closed-loop concurrency (0 skips the closed-loop run).
        #[arg(long, default_value_t = 64)]
        closed: usize,
        /// HTTP/2 connections.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Keep this many Prove calls in flight during the runs (0: none).
        #[arg(long, default_value_t = 0)]
        prove_background: usize,
        /// Input file: the digits test vectors (inference/models/digits-test-vectors.bin);
        /// without it, random inputs of the model's width.
        #[arg(long)]
        inputs: Option<PathBuf>,
        /// Seconds of warm-up before the runs.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Run the load generator only on these CPUs (e.g. "0"): on the same machine, keep
        /// it off the worker's prover cores, as a remote client would be.
        #[arg(long)]
        cpus: Option<String>,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Keys { key_file, config } => {
            let path = match (key_file, config) {
                (Some(p), _) => p,
                (None, Some(c)) => Config::load(&c)?.key_file,
                (None, None) => PathBuf::from("worker.key"),
            };
            let (key, created) = keys::load_or_create(&path)?;
            println!(
                "{} {}\npubkey {}",
                if created { "created" } else { "existing" },
                path.display(),
                hex::encode(key.verifying_key().to_bytes())
            );
            Ok(())
        }
        Cmd::Serve { config } => {
            let cfg = Config::load(&config)?;
            // Before any thread starts: every serving thread inherits the main thread's CPUs.
            let placement = place_threads(&cfg)?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .thread_name("grpc")
                .build()?;
            rt.block_on(serve(cfg, placement))
        }
        Cmd::Loadgen {
            target,
            model,
            rates,
            duration,
            closed,
            connections,
            prove_background,
            inputs,
            warmup,
            cpus,
        } => {
            if let Some(list) = cpus {
                let list = pol_worker::cpus::parse_list(&list).map_err(anyhow::Error::msg)?;
                pol_worker::cpus::pin_current_thread(&list).context("--cpus")?;
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(run_loadgen(
                target,
                model,
                rates,
                duration,
                closed,
                connections,
                prove_background,
                inputs,
                warmup,
            ))
        }
    }
}

fn install_metrics(addr: std::net::SocketAddr) -> Result<()> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let latency = [
        50e-6, 100e-6, 200e-6, 300e-6, 500e-6, 750e-6, 1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3, 10e-3,
        25e-3, 50e-3, 100e-3, 250e-3, 1.0,
    ];
    let prove = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(Matcher::Prefix("pol_worker_prove".into()), &prove)?
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &latency)?
        .set_buckets_for_metric(
            Matcher::Full("pol_worker_batch_size".into()),
            &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0],
        )?
        .install()
        .context("starting the Prometheus exporter")?;
    Ok(())
}

/// Splits the CPUs between serving and proving (`[prover] cpus`) and pins this (the main)
/// thread to the serving ones; returns the prover's.
fn place_threads(cfg: &Config) -> Result<pol_worker::cpus::Placement> {
    use pol_worker::cpus;
    let policy = cfg.prover_cpus()?;
    let allowed = match cpus::current_thread_cpus() {
        Ok(a) => a,
        Err(e) if policy == cpus::CpuPolicy::Auto => {
            tracing::info!("CPU placement off: {e}");
            return Ok(cpus::Placement::default());
        }
        Err(e) => anyhow::bail!("prover.cpus: {e}"),
    };
    let placement = cpus::plan(&policy, &allowed, cfg.prover.threads)
        .map_err(|e| anyhow::anyhow!("prover.cpus: {e}"))?;
    if let Some(serve) = &placement.serve {
        cpus::pin_current_thread(serve).context("pinning the serving threads")?;
    }
    match (&placement.serve, &placement.prover) {
        (_, None) => tracing::info!(
            ?allowed,
            "CPU placement off: prover and serving share the CPUs"
        ),
        (serve, Some(prover)) => tracing::info!(
            ?serve,
            ?prover,
            "CPU placement: serving and prover threads on separate CPUs"
        ),
    }
    Ok(placement)
}

async fn serve(cfg: Config, placement: pol_worker::cpus::Placement) -> Result<()> {
    let provider = receipt::parse_address(&cfg.provider)?;
    let (key, created) = keys::load_or_create(&cfg.key_file)?;
    let pubkey = hex::encode(key.verifying_key().to_bytes());
    if created {
        tracing::info!(path = %cfg.key_file.display(), %pubkey, "generated a new receipt key");
    } else {
        tracing::info!(path = %cfg.key_file.display(), %pubkey, "loaded the receipt key");
    }
    if let Some(addr) = cfg.metrics_addr()? {
        install_metrics(addr)?;
        tracing::info!(%addr, "Prometheus metrics at /metrics");
    }
    let device: DeviceChoice = cfg.device.parse()?;
    #[cfg(feature = "torch")]
    pol_worker::runtime::set_torch_threads(cfg.torch_threads);
    let mut specs = Vec::new();
    for m in &cfg.models {
        let bytes =
            std::fs::read(&m.path).with_context(|| format!("reading {}", m.path.display()))?;
        let model = Arc::new(
            Model::from_bytes(&bytes).with_context(|| format!("loading {}", m.path.display()))?,
        );
        let engine = make_engine(model.clone(), &device)
            .with_context(|| format!("starting the runtime for {}", m.id))?;
        tracing::info!(model = %m.id, arch = %model.architecture(), device = %engine.device(), "model loaded");
        specs.push(ModelSpec {
            id: m.id.clone(),
            model,
            engine,
            file_sha256: hex::encode(Sha256::digest(&bytes)),
        });
    }
    let backend = pol_worker::proving::default_backend(&cfg.prover).map_err(anyhow::Error::msg)?;
    if backend.is_none() {
        tracing::warn!("no prover in this build: Prove answers UNIMPLEMENTED");
    }
    let mut state = WorkerState::new(
        WorkerOptions {
            chain_id: cfg.chain_id.clone(),
            provider,
            key,
            batching: BatchConfig {
                max_batch: cfg.batching.max_batch,
                window: Duration::from_micros(cfg.batching.window_us),
                queue_capacity: cfg.batching.queue_capacity,
            },
            pool: PoolConfig {
                threads: cfg.prover.threads,
                max_pending: cfg.prover.max_pending,
                reserved_for_obligations: cfg.prover.reserved_for_obligations,
                public_per_peer_per_minute: cfg.prover.prove_per_peer_per_minute,
                nice: cfg.prover.nice,
                sched_idle: cfg.prover.sched_idle,
                cpus: placement.prover.clone(),
            },
            record_window: Duration::from_secs(cfg.prover.window_secs),
            max_records: cfg.prover.max_records,
        },
        specs,
        backend,
    )?;
    // Test-only fault injection; off unless [fault] is set.
    state.set_fault(cfg.fault.clone());
    // Payments are checked against the chain: only with [chain].
    if let Some(chain) = &cfg.chain {
        let grpc = pol_client::GrpcClient::connect_lazy(&chain.grpc)?;
        let source = Arc::new(pol_worker::payments::view::GrpcSource::new(grpc, provider));
        let view = pol_worker::payments::ChainView::new(
            Some(source),
            cfg.models.iter().map(|m| m.id.clone()).collect(),
        );
        let gate = pol_worker::payments::PaymentGate::new(
            &cfg.chain_id,
            provider,
            cfg.payments.clone(),
            view,
            &cfg.payments.journal,
        )
        .with_context(|| {
            format!(
                "opening the payment journal {}",
                cfg.payments.journal.display()
            )
        })?;
        tracing::info!(required = cfg.payments.required, journal = %cfg.payments.journal.display(), "payments checked before every inference");
        state.payments = Some(Arc::new(gate));
    }
    let state = Arc::new(state);
    pol_worker::proving::warm_up(&state);
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("binding {}", cfg.listen))?;
    tracing::info!(addr = %cfg.listen, chain_id = %cfg.chain_id, provider = %cfg.provider, "pol-worker serving pol.worker.v1");
    // Settling obligations on chain runs beside the server and stops with it.
    let chain_task = cfg.chain.clone().map(|chain| {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = pol_worker::chain::run(state, chain, std::future::pending()).await {
                tracing::error!("chain client stopped: {e:#}");
            }
        })
    });
    let served = server::serve(
        listener,
        state.clone(),
        cfg.max_message_bytes,
        shutdown_signal(),
    )
    .await;
    if let Some(task) = chain_task {
        task.abort();
        let _ = task.await;
    }
    served?;
    tracing::info!("gRPC server stopped; draining the engines");
    match Arc::try_unwrap(state) {
        Ok(mut s) => s.shutdown(),
        Err(_) => tracing::warn!("requests still hold the state; engines stop on exit"),
    }
    tracing::info!("bye");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received");
}

fn read_inputs(path: &PathBuf) -> Result<Vec<Vec<u8>>> {
    let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if b.len() < 16 || &b[..8] != b"POLDIGV1" {
        bail!("{}: not a POLDIGV1 test-vector file", path.display());
    }
    let n = u32::from_le_bytes(b[8..12].try_into()?) as usize;
    let dim = u32::from_le_bytes(b[12..16].try_into()?) as usize;
    let data = b.get(16..16 + n * dim).context("truncated test vectors")?;
    Ok(data.chunks_exact(dim).map(|c| c.to_vec()).collect())
}

#[allow(clippy::too_many_arguments)]
async fn run_loadgen(
    target: String,
    model: String,
    rates: Vec<f64>,
    duration: f64,
    closed: usize,
    connections: usize,
    prove_background: usize,
    inputs: Option<PathBuf>,
    warmup: f64,
) -> Result<()> {
    let channels = loadgen::connect(&target, connections)
        .await
        .map_err(anyhow::Error::msg)?;
    let mut client = pol_worker::proto::worker_client::WorkerClient::new(channels[0].clone());
    let models = client
        .models(pol_worker::proto::ModelsRequest {})
        .await?
        .into_inner();
    let info = models
        .models
        .iter()
        .find(|m| m.id == model)
        .with_context(|| format!("the worker does not serve {model}"))?;
    let width = *info.widths.first().context("model without widths")? as usize;
    let inputs: Vec<Vec<u8>> = match inputs {
        Some(p) => read_inputs(&p)?,
        None => {
            use rand::{Rng, SeedableRng};
            let mut rng = rand::rngs::StdRng::seed_from_u64(1);
            (0..1024)
                .map(|_| (0..width).map(|_| rng.gen_range(0..=16u8)).collect())
                .collect()
        }
    };
    let inputs = Arc::new(inputs);
    println!(
        "target {target}, model {model} ({:?}) on {}, {connections} connection(s), {duration} s per run",
        info.widths, models.device
    );
    let stop = Arc::new(AtomicBool::new(false));
    let prover = if prove_background > 0 {
        let h = tokio::spawn(loadgen::prove_background(
            channels[0].clone(),
            model.clone(),
            inputs[0].clone(),
            prove_background,
            stop.clone(),
        ));
        // Let the first proof start before measuring.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Some(h)
    } else {
        None
    };
    if warmup > 0.0 {
        let _ = loadgen::open_loop(
            &channels,
            &model,
            inputs.clone(),
            500.0,
            Duration::from_secs_f64(warmup),
        )
        .await;
    }
    let d = Duration::from_secs_f64(duration);
    let mut rows: Vec<RunStats> = Vec::new();
    for &r in &rates {
        let s = loadgen::open_loop(&channels, &model, inputs.clone(), r, d).await;
        eprintln!("{}", s.row());
        rows.push(s);
    }
    if closed > 0 {
        let s = loadgen::closed_loop(&channels, &model, inputs.clone(), closed, d).await;
        eprintln!("{}", s.row());
        rows.push(s);
    }
    let mut health = client
        .health(pol_worker::proto::HealthRequest {})
        .await?
        .into_inner();
    stop.store(true, Ordering::Relaxed);
    println!("\n{}", RunStats::header());
    for r in &rows {
        println!("{}", r.row());
    }
    if let Some(h) = prover {
        match h.await? {
            Ok(times) => {
                let secs: Vec<f64> = times.iter().map(|t| t.as_secs_f64()).collect();
                let mean = secs.iter().sum::<f64>() / secs.len().max(1) as f64;
                println!(
                    "\nprover pool busy during the runs: {} proofs finished through Prove, mean end-to-end {:.2} s",
                    secs.len(),
                    mean
                );
            }
            Err(e) => println!("\nbackground Prove failed: {} ({})", e.message(), e.code()),
        }
        health = client
            .health(pol_worker::proto::HealthRequest {})
            .await?
            .into_inner();
    }
    println!(
        "worker: device {}, provable receipts {}, inference queue {}, prove queue {}",
        health.device,
        health.provable_receipts,
        health.inference_queue_depth,
        health.prove_queue_depth
    );
    Ok(())
}
