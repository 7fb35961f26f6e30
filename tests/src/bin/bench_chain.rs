//! `bench_chain`: blocks/s and committed tx/s of one pol validator, side by side with CometBFT's
//! own `abci-cli kvstore` under identical CometBFT settings, in the same run.
//!
//! For each repetition (pol and kvstore alternate, the order flipping every repetition) a fresh
//! single-validator chain is started in a temporary home on free 127.0.0.1 ports, and:
//!
//! * idle: blocks per second over a fixed window with no load;
//! * load: N pre-built transactions (pol: signed bank sends from `--concurrency` funded accounts,
//!   consecutive sequences per account, fee = min gas price × gas limit; kvstore: unique
//!   `key=value` txs padded to the pol tx size) are submitted with `broadcast_tx_sync`, one
//!   worker per account (txs of one account in sequence order), then blocks are scanned with
//!   `block_results` until all accepted txs are committed. Committed tx/s is
//!   N / (time from the first submit to the moment the block holding the last tx is seen
//!   committed). Every pol result must have code 0.
//!
//! Only one chain runs at a time. Every process runs in its own process group and is killed
//! (SIGKILL to the group) when its guard drops: on success, error, panic, SIGINT or SIGTERM.
//! The table (medians and the pol/kvstore ratio) goes to stdout, progress to stderr.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use pol_client::{RpcClient, RpcError, SignerKey};
use pol_tests::{cometbft_bin, free_port, ChainOptions, Node, Wallet, DEFAULT_FEE, DEFAULT_GAS};
use serde_json::{json, Value};

#[derive(Parser, Debug, Clone)]
#[command(
    about = "pol vs abci-cli kvstore vs Cosmos SDK simd: blocks/s and committed tx/s on one validator"
)]
struct Args {
    /// Transactions submitted per load measurement.
    #[arg(long, default_value_t = 5000)]
    txs: usize,
    /// Repetitions of every measurement (medians are reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Concurrent submitters; for pol also the number of funded sender accounts.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// CometBFT consensus.timeout_commit for both chains.
    #[arg(long, default_value = "100ms")]
    timeout_commit: String,
    /// Length of the idle window, seconds.
    #[arg(long, default_value_t = 5.0)]
    idle_secs: f64,
    /// CometBFT mempool.size for both chains.
    #[arg(long, default_value_t = 10_000)]
    mempool_size: usize,
    /// Give up on one load measurement after this many seconds.
    #[arg(long, default_value_t = 120)]
    load_timeout_secs: u64,
    /// abci-cli binary (else `.tools/bin/abci-cli` of this checkout).
    #[arg(long, env = "POL_ABCI_CLI")]
    abci_cli: Option<PathBuf>,
    /// simd binary (else `.tools/bin/simd` of this checkout, which `scripts/bench-chain`
    /// builds; without one the simd column is left out).
    #[arg(long, env = "POL_SIMD")]
    simd: Option<PathBuf>,
    /// Run only one side: `pol`, `kvstore` or `simd` (no ratio then).
    #[arg(long)]
    only: Option<String>,
    /// POLD_LOG filter for pold, e.g. "info,pol_store=debug" for per-block store timings.
    #[arg(long, default_value = "info")]
    pold_log: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Pol,
    Kvstore,
    /// The Cosmos SDK's simapp (`simd`), the chain a user would pick instead.
    Simd,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Pol => "pol",
            Target::Kvstore => "kvstore",
            Target::Simd => "simd",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Processes

/// A child in its own process group; the whole group gets SIGKILL on drop.
struct ProcGroup {
    child: Child,
    what: &'static str,
}

impl ProcGroup {
    fn spawn(mut cmd: Command, what: &'static str, log: &Path) -> anyhow::Result<ProcGroup> {
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it only sets the child's parent-death signal, so the
        // child dies with the bench even when the bench itself is SIGKILLed.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {what} ({:?})", cmd.get_program()))?;
        Ok(ProcGroup { child, what })
    }

    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited early with {status}", self.what);
        }
        Ok(())
    }
}

impl Drop for ProcGroup {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's process group.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Identical CometBFT settings for both chains

struct CometSettings {
    timeout_commit: String,
    mempool_size: usize,
}

/// Patch a CometBFT home's config.toml and genesis.json the same way for both chains (the
/// config keys `pold init` sets, plus the mempool size; genesis: vote extensions from height
/// 1 and pol's block gas bound).
fn patch_comet_home(
    home: &Path,
    s: &CometSettings,
    rpc: u16,
    p2p: u16,
    abci: u16,
) -> anyhow::Result<()> {
    let config_path = home.join("config/config.toml");
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let mut doc: toml_edit::DocumentMut = text.parse().context("parsing CometBFT config.toml")?;
    doc["proxy_app"] = toml_edit::value(format!("tcp://127.0.0.1:{abci}"));
    doc["rpc"]["laddr"] = toml_edit::value(format!("tcp://127.0.0.1:{rpc}"));
    doc["rpc"]["pprof_laddr"] = toml_edit::value("");
    doc["p2p"]["laddr"] = toml_edit::value(format!("tcp://127.0.0.1:{p2p}"));
    doc["p2p"]["allow_duplicate_ip"] = toml_edit::value(true);
    doc["p2p"]["addr_book_strict"] = toml_edit::value(false);
    doc["p2p"]["pex"] = toml_edit::value(false);
    doc["consensus"]["timeout_commit"] = toml_edit::value(s.timeout_commit.as_str());
    doc["mempool"]["size"] = toml_edit::value(s.mempool_size as i64);
    doc["mempool"]["cache_size"] = toml_edit::value((2 * s.mempool_size).max(10_000) as i64);
    doc["tx_index"]["indexer"] = toml_edit::value("kv");
    doc["instrumentation"]["prometheus"] = toml_edit::value(false);
    doc["log_level"] = toml_edit::value("info");
    std::fs::write(&config_path, doc.to_string())?;

    // CometBFT 0.34 (simd's) has no vote extensions.
    let vote_extensions = std::fs::read_to_string(home.join("config/genesis.json"))?
        .contains("vote_extensions_enable_height");
    edit_json(&home.join("config/genesis.json"), |g| {
        if vote_extensions {
            g["consensus_params"]["abci"]["vote_extensions_enable_height"] = json!("1");
        }
        g["consensus_params"]["block"]["max_gas"] =
            json!(pol_app::app::ChainParams::DEFAULT.max_block_gas.to_string());
    })
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut Value)) -> anyhow::Result<()> {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path)?)
        .with_context(|| format!("parsing {}", path.display()))?;
    edit(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v)?)?;
    Ok(())
}

/// Wait until something accepts TCP connections on 127.0.0.1:`port`.
async fn wait_for_port(port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
            .is_ok()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("nothing listens on 127.0.0.1:{port} after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The two chains

struct PolChain {
    // Field order matters: the process dies before `node` (and its temp home) goes.
    _pold: ProcGroup,
    log: PathBuf,
    node: Node,
    keys: Vec<SignerKey>,
    chain_id: String,
}

struct KvChain {
    rpc: RpcClient,
    // Field order matters: CometBFT dies before the app, then the directory goes.
    _comet: ProcGroup,
    _app: ProcGroup,
    comet_log: PathBuf,
    app_log: PathBuf,
    _dir: tempfile::TempDir,
}

/// simd runs CometBFT in its own process.
struct SimdChain {
    rpc: RpcClient,
    _simd: ProcGroup,
    log: PathBuf,
    keys: Vec<SignerKey>,
    _dir: tempfile::TempDir,
}

const SIMD_CHAIN_ID: &str = "simd-bench-1";

enum Chain {
    Pol(PolChain),
    Kv(KvChain),
    Simd(SimdChain),
}

/// `addr` with simd's bech32 prefix.
fn cosmos_address(key: &SignerKey) -> anyhow::Result<String> {
    let hrp = bech32::Hrp::parse("cosmos")?;
    Ok(bech32::encode::<bech32::Bech32>(hrp, &key.address().0)?)
}

/// Runs `simd <args> --home <home>`; its stdout, or an error with its output.
fn simd_cmd(simd: &Path, home: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(simd)
        .args(args)
        .arg("--home")
        .arg(home)
        .output()
        .with_context(|| format!("running {} (scripts/bench-chain builds it)", simd.display()))?;
    if !out.status.success() {
        bail!(
            "simd {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn simd_bin(args: &Args) -> PathBuf {
    args.simd
        .clone()
        .unwrap_or_else(|| pol_tests::repo_root().join(".tools/bin/simd"))
}

fn sender_key(i: usize) -> anyhow::Result<SignerKey> {
    let mut secret = [0x5au8; 32];
    secret[24..].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    SignerKey::from_bytes(&secret).map_err(|e| anyhow!(e))
}

impl Chain {
    async fn start(target: Target, args: &Args, settings: &CometSettings) -> anyhow::Result<Chain> {
        match target {
            Target::Pol => {
                let keys = (0..args.concurrency.max(1))
                    .map(sender_key)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let opts = ChainOptions {
                    chain_id: "pol-bench-1".into(),
                    timeout_commit: settings.timeout_commit.clone(),
                    accounts: keys
                        .iter()
                        .map(|k| (k.clone(), 1_000_000_000_000u128))
                        .collect(),
                    min_gas_price: "0.025upol".into(),
                    ..ChainOptions::default()
                };
                let node = Node::init(&opts).context("pold init")?;
                let p = node.ports.clone();
                patch_comet_home(&node.home, settings, p.rpc, p.p2p, p.abci)?;
                // Started here rather than with `Node::start` so that pold (and the CometBFT it
                // supervises) gets a parent-death signal too.
                let log = node.home.join("pold.log");
                let mut cmd = Command::new(pol_tests::pold_bin());
                cmd.arg("--home")
                    .arg(&node.home)
                    .arg("start")
                    .env("POLD_LOG", &args.pold_log)
                    .env("POL_COMETBFT", cometbft_bin());
                let pold = ProcGroup::spawn(cmd, "pold start", &log)?;
                let chain = PolChain {
                    _pold: pold,
                    log,
                    node,
                    keys,
                    chain_id: opts.chain_id,
                };
                if let Err(e) = chain
                    .node
                    .rpc
                    .wait_for_height(2, Duration::from_secs(60))
                    .await
                {
                    return Err(anyhow!(e).context(format!(
                        "pol chain did not reach height 2\n--- pold log ---\n{}",
                        tail(&chain.log, 40)
                    )));
                }
                eprintln!(
                    "[bench] pol: pold pid {}, home {}",
                    chain._pold.child.id(),
                    chain.node.home.display()
                );
                Ok(Chain::Pol(chain))
            }
            Target::Kvstore => {
                let dir = tempfile::Builder::new().prefix("pol-bench-kv-").tempdir()?;
                let home = dir.path().join("cometbft");
                let (rpc_port, p2p_port, abci_port) = (free_port(), free_port(), free_port());
                let status = Command::new(cometbft_bin())
                    .args(["init", "--home"])
                    .arg(&home)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .with_context(|| {
                        format!(
                            "running {} init (run scripts/setup)",
                            cometbft_bin().display()
                        )
                    })?;
                if !status.success() {
                    bail!("cometbft init failed with {status}");
                }
                patch_comet_home(&home, settings, rpc_port, p2p_port, abci_port)?;

                let abci_cli = args
                    .abci_cli
                    .clone()
                    .unwrap_or_else(|| pol_tests::repo_root().join(".tools/bin/abci-cli"));
                let app_log = dir.path().join("kvstore.log");
                let mut cmd = Command::new(&abci_cli);
                cmd.arg("kvstore")
                    .arg("--address")
                    .arg(format!("tcp://127.0.0.1:{abci_port}"))
                    .arg("--persist")
                    .arg(dir.path().join("kvstore-db"))
                    .arg("--log_level")
                    .arg("info");
                let mut app = ProcGroup::spawn(cmd, "abci-cli kvstore", &app_log)?;
                if let Err(e) = wait_for_port(abci_port, Duration::from_secs(20)).await {
                    app.check_alive().context(tail(&app_log, 20))?;
                    return Err(e.context(tail(&app_log, 20)));
                }

                let comet_log = dir.path().join("cometbft.log");
                let mut cmd = Command::new(cometbft_bin());
                cmd.arg("start")
                    .arg("--home")
                    .arg(&home)
                    .arg("--proxy_app")
                    .arg(format!("tcp://127.0.0.1:{abci_port}"));
                let comet = ProcGroup::spawn(cmd, "cometbft start", &comet_log)?;
                let rpc = RpcClient::new(&format!("http://127.0.0.1:{rpc_port}"));
                let chain = KvChain {
                    rpc,
                    _comet: comet,
                    _app: app,
                    comet_log,
                    app_log,
                    _dir: dir,
                };
                if let Err(e) = chain.rpc.wait_for_height(2, Duration::from_secs(60)).await {
                    return Err(anyhow!(e).context(format!(
                        "kvstore chain did not reach height 2\n--- cometbft log ---\n{}\n--- kvstore log ---\n{}",
                        tail(&chain.comet_log, 30),
                        tail(&chain.app_log, 10)
                    )));
                }
                Ok(Chain::Kv(chain))
            }
            Target::Simd => {
                let simd = simd_bin(args);
                let keys = (0..args.concurrency.max(1))
                    .map(sender_key)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let dir = tempfile::Builder::new()
                    .prefix("pol-bench-simd-")
                    .tempdir()?;
                let home = dir.path().join("simd");
                let run = |a: &[&str]| simd_cmd(&simd, &home, a);
                run(&["init", "bench", "--chain-id", SIMD_CHAIN_ID])?;
                run(&["keys", "add", "val", "--keyring-backend", "test"])?;
                run(&[
                    "add-genesis-account",
                    "val",
                    "1000000000000stake",
                    "--keyring-backend",
                    "test",
                ])?;
                for key in &keys {
                    run(&[
                        "add-genesis-account",
                        &cosmos_address(key)?,
                        "1000000000000stake",
                    ])?;
                }
                run(&[
                    "gentx",
                    "val",
                    "100000000stake",
                    "--chain-id",
                    SIMD_CHAIN_ID,
                    "--keyring-backend",
                    "test",
                ])?;
                run(&["collect-gentxs"])?;
                let (rpc_port, p2p_port) = (free_port(), free_port());
                // The ABCI port is unused: simd runs its app in process.
                patch_comet_home(&home, settings, rpc_port, p2p_port, free_port())?;
                // The same fee floor as pol's (0.025 per gas); no API, gRPC or gRPC-web
                // servers (pol's gRPC is on, which only costs it idle listeners).
                let app_toml = home.join("config/app.toml");
                let mut doc: toml_edit::DocumentMut =
                    std::fs::read_to_string(&app_toml)?.parse()?;
                doc["minimum-gas-prices"] = toml_edit::value("0.025stake");
                doc["api"]["enable"] = toml_edit::value(false);
                doc["grpc"]["enable"] = toml_edit::value(false);
                doc["grpc-web"]["enable"] = toml_edit::value(false);
                std::fs::write(&app_toml, doc.to_string())?;

                let log = dir.path().join("simd.log");
                let mut cmd = Command::new(&simd);
                cmd.arg("start").arg("--home").arg(&home);
                let proc = ProcGroup::spawn(cmd, "simd start", &log)?;
                let chain = SimdChain {
                    rpc: RpcClient::new(&format!("http://127.0.0.1:{rpc_port}")),
                    _simd: proc,
                    log,
                    keys,
                    _dir: dir,
                };
                if let Err(e) = chain.rpc.wait_for_height(2, Duration::from_secs(60)).await {
                    return Err(anyhow!(e).context(format!(
                        "simd chain did not reach height 2\n--- simd log ---\n{}",
                        tail(&chain.log, 30)
                    )));
                }
                Ok(Chain::Simd(chain))
            }
        }
    }

    fn rpc(&self) -> &RpcClient {
        match self {
            Chain::Pol(p) => &p.node.rpc,
            Chain::Kv(k) => &k.rpc,
            Chain::Simd(s) => &s.rpc,
        }
    }

    fn log_tail(&self) -> String {
        match self {
            Chain::Pol(p) => tail(&p.log, 40),
            Chain::Kv(k) => format!(
                "--- cometbft ---\n{}\n--- kvstore ---\n{}",
                tail(&k.comet_log, 30),
                tail(&k.app_log, 10)
            ),
            Chain::Simd(s) => tail(&s.log, 40),
        }
    }

    /// `n` txs split over `workers` lanes; each lane is submitted in order by one worker.
    async fn build_txs(
        &self,
        n: usize,
        workers: usize,
        pol_tx_len: usize,
        tag: &str,
    ) -> anyhow::Result<Vec<Vec<Vec<u8>>>> {
        let workers = workers.max(1);
        let per_lane = |lane: usize| n / workers + usize::from(lane < n % workers);
        match self {
            Chain::Pol(p) => {
                let mut lanes = Vec::with_capacity(workers);
                let to_other = p.keys.len() > 1;
                let sink = sender_key(1_000_000)?.address();
                for (lane, key) in p.keys.iter().enumerate().take(workers) {
                    let mut w = Wallet::load(&p.node.rpc, key.clone(), &p.chain_id)
                        .await
                        .with_context(|| format!("loading account {lane}"))?;
                    let to = if to_other {
                        p.keys[(lane + 1) % p.keys.len()].address()
                    } else {
                        sink
                    };
                    let mut txs = Vec::with_capacity(per_lane(lane));
                    for _ in 0..per_lane(lane) {
                        txs.push(w.send_tx(&to, 1, DEFAULT_FEE));
                        w.sequence += 1;
                    }
                    lanes.push(txs);
                }
                Ok(lanes)
            }
            Chain::Simd(c) => {
                // The same bank sends, signed the same way (SIGN_MODE_DIRECT, secp256k1),
                // with simd's prefix and denom.
                use cosmos_sdk_proto::cosmos::auth::v1beta1::{
                    BaseAccount, QueryAccountRequest, QueryAccountResponse,
                };
                use prost::Message as _;
                let mut lanes = Vec::with_capacity(workers);
                let coin = |amount: u128| cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                    denom: "stake".into(),
                    amount: amount.to_string(),
                };
                for (lane, key) in c.keys.iter().enumerate().take(workers) {
                    let from = cosmos_address(key)?;
                    let r: QueryAccountResponse = c
                        .rpc
                        .query(
                            "/cosmos.auth.v1beta1.Query/Account",
                            &QueryAccountRequest {
                                address: from.clone(),
                            },
                            0,
                        )
                        .await
                        .with_context(|| format!("simd account {from}"))?;
                    let account = BaseAccount::decode(
                        r.account
                            .context("simd answered no account")?
                            .value
                            .as_slice(),
                    )?;
                    // As pol's lanes: to the next sender, or to a sink when there is one.
                    let to = if c.keys.len() > 1 {
                        cosmos_address(&c.keys[(lane + 1) % c.keys.len()])?
                    } else {
                        cosmos_address(&sender_key(1_000_000)?)?
                    };
                    let send = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
                        from_address: from,
                        to_address: to,
                        amount: vec![coin(1)],
                    };
                    let any = pol_client::any("/cosmos.bank.v1beta1.MsgSend", &send);
                    let mut txs = Vec::with_capacity(per_lane(lane));
                    for i in 0..per_lane(lane) {
                        txs.push(pol_client::sign_tx(
                            key,
                            vec![any.clone()],
                            "",
                            vec![coin(DEFAULT_FEE)],
                            DEFAULT_GAS,
                            SIMD_CHAIN_ID,
                            account.account_number,
                            account.sequence + i as u64,
                        ));
                    }
                    lanes.push(txs);
                }
                Ok(lanes)
            }
            Chain::Kv(_) => {
                let mut lanes = Vec::with_capacity(workers);
                for lane in 0..workers {
                    let mut txs = Vec::with_capacity(per_lane(lane));
                    for i in 0..per_lane(lane) {
                        let mut tx = format!("bench-{tag}-{lane}-{i}=").into_bytes();
                        // Pad the value so that both chains carry the same bytes per tx.
                        let len = pol_tx_len.max(tx.len() + 1);
                        tx.resize(len, b'v');
                        txs.push(tx);
                    }
                    lanes.push(txs);
                }
                Ok(lanes)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Measurements

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Polls `status` and records when each height was first seen committed.
struct HeightWatcher {
    seen: Arc<Mutex<BTreeMap<u64, Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

impl HeightWatcher {
    fn start(rpc: RpcClient, limit: Duration) -> HeightWatcher {
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let s = seen.clone();
        let task = tokio::spawn(async move {
            let deadline = Instant::now() + limit;
            let mut last = 0u64;
            while Instant::now() < deadline {
                if let Ok(h) = rpc.latest_height().await {
                    if h > last {
                        let now = Instant::now();
                        let mut map = s.lock().unwrap_or_else(|e| e.into_inner());
                        // Heights skipped between two polls share the instant they were noticed.
                        for x in (last + 1).max(h.saturating_sub(10_000))..=h {
                            map.entry(x).or_insert(now);
                        }
                        last = h;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        HeightWatcher { seen, task }
    }

    fn get(&self, h: u64) -> Option<Instant> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&h)
            .copied()
    }

    fn latest(&self) -> Option<(u64, Instant)> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .next_back()
            .map(|(h, t)| (*h, *t))
    }

    async fn wait_for(&self, h: u64, deadline: Instant) -> anyhow::Result<Instant> {
        loop {
            if let Some(t) = self.get(h) {
                return Ok(t);
            }
            if Instant::now() > deadline || self.task.is_finished() {
                bail!("height {h} not committed in time");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for HeightWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Blocks per second over about `window` of idle chain, edge to edge of block commits.
async fn idle_rate(rpc: &RpcClient, window: Duration) -> anyhow::Result<f64> {
    let watcher = HeightWatcher::start(rpc.clone(), window + Duration::from_secs(30));
    let deadline = Instant::now() + window + Duration::from_secs(25);
    // Align on a fresh commit.
    let (h_seen, _) = loop {
        if let Some(x) = watcher.latest() {
            break x;
        }
        if Instant::now() > deadline {
            bail!("no height seen");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let t0 = watcher.wait_for(h_seen + 1, deadline).await?;
    tokio::time::sleep_until((t0 + window).into()).await;
    let (h_now, _) = watcher.latest().context("no height")?;
    let t1 = watcher.wait_for(h_now + 1, deadline).await?;
    Ok((h_now + 1 - (h_seen + 1)) as f64 / (t1 - t0).as_secs_f64())
}

#[derive(Clone, Debug, Default)]
struct LoadResult {
    accepted: usize,
    committed_tps: f64,
    submit_tps: f64,
    load_bps: f64,
    txs_per_block: f64,
    max_txs_per_block: usize,
    blocks: u64,
    mean_gas_used: f64,
    /// From the last CheckTx-accepted submit to the commit of the block holding the last tx.
    drain_secs: f64,
}

fn is_mempool_full(e: &RpcError) -> bool {
    matches!(e, RpcError::Rpc { msg, .. } if msg.contains("mempool is full"))
}

async fn submit_lane(
    rpc: RpcClient,
    txs: Vec<Vec<u8>>,
    deadline: Instant,
) -> anyhow::Result<usize> {
    let mut accepted = 0;
    for (i, tx) in txs.iter().enumerate() {
        let mut attempts = 0;
        loop {
            if Instant::now() > deadline {
                bail!("submission timed out at tx {i} of lane");
            }
            match rpc.broadcast_tx_sync(tx).await {
                Ok(r) if r.code == 0 => {
                    accepted += 1;
                    break;
                }
                Ok(r) => bail!(
                    "CheckTx rejected tx {i} of lane: code {} ({}) {}",
                    r.code,
                    r.codespace,
                    r.log
                ),
                Err(e) if is_mempool_full(&e) && attempts < 500 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => {
                    return Err(anyhow!(e).context(format!("broadcast_tx_sync of tx {i} of lane")))
                }
            }
        }
    }
    Ok(accepted)
}

async fn run_load(
    rpc: &RpcClient,
    lanes: Vec<Vec<Vec<u8>>>,
    check_codes: bool,
    timeout: Duration,
) -> anyhow::Result<LoadResult> {
    let deadline = Instant::now() + timeout;
    let h_start = rpc.latest_height().await?;
    let watcher = HeightWatcher::start(rpc.clone(), timeout + Duration::from_secs(5));

    let t0 = Instant::now();
    let tasks: Vec<_> = lanes
        .into_iter()
        .map(|txs| tokio::spawn(submit_lane(rpc.clone(), txs, deadline)))
        .collect();
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await.context("submit worker panicked")??;
    }
    let t_submitted = Instant::now();

    // Scan committed blocks from the start height until every accepted tx is in one.
    let mut committed = 0usize;
    let mut h = h_start;
    let mut max_per_block = 0usize;
    let mut gas_used = 0u128;
    while committed < accepted {
        h += 1;
        watcher
            .wait_for(h, deadline)
            .await
            .with_context(|| format!("{committed}/{accepted} txs committed"))?;
        let r = block_results(rpc, h, deadline).await?;
        let all = match &r["txs_results"] {
            Value::Null => Vec::new(),
            Value::Array(a) => a.clone(),
            other => bail!("block_results {h}: txs_results is not a list: {other}"),
        };
        // pol blocks open with the proposer's latency report (vote extensions are on): it
        // is not one of the load's txs.
        let txs = rpc
            .block_txs(h)
            .await
            .with_context(|| format!("block {h}"))?;
        let results: Vec<Value> = all
            .into_iter()
            .zip(
                txs.iter()
                    .map(|t| pol_latency::is_injected(t))
                    .chain(std::iter::repeat(false)),
            )
            .filter(|(_, injected)| !injected)
            .map(|(r, _)| r)
            .collect();
        for (i, res) in results.iter().enumerate() {
            let code = as_u64(&res["code"]).unwrap_or(0);
            if check_codes && code != 0 {
                bail!(
                    "block {h} tx {i}: code {code}: {}",
                    res["log"].as_str().unwrap_or("")
                );
            }
            gas_used += u128::from(as_u64(&res["gas_used"]).unwrap_or(0));
        }
        committed += results.len();
        max_per_block = max_per_block.max(results.len());
    }
    if committed != accepted {
        bail!("{committed} txs committed but {accepted} were accepted");
    }
    let h_last = h;
    let t_end = watcher.get(h_last).context("last height not seen")?;
    let span = (t_end - t0).as_secs_f64();
    let blocks = h_last - h_start;
    // Block rate between the first commit after submission began and the last tx's commit.
    let load_bps = match watcher.get(h_start + 1) {
        Some(t1) if h_last > h_start + 1 && t_end > t1 => {
            (h_last - h_start - 1) as f64 / (t_end - t1).as_secs_f64()
        }
        _ => blocks as f64 / span,
    };
    Ok(LoadResult {
        accepted,
        committed_tps: accepted as f64 / span,
        submit_tps: accepted as f64 / (t_submitted - t0).as_secs_f64(),
        load_bps,
        txs_per_block: accepted as f64 / blocks.max(1) as f64,
        max_txs_per_block: max_per_block,
        blocks,
        mean_gas_used: gas_used as f64 / accepted.max(1) as f64,
        drain_secs: t_end.saturating_duration_since(t_submitted).as_secs_f64(),
    })
}

#[derive(Clone, Debug)]
struct Sample {
    idle_bps: f64,
    load: LoadResult,
    tx_len: usize,
}

async fn measure(
    target: Target,
    rep: usize,
    args: &Args,
    settings: &CometSettings,
    pol_tx_len: usize,
) -> anyhow::Result<Sample> {
    let t = Instant::now();
    let chain = Chain::start(target, args, settings).await?;
    let result = async {
        let lanes = chain
            .build_txs(args.txs, args.concurrency, pol_tx_len, &rep.to_string())
            .await?;
        let tx_len = lanes.iter().flatten().next().map_or(0, Vec::len);
        let idle_bps = idle_rate(chain.rpc(), Duration::from_secs_f64(args.idle_secs))
            .await
            .context("idle window")?;
        let load = run_load(
            chain.rpc(),
            lanes,
            target != Target::Kvstore,
            Duration::from_secs(args.load_timeout_secs),
        )
        .await
        .context("load")?;
        anyhow::Ok(Sample {
            idle_bps,
            load,
            tx_len,
        })
    }
    .await;
    match result {
        Ok(s) => {
            eprintln!(
                "[bench] rep {} {:<7} idle {:6.2} blk/s | load: {} txs, {:8.1} tx/s committed, {:8.1} tx/s CheckTx-accepted, {:6.2} blk/s, {:6.1} tx/blk (max {}), {} blocks, drain {:.2}s | {:.1}s",
                rep + 1,
                target.name(),
                s.idle_bps,
                s.load.accepted,
                s.load.committed_tps,
                s.load.submit_tps,
                s.load.load_bps,
                s.load.txs_per_block,
                s.load.max_txs_per_block,
                s.load.blocks,
                s.load.drain_secs,
                t.elapsed().as_secs_f64()
            );
            Ok(s)
        }
        Err(e) => Err(e.context(format!(
            "{} rep {}; node log tail:\n{}",
            target.name(),
            rep + 1,
            chain.log_tail()
        ))),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `bin arg`'s output (stdout, or stderr where the tool prints there, as simd does).
fn tool_version(bin: &Path, arg: &str) -> String {
    Command::new(bin)
        .arg(arg)
        .output()
        .ok()
        .map(|o| {
            let out = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if out.is_empty() {
                String::from_utf8_lossy(&o.stderr).trim().to_string()
            } else {
                out
            }
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".into())
}

async fn run(args: Args) -> anyhow::Result<()> {
    if args.txs == 0 || args.repeats == 0 || args.concurrency == 0 {
        bail!("--txs, --repeats and --concurrency must be positive");
    }
    if args.txs > args.mempool_size {
        eprintln!("[bench] note: --txs {} exceeds --mempool-size {}; submitters retry on \"mempool is full\"", args.txs, args.mempool_size);
    }
    let targets: Vec<Target> = match args.only.as_deref() {
        None if simd_bin(&args).exists() => vec![Target::Pol, Target::Kvstore, Target::Simd],
        None => {
            eprintln!(
                "[bench] no simd at {} (scripts/bench-chain builds it): pol and kvstore only",
                simd_bin(&args).display()
            );
            vec![Target::Pol, Target::Kvstore]
        }
        Some("pol") => vec![Target::Pol],
        Some("kvstore") => vec![Target::Kvstore],
        Some("simd") => vec![Target::Simd],
        Some(o) => bail!("--only takes pol, kvstore or simd, not {o:?}"),
    };
    let settings = CometSettings {
        timeout_commit: args.timeout_commit.clone(),
        mempool_size: args.mempool_size,
    };
    // Size of one pol send (kvstore txs are padded to it); key material is fixed, so this is exact.
    let pol_tx_len = {
        let w = Wallet {
            key: sender_key(0)?,
            account_number: 0,
            sequence: 0,
            chain_id: "pol-bench-1".into(),
        };
        w.send_tx(&sender_key(1)?.address(), 1, DEFAULT_FEE).len()
    };
    let started = Instant::now();
    let mut samples: BTreeMap<&'static str, Vec<Sample>> = BTreeMap::new();
    for rep in 0..args.repeats {
        // Each repetition starts with another target, so none always runs first.
        let mut order = targets.clone();
        order.rotate_left(rep % targets.len());
        for &target in &order {
            let s = measure(target, rep, &args, &settings, pol_tx_len).await?;
            samples.entry(target.name()).or_default().push(s);
        }
    }

    // ---- table
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "bench-chain: 1 validator, timeout_commit {}, mempool.size {}, {} txs x {} repeats (medians), {} submitters, {} cores, {:.0}s total",
        args.timeout_commit,
        args.mempool_size,
        args.txs,
        args.repeats,
        args.concurrency,
        cores,
        started.elapsed().as_secs_f64()
    );
    println!(
        "cometbft {}; kvstore = abci-cli kvstore --persist (goleveldb){}",
        tool_version(&cometbft_bin(), "version"),
        if samples.contains_key("simd") {
            format!(
                "; simd = Cosmos SDK {} simapp (embeds CometBFT 0.34.29; goleveldb)",
                // simd built from the module proxy prints no version of its own.
                std::env::var("POL_SIMD_VERSION").unwrap_or_else(|_| "?".into())
            )
        } else {
            String::new()
        }
    );
    let tx_len = |name: &str| {
        samples
            .get(name)
            .and_then(|v| v.first())
            .map_or(0, |s| s.tx_len)
    };
    let gas = |name: &str| {
        median(
            samples
                .get(name)
                .map(|v| v.iter().map(|s| s.load.mean_gas_used).collect())
                .unwrap_or_default(),
        )
    };
    // One clause per chain that ran.
    let sizes: Vec<String> = [
        ("pol", format!("pol bank send {} B (gas limit {DEFAULT_GAS}, fee {DEFAULT_FEE}upol, mean gas used {:.0})", tx_len("pol"), gas("pol"))),
        ("kvstore", format!("kvstore key=value {} B", tx_len("kvstore"))),
        ("simd", format!("simd bank send {} B (fee {DEFAULT_FEE}stake, mean gas used {:.0})", tx_len("simd"), gas("simd"))),
    ]
    .into_iter()
    .filter(|(name, _)| samples.contains_key(name))
    .map(|(_, clause)| clause)
    .collect();
    println!("tx size: {}", sizes.join(", "));
    println!();
    type Metric = (&'static str, fn(&Sample) -> f64, usize);
    let metrics: [Metric; 6] = [
        ("idle blocks/s", |s| s.idle_bps, 2),
        ("load: committed tx/s", |s| s.load.committed_tps, 1),
        (
            "load: CheckTx-accepted tx/s (submit)",
            |s| s.load.submit_tps,
            1,
        ),
        ("load: blocks/s", |s| s.load.load_bps, 2),
        ("load: mean txs/block", |s| s.load.txs_per_block, 1),
        (
            "load: max txs/block",
            |s| s.load.max_txs_per_block as f64,
            0,
        ),
    ];
    println!(
        "| {:<38} | {:>10} | {:>10} | {:>10} | {:>11} | {:>9} |",
        "metric (median)", "pol", "kvstore", "simd", "pol/kvstore", "pol/simd"
    );
    println!(
        "|{:-<40}|{:->12}|{:->12}|{:->12}|{:->13}|{:->11}|",
        "", "", "", "", "", ""
    );
    for (name, f, prec) in metrics {
        let med = |t: &str| samples.get(t).map(|v| median(v.iter().map(f).collect()));
        let (p, k, d) = (med("pol"), med("kvstore"), med("simd"));
        let cell = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.prec$}"));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.3}", a / b),
            _ => "-".into(),
        };
        println!(
            "| {:<38} | {:>10} | {:>10} | {:>10} | {:>11} | {:>9} |",
            name,
            cell(p),
            cell(k),
            cell(d),
            ratio(p, k),
            ratio(p, d)
        );
    }
    println!();
    for (name, v) in &samples {
        let per: Vec<String> = v
            .iter()
            .map(|s| format!("{:.0}", s.load.committed_tps))
            .collect();
        println!("{name} committed tx/s per repeat: {}", per.join(", "));
    }
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Dropping `run` on a signal drops every node guard, which kills their process groups.
    tokio::select! {
        r = run(args) => r,
        _ = shutdown_signal() => bail!("interrupted; nodes stopped"),
    }
}

/// A block's results: CometBFT reports a height as the latest a moment before it has saved
/// its results, so a miss right at the tip is retried until `deadline`.
async fn block_results(rpc: &RpcClient, h: u64, deadline: Instant) -> anyhow::Result<Value> {
    loop {
        match rpc
            .call("block_results", json!({"height": h.to_string()}))
            .await
        {
            Ok(r) => return Ok(r),
            Err(RpcError::Rpc { msg, .. })
                if msg.contains("could not find results") && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(anyhow!(e).context(format!("block_results {h}"))),
        }
    }
}
