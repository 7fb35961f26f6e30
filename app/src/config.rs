//! `<home>/config/app.toml`: pold's own settings (CometBFT keeps its config.toml beside it).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use pol_component::GasPrice;

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
    /// `[probe]`: this validator's latency probes of the providers (Proof-of-Latency).
    /// Tables last, so the TOML writer puts them after the plain keys.
    pub probe: ProbeConfig,
    /// `[test_faults]`: FAULT INJECTION FOR TESTS ONLY; every switch off by default.
    pub test_faults: TestFaults,
}

/// `[test_faults]` in app.toml: make this validator Byzantine in one precise way, so the
/// integration tests can watch the others refuse it. Never set these on a real node: the
/// behaviour is compiled only with pol-app's `test-faults` feature (the integration tests
/// turn it on), and a pold built without it refuses a config that switches one on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TestFaults {
    /// ExtendVote returns an extension one byte over `latency.params.max_extension_bytes`.
    pub oversized_vote_extension: bool,
    /// PrepareProposal flips a bit of a vote-extension signature in the injected report.
    pub forge_latency_report: bool,
    /// ExtendVote reports the latest published aggregates instead of measuring (a copier).
    pub copy_latency_aggregates: bool,
    /// Software upgrades (plan names) this pold pretends to know, with no migration: "the
    /// new binary" of an upgrade test.
    pub known_upgrades: Vec<String>,
}

/// `[probe]` in app.toml: how pold probes every active provider's `Infer` endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProbeConfig {
    /// Probe at all; a validator that does not probe extends its votes with an empty report.
    pub enabled: bool,
    /// Mean time between two probes of one provider, milliseconds (each gap is jittered);
    /// 0 follows the chain's `latency.params.probe_interval_ms`.
    pub interval_ms: u64,
    /// A probe not answered within this many milliseconds counts as a failure; 0 follows
    /// the chain's `latency.params.probe_timeout_ms`.
    pub timeout_ms: u64,
    /// Results older than this many seconds leave the window (0: bounded by count only).
    pub window_secs: u64,
    /// At most this many results per provider stay in the window.
    pub window_samples: usize,
    /// Probes in flight at once, all providers together.
    pub max_concurrency: usize,
    /// Verified receipts kept for vote extensions, all providers together.
    pub max_receipts: usize,
    /// How often the provider list is re-read from the last committed state, milliseconds.
    pub refresh_ms: u64,
    /// FAULT INJECTION FOR TESTS ONLY; leave at 0. When non-zero, the reported p50/p99/max
    /// are multiplied by this/1e6, so integration tests can run a validator that lies about
    /// what it measured (measurer accountability).
    pub test_fault_latency_scale_ppm: u64,
    /// FAULT INJECTION FOR TESTS ONLY; leave at 0. Microseconds added to every reported
    /// latency: an honest validator that far from every provider (geography).
    pub test_fault_added_latency_us: u64,
    /// FAULT INJECTION FOR TESTS ONLY; leave at 0. When non-zero, reported latencies are
    /// drawn at random below this many microseconds: a validator that makes them up.
    pub test_fault_random_latency_us: u64,
    /// `[probe.corpus]`: model id → a file of real inputs that probes are drawn from
    /// (raw `n × input_len` i8 bytes, or a POLDIGV1 test-vector file); relative paths are
    /// relative to the node's home. A model without one is probed with uniform 0..=16
    /// features, which a provider can tell from real traffic.
    pub corpus: std::collections::BTreeMap<String, PathBuf>,
    /// Keyring name (in the node's home) of the account that pays for probes, as any
    /// requester pays (`pol.payments.v1` channels); empty: probes are not paid, and
    /// providers that require payment refuse them.
    pub payer_key: String,
    /// Deposit of each probe channel, upol.
    pub channel_deposit: u64,
    /// How long each probe channel stays open, blocks (within the chain's
    /// `payments.params` duration bounds).
    pub channel_blocks: u64,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            enabled: true,
            interval_ms: 0,
            timeout_ms: 0,
            window_secs: 60,
            window_samples: 256,
            max_concurrency: 32,
            max_receipts: 64,
            refresh_ms: 3000,
            test_fault_latency_scale_ppm: 0,
            test_fault_added_latency_us: 0,
            test_fault_random_latency_us: 0,
            corpus: Default::default(),
            payer_key: String::new(),
            channel_deposit: 1_000_000,
            channel_blocks: 14_400,
        }
    }
}

impl ProbeConfig {
    /// Probe results kept per provider, at most.
    pub const MAX_WINDOW_SAMPLES: usize = 100_000;

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.interval_ms != 0 && self.interval_ms < 10 {
            bail!(
                "probe.interval_ms must be 0 (the chain's) or at least 10 (got {})",
                self.interval_ms
            );
        }
        if self.timeout_ms > 60_000 {
            bail!(
                "probe.timeout_ms must be 0 (the chain's) or between 1 and 60000 (got {})",
                self.timeout_ms
            );
        }
        if self.window_samples == 0 || self.window_samples > Self::MAX_WINDOW_SAMPLES {
            bail!(
                "probe.window_samples must be between 1 and {} (got {})",
                Self::MAX_WINDOW_SAMPLES,
                self.window_samples
            );
        }
        if self.window_secs > 86_400 {
            bail!(
                "probe.window_secs must be at most 86400 (got {})",
                self.window_secs
            );
        }
        if self.max_concurrency == 0 || self.max_concurrency > 4096 {
            bail!(
                "probe.max_concurrency must be between 1 and 4096 (got {})",
                self.max_concurrency
            );
        }
        if self.max_receipts > 65_536 {
            bail!(
                "probe.max_receipts must be at most 65536 (got {})",
                self.max_receipts
            );
        }
        if self.refresh_ms < 100 {
            bail!(
                "probe.refresh_ms must be at least 100 (got {})",
                self.refresh_ms
            );
        }
        if self.test_fault_latency_scale_ppm > 1_000_000_000 {
            bail!("probe.test_fault_latency_scale_ppm must be at most 1e9 (x1000)");
        }
        for (name, us) in [
            (
                "test_fault_added_latency_us",
                self.test_fault_added_latency_us,
            ),
            (
                "test_fault_random_latency_us",
                self.test_fault_random_latency_us,
            ),
        ] {
            if us > 60_000_000 {
                bail!("probe.{name} must be at most 60000000 (60 s)");
            }
        }
        if !self.payer_key.is_empty() && (self.channel_deposit == 0 || self.channel_blocks < 120) {
            bail!(
                "probe.channel_deposit must be positive and probe.channel_blocks at least 120 \
                 when probe.payer_key is set"
            );
        }
        Ok(())
    }
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
            probe: ProbeConfig::default(),
            test_faults: TestFaults::default(),
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
        self.probe.validate()?;
        if self.test_faults != TestFaults::default() && !cfg!(feature = "test-faults") {
            bail!(
                "[test_faults] switches faults on, but this pold was built without the \
                 test-faults feature (fault injection is for tests only)"
            );
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

/// The ed25519 public key of this node's CometBFT validator (priv_validator_key.json).
pub fn consensus_pubkey(home: &std::path::Path) -> anyhow::Result<[u8; 32]> {
    use base64::Engine as _;
    let path = home.join("config").join("priv_validator_key.json");
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("parsing {}", path.display()))?;
    let ty = v["pub_key"]["type"].as_str().unwrap_or_default();
    if ty != "tendermint/PubKeyEd25519" {
        bail!(
            "{}: validator key type {ty:?}, want ed25519",
            path.display()
        );
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v["pub_key"]["value"].as_str().unwrap_or_default())
        .context("validator public key is not base64")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("validator public key is not 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_app_toml_without_probe_section_loads_with_defaults() {
        let text = r#"
abci_address = "127.0.0.1:1"
abci_max_frame_bytes = 104857600
grpc_address = ""
metrics_address = ""
minimum_gas_prices = ""
keep_recent_heights = 5
cometbft_binary = "cometbft"
"#;
        let c: AppConfig = toml::from_str(text).unwrap();
        assert_eq!(c.probe, ProbeConfig::default());
        assert_eq!(c.keep_recent_heights, 5);
        c.validate().unwrap();
    }

    #[test]
    fn probe_section_round_trips_and_rejects_unknown_keys() {
        let mut c = AppConfig::default();
        c.probe.interval_ms = 250;
        c.probe.test_fault_latency_scale_ppm = 2_000_000;
        let text = toml::to_string_pretty(&c).unwrap();
        assert!(text.contains("[probe]"), "{text}");
        let back: AppConfig = toml::from_str(&text).unwrap();
        assert_eq!(back, c);
        let partial: AppConfig = toml::from_str("[probe]\ninterval_ms = 100\n").unwrap();
        assert_eq!(partial.probe.interval_ms, 100);
        assert_eq!(partial.probe.timeout_ms, ProbeConfig::default().timeout_ms);
        let err = toml::from_str::<AppConfig>("[probe]\nintervall_ms = 100\n").unwrap_err();
        assert!(err.to_string().contains("intervall_ms"), "{err}");
    }

    #[test]
    fn probe_validation_names_the_bad_key() {
        let bad = |f: fn(&mut ProbeConfig)| {
            let mut c = AppConfig::default();
            f(&mut c.probe);
            c.validate().unwrap_err().to_string()
        };
        assert!(bad(|p| p.interval_ms = 1).contains("probe.interval_ms"));
        assert!(bad(|p| p.timeout_ms = 60_001).contains("probe.timeout_ms"));
        // 0 follows the chain's latency.params.
        let mut follow = AppConfig::default();
        follow.probe.interval_ms = 0;
        follow.probe.timeout_ms = 0;
        assert!(follow.validate().is_ok());
        assert!(bad(|p| p.window_samples = 0).contains("probe.window_samples"));
        assert!(bad(|p| p.max_concurrency = 0).contains("probe.max_concurrency"));
        assert!(bad(|p| p.refresh_ms = 0).contains("probe.refresh_ms"));
        AppConfig::default().validate().unwrap();
    }

    #[test]
    fn test_faults_need_the_feature() {
        let mut c = AppConfig::default();
        c.test_faults.forge_latency_report = true;
        assert_eq!(c.validate().is_ok(), cfg!(feature = "test-faults"));
        c.test_faults = TestFaults::default();
        c.validate().unwrap();
    }
}
