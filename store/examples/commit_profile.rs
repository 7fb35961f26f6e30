//! Rough timing of the commit path: `RUST_LOG=pol_store=debug cargo run --release -p pol-store --example commit_profile`
use std::collections::BTreeMap;
use std::time::Instant;

use pol_store::{Changeset, Storage, StorageConfig};

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::open(dir.path(), StorageConfig { keep_recent: 100 }).unwrap();
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    for v in 1..=40u64 {
        let writes: BTreeMap<_, _> = (0..n)
            .map(|i| {
                let k = (v * 7919 + i * 13) % 50_000;
                (
                    format!("bank/balances/{k:08}").into_bytes(),
                    Some(format!("{v}:{i}").into_bytes()),
                )
            })
            .collect();
        let t = Instant::now();
        let p = s
            .prepare(
                v,
                Changeset {
                    writes,
                    ..Default::default()
                },
            )
            .unwrap();
        let tp = t.elapsed();
        s.commit(p).unwrap();
        println!("v{v}: prepare {:?} total {:?}", tp, t.elapsed());
    }
}
