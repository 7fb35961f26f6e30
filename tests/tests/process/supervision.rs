//! `pold start` supervises CometBFT: a crashed CometBFT is restarted, a clean shutdown takes
//! it down, and pold dying (even by SIGKILL) never leaves it orphaned.

use std::time::Duration;

use pol_tests::*;

/// Children of `pid`, forked by any of its threads (tokio spawns from worker threads).
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        out.extend(
            text.split_whitespace()
                .filter_map(|s| s.parse::<u32>().ok())
                .filter(|&c| is_running(c)),
        );
    }
    out
}

fn is_running(pid: u32) -> bool {
    // A zombie is dead for our purposes.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

async fn wait_until(mut f: impl FnMut() -> bool, what: &str) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cometbft_is_restarted_and_never_orphaned() {
    let mut node = Node::init(&ChainOptions::default()).unwrap();
    node.start_and_wait(2).await.unwrap();
    let pold = node.pid().unwrap();
    let comet = *children(pold)
        .first()
        .expect("pold runs cometbft as its child");

    // CometBFT crashes: pold starts a new one and the chain goes on.
    unsafe { libc::kill(comet as i32, libc::SIGKILL) };
    wait_until(
        || children(pold).iter().any(|&c| c != comet && is_running(c)),
        "a new cometbft",
    )
    .await;
    let h = node.rpc.latest_height().await.unwrap_or(0);
    node.wait_for_height(h + 3, Duration::from_secs(60))
        .await
        .unwrap();

    // Clean shutdown: pold exits 0 and takes CometBFT with it.
    let comet2 = *children(pold).first().unwrap();
    let status = node.stop().unwrap();
    assert!(status.success(), "pold exited with {status}");
    assert!(!is_running(comet2), "cometbft survived pold's shutdown");

    // pold killed alone (not its group): CometBFT dies with it (parent-death signal).
    node.start_and_wait(1).await.unwrap();
    let pold = node.pid().unwrap();
    let comet3 = *children(pold).first().unwrap();
    unsafe { libc::kill(pold as i32, libc::SIGKILL) };
    wait_until(|| !is_running(comet3), "cometbft to die with pold").await;
}
