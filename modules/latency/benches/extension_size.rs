//! Vote-extension and injected-tx size growth, and the cost of checking and aggregating
//! the injected report, for 10, 100, 1000 and 2000 providers and 4 and 100 validators.
//!
//! Each validator probes every provider (samples 20–120, a few failures, p50 2–200 ms,
//! p99 and max above it) and carries 4 real ed25519 worker receipts; its extension is
//! built with `extension::build` under the default params (48 KiB bound) and under a
//! raised bound (1 MiB) that shows the uncapped size. The extended commit carries 64-byte
//! ed25519 extension signatures. Timings are medians of several runs of `decode_injected`
//! + `commit::verify` + `aggregate::apply` on a fresh overlay.
//!
//! `cargo bench -p pol-latency --bench extension_size` prints a markdown table.

use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};
use pol_component::Address;
use pol_inference::pb::{Provider, ProviderStatus, Receipt};
use pol_inference::receipt::ReceiptBody;
use pol_inference::InferenceWrite;
use pol_latency::pb::Params;
use pol_latency::view::LatencyWrite;
use pol_latency::{aggregate, commit, extension, record_consensus_keys, ProviderWindow};
use pol_store::{MemState, StateDelta};
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tendermint_proto::crypto::public_key::Sum;
use tendermint_proto::crypto::PublicKey;
use tendermint_proto::v0_38::abci::{
    ExtendedCommitInfo, ExtendedVoteInfo, Validator, ValidatorUpdate,
};
use tendermint_proto::v0_38::types::BlockIdFlag;

const CHAIN: &str = "pol-localnet-1";
const MODEL: &str = "digits-64-32-10";
const HEIGHT: u64 = 12_345;
const ROUND: i32 = 0;

fn provider_address(i: usize) -> [u8; 20] {
    let mut a = [0u8; 20];
    a[..8].copy_from_slice(&(i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    a[8..16].copy_from_slice(&(i as u64).to_be_bytes());
    a
}

fn worker_key(i: usize) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SigningKey::from_bytes(&seed)
}

fn validator_key(i: usize) -> SigningKey {
    let mut seed = [0x42u8; 32];
    seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SigningKey::from_bytes(&seed)
}

/// Base state: latency params, `n` active providers, `validators` consensus keys.
fn base_state(params: &Params, providers: usize, validators: &[SigningKey]) -> MemState {
    let mut s = StateDelta::new(MemState::default());
    s.put_latency_params(params);
    for i in 0..providers {
        let p = Provider {
            address: Address(provider_address(i)).to_string(),
            endpoint: format!("https://provider-{i}.example.net:7000"),
            models: vec![MODEL.into()],
            receipt_pubkey: worker_key(i).verifying_key().to_bytes().to_vec(),
            bond: "50000000".into(),
            status: ProviderStatus::Active as i32,
            registered_height: 1,
            ..Default::default()
        };
        s.put_provider(&p, None).unwrap();
    }
    let updates: Vec<ValidatorUpdate> = validators
        .iter()
        .map(|k| ValidatorUpdate {
            pub_key: Some(PublicKey {
                sum: Some(Sum::Ed25519(k.verifying_key().to_bytes().to_vec())),
            }),
            power: 100,
        })
        .collect();
    record_consensus_keys(&mut s, &updates);
    MemState(
        s.into_writes()
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
    )
}

/// One validator's probe windows over all providers.
fn windows(rng: &mut StdRng, providers: usize) -> Vec<ProviderWindow> {
    (0..providers)
        .map(|i| {
            let samples = rng.gen_range(20..=120);
            let failures = if rng.gen_bool(0.15) {
                rng.gen_range(1..=3)
            } else {
                0
            };
            let p50 = rng.gen_range(2_000..=200_000u32);
            let p99 = p50 + p50 * rng.gen_range(20..=200) / 100;
            let max = p99 + p99 * rng.gen_range(0..=30) / 100;
            ProviderWindow {
                provider: provider_address(i),
                samples,
                failures,
                p50_us: p50,
                p99_us: p99,
                max_us: max,
            }
        })
        .collect()
}

/// Four real worker receipts of probes this validator sent.
fn receipts(rng: &mut StdRng, providers: usize) -> Vec<Receipt> {
    (0..4)
        .map(|_| {
            let i = rng.gen_range(0..providers);
            let input: Vec<i8> = (0..64).map(|_| rng.gen()).collect();
            let output: Vec<i32> = (0..10).map(|_| rng.gen_range(-50_000..50_000)).collect();
            ReceiptBody::new(
                CHAIN,
                provider_address(i),
                MODEL,
                &input,
                &output,
                rng.gen(),
                1_760_000_000_000 + rng.gen_range(0..1_000_000),
            )
            .sign(&worker_key(i))
            .unwrap()
            .to_proto()
        })
        .collect()
}

fn consensus_address(k: &SigningKey) -> [u8; 20] {
    use sha2::Digest;
    sha2::Sha256::digest(k.verifying_key().to_bytes())[..20]
        .try_into()
        .unwrap()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

struct Row {
    label: String,
    providers: usize,
    validators: usize,
    reports: usize,
    receipts: usize,
    ext_bytes: usize,
    per_report: f64,
    tx_bytes: usize,
    build: Duration,
    check: Duration,
    aggregates: usize,
}

fn run(label: &str, params: &Params, providers: usize, validators: usize) -> Row {
    let keys: Vec<SigningKey> = (0..validators).map(validator_key).collect();
    let base = base_state(params, providers, &keys);
    let mut rng = StdRng::seed_from_u64((providers * 1000 + validators) as u64);

    let mut build_times = Vec::new();
    let mut ext_sizes = Vec::new();
    let mut reports = Vec::new();
    let mut report_bytes = Vec::new();
    let mut receipt_counts = Vec::new();
    let mut votes = Vec::new();
    for key in &keys {
        let w = windows(&mut rng, providers);
        let r = receipts(&mut rng, providers);
        let t = Instant::now();
        let ext = extension::build(HEIGHT, w, r, params, |_| true);
        build_times.push(t.elapsed());
        let bytes = ext.encode_to_vec();
        ext_sizes.push(bytes.len());
        reports.push(ext.reports.len());
        let mut bare = ext.clone();
        bare.receipts.clear();
        report_bytes.push(bare.encoded_len() as f64 / ext.reports.len().max(1) as f64);
        receipt_counts.push(ext.receipts.len());
        let sig = key.sign(&commit::vote_extension_sign_bytes(
            CHAIN, HEIGHT, ROUND, &bytes,
        ));
        votes.push(ExtendedVoteInfo {
            validator: Some(Validator {
                address: consensus_address(key).to_vec().into(),
                power: 100,
            }),
            vote_extension: bytes.into(),
            extension_signature: sig.to_bytes().to_vec().into(),
            block_id_flag: BlockIdFlag::Commit as i32,
        });
    }
    let info = ExtendedCommitInfo {
        round: ROUND,
        votes,
    };
    let decided = commit::commit_info_of(&info);
    let tx = commit::encode_injected(&info);

    let runs = if providers * validators >= 100_000 {
        5
    } else {
        9
    };
    let mut check_times = Vec::new();
    let mut aggregates = 0;
    for _ in 0..runs {
        let mut state = StateDelta::new(&base);
        let t = Instant::now();
        let decoded = commit::decode_injected(&tx).unwrap();
        let verified = commit::verify(&state, CHAIN, HEIGHT, &decoded, &decided, params).unwrap();
        let applied = aggregate::apply(&mut state, &verified).unwrap();
        check_times.push(t.elapsed());
        aggregates = applied.aggregates;
        std::hint::black_box(state);
    }
    Row {
        label: label.to_string(),
        providers,
        validators,
        reports: reports.iter().copied().min().unwrap_or(0),
        receipts: receipt_counts.iter().copied().min().unwrap_or(0),
        ext_bytes: ext_sizes.iter().sum::<usize>() / ext_sizes.len().max(1),
        per_report: report_bytes.iter().sum::<f64>() / report_bytes.len().max(1) as f64,
        tx_bytes: tx.len(),
        build: median(build_times),
        check: median(check_times),
        aggregates,
    }
}

fn kib(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.2} MiB", n as f64 / f64::from(1u32 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs with no flags: keep it short.
    let quick = !std::env::args().any(|a| a == "--bench");
    let default = Params::DEFAULT;
    let raised = Params {
        max_extension_bytes: 1 << 20,
        ..Params::DEFAULT
    };
    // 2000 providers pass the default bound: the default rows show what is kept.
    let provider_counts: &[usize] = if quick { &[10] } else { &[10, 100, 1000, 2000] };
    let mut rows = Vec::new();
    let bound = |p: &Params| kib(usize::try_from(p.max_extension_bytes).unwrap_or(usize::MAX));
    for (label, params) in [
        (format!("default {}", bound(&default)), &default),
        (format!("raised {}", bound(&raised)), &raised),
    ] {
        for &providers in provider_counts {
            for validators in [4, 100] {
                rows.push(run(&label, params, providers, validators));
            }
        }
    }
    println!();
    println!(
        "| bound | providers | validators | reports kept | receipts kept | extension bytes (per validator) | bytes per provider (per kept report, receipts excluded) | injected tx bytes | build (ms, median) | decode+verify+apply (ms, median) | aggregates |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} ({}) | {:.1} ({:.1}) | {} ({}) | {} | {} | {} |",
            r.label,
            r.providers,
            r.validators,
            r.reports,
            r.receipts,
            r.ext_bytes,
            kib(r.ext_bytes),
            r.ext_bytes as f64 / r.providers as f64,
            r.per_report,
            r.tx_bytes,
            kib(r.tx_bytes),
            ms(r.build),
            ms(r.check),
            r.aggregates,
        );
    }
}
