//! Readers of retained versions while commits prune older versions.
//!
//! Queries read committed snapshots from other threads without any lock shared with consensus,
//! while `commit` (on the consensus thread) prunes the versions that leave the retention window.
//! This test commits many small versions (keys overwritten and deleted, so pruning removes both
//! superseded entries and tombstones every commit) with a small `keep_recent`, while reader
//! threads keep taking snapshots at retained heights and compare `get_raw`, `prefix_raw`
//! (whole-store scans and paginated prefix scans) and, now and then, verified proofs with an
//! in-memory model of every version. A read may fail only with `VersionPruned`, and only for a
//! version that really has left the window by then; any other error or any difference from the
//! model fails the test.
//!
//! The race it was written for (see `Inner::read_at` in `src/storage.rs`): a `prefix_raw` scan
//! at a retained version that straddled a prune batch returned a deleted key with an old value.
//! Without the fix, 32 rounds × 50 versions with 4 readers caught it in every one of 100 runs
//! (after 0.3–7 s, debug build, 2 cores); with it the test takes about 10 s.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pol_store::{
    proof_spec, Changeset, Snapshot, StateRead, Storage, StorageConfig, StoreError, Version,
};

type State = BTreeMap<Vec<u8>, Vec<u8>>;
type Models = Arc<Mutex<BTreeMap<Version, Arc<State>>>>;

const KEEP: u64 = 4;
const KEYS: u64 = 120;
const WRITES_PER_VERSION: u64 = 32;
const READERS: usize = 4;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Keys under three prefixes, one nested in another (`a/b/` inside `a/`).
fn key(i: u64) -> Vec<u8> {
    let prefix = ["a/", "a/b/", "c/"][(i % 3) as usize];
    format!("{prefix}{i:04}").into_bytes()
}

/// The value names its key and version, so a read of the wrong version cannot match.
fn value(k: &[u8], version: Version) -> Vec<u8> {
    let mut v = k.to_vec();
    v.extend_from_slice(format!("@{version}").as_bytes());
    v
}

fn show(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    entries
        .iter()
        .map(|(k, x)| {
            format!(
                "{}={}",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(x)
            )
        })
        .collect()
}

/// A read failed: that is only acceptable as `VersionPruned` of `v`, and only if `v` is below
/// the window of the latest version committed by now (the window only moves up).
fn expect_pruned(s: &Storage, v: Version, e: StoreError, what: &str) {
    match e {
        StoreError::VersionPruned { requested, .. } if requested == v => {
            let latest = s.latest_version().unwrap();
            assert!(
                v + KEEP <= latest,
                "{what}: version {v} reported pruned but the window of latest {latest} keeps it"
            );
        }
        e => panic!("{what} at version {v}: unexpected error {e}"),
    }
}

/// Outcome of one check: the read was compared with the model, or the version was pruned.
enum Checked {
    Ok,
    Pruned,
}

fn check_snapshot(s: &Storage, snap: &Snapshot, want: &State, rng: &mut Rng) -> Checked {
    let v = snap.version().unwrap();
    macro_rules! read {
        ($what:expr, $e:expr) => {
            match $e {
                Ok(x) => x,
                Err(e) => {
                    expect_pruned(s, v, e, $what);
                    return Checked::Pruned;
                }
            }
        };
    }

    // Whole-store scan in one call.
    let all = read!("prefix_raw(\"\")", snap.prefix_raw(b"", None, usize::MAX));
    let all: State = all.into_iter().collect();
    if &all != want {
        let missing: Vec<_> = want.keys().filter(|k| !all.contains_key(*k)).collect();
        let extra: Vec<_> = all.keys().filter(|k| !want.contains_key(*k)).collect();
        let wrong: Vec<_> = all
            .iter()
            .filter(|(k, x)| want.get(*k).is_some_and(|w| w != *x))
            .map(|(k, x)| (String::from_utf8_lossy(k), String::from_utf8_lossy(x)))
            .collect();
        panic!(
            "prefix_raw(\"\") at retained version {v} (latest {:?}) differs from the model: \
             missing {:?}, extra {:?}, wrong values {:?}",
            s.latest_version(),
            missing
                .iter()
                .map(|k| String::from_utf8_lossy(k))
                .collect::<Vec<_>>(),
            extra
                .iter()
                .map(|k| String::from_utf8_lossy(k))
                .collect::<Vec<_>>(),
            wrong
        );
    }

    // Paginated scans of a prefix that contains another one.
    for (prefix, page) in [(&b"a/"[..], 7usize), (b"a/b/", 3), (b"c/", 11)] {
        let expected: Vec<(Vec<u8>, Vec<u8>)> = want
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, x)| (k.clone(), x.clone()))
            .collect();
        let mut got = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let p = read!(
                "paginated prefix_raw",
                snap.prefix_raw(prefix, after.as_deref(), page)
            );
            let Some(last) = p.last() else { break };
            after = Some(last.0.clone());
            got.extend(p);
        }
        assert_eq!(
            show(&got),
            show(&expected),
            "paginated prefix_raw({:?}) at retained version {v} differs from the model",
            String::from_utf8_lossy(prefix)
        );
    }

    // Point reads, present and absent keys.
    for _ in 0..16 {
        let k = key(rng.below(KEYS));
        let got = read!("get_raw", snap.get_raw(&k));
        assert_eq!(
            got.as_ref(),
            want.get(&k),
            "get_raw({}) at retained version {v} differs from the model",
            String::from_utf8_lossy(&k)
        );
    }

    // Now and then a proof (slow in debug builds), checked against the snapshot's root.
    if rng.below(16) == 0 {
        let k = key(rng.below(KEYS));
        let (got, proof) = read!("get_with_proof", snap.get_with_proof(&k));
        assert_eq!(got.as_ref(), want.get(&k), "get_with_proof value at {v}");
        let root = snap.root_hash().to_vec();
        let ok = match &got {
            Some(x) => ics23::verify_membership::<ics23::HostFunctionsManager>(
                &proof,
                &proof_spec(),
                &root,
                &k,
                x,
            ),
            None if want.is_empty() => true,
            None => ics23::verify_non_membership::<ics23::HostFunctionsManager>(
                &proof,
                &proof_spec(),
                &root,
                &k,
            ),
        };
        assert!(ok, "proof of {k:?} at version {v} does not verify");
    }
    Checked::Ok
}

fn reader(s: Storage, models: Models, done: Arc<AtomicBool>, seed: u64) -> (u64, u64) {
    let mut rng = Rng(seed);
    let (mut checked, mut pruned) = (0u64, 0u64);
    while !done.load(Ordering::Acquire) {
        let Some(latest) = s.latest_version() else {
            std::thread::yield_now();
            continue;
        };
        // A version of the window; a quarter of the time its oldest one, which the next commit
        // prunes while it is being read.
        let oldest = (latest + 1).saturating_sub(KEEP).max(1);
        let v = if rng.below(4) == 0 {
            oldest
        } else {
            oldest + rng.below(latest - oldest + 1)
        };
        let snap = match s.snapshot(v) {
            Ok(snap) => snap,
            Err(e) => {
                expect_pruned(&s, v, e, "snapshot");
                pruned += 1;
                continue;
            }
        };
        assert_eq!(snap.version(), Some(v));
        let want = models
            .lock()
            .unwrap()
            .get(&v)
            .cloned()
            .expect("the model of a version is published before it is committed");
        match check_snapshot(&s, &snap, &want, &mut rng) {
            Checked::Ok => checked += 1,
            Checked::Pruned => pruned += 1,
        }
    }
    (checked, pruned)
}

/// Commits `versions` versions on `s` while `READERS` threads check retained versions.
fn run(seed: u64, versions: u64) -> (u64, u64) {
    let s = Storage::open_temporary(StorageConfig { keep_recent: KEEP }).unwrap();
    let models: Models = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..READERS as u64)
        .map(|i| {
            let (s, models, done) = (s.clone(), models.clone(), done.clone());
            std::thread::spawn(move || reader(s, models, done, seed ^ ((i + 1) * 0x9E37_79B9)))
        })
        .collect();

    let mut rng = Rng(seed);
    let mut state = State::new();
    for v in 1..=versions {
        let mut c = Changeset::default();
        for _ in 0..WRITES_PER_VERSION {
            let k = key(rng.below(KEYS));
            // half deletes: tombstones over older values, pruned once they reach the floor
            let x = (rng.below(2) != 0).then(|| value(&k, v));
            c.writes.insert(k, x);
        }
        for (k, x) in &c.writes {
            match x {
                Some(x) => state.insert(k.clone(), x.clone()),
                None => state.remove(k),
            };
        }
        models.lock().unwrap().insert(v, Arc::new(state.clone()));
        s.commit(s.prepare(v, c).unwrap()).unwrap();
        // let the readers run between commits now and then (2-core machines)
        if v % 4 == 0 {
            std::thread::yield_now();
        }
    }
    done.store(true, Ordering::Release);
    let mut totals = (0, 0);
    for r in readers {
        match r.join() {
            Ok((c, p)) => {
                totals.0 += c;
                totals.1 += p;
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    assert_eq!(s.oldest_retained_version(), Some(versions + 1 - KEEP));
    totals
}

#[test]
fn readers_of_retained_versions_never_see_partial_pruning() {
    let (mut checked, mut pruned) = (0, 0);
    for round in 0..32u64 {
        let (c, p) = run(0x2545_F491_4F6C_DD1D ^ round, 50);
        checked += c;
        pruned += p;
    }
    eprintln!(
        "{checked} snapshots checked against the model, {pruned} reads found their version pruned"
    );
    // The readers must actually have overlapped the commits.
    assert!(checked >= 50, "only {checked} snapshots were checked");
}
