//! `pold init` and `pold genesis …`.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};
use pol_app::config::AppConfig;
use pol_component::coins::parse_coins_str;
use pol_component::Address;
use pol_genesis::{GenesisFile, DEFAULT_CHAIN_ID};
use serde_json::json;

#[derive(clap::Args)]
pub struct InitArgs {
    /// Human-readable name of this node.
    moniker: String,
    #[arg(long, default_value = DEFAULT_CHAIN_ID)]
    chain_id: String,
    /// CometBFT binary used to create node and validator keys.
    #[arg(long, env = "POL_COMETBFT", default_value = "cometbft")]
    cometbft: String,
    /// Replace an existing home's configuration and genesis.
    #[arg(long)]
    overwrite: bool,
    #[arg(long, default_value = "tcp://127.0.0.1:26657")]
    rpc_laddr: String,
    #[arg(long, default_value = "tcp://0.0.0.0:26656")]
    p2p_laddr: String,
    #[arg(long, default_value = "127.0.0.1:26658")]
    abci_address: String,
    #[arg(long, default_value = "127.0.0.1:9090")]
    grpc_address: String,
    #[arg(long, default_value = "127.0.0.1:26660")]
    metrics_address: String,
    /// CometBFT's Prometheus listener ("" disables it).
    #[arg(long, default_value = "")]
    cometbft_metrics: String,
    /// CometBFT timeout_commit (block interval floor), e.g. "1s" or "200ms".
    #[arg(long, default_value = "1s")]
    timeout_commit: String,
}

#[derive(clap::Subcommand)]
pub enum GenesisCommand {
    /// Give an account coins at genesis: `pold genesis add-account pol1… 1000000upol`.
    AddAccount {
        /// Bech32 address, or the name of a key in the keyring.
        address: String,
        coins: String,
    },
    /// Check genesis.json and print its chain-id.
    Validate,
}

pub fn init(home: &Path, a: InitArgs) -> anyhow::Result<()> {
    let config_dir = home.join("config");
    if config_dir.join("genesis.json").exists() && !a.overwrite {
        bail!(
            "{} already holds a node; pass --overwrite to replace its configuration",
            home.display()
        );
    }
    if a.chain_id.is_empty() || a.chain_id.len() > 50 {
        bail!("chain-id must be 1-50 characters");
    }
    // CometBFT writes its config, node key and validator key; we then adjust them.
    let status = Command::new(&a.cometbft)
        .args(["init", "--home"])
        .arg(home)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| {
            format!(
                "running {} init (is CometBFT installed? run scripts/setup)",
                a.cometbft
            )
        })?;
    if !status.success() {
        bail!("{} init failed with {status}", a.cometbft);
    }

    let config_path = config_dir.join("config.toml");
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let mut doc: toml_edit::DocumentMut = text.parse().context("parsing CometBFT config.toml")?;
    doc["moniker"] = toml_edit::value(a.moniker.as_str());
    doc["proxy_app"] = toml_edit::value(format!("tcp://{}", a.abci_address));
    doc["rpc"]["laddr"] = toml_edit::value(a.rpc_laddr.as_str());
    doc["p2p"]["laddr"] = toml_edit::value(a.p2p_laddr.as_str());
    doc["p2p"]["allow_duplicate_ip"] = toml_edit::value(true);
    doc["p2p"]["addr_book_strict"] = toml_edit::value(false);
    doc["consensus"]["timeout_commit"] = toml_edit::value(a.timeout_commit.as_str());
    doc["tx_index"]["indexer"] = toml_edit::value("kv");
    doc["instrumentation"]["prometheus"] = toml_edit::value(!a.cometbft_metrics.is_empty());
    if !a.cometbft_metrics.is_empty() {
        doc["instrumentation"]["prometheus_listen_addr"] =
            toml_edit::value(a.cometbft_metrics.as_str());
    }
    std::fs::write(&config_path, doc.to_string())?;

    // genesis.json: our chain-id, vote extensions from height 1, gas bound, empty app state.
    let genesis_path = config_dir.join("genesis.json");
    let mut g: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&genesis_path)?)?;
    g["chain_id"] = json!(a.chain_id);
    g["consensus_params"]["abci"]["vote_extensions_enable_height"] = json!("1");
    g["consensus_params"]["block"]["max_gas"] =
        json!(pol_app::app::ChainParams::DEFAULT.max_block_gas.to_string());
    g["app_state"] = serde_json::to_value(pol_genesis::AppState::default())?;
    std::fs::write(&genesis_path, serde_json::to_string_pretty(&g)?)?;

    let config = AppConfig {
        abci_address: a.abci_address,
        grpc_address: a.grpc_address,
        metrics_address: a.metrics_address,
        cometbft_binary: a.cometbft,
        ..AppConfig::default()
    };
    config.save(home)?;
    println!(
        "{}",
        serde_json::to_string_pretty(
            &json!({"moniker": a.moniker, "chain_id": a.chain_id, "home": home})
        )?
    );
    Ok(())
}

pub fn genesis(home: &Path, cmd: GenesisCommand) -> anyhow::Result<()> {
    let path = home.join("config").join("genesis.json");
    let mut g = GenesisFile::load(&path)?;
    match cmd {
        GenesisCommand::AddAccount { address, coins } => {
            let addr = match Address::parse(&address) {
                Ok(a) => a,
                Err(_) => Address::parse(
                    &pol_app::keyring::Keyring::open(home)
                        .find(&address)?
                        .address,
                )
                .map_err(|e| anyhow::anyhow!(e.log))?,
            };
            let coins = parse_coins_str(&coins)
                .map_err(|e| anyhow::anyhow!("coins {coins:?}: {}", e.log))?;
            g.add_account(&addr, &coins)?;
            g.save()?;
            println!(
                "added {} to {addr}",
                pol_component::coins::coins_to_string(&coins)
            );
        }
        GenesisCommand::Validate => {
            println!(
                "{} is valid (chain-id {})",
                path.display(),
                g.chain_id().unwrap_or("?")
            );
        }
    }
    Ok(())
}
