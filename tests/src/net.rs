//! A multi-validator network on loopback: each validator a `pold start` (with its CometBFT)
//! in its own home and process group, all bonded at genesis through gentxs, peered by the
//! gentx memos — the way operators bootstrap a real chain.
//!
//! [`Network::init`] builds it in a temporary directory on free ports (tests);
//! [`Network::init_in`] keeps the homes under a directory of the caller's, which
//! [`Network::open`] reopens later (the same chain resumes); with
//! [`NetworkOptions::fixed_addresses`] validator `i` listens on `127.0.0.(i+1)` with the
//! standard ports (the local network of `scripts/localnet`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use pol_client::{RpcClient, SignerKey};

use crate::{cometbft_bin, pold, Node, Ports, VALIDATOR_FUNDS, VALIDATOR_OPERATOR};

/// An edit of genesis.json (module params) before it is shared.
pub type GenesisEdit = Box<dyn Fn(&mut serde_json::Value)>;
/// An edit of validator `i`'s app.toml.
pub type AppConfigEdit = Box<dyn Fn(usize, &mut pol_app::config::AppConfig)>;

pub struct NetworkOptions {
    pub validators: usize,
    pub chain_id: String,
    pub timeout_commit: String,
    /// Accounts funded at genesis.
    pub accounts: Vec<(SignerKey, u128)>,
    /// Each validator's self-bond (equal powers by default).
    pub self_bonds: Vec<u128>,
    /// Keys created in validator 0's keyring and funded at genesis (e.g. providers whose
    /// workers sign with them): (name, upol).
    pub keyring_accounts: Vec<(String, u128)>,
    /// Edits to genesis.json (module params) before it is shared.
    pub genesis: Option<GenesisEdit>,
    /// Edits to validator `i`'s app.toml.
    pub app_config: Option<AppConfigEdit>,
    /// Validator `i` on `127.0.0.(i+1)` with the standard ports (RPC 26657, P2P 26656,
    /// ABCI 26658, gRPC 9090, metrics 26660) instead of free ports on 127.0.0.1.
    pub fixed_addresses: bool,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            validators: 4,
            chain_id: "pol-net-1".into(),
            timeout_commit: "300ms".into(),
            accounts: Vec::new(),
            self_bonds: Vec::new(),
            keyring_accounts: Vec::new(),
            genesis: None,
            app_config: None,
            fixed_addresses: false,
        }
    }
}

pub struct Network {
    pub nodes: Vec<Node>,
    /// The IP address every validator listens on (same order as `nodes`).
    pub hosts: Vec<String>,
    pub root: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

/// The ports of validator `i` of a network with fixed addresses (on `127.0.0.(i+1)`).
pub fn standard_ports() -> Ports {
    Ports {
        rpc: 26657,
        p2p: 26656,
        abci: 26658,
        grpc: 9090,
        metrics: 26660,
    }
}

/// The IP address of validator `i` of a network with fixed addresses.
pub fn fixed_host(i: usize) -> String {
    format!("127.0.0.{}", i + 1)
}

/// File written into the root once every home is initialised: [`Network::open`] refuses a
/// root without it (an initialisation that was interrupted).
pub const INITIALISED_MARKER: &str = "network.initialised";

impl Network {
    /// Initialise every validator's home in a temporary directory, on free ports (nothing
    /// started; everything is removed when the network drops).
    pub fn init(opts: NetworkOptions) -> anyhow::Result<Network> {
        let dir = tempfile::Builder::new().prefix("pol-net-").tempdir()?;
        let root = dir.path().to_path_buf();
        let mut net = Self::init_at(root, opts)?;
        net._dir = Some(dir);
        Ok(net)
    }

    /// Initialise every validator's home under `root` (created if missing; it must not
    /// already hold a network), kept when the network drops; [`Network::open`] reopens it.
    pub fn init_in(root: PathBuf, opts: NetworkOptions) -> anyhow::Result<Network> {
        anyhow::ensure!(
            !root.join("val0").exists(),
            "{} already holds a network (open it, or remove it first)",
            root.display()
        );
        std::fs::create_dir_all(&root)?;
        let net = Self::init_at(root, opts)?;
        std::fs::write(net.root.join(INITIALISED_MARKER), b"")?;
        Ok(net)
    }

    /// Whether `root` holds a network that [`Network::init_in`] finished initialising.
    pub fn is_initialised(root: &Path) -> bool {
        root.join(INITIALISED_MARKER).exists() && root.join("val0").is_dir()
    }

    /// Reopen a network made by [`Network::init_in`] (nothing started): its homes
    /// `val0`, `val1`, … under `root`, their addresses read back from each home's
    /// config.toml and app.toml. Starting it resumes the same chain.
    pub fn open(root: PathBuf) -> anyhow::Result<Network> {
        anyhow::ensure!(
            Self::is_initialised(&root),
            "{} holds no initialised network",
            root.display()
        );
        let mut nodes = Vec::new();
        let mut hosts = Vec::new();
        for i in 0.. {
            let home = root.join(format!("val{i}"));
            if !home.join("config").join("genesis.json").exists() {
                break;
            }
            let (host, ports) = read_addresses(&home)
                .with_context(|| format!("reading the addresses of {}", home.display()))?;
            nodes.push(node_at(home, &host, ports));
            hosts.push(host);
        }
        Ok(Network {
            nodes,
            hosts,
            root,
            _dir: None,
        })
    }

    /// Validator `i`'s pold gRPC address, `host:port`.
    pub fn grpc_addr(&self, i: usize) -> String {
        format!("{}:{}", self.hosts[i], self.nodes[i].ports.grpc)
    }

    /// Validator `i`'s CometBFT RPC, `http://host:port`.
    pub fn rpc_url(&self, i: usize) -> String {
        format!("http://{}:{}", self.hosts[i], self.nodes[i].ports.rpc)
    }

    fn init_at(root: PathBuf, opts: NetworkOptions) -> anyhow::Result<Network> {
        let gentx_dir = root.join("gentx");
        std::fs::create_dir_all(&gentx_dir)?;
        let mut nodes = Vec::new();
        let mut hosts = Vec::new();
        let mut operators = Vec::new();
        for i in 0..opts.validators {
            let home = root.join(format!("val{i}"));
            let (host, ports) = if opts.fixed_addresses {
                (fixed_host(i), standard_ports())
            } else {
                ("127.0.0.1".to_string(), Ports::pick())
            };
            pold_init(
                &home,
                &format!("val{i}"),
                &opts.chain_id,
                &host,
                &ports,
                &opts.timeout_commit,
            )?;
            let mut cfg = pol_app::config::AppConfig::load(&home)?;
            cfg.cometbft_binary = cometbft_bin().display().to_string();
            cfg.keep_recent_heights = 0;
            // Probes of the default model are perturbed real digits.
            cfg.probe.corpus.insert(
                crate::worker::MODEL.to_string(),
                crate::repo_root().join("inference/models/digits-test-vectors.bin"),
            );
            if let Some(edit) = &opts.app_config {
                edit(i, &mut cfg);
            }
            cfg.save(&home)?;
            pold(&home, &["keys", "add", VALIDATOR_OPERATOR])?;
            let operator = pold(&home, &["keys", "show", VALIDATOR_OPERATOR, "-a"])?
                .trim()
                .to_string();
            pold(
                &home,
                &[
                    "genesis",
                    "add-account",
                    &operator,
                    &format!("{VALIDATOR_FUNDS}upol"),
                ],
            )?;
            let bond = opts
                .self_bonds
                .get(i)
                .copied()
                .unwrap_or(crate::VALIDATOR_SELF_BOND);
            pold(
                &home,
                &[
                    "genesis",
                    "gentx",
                    VALIDATOR_OPERATOR,
                    &format!("{bond}upol"),
                    "--output",
                    &gentx_dir
                        .join(format!("gentx-{operator}.json"))
                        .display()
                        .to_string(),
                ],
            )?;
            operators.push(operator);
            nodes.push(node_at(home, &host, ports));
            hosts.push(host);
        }
        // One genesis: validator 0's, with every operator and test account funded.
        let home0 = nodes[0].home.clone();
        for operator in &operators[1..] {
            pold(
                &home0,
                &[
                    "genesis",
                    "add-account",
                    operator,
                    &format!("{VALIDATOR_FUNDS}upol"),
                ],
            )?;
        }
        for (key, amount) in &opts.accounts {
            pold(
                &home0,
                &[
                    "genesis",
                    "add-account",
                    &key.address().to_string(),
                    &format!("{amount}upol"),
                ],
            )?;
        }
        for (name, amount) in &opts.keyring_accounts {
            pold(&home0, &["keys", "add", name])?;
            pold(
                &home0,
                &["genesis", "add-account", name, &format!("{amount}upol")],
            )?;
        }
        let genesis0 = home0.join("config").join("genesis.json");
        if let Some(edit) = &opts.genesis {
            let mut g: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&genesis0)?)?;
            edit(&mut g);
            std::fs::write(&genesis0, serde_json::to_string_pretty(&g)?)?;
        }
        let shared = std::fs::read(&genesis0)?;
        // Every validator collects the same gentxs into the same genesis (and gets its
        // peers from their memos).
        let gentx_arg = gentx_dir.display().to_string();
        for node in &nodes {
            std::fs::write(node.home.join("config").join("genesis.json"), &shared)?;
            pold(
                &node.home,
                &["genesis", "collect-gentxs", "--gentx-dir", &gentx_arg],
            )
            .with_context(|| format!("collect-gentxs in {}", node.home.display()))?;
        }
        Ok(Network {
            nodes,
            hosts,
            root,
            _dir: None,
        })
    }

    /// A second node that signs with validator `i`'s consensus key: a double-signer. It
    /// has its own home (`val{i}-twin`), ports, node key and signing state, the same
    /// genesis and peers, and joins `nodes` (so it is started, waited for and stopped with
    /// the rest). Returns its index. Both sign; whenever they see different blocks or
    /// proposals (each proposes its own at `i`'s turns), CometBFT's peers catch the
    /// conflicting votes as evidence.
    pub fn add_twin(&mut self, i: usize) -> anyhow::Result<usize> {
        let original = self.nodes[i].home.clone();
        let home = self.root.join(format!("val{i}-twin"));
        let host = self.hosts[i].clone();
        let ports = Ports::pick();
        let genesis = original.join("config").join("genesis.json");
        let g: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&genesis)?)?;
        let config: toml_edit::DocumentMut =
            std::fs::read_to_string(original.join("config").join("config.toml"))?.parse()?;
        let timeout_commit = config["consensus"]["timeout_commit"]
            .as_str()
            .context("timeout_commit in config.toml")?
            .to_string();
        pold_init(
            &home,
            &format!("val{i}-twin"),
            g["chain_id"].as_str().context("chain_id in genesis.json")?,
            &host,
            &ports,
            &timeout_commit,
        )?;
        let mut cfg = pol_app::config::AppConfig::load(&home)?;
        cfg.cometbft_binary = cometbft_bin().display().to_string();
        cfg.keep_recent_heights = 0;
        cfg.save(&home)?;
        std::fs::copy(&genesis, home.join("config").join("genesis.json"))?;
        std::fs::copy(
            original.join("config").join("priv_validator_key.json"),
            home.join("config").join("priv_validator_key.json"),
        )?;
        // The original's peers: every other validator.
        let peers = config["p2p"]["persistent_peers"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let twin_config = home.join("config").join("config.toml");
        let mut doc: toml_edit::DocumentMut = std::fs::read_to_string(&twin_config)?.parse()?;
        doc["p2p"]["persistent_peers"] = toml_edit::value(peers);
        std::fs::write(&twin_config, doc.to_string())?;
        self.nodes.push(node_at(home, &host, ports));
        self.hosts.push(host);
        Ok(self.nodes.len() - 1)
    }

    pub fn start(&mut self) -> anyhow::Result<()> {
        for n in &mut self.nodes {
            n.start()?;
        }
        Ok(())
    }

    /// Every running validator has committed `height`.
    pub async fn wait_for_height(&self, height: u64, timeout: Duration) -> anyhow::Result<()> {
        for n in &self.nodes {
            if n.pid().is_some() {
                n.wait_for_height(height, timeout).await?;
            }
        }
        Ok(())
    }

    /// Checks that every running validator reached `up_to` (a validator whose state
    /// diverged halts, so one left behind fails here) and that each one's own app returned
    /// the same app hash from FinalizeBlock at every height from 1 to `up_to` (block
    /// results, not headers: headers are agreed by consensus and would match anyway).
    /// Returns how many heights were compared.
    pub async fn assert_app_hashes_agree(&self, up_to: u64) -> anyhow::Result<u64> {
        let running: Vec<(usize, &Node)> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.pid().is_some())
            .collect();
        anyhow::ensure!(!running.is_empty(), "no validator is running");
        for (i, n) in &running {
            n.rpc
                .wait_for_height(up_to, Duration::from_secs(60))
                .await
                .map_err(|e| anyhow::anyhow!("validator {i} never reached height {up_to}: {e}"))?;
        }
        for h in 1..=up_to {
            let (i0, n0) = running[0];
            let first = n0.rpc.finalized_app_hash(h).await?;
            anyhow::ensure!(
                first.len() == 32,
                "validator {i0}: app hash at height {h} is {} bytes",
                first.len()
            );
            for (i, n) in running.iter().skip(1) {
                let other = n.rpc.finalized_app_hash(h).await?;
                anyhow::ensure!(
                    other == first,
                    "app hash at height {h} differs: validator {i0} {} vs validator {i} {}",
                    hex::encode(&first),
                    hex::encode(&other)
                );
            }
        }
        Ok(up_to)
    }

    pub fn stop_all(&mut self) {
        for n in &mut self.nodes {
            if n.pid().is_some() {
                let _ = n.stop();
            }
        }
    }

    /// The clean shutdown of every running validator at once: SIGTERM to every pold (each
    /// stops its CometBFT), then wait up to `grace` for all of them; a validator still
    /// running after that is killed with its whole process group. Returns the validators
    /// that had to be killed. Leaves no process of any validator behind.
    pub fn shutdown(&mut self, grace: Duration) -> Vec<usize> {
        for n in &self.nodes {
            if let Some(pid) = n.pid() {
                unsafe { libc::kill(pid as i32, libc::SIGTERM) };
            }
        }
        let deadline = std::time::Instant::now() + grace;
        let mut killed = Vec::new();
        loop {
            let mut running = false;
            for n in &mut self.nodes {
                if let Some(c) = n.child.as_mut() {
                    match c.try_wait() {
                        Ok(None) => running = true,
                        _ => {
                            // pold is gone; sweep anything left in its process group
                            // (its CometBFT dies with it anyway: parent-death signal).
                            let pgid = c.id() as i32;
                            unsafe { libc::kill(-pgid, libc::SIGKILL) };
                            n.child = None;
                        }
                    }
                }
            }
            if !running {
                break;
            }
            if std::time::Instant::now() >= deadline {
                for (i, n) in self.nodes.iter_mut().enumerate() {
                    if n.pid().is_some() {
                        killed.push(i);
                        n.kill9();
                    }
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        killed
    }
}

/// `host:port` out of `tcp://host:port` or `host:port`.
fn split_addr(addr: &str) -> anyhow::Result<(String, u16)> {
    let rest = addr
        .trim_start_matches("tcp://")
        .trim_start_matches("http://");
    let (host, port) = rest
        .rsplit_once(':')
        .with_context(|| format!("address {addr:?} has no port"))?;
    let port = port
        .parse()
        .with_context(|| format!("address {addr:?}: bad port"))?;
    Ok((host.to_string(), port))
}

/// A home's listen addresses: the host of its RPC and every port.
fn read_addresses(home: &Path) -> anyhow::Result<(String, Ports)> {
    let text = std::fs::read_to_string(home.join("config").join("config.toml"))?;
    let doc: toml_edit::DocumentMut = text.parse()?;
    let get = |table: &str, key: &str| -> anyhow::Result<String> {
        doc.get(table)
            .and_then(|t| t.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .with_context(|| format!("config.toml has no [{table}] {key}"))
    };
    let (host, rpc) = split_addr(&get("rpc", "laddr")?)?;
    let (_, p2p) = split_addr(&get("p2p", "laddr")?)?;
    let cfg = pol_app::config::AppConfig::load(home)?;
    let (_, abci) = split_addr(&cfg.abci_address)?;
    let (_, grpc) = split_addr(&cfg.grpc_address)?;
    let (_, metrics) = split_addr(&cfg.metrics_address)?;
    Ok((
        host,
        Ports {
            rpc,
            p2p,
            abci,
            grpc,
            metrics,
        },
    ))
}

impl Drop for Network {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            n.kill9();
        }
    }
}

/// A validator of this network, not started: its home, where it listens, its log.
/// `pold init` of a validator home listening on `host` at `ports`.
fn pold_init(
    home: &Path,
    moniker: &str,
    chain_id: &str,
    host: &str,
    ports: &Ports,
    timeout_commit: &str,
) -> anyhow::Result<()> {
    pold(
        home,
        &[
            "init",
            moniker,
            "--chain-id",
            chain_id,
            "--rpc-laddr",
            &format!("tcp://{host}:{}", ports.rpc),
            "--p2p-laddr",
            &format!("tcp://{host}:{}", ports.p2p),
            "--abci-address",
            &format!("{host}:{}", ports.abci),
            "--grpc-address",
            &format!("{host}:{}", ports.grpc),
            "--metrics-address",
            &format!("{host}:{}", ports.metrics),
            "--timeout-commit",
            timeout_commit,
            "--allow-private-endpoints",
            "--allow-insecure-setup",
        ],
    )?;
    Ok(())
}

fn node_at(home: PathBuf, host: &str, ports: Ports) -> Node {
    Node {
        rpc: RpcClient::new(&format!("http://{host}:{}", ports.rpc)),
        log: home.join("pold.log"),
        home,
        ports,
        child: None,
        _dir: None,
    }
}
