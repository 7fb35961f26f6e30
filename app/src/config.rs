//! `<home>/config/app.toml`: pold's own settings (CometBFT keeps its config.toml beside it).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::tx::fee::GasPrice;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppConfig {
    /// Where CometBFT connects to us (`proxy_app` in config.toml).
    pub abci_address: String,
    /// Largest ABCI frame accepted, in bytes.
    pub abci_max_frame_bytes: usize,
    /// gRPC query server (reflection on); empty disables it.
    pub grpc_address: String,
    /// Prometheus metrics (`/metrics`); empty disables it.
    pub metrics_address: String,
    /// Node-local mempool floor, e.g. "0.025upol"; empty accepts any fee.
    pub minimum_gas_prices: String,
    /// How many recent heights stay queryable (0 keeps every height).
    pub keep_recent_heights: u64,
    /// CometBFT binary `pold start` runs; looked up on PATH when not absolute.
    pub cometbft_binary: String,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            abci_address: "127.0.0.1:26658".into(),
            abci_max_frame_bytes: crate::abci::server::DEFAULT_MAX_FRAME,
            grpc_address: "127.0.0.1:9090".into(),
            metrics_address: "127.0.0.1:26660".into(),
            minimum_gas_prices: "0.025upol".into(),
            keep_recent_heights: 10_000,
            cometbft_binary: "cometbft".into(),
        }
    }
}

impl AppConfig {
    pub fn path(home: &Path) -> PathBuf {
        home.join("config").join("app.toml")
    }

    pub fn load(home: &Path) -> anyhow::Result<AppConfig> {
        let path = Self::path(home);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let config: AppConfig =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        config
            .validate()
            .with_context(|| format!("checking {}", path.display()))?;
        Ok(config)
    }

    pub fn save(&self, home: &Path) -> anyhow::Result<()> {
        let path = Self::path(home);
        let text = format!(
            "# pold settings; CometBFT's are in config.toml beside this file.\n{}",
            toml::to_string_pretty(self)?
        );
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.min_gas_price()?;
        if self.abci_address.is_empty() {
            bail!("abci_address must be set");
        }
        if self.abci_max_frame_bytes < 1 << 20 {
            bail!("abci_max_frame_bytes must be at least 1 MiB (blocks travel in one frame)");
        }
        Ok(())
    }

    pub fn min_gas_price(&self) -> anyhow::Result<Option<GasPrice>> {
        if self.minimum_gas_prices.trim().is_empty() {
            return Ok(None);
        }
        self.minimum_gas_prices
            .parse()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("minimum_gas_prices: {e}"))
    }
}
