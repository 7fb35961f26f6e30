use crate::Version;

/// Every failure of the state layer. Nothing in this crate panics on bad input or corrupt
/// bytes on disk: those become [`StoreError::Corrupt`].
#[derive(thiserror::Error, Debug)]
pub enum StoreError {
    /// The version was committed once but has left the retention window.
    #[error("version {requested} has been pruned (oldest retained version is {oldest_retained})")]
    VersionPruned {
        requested: Version,
        oldest_retained: Version,
    },
    /// The version was never committed (in the future, or skipped by a height gap).
    #[error("version {requested} is not a committed version (latest committed: {latest:?})")]
    VersionUnknown {
        requested: Version,
        latest: Option<Version>,
    },
    /// `prepare` was asked for a version that does not follow the latest committed one.
    #[error("cannot prepare version {requested}: it must be greater than the latest committed version {latest:?} (and below u64::MAX)")]
    InvalidVersion {
        requested: Version,
        latest: Option<Version>,
    },
    /// Another commit happened between `prepare` and `commit`; nothing was written.
    #[error("stale prepared commit for version {version}: it was prepared on top of {prepared_on:?} but the latest committed version is now {latest:?}")]
    StaleCommit {
        version: Version,
        prepared_on: Option<Version>,
        latest: Option<Version>,
    },
    /// The prepared commit was produced by a different `Storage` instance.
    #[error("prepared commit belongs to a different storage instance")]
    ForeignCommit,
    /// Empty keys cannot be merkleized (ICS23 non-existence proofs need non-empty preimages).
    #[error("empty keys are not allowed in state")]
    EmptyKey,
    /// Bytes on disk do not decode, or the database is internally inconsistent.
    #[error("corrupt state store: {0}")]
    Corrupt(String),
    /// The Jellyfish Merkle Tree reported an error (missing node, invalid proof request …).
    #[error("merkle tree error: {0}")]
    Tree(String),
    /// The key-value engine failed (I/O, …).
    #[error("sled: {0}")]
    Sled(#[from] sled::Error),
}
