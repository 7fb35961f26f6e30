//! `Snapshot`: a read view of one committed version.
//!
//! A snapshot holds only the version number and its root: every read filters the versioned
//! raw-key index to entries `<= version`, and JMT proofs walk the tree from that version's root.
//! Later commits only add entries at higher versions, so the view stays consistent while commits
//! continue. Pruning is the one thing that removes data; reads check the published floor after
//! reading and report `VersionPruned` if it passed the snapshot's version, and reads of versions
//! it leaves in the window never see its batch half applied (`Inner::read_at`).

use std::sync::Arc;

use crate::keys;
use crate::state::StateRead;
use crate::storage::Inner;
use crate::tree::{self, Jmt, SledTree};
use crate::{RootHash, StoreError, Version, EMPTY_ROOT};

/// Read view of one committed version (or of the empty store). Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Snapshot {
    inner: Arc<Inner>,
    version: Option<Version>,
    root: RootHash,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("version", &self.version)
            .field("root", &crate::storage::hex_short(&self.root))
            .finish()
    }
}

impl Snapshot {
    pub(crate) fn new(inner: Arc<Inner>, version: Version, root: RootHash) -> Self {
        Snapshot {
            inner,
            version: Some(version),
            root,
        }
    }

    pub(crate) fn empty(inner: Arc<Inner>) -> Self {
        Snapshot {
            inner,
            version: None,
            root: EMPTY_ROOT,
        }
    }

    /// The version this snapshot reads (`None` for the empty store).
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// The root hash of this version (the JMT empty-tree root if empty).
    pub fn root_hash(&self) -> RootHash {
        self.root
    }

    /// The value under `key` and an ICS23 proof against `root_hash()`: an existence proof, or a
    /// non-existence proof if the key is absent.
    ///
    /// An empty tree has no neighbours to prove absence with: for it the result is `None` with a
    /// `NonExistenceProof` carrying neither side (it does not verify; the root itself, the
    /// well-known empty root, is the evidence).
    pub fn get_with_proof(
        &self,
        key: &[u8],
    ) -> Result<(Option<Vec<u8>>, ics23::CommitmentProof), StoreError> {
        if key.is_empty() {
            return Err(StoreError::EmptyKey);
        }
        let empty_proof = || ics23::CommitmentProof {
            proof: Some(ics23::commitment_proof::Proof::Nonexist(
                ics23::NonExistenceProof {
                    key: key.to_vec(),
                    left: None,
                    right: None,
                },
            )),
        };
        let Some(version) = self.version else {
            return Ok((None, empty_proof()));
        };
        if self.root == EMPTY_ROOT {
            return Ok((None, empty_proof()));
        }
        let reader = SledTree::with_cache(&self.inner.db, &self.inner.nodes);
        // Errors (missing nodes) and even "successful" reads may come from racing with pruning.
        self.inner.read_at(version, || {
            tree::guarded("building an ICS23 proof", || {
                Jmt::new(&reader).get_with_ics23_proof(key.to_vec(), version)
            })
        })
    }
}

impl StateRead for Snapshot {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(version) = self.version else {
            return Ok(None);
        };
        self.inner
            .read_at(version, || tree::read_raw(&self.inner.db, key, version))
    }

    /// Scans the raw-key index from the escaped prefix. Entries of one raw key are adjacent and
    /// sorted by version, so for each key the newest entry `<= version` is kept; tombstones and
    /// keys first written after `version` are skipped.
    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let Some(version) = self.version else {
            return Ok(Vec::new());
        };
        if limit == 0 {
            return Ok(Vec::new());
        }
        let scan_prefix = keys::raw_prefix(prefix);
        let start = match start_after {
            Some(s) if s >= prefix => {
                let mut k = keys::raw_key_at(s, u64::MAX);
                // strictly after every version of `s`
                k.push(0);
                k
            }
            _ => scan_prefix.clone(),
        };
        let end = keys::prefix_end(&scan_prefix);
        if end.as_ref().is_some_and(|end| start >= *end) {
            return Ok(Vec::new());
        }
        // A range scan is not atomic against a concurrent prune batch: see `Inner::read_at`.
        self.inner.read_at(version, || {
            let iter = match &end {
                Some(end) => self.inner.db.range(start.as_slice()..end.as_slice()),
                None => self.inner.db.range(start.as_slice()..),
            };
            scan(iter, version, limit)
        })
    }
}

/// `(raw key, value)` pairs in key order.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// The newest entry `<= version` of each raw key in `iter` (a range of the raw-key index), up
/// to `limit` live keys.
fn scan(iter: sled::Iter, version: Version, limit: usize) -> Result<Entries, StoreError> {
    let mut out = Vec::new();
    // (escaped key of the current group, newest entry <= version seen so far)
    let mut current: Option<(Vec<u8>, Option<sled::IVec>)> = None;
    let flush =
        |cur: Option<(Vec<u8>, Option<sled::IVec>)>, out: &mut Entries| -> Result<(), StoreError> {
            if let Some((esc, Some(val))) = cur {
                if let Some(v) = keys::decode_value(&val)? {
                    out.push((keys::unescape(&esc)?, v));
                }
            }
            Ok(())
        };
    for entry in iter {
        let (k, val) = entry?;
        let (esc, v) = keys::split_raw_entry(&k)?;
        let same = matches!(&current, Some((c, _)) if c.as_slice() == esc);
        if !same {
            flush(current.take(), &mut out)?;
            if out.len() >= limit {
                break;
            }
            current = Some((esc.to_vec(), None));
        }
        if v <= version {
            if let Some((_, newest)) = current.as_mut() {
                *newest = Some(val);
            }
        }
    }
    if out.len() < limit {
        flush(current.take(), &mut out)?;
    }
    Ok(out)
}
