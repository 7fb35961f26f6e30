//! `pol-store`: the state layer of pol.
//!
//! sled is the key-value engine; a Jellyfish Merkle Tree (`jmt`) kept in sled through its
//! `TreeReader`/`TreeWriter`/`HasPreimage` traits gives the app hash and ICS23 proofs. State is
//! versioned by block height; a configurable number of recent versions stays readable.
//!
//! * [`Storage`] — open, `prepare` (FinalizeBlock: compute the root, write nothing durable),
//!   `commit` (Commit: one atomic sled batch + flush, then prune), snapshots, local metadata.
//! * [`Snapshot`] — a consistent read view of one committed version, with proofs.
//! * [`StateDelta`] — copy-on-write overlay for a block and for each transaction.
//! * [`StateRead`]/[`StateWrite`] (+ protobuf `Ext` traits) — what modules code against.
//!
//! See `keys.rs` for the on-disk layout and `storage.rs` for the commit/prune protocol.

mod error;
mod keys;
mod snapshot;
mod state;
mod storage;
mod tree;

pub use error::StoreError;
pub use snapshot::Snapshot;
pub use state::{
    decode_record, encode_record, MemState, StateDelta, StateRead, StateReadExt, StateWrite,
    StateWriteExt, EMPTY_RECORD,
};
pub use storage::{open_sled, Changeset, PreparedCommit, Storage, StorageConfig};

/// A version is a block height.
pub type Version = u64;
/// The app hash: the JMT root hash.
pub type RootHash = [u8; 32];

/// The root hash of an empty tree (and of a tree whose keys were all deleted).
pub const EMPTY_ROOT: RootHash = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// The ICS23 proof spec clients verify `Snapshot::get_with_proof` proofs with.
pub fn proof_spec() -> ics23::ProofSpec {
    jmt::ics23_spec()
}
