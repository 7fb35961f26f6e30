//! Crash consistency: a child process (this test binary, re-executed with an env var) commits
//! in a loop; the parent kill -9s it at random moments, reopens the store and checks that it is
//! at a consistent version whose root matches a recomputation from the same changesets.

// `x % n == 0` rather than `is_multiple_of`: the workspace MSRV is 1.85.
#![allow(clippy::manual_is_multiple_of)]

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pol_store::{Changeset, StateRead, Storage, StorageConfig};

const CHILD_ENV: &str = "POL_STORE_CRASH_CHILD_DIR";
const KEEP_RECENT: u64 = 5;

/// The changeset of version `v`: a deterministic function of `v` only.
fn changeset_for(v: u64) -> Changeset {
    let mut c = Changeset::default();
    for i in 0..64u64 {
        let k = (v.wrapping_mul(2654435761).wrapping_add(i * 97)) % 1500;
        let val = if (v + i) % 9 == 0 {
            None
        } else {
            Some(format!("v{v}-i{i}-{}", "x".repeat((i % 5) as usize * 20)).into_bytes())
        };
        c.writes.insert(format!("mod/key/{k:05}").into_bytes(), val);
    }
    // some versions write nothing merkleized at all
    if v % 11 == 0 {
        c.writes.clear();
    }
    c.local_meta
        .insert(b"height".to_vec(), v.to_be_bytes().to_vec());
    c
}

/// The child: commit versions forever, continuing after the latest committed one.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // only meaningful when spawned by the parent test
    };
    let s = Storage::open(
        std::path::Path::new(&dir),
        StorageConfig {
            keep_recent: KEEP_RECENT,
        },
    )
    .expect("child open");
    let mut v = s.latest_version().map_or(1, |v| v + 1);
    loop {
        let p = s.prepare(v, changeset_for(v)).expect("prepare");
        s.commit(p).expect("commit");
        v += 1;
    }
}

struct Reference {
    storage: Storage,
    roots: Vec<[u8; 32]>, // roots[v - 1]
    model: BTreeMap<Vec<u8>, Vec<u8>>,
    models: BTreeMap<u64, BTreeMap<Vec<u8>, Vec<u8>>>, // recent models by version
}

impl Reference {
    fn extend_to(&mut self, latest: u64) {
        while (self.roots.len() as u64) < latest {
            let v = self.roots.len() as u64 + 1;
            let c = changeset_for(v);
            for (k, val) in &c.writes {
                match val {
                    Some(val) => self.model.insert(k.clone(), val.clone()),
                    None => self.model.remove(k),
                };
            }
            let p = self.storage.prepare(v, c).unwrap();
            self.roots.push(self.storage.commit(p).unwrap());
            self.models.insert(v, self.model.clone());
            while self.models.len() > KEEP_RECENT as usize + 2 {
                self.models.pop_first();
            }
        }
    }
}

#[test]
fn kill_9_at_random_moments_leaves_a_consistent_version() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut reference = Reference {
        storage: Storage::open_temporary(StorageConfig { keep_recent: 0 }).unwrap(),
        roots: vec![],
        model: BTreeMap::new(),
        models: BTreeMap::new(),
    };
    // xorshift seeded from the clock: kill moments differ from run to run
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };

    let mut last = 0u64;
    let rounds = 12;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child has committed beyond where it started, then a random moment more.
        let started = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(5));
            if let Some(status) = child.try_wait().unwrap() {
                panic!("child exited on its own: {status}");
            }
            if started.elapsed() > Duration::from_millis(150 + rand() % 100) {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(rand() % 300_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let s = Storage::open(
            dir.path(),
            StorageConfig {
                keep_recent: KEEP_RECENT,
            },
        )
        .unwrap_or_else(|e| panic!("round {round}: reopen after kill -9 failed: {e}"));
        let latest = s.latest_version().unwrap_or(0);
        assert!(
            latest >= last,
            "round {round}: went back from {last} to {latest}"
        );
        if latest == 0 {
            continue;
        }
        reference.extend_to(latest);
        let snap = s.latest_snapshot();
        assert_eq!(
            snap.root_hash(),
            reference.roots[latest as usize - 1],
            "round {round}: root of version {latest} differs from the recomputation"
        );
        assert_eq!(
            s.local_meta(b"height").unwrap(),
            Some(latest.to_be_bytes().to_vec()),
            "round {round}: local meta not committed with the version"
        );
        let all: BTreeMap<_, _> = snap
            .prefix_raw(b"", None, usize::MAX)
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(&all, &reference.model, "round {round}: state at {latest}");
        // the retention window is readable, with the right roots and contents
        for v in latest.saturating_sub(KEEP_RECENT - 1).max(1)..=latest {
            let snap = s.snapshot(v).unwrap();
            assert_eq!(snap.root_hash(), reference.roots[v as usize - 1]);
            let expected = &reference.models[&v];
            let page = snap.prefix_raw(b"mod/key/", None, 50).unwrap();
            let want: Vec<_> = expected
                .iter()
                .take(50)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(page, want, "round {round}: version {v}");
            let (k, val) = expected.iter().next_back().unwrap();
            let (got, proof) = snap.get_with_proof(k).unwrap();
            assert_eq!(got.as_ref(), Some(val));
            assert!(ics23::verify_membership::<ics23::HostFunctionsManager>(
                &proof,
                &pol_store::proof_spec(),
                &snap.root_hash().to_vec(),
                k,
                val
            ));
        }
        eprintln!(
            "round {round}: killed at version {latest} (+{})",
            latest - last
        );
        last = latest;
    }
    assert!(last > 0, "the child never committed");
}
