//! Where single verification spends its time (release build): `cargo run --release --example verify_profile`.
use ark_bn254::{Bn254, Fr, G1Projective, G2Affine};
use ark_ec::{pairing::Pairing, CurveGroup, VariableBaseMSM};
use ark_ff::UniformRand;
use std::time::Instant;

fn main() {
    let mut rng = rand::thread_rng();
    let n = 200;
    let g1: Vec<_> = (0..7)
        .map(|_| G1Projective::rand(&mut rng).into_affine())
        .collect();
    let s: Vec<Fr> = (0..6).map(|_| Fr::rand(&mut rng)).collect();
    let t = Instant::now();
    for _ in 0..n {
        let _ = std::hint::black_box(G1Projective::msm(&g1[1..], &s).unwrap());
    }
    println!("msm6      {:?}", t.elapsed() / n);
    let b: G2Affine = ark_bn254::G2Projective::rand(&mut rng).into_affine();
    let t = Instant::now();
    for _ in 0..n {
        let p: <Bn254 as Pairing>::G2Prepared = b.into();
        std::hint::black_box(p);
    }
    println!("g2prep    {:?}", t.elapsed() / n);
    let preps: Vec<<Bn254 as Pairing>::G2Prepared> = (0..3).map(|_| b.into()).collect();
    let t = Instant::now();
    let mut ml = None;
    for _ in 0..n {
        ml = Some(Bn254::multi_miller_loop(g1[..3].to_vec(), preps.clone()));
    }
    println!("ml3       {:?}", t.elapsed() / n);
    let ml = ml.unwrap();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(Bn254::final_exponentiation(ml));
    }
    println!("finalexp  {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let _ = std::hint::black_box(g1[0] * s[0]);
    }
    println!("g1 mul    {:?}", t.elapsed() / n);
}
