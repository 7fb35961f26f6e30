//! The transaction pipeline: `decode` (bytes → checked Cosmos tx), `ante` (account,
//! sequence, signature, fee), `router` (messages → module handlers) and `exec` (the three
//! put together, with gas and per-message rollback).

pub mod ante;
pub mod decode;
pub mod exec;
pub mod router;
pub mod verified;

pub use decode::{decode_tx, DecodedTx, TxLimits};
pub use exec::{execute_tx, ExecMode, TxOutcome};

#[cfg(test)]
mod tests;
