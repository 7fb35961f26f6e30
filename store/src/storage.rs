//! `Storage`: open, prepare, commit, prune.
//!
//! Commit protocol. `prepare(v, changes)` runs the JMT update in memory against the latest
//! committed tree and builds *one* sled batch holding everything version `v` needs: new JMT
//! nodes, the stale-node index, raw-key index entries, preimages, the changelog, local metadata,
//! the root record and the `latest` record. `commit` applies that batch (sled batches are atomic,
//! including across a crash) and flushes, so after a kill -9 the store is at the previous or the
//! new version, never a mix. Pruning runs afterwards in a *following* batch that is not flushed
//! on its own: losing it is harmless (the data stays, and the next prune redoes the work because
//! it walks the changelog and stale index from their start, deleting what it has handled).
//!
//! Retention. With `keep_recent = N` and latest version `L`, versions `>= F = L + 1 - N` stay
//! readable. `F` is the "floor": raw-index entries superseded at a version `<= F`, tombstones
//! written at `<= F` and JMT nodes that became stale at `<= F` are deleted; none of them can be
//! read by a version `>= F`. The floor is published in memory *before* the prune batch is
//! applied, and snapshot reads check it *after* reading, so a read that raced with pruning
//! reports `VersionPruned` instead of returning wrong data. Reads of versions that stay in the
//! window are kept from seeing a half-applied prune batch by a seqlock (`Inner::read_at`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use jmt::storage::Node;
use parking_lot::{Mutex, RwLock};

use crate::keys;
use crate::snapshot::Snapshot;
use crate::tree::{self, Jmt, SledTree};
use crate::{RootHash, StoreError, Version, EMPTY_ROOT};

/// Storage configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageConfig {
    /// How many recent versions stay queryable; 0 keeps every version.
    pub keep_recent: u64,
}

/// The changes a block makes.
#[derive(Default, Clone, Debug)]
pub struct Changeset {
    /// Merkleized writes; `None` deletes the key.
    pub writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Local metadata: not merkleized, committed in the same batch.
    pub local_meta: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// The result of [`Storage::prepare`]: the root of the new version and the batch that persists
/// it. Dropping it writes nothing.
pub struct PreparedCommit {
    storage_id: u64,
    base: Option<Version>,
    version: Version,
    root: RootHash,
    batch: sled::Batch,
    /// The new nodes, for the node cache once the commit is durable.
    nodes: jmt::storage::NodeBatch,
    writes: usize,
}

impl PreparedCommit {
    /// The root hash (app hash) of the prepared version.
    pub fn root(&self) -> RootHash {
        self.root
    }
    /// The version (block height) this commit will create.
    pub fn version(&self) -> Version {
        self.version
    }
    /// The latest committed version this commit was computed on top of.
    pub fn base_version(&self) -> Option<Version> {
        self.base
    }
}

impl std::fmt::Debug for PreparedCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCommit")
            .field("version", &self.version)
            .field("base", &self.base)
            .field("root", &hex_short(&self.root))
            .field("writes", &self.writes)
            .finish()
    }
}

pub(crate) fn hex_short(root: &[u8; 32]) -> String {
    root.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Latest {
    pub version: Version,
    pub root: RootHash,
}

pub(crate) struct Inner {
    pub db: sled::Db,
    id: u64,
    config: StorageConfig,
    latest: RwLock<Option<Latest>>,
    /// Versions below this are pruned (0 = nothing pruned).
    pub floor: AtomicU64,
    /// Prune epoch: odd while a prune batch is being applied (see `Inner::read_at`).
    prune_epoch: AtomicU64,
    /// Held for writing while a prune batch is applied; readers take it for reading only when
    /// optimistic reads keep overlapping with pruning (see `Inner::read_at`).
    prune_lock: RwLock<()>,
    /// Serializes commits (and their pruning).
    commit_lock: Mutex<()>,
    /// Decoded JMT nodes (see `NodeCache`).
    pub nodes: tree::NodeCache,
}

impl Inner {
    pub fn floor(&self) -> Version {
        self.floor.load(Ordering::SeqCst)
    }

    pub fn latest(&self) -> Option<Latest> {
        *self.latest.read()
    }

    /// Run `read`, a read of the snapshot at `version`, so that it cannot observe a half-applied
    /// prune batch, and report `VersionPruned` if pruning has passed `version`.
    ///
    /// Needed even for versions that stay in the window. A prune batch removes both a key's
    /// entries older than some `v <= floor` *and* its tombstone at `v`; a version `w >= floor`
    /// finds the key absent before and after the batch. But sled applies a batch atomically only
    /// with respect to one iterator step: its iterator works on a *copy* of the current leaf and
    /// reads the next leaf afresh. A `prefix_raw` scan that copied the leaf holding `k@3` (a
    /// value) before the batch and read the next leaf, holding the tombstone `k@5`, after it,
    /// took `k@3` for the newest entry `<= w` and returned a deleted key with an old value
    /// (`tests/concurrent_prune.rs` caught exactly that). The floor check cannot see it (`w` is
    /// retained), and splitting the batch in two does not help (the leaf copy can be older than
    /// both halves). Point reads (`get_raw`: one reverse step, and the batch removes a key's
    /// entries oldest first) and proofs (nodes/preimages a retained version can reach are never
    /// pruned) are safe on their own, but go through here too, so that the rule is simply: no
    /// snapshot read returns data from a read that overlapped a prune batch.
    ///
    /// A seqlock: pruning makes `prune_epoch` odd, applies the batch, makes it even (under
    /// `prune_lock`). A read with the same even epoch before and after overlapped no prune
    /// batch. (A read that saw any write of the batch synchronized with it through sled's
    /// atomics and batch lock, so it also sees the odd epoch stored before the batch.) Otherwise
    /// it is retried; after `OPTIMISTIC_READS` tries, or at once while a batch is being applied,
    /// it runs under `prune_lock.read()`, which excludes prune batches. The common case is
    /// lock-free: two atomic loads. Commits' own batches only add entries above every existing
    /// snapshot's version and need none of this.
    pub fn read_at<T>(
        &self,
        version: Version,
        mut read: impl FnMut() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        const OPTIMISTIC_READS: usize = 2;
        for _ in 0..OPTIMISTIC_READS {
            let before = self.prune_epoch.load(Ordering::SeqCst);
            if before % 2 == 1 {
                break;
            }
            let result = read();
            std::sync::atomic::fence(Ordering::SeqCst);
            if self.prune_epoch.load(Ordering::SeqCst) == before {
                self.check_not_pruned(version)?;
                return result;
            }
            // The version itself may be gone: no point in reading it again.
            self.check_not_pruned(version)?;
        }
        let _no_pruning = self.prune_lock.read();
        let result = read();
        self.check_not_pruned(version)?;
        result
    }

    /// After a read at `version`: if pruning has since passed it, the read may have seen
    /// partially pruned data and must be reported as `VersionPruned`.
    pub fn check_not_pruned(&self, version: Version) -> Result<(), StoreError> {
        let floor = self.floor();
        if version < floor {
            Err(StoreError::VersionPruned {
                requested: version,
                oldest_retained: floor,
            })
        } else {
            Ok(())
        }
    }
}

/// The state store. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("latest", &self.latest_version())
            .field("floor", &self.inner.floor())
            .field("keep_recent", &self.inner.config.keep_recent)
            .finish()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Entries per generation of the node cache (two generations: at most twice this many
/// internal nodes of about 1 KiB, i.e. under ~100 MiB; a tree of a million keys has ~70k).
const NODE_CACHE_GENERATION: usize = 50_000;

/// Open the raw sled database under a store (what `Storage::open` does first; tools and tests
/// that inspect or damage a store's files use it too).
///
/// sled releases its file lock asynchronously after the last handle is dropped (its background
/// threads hold the database a little longer), so an immediate reopen in the same process can
/// see the lock still held: that case is retried for up to five seconds.
pub fn open_sled(path: &std::path::Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match sled::Config::new().path(path).open() {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

impl Storage {
    /// Open (or create) the store at `path`. Validates the latest version: its recorded root
    /// must equal the hash of the JMT root node stored for it; an inconsistent database is
    /// refused with `StoreError::Corrupt`.
    pub fn open(path: &std::path::Path, config: StorageConfig) -> Result<Storage, StoreError> {
        Self::from_db(open_sled(path)?, config)
    }

    /// Open a throwaway in-memory store (tests, tools).
    pub fn open_temporary(config: StorageConfig) -> Result<Storage, StoreError> {
        let db = sled::Config::new().temporary(true).open()?;
        Self::from_db(db, config)
    }

    fn from_db(db: sled::Db, config: StorageConfig) -> Result<Storage, StoreError> {
        match db.get(keys::META_FORMAT)? {
            Some(f) if f.as_ref() == keys::FORMAT_VERSION => {}
            Some(f) => {
                return Err(StoreError::Corrupt(format!(
                    "unknown store format {:?} (expected {:?})",
                    String::from_utf8_lossy(&f),
                    String::from_utf8_lossy(keys::FORMAT_VERSION)
                )))
            }
            None => {
                if db.iter().next().is_some() {
                    return Err(StoreError::Corrupt(
                        "database is not empty but has no pol-store format marker".into(),
                    ));
                }
                db.insert(keys::META_FORMAT, keys::FORMAT_VERSION)?;
                db.flush()?;
            }
        }

        let latest = match db.get(keys::META_LATEST)? {
            None => None,
            Some(bytes) => {
                let (version, root) = keys::decode_latest(&bytes)?;
                Some(Latest { version, root })
            }
        };
        let floor = match db.get(keys::META_FLOOR)? {
            None => 0,
            Some(b) => keys::version_from(&b)?,
        };

        if let Some(l) = latest {
            Self::validate_version(&db, l)?;
        } else if db.scan_prefix([keys::NODE]).next().is_some() {
            return Err(StoreError::Corrupt(
                "database has merkle nodes but no latest-version record".into(),
            ));
        }

        Ok(Storage {
            inner: Arc::new(Inner {
                db,
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                config,
                latest: RwLock::new(latest),
                floor: AtomicU64::new(floor),
                prune_epoch: AtomicU64::new(0),
                prune_lock: RwLock::new(()),
                commit_lock: Mutex::new(()),
                nodes: tree::NodeCache::new(NODE_CACHE_GENERATION),
            }),
        })
    }

    fn validate_version(db: &sled::Db, l: Latest) -> Result<(), StoreError> {
        let recorded = db.get(keys::root_key(l.version))?.ok_or_else(|| {
            StoreError::Corrupt(format!("no root record for latest version {}", l.version))
        })?;
        if keys::root_from(&recorded)? != l.root {
            return Err(StoreError::Corrupt(format!(
                "root record of version {} disagrees with the latest-version record",
                l.version
            )));
        }
        if tree::read_node(db, &tree::root_node_key(l.version)?)?.is_none() {
            return Err(StoreError::Corrupt(format!(
                "JMT root node of latest version {} is missing",
                l.version
            )));
        }
        let reader = SledTree::new(db);
        let actual = tree::guarded("hashing the root node", || {
            Jmt::new(&reader).get_root_hash(l.version)
        })?
        .0;
        if actual != l.root {
            return Err(StoreError::Corrupt(format!(
                "JMT root of version {} is {} but the recorded app hash is {}",
                l.version,
                hex_short(&actual),
                hex_short(&l.root)
            )));
        }
        Ok(())
    }

    /// The last committed version, `None` if nothing was committed yet.
    pub fn latest_version(&self) -> Option<Version> {
        self.inner.latest().map(|l| l.version)
    }

    /// The root hash of the last committed version (the empty-tree root if none).
    pub fn latest_root(&self) -> RootHash {
        self.inner.latest().map(|l| l.root).unwrap_or(EMPTY_ROOT)
    }

    /// The oldest version still readable (`None` if nothing is committed).
    pub fn oldest_retained_version(&self) -> Option<Version> {
        let latest = self.latest_version()?;
        // The first committed version at or above the floor (heights may have gaps).
        let floor = self.inner.floor();
        let first = self
            .inner
            .db
            .range(keys::root_key(floor)..=keys::root_key(latest))
            .next()
            .and_then(|e| e.ok())
            .and_then(|(k, _)| keys::version_from(k.get(1..)?).ok());
        Some(first.unwrap_or(latest).max(floor).min(latest))
    }

    pub fn config(&self) -> StorageConfig {
        self.inner.config
    }

    /// Read view of the last committed version (empty if none).
    pub fn latest_snapshot(&self) -> Snapshot {
        match self.inner.latest() {
            None => Snapshot::empty(self.inner.clone()),
            Some(l) => Snapshot::new(self.inner.clone(), l.version, l.root),
        }
    }

    /// Read view of `version`: `VersionUnknown` if it was never committed (or is newer than the
    /// latest), `VersionPruned` if it left the retention window.
    pub fn snapshot(&self, version: Version) -> Result<Snapshot, StoreError> {
        let latest = self.inner.latest();
        match latest {
            Some(l) if l.version == version => {
                return Ok(Snapshot::new(self.inner.clone(), l.version, l.root))
            }
            Some(l) if version < l.version => {}
            _ => {
                return Err(StoreError::VersionUnknown {
                    requested: version,
                    latest: latest.map(|l| l.version),
                })
            }
        }
        // Root records are removed only below the floor, which is published first: if the
        // window moves past `version` meanwhile, the second check reports it (and so do the
        // snapshot's reads, if it moves later).
        self.inner.check_not_pruned(version)?;
        let root = self.inner.db.get(keys::root_key(version))?;
        self.inner.check_not_pruned(version)?;
        match root {
            Some(r) => Ok(Snapshot::new(
                self.inner.clone(),
                version,
                keys::root_from(&r)?,
            )),
            None => Err(StoreError::VersionUnknown {
                requested: version,
                latest: latest.map(|l| l.version),
            }),
        }
    }

    /// Non-merkleized local metadata (not part of the app hash), as of the last commit.
    pub fn local_meta(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner.db.get(keys::local_key(key))?.map(|v| v.to_vec()))
    }

    /// Compute the root of `version` = latest state + `changes`, without writing anything
    /// durable. `version` must be greater than `latest_version()` (gaps are allowed).
    pub fn prepare(
        &self,
        version: Version,
        changes: Changeset,
    ) -> Result<PreparedCommit, StoreError> {
        let inner = &self.inner;
        let base = inner.latest();
        if version == u64::MAX || base.is_some_and(|b| version <= b.version) {
            return Err(StoreError::InvalidVersion {
                requested: version,
                latest: base.map(|b| b.version),
            });
        }
        if changes.writes.keys().any(|k| k.is_empty()) {
            return Err(StoreError::EmptyKey);
        }

        // The JMT builds `version` on the root keyed (version - 1); alias it when that is not
        // the latest committed version (see `SledTree::root_alias`).
        let mut reader = SledTree::with_cache(&inner.db, &inner.nodes);
        reader.seen_leaves = Some(Default::default());
        let base_root_key = base.map(|b| tree::root_node_key(b.version)).transpose()?;
        if version > 0 && base.is_none_or(|b| b.version != version - 1) {
            let node = match &base_root_key {
                None => Node::Null,
                Some(k) => tree::read_node(&inner.db, k)?.ok_or_else(|| {
                    StoreError::Corrupt(format!("JMT root node {k:?} is missing"))
                })?,
            };
            reader.root_alias = Some((tree::root_node_key(version - 1)?, node));
        }

        // BTreeMap order: the value set (and so everything below) is deterministic.
        let hashes: Vec<jmt::KeyHash> = changes.writes.keys().map(|k| tree::key_hash(k)).collect();
        let value_set: Vec<(jmt::KeyHash, Option<Vec<u8>>)> = hashes
            .iter()
            .zip(changes.writes.values())
            .map(|(h, v)| (*h, v.clone()))
            .collect();
        let t_jmt = std::time::Instant::now();
        let (root, update) = tree::guarded("computing the new root", || {
            Jmt::new(&reader).put_value_set(value_set, version)
        })?;
        let root = root.0;
        let t_batch = std::time::Instant::now();

        let mut batch = sled::Batch::default();
        let new_root_key = tree::root_node_key(version)?;
        if update.node_batch.get_node(&new_root_key).is_none() {
            return Err(StoreError::Tree(format!(
                "JMT update for version {version} produced no root node"
            )));
        }
        tree::add_nodes(&mut batch, &update.node_batch)?;

        // Stale nodes. The old root always becomes stale at `version` (jmt does not record it
        // when a block changes nothing and it copies the root), and the alias key is not a real
        // node, so it is mapped to the real old root.
        let alias_key = reader.root_alias.as_ref().map(|(k, _)| k.clone());
        let mut stale_lists: BTreeMap<Version, Vec<u8>> = BTreeMap::new();
        for stale in &update.stale_node_index_batch {
            if Some(&stale.node_key) == alias_key.as_ref() {
                continue;
            }
            let list = stale_lists.entry(stale.stale_since_version).or_default();
            keys::push_item(list, &keys::node_key(&stale.node_key)?);
        }
        if let Some(k) = &base_root_key {
            let list = stale_lists.entry(version).or_default();
            keys::push_item(list, &keys::node_key(k)?);
        }
        for (since, list) in stale_lists {
            batch.insert(&keys::version_key(keys::STALE, since)[..], list);
        }

        // Raw-key index, preimages and the changelog of this version. A preimage is written
        // unless the JMT read the key's own leaf while updating it (then the key exists and its
        // preimage is stored): saves a write or a read per updated key.
        let seen = reader.seen_leaves.take().unwrap_or_default().into_inner();
        let writes = changes.writes.len();
        let mut changelog = Vec::new();
        for ((key, value), hash) in changes.writes.into_iter().zip(hashes) {
            keys::push_item(&mut changelog, &key);
            if value.as_ref().is_some_and(|v| v.is_empty()) {
                // Stored and merkleized like any value, but ICS23 (like IAVL's) cannot prove an
                // empty leaf value: proofs of this key, and absence proofs that use it as a
                // neighbour, will not verify. Modules should store non-empty values.
                tracing::warn!(key = %String::from_utf8_lossy(&key), version, "empty value written to state: ICS23 proofs touching it cannot verify");
            }
            if value.is_some() && !seen.contains(&hash.0) {
                batch.insert(&keys::preimage_key(&hash.0)[..], &key[..]);
            }
            batch.insert(
                keys::raw_key_at(&key, version),
                keys::encode_value(value.as_deref()),
            );
        }
        if !changelog.is_empty() {
            batch.insert(&keys::version_key(keys::CHANGELOG, version)[..], changelog);
        }
        for (key, value) in changes.local_meta {
            batch.insert(keys::local_key(&key), value);
        }
        batch.insert(&keys::root_key(version)[..], &root[..]);
        batch.insert(keys::META_LATEST, &keys::encode_latest(version, &root)[..]);

        tracing::debug!(
            version,
            writes,
            jmt_us = (t_batch - t_jmt).as_micros() as u64,
            batch_us = t_batch.elapsed().as_micros() as u64,
            new_nodes = update.node_batch.nodes().len(),
            "state prepared"
        );
        Ok(PreparedCommit {
            storage_id: inner.id,
            base: base.map(|b| b.version),
            version,
            root,
            batch,
            nodes: update.node_batch,
            writes,
        })
    }

    /// Persist a prepared commit atomically (one sled batch) and flush, then prune past the
    /// retention window. Fails cleanly, writing nothing, if another commit happened since
    /// `prepare`.
    pub fn commit(&self, prepared: PreparedCommit) -> Result<RootHash, StoreError> {
        let inner = &self.inner;
        if prepared.storage_id != inner.id {
            return Err(StoreError::ForeignCommit);
        }
        let _guard = inner.commit_lock.lock();
        let latest = inner.latest().map(|l| l.version);
        if latest != prepared.base {
            return Err(StoreError::StaleCommit {
                version: prepared.version,
                prepared_on: prepared.base,
                latest,
            });
        }
        let t0 = std::time::Instant::now();
        inner.db.apply_batch(prepared.batch)?;
        let t1 = std::time::Instant::now();
        inner.db.flush()?;
        let t2 = std::time::Instant::now();
        inner.nodes.insert_many(prepared.nodes.nodes());
        *inner.latest.write() = Some(Latest {
            version: prepared.version,
            root: prepared.root,
        });

        // The commit is durable; a pruning failure must not turn it into an error.
        if let Err(e) = self.prune(prepared.version) {
            tracing::warn!(error = %e, version = prepared.version, "pruning old state versions failed; will retry at the next commit");
        }
        tracing::debug!(
            version = prepared.version,
            writes = prepared.writes,
            apply_us = (t1 - t0).as_micros() as u64,
            flush_us = (t2 - t1).as_micros() as u64,
            prune_us = t2.elapsed().as_micros() as u64,
            "state committed"
        );
        Ok(prepared.root)
    }

    /// Delete everything only versions below the floor `latest + 1 - keep_recent` can read.
    /// Called with the commit lock held.
    fn prune(&self, latest: Version) -> Result<(), StoreError> {
        let inner = &self.inner;
        let n = inner.config.keep_recent;
        if n == 0 || latest < n {
            return Ok(());
        }
        let floor = latest + 1 - n;
        if floor <= inner.floor() {
            return Ok(());
        }
        // Publish first: readers check the floor after reading.
        inner.floor.store(floor, Ordering::SeqCst);

        let db = &inner.db;
        let mut batch = sled::Batch::default();

        // Raw-key index: for each key written at v <= floor, its entries older than v are
        // superseded; a tombstone at v is itself unreadable-as-distinct from "absent".
        let first = keys::version_key(keys::CHANGELOG, 0);
        let upto = keys::version_key(keys::CHANGELOG, floor);
        for entry in db.range(first..=upto) {
            let (ck, list) = entry?;
            let v = keys::version_from(ck.get(1..).unwrap_or_default())?;
            for raw in keys::decode_list(&list)? {
                for old in db.range(keys::raw_key_at(raw, 0)..keys::raw_key_at(raw, v)) {
                    batch.remove(old?.0);
                }
                let at_v = keys::raw_key_at(raw, v);
                if let Some(val) = db.get(&at_v)? {
                    if keys::is_tombstone(&val) {
                        batch.remove(at_v);
                        let newer = match v.checked_add(1) {
                            None => false,
                            Some(n) => db
                                .range(keys::raw_key_at(raw, n)..=keys::raw_key_at(raw, u64::MAX))
                                .next()
                                .is_some(),
                        };
                        if !newer {
                            batch.remove(&keys::preimage_key(&tree::key_hash(raw).0)[..]);
                        }
                    }
                }
            }
            batch.remove(ck);
        }

        // JMT nodes that became stale at a version <= floor.
        let first = keys::version_key(keys::STALE, 0);
        let upto = keys::version_key(keys::STALE, floor);
        for entry in db.range(first..=upto) {
            let (sk, list) = entry?;
            for node in keys::decode_list(&list)? {
                if node.first() != Some(&keys::NODE) {
                    return Err(StoreError::Corrupt("malformed stale-node entry".into()));
                }
                batch.remove(node);
            }
            batch.remove(sk);
        }

        // Root records of versions below the floor.
        for entry in db.range(vec![keys::ROOT]..keys::root_key(floor).to_vec()) {
            batch.remove(entry?.0);
        }
        batch.insert(keys::META_FLOOR, &floor.to_be_bytes()[..]);
        // Readers of retained versions must not see this batch half applied (see
        // `Inner::read_at`): odd epoch while it is applied, under the prune lock.
        let _readers_out = inner.prune_lock.write();
        inner.prune_epoch.fetch_add(1, Ordering::SeqCst);
        let applied = db.apply_batch(batch);
        inner.prune_epoch.fetch_add(1, Ordering::SeqCst);
        applied?;
        Ok(())
    }

    /// Flush everything to disk (commits already flush; this is for shutdown paths).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.db.flush()?;
        Ok(())
    }

    /// Number of entries in the underlying key-value engine (diagnostics and tests).
    #[doc(hidden)]
    pub fn debug_entry_count(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for e in self.inner.db.iter() {
            e?;
            n += 1;
        }
        Ok(n)
    }

    /// Approximate on-disk size in bytes.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner.db.size_on_disk()?)
    }
}
