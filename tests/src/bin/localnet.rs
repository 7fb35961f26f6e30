//! `localnet`: the local pol network of `scripts/localnet`, in the foreground.
//!
//! Four validators (each a `pold start` with its CometBFT, validator `i` on `127.0.0.(i+1)`
//! with the standard ports), bonded at genesis by gentxs, and three real `pol-worker`
//! providers with injected latency profiles:
//!
//! * `fast`: no fault;
//! * `slow`: 400 ms added to every answer after `--slow-after-secs`, far past its 150 ms p99
//!   SLA: slashed every epoch it misses, jailed after `--jail-after-misses` in a row;
//! * `dropping`: drops 60 % of the requests, past its 10 % failure-rate SLA.
//!
//! The `fast` worker registers the architecture and the default model, then itself; the
//! others register once it is on chain. Every validator probes every provider, the chain
//! agrees on their latency in its vote extensions, and judges them every epoch. A live view
//! (redrawn every second) shows the height, each provider's consensus latency, reputation,
//! bond, SLA misses, slashes and settled proof obligations, and each validator's voting
//! power and measurer record.
//!
//! Ctrl-C (SIGINT) or SIGTERM stops the workers (their process groups are killed), then
//! every pold (SIGTERM; each stops its CometBFT), waits for them and exits 0. Running it
//! again with the same `--dir` resumes the same chain; `--reset` starts a new one.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use pol_tests::chain_query;
use pol_tests::net::{Network, NetworkOptions};
use pol_tests::worker::{ChainLink, Fault, WorkerProcess, WorkerSpec, MODEL};
use pol_tests::{pold, pold_bin};
use serde_json::{json, Value};

#[derive(Parser, Debug, Clone)]
#[command(
    about = "A 4-validator pol network with 3 providers (fast, slow, dropping) and a live view"
)]
struct Args {
    /// Where the validators' homes and the workers' directories live.
    #[arg(long, default_value = ".localnet")]
    dir: PathBuf,
    /// Remove `--dir` first and start a new chain.
    #[arg(long)]
    reset: bool,
    /// No live view: print one status line every 10 s instead.
    #[arg(long)]
    no_view: bool,
    /// Number of validators (on 127.0.0.1 … 127.0.0.N).
    #[arg(long, default_value_t = 4)]
    validators: usize,
    #[arg(long, default_value = "pol-local-1")]
    chain_id: String,
    /// CometBFT timeout_commit (new chains only).
    #[arg(long, default_value = "500ms")]
    timeout_commit: String,
    /// Blocks per latency epoch (new chains only).
    #[arg(long, default_value_t = 10)]
    epoch_blocks: u64,
    /// Milliseconds between two probes of one provider by one validator (new chains only).
    #[arg(long, default_value_t = 200)]
    probe_interval_ms: u64,
    /// SLA misses in a row that jail a provider (new chains only).
    #[arg(long, default_value_t = 3)]
    jail_after_misses: u32,
    /// Share of receipts that become proof obligations, ppm (new chains only).
    #[arg(long, default_value_t = 20_000)]
    sample_rate_ppm: u32,
    /// The slow provider turns slow this many seconds after its worker starts.
    #[arg(long, default_value_t = 30)]
    slow_after_secs: u64,
    /// Do not start the workers (validators only).
    #[arg(long)]
    no_workers: bool,
}

/// The providers' SLA (all three register the same one).
const SLA_P99_US: u64 = 150_000;
const SLA_FAILURES_PPM: u32 = 100_000;
const PROVIDER_BOND: u128 = 100_000_000;
const PROVIDER_FUNDS: u128 = 10_000_000_000;
const USER_FUNDS: u128 = 1_000_000_000_000;
/// Worker `j` serves on 127.0.0.1:(WORKER_PORT + j).
const WORKER_PORT: u16 = 50051;

struct Profile {
    name: &'static str,
    what: String,
    fault: Fault,
}

fn profiles(args: &Args) -> Vec<Profile> {
    vec![
        Profile {
            name: "fast",
            what: "no fault".into(),
            fault: Fault::default(),
        },
        Profile {
            name: "slow",
            what: format!("+400 ms after {} s", args.slow_after_secs),
            fault: Fault {
                extra_latency_ms: 400,
                after_secs: args.slow_after_secs,
                ..Default::default()
            },
        },
        Profile {
            name: "dropping",
            what: "drops 60 %".into(),
            fault: Fault {
                drop_ppm: 600_000,
                ..Default::default()
            },
        },
    ]
}

fn main() -> anyhow::Result<()> {
    // The harness finds pold beside the running executable's parent (tests live in deps/);
    // this binary lives beside pold itself.
    if std::env::var_os("POLD_BIN").is_none() {
        if let Some(dir) = std::env::current_exe()?.parent() {
            std::env::set_var("POLD_BIN", dir.join("pold"));
        }
    }
    let args = Args::parse();
    anyhow::ensure!(
        (1..=250).contains(&args.validators),
        "--validators must be 1..=250"
    );
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run(args))
}

/// What runs, for the shutdown path.
#[derive(Default)]
struct Running {
    net: Option<Network>,
    workers: Vec<Option<WorkerProcess>>,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let mut sig = Signals::new()?;
    let mut running = Running::default();
    let result = tokio::select! {
        r = main_loop(&args, &mut running) => r,
        s = sig.recv() => {
            eprintln!("\n{s}: stopping the workers and the validators …");
            Ok(())
        }
    };
    let stop = shutdown(&mut running);
    result.and(stop)
}

struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}

fn shutdown(running: &mut Running) -> anyhow::Result<()> {
    for w in running.workers.iter_mut().flatten() {
        w.stop();
    }
    running.workers.clear();
    if let Some(net) = running.net.as_mut() {
        let killed = net.shutdown(Duration::from_secs(30));
        if !killed.is_empty() {
            eprintln!("validators {killed:?} did not stop within 30 s and were killed");
        }
    }
    eprintln!("stopped; run it again with the same --dir to resume the chain");
    Ok(())
}

fn network_options(args: &Args) -> NetworkOptions {
    let mut keyring_accounts: Vec<(String, u128)> = profiles(args)
        .iter()
        .map(|p| (p.name.to_string(), PROVIDER_FUNDS))
        .collect();
    keyring_accounts.push(("alice".into(), USER_FUNDS));
    keyring_accounts.push(("bob".into(), USER_FUNDS));
    let epoch = args.epoch_blocks.max(2);
    let jail = args.jail_after_misses.max(1);
    let sample = args.sample_rate_ppm;
    let interval = args.probe_interval_ms.max(10);
    NetworkOptions {
        validators: args.validators,
        chain_id: args.chain_id.clone(),
        timeout_commit: args.timeout_commit.clone(),
        keyring_accounts,
        fixed_addresses: true,
        genesis: Some(Box::new(move |g| {
            let s = &mut g["app_state"];
            s["latency"]["params"]["epoch_blocks"] = json!(epoch);
            s["latency"]["params"]["min_samples"] = json!(2);
            s["latency"]["params"]["max_receipts_per_extension"] = json!(1);
            s["sla"]["params"]["min_blocks_per_epoch"] = json!(epoch / 2);
            s["sla"]["params"]["jail_after_misses"] = json!(jail);
            let inf = &mut s["inference"]["params"];
            inf["sample_rate_ppm"] = json!(sample);
            inf["min_provider_bond"] = json!("10000000");
            inf["proof_deadline_blocks"] = json!(200);
            inf["provider_unbonding_blocks"] = json!(1000);
            // Proposals a demo can watch through: a minute to deposit, a minute to vote.
            let gov = &mut s["gov"]["params"];
            gov["max_deposit_period"] = json!("60s");
            gov["voting_period"] = json!("60s");
            gov["expedited_voting_period"] = json!("30s");
        })),
        app_config: Some(Box::new(move |_, cfg| {
            // Probes pay like traffic, from each validator's operator account.
            cfg.probe.payer_key = pol_tests::VALIDATOR_OPERATOR.into();
            cfg.probe.interval_ms = interval;
            cfg.probe.timeout_ms = 1_500;
            cfg.probe.window_secs = 5;
            cfg.probe.refresh_ms = 1_000;
            // A demo chain: keep a day of heights at 0.5 s blocks, not every one forever.
            cfg.keep_recent_heights = 200_000;
        })),
        ..Default::default()
    }
}

/// Refuse to start over a listener someone else holds (another localnet, a stray node).
fn check_ports_free(net: &Network) -> anyhow::Result<()> {
    for (i, n) in net.nodes.iter().enumerate() {
        let host = &net.hosts[i];
        for port in [
            n.ports.rpc,
            n.ports.p2p,
            n.ports.abci,
            n.ports.grpc,
            n.ports.metrics,
        ] {
            std::net::TcpListener::bind((host.as_str(), port)).with_context(|| {
                format!(
                    "{host}:{port} (validator {i}) is taken: is another localnet running? \
                     (pgrep -af 'pold|cometbft|pol-worker')"
                )
            })?;
        }
    }
    Ok(())
}

async fn main_loop(args: &Args, running: &mut Running) -> anyhow::Result<()> {
    let dir = if args.dir.is_absolute() {
        args.dir.clone()
    } else {
        std::env::current_dir()?.join(&args.dir)
    };
    anyhow::ensure!(
        pold_bin().exists(),
        "{} is missing: cargo build --bin pold (scripts/localnet builds everything)",
        pold_bin().display()
    );
    if args.reset && dir.exists() {
        eprintln!("--reset: removing {}", dir.display());
        std::fs::remove_dir_all(&dir)?;
    }
    if dir.join("val0").exists() && !Network::is_initialised(&dir) {
        // An initialisation that was interrupted (or the old one-validator layout).
        anyhow::bail!(
            "{} holds an unfinished or older network; run with --reset to start a new one",
            dir.display()
        );
    }
    let mut net = if Network::is_initialised(&dir) {
        let net = Network::open(dir.clone())?;
        eprintln!(
            "resuming the {}-validator network in {}",
            net.nodes.len(),
            dir.display()
        );
        net
    } else {
        eprintln!(
            "initialising a {}-validator network in {} …",
            args.validators,
            dir.display()
        );
        let (a, d) = (args.clone(), dir.clone());
        // pold subcommands block; keep the runtime (and Ctrl-C) responsive.
        tokio::task::spawn_blocking(move || Network::init_in(d, network_options(&a))).await??
    };
    check_ports_free(&net)?;
    net.start()?;
    running.net = Some(net);
    let net = running.net.as_ref().expect("just set");
    let rpc = net.nodes[0].rpc.clone();
    let home0 = net.nodes[0].home.clone();
    let profiles = profiles(args);
    let addrs: Vec<String> = profiles
        .iter()
        .map(|p| {
            Ok(pold(&home0, &["keys", "show", p.name, "-a"])?
                .trim()
                .to_string())
        })
        .collect::<anyhow::Result<_>>()?;
    let info = StaticInfo::read(net, &addrs, &profiles)?;
    eprint!("{}", info.hints(net));
    eprintln!(
        "proofs: the workers' Groth16 keys come from the INSECURE seeded setup, which this \
         localnet's genesis allows (inference.params.allow_insecure_setup): anyone can forge \
         its proofs. A real chain takes keys from `pol-proofs ceremony` (proofs/README.md)."
    );
    eprintln!("waiting for the first blocks …");
    rpc.wait_for_height(1, Duration::from_secs(120))
        .await
        .with_context(|| format!("no block within 120 s; log:\n{}", net.nodes[0].log_tail()))?;

    running.workers = (0..profiles.len()).map(|_| None).collect();
    let specs: Vec<WorkerSpec> = profiles
        .iter()
        .zip(&addrs)
        .enumerate()
        .map(|(j, (p, addr))| WorkerSpec {
            port: WORKER_PORT + j as u16,
            fault: p.fault.clone(),
            chain: Some(ChainLink {
                grpc: net.grpc_addr(0),
                home: home0.clone(),
                key: p.name.into(),
                bond: PROVIDER_BOND,
                price_per_inference: 100,
                max_p99_latency_us: SLA_P99_US,
                max_failure_rate_ppm: SLA_FAILURES_PPM,
                register_models: j == 0,
            }),
            payments_required: true,
            ..WorkerSpec::new(&info.chain_id, addr)
        })
        .collect();

    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut heights: VecDeque<(Instant, u64)> = VecDeque::new();
    let mut last_line = Instant::now() - Duration::from_secs(60);
    loop {
        tick.tick().await;
        let net = running.net.as_ref().expect("set above");
        let snap = tokio::time::timeout(Duration::from_secs(5), Snapshot::gather(net, &info))
            .await
            .unwrap_or_default();
        // Workers: the first registers the model; the others once it is on chain.
        if !args.no_workers && snap.height >= 1 {
            for (j, spec) in specs.iter().enumerate() {
                let registered = snap.providers.get(j).is_some_and(|p| p.provider.is_some());
                let first_ready = snap.providers.first().is_some_and(|p| p.provider.is_some());
                let slot = &mut running.workers[j];
                if slot.is_none() && (j == 0 || first_ready || registered) {
                    let wdir = dir.join(format!("w-{}", profiles[j].name));
                    match WorkerProcess::start(spec, &wdir) {
                        Ok(w) => *slot = Some(w),
                        Err(e) => eprintln!("starting worker {}: {e:#}", profiles[j].name),
                    }
                }
            }
        }
        let worker_state: Vec<&'static str> = running
            .workers
            .iter_mut()
            .map(|w| match w.as_mut().map(WorkerProcess::is_running) {
                None => "waiting",
                Some(true) => "running",
                Some(false) => "EXITED",
            })
            .collect();
        let now = Instant::now();
        if snap.height > 0 && heights.back().map(|(_, h)| *h) != Some(snap.height) {
            heights.push_back((now, snap.height));
        }
        while heights.len() > 2 && now.duration_since(heights[0].0) > Duration::from_secs(20) {
            heights.pop_front();
        }
        let block_secs = match (heights.front(), heights.back()) {
            (Some((t0, h0)), Some((t1, h1))) if h1 > h0 => {
                Some(t1.duration_since(*t0).as_secs_f64() / (h1 - h0) as f64)
            }
            _ => None,
        };
        if args.no_view {
            if now.duration_since(last_line) >= Duration::from_secs(10) {
                last_line = now;
                eprintln!("{}", snap.one_line(&info, block_secs));
            }
        } else {
            let mut out = String::from("\x1b[H\x1b[2J");
            out.push_str(&snap.render(&info, block_secs, &worker_state));
            out.push_str(&info.hints(net));
            print!("{out}");
            use std::io::Write;
            let _ = std::io::stdout().flush();
        }
    }
}

/// What does not change while it runs.
struct StaticInfo {
    chain_id: String,
    dir: PathBuf,
    epoch_blocks: u64,
    providers: Vec<(String, String, String)>,
    /// CometBFT consensus address of each validator (hex, upper case as the RPC shows it).
    cons_addrs: Vec<Vec<u8>>,
    hosts: Vec<String>,
}

impl StaticInfo {
    fn read(net: &Network, addrs: &[String], profiles: &[Profile]) -> anyhow::Result<Self> {
        let genesis: Value = serde_json::from_str(&std::fs::read_to_string(
            net.nodes[0].home.join("config/genesis.json"),
        )?)?;
        let epoch_blocks = genesis["app_state"]["latency"]["params"]["epoch_blocks"]
            .as_u64()
            .or_else(|| {
                genesis["app_state"]["latency"]["params"]["epoch_blocks"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
            })
            .unwrap_or(0);
        let mut cons_addrs = Vec::new();
        for n in &net.nodes {
            let key: Value = serde_json::from_str(&std::fs::read_to_string(
                n.home.join("config/priv_validator_key.json"),
            )?)?;
            cons_addrs.push(hex::decode(key["address"].as_str().unwrap_or_default())?);
        }
        Ok(StaticInfo {
            chain_id: genesis["chain_id"].as_str().unwrap_or_default().to_string(),
            dir: net.root.clone(),
            epoch_blocks,
            providers: profiles
                .iter()
                .zip(addrs)
                .map(|(p, a)| (p.name.to_string(), p.what.clone(), a.clone()))
                .collect(),
            cons_addrs,
            hosts: net.hosts.clone(),
        })
    }

    fn hints(&self, net: &Network) -> String {
        let pold = pold_bin();
        let pold = pold.display();
        let home0 = net.nodes[0].home.display();
        let slow = self
            .providers
            .get(1)
            .map(|p| p.2.clone())
            .unwrap_or_default();
        let rpcs: Vec<String> = (0..net.nodes.len()).map(|i| net.rpc_url(i)).collect();
        let fast = self
            .providers
            .first()
            .map(|p| p.2.clone())
            .unwrap_or_default();
        format!(
            "\n\
pol localnet (chain-id {chain}) in {dir}
  CometBFT RPC  {rpcs}
  gRPC          {grpc} (one per validator on the same hosts)   metrics http://{host0}:26660/metrics
  logs          {dir}/val*/pold.log   {dir}/w-*/worker.log
  try           {pold} --home {home0} query inference providers --model {MODEL}
                {pold} --home {home0} query latency route {MODEL}
                {pold} --home {home0} query latency aggregate {fast}
                {pold} --home {home0} query sla status {slow}
                {pold} --home {home0} query sla violations {slow}
                {pold} --home {home0} query reputation provider {fast}
                {pold} --home {home0} query latency measurers
                {pold} --home {home0} query staking validators
                {pold} --home {home0} infer --model {MODEL} --input 0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0
                {pold} --home {home0} tx bank send alice $({pold} --home {home0} keys show bob -a) 1000upol
Ctrl-C stops everything; run it again to resume the chain (--reset starts a new one).
",
            chain = self.chain_id,
            dir = self.dir.display(),
            rpcs = rpcs.join("  "),
            grpc = net.grpc_addr(0),
            host0 = self.hosts[0],
        )
    }
}

#[derive(Default)]
struct ProviderView {
    provider: Option<pol_inference::pb::Provider>,
    aggregate: Option<pol_latency::pb::ProviderAggregate>,
    reputation: Option<pol_reputation::pb::ProviderReputation>,
    sla: Option<pol_sla::pb::QueryProviderStatusResponse>,
    /// Over the provider's open payment channels: claimed (its revenue so far, royalties
    /// included) and still escrowed.
    claimed: u128,
    escrowed: u128,
    channels: usize,
}

#[derive(Default)]
struct ValidatorView {
    /// Its own node's latest height (None: not answering).
    height: Option<u64>,
    power: Option<i64>,
    measurer: Option<pol_latency::pb::MeasurerScore>,
}

#[derive(Default)]
struct Snapshot {
    height: u64,
    block_time: String,
    providers: Vec<ProviderView>,
    validators: Vec<ValidatorView>,
}

impl Snapshot {
    async fn gather(net: &Network, info: &StaticInfo) -> Snapshot {
        let mut snap = Snapshot::default();
        let mut validators: Vec<ValidatorView> = Vec::new();
        for n in &net.nodes {
            let status = n.rpc.status().await.ok();
            validators.push(ValidatorView {
                height: status.as_ref().and_then(|s| {
                    s["sync_info"]["latest_block_height"]
                        .as_str()
                        .and_then(|h| h.parse().ok())
                }),
                ..Default::default()
            });
        }
        // Query the first validator that answers.
        let Some(idx) = validators.iter().position(|v| v.height.is_some()) else {
            snap.validators = validators;
            return snap;
        };
        let rpc = &net.nodes[idx].rpc;
        if let Ok(s) = rpc.status().await {
            snap.height = s["sync_info"]["latest_block_height"]
                .as_str()
                .and_then(|h| h.parse().ok())
                .unwrap_or(0);
            snap.block_time = s["sync_info"]["latest_block_time"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        }
        if let Ok(vs) = rpc.call("validators", json!({"per_page": "100"})).await {
            for (i, addr) in info.cons_addrs.iter().enumerate() {
                let hexaddr = hex::encode_upper(addr);
                validators[i].power = vs["validators"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|v| v["address"].as_str() == Some(&hexaddr))
                    .and_then(|v| v["voting_power"].as_str()?.parse().ok())
                    .or(Some(0));
            }
        }
        let measurers = chain_query::measurers(rpc).await;
        for (i, addr) in info.cons_addrs.iter().enumerate() {
            validators[i].measurer = measurers.iter().find(|m| &m.validator == addr).cloned();
        }
        snap.validators = validators;
        for (_, _, addr) in &info.providers {
            let provider = chain_query::provider(rpc, addr).await;
            let aggregate = chain_query::aggregate(rpc, addr).await;
            let reputation = chain_query::reputation(rpc, addr).await;
            let sla = chain_query::query::<_, pol_sla::pb::QueryProviderStatusResponse>(
                rpc,
                "/pol.sla.v1.Query/ProviderStatus",
                &pol_sla::pb::QueryProviderStatusRequest {
                    provider: addr.clone(),
                },
            )
            .await;
            let channels = chain_query::query::<_, pol_payments::pb::QueryChannelsResponse>(
                rpc,
                "/pol.payments.v1.Query/ChannelsByProvider",
                &pol_payments::pb::QueryChannelsByProviderRequest {
                    provider: addr.clone(),
                    pagination: None,
                },
            )
            .await
            .map(|r| r.channels)
            .unwrap_or_default();
            let amount = |s: &str| s.parse::<u128>().unwrap_or(0);
            let claimed = channels.iter().map(|c| amount(&c.claimed)).sum();
            let deposits: u128 = channels.iter().map(|c| amount(&c.deposit)).sum();
            snap.providers.push(ProviderView {
                provider,
                aggregate,
                reputation,
                sla,
                claimed,
                escrowed: deposits.saturating_sub(claimed),
                channels: channels.len(),
            });
        }
        snap
    }

    fn one_line(&self, info: &StaticInfo, block_secs: Option<f64>) -> String {
        let mut s = format!(
            "height {} ({})",
            self.height,
            block_secs
                .map(|b| format!("{b:.2} s/block"))
                .unwrap_or_else(|| "-".into())
        );
        for ((name, _, _), p) in info.providers.iter().zip(&self.providers) {
            let status = p
                .provider
                .as_ref()
                .map(|p| status_name(p.status))
                .unwrap_or("unregistered");
            let p99 = p
                .aggregate
                .as_ref()
                .map(|a| ms(a.p99_us as u64))
                .unwrap_or_else(|| "-".into());
            s.push_str(&format!(
                "  {name}: {status} p99 {p99} claimed {}upol",
                p.claimed
            ));
        }
        s
    }

    fn render(
        &self,
        info: &StaticInfo,
        block_secs: Option<f64>,
        workers: &[&'static str],
    ) -> String {
        let mut o = String::new();
        let epoch = if info.epoch_blocks > 0 && self.height > 0 {
            format!(
                "epoch {} ({}/{})",
                (self.height - 1) / info.epoch_blocks + 1,
                (self.height - 1) % info.epoch_blocks + 1,
                info.epoch_blocks
            )
        } else {
            String::new()
        };
        o.push_str(&format!(
            "\x1b[1mpol localnet\x1b[0m  chain {}   height \x1b[1m{}\x1b[0m   {}   {}   last block {}\n\n",
            info.chain_id,
            self.height,
            block_secs
                .map(|b| format!("{b:.2} s/block"))
                .unwrap_or_else(|| "- s/block".into()),
            epoch,
            short_time(&self.block_time),
        ));
        o.push_str(&format!(
            "\x1b[1mproviders\x1b[0m  SLA: p99 ≤ {}, failures ≤ {:.0} %   (latency = latest consensus aggregate)\n",
            ms(SLA_P99_US),
            SLA_FAILURES_PPM as f64 / 1e4
        ));
        o.push_str(&format!(
            "  {:<9} {:<20} {:<8} {:<12} {:>9} {:>7} {:>10} {:>11} {:>10} {:>10} {:>13} {:<8}\n",
            "name",
            "profile",
            "worker",
            "status",
            "p99",
            "fail",
            "reputation",
            "bond",
            "SLA misses",
            "slashed",
            "proofs ok/miss",
            "@height"
        ));
        for (j, ((name, what, _), p)) in info.providers.iter().zip(&self.providers).enumerate() {
            let status = match &p.provider {
                None => "unregistered".to_string(),
                Some(pr) if pr.status == pol_inference::pb::ProviderStatus::Jailed as i32 => {
                    format!("jailed→{}", pr.jailed_until_height)
                }
                Some(pr) => status_name(pr.status).to_string(),
            };
            let (p99, fail, at) = match &p.aggregate {
                Some(a) => (
                    ms(a.p99_us as u64),
                    format!("{:.1}%", a.failure_rate_ppm as f64 / 1e4),
                    a.height.to_string(),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            let rep = p
                .reputation
                .as_ref()
                .map(|r| format!("{:.3}", r.reputation_ppm as f64 / 1e6))
                .unwrap_or_else(|| "-".into());
            let bond = p
                .provider
                .as_ref()
                .map(|p| p.bond.clone())
                .unwrap_or_else(|| "-".into());
            let (misses, slashed) = match p.sla.as_ref().and_then(|s| s.record.as_ref()) {
                Some(r) => (
                    if r.jailings > 0 {
                        format!("{} ({}J)", r.total_misses, r.jailings)
                    } else {
                        r.total_misses.to_string()
                    },
                    if r.total_slashed.is_empty() {
                        "0".into()
                    } else {
                        r.total_slashed.clone()
                    },
                ),
                None => ("0".into(), "0".into()),
            };
            let proofs = p
                .provider
                .as_ref()
                .map(|p| format!("{}/{}", p.attested, p.faults))
                .unwrap_or_else(|| "-".into());
            o.push_str(&format!(
                "  {:<9} {:<20} {:<8} {:<12} {:>9} {:>7} {:>10} {:>11} {:>10} {:>10} {:>13} {:<8}\n",
                name,
                what,
                workers.get(j).copied().unwrap_or("-"),
                status,
                p99,
                fail,
                rep,
                bond,
                misses,
                slashed,
                proofs,
                at
            ));
        }
        o.push_str(&format!(
            "\n\x1b[1mrevenue\x1b[0m  paid requests (probes pay like traffic), over each provider's open payment channels\n  {:<9} {:>9} {:>14} {:>14}\n",
            "name", "channels", "claimed upol", "escrowed upol"
        ));
        for ((name, _, _), p) in info.providers.iter().zip(&self.providers) {
            o.push_str(&format!(
                "  {:<9} {:>9} {:>14} {:>14}\n",
                name, p.channels, p.claimed, p.escrowed
            ));
        }
        o.push_str(&format!(
            "\n\x1b[1mvalidators\x1b[0m\n  {:<3} {:<12} {:>8} {:>12} {:>9} {:>9} {:>13}\n",
            "#", "host", "height", "power", "reports", "outliers", "epoch out/rep"
        ));
        for (i, v) in self.validators.iter().enumerate() {
            let (reports, outliers, epoch) = match &v.measurer {
                Some(m) => (
                    m.reports.to_string(),
                    m.outliers.to_string(),
                    format!("{}/{}", m.epoch_outliers, m.epoch_reports),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            o.push_str(&format!(
                "  {:<3} {:<12} {:>8} {:>12} {:>9} {:>9} {:>13}\n",
                i,
                info.hosts.get(i).map(String::as_str).unwrap_or("?"),
                v.height
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "DOWN".into()),
                v.power.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                reports,
                outliers,
                epoch
            ));
        }
        o
    }
}

fn status_name(s: i32) -> &'static str {
    use pol_inference::pb::ProviderStatus;
    match ProviderStatus::try_from(s) {
        Ok(ProviderStatus::Active) => "active",
        Ok(ProviderStatus::Jailed) => "jailed",
        Ok(ProviderStatus::Unbonding) => "unbonding",
        _ => "?",
    }
}

fn ms(us: u64) -> String {
    format!("{:.1} ms", us as f64 / 1000.0)
}

/// `2024-05-01T12:03:04.123456789Z` → `12:03:04.123`.
fn short_time(t: &str) -> String {
    t.split_once('T')
        .map(|(_, rest)| rest.chars().take(12).collect())
        .unwrap_or_else(|| "-".into())
}
