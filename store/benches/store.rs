//! `cargo bench -p pol-store --bench store`
//!
//! prepare+commit of a 1000-write changeset on a store that already holds 50k keys, and the
//! read paths (raw get at the latest and an old version, get with ICS23 proof, a 100-entry
//! prefix page, overlay reads).

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use pol_store::{Changeset, StateDelta, StateRead, StateWrite, Storage, StorageConfig};

const PRELOAD_KEYS: u64 = 50_000;

fn key(i: u64) -> Vec<u8> {
    format!(
        "bank/balances/pol1{:016x}/upol",
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    )
    .into_bytes()
}

fn changeset(seed: u64, n: u64) -> Changeset {
    let mut writes = BTreeMap::new();
    for i in 0..n {
        // 3/4 updates of existing keys, 1/4 new keys
        let k = if i % 4 == 0 {
            key(PRELOAD_KEYS + seed * n + i)
        } else {
            key((seed.wrapping_mul(7919) + i * 13) % PRELOAD_KEYS)
        };
        writes.insert(
            k,
            Some(format!("{seed}:{i}:0123456789abcdef0123456789abcdef").into_bytes()),
        );
    }
    let mut c = Changeset {
        writes,
        ..Default::default()
    };
    c.local_meta
        .insert(b"height".to_vec(), seed.to_be_bytes().to_vec());
    c
}

fn preload(s: &Storage) -> u64 {
    let mut v = 0;
    for chunk in 0..(PRELOAD_KEYS / 5000) {
        v += 1;
        let writes = (chunk * 5000..(chunk + 1) * 5000)
            .map(|i| (key(i), Some(format!("initial-{i}").into_bytes())))
            .collect();
        let p = s
            .prepare(
                v,
                Changeset {
                    writes,
                    ..Default::default()
                },
            )
            .unwrap();
        s.commit(p).unwrap();
    }
    v
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::open(dir.path(), StorageConfig { keep_recent: 100 }).unwrap();
    let mut version = preload(&s);
    let first_version = version;

    let mut g = c.benchmark_group("commit");
    g.sample_size(30);
    g.bench_function("prepare_1000_writes", |b| {
        let cs = changeset(1, 1000);
        let v = s.latest_version().unwrap() + 1;
        b.iter_batched(
            || cs.clone(),
            |cs| black_box(s.prepare(v, cs).unwrap()),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("prepare_commit_1000_writes", |b| {
        b.iter_batched(
            || {
                version += 1;
                (version, changeset(version, 1000))
            },
            |(v, cs)| {
                let p = s.prepare(v, cs).unwrap();
                black_box(s.commit(p).unwrap())
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("prepare_commit_empty", |b| {
        b.iter_batched(
            || {
                version += 1;
                version
            },
            |v| {
                let p = s.prepare(v, Changeset::default()).unwrap();
                black_box(s.commit(p).unwrap())
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let snap = s.latest_snapshot();
    let old = s.snapshot(s.latest_version().unwrap() - 50).unwrap();
    let _ = first_version;
    let mut g = c.benchmark_group("read");
    let mut i = 0u64;
    g.bench_function("get_raw_latest", |b| {
        b.iter(|| {
            i += 7;
            black_box(snap.get_raw(&key(i % PRELOAD_KEYS)).unwrap())
        })
    });
    g.bench_function("get_raw_50_versions_back", |b| {
        b.iter(|| {
            i += 7;
            black_box(old.get_raw(&key(i % PRELOAD_KEYS)).unwrap())
        })
    });
    g.bench_function("get_raw_absent", |b| {
        b.iter(|| {
            i += 7;
            black_box(snap.get_raw(&key(10_000_000 + i)).unwrap())
        })
    });
    g.bench_function("get_with_proof", |b| {
        b.iter(|| {
            i += 7;
            black_box(snap.get_with_proof(&key(i % PRELOAD_KEYS)).unwrap())
        })
    });
    g.bench_function("get_with_proof_absent", |b| {
        b.iter(|| {
            i += 7;
            black_box(snap.get_with_proof(&key(10_000_000 + i)).unwrap())
        })
    });
    g.bench_function("prefix_raw_page_100", |b| {
        b.iter(|| black_box(snap.prefix_raw(b"bank/balances/", None, 100).unwrap()))
    });
    let mut delta = StateDelta::new(snap.clone());
    for j in 0..1000 {
        delta.put_raw(key(j * 3), b"pending".to_vec());
    }
    g.bench_function("delta_get_raw_overlay_hit_or_base", |b| {
        b.iter(|| {
            i += 1;
            black_box(delta.get_raw(&key(i % 3000)).unwrap())
        })
    });
    g.finish();
}

criterion_group!(store, benches);
criterion_main!(store);
