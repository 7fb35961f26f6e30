use std::collections::BTreeMap;

use pol_store::{
    proof_spec, Changeset, MemState, Snapshot, StateDelta, StateRead, StateReadExt, StateWrite,
    StateWriteExt, Storage, StorageConfig, StoreError, EMPTY_ROOT,
};

fn open(dir: &tempfile::TempDir, keep_recent: u64) -> Storage {
    Storage::open(dir.path(), StorageConfig { keep_recent }).unwrap()
}

fn cs(writes: &[(&str, Option<&str>)]) -> Changeset {
    Changeset {
        writes: writes
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect(),
        local_meta: BTreeMap::new(),
    }
}

fn commit(s: &Storage, version: u64, c: Changeset) -> [u8; 32] {
    let p = s.prepare(version, c).unwrap();
    let root = p.root();
    assert_eq!(p.version(), version);
    assert_eq!(s.commit(p).unwrap(), root);
    root
}

fn get(s: &Snapshot, k: &str) -> Option<String> {
    s.get_raw(k.as_bytes())
        .unwrap()
        .map(|v| String::from_utf8(v).unwrap())
}

fn keys(v: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    v.iter()
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .collect()
}

#[test]
fn empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    assert_eq!(s.latest_version(), None);
    let snap = s.latest_snapshot();
    assert_eq!(snap.version(), None);
    assert_eq!(snap.root_hash(), EMPTY_ROOT);
    assert_eq!(get(&snap, "a"), None);
    assert!(snap.prefix_raw(b"", None, 10).unwrap().is_empty());
    assert!(matches!(
        s.snapshot(1),
        Err(StoreError::VersionUnknown {
            requested: 1,
            latest: None
        })
    ));
    assert_eq!(s.local_meta(b"x").unwrap(), None);
}

#[test]
fn reads_at_old_versions_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    let r1 = commit(&s, 1, cs(&[("a", Some("a1")), ("b", Some("b1"))]));
    let r2 = commit(&s, 2, cs(&[("a", Some("a2")), ("c", Some("c2"))]));
    let r3 = commit(&s, 3, cs(&[("b", None), ("a", Some("a3"))]));
    assert_ne!(r1, r2);
    assert_ne!(r2, r3);
    assert_eq!(s.latest_version(), Some(3));

    let s1 = s.snapshot(1).unwrap();
    let s2 = s.snapshot(2).unwrap();
    let s3 = s.latest_snapshot();
    assert_eq!(
        (s1.root_hash(), s2.root_hash(), s3.root_hash()),
        (r1, r2, r3)
    );
    assert_eq!(get(&s1, "a").as_deref(), Some("a1"));
    assert_eq!(get(&s2, "a").as_deref(), Some("a2"));
    assert_eq!(get(&s3, "a").as_deref(), Some("a3"));
    assert_eq!(get(&s1, "b").as_deref(), Some("b1"));
    assert_eq!(get(&s2, "b").as_deref(), Some("b1"));
    assert_eq!(get(&s3, "b"), None, "deleted at 3");
    assert_eq!(get(&s1, "c"), None, "not yet written at 1");
    assert_eq!(get(&s3, "c").as_deref(), Some("c2"));

    // Deleting every key gives the empty root again.
    let r4 = commit(&s, 4, cs(&[("a", None), ("c", None)]));
    assert_eq!(r4, EMPTY_ROOT);
    assert!(s
        .latest_snapshot()
        .prefix_raw(b"", None, 10)
        .unwrap()
        .is_empty());
    // and an empty block keeps the root
    let r5 = commit(&s, 5, Changeset::default());
    assert_eq!(r5, r4);
    assert!(matches!(
        s.snapshot(6),
        Err(StoreError::VersionUnknown { requested: 6, .. })
    ));
}

#[test]
fn snapshot_is_stable_while_commits_continue() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    commit(&s, 1, cs(&[("k/1", Some("x")), ("k/2", Some("y"))]));
    let snap = s.latest_snapshot();
    let before = snap.prefix_raw(b"k/", None, 100).unwrap();
    commit(
        &s,
        2,
        cs(&[("k/1", None), ("k/3", Some("z")), ("k/2", Some("w"))]),
    );
    assert_eq!(snap.prefix_raw(b"k/", None, 100).unwrap(), before);
    assert_eq!(get(&snap, "k/2").as_deref(), Some("y"));
    assert_eq!(snap.version(), Some(1));
}

#[test]
fn prefix_iteration_with_pagination_over_versions_and_overlay() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    // keys with 0x00 and 0xFF bytes and keys that are prefixes of each other
    let mut w = BTreeMap::new();
    for i in 0..30u8 {
        w.insert(format!("p/{i:02}").into_bytes(), Some(vec![i]));
    }
    w.insert(b"p".to_vec(), Some(b"not-in-prefix".to_vec()));
    w.insert(b"p0".to_vec(), Some(b"not-in-prefix".to_vec()));
    w.insert(b"p/\x00".to_vec(), Some(b"nul".to_vec()));
    w.insert(b"p/\xff\xff".to_vec(), Some(b"ff".to_vec()));
    w.insert(b"q/1".to_vec(), Some(b"other".to_vec()));
    s.commit(
        s.prepare(
            1,
            Changeset {
                writes: w,
                ..Default::default()
            },
        )
        .unwrap(),
    )
    .unwrap();
    // version 2: delete evens below 10, rewrite 15, add p/05a
    let mut w2 = BTreeMap::new();
    for i in (0..10u8).step_by(2) {
        w2.insert(format!("p/{i:02}").into_bytes(), None);
    }
    w2.insert(b"p/15".to_vec(), Some(b"new".to_vec()));
    w2.insert(b"p/05a".to_vec(), Some(b"ins".to_vec()));
    s.commit(
        s.prepare(
            2,
            Changeset {
                writes: w2,
                ..Default::default()
            },
        )
        .unwrap(),
    )
    .unwrap();

    let v1 = s.snapshot(1).unwrap();
    let v2 = s.snapshot(2).unwrap();
    let all1 = v1.prefix_raw(b"p/", None, 1000).unwrap();
    assert_eq!(all1.len(), 32);
    assert_eq!(all1[0].0, b"p/\x00".to_vec());
    assert_eq!(all1[31].0, b"p/\xff\xff".to_vec());
    let all2 = v2.prefix_raw(b"p/", None, 1000).unwrap();
    assert_eq!(all2.len(), 32 - 5 + 1);
    assert!(!keys(&all2).contains(&"p/04".to_string()));
    assert!(keys(&all1).contains(&"p/04".to_string()));
    let p15 = all2.iter().find(|(k, _)| k == b"p/15").unwrap();
    assert_eq!(p15.1, b"new".to_vec());
    // every entry is in order and starts with the prefix
    for pair in all2.windows(2) {
        assert!(pair[0].0 < pair[1].0);
    }
    assert!(all2.iter().all(|(k, _)| k.starts_with(b"p/")));

    // paginate both snapshots in pages of 7 and compare with the full listing
    for (snap, all) in [(&v1, &all1), (&v2, &all2)] {
        let mut got = vec![];
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = snap.prefix_raw(b"p/", after.as_deref(), 7).unwrap();
            assert!(page.len() <= 7);
            if page.is_empty() {
                break;
            }
            after = Some(page.last().unwrap().0.clone());
            got.extend(page);
        }
        assert_eq!(&got, all);
    }
    // start_after outside the prefix
    assert_eq!(v2.prefix_raw(b"p/", Some(b"a"), 1000).unwrap(), all2);
    assert!(v2.prefix_raw(b"p/", Some(b"z"), 1000).unwrap().is_empty());
    assert!(v2.prefix_raw(b"p/", None, 0).unwrap().is_empty());

    // overlay over the base: deletes hide, puts shadow and insert, pagination across both
    let mut block = StateDelta::new(s.latest_snapshot());
    {
        let mut tx = StateDelta::new(&block);
        tx.delete(b"p/01".to_vec());
        tx.put_raw(b"p/02".to_vec(), b"back".to_vec());
        tx.put_raw(b"p/15".to_vec(), b"tx".to_vec());
        tx.put_raw(b"p/99".to_vec(), b"end".to_vec());
        let w = tx.into_writes();
        block.apply(w);
    }
    let mut expected: BTreeMap<Vec<u8>, Vec<u8>> = all2.into_iter().collect();
    expected.remove(b"p/01".as_slice());
    expected.insert(b"p/02".to_vec(), b"back".to_vec());
    expected.insert(b"p/15".to_vec(), b"tx".to_vec());
    expected.insert(b"p/99".to_vec(), b"end".to_vec());
    let expected: Vec<_> = expected.into_iter().collect();
    assert_eq!(block.prefix_raw(b"p/", None, 1000).unwrap(), expected);
    for page_size in [1, 3, 7, 100] {
        let mut got = vec![];
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = block
                .prefix_raw(b"p/", after.as_deref(), page_size)
                .unwrap();
            if page.is_empty() {
                break;
            }
            after = Some(page.last().unwrap().0.clone());
            got.extend(page);
        }
        assert_eq!(got, expected, "page size {page_size}");
    }
    // a nested overlay over the block
    let mut tx = StateDelta::new(&block);
    tx.delete(b"p/02".to_vec());
    let page = tx.prefix_raw(b"p/", Some(b"p/01"), 2).unwrap();
    assert_eq!(keys(&page), vec!["p/03", "p/05"]);
}

fn verify_exist(root: &[u8; 32], proof: &ics23::CommitmentProof, key: &[u8], value: &[u8]) -> bool {
    ics23::verify_membership::<ics23::HostFunctionsManager>(
        proof,
        &proof_spec(),
        &root.to_vec(),
        key,
        value,
    )
}

fn verify_absent(root: &[u8; 32], proof: &ics23::CommitmentProof, key: &[u8]) -> bool {
    ics23::verify_non_membership::<ics23::HostFunctionsManager>(
        proof,
        &proof_spec(),
        &root.to_vec(),
        key,
    )
}

#[test]
fn ics23_proofs_verify() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    let mut w = BTreeMap::new();
    for i in 0..200u32 {
        w.insert(
            format!("bank/balances/{i}").into_bytes(),
            Some(format!("{}", i * 7).into_bytes()),
        );
    }
    s.commit(
        s.prepare(
            1,
            Changeset {
                writes: w,
                ..Default::default()
            },
        )
        .unwrap(),
    )
    .unwrap();
    commit(
        &s,
        2,
        cs(&[
            ("bank/balances/5", Some("changed")),
            ("bank/balances/6", None),
        ]),
    );

    let snap = s.latest_snapshot();
    let root = snap.root_hash();
    // existence
    let (v, proof) = snap.get_with_proof(b"bank/balances/5").unwrap();
    assert_eq!(v.as_deref(), Some(b"changed".as_slice()));
    assert!(verify_exist(&root, &proof, b"bank/balances/5", b"changed"));
    // wrong value, wrong key, wrong root: all fail
    assert!(!verify_exist(&root, &proof, b"bank/balances/5", b"35"));
    assert!(!verify_exist(&root, &proof, b"bank/balances/4", b"changed"));
    assert!(!verify_exist(
        &s.snapshot(1).unwrap().root_hash(),
        &proof,
        b"bank/balances/5",
        b"changed"
    ));
    // non-existence (deleted key, never-written keys)
    for absent in [
        &b"bank/balances/6"[..],
        b"bank/balances/1000",
        b"a",
        b"zzzz",
    ] {
        let (v, proof) = snap.get_with_proof(absent).unwrap();
        assert_eq!(v, None);
        assert!(verify_absent(&root, &proof, absent), "{absent:?}");
        assert!(!verify_exist(&root, &proof, absent, b""));
        // the non-existence proof does not prove absence of a present key
        assert!(!verify_absent(&root, &proof, b"bank/balances/7"));
    }
    // proofs at an old version verify against that version's root
    let old = s.snapshot(1).unwrap();
    let (v, proof) = old.get_with_proof(b"bank/balances/6").unwrap();
    assert_eq!(v.as_deref(), Some(b"42".as_slice()));
    assert!(verify_exist(
        &old.root_hash(),
        &proof,
        b"bank/balances/6",
        b"42"
    ));
    assert!(!verify_exist(&root, &proof, b"bank/balances/6", b"42"));
    // empty key is rejected
    assert!(matches!(
        snap.get_with_proof(b""),
        Err(StoreError::EmptyKey)
    ));
}

#[test]
fn single_key_tree_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    commit(&s, 1, cs(&[("only", Some("1"))]));
    let snap = s.latest_snapshot();
    let (v, p) = snap.get_with_proof(b"only").unwrap();
    assert_eq!(v.as_deref(), Some(b"1".as_slice()));
    assert!(verify_exist(&snap.root_hash(), &p, b"only", b"1"));
    let (v, p) = snap.get_with_proof(b"other").unwrap();
    assert_eq!(v, None);
    assert!(verify_absent(&snap.root_hash(), &p, b"other"));
}

fn sequence() -> Vec<Changeset> {
    (1..=20u32)
        .map(|v| {
            let mut c = Changeset::default();
            for i in 0..50u32 {
                let k = (v * 31 + i * 17) % 200;
                let val = if (v + i) % 7 == 0 {
                    None
                } else {
                    Some(format!("{v}-{i}").into_bytes())
                };
                c.writes.insert(format!("key/{k}").into_bytes(), val);
            }
            c.local_meta
                .insert(b"height".to_vec(), v.to_be_bytes().to_vec());
            c
        })
        .collect()
}

#[test]
fn determinism_same_changesets_same_roots() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let sa = open(&a, 0);
    let sb = open(&b, 3); // retention must not influence roots
    let mut roots = vec![];
    for (i, c) in sequence().into_iter().enumerate() {
        let v = i as u64 + 1;
        let ra = commit(&sa, v, c.clone());
        // build the same BTreeMap in reverse insertion order
        let mut rev = Changeset::default();
        for (k, val) in c.writes.into_iter().rev() {
            rev.writes.insert(k, val);
        }
        let rb = commit(&sb, v, rev);
        assert_eq!(ra, rb, "version {v}");
        roots.push(ra);
    }
    // different changesets give different roots
    let c = tempfile::tempdir().unwrap();
    let sc = open(&c, 0);
    let mut seq = sequence();
    seq[5]
        .writes
        .insert(b"key/extra".to_vec(), Some(b"x".to_vec()));
    let mut diverged = false;
    for (i, cs) in seq.into_iter().enumerate() {
        let r = commit(&sc, i as u64 + 1, cs);
        if i >= 5 {
            diverged |= r != roots[i];
            assert_ne!(r, roots[i]);
        } else {
            assert_eq!(r, roots[i]);
        }
    }
    assert!(diverged);
    // a fixed vector: catches accidental changes of hashing or key layout
    let hex: String = roots[19].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex.len(), 64);
}

#[test]
fn version_gaps_and_first_version_above_zero() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let sa = open(&a, 0);
    let sb = open(&b, 0);
    // same changesets committed at different heights give the same roots
    let ra1 = commit(&sa, 0, cs(&[("x", Some("1"))]));
    let rb1 = commit(&sb, 5, cs(&[("x", Some("1"))]));
    assert_eq!(ra1, rb1);
    let ra2 = commit(&sa, 1, cs(&[("y", Some("2"))]));
    let rb2 = commit(&sb, 9, cs(&[("y", Some("2"))]));
    assert_eq!(ra2, rb2);
    let ra3 = commit(&sa, 2, Changeset::default());
    let rb3 = commit(&sb, 12, Changeset::default());
    assert_eq!(ra3, rb3);
    assert!(matches!(
        sb.snapshot(7),
        Err(StoreError::VersionUnknown { .. })
    ));
    assert_eq!(get(&sb.snapshot(5).unwrap(), "y"), None);
    assert_eq!(get(&sb.snapshot(9).unwrap(), "y").as_deref(), Some("2"));
    let snap = sb.latest_snapshot();
    let (_, p) = snap.get_with_proof(b"x").unwrap();
    assert!(verify_exist(&snap.root_hash(), &p, b"x", b"1"));
    // versions must increase
    assert!(matches!(
        sb.prepare(12, Changeset::default()),
        Err(StoreError::InvalidVersion { requested: 12, .. })
    ));
    assert!(matches!(
        sb.prepare(3, Changeset::default()),
        Err(StoreError::InvalidVersion { .. })
    ));
    assert!(matches!(
        sb.prepare(u64::MAX, Changeset::default()),
        Err(StoreError::InvalidVersion { .. })
    ));
    // empty keys are rejected
    assert!(matches!(
        sb.prepare(13, cs(&[("", Some("v"))])),
        Err(StoreError::EmptyKey)
    ));
    // reopen keeps it working with the gap (snapshots hold the database open too)
    drop(snap);
    drop(sb);
    let sb = open(&b, 0);
    assert_eq!(sb.latest_version(), Some(12));
    assert_eq!(
        commit(&sb, 20, cs(&[("z", Some("3"))])),
        commit(&sa, 3, cs(&[("z", Some("3"))]))
    );
}

#[test]
fn stale_prepared_commit_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    commit(&s, 1, cs(&[("a", Some("1"))]));
    let p_a = s.prepare(2, cs(&[("a", Some("2a"))])).unwrap();
    let p_b = s.prepare(2, cs(&[("a", Some("2b"))])).unwrap();
    let p_c = s.prepare(3, cs(&[("c", Some("3"))])).unwrap();
    assert_ne!(p_a.root(), p_b.root());
    s.commit(p_b).unwrap();
    let err = s.commit(p_a).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::StaleCommit {
                version: 2,
                prepared_on: Some(1),
                latest: Some(2)
            }
        ),
        "{err}"
    );
    // prepared on 1, latest is 2: also stale even though 3 > 2
    assert!(matches!(s.commit(p_c), Err(StoreError::StaleCommit { .. })));
    assert_eq!(get(&s.latest_snapshot(), "a").as_deref(), Some("2b"));
    assert_eq!(get(&s.latest_snapshot(), "c"), None);
    // a prepare that is dropped writes nothing
    let _ = s.prepare(3, cs(&[("d", Some("x"))])).unwrap();
    drop(s);
    let s = open(&dir, 0);
    assert_eq!(s.latest_version(), Some(2));
    assert_eq!(get(&s.latest_snapshot(), "d"), None);
    // a commit prepared by another storage instance is refused
    let other_dir = tempfile::tempdir().unwrap();
    let other = open(&other_dir, 0);
    let p = other.prepare(1, cs(&[("a", Some("1"))])).unwrap();
    assert!(matches!(s.commit(p), Err(StoreError::ForeignCommit)));
}

#[test]
fn pruning_keeps_the_window_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 3);
    let mut roots = vec![[0u8; 32]];
    for v in 1..=10u64 {
        let mut c = cs(&[
            ("same", Some(&format!("{v}"))),
            (&format!("new/{v}"), Some("x")),
        ]);
        if v == 4 {
            c.writes.insert(b"gone".to_vec(), Some(b"soon".to_vec()));
        }
        if v == 5 {
            c.writes.insert(b"gone".to_vec(), None);
        }
        roots.push(commit(&s, v, c));
    }
    let size_before = s.size_on_disk().unwrap();
    assert!(size_before > 0);
    // window: 8, 9, 10
    for v in 1..=7 {
        let err = s.snapshot(v).unwrap_err();
        assert!(
            matches!(err, StoreError::VersionPruned { requested, oldest_retained: 8 } if requested == v),
            "{err}"
        );
    }
    assert_eq!(s.oldest_retained_version(), Some(8));
    for v in 8..=10u64 {
        let snap = s.snapshot(v).unwrap();
        assert_eq!(snap.root_hash(), roots[v as usize]);
        assert_eq!(get(&snap, "same"), Some(v.to_string()));
        assert_eq!(get(&snap, "new/3").as_deref(), Some("x"));
        assert_eq!(get(&snap, "gone"), None);
        assert_eq!(
            snap.prefix_raw(b"new/", None, 100).unwrap().len(),
            v as usize
        );
        let (val, proof) = snap.get_with_proof(b"same").unwrap();
        assert!(verify_exist(
            &snap.root_hash(),
            &proof,
            b"same",
            val.as_deref().unwrap()
        ));
        let (val, proof) = snap.get_with_proof(b"gone").unwrap();
        assert_eq!(val, None);
        assert!(verify_absent(&snap.root_hash(), &proof, b"gone"));
    }
    // A snapshot taken before pruning fails instead of returning wrong data.
    let old = s.snapshot(8).unwrap();
    assert_eq!(get(&old, "same").as_deref(), Some("8"));
    commit(&s, 11, cs(&[("same", Some("11"))]));
    assert!(matches!(
        old.get_raw(b"same"),
        Err(StoreError::VersionPruned { requested: 8, .. })
    ));
    assert!(matches!(
        old.prefix_raw(b"", None, 10),
        Err(StoreError::VersionPruned { .. })
    ));
    assert!(matches!(
        old.get_with_proof(b"same"),
        Err(StoreError::VersionPruned { .. })
    ));
    // reopen remembers the floor
    drop(old);
    drop(s);
    let s = open(&dir, 3);
    assert!(matches!(
        s.snapshot(8),
        Err(StoreError::VersionPruned { .. })
    ));
    assert_eq!(get(&s.snapshot(9).unwrap(), "same").as_deref(), Some("9"));
}

#[test]
fn pruning_bounds_growth() {
    // Rewriting the same keys with keep_recent = 2 keeps the number of entries flat, while
    // keep_recent = 0 grows without bound.
    fn run(keep: u64) -> usize {
        let dir = tempfile::tempdir().unwrap();
        let s = open(&dir, keep);
        for v in 1..=60u64 {
            let mut c = Changeset::default();
            for i in 0..20u32 {
                c.writes.insert(
                    format!("k/{i}").into_bytes(),
                    Some(v.to_be_bytes().to_vec()),
                );
            }
            commit(&s, v, c);
        }
        let snap = s.latest_snapshot();
        assert_eq!(snap.prefix_raw(b"k/", None, 100).unwrap().len(), 20);
        s.debug_entry_count().unwrap()
    }
    let pruned = run(2);
    let full = run(0);
    assert!(pruned * 5 < full, "pruned {pruned} vs full {full}");
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let roots: Vec<[u8; 32]>;
    {
        let s = open(&dir, 0);
        roots = sequence()
            .into_iter()
            .enumerate()
            .map(|(i, c)| commit(&s, i as u64 + 1, c))
            .collect();
    }
    let s = open(&dir, 0);
    assert_eq!(s.latest_version(), Some(20));
    assert_eq!(s.latest_snapshot().root_hash(), roots[19]);
    assert_eq!(
        s.local_meta(b"height").unwrap(),
        Some(20u32.to_be_bytes().to_vec())
    );
    for v in 1..=20u64 {
        assert_eq!(s.snapshot(v).unwrap().root_hash(), roots[v as usize - 1]);
    }
    // the state read back equals a replay into memory
    let mut model = BTreeMap::new();
    for c in sequence() {
        for (k, v) in c.writes {
            match v {
                Some(v) => model.insert(k, v),
                None => model.remove(&k),
            };
        }
    }
    let snap = s.latest_snapshot();
    let all: BTreeMap<_, _> = snap
        .prefix_raw(b"", None, usize::MAX)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(all, model);
    // and committing on goes on from there
    let r = commit(&s, 21, cs(&[("key/1", Some("after"))]));
    assert_eq!(s.latest_snapshot().root_hash(), r);
}

#[test]
fn local_meta_is_not_merkleized() {
    let a = tempfile::tempdir().unwrap();
    let s = open(&a, 0);
    let mut c1 = cs(&[("k", Some("v"))]);
    c1.local_meta
        .insert(b"block_hash".to_vec(), b"abc".to_vec());
    let mut c2 = cs(&[("k", Some("v"))]);
    c2.local_meta
        .insert(b"block_hash".to_vec(), b"def".to_vec());
    let p1 = s.prepare(1, c1).unwrap();
    let p2 = s.prepare(1, c2).unwrap();
    assert_eq!(p1.root(), p2.root());
    s.commit(p2).unwrap();
    assert_eq!(s.local_meta(b"block_hash").unwrap(), Some(b"def".to_vec()));
    // local meta is not visible through state reads
    assert_eq!(s.latest_snapshot().get_raw(b"block_hash").unwrap(), None);
}

#[test]
fn proto_helpers() {
    #[derive(Clone, PartialEq, prost::Message)]
    struct Coin {
        #[prost(string, tag = "1")]
        denom: String,
        #[prost(uint64, tag = "2")]
        amount: u64,
    }
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    let mut block = StateDelta::new(s.latest_snapshot());
    block.put_proto(
        b"bank/x".to_vec(),
        &Coin {
            denom: "upol".into(),
            amount: 5,
        },
    );
    block.put_raw(b"bank/bad".to_vec(), vec![0xFF, 0xFF, 0xFF]);
    assert_eq!(
        block.get_proto::<Coin>(b"bank/x").unwrap(),
        Some(Coin {
            denom: "upol".into(),
            amount: 5
        })
    );
    assert!(matches!(
        block.get_proto::<Coin>(b"bank/bad"),
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(block.get_proto::<Coin>(b"bank/none").unwrap(), None);
    let w = block.into_writes();
    s.commit(
        s.prepare(
            1,
            Changeset {
                writes: w,
                ..Default::default()
            },
        )
        .unwrap(),
    )
    .unwrap();
    let snap = s.latest_snapshot();
    assert_eq!(
        snap.get_proto::<Coin>(b"bank/x").unwrap().unwrap().amount,
        5
    );
    // works through references and trait objects
    let dynread: &dyn StateRead = &snap;
    assert!(dynread.get_raw(b"bank/x").unwrap().is_some());
    let m = MemState::default();
    assert!(StateDelta::new(&m).get_raw(b"x").unwrap().is_none());
}

#[test]
fn types_are_send_sync_clone() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Storage>();
    assert_send_sync::<Snapshot>();
    fn assert_send<T: Send>() {}
    assert_send::<pol_store::PreparedCommit>();
    assert_send::<StateDelta<Snapshot>>();
}

#[test]
fn concurrent_readers_during_commits() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 4);
    commit(&s, 1, cs(&[("c", Some("1"))]));
    let reader = {
        let s = s.clone();
        std::thread::spawn(move || {
            for _ in 0..300 {
                let snap = s.latest_snapshot();
                let v = snap.version().unwrap();
                match snap.get_raw(b"c") {
                    Ok(val) => assert_eq!(val, Some(v.to_string().into_bytes())),
                    Err(StoreError::VersionPruned { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
        })
    };
    for v in 2..=60u64 {
        commit(&s, v, cs(&[("c", Some(&v.to_string()))]));
    }
    reader.join().unwrap();
}

#[test]
fn refuses_inconsistent_database() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = open(&dir, 0);
        commit(&s, 1, cs(&[("a", Some("1"))]));
        commit(&s, 2, cs(&[("a", Some("2"))]));
    }
    {
        // Forge the latest record to point at a different root.
        let db = pol_store::open_sled(dir.path()).unwrap();
        let mut latest = db.get(b"mlatest").unwrap().unwrap().to_vec();
        latest[10] ^= 1;
        db.insert(b"mlatest", latest).unwrap();
        db.flush().unwrap();
    }
    let err = Storage::open(dir.path(), StorageConfig::default()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");

    let dir = tempfile::tempdir().unwrap();
    {
        let s = open(&dir, 0);
        commit(&s, 1, cs(&[("a", Some("1"))]));
    }
    {
        // Corrupt a raw-index value and a JMT node: reads report Corrupt, never panic.
        let db = pol_store::open_sled(dir.path()).unwrap();
        let keys: Vec<_> = db.iter().map(|e| e.unwrap().0).collect();
        for k in keys {
            if k[0] == b'k' || k[0] == b'n' {
                db.insert(k, vec![9u8; 3]).unwrap();
            }
        }
        db.flush().unwrap();
    }
    match Storage::open(dir.path(), StorageConfig::default()) {
        Err(StoreError::Corrupt(_)) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(s) => {
            let snap = s.latest_snapshot();
            assert!(matches!(snap.get_raw(b"a"), Err(StoreError::Corrupt(_))));
            assert!(snap.get_with_proof(b"a").is_err());
        }
    }
    // a foreign database is refused
    let dir = tempfile::tempdir().unwrap();
    {
        let db = pol_store::open_sled(dir.path()).unwrap();
        db.insert(b"hello", b"world").unwrap();
        db.flush().unwrap();
    }
    assert!(matches!(
        Storage::open(dir.path(), StorageConfig::default()),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn empty_values_are_stored_and_read_back() {
    // The store keeps an empty value, distinct from absence, and merkleizes it (the root
    // changes). ICS23 cannot prove it, nor the absence of its neighbours: modules store
    // records with `put_proto`, which never writes one (see the next test).
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    let r1 = commit(&s, 1, cs(&[("marker", Some("x"))]));
    let r2 = commit(&s, 2, cs(&[("marker", Some(""))]));
    assert_ne!(r1, r2);
    let snap = s.latest_snapshot();
    assert_eq!(snap.get_raw(b"marker").unwrap(), Some(vec![]));
    assert_eq!(
        snap.prefix_raw(b"m", None, 10).unwrap(),
        vec![(b"marker".to_vec(), vec![])]
    );
    let (v, _) = snap.get_with_proof(b"marker").unwrap();
    assert_eq!(v, Some(vec![]));
    let r3 = commit(&s, 3, cs(&[("marker", None)]));
    assert_ne!(r3, r2);
    assert_eq!(s.latest_snapshot().get_raw(b"marker").unwrap(), None);
}

/// An all-default record (here a zero `u64`, whose protobuf encoding is empty) is stored as
/// `EMPTY_RECORD`, reads back as the default, and keeps every proof next to it valid.
#[test]
fn all_default_records_are_stored_provably() {
    use pol_store::EMPTY_RECORD;
    let mut m = StateDelta::new(MemState::default());
    m.put_proto(b"zero".to_vec(), &0u64);
    m.put_proto(b"seven".to_vec(), &7u64);
    assert_eq!(m.get_raw(b"zero").unwrap(), Some(EMPTY_RECORD.to_vec()));
    assert_eq!(m.get_proto::<u64>(b"zero").unwrap(), Some(0));
    assert_eq!(m.get_proto::<u64>(b"seven").unwrap(), Some(7));
    assert_eq!(pol_store::decode_record::<u64>(EMPTY_RECORD).unwrap(), 0);

    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 0);
    let mut writes = BTreeMap::new();
    for i in 0..64u64 {
        // Every other record all-default.
        writes.insert(
            format!("rec/{i}").into_bytes(),
            Some(pol_store::encode_record(&(i % 2))),
        );
    }
    commit(
        &s,
        1,
        Changeset {
            writes,
            ..Default::default()
        },
    );
    let snap = s.latest_snapshot();
    let root = snap.root_hash();
    for i in 0..64u64 {
        let key = format!("rec/{i}").into_bytes();
        let (v, proof) = snap.get_with_proof(&key).unwrap();
        assert!(verify_exist(&root, &proof, &key, &v.unwrap()), "{i}");
    }
    for i in 0..500u64 {
        let key = format!("absent/{i}").into_bytes();
        let (v, proof) = snap.get_with_proof(&key).unwrap();
        assert_eq!(v, None);
        assert!(verify_absent(&root, &proof, &key), "{i}");
    }
}

#[test]
fn oldest_retained_version_follows_commits() {
    let dir = tempfile::tempdir().unwrap();
    let s = open(&dir, 2);
    assert_eq!(s.oldest_retained_version(), None);
    commit(&s, 3, cs(&[("a", Some("1"))]));
    assert_eq!(s.oldest_retained_version(), Some(3));
    commit(&s, 4, cs(&[("a", Some("2"))]));
    assert_eq!(s.oldest_retained_version(), Some(3));
    commit(&s, 5, cs(&[("a", Some("3"))]));
    assert_eq!(s.oldest_retained_version(), Some(4));
    let s0 = tempfile::tempdir().unwrap();
    let s0 = open(&s0, 0);
    commit(&s0, 7, cs(&[("a", Some("1"))]));
    commit(&s0, 8, cs(&[("a", Some("1"))]));
    assert_eq!(s0.oldest_retained_version(), Some(7));
}

#[test]
fn corrupt_bytes_never_panic() {
    // Build a store, then for several seeds corrupt a random subset of values (truncate, flip,
    // replace) and drive every read and write path: errors are fine, panics are not.
    let base = tempfile::tempdir().unwrap();
    {
        let s = open(&base, 2);
        for v in 1..=6u64 {
            let mut c = Changeset::default();
            for i in 0..40u64 {
                let k = format!("m/{}", (v * 13 + i * 7) % 60);
                let val = if (v + i) % 5 == 0 {
                    None
                } else {
                    Some(format!("{v}.{i}").into_bytes())
                };
                c.writes.insert(k.into_bytes(), val);
            }
            commit(&s, v, c);
        }
    }
    let mut seed = 0x1234_5678_9ABC_DEF1u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut opened = 0;
    for round in 0..12 {
        let dir = tempfile::tempdir().unwrap();
        {
            let src = pol_store::open_sled(base.path()).unwrap();
            let dst = pol_store::open_sled(dir.path()).unwrap();
            for e in src.iter() {
                let (k, v) = e.unwrap();
                let mut v = v.to_vec();
                if rnd() % 25 == 0 {
                    match rnd() % 3 {
                        0 => v.truncate((rnd() as usize) % (v.len() + 1)),
                        1 if !v.is_empty() => {
                            let i = (rnd() as usize) % v.len();
                            v[i] ^= 1 << (rnd() % 8);
                        }
                        _ => v = (0..rnd() % 40).map(|_| rnd() as u8).collect(),
                    }
                }
                dst.insert(k, v).unwrap();
            }
            dst.flush().unwrap();
        }
        let result = std::panic::catch_unwind(|| {
            let Ok(s) = Storage::open(dir.path(), StorageConfig { keep_recent: 2 }) else {
                return false;
            };
            for v in [None, Some(4), Some(5), Some(6)] {
                let snap = match v {
                    None => s.latest_snapshot(),
                    Some(v) => match s.snapshot(v) {
                        Ok(snap) => snap,
                        Err(_) => continue,
                    },
                };
                for i in 0..60 {
                    let k = format!("m/{i}");
                    let _ = snap.get_raw(k.as_bytes());
                    let _ = snap.get_with_proof(k.as_bytes());
                }
                let _ = snap.prefix_raw(b"m/", None, 100);
                let _ = snap.prefix_raw(b"", Some(b"m/3"), 7);
            }
            let _ = s.local_meta(b"x");
            let _ = s.oldest_retained_version();
            let mut c = Changeset::default();
            for i in 0..60 {
                c.writes
                    .insert(format!("m/{i}").into_bytes(), Some(b"new".to_vec()));
            }
            if let Some(latest) = s.latest_version() {
                if let Ok(p) = s.prepare(latest + 1, c) {
                    let _ = s.commit(p);
                }
                let _ = s.latest_snapshot().get_with_proof(b"m/1");
            }
            true
        });
        assert!(result.is_ok(), "round {round}: a panic escaped pol-store");
        opened += result.unwrap() as u32;
    }
    assert!(
        opened >= 3,
        "only {opened} corrupted stores opened: the test exercises too little"
    );
}
