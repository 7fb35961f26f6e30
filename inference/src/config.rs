//! `pol-worker serve --config worker.toml`. Relative paths are relative to the config file.
//!
//! ```toml
//! chain_id = "pol-local-1"
//! provider = "pol1…"                 # the provider's account address (bech32)
//! listen = "127.0.0.1:50051"
//! metrics_listen = "127.0.0.1:9464"  # "" turns the Prometheus endpoint off
//! key_file = "worker.key"            # ed25519 receipt key, generated on first run
//! device = "auto"                    # auto | cpu | cuda | cuda:N | reference
//! torch_threads = 1
//! max_message_bytes = 65536
//!
//! [batching]
//! max_batch = 64
//! window_us = 100
//! queue_capacity = 4096
//!
//! [prover]
//! threads = 1
//! max_pending = 16
//! nice = 10
//! window_secs = 3600                 # how long receipts stay provable
//! max_records = 1000000
//! setup_seed = 1                     # INSECURE seeded Groth16 setup (localnet only)
//! verify = true                      # check each proof before answering
//! key_dir = "keys"                   # cache proving keys between runs (optional)
//!
//! [[models]]
//! id = "digits-64-32-10"
//! path = "../inference/models/digits-64-32-10.polm"
//! ```

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_chain_id")]
    pub chain_id: String,
    pub provider: String,
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    #[serde(default = "default_metrics")]
    pub metrics_listen: String,
    #[serde(default = "default_key_file")]
    pub key_file: PathBuf,
    #[serde(default = "default_device")]
    pub device: String,
    #[serde(default = "one")]
    pub torch_threads: usize,
    #[serde(default = "default_max_message")]
    pub max_message_bytes: usize,
    #[serde(default)]
    pub batching: Batching,
    #[serde(default)]
    pub prover: Prover,
    pub models: Vec<ModelEntry>,
    /// The chain this provider serves; without it the worker only serves and proves on
    /// request.
    #[serde(default)]
    pub chain: Option<ChainConfig>,
}

/// `[chain]`: how the worker settles its proof obligations on chain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// pold's gRPC address, e.g. `http://127.0.0.1:9090`.
    pub grpc: String,
    /// A pold home whose keyring holds the provider's account key.
    pub home: PathBuf,
    /// Name (or address) of that key; its address must be `provider`.
    pub key: String,
    /// How often to look for new obligations.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
    /// Gas price paid for the worker's transactions, e.g. `0.025upol`.
    #[serde(default = "default_gas_price")]
    pub gas_price: String,
    /// Register the provider (and the models) at start when the chain does not know them.
    #[serde(default)]
    pub register: Option<Registration>,
}

/// `[chain.register]`: what the worker registers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// The public URL of this worker's gRPC API.
    pub endpoint: String,
    /// Bond to post, e.g. `10000000upol`.
    pub bond: String,
    #[serde(default)]
    pub price_per_inference: u64,
    pub max_p99_latency_us: u64,
    pub max_failure_rate_ppm: u32,
    /// Also register each served model (and its architecture's verifying key, from this
    /// worker's prover) if the chain does not have it: for local networks, where the
    /// provider is also the model owner.
    #[serde(default)]
    pub models: bool,
    #[serde(default)]
    pub model_price: u64,
}

fn default_poll_ms() -> u64 {
    1000
}
fn default_gas_price() -> String {
    "0.025upol".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Batching {
    pub max_batch: usize,
    pub window_us: u64,
    pub queue_capacity: usize,
}

impl Default for Batching {
    fn default() -> Self {
        Self {
            max_batch: 64,
            window_us: 100,
            queue_capacity: 4096,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Prover {
    pub threads: usize,
    pub max_pending: usize,
    pub nice: i32,
    pub window_secs: u64,
    pub max_records: usize,
    pub setup_seed: u64,
    /// Verify each proof before answering.
    pub verify: bool,
    /// Where proving keys are cached between runs (none: set up at every start).
    pub key_dir: Option<PathBuf>,
}

impl Default for Prover {
    fn default() -> Self {
        Self {
            threads: 1,
            max_pending: 16,
            nice: 10,
            window_secs: 3600,
            max_records: 1_000_000,
            setup_seed: 1,
            verify: true,
            key_dir: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub id: String,
    pub path: PathBuf,
}

fn default_chain_id() -> String {
    "pol-local-1".into()
}
fn default_listen() -> SocketAddr {
    "127.0.0.1:50051".parse().expect("static address")
}
fn default_metrics() -> String {
    "127.0.0.1:9464".into()
}
fn default_key_file() -> PathBuf {
    "worker.key".into()
}
fn default_device() -> String {
    "auto".into()
}
fn one() -> usize {
    1
}
fn default_max_message() -> usize {
    64 * 1024
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("config: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads and checks a config file; relative paths become relative to its folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut cfg: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.display().to_string(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        cfg.resolve_paths(base);
        cfg.check()?;
        Ok(cfg)
    }

    pub fn resolve_paths(&mut self, base: &Path) {
        if self.key_file.is_relative() {
            self.key_file = base.join(&self.key_file);
        }
        if let Some(d) = self.prover.key_dir.as_mut().filter(|d| d.is_relative()) {
            *d = base.join(&*d);
        }
        for m in &mut self.models {
            if m.path.is_relative() {
                m.path = base.join(&m.path);
            }
        }
        if let Some(c) = self.chain.as_mut().filter(|c| c.home.is_relative()) {
            c.home = base.join(&c.home);
        }
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        crate::receipt::parse_address(&self.provider)
            .map_err(|e| ConfigError::Invalid(format!("provider: {e}")))?;
        if self.models.is_empty() {
            return Err(ConfigError::Invalid("no [[models]]".into()));
        }
        let mut ids = std::collections::BTreeSet::new();
        for m in &self.models {
            if m.id.is_empty() || m.id.len() > crate::receipt::MAX_STRING_LEN {
                return Err(ConfigError::Invalid(format!("bad model id {:?}", m.id)));
            }
            if !ids.insert(&m.id) {
                return Err(ConfigError::Invalid(format!("model id {:?} twice", m.id)));
            }
        }
        if self.chain_id.is_empty() || self.chain_id.len() > crate::receipt::MAX_STRING_LEN {
            return Err(ConfigError::Invalid("bad chain_id".into()));
        }
        if let Some(c) = &self.chain {
            if c.poll_ms == 0 {
                return Err(ConfigError::Invalid("chain.poll_ms must be > 0".into()));
            }
        }
        if self.batching.max_batch == 0 || self.batching.queue_capacity == 0 {
            return Err(ConfigError::Invalid(
                "batching.max_batch and queue_capacity must be > 0".into(),
            ));
        }
        Ok(())
    }

    /// Metrics listen address, if on.
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        if self.metrics_listen.is_empty() {
            return Ok(None);
        }
        self.metrics_listen
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::Invalid(format!("metrics_listen {:?}", self.metrics_listen)))
    }
}
