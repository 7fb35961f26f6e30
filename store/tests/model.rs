//! Randomized comparison against an in-memory model: many versions of random puts/deletes
//! (keys sharing prefixes, binary keys and values), with a small retention window, checking
//! every retained version's point reads, prefix pages and proofs after every commit.

use std::collections::BTreeMap;

use pol_store::{proof_spec, Changeset, StateRead, Storage, StorageConfig, StoreError};

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

fn random_key(rng: &mut Rng) -> Vec<u8> {
    let prefixes: [&[u8]; 5] = [b"a/", b"a/b/", b"b/", b"\x00", b"\xff"];
    let mut k = prefixes[rng.below(5) as usize].to_vec();
    let n = rng.below(3) + 1;
    for _ in 0..n {
        k.push([b'x', b'y', 0u8, 0xFF][rng.below(4) as usize]);
    }
    k
}

fn run(seed: u64, keep_recent: u64, versions: u64) {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::open(dir.path(), StorageConfig { keep_recent }).unwrap();
    let mut rng = Rng(seed);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut history: BTreeMap<u64, BTreeMap<Vec<u8>, Vec<u8>>> = BTreeMap::new();
    let mut version = 0u64;
    for _ in 0..versions {
        version += 1 + rng.below(2); // occasional height gaps
        let mut c = Changeset::default();
        for _ in 0..rng.below(12) {
            let k = random_key(&mut rng);
            let v = if rng.below(3) == 0 {
                None
            } else {
                Some(
                    (0..1 + rng.below(4))
                        .map(|_| rng.next() as u8)
                        .collect::<Vec<u8>>(),
                )
            };
            c.writes.insert(k, v);
        }
        for (k, v) in &c.writes {
            match v {
                Some(v) => model.insert(k.clone(), v.clone()),
                None => model.remove(k),
            };
        }
        s.commit(s.prepare(version, c).unwrap()).unwrap();
        history.insert(version, model.clone());

        let oldest = if keep_recent == 0 {
            0
        } else {
            (version + 1).saturating_sub(keep_recent)
        };
        for (&v, expected) in history.range(..=version).rev() {
            if v < oldest {
                assert!(
                    matches!(s.snapshot(v), Err(StoreError::VersionPruned { .. })),
                    "seed {seed} v{v}"
                );
                continue;
            }
            let snap = s.snapshot(v).unwrap();
            let all: BTreeMap<_, _> = snap
                .prefix_raw(b"", None, usize::MAX)
                .unwrap()
                .into_iter()
                .collect();
            assert_eq!(
                &all, expected,
                "seed {seed} version {v} at latest {version}"
            );
            for prefix in [&b"a/"[..], b"a/b/", b"\x00", b"\xff"] {
                let want: Vec<_> = expected
                    .range(prefix.to_vec()..)
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let mut got = vec![];
                let mut after: Option<Vec<u8>> = None;
                loop {
                    let page = snap.prefix_raw(prefix, after.as_deref(), 3).unwrap();
                    if page.is_empty() {
                        break;
                    }
                    after = Some(page.last().unwrap().0.clone());
                    got.extend(page);
                }
                assert_eq!(got, want, "seed {seed} version {v} prefix {prefix:?}");
            }
            for _ in 0..4 {
                let k = random_key(&mut rng);
                let (val, proof) = snap.get_with_proof(&k).unwrap();
                assert_eq!(val.as_ref(), expected.get(&k));
                assert_eq!(snap.get_raw(&k).unwrap().as_ref(), expected.get(&k));
                let root = snap.root_hash().to_vec();
                let ok = match &val {
                    Some(val) => ics23::verify_membership::<ics23::HostFunctionsManager>(
                        &proof,
                        &proof_spec(),
                        &root,
                        &k,
                        val,
                    ),
                    None if expected.is_empty() => true, // empty tree: nothing to prove against
                    None => ics23::verify_non_membership::<ics23::HostFunctionsManager>(
                        &proof,
                        &proof_spec(),
                        &root,
                        &k,
                    ),
                };
                assert!(
                    ok,
                    "seed {seed} version {v} key {k:?} value {val:?} proof {proof:?}"
                );
            }
        }
        while history.len() > keep_recent as usize + 3 && keep_recent > 0 {
            history.pop_first();
        }
    }
    // reopen: same latest state and window
    let latest_root = s.latest_snapshot().root_hash();
    drop(s);
    let s = Storage::open(dir.path(), StorageConfig { keep_recent }).unwrap();
    assert_eq!(s.latest_version(), Some(version));
    assert_eq!(s.latest_snapshot().root_hash(), latest_root);
    let all: BTreeMap<_, _> = s
        .latest_snapshot()
        .prefix_raw(b"", None, usize::MAX)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(all, model);
}

#[test]
fn random_ops_match_model_keep_all() {
    run(0x9E3779B97F4A7C15, 0, 40);
}

#[test]
fn random_ops_match_model_keep_3() {
    for seed in 1..=4u64 {
        run(seed * 0x2545F4914F6CDD1D, 3, 60);
    }
}

#[test]
fn random_ops_match_model_keep_1() {
    run(0xDEADBEEF, 1, 60);
}
