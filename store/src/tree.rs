//! The JMT's storage adapter over sled (`TreeReader`, `HasPreimage`, `TreeWriter`), and the raw
//! reads shared by snapshots and the adapter. Only this file and `storage.rs` know that the
//! engine is sled; swapping engines means reimplementing these reads and the batch writes.

use jmt::storage::{HasPreimage, LeafNode, Node, NodeBatch, NodeKey, TreeReader, TreeWriter};
use jmt::{KeyHash, OwnedValue};
use sha2::Sha256;

use crate::keys;
use crate::{StoreError, Version};

/// The JMT over our adapter, hashed with SHA-256 (what `jmt::ics23_spec()` describes).
pub(crate) type Jmt<'a> = jmt::JellyfishMerkleTree<'a, SledTree<'a>, Sha256>;

pub(crate) fn key_hash(raw: &[u8]) -> KeyHash {
    KeyHash::with::<Sha256>(raw)
}

/// JMT node/value reads over sled.
///
/// `root_alias` serves `prepare` when the JMT would look for the root of `version - 1` but that
/// version was never committed (a height gap, or a first version above 0 on an empty store):
/// the JMT always builds version `v` on top of the root node keyed `(v - 1, [])`, so that key
/// is answered with the latest committed root node (or the null node for an empty store).
pub(crate) struct SledTree<'a> {
    pub db: &'a sled::Db,
    pub root_alias: Option<(NodeKey, Node)>,
    pub cache: Option<&'a NodeCache>,
    /// Key hashes of the leaves read (prepare only). The JMT reads the leaf of every key it
    /// updates, so a written key whose hash is here already exists and has a preimage; keys
    /// not here may be new. Only used for membership, never iterated.
    pub seen_leaves: Option<std::cell::RefCell<std::collections::HashSet<[u8; 32]>>>,
}

impl<'a> SledTree<'a> {
    pub fn new(db: &'a sled::Db) -> Self {
        SledTree {
            db,
            root_alias: None,
            cache: None,
            seen_leaves: None,
        }
    }

    pub fn with_cache(db: &'a sled::Db, cache: &'a NodeCache) -> Self {
        SledTree {
            db,
            root_alias: None,
            cache: Some(cache),
            seen_leaves: None,
        }
    }
}

/// Decoded JMT nodes, shared by all readers of one `Storage`.
///
/// Safe to cache without invalidation: a `NodeKey` names `(version, path)` and only the commit
/// of that version ever writes it, so a key maps to one node forever. Only committed nodes
/// enter (read from sled, or the nodes of a commit after it is durable), never prepared ones
/// (two prepares of one version produce different nodes under the same keys). Pruned nodes
/// may linger until evicted; only pruned versions could reach them, and those reads fail the
/// floor check. Only internal nodes are cached: they lie on every path, while a leaf is read
/// about once per update of its key. Eviction is two-generational (an approximate LRU without a dependency): when
/// the current generation is full it becomes the previous one and the old previous is dropped.
/// Its HashMaps are never iterated, so nothing here affects determinism.
pub(crate) struct NodeCache {
    inner: parking_lot::Mutex<Generations>,
    generation_cap: usize,
}

#[derive(Default)]
struct Generations {
    current: std::collections::HashMap<NodeKey, Node>,
    previous: std::collections::HashMap<NodeKey, Node>,
}

impl NodeCache {
    pub fn new(generation_cap: usize) -> Self {
        NodeCache {
            inner: parking_lot::Mutex::new(Generations::default()),
            generation_cap,
        }
    }

    pub fn get(&self, key: &NodeKey) -> Option<Node> {
        let mut g = self.inner.lock();
        if let Some(n) = g.current.get(key) {
            return Some(n.clone());
        }
        let n = g.previous.remove(key)?;
        self.insert_locked(&mut g, key.clone(), n.clone());
        Some(n)
    }

    pub fn insert(&self, key: NodeKey, node: Node) {
        let mut g = self.inner.lock();
        self.insert_locked(&mut g, key, node);
    }

    pub fn insert_many<'n>(&self, nodes: impl IntoIterator<Item = (&'n NodeKey, &'n Node)>) {
        let mut g = self.inner.lock();
        for (k, n) in nodes {
            if matches!(n, Node::Internal(_)) {
                self.insert_locked(&mut g, k.clone(), n.clone());
            }
        }
    }

    fn insert_locked(&self, g: &mut Generations, key: NodeKey, node: Node) {
        if g.current.len() >= self.generation_cap {
            g.previous = std::mem::take(&mut g.current);
        }
        g.current.insert(key, node);
    }
}

pub(crate) fn read_node(db: &sled::Db, node_key: &NodeKey) -> Result<Option<Node>, StoreError> {
    let k = keys::node_key(node_key)?;
    match db.get(k)? {
        None => Ok(None),
        Some(bytes) => borsh::from_slice::<Node>(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("undecodable JMT node {node_key:?}: {e}"))),
    }
}

/// The newest raw-index entry of `raw` at a version `<= version`: Some(Some(v)) = value,
/// Some(None) = tombstone, None = never written (or pruned away).
pub(crate) fn read_raw_entry(
    db: &sled::Db,
    raw: &[u8],
    version: Version,
) -> Result<Option<Option<Vec<u8>>>, StoreError> {
    let lo = keys::raw_key_at(raw, 0);
    let hi = keys::raw_key_at(raw, version);
    match db.range(lo..=hi).next_back() {
        None => Ok(None),
        Some(entry) => {
            let (_, v) = entry?;
            keys::decode_value(&v).map(Some)
        }
    }
}

pub(crate) fn read_raw(
    db: &sled::Db,
    raw: &[u8],
    version: Version,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(read_raw_entry(db, raw, version)?.flatten())
}

pub(crate) fn read_preimage(db: &sled::Db, hash: &KeyHash) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(db.get(keys::preimage_key(&hash.0))?.map(|v| v.to_vec()))
}

/// Add a JMT node batch to a sled batch. The JMT's own value copies are ignored: values live
/// once, in the raw-key index (`k`), which `get_value_option` reads through the preimage.
pub(crate) fn add_nodes(batch: &mut sled::Batch, nodes: &NodeBatch) -> Result<(), StoreError> {
    for (node_key, node) in nodes.nodes() {
        let v =
            borsh::to_vec(node).map_err(|e| StoreError::Tree(format!("encoding JMT node: {e}")))?;
        batch.insert(keys::node_key(node_key)?, v);
    }
    Ok(())
}

impl TreeReader for SledTree<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        if let Some((alias, node)) = &self.root_alias {
            if alias == node_key {
                return Ok(Some(node.clone()));
            }
        }
        if let Some(cache) = self.cache {
            if let Some(node) = cache.get(node_key) {
                return Ok(Some(node));
            }
            let node = read_node(self.db, node_key)?;
            match &node {
                Some(n @ Node::Internal(_)) => cache.insert(node_key.clone(), n.clone()),
                Some(Node::Leaf(leaf)) => {
                    if let Some(seen) = &self.seen_leaves {
                        seen.borrow_mut().insert(leaf.key_hash().0);
                    }
                }
                _ => {}
            }
            return Ok(node);
        }
        Ok(read_node(self.db, node_key)?)
    }

    fn get_value_option(
        &self,
        max_version: jmt::Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let Some(raw) = read_preimage(self.db, &key_hash)? else {
            return Ok(None);
        };
        Ok(read_raw(self.db, &raw, max_version)?)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        // Only used by jmt's state-sync restore, which pol does not use.
        anyhow::bail!("get_rightmost_leaf is not supported by the pol-store adapter")
    }
}

impl HasPreimage for SledTree<'_> {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(read_preimage(self.db, &key_hash)?)
    }
}

/// Direct node writes (the JMT's writer interface). `Storage::commit` does not use it: it adds
/// the nodes to the same batch as everything else of the commit (see `add_nodes`).
impl TreeWriter for SledTree<'_> {
    fn write_node_batch(&self, node_batch: &NodeBatch) -> anyhow::Result<()> {
        let mut batch = sled::Batch::default();
        add_nodes(&mut batch, node_batch)?;
        self.db.apply_batch(batch)?;
        Ok(())
    }
}

/// Run JMT code, turning a panic inside jmt (it has `expect`s that corrupt data can reach) into
/// an error instead of unwinding into the caller.
pub(crate) fn guarded<T>(
    what: &str,
    f: impl FnOnce() -> anyhow::Result<T>,
) -> Result<T, StoreError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(match e.downcast::<StoreError>() {
            Ok(se) => se,
            Err(e) => StoreError::Tree(format!("{what}: {e:#}")),
        }),
        Err(_) => Err(StoreError::Corrupt(format!(
            "{what}: merkle tree code panicked (corrupt or inconsistent nodes)"
        ))),
    }
}

/// The key of the root node of `version`: `(version, empty nibble path)`. jmt keeps its own
/// constructor private, so the empty path is decoded from its borsh form (u64 nibble count 0,
/// u32 byte length 0).
pub(crate) fn root_node_key(version: Version) -> Result<NodeKey, StoreError> {
    static EMPTY_PATH: std::sync::OnceLock<Option<jmt::storage::NibblePath>> =
        std::sync::OnceLock::new();
    EMPTY_PATH
        .get_or_init(|| borsh::from_slice::<jmt::storage::NibblePath>(&[0u8; 12]).ok())
        .clone()
        .map(|p| NodeKey::new(version, p))
        .ok_or_else(|| StoreError::Tree("cannot build an empty nibble path".into()))
}
