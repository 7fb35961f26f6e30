#![allow(dead_code)]
//! Shared test helpers: the committed default model and the digits test vectors.

use pol_proofs::model::Model;
use std::path::PathBuf;

pub fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")
}

pub fn digits_model() -> Model {
    Model::load(&models_dir().join("digits-64-32-10.polm"))
        .expect("the committed default model loads")
}

/// The POLDIGV1 file written by inference/train/train_digits.py.
pub struct Vectors {
    pub inputs: Vec<Vec<i8>>,
    pub labels: Vec<u8>,
    pub numpy_classes: Vec<u8>,
    pub is_test: Vec<bool>,
    pub numpy_logits_sha256: [u8; 32],
}

pub fn digits_vectors() -> Vectors {
    let b = std::fs::read(models_dir().join("digits-test-vectors.bin")).expect("test vectors");
    assert_eq!(&b[..8], b"POLDIGV1");
    let n = u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize;
    let dim = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
    let mut off = 16;
    let inputs = b[off..off + n * dim]
        .chunks_exact(dim)
        .map(|c| c.iter().map(|&x| x as i8).collect())
        .collect();
    off += n * dim;
    let labels = b[off..off + n].to_vec();
    off += n;
    let numpy_classes = b[off..off + n].to_vec();
    off += n;
    let is_test = b[off..off + n].iter().map(|&x| x == 1).collect();
    off += n;
    let numpy_logits_sha256 = b[off..off + 32].try_into().unwrap();
    assert_eq!(off + 32, b.len());
    Vectors {
        inputs,
        labels,
        numpy_classes,
        is_test,
        numpy_logits_sha256,
    }
}
