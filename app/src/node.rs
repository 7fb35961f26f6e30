//! `pold start`: storage, the ABCI server, gRPC, metrics, latency probes, and a supervised
//! CometBFT.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use pol_store::{Storage, StorageConfig};
use tokio::process::Command;
use tokio::sync::watch;

use crate::abci::server::AbciServer;
use crate::app::{App, NodeSettings, ProbeSource};
use crate::config::AppConfig;
use crate::probe::{BookConfig, ChainTargets, ProbeBook, ProbeTiming};
use crate::query::QueryRouter;

pub struct StartOptions {
    pub home: PathBuf,
    pub with_cometbft: bool,
    /// Overrides of app.toml for tests and scripts.
    pub abci_address: Option<String>,
    pub grpc_address: Option<String>,
    pub metrics_address: Option<String>,
}

pub fn db_path(home: &Path) -> PathBuf {
    home.join("data").join("pol.db")
}

pub async fn start(opts: StartOptions) -> anyhow::Result<()> {
    let mut config = AppConfig::load(&opts.home)?;
    if let Some(a) = opts.abci_address {
        config.abci_address = a;
    }
    if let Some(a) = opts.grpc_address {
        config.grpc_address = a;
    }
    if let Some(a) = opts.metrics_address {
        config.metrics_address = a;
    }
    // Refuse a bad genesis before CometBFT ever sees it.
    let genesis_path = opts.home.join("config").join("genesis.json");
    let genesis = pol_genesis::GenesisFile::load(&genesis_path, crate::modules::MODULES)
        .with_context(|| "checking genesis")?;

    let storage = Storage::open(
        &db_path(&opts.home),
        StorageConfig {
            keep_recent: config.keep_recent_heights,
        },
    )
    .with_context(|| format!("opening state at {}", db_path(&opts.home).display()))?;
    tracing::info!(
        height = storage.latest_version().unwrap_or(0),
        "state opened"
    );

    if !config.metrics_address.is_empty() {
        let addr: std::net::SocketAddr =
            config.metrics_address.parse().context("metrics_address")?;
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .install()
            .context("starting the Prometheus exporter")?;
        tracing::info!(%addr, "metrics on /metrics");
    }

    if config.test_faults != crate::config::TestFaults::default() {
        tracing::warn!(faults = ?config.test_faults, "TEST FAULTS ON: this validator misbehaves on purpose");
    }
    crate::upgrades::set_test_known(&config.test_faults.known_upgrades);
    let (stop_tx, stop_rx) = watch::channel(false);
    // Probes run off consensus; ExtendVote only reads the book they fill.
    let probes = if config.probe.enabled {
        let chain_id = genesis
            .chain_id()
            .context("genesis has no chain_id (probe receipts must name it)")?
            .to_string();
        let mut book_config = BookConfig::from_config(&config.probe);
        // Probe nonces derive from our consensus address, so receipts of our probes prove
        // we probed (`pol_latency::evidence`); a node without a validator key probes with
        // random nonces.
        book_config.validator = match crate::config::consensus_pubkey(&opts.home) {
            Ok(key) => {
                use sha2::Digest as _;
                let digest = sha2::Sha256::digest(key);
                let mut address = [0u8; 20];
                address.copy_from_slice(&digest[..20]);
                tracing::info!(
                    validator = %hex::encode_upper(address),
                    "probe nonces prove this consensus address (priv_validator_key.json)"
                );
                Some(address)
            }
            Err(e) => {
                tracing::warn!("probes keep no evidence of probing: {e:#}");
                None
            }
        };
        let fault = book_config.fault.clone();
        let book = Arc::new(ProbeBook::new(book_config));
        if fault != Default::default() {
            tracing::warn!(
                ?fault,
                "probe.test_fault_* is set: this validator reports other latencies than it \
                 measured (fault injection for tests only)"
            );
        }
        let corpus = crate::probe::Corpus::load(&config.probe.corpus, &opts.home)?;
        for (model, bytes) in corpus.models() {
            tracing::info!(model, bytes, "probe corpus");
        }
        // On threads of their own: query load on this node must not slow its measurement.
        let runtime = crate::probe::ProbeRuntime::new(2).context("starting the probe runtime")?;
        let task = runtime.enter(|| -> anyhow::Result<_> {
            let payer = probe_payer(&config, &opts.home, &chain_id, &storage)?;
            Ok(crate::probe::spawn(
                ProbeTiming::from_config(&config.probe),
                chain_id,
                Arc::new(corpus),
                Arc::new(ChainTargets::new(storage.clone())),
                payer,
                book.clone(),
                stop_rx.clone(),
            ))
        })?;
        tracing::info!(
            interval_ms = config.probe.interval_ms,
            timeout_ms = config.probe.timeout_ms,
            "probing providers (0: at the chain's latency.params rate)"
        );
        Some((book, task, runtime))
    } else {
        tracing::info!("probes off ([probe] enabled = false)");
        None
    };

    let modules = crate::modules::Modules::pol();
    let queries = QueryRouter::new(&storage, modules, tokio::runtime::Handle::current());
    let mut settings = NodeSettings {
        min_gas_price: config.min_gas_price()?,
        test_faults: config.test_faults.clone(),
        ..Default::default()
    };
    settings.probes = probes
        .as_ref()
        .map(|(book, _, _)| book.clone() as Arc<dyn ProbeSource>);
    let app = App::new(storage.clone(), modules, settings, queries)?;
    let abci = AbciServer::spawn(app, &config.abci_address, config.abci_max_frame_bytes)
        .with_context(|| format!("binding ABCI on {}", config.abci_address))?;

    let grpc = if config.grpc_address.is_empty() {
        None
    } else {
        let addr = config.grpc_address.parse().context("grpc_address")?;
        let mut rx = stop_rx.clone();
        let storage = storage.clone();
        let home = opts.home.clone();
        Some(tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            if let Err(e) =
                crate::grpc::serve_for_home(storage, modules, addr, &home, shutdown).await
            {
                tracing::error!("gRPC server: {e:#}");
            }
        }))
    };

    let comet = if opts.with_cometbft {
        let binary = config.cometbft_binary.clone();
        let home = opts.home.clone();
        let proxy = format!("tcp://{}", abci.local_addr);
        let rx = stop_rx.clone();
        Some(tokio::spawn(async move {
            supervise_cometbft(&binary, &home, &proxy, rx).await
        }))
    } else {
        None
    };

    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    if let Some(c) = comet {
        match c.await {
            Ok(Err(e)) => tracing::error!("cometbft: {e:#}"),
            Err(e) => tracing::error!("cometbft supervisor: {e}"),
            Ok(Ok(())) => {}
        }
    }
    if let Some(g) = grpc {
        let _ = tokio::time::timeout(Duration::from_secs(5), g).await;
    }
    if let Some((_, task, runtime)) = probes {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        drop(runtime);
    }
    abci.shutdown();
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Run CometBFT for this home, restarting it if it dies, until told to stop.
/// The child gets SIGKILL if pold itself dies (PR_SET_PDEATHSIG), so no orphan survives.
async fn supervise_cometbft(
    binary: &str,
    home: &Path,
    proxy_app: &str,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut backoff = Duration::from_millis(500);
    loop {
        let mut cmd = Command::new(binary);
        cmd.arg("start")
            .arg("--home")
            .arg(home)
            .arg("--proxy_app")
            .arg(proxy_app);
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().with_context(|| {
            format!("starting {binary} (is CometBFT installed? run scripts/setup)")
        })?;
        tracing::info!(pid = child.id(), "cometbft started");
        let started = tokio::time::Instant::now();
        let exited = tokio::select! {
            status = child.wait() => Some(status?),
            _ = stop.wait_for(|s| *s) => None,
        };
        match exited {
            Some(status) => {
                if *stop.borrow() {
                    return Ok(());
                }
                tracing::error!(%status, "cometbft exited; restarting in {:?}", backoff);
                if started.elapsed() > Duration::from_secs(30) {
                    backoff = Duration::from_millis(500);
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                if started.elapsed() < Duration::from_secs(2) && backoff >= Duration::from_secs(10)
                {
                    bail!("cometbft keeps exiting at start ({status}); see its log above");
                }
            }
            None => {
                if let Some(pid) = child.id() {
                    // Ask nicely first so CometBFT flushes its stores.
                    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
                }
                if tokio::time::timeout(Duration::from_secs(10), child.wait())
                    .await
                    .is_err()
                {
                    let _ = child.kill().await;
                }
                return Ok(());
            }
        }
    }
}

/// What this validator's probes pay with: its `[probe] payer_key` account's channels, or
/// nothing.
fn probe_payer(
    config: &crate::config::AppConfig,
    home: &std::path::Path,
    chain_id: &str,
    storage: &pol_store::Storage,
) -> anyhow::Result<Arc<dyn crate::probe::ProbePayer>> {
    let probe = &config.probe;
    if probe.payer_key.is_empty() {
        tracing::info!("probes are not paid ([probe] payer_key is empty): providers that require payment refuse them");
        return Ok(Arc::new(crate::probe::NoPayment));
    }
    if config.grpc_address.is_empty() {
        anyhow::bail!("probe.payer_key needs grpc_address: probe channels are opened through it");
    }
    let key = pol_client::Keyring::open(home)
        .find(&probe.payer_key)
        .and_then(|k| k.signer())
        .with_context(|| {
            format!(
                "probe.payer_key {:?} in {}",
                probe.payer_key,
                home.display()
            )
        })?;
    let grpc = pol_client::GrpcClient::connect_lazy(&format!("http://{}", config.grpc_address))?;
    let wallet = pol_client::payments::Payer::open(&home.join("data").join("probe"), chain_id)?;
    let gas_price = config
        .min_gas_price()?
        .unwrap_or_else(|| "0.025upol".parse().expect("a valid gas price"));
    let payer = crate::probe::ChannelPayer::new(
        chain_id,
        storage.clone(),
        crate::probe::ChannelPlan {
            deposit: u128::from(probe.channel_deposit),
            blocks: probe.channel_blocks,
            replace_blocks: 60,
            retry: std::time::Duration::from_secs(10),
        },
        wallet,
        key,
        grpc,
        gas_price,
    );
    tracing::info!(payer = %payer.address(), "probes pay through payment channels");
    Ok(Arc::new(payer))
}
