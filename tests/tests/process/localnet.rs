//! The README's main command, `scripts/localnet` (the `localnet` binary it runs): four
//! validators on 127.0.0.1–4 with the standard ports and three real workers come up, the
//! providers register and get a consensus latency; Ctrl-C (SIGINT) stops everything and
//! leaves no process behind; running it again resumes the same chain.
//!
//! Uses the standard ports (26656–26660, 9090, 50051–50053): nothing else in this test
//! binary listens there, and `free_port` never hands them out to the other tests.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pol_client::RpcClient;
use pol_tests::chain_query::{aggregate, eventually, provider};
use pol_tests::{pold, pold_bin};

/// The processes (pid, command line) whose command line names `dir` (pold, CometBFT,
/// workers of this localnet).
fn processes_under(dir: &Path) -> Vec<(i32, String)> {
    let needle = dir.to_string_lossy().to_string();
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        // A zombie has an empty command line; only live processes count.
        if cmd.contains(&needle) {
            found.push((pid, cmd));
        }
    }
    found
}

/// A running `localnet`, stopped with SIGINT (then SIGKILL) if the test fails midway.
struct Localnet {
    child: Option<Child>,
    dir: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl Localnet {
    fn start(dir: &Path, log: &Path) -> anyhow::Result<Localnet> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let child = Command::new(env!("CARGO_BIN_EXE_localnet"))
            .args(["--dir", &dir.to_string_lossy(), "--no-view"])
            .args(["--timeout-commit", "300ms", "--epoch-blocks", "4"])
            .args(["--slow-after-secs", "5"])
            .env("POLD_BIN", pold_bin())
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        Ok(Localnet {
            child: Some(child),
            dir: dir.to_path_buf(),
            log: log.to_path_buf(),
        })
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Ctrl-C, as a user would; the exit status within `grace`.
    fn interrupt(&mut self, grace: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let mut child = self.child.take().expect("running");
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + grace;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                // Its nodes and workers run in process groups of their own: kill them too,
                // or they would hold the standard ports for every later test.
                for (pid, _) in processes_under(&self.dir) {
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                anyhow::bail!("localnet still running {grace:?} after SIGINT");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.interrupt(Duration::from_secs(60));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn localnet_serves_stops_cleanly_on_ctrl_c_and_resumes() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("localnet");
    let log = tmp.path().join("localnet.log");
    let rpc = RpcClient::new("http://127.0.0.1:26657");

    let mut net = Localnet::start(&dir, &log)?;
    // The validators come up and the fast provider registers and is measured.
    rpc.wait_for_height(2, Duration::from_secs(180))
        .await
        .map_err(|e| anyhow::anyhow!("{e}; localnet log:\n{}", net.log_tail()))?;
    let fast = pold(&dir.join("val0"), &["keys", "show", "fast", "-a"])?
        .trim()
        .to_string();
    // A commit needs only >2/3 of the votes, so an early aggregate may come from three
    // of the four validators; every one of them measures the provider soon after.
    let measured = eventually(
        "a consensus latency of the fast provider from all four validators",
        Duration::from_secs(180),
        || {
            let (rpc, a) = (rpc.clone(), fast.clone());
            async move { aggregate(&rpc, &a).await.filter(|agg| agg.reporters == 4) }
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}; localnet log:\n{}", net.log_tail()))?;
    assert_eq!(
        measured.reporting_power, measured.total_power,
        "{measured:?}"
    );
    // The workers serve paid requests only: every validator measured it with probes paid
    // through a payment channel of its own.
    let channels: pol_payments::pb::QueryChannelsResponse = pol_tests::chain_query::query(
        &rpc,
        "/pol.payments.v1.Query/ChannelsByProvider",
        &pol_payments::pb::QueryChannelsByProviderRequest {
            provider: fast.clone(),
            pagination: None,
        },
    )
    .await
    .ok_or_else(|| anyhow::anyhow!("no payments query answer"))?;
    let payers: std::collections::BTreeSet<&str> = channels
        .channels
        .iter()
        .map(|c| c.requester.as_str())
        .collect();
    assert_eq!(
        payers.len(),
        4,
        "one probe channel per validator: {channels:?}"
    );
    for name in ["slow", "dropping"] {
        let addr = pold(&dir.join("val0"), &["keys", "show", name, "-a"])?;
        eventually(name, Duration::from_secs(60), || {
            let (rpc, a) = (rpc.clone(), addr.trim().to_string());
            async move { provider(&rpc, &a).await }
        })
        .await?;
    }
    let first_block = rpc
        .call("block", serde_json::json!({"height": "1"}))
        .await?["block_id"]["hash"]
        .clone();
    let stopped_at = rpc.latest_height().await?;

    // Ctrl-C: exit 0, and nothing of it left running.
    let status = net.interrupt(Duration::from_secs(60))?;
    assert!(status.success(), "localnet exited with {status}");
    let left = processes_under(&dir);
    assert!(left.is_empty(), "left running after Ctrl-C: {left:?}");
    assert!(
        std::net::TcpListener::bind("127.0.0.1:26657").is_ok(),
        "the RPC port is still held"
    );

    // Again: the same chain goes on from where it stopped.
    let mut net = Localnet::start(&dir, &log)?;
    rpc.wait_for_height(stopped_at + 3, Duration::from_secs(180))
        .await
        .map_err(|e| anyhow::anyhow!("{e}; localnet log:\n{}", net.log_tail()))?;
    let again = rpc
        .call("block", serde_json::json!({"height": "1"}))
        .await?["block_id"]["hash"]
        .clone();
    assert_eq!(again, first_block, "a new chain instead of the old one");
    assert!(
        std::fs::read_to_string(&log)?.contains("resuming the 4-validator network"),
        "{}",
        net.log_tail()
    );
    let status = net.interrupt(Duration::from_secs(60))?;
    assert!(status.success(), "localnet exited with {status}");
    let left = processes_under(&dir);
    assert!(left.is_empty(), "left running after Ctrl-C: {left:?}");
    Ok(())
}
