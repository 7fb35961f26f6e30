//! A multi-validator network on loopback: each validator a `pold start` (with its CometBFT)
//! in its own home and process group, all bonded at genesis through gentxs, peered by the
//! gentx memos — the way operators bootstrap a real chain.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use pol_app::client::{RpcClient, SignerKey};

use crate::{cometbft_bin, pold, Node, Ports, VALIDATOR_FUNDS, VALIDATOR_OPERATOR};

pub struct NetworkOptions {
    pub validators: usize,
    pub chain_id: String,
    pub timeout_commit: String,
    /// Accounts funded at genesis.
    pub accounts: Vec<(SignerKey, u128)>,
    /// Each validator's self-bond (equal powers by default).
    pub self_bonds: Vec<u128>,
    /// Edits to genesis.json (module params) before it is shared.
    pub genesis: Option<Box<dyn Fn(&mut serde_json::Value)>>,
    /// Edits to validator `i`'s app.toml.
    pub app_config: Option<Box<dyn Fn(usize, &mut pol_app::config::AppConfig)>>,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            validators: 4,
            chain_id: "pol-net-1".into(),
            timeout_commit: "300ms".into(),
            accounts: Vec::new(),
            self_bonds: Vec::new(),
            genesis: None,
            app_config: None,
        }
    }
}

pub struct Network {
    pub nodes: Vec<Node>,
    pub root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Network {
    /// Initialise every validator's home (nothing started).
    pub fn init(opts: NetworkOptions) -> anyhow::Result<Network> {
        let dir = tempfile::Builder::new().prefix("pol-net-").tempdir()?;
        let root = dir.path().to_path_buf();
        let gentx_dir = root.join("gentx");
        std::fs::create_dir_all(&gentx_dir)?;
        let mut nodes = Vec::new();
        let mut operators = Vec::new();
        for i in 0..opts.validators {
            let home = root.join(format!("val{i}"));
            let ports = Ports::pick();
            pold(
                &home,
                &[
                    "init",
                    &format!("val{i}"),
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
                ],
            )?;
            let mut cfg = pol_app::config::AppConfig::load(&home)?;
            cfg.cometbft_binary = cometbft_bin().display().to_string();
            cfg.keep_recent_heights = 0;
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
            let rpc = RpcClient::new(&format!("http://127.0.0.1:{}", ports.rpc));
            let log = home.join("pold.log");
            nodes.push(Node {
                home,
                ports,
                rpc,
                child: None,
                log,
                _dir: None,
            });
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
            root,
            _dir: dir,
        })
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

    /// Checks that every running validator has the same app hash at every height from 1
    /// to `up_to`; returns how many heights were compared.
    pub async fn assert_app_hashes_agree(&self, up_to: u64) -> anyhow::Result<u64> {
        let running: Vec<&Node> = self.nodes.iter().filter(|n| n.pid().is_some()).collect();
        for h in 1..=up_to {
            let first = running[0].rpc.app_hash_at(h).await?;
            for (i, n) in running.iter().enumerate().skip(1) {
                let other = n.rpc.app_hash_at(h).await?;
                anyhow::ensure!(
                    other == first,
                    "app hash at height {h} differs: validator 0 {} vs running validator {i} {}",
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
}

impl Drop for Network {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            n.kill9();
        }
    }
}
