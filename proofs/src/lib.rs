//! pol-proofs: the integer reference model, its R1CS circuit, Groth16 keys, proving, single and
//! batch verification. See `proofs/README.md`.

pub mod model;
