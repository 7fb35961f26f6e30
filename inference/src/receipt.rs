//! Inference receipts. The format, signing and verification live in the chain's `inference`
//! module (`pol_inference::receipt`), which validators and the worker share; the protobuf
//! `pol.worker.v1.Receipt` is the same Rust type as `pol.inference.v1.Receipt`.

pub use pol_inference::receipt::*;
