//! Measurements of one contribution and one verification per phase for any architecture,
//! including large ones (`POL_CEREMONY_DIMS=784,128,10 POL_CEREMONY_SHIFTS=8 cargo test
//! --release -p pol-proofs --lib measure_ceremony -- --ignored --nocapture`).
//!
//! Deriving the phase-2 start state takes group FFTs (about a minute for the default model on
//! the 2-core machine, over an hour for 784→128→10); `pol-proofs ceremony bench` measures it. Here
//! the phase-1 contribution is made with secrets the test knows, so the start state can be
//! built instead by ark-groth16's own generator with the same `τ, α, β` (`γ = δ = 1`), which
//! `qap::tests` shows is identical, in a fraction of the time. Contributions and verifications
//! cost the same whatever the secrets are.

use super::{Participant, Phase1, Phase2, Quiet};
use crate::model::{Architecture, Model};
use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{One, UniformRand};
use ark_groth16::Groth16;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::time::Instant;

use crate::cpu_time::cpu_seconds;

/// `(value, wall seconds, CPU seconds)`.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (c0, t) = (cpu_seconds(), Instant::now());
    let v = f();
    let (w, c) = (t.elapsed().as_secs_f64(), cpu_seconds() - c0);
    eprintln!("  {what}: {w:.2} s wall, {c:.2} s CPU");
    (v, w, c)
}

fn env_list<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse().ok().expect("number"))
        .collect()
}

#[test]
#[ignore]
fn measure_ceremony() {
    let dims: Vec<u32> = env_list("POL_CEREMONY_DIMS", "64,32,10");
    let shifts: Vec<u8> = env_list("POL_CEREMONY_SHIFTS", "7");
    let arch = Architecture::mlp(&dims, &shifts).unwrap();
    let qap = super::qap::Qap::of(&arch).unwrap();
    let log_size = qap.log_size();
    eprintln!(
        "{arch}: {} constraints, domain 2^{log_size}",
        qap.num_constraints
    );
    let who = Participant::named("measure");
    let mut rng = StdRng::seed_from_u64(1);
    let tau_rng = StdRng::seed_from_u64(2);
    let tau = Fr::rand(&mut tau_rng.clone());
    let (alpha, beta) = (Fr::rand(&mut rng), Fr::rand(&mut rng));

    let p0 = Phase1::new(log_size).unwrap();
    let (p1, p1_contribute, p1_contribute_cpu) = timed("phase 1 contribution", || {
        p0.contribute_with(&who, &[tau, alpha, beta], &mut rng, &Quiet)
            .unwrap()
    });
    drop(p0);
    let (bytes1, ..) = timed("phase 1 encode", || p1.to_bytes());
    let (back, p1_decode, p1_decode_cpu) =
        timed("phase 1 decode", || Phase1::from_bytes(&bytes1).unwrap());
    assert!(back == p1);
    drop(back);
    let (_, p1_verify, p1_verify_cpu) = timed("phase 1 verify", || p1.verify(&Quiet).unwrap());

    // The phase-2 start state from the known secrets (see the module docs).
    let (params, ..) = timed(
        "phase 2 start (ark-groth16 generator, known secrets)",
        || {
            Groth16::<Bn254>::generate_parameters_with_qap(
                crate::circuit::MlpCircuit::blank(&arch),
                alpha,
                beta,
                Fr::one(),
                Fr::one(),
                G1Affine::generator().into_group(),
                G2Affine::generator().into_group(),
                &mut tau_rng.clone(),
            )
            .unwrap()
        },
    );
    let start = Phase2 {
        arch: arch.clone(),
        phase1_digest: p1.digest(),
        params,
        contributions: Vec::new(),
    };
    let (p2, p2_contribute, p2_contribute_cpu) = timed("phase 2 contribution", || {
        start.contribute(&who, &mut rng, &Quiet).unwrap()
    });
    drop(start);
    let (bytes2, ..) = timed("phase 2 encode", || p2.to_bytes());
    let (back, p2_decode, p2_decode_cpu) =
        timed("phase 2 decode", || Phase2::from_bytes(&bytes2).unwrap());
    assert!(back == p2);
    drop(back);
    let (report, p2_verify, p2_verify_cpu) =
        timed("phase 2 verify", || p2.verify(&p1, &Quiet).unwrap());
    assert_eq!(report.contributions.len(), 1);

    let (pk, vk) = super::finalize(&p2).unwrap();
    let model = Model::random(&arch, &mut rng);
    let input: Vec<i8> = (0..arch.input_len())
        .map(|_| rng.gen_range(0..=16))
        .collect();
    let st = crate::Statement {
        commitment: crate::commitment::commit(&model),
        output: model.forward(&input).unwrap(),
        input,
        nonce: 1,
        provider: [3; 20],
    };
    let proof = crate::prove(&pk, &model, &st, &mut rng).unwrap();
    crate::verify(&vk.prepare(), &st, &proof).unwrap();
    println!(
        "{{\"arch\":\"{arch}\",\"constraints\":{},\"log_size\":{log_size},\
\"p1_contribute_s\":[{p1_contribute:.2},{p1_contribute_cpu:.2}],\"p1_bytes\":{},\
\"p1_decode_s\":[{p1_decode:.2},{p1_decode_cpu:.2}],\"p1_verify_s\":[{p1_verify:.2},{p1_verify_cpu:.2}],\
\"p2_contribute_s\":[{p2_contribute:.2},{p2_contribute_cpu:.2}],\"p2_bytes\":{},\
\"p2_decode_s\":[{p2_decode:.2},{p2_decode_cpu:.2}],\"p2_verify_s\":[{p2_verify:.2},{p2_verify_cpu:.2}],\
\"pk_bytes\":{},\"vk_bytes\":{},\"load_avg\":\"{}\"}}",
        qap.num_constraints,
        bytes1.len(),
        bytes2.len(),
        pk.to_bytes().len(),
        vk.to_bytes().len(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}
