//! Real `pol-worker` processes for integration tests: a config writer and a process handle
//! that kills the worker's whole process group when dropped.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{free_port, pold_bin, repo_root};

/// The default model every test worker serves.
pub const MODEL: &str = "digits-64-32-10";

pub fn worker_bin() -> PathBuf {
    pold_bin().with_file_name("pol-worker")
}

pub fn default_model_path() -> PathBuf {
    repo_root().join("inference/models/digits-64-32-10.polm")
}

/// `[fault]` of the worker config: latency and failures injected for tests.
#[derive(Clone, Debug, Default)]
pub struct Fault {
    pub extra_latency_ms: u64,
    pub jitter_ms: u64,
    /// `tail_ms` more on `tail_ppm` of the calls.
    pub tail_ms: u64,
    pub tail_ppm: u32,
    pub drop_ppm: u32,
    pub after_secs: u64,
    /// Source addresses served without the fault (a provider that spots probers).
    pub spare: Vec<std::net::IpAddr>,
}

/// `[chain]` and `[chain.register]`: the worker registers itself and settles obligations.
#[derive(Clone, Debug)]
pub struct ChainLink {
    /// pold gRPC, e.g. `127.0.0.1:9090`.
    pub grpc: String,
    /// The pold home whose keyring holds `key`.
    pub home: PathBuf,
    pub key: String,
    pub bond: u128,
    pub price_per_inference: u64,
    pub max_p99_latency_us: u64,
    pub max_failure_rate_ppm: u32,
    /// Register the architecture and the model too (one worker of a network does).
    pub register_models: bool,
}

#[derive(Clone, Debug)]
pub struct WorkerSpec {
    pub chain_id: String,
    /// Bech32 provider address.
    pub provider: String,
    pub port: u16,
    pub fault: Fault,
    pub chain: Option<ChainLink>,
    /// `[payments] required`: refuse requests that do not pay (needs `chain`).
    pub payments_required: bool,
}

impl WorkerSpec {
    pub fn new(chain_id: &str, provider: &str) -> Self {
        WorkerSpec {
            chain_id: chain_id.into(),
            provider: provider.into(),
            port: free_port(),
            fault: Fault::default(),
            chain: None,
            payments_required: false,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The worker's TOML; keys (`worker.key`, prover keys under `keys/`) live beside it.
    pub fn to_toml(&self) -> String {
        let mut t = format!(
            r#"chain_id = "{chain}"
provider = "{provider}"
listen = "127.0.0.1:{port}"
metrics_listen = ""
key_file = "worker.key"
device = "cpu"

[prover]
threads = 1
setup_seed = 1
verify = false
key_dir = "keys"

[fault]
extra_latency_ms = {extra}
jitter_ms = {jitter}
tail_ms = {tail_ms}
tail_ppm = {tail_ppm}
drop_ppm = {drop}
after_secs = {after}
spare = [{spare}]

[[models]]
id = "{MODEL}"
path = "{model}"
"#,
            chain = self.chain_id,
            provider = self.provider,
            port = self.port,
            extra = self.fault.extra_latency_ms,
            jitter = self.fault.jitter_ms,
            tail_ms = self.fault.tail_ms,
            tail_ppm = self.fault.tail_ppm,
            drop = self.fault.drop_ppm,
            after = self.fault.after_secs,
            spare = self
                .fault
                .spare
                .iter()
                .map(|ip| format!("\"{ip}\""))
                .collect::<Vec<_>>()
                .join(", "),
            model = default_model_path().display(),
        );
        if self.payments_required {
            t.push_str(
                "\n[payments]\nrequired = true\nmargin_blocks = 30\nclaim_interval_secs = 20\n",
            );
        }
        if let Some(c) = &self.chain {
            t.push_str(&format!(
                r#"
[chain]
grpc = "http://{grpc}"
home = "{home}"
key = "{key}"
poll_ms = 300

[chain.register]
endpoint = "{endpoint}"
bond = "{bond}upol"
price_per_inference = {price}
max_p99_latency_us = {p99}
max_failure_rate_ppm = {rate}
models = {models}
model_price = 3
"#,
                grpc = c.grpc,
                home = c.home.display(),
                key = c.key,
                endpoint = self.endpoint(),
                bond = c.bond,
                price = c.price_per_inference,
                p99 = c.max_p99_latency_us,
                rate = c.max_failure_rate_ppm,
                models = c.register_models,
            ));
        }
        t
    }
}

/// A running pol-worker in its own process group, killed on drop.
pub struct WorkerProcess {
    child: Option<Child>,
    pub log: PathBuf,
    pub dir: PathBuf,
}

impl WorkerProcess {
    /// Write `spec`'s config into `dir` and start the worker there.
    pub fn start(spec: &WorkerSpec, dir: &Path) -> anyhow::Result<WorkerProcess> {
        std::fs::create_dir_all(dir)?;
        let config = dir.join("worker.toml");
        std::fs::write(&config, spec.to_toml())?;
        Self::start_config(&config, dir.join("worker.log"))
    }

    /// Start a worker on an existing config file.
    pub fn start_config(config: &Path, log: PathBuf) -> anyhow::Result<WorkerProcess> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
        let child = Command::new(worker_bin())
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0)
            .spawn()
            .map_err(|e| anyhow::anyhow!("spawning {}: {e}", worker_bin().display()))?;
        Ok(WorkerProcess {
            child: Some(child),
            log,
            dir: config.parent().map(Path::to_path_buf).unwrap_or_default(),
        })
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// SIGKILL the worker's process group.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe { libc::kill(-(c.id() as i32), libc::SIGKILL) };
            let _ = c.wait();
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
