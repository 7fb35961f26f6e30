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
//! max_pending = 16                   # proofs queued or running, per lane
//! reserved_for_obligations = 8       # places public Prove calls may not take (default: half)
//! prove_per_peer_per_minute = 60     # public Prove calls per remote address (0: unlimited)
//! nice = 10
//! sched_idle = true                  # prover threads run only when nothing else wants the CPU
//! cpus = "auto"                      # prover cores apart from serving: auto | off | "6,7"
//! window_secs = 3600                 # how long receipts stay provable
//! max_records = 1000000
//! keys = ["keys/digits.pk"]          # ceremony proving keys (pol-proofs ceremony finalize),
//!                                    # each with its record beside it (digits.setup.json);
//!                                    # given, no architecture is ever set up from a seed
//! setup_seed = 1                     # without keys: INSECURE seeded setup (localnet only)
//! verify = true                      # check each proof before answering
//! key_dir = "keys"                   # cache proving keys between runs (optional)
//!
//! [payments]                         # pay before service (needs [chain])
//! required = true                    # refuse requests without a valid payment
//! margin_blocks = 30                 # stop taking a channel's payments this close to its expiry
//! claim_interval_secs = 60           # claim at least this often (near-expiry channels at once)
//! journal = "payments.journal"       # unclaimed payments, kept across crashes (default: beside key_file)
//! free_per_minute = 0                # a free tier: requests/minute per channel without paying (0: none)
//!
//! [fault]                            # FAULT INJECTION for tests only; off by default
//! extra_latency_ms = 0               # added before each Infer answer
//! jitter_ms = 0                      # plus a uniform 0..=jitter_ms
//! tail_ms = 0                        # plus this much on a tail_ppm share of calls (a long tail)
//! tail_ppm = 0
//! drop_ppm = 0                       # this share of Infer calls fail UNAVAILABLE (after the delay)
//! after_secs = 0                     # faults start after this much uptime
//! spare = []                         # source IPs the faults skip (a provider that tells probes from traffic)
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
    /// Payments: checked before every inference, claimed on chain (see `payments`).
    #[serde(default)]
    pub payments: crate::payments::PaymentsConfig,
    /// Fault injection for tests; off unless set.
    #[serde(default)]
    pub fault: Fault,
}

/// `[fault]`: FAULT INJECTION FOR TESTS AND DRILLS ONLY (a provider that turns slow or
/// flaky, so the tests can watch Proof-of-Latency penalize it). Every field defaults to 0,
/// which is off. Only `Infer` is affected.
///
/// A dropped call waits out its delay, then fails with gRPC `UNAVAILABLE` (it does not hang:
/// a hang is `extra_latency_ms` above the client's timeout).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fault {
    /// Added before answering each `Infer`, milliseconds.
    pub extra_latency_ms: u64,
    /// Plus a delay drawn uniformly from `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Plus `tail_ms` on `tail_ppm` of the calls (calls per million): a long tail, as a
    /// queue, a pause or a noisy neighbour gives a real server, where most answers are fast.
    pub tail_ms: u64,
    pub tail_ppm: u32,
    /// Calls per million that fail with `UNAVAILABLE` after the delay.
    pub drop_ppm: u32,
    /// Faults start only after this many seconds of uptime (0: from the start), so a test
    /// can time "turned slow" to "penalized".
    pub after_secs: u64,
    /// Calls from these source addresses get no fault: a provider that recognises the
    /// validators' probers (by address) and serves them fast while everyone else waits.
    pub spare: Vec<std::net::IpAddr>,
}

impl Fault {
    /// Longest delay accepted (10 minutes): longer is a typo, not a test.
    pub const MAX_DELAY_MS: u64 = 600_000;

    /// True when any fault is configured.
    pub fn is_active(&self) -> bool {
        self.extra_latency_ms > 0
            || self.jitter_ms > 0
            || (self.tail_ms > 0 && self.tail_ppm > 0)
            || self.drop_ppm > 0
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        for (name, v) in [
            ("extra_latency_ms", self.extra_latency_ms),
            ("jitter_ms", self.jitter_ms),
            ("tail_ms", self.tail_ms),
        ] {
            if v > Self::MAX_DELAY_MS {
                return Err(ConfigError::Invalid(format!(
                    "fault.{name} = {v} is more than {} (10 minutes)",
                    Self::MAX_DELAY_MS
                )));
            }
        }
        for (name, v) in [("drop_ppm", self.drop_ppm), ("tail_ppm", self.tail_ppm)] {
            if v > 1_000_000 {
                return Err(ConfigError::Invalid(format!(
                    "fault.{name} = {v} is more than 1000000 (every call)"
                )));
            }
        }
        if self.after_secs > 365 * 86_400 {
            return Err(ConfigError::Invalid(format!(
                "fault.after_secs = {} is more than a year",
                self.after_secs
            )));
        }
        Ok(())
    }
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
    /// Of `max_pending`, the places only the chain's obligations may take (default: half).
    pub reserved_for_obligations: Option<usize>,
    /// Public `Prove` calls per remote address per minute (0: unlimited).
    pub prove_per_peer_per_minute: u32,
    pub nice: i32,
    /// Prover threads under `SCHED_IDLE` (Linux).
    pub sched_idle: bool,
    /// `"auto"`, `"off"` or a CPU list such as `"6,7"` / `"4-7"` (see `crate::cpus`).
    pub cpus: String,
    pub window_secs: u64,
    pub max_records: usize,
    pub setup_seed: u64,
    /// Ceremony proving keys (`pol-proofs ceremony finalize --out-pk`), each with its setup
    /// record beside it (`<name>.setup.json`, from `--out-setup`). When any is given, every
    /// served architecture must have one: the worker never falls back to a seeded setup.
    pub keys: Vec<PathBuf>,
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
            reserved_for_obligations: None,
            prove_per_peer_per_minute: 60,
            nice: 10,
            sched_idle: true,
            cpus: "auto".into(),
            window_secs: 3600,
            max_records: 1_000_000,
            setup_seed: 1,
            keys: Vec::new(),
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

    /// `[prover] cpus`, parsed.
    pub fn prover_cpus(&self) -> Result<crate::cpus::CpuPolicy, ConfigError> {
        self.prover
            .cpus
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("prover.cpus: {e}")))
    }

    pub fn resolve_paths(&mut self, base: &Path) {
        if self.key_file.is_relative() {
            self.key_file = base.join(&self.key_file);
        }
        if let Some(d) = self.prover.key_dir.as_mut().filter(|d| d.is_relative()) {
            *d = base.join(&*d);
        }
        for k in self.prover.keys.iter_mut().filter(|k| k.is_relative()) {
            *k = base.join(&*k);
        }
        for m in &mut self.models {
            if m.path.is_relative() {
                m.path = base.join(&m.path);
            }
        }
        if let Some(c) = self.chain.as_mut().filter(|c| c.home.is_relative()) {
            c.home = base.join(&c.home);
        }
        if self.payments.journal.as_os_str().is_empty() {
            self.payments.journal = self
                .key_file
                .parent()
                .unwrap_or(base)
                .join("payments.journal");
        } else if self.payments.journal.is_relative() {
            self.payments.journal = base.join(&self.payments.journal);
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
        self.prover_cpus()?;
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
        if self.payments.required && self.chain.is_none() {
            return Err(ConfigError::Invalid(
                "payments.required needs [chain]: payments are checked against it".into(),
            ));
        }
        if self.payments.claim_interval_secs == 0 {
            return Err(ConfigError::Invalid(
                "payments.claim_interval_secs must be > 0".into(),
            ));
        }
        self.fault.check()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &str) -> Result<Config, String> {
        let provider = crate::receipt::format_address(&[1; 20]);
        let text = format!(
            "provider = \"{provider}\"\n[[models]]\nid = \"m\"\npath = \"m.polm\"\n{extra}"
        );
        let cfg: Config = toml::from_str(&text).map_err(|e| e.to_string())?;
        cfg.check().map_err(|e| e.to_string())?;
        Ok(cfg)
    }

    #[test]
    fn fault_is_off_by_default() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg.fault, Fault::default());
        assert!(!cfg.fault.is_active());
    }

    #[test]
    fn fault_section_parses() {
        let cfg = parse(
            "[fault]\nextra_latency_ms = 50\njitter_ms = 5\ndrop_ppm = 1000\nafter_secs = 3\n",
        )
        .unwrap();
        assert_eq!(
            cfg.fault,
            Fault {
                extra_latency_ms: 50,
                jitter_ms: 5,
                drop_ppm: 1000,
                after_secs: 3,
                ..Default::default()
            }
        );
        assert!(cfg.fault.is_active());
        // after_secs alone injects nothing.
        assert!(!parse("[fault]\nafter_secs = 3\n")
            .unwrap()
            .fault
            .is_active());
    }

    #[test]
    fn bad_fault_settings_are_named() {
        let err = |s: &str| parse(s).unwrap_err();
        assert!(err("[fault]\ndrop_ppm = 1000001\n").contains("fault.drop_ppm"));
        assert!(err("[fault]\nextra_latency_ms = 600001\n").contains("fault.extra_latency_ms"));
        assert!(err("[fault]\njitter_ms = 9999999\n").contains("fault.jitter_ms"));
        assert!(err("[fault]\nafter_secs = 99999999999\n").contains("fault.after_secs"));
        assert!(err("[fault]\nlatency_ms = 5\n").contains("latency_ms"));
        assert!(err("[fault]\ndrop_ppm = -1\n").contains("drop_ppm"));
    }
}
