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
    /// Let providers register loopback, private and link-local endpoints (a localnet or a
    /// test network; sets `inference.params.allow_private_endpoints` in genesis).
    #[arg(long)]
    allow_private_endpoints: bool,
    /// Accept architectures whose proving keys come from a seeded (insecure) setup, as
    /// workers without ceremony keys register them (a localnet or a test network; sets
    /// `inference.params.allow_insecure_setup` in genesis). A real chain takes only keys
    /// from a ceremony.
    #[arg(long)]
    allow_insecure_setup: bool,
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
    /// Sign a genesis validator (MsgCreateValidator) with an operator key and this node's
    /// consensus key: writes config/gentx/gentx-<operator>.json.
    Gentx {
        /// Name of the operator key in the keyring (funded with the self-bond in genesis).
        key: String,
        /// Self-bond, e.g. 100000000upol.
        amount: String,
        /// Defaults to the node's moniker in config.toml.
        #[arg(long)]
        moniker: Option<String>,
        /// Commission in basis points (500 = 5 %).
        #[arg(long, default_value_t = 500)]
        commission_bps: u32,
        /// This node's reachable P2P address (host:port) for the memo; defaults to
        /// config.toml's p2p.laddr.
        #[arg(long)]
        p2p_address: Option<String>,
        /// Write here instead of config/gentx/.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Check every gentx in a directory (default config/gentx) and make them the genesis
    /// validators: they go into staking's genesis, genesis.json's own validator list is
    /// emptied (InitChain returns the set), and their memos become persistent peers.
    CollectGentxs {
        #[arg(long)]
        gentx_dir: Option<std::path::PathBuf>,
    },
    /// Write a genesis.json holding the state of a committed height (the node must be
    /// stopped): a new chain started from it continues at height H+1 with the same app hash.
    Export {
        /// Height to export (any retained height); default: the latest committed.
        #[arg(long)]
        height: Option<u64>,
        /// Write here instead of stdout.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// Skip the check that InitChain of the export reproduces the app hash (it builds
        /// the state once more in memory).
        #[arg(long)]
        no_verify: bool,
    },
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
    // Evidence expires before the stake behind it can have unbonded: in blocks (an entry
    // begun at the infraction's height − 1 completes unbonding_blocks later), and in time
    // (blocks are at least timeout_commit apart).
    let unbonding = pol_staking::Params::default()
        .unbonding_blocks
        .saturating_sub(2)
        .max(1);
    if let Some(interval) = go_duration_nanos(&a.timeout_commit) {
        g["consensus_params"]["evidence"]["max_age_num_blocks"] = json!(unbonding.to_string());
        g["consensus_params"]["evidence"]["max_age_duration"] =
            json!((u128::from(unbonding) * interval).to_string());
    }
    let mut app_state =
        pol_genesis::default_app_state(pol_app::modules::MODULES).map_err(anyhow::Error::msg)?;
    if a.allow_private_endpoints || a.allow_insecure_setup {
        app_state
            .edit(|i: &mut pol_inference::GenesisState| {
                let params = i.params_mut();
                params.allow_private_endpoints |= a.allow_private_endpoints;
                params.allow_insecure_setup |= a.allow_insecure_setup;
            })
            .map_err(anyhow::Error::msg)?;
    }
    g["app_state"] = serde_json::to_value(app_state)?;
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
    let mut g = GenesisFile::load(&path, pol_app::modules::MODULES)?;
    match cmd {
        GenesisCommand::AddAccount { address, coins } => {
            let addr = match Address::parse(&address) {
                Ok(a) => a,
                Err(_) => Address::parse(
                    &pol_client::keyring::Keyring::open(home)
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
        GenesisCommand::Gentx {
            key,
            amount,
            moniker,
            commission_bps,
            p2p_address,
            output,
        } => gentx(
            home,
            &g,
            &key,
            &amount,
            moniker,
            commission_bps,
            p2p_address,
            output,
        )?,
        GenesisCommand::CollectGentxs { gentx_dir } => {
            let dir = gentx_dir.unwrap_or_else(|| home.join("config").join("gentx"));
            collect_gentxs(home, &mut g, &dir)?;
        }
        // Reads genesis.json and the state store; edits neither.
        GenesisCommand::Export {
            height,
            output,
            no_verify,
        } => export(home, height, output, no_verify)?,
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

fn export(
    home: &Path,
    height: Option<u64>,
    output: Option<std::path::PathBuf>,
    no_verify: bool,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let e = pol_app::export::export_genesis_with(
        home,
        pol_app::export::ExportOptions {
            height,
            skip_verify: no_verify,
            ..Default::default()
        },
    )?;
    let text = serde_json::to_string_pretty(&e.genesis)?;
    match &output {
        Some(path) => {
            // Write then rename so a crash never leaves half a genesis file.
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, &text).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        }
        None => println!("{text}"),
    }
    eprintln!(
        "exported height {} (app hash {}{}): {} accounts, {} validators, {} bytes, in {:.2}s{}",
        e.height,
        hex::encode_upper(e.app_hash),
        if e.verified {
            ", reproduced by InitChain of the export"
        } else {
            ", not verified"
        },
        e.accounts,
        e.validators,
        text.len(),
        started.elapsed().as_secs_f64(),
        output
            .as_ref()
            .map(|p| format!(" to {}", p.display()))
            .unwrap_or_default(),
    );
    Ok(())
}

fn read_config_toml(home: &Path) -> anyhow::Result<toml_edit::DocumentMut> {
    let path = home.join("config").join("config.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    text.parse()
        .with_context(|| format!("parsing {}", path.display()))
}

/// CometBFT's node id: hex of the first 20 bytes of SHA-256 of the node's ed25519 key.
fn node_id(home: &Path) -> anyhow::Result<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let path = home.join("config").join("node_key.json");
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(v["priv_key"]["value"].as_str().unwrap_or_default())
        .context("node key is not base64")?;
    // CometBFT stores the 64-byte expanded key: seed || public key.
    let public = secret
        .get(32..64)
        .context("node key is not a 64-byte ed25519 key")?;
    Ok(hex::encode(&sha2::Sha256::digest(public)[..20]))
}

#[allow(clippy::too_many_arguments)]
fn gentx(
    home: &Path,
    g: &GenesisFile,
    key: &str,
    amount: &str,
    moniker: Option<String>,
    commission_bps: u32,
    p2p_address: Option<String>,
    output: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let chain_id = g
        .chain_id()
        .context("genesis.json has no chain_id")?
        .to_string();
    let signer = pol_client::keyring::Keyring::open(home)
        .find(key)?
        .signer()?;
    let coins =
        parse_coins_str(amount).map_err(|e| anyhow::anyhow!("amount {amount:?}: {}", e.log))?;
    let staking: pol_staking::GenesisState = g.app_state.get().map_err(anyhow::Error::msg)?;
    let denom = &staking.params.bond_denom;
    let [coin] = coins.as_slice() else {
        bail!("the self-bond is one coin in {denom}");
    };
    if &coin.denom != denom {
        bail!("the self-bond must be in {denom}, not {}", coin.denom);
    }
    let config = read_config_toml(home)?;
    let moniker = moniker.unwrap_or_else(|| {
        config["moniker"]
            .as_str()
            .unwrap_or("validator")
            .to_string()
    });
    let p2p = match p2p_address {
        Some(a) => a,
        None => config["p2p"]["laddr"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("tcp://")
            .to_string(),
    };
    let memo = format!("{}@{p2p}", node_id(home)?);
    let file = pol_app::gentx::create(
        &signer,
        &pol_app::gentx::GentxRequest {
            chain_id: &chain_id,
            consensus_pubkey: pol_app::config::consensus_pubkey(home)?,
            moniker: &moniker,
            commission_bps,
            self_bond: coin.amount,
            bond_denom: denom,
            memo: &memo,
        },
    );
    // Catch what InitChain would refuse now, not when the chain starts.
    pol_app::gentx::verify(&file, &chain_id).map_err(|e| anyhow::anyhow!(e.log))?;
    let out = match output {
        Some(p) => p,
        None => {
            let dir = home.join("config").join("gentx");
            std::fs::create_dir_all(&dir)?;
            dir.join(format!("gentx-{}.json", signer.address()))
        }
    };
    std::fs::write(&out, serde_json::to_string_pretty(&file)?)
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "gentx": out,
            "operator": file.validator.operator,
            "self_bond": format!("{}{denom}", coin.amount),
            "memo": memo,
        }))?
    );
    Ok(())
}

fn collect_gentxs(home: &Path, g: &mut GenesisFile, dir: &Path) -> anyhow::Result<()> {
    let chain_id = g
        .chain_id()
        .context("genesis.json has no chain_id")?
        .to_string();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("no gentx-*.json in {}", dir.display());
    }
    let mut entries = Vec::new();
    let mut peers = Vec::new();
    for path in &paths {
        let file: pol_app::gentx::GentxFile = serde_json::from_str(&std::fs::read_to_string(path)?)
            .with_context(|| format!("parsing {}", path.display()))?;
        let (entry, memo) = pol_app::gentx::verify(&file, &chain_id)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.log))?;
        entries.push(entry);
        if !memo.is_empty() {
            peers.push(memo);
        }
    }
    g.app_state
        .edit(|staking: &mut pol_staking::GenesisState| {
            staking
                .gentxs
                .retain(|old| entries.iter().all(|e| e.operator != old.operator));
            staking.gentxs.extend(entries.iter().cloned());
            staking.gentxs.sort_by(|a, b| a.operator.cmp(&b.operator));
        })
        .map_err(anyhow::Error::msg)?;
    g.validate()
        .map_err(|e| anyhow::anyhow!("genesis with these gentxs: {e}"))?;
    // InitChain hands CometBFT the set staking creates; genesis.json must not list another.
    if let Some(obj) = g.doc.as_object_mut() {
        obj.insert("validators".into(), json!([]));
    }
    g.save()?;

    // Peers: every other gentx's node (the memo of our own names our own node id).
    let own = node_id(home).unwrap_or_default();
    let others: Vec<&String> = peers.iter().filter(|p| !p.starts_with(&own)).collect();
    if !others.is_empty() {
        let path = home.join("config").join("config.toml");
        let mut config = read_config_toml(home)?;
        config["p2p"]["persistent_peers"] = toml_edit::value(
            others
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
        std::fs::write(&path, config.to_string())?;
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "genesis": g.path,
            "validators": entries.iter().map(|e| json!({"operator": e.operator, "moniker": e.moniker, "self_bond": e.self_bond.to_string()})).collect::<Vec<_>>(),
            "persistent_peers": others,
        }))?
    );
    Ok(())
}

/// A Go duration as CometBFT's config writes it (`"1s"`, `"300ms"`, `"1.5s"`), in
/// nanoseconds; `None` for anything else.
fn go_duration_nanos(text: &str) -> Option<u128> {
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => text.split_at(i),
        None => return None,
    };
    let scale: f64 = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    let value: f64 = number.parse().ok()?;
    (value > 0.0).then(|| (value * scale).round() as u128)
}

#[cfg(test)]
mod duration_tests {
    #[test]
    fn go_durations_parse() {
        use super::go_duration_nanos as d;
        assert_eq!(d("1s"), Some(1_000_000_000));
        assert_eq!(d("300ms"), Some(300_000_000));
        assert_eq!(d("1.5s"), Some(1_500_000_000));
        assert_eq!(d("2m"), Some(120_000_000_000));
        for bad in ["", "s", "1", "1x", "0s", "-1s"] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
    }
}
