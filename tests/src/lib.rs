//! Test harness: real `pold` + CometBFT networks on free loopback ports.
//!
//! Every process runs in its own process group, killed (SIGKILL) when the handle drops, so a
//! failing test never leaves a node behind. Binaries: `POLD_BIN` (else `target/<profile>/pold`
//! next to the test executable) and CometBFT from `POL_COMETBFT` (else `.tools/bin/cometbft`).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use pol_client::{RpcClient, SignerKey};

pub mod chain_query;
pub mod net;
pub mod worker;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

pub fn pold_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("POLD_BIN") {
        return PathBuf::from(p);
    }
    // target/<profile>/deps/<test-exe> → target/<profile>/pold
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("pold"))
        .expect("target dir")
}

pub fn cometbft_bin() -> PathBuf {
    std::env::var_os("POL_COMETBFT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/bin/cometbft"))
}

/// A free TCP port on 127.0.0.1, never the same one twice in this process (tests run in
/// parallel threads), taken below the kernel's ephemeral range: a port out of `bind(0)` is
/// released until the node binds it, and meanwhile any outgoing connection on the machine
/// (RPC polls, CometBFT dialing its peers, probes) could get it as its local port.
pub fn free_port() -> u16 {
    static NEXT: std::sync::Mutex<Option<u16>> = std::sync::Mutex::new(None);
    let ephemeral_start: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    // 10,000 ports under it, less the standard ones a localnet takes; each process starts
    // at its own place so that two test binaries at once rarely meet.
    let standard = net::standard_ports();
    let reserved = [
        standard.rpc,
        standard.p2p,
        standard.abci,
        standard.grpc,
        standard.metrics,
    ];
    let low = ephemeral_start.saturating_sub(10_000).max(1024);
    let span = ephemeral_start - low;
    let mut next = NEXT.lock().unwrap_or_else(|e| e.into_inner());
    let mut port = next.unwrap_or(low + (std::process::id() % u32::from(span)) as u16);
    for _ in 0..span {
        let candidate = port;
        port = if port + 1 >= ephemeral_start {
            low
        } else {
            port + 1
        };
        if reserved.contains(&candidate) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", candidate)).is_ok() {
            *next = Some(port);
            return candidate;
        }
    }
    panic!("no free port in {low}..{ephemeral_start}");
}

/// Run a pold subcommand to completion, returning stdout.
pub fn pold(home: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(pold_bin())
        .arg("--home")
        .arg(home)
        .args(args)
        .env("POL_COMETBFT", cometbft_bin())
        .output()
        .with_context(|| {
            format!(
                "running {} (build it with `cargo build --bin pold`)",
                pold_bin().display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "pold {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Ports of one node.
/// Keyring name of the test validator's operator account.
pub const VALIDATOR_OPERATOR: &str = "operator";
/// Genesis balance of the operator account, in upol.
pub const VALIDATOR_FUNDS: u128 = 2_000_000_000_000;
/// The operator's genesis self-bond, in upol (10⁶ voting power).
pub const VALIDATOR_SELF_BOND: u128 = 1_000_000_000_000;

#[derive(Clone, Debug)]
pub struct Ports {
    pub rpc: u16,
    pub p2p: u16,
    pub abci: u16,
    pub grpc: u16,
    pub metrics: u16,
}

impl Ports {
    pub fn pick() -> Self {
        Ports {
            rpc: free_port(),
            p2p: free_port(),
            abci: free_port(),
            grpc: free_port(),
            metrics: free_port(),
        }
    }
}

/// One validator: its home, its ports and (while running) its `pold start` process group.
pub struct Node {
    pub home: PathBuf,
    pub ports: Ports,
    pub rpc: RpcClient,
    child: Option<Child>,
    log: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

/// Options of a single-validator chain.
pub struct ChainOptions {
    pub chain_id: String,
    pub timeout_commit: String,
    /// Accounts funded at genesis.
    pub accounts: Vec<(SignerKey, u128)>,
    pub min_gas_price: String,
    /// app.toml's keep_recent_heights (0 keeps all).
    pub keep_recent_heights: u64,
    /// Mint at the default inflation. Off by default: most tests account for every token
    /// (fees in the fee collector, supply unchanged but for slashes) and run with the
    /// mint module at zero inflation.
    pub inflation: bool,
}

impl Default for ChainOptions {
    fn default() -> Self {
        ChainOptions {
            chain_id: "pol-test-1".into(),
            timeout_commit: "200ms".into(),
            accounts: Vec::new(),
            min_gas_price: "0.025upol".into(),
            keep_recent_heights: 0,
            inflation: false,
        }
    }
}

/// Mint genesis at zero inflation (nothing is minted, the supply only moves by slashes).
pub fn no_inflation(g: &mut pol_mint::GenesisState) {
    g.minter.inflation = pol_component::Dec::zero();
    g.params.inflation_min = pol_component::Dec::zero();
    g.params.inflation_max = pol_component::Dec::zero();
}

impl Node {
    /// Change one module's genesis before the chain starts: loads genesis.json, edits the
    /// module's part, checks the whole and saves it.
    pub fn edit_genesis<G: pol_component::ModuleGenesis, R>(
        &self,
        edit: impl FnOnce(&mut G) -> R,
    ) -> anyhow::Result<R> {
        let path = self.home.join("config/genesis.json");
        let mut g = pol_genesis::GenesisFile::load(&path, pol_app::modules::MODULES)?;
        let out = g.app_state.edit(edit).map_err(anyhow::Error::msg)?;
        g.validate()?;
        g.save()?;
        Ok(out)
    }

    /// Initialise a one-validator chain in a fresh temporary home (not started).
    pub fn init(opts: &ChainOptions) -> anyhow::Result<Node> {
        let dir = tempfile::Builder::new().prefix("pol-node-").tempdir()?;
        let home = dir.path().to_path_buf();
        let ports = Ports::pick();
        pold(
            &home,
            &[
                "init",
                "val0",
                "--chain-id",
                &opts.chain_id,
                "--rpc-laddr",
                &format!("tcp://127.0.0.1:{}", ports.rpc),
                "--p2p-laddr",
                &format!("tcp://127.0.0.1:{}", ports.p2p),
                "--abci-address",
                &format!("127.0.0.1:{}", ports.abci),
                "--grpc-address",
                &format!("127.0.0.1:{}", ports.grpc),
                "--metrics-address",
                &format!("127.0.0.1:{}", ports.metrics),
                "--timeout-commit",
                &opts.timeout_commit,
                "--allow-private-endpoints",
                "--allow-insecure-setup",
            ],
        )?;
        // Point app.toml at the CometBFT we were given and the requested gas floor.
        let mut cfg = pol_app::config::AppConfig::load(&home)?;
        cfg.cometbft_binary = cometbft_bin().display().to_string();
        cfg.minimum_gas_prices = opts.min_gas_price.clone();
        cfg.keep_recent_heights = opts.keep_recent_heights;
        cfg.probe.corpus.insert(
            worker::MODEL.to_string(),
            repo_root().join("inference/models/digits-test-vectors.bin"),
        );
        cfg.save(&home)?;
        // The validator is a staking validator, made the Cosmos way: an operator key
        // funded at genesis signs a gentx, and collect-gentxs makes it the genesis set.
        pold(&home, &["keys", "add", VALIDATOR_OPERATOR])?;
        pold(
            &home,
            &[
                "genesis",
                "add-account",
                VALIDATOR_OPERATOR,
                &format!("{VALIDATOR_FUNDS}upol"),
            ],
        )?;
        pold(
            &home,
            &[
                "genesis",
                "gentx",
                VALIDATOR_OPERATOR,
                &format!("{VALIDATOR_SELF_BOND}upol"),
            ],
        )?;
        pold(&home, &["genesis", "collect-gentxs"])?;
        for (key, amount) in &opts.accounts {
            pold(
                &home,
                &[
                    "genesis",
                    "add-account",
                    &key.address().to_string(),
                    &format!("{amount}upol"),
                ],
            )?;
        }
        let rpc = RpcClient::new(&format!("http://127.0.0.1:{}", ports.rpc));
        let log = home.join("pold.log");
        let node = Node {
            home,
            ports,
            rpc,
            child: None,
            log,
            _dir: Some(dir),
        };
        if !opts.inflation {
            node.edit_genesis(no_inflation)?;
        }
        Ok(node)
    }

    /// Start `pold start` (which starts CometBFT) in its own process group.
    pub fn start(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("node already running");
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut cmd = Command::new(pold_bin());
        cmd.arg("--home")
            .arg(&self.home)
            .arg("start")
            .env("POLD_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0);
        self.child = Some(cmd.spawn().context("spawning pold start")?);
        Ok(())
    }

    /// Start and wait until block `height` is committed.
    pub async fn start_and_wait(&mut self, height: u64) -> anyhow::Result<()> {
        self.start()?;
        self.wait_for_height(height, Duration::from_secs(60)).await
    }

    pub async fn wait_for_height(&self, height: u64, timeout: Duration) -> anyhow::Result<()> {
        self.rpc
            .wait_for_height(height, timeout)
            .await
            .map(|_| ())
            .with_context(|| format!("waiting for height {height}; log:\n{}", self.log_tail()))
    }

    /// SIGKILL pold and CometBFT at once (the whole process group), as a crash would.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe { libc::kill(-(c.id() as i32), libc::SIGKILL) };
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait: the clean shutdown path.
    pub fn stop(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let mut c = self.child.take().context("node not running")?;
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        for _ in 0..300 {
            if let Some(status) = c.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        unsafe { libc::kill(-(c.id() as i32), libc::SIGKILL) };
        bail!("pold did not stop within 15s after SIGTERM")
    }

    /// Wait up to `timeout` for pold to exit on its own (a halt), then make sure nothing of
    /// its process group (CometBFT) is left; `None` if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let c = self.child.as_mut()?;
            if let Ok(Some(status)) = c.try_wait() {
                unsafe { libc::kill(-(c.id() as i32), libc::SIGKILL) };
                self.child = None;
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The whole log (every start appends to it).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn abci_addr(&self) -> String {
        format!("127.0.0.1:{}", self.ports.abci)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// An account that signs sends and tracks its own sequence.
pub struct Wallet {
    pub key: SignerKey,
    pub account_number: u64,
    pub sequence: u64,
    pub chain_id: String,
}

/// Fee that satisfies the default 0.025upol gas price at 200k gas.
pub const DEFAULT_FEE: u128 = 5000;
pub const DEFAULT_GAS: u64 = 200_000;

pub fn upol(amount: u128) -> Vec<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
    vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
        denom: "upol".into(),
        amount: amount.to_string(),
    }]
}

impl Wallet {
    /// Load account number and sequence from the chain.
    pub async fn load(rpc: &RpcClient, key: SignerKey, chain_id: &str) -> anyhow::Result<Wallet> {
        use pol_client::Chain;
        let acc = rpc.account(&key.address()).await?;
        Ok(Wallet {
            key,
            account_number: acc.account_number,
            sequence: acc.sequence,
            chain_id: chain_id.into(),
        })
    }

    /// `messages` signed as one tx at the current sequence (not advanced).
    pub fn sign(&self, messages: Vec<tendermint_proto::google::protobuf::Any>) -> Vec<u8> {
        pol_client::sign_tx(
            &self.key,
            messages,
            "",
            upol(DEFAULT_FEE),
            DEFAULT_GAS,
            &self.chain_id,
            self.account_number,
            self.sequence,
        )
    }

    /// Sign, broadcast and wait for the block; the sequence advances whenever CheckTx
    /// accepted the tx. Returns the committed result (whatever its code) or CheckTx's
    /// rejection as an error.
    pub async fn submit(
        &mut self,
        rpc: &RpcClient,
        messages: Vec<tendermint_proto::google::protobuf::Any>,
    ) -> anyhow::Result<pol_client::TxResult> {
        let r = rpc.broadcast_tx_sync(&self.sign(messages)).await?;
        if r.code != 0 {
            bail!("CheckTx rejected the tx with code {}: {}", r.code, r.log);
        }
        self.sequence += 1;
        Ok(rpc.wait_for_tx(&r.hash, Duration::from_secs(60)).await?)
    }

    /// A signed send at the current sequence (not advanced).
    pub fn send_tx(&self, to: &pol_component::Address, amount: u128, fee: u128) -> Vec<u8> {
        pol_client::SendTx {
            to: *to,
            amount: upol(amount),
            fee: if fee == 0 { vec![] } else { upol(fee) },
            gas_limit: DEFAULT_GAS,
            memo: String::new(),
            chain_id: self.chain_id.clone(),
            account_number: self.account_number,
            sequence: self.sequence,
        }
        .sign(&self.key)
    }
}

/// Balance of `addr` in upol at `height` (0 = latest).
pub async fn balance(
    rpc: &RpcClient,
    addr: &pol_component::Address,
    height: u64,
) -> anyhow::Result<u128> {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
    let r: QueryBalanceResponse = rpc
        .query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &QueryBalanceRequest {
                address: addr.to_string(),
                denom: "upol".into(),
            },
            height,
        )
        .await?;
    Ok(r.balance
        .map(|c| c.amount.parse().unwrap_or(0))
        .unwrap_or(0))
}

impl Node {
    /// The CometBFT RPC address in the form `--node` takes.
    pub fn rpc_url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.ports.rpc)
    }

    /// `pold tx payments open-channel`: keyring key `key` opens a channel to `provider` for
    /// the test model holding `deposit` upol for 100,000 blocks (the payment wallet in the
    /// node's home keeps its signer).
    pub fn open_channel(&self, key: &str, provider: &str, deposit: u128) -> anyhow::Result<String> {
        pold(
            &self.home,
            &[
                "tx",
                "payments",
                "open-channel",
                key,
                provider,
                worker::MODEL,
                &format!("{deposit}upol"),
                "--blocks",
                "100000",
                "--node",
                &self.rpc_url(),
            ],
        )
    }
}

/// Create key `name` in the node's keyring (`pold keys add`) and fund it at genesis with
/// `amount` upol; call between [`Node::init`] and the start. Returns its address.
pub fn add_funded_key(
    node: &Node,
    name: &str,
    amount: u128,
) -> anyhow::Result<pol_component::Address> {
    let out = pold(&node.home, &["keys", "add", name])?;
    let v: serde_json::Value =
        serde_json::from_str(&out).with_context(|| format!("keys add printed {out}"))?;
    let addr = v["address"]
        .as_str()
        .with_context(|| format!("keys add printed no address: {out}"))?;
    pold(
        &node.home,
        &["genesis", "add-account", name, &format!("{amount}upol")],
    )?;
    pol_component::Address::parse(addr).map_err(|e| anyhow::anyhow!("{addr}: {}", e.log))
}

/// Total supply of upol at the latest height.
pub async fn total_supply_upol(rpc: &RpcClient) -> anyhow::Result<u128> {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QuerySupplyOfRequest, QuerySupplyOfResponse};
    let r: QuerySupplyOfResponse = rpc
        .query(
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            &QuerySupplyOfRequest {
                denom: "upol".into(),
            },
            0,
        )
        .await?;
    let amount = r.amount.context("no supply in the answer")?.amount;
    amount
        .parse()
        .with_context(|| format!("supply {amount:?} is not an amount"))
}

/// Every fee paid so far, on a chain without inflation: what the fee collector holds (this
/// block's fees) plus what it handed to distribution at each block's start (earlier fees,
/// held as rewards until withdrawn), read at one height.
pub async fn fees_collected(rpc: &RpcClient) -> anyhow::Result<u128> {
    let height = rpc.latest_height().await?;
    let collector = balance(
        rpc,
        &pol_component::Address::module("fee_collector"),
        height,
    )
    .await?;
    let distribution = balance(rpc, &pol_distribution::module_account(), height).await?;
    Ok(collector + distribution)
}
