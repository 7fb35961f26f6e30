//! The runtime equals pol-proofs' reference bit for bit: on all 1797 digits, on random
//! inputs and random architectures, on CPU (and on CUDA when libtorch sees a GPU).

mod common;

use common::{digits_model, digits_vectors};
use pol_proofs::model::{argmax, Architecture, Layer, LayerShape, Model};
use pol_worker::engine::{make_engine, DeviceChoice, Engine, ReferenceEngine, SampleResult};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sha2::{Digest, Sha256};
use std::sync::Arc;

#[test]
fn polm_written_by_python_loads() {
    let m = digits_model();
    assert_eq!(m.architecture().to_string().split('→').count(), 3);
    let a = m.architecture();
    assert_eq!((a.input_len(), a.output_len()), (64, 10));
    assert_eq!(a.layers[0].output, 32);
    // The Rust writer reproduces the Python-written bytes exactly.
    let bytes = std::fs::read(common::models_dir().join("digits-64-32-10.polm")).unwrap();
    assert_eq!(m.to_bytes(), bytes);
}

#[test]
fn reference_matches_numpy_and_is_accurate() {
    let m = digits_model();
    let v = digits_vectors();
    assert_eq!(v.inputs.len(), 1797);
    let mut h = Sha256::new();
    let mut correct_test = 0;
    let mut n_test = 0;
    for (i, x) in v.inputs.iter().enumerate() {
        let logits = m.forward(x).unwrap();
        for l in &logits {
            h.update(l.to_le_bytes());
        }
        let class = argmax(&logits) as u8;
        assert_eq!(class, v.numpy_classes[i], "sample {i}");
        if v.is_test[i] {
            n_test += 1;
            correct_test += usize::from(class == v.labels[i]);
        }
    }
    let digest: [u8; 32] = h.finalize().into();
    assert_eq!(
        digest, v.numpy_logits_sha256,
        "numpy integer logits differ from the reference"
    );
    let acc = correct_test as f64 / n_test as f64;
    assert!(acc >= 0.95, "int8 test accuracy {acc}");
}

/// Compares per sample; returns how many samples errored (the same way) on both sides.
fn check_equal(engine: &mut dyn Engine, model: &Model, inputs: &[Vec<i8>], batch: usize) -> usize {
    let mut errors = 0;
    for (ci, chunk) in inputs.chunks(batch).enumerate() {
        let refs: Vec<&[i8]> = chunk.iter().map(|x| x.as_slice()).collect();
        let got = engine.infer_batch(&refs).expect("runtime");
        assert_eq!(got.len(), chunk.len());
        for (k, (x, g)) in chunk.iter().zip(got).enumerate() {
            let want = model.forward(x);
            match (&want, &g) {
                (Ok(w), Ok(g)) => assert_eq!(w, g, "chunk {ci} sample {k} on {}", engine.device()),
                (Err(_), Err(_)) => errors += 1,
                _ => panic!(
                    "chunk {ci} sample {k} on {}: reference {want:?} runtime {g:?}",
                    engine.device()
                ),
            }
        }
    }
    errors
}

fn devices() -> Vec<DeviceChoice> {
    let mut d = vec![DeviceChoice::Cpu];
    #[cfg(feature = "torch")]
    if pol_worker::runtime::cuda_available() {
        d.push(DeviceChoice::Cuda(0));
    } else {
        eprintln!("no CUDA device: GPU equality not run");
    }
    #[cfg(not(feature = "torch"))]
    {
        d = vec![DeviceChoice::Reference];
    }
    d
}

#[test]
fn runtime_equals_reference_on_all_digits() {
    let m = Arc::new(digits_model());
    let v = digits_vectors();
    for dev in devices() {
        let mut e = make_engine(m.clone(), &dev).unwrap();
        for batch in [1797, 1, 7, 64] {
            check_equal(e.as_mut(), &m, &v.inputs, batch);
        }
    }
}

fn random_arch(rng: &mut StdRng) -> Architecture {
    let n_layers = rng.gen_range(1..=4);
    let dims: Vec<u32> = (0..=n_layers).map(|_| rng.gen_range(1..=96)).collect();
    let shifts: Vec<u8> = (0..n_layers - 1).map(|_| rng.gen_range(1..=20)).collect();
    Architecture::mlp(&dims, &shifts).unwrap()
}

#[test]
fn runtime_equals_reference_on_random_models() {
    let mut rng = StdRng::seed_from_u64(0x9017);
    for dev in devices() {
        for round in 0..40 {
            let arch = random_arch(&mut rng);
            let m = Arc::new(Model::random(&arch, &mut rng));
            let mut e = make_engine(m.clone(), &dev).unwrap();
            let inputs: Vec<Vec<i8>> = (0..rng.gen_range(1..=50))
                .map(|_| (0..arch.input_len()).map(|_| rng.gen::<i8>()).collect())
                .collect();
            let batch = rng.gen_range(1..=inputs.len());
            check_equal(e.as_mut(), &m, &inputs, batch);
            if round == 0 {
                eprintln!("random models on {}", e.device());
            }
        }
    }
}

/// Extreme weights, biases and inputs: i32 overflow errors, clamps at 0 and 127, shift 31.
#[test]
fn runtime_equals_reference_on_extremes() {
    let mut rng = StdRng::seed_from_u64(3);
    for dev in devices() {
        let mut overflowed = 0;
        for case in 0..12 {
            let (n_in, n_hid, n_out) = (
                rng.gen_range(1..=300),
                rng.gen_range(1..=40),
                rng.gen_range(1..=12),
            );
            let shift = [1u8, 2, 7, 15, 24, 31][case % 6];
            let mk = |input: u32, output: u32, shift: u8, rng: &mut StdRng, big_bias: bool| Layer {
                shape: LayerShape {
                    input,
                    output,
                    shift,
                },
                weights: (0..input * output)
                    .map(|_| {
                        if rng.gen_bool(0.5) {
                            [-128i8, 127][rng.gen_range(0..2)]
                        } else {
                            rng.gen()
                        }
                    })
                    .collect(),
                bias: (0..output)
                    .map(|_| {
                        if big_bias {
                            rng.gen_range(i32::MAX - 3_000_000..=i32::MAX)
                                * if rng.gen_bool(0.5) { 1 } else { -1 }
                        } else {
                            rng.gen_range(-(1 << 20)..(1 << 20))
                        }
                    })
                    .collect(),
            };
            let big = case % 2 == 0;
            let m = Arc::new(
                Model::new(vec![
                    mk(n_in, n_hid, shift, &mut rng, big),
                    mk(n_hid, n_out, 0, &mut rng, big),
                ])
                .unwrap(),
            );
            let mut e = make_engine(m.clone(), &dev).unwrap();
            let inputs: Vec<Vec<i8>> = (0..20)
                .map(|i| {
                    (0..n_in)
                        .map(|_| match i % 4 {
                            0 => -128,
                            1 => 127,
                            2 => 0,
                            _ => rng.gen(),
                        })
                        .collect()
                })
                .collect();
            overflowed += check_equal(e.as_mut(), &m, &inputs, 5);
            check_equal(e.as_mut(), &m, &inputs, 20);
        }
        assert!(
            overflowed > 0,
            "the extremes must exercise the i32 overflow path"
        );
    }
}

#[test]
fn wrong_input_length_matches_reference_error() {
    let m = Arc::new(digits_model());
    let mut e = make_engine(m.clone(), &devices()[0]).unwrap();
    let good = vec![1i8; 64];
    let bad = vec![1i8; 63];
    let out: Vec<SampleResult> = e.infer_batch(&[&good, &bad, &good]).unwrap();
    assert!(out[0].is_ok() && out[2].is_ok());
    assert!(out[1].is_err());
    let mut r = ReferenceEngine::new(m);
    assert_eq!(
        r.infer_batch(&[&good]).unwrap()[0].as_ref().unwrap(),
        out[0].as_ref().unwrap()
    );
}
