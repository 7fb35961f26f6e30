//! Criterion benchmarks: `cargo bench -p pol-proofs --bench proofs`.
//!
//! Default model 64→32→10: setup, prove, verify, batch verify at n = 1, 16, 64, 256 (throughput
//! in proofs, so criterion reports the per-proof cost). Set `POL_BENCH_LARGE=1` to add
//! 784→128→10 and 256→256→256→10 (prove and verify; their setup is timed once and printed).
//! Constraint counts and proof sizes are printed before the measurements.
//! `pol-proofs bench` measures the same quantities in one pass and prints JSON.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use pol_proofs::commitment::commit;
use pol_proofs::model::{Architecture, Model};
use pol_proofs::{
    batch_verify, prove, setup_insecure_seeded, verify, Proof, ProvingKey, Statement, VerifyingKey,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::time::{Duration, Instant};

struct Setup {
    name: String,
    model: Model,
    pk: ProvingKey,
    vk: VerifyingKey,
}

fn statement(model: &Model, rng: &mut StdRng) -> Statement {
    let arch = model.architecture();
    let input: Vec<i8> = (0..arch.input_len())
        .map(|_| rng.gen_range(0..=16))
        .collect();
    Statement {
        commitment: commit(model),
        output: model.forward(&input).expect("no overflow"),
        input,
        nonce: rng.gen(),
        provider: rng.gen(),
    }
}

fn make(arch: Architecture) -> Setup {
    let stats = pol_proofs::circuit::stats(&arch).expect("synthesizes");
    let t = Instant::now();
    let (pk, vk) = setup_insecure_seeded(&arch, 1).expect("setup");
    eprintln!(
        "{arch}: {} constraints, {} public inputs, setup {:.2?}, proof 128 bytes",
        stats.constraints,
        stats.public_inputs,
        t.elapsed()
    );
    let _ = pk.matrices();
    let model = Model::random(&arch, &mut StdRng::seed_from_u64(3));
    Setup {
        name: arch.to_string(),
        model,
        pk,
        vk,
    }
}

fn bench_model(c: &mut Criterion, s: &Setup, batches: &[usize]) {
    let mut rng = StdRng::seed_from_u64(9);
    let pvk = s.vk.prepare();
    let st = statement(&s.model, &mut rng);
    let mut g = c.benchmark_group(format!("prove/{}", s.name));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("prove", |b| {
        b.iter(|| prove(&s.pk, &s.model, &st, &mut rand::rngs::OsRng).expect("prove"))
    });
    g.finish();
    let proof = prove(&s.pk, &s.model, &st, &mut rand::rngs::OsRng).expect("prove");
    assert_eq!(proof.to_bytes().len(), 128);
    let mut g = c.benchmark_group(format!("verify/{}", s.name));
    g.bench_function("verify", |b| {
        b.iter(|| verify(&pvk, &st, &proof).expect("valid"))
    });
    g.bench_function("decode_proof_checked", |b| {
        let bytes = proof.to_bytes();
        b.iter(|| Proof::from_bytes(&bytes).expect("valid"))
    });
    g.finish();
    if batches.is_empty() {
        return;
    }
    // 16 distinct statements; larger batches re-randomize their proofs (distinct valid proofs).
    let max_n = *batches.iter().max().expect("nonempty");
    let mut items: Vec<(Statement, Proof)> = Vec::new();
    while items.len() < max_n.min(16) {
        let st = statement(&s.model, &mut rng);
        let p = prove(&s.pk, &s.model, &st, &mut rand::rngs::OsRng).expect("prove");
        items.push((st, p));
    }
    let base = items.len();
    while items.len() < max_n {
        let (st, p) = items[items.len() % base].clone();
        let q =
            ark_groth16::Groth16::<ark_bn254::Bn254>::rerandomize_proof(&s.vk.vk, &p.0, &mut rng);
        items.push((st, Proof(q)));
    }
    let mut g = c.benchmark_group(format!("batch_verify/{}", s.name));
    g.sample_size(10);
    for &n in batches {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter_batched(
                || items[..n].to_vec(),
                |batch| batch_verify(&pvk, &batch).expect("valid"),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let default = Architecture::default_digits();
    let mut g = c.benchmark_group(format!("setup/{default}"));
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("setup_insecure_seeded", |b| {
        b.iter(|| setup_insecure_seeded(&default, 1).expect("setup"))
    });
    g.finish();
    bench_model(c, &make(default), &[1, 16, 64, 256]);
    if std::env::var("POL_BENCH_LARGE").is_ok_and(|v| v == "1") {
        for (dims, shifts) in [
            (vec![784, 128, 10], vec![8]),
            (vec![256, 256, 256, 10], vec![8, 8]),
        ] {
            let arch = Architecture::mlp(&dims, &shifts).expect("valid");
            bench_model(c, &make(arch), &[]);
        }
    }
}

criterion_group!(proofs, benches);
criterion_main!(proofs);
