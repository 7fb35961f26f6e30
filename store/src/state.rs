//! Read/write traits over state and the copy-on-write [`StateDelta`] overlay.

// `Vec<(Vec<u8>, Vec<u8>)>` is spelled out on purpose: it is the agreed trait signature.
#![allow(clippy::type_complexity)]

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::StoreError;

/// Read access shared by `Snapshot`, `StateDelta` and anything that wraps them.
pub trait StateRead {
    /// The value stored under `key`, if any.
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Entries whose key starts with `prefix`, in ascending raw-key order, strictly after
    /// `start_after` if given, at most `limit` of them (for pagination).
    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError>;
}

/// Write access: buffered puts and deletes (only `StateDelta` implements it directly).
pub trait StateWrite: StateRead {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>);
    fn delete(&mut self, key: Vec<u8>);
}

impl<T: StateRead + ?Sized> StateRead for &T {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_raw(key)
    }
    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        (**self).prefix_raw(prefix, start_after, limit)
    }
}

impl<T: StateRead + ?Sized> StateRead for &mut T {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_raw(key)
    }
    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        (**self).prefix_raw(prefix, start_after, limit)
    }
}

impl<T: StateWrite + ?Sized> StateWrite for &mut T {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        (**self).put_raw(key, value)
    }
    fn delete(&mut self, key: Vec<u8>) {
        (**self).delete(key)
    }
}

impl<T: StateRead + ?Sized> StateRead for Box<T> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_raw(key)
    }
    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        (**self).prefix_raw(prefix, start_after, limit)
    }
}

impl<T: StateRead + ?Sized> StateRead for std::sync::Arc<T> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_raw(key)
    }
    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        (**self).prefix_raw(prefix, start_after, limit)
    }
}

/// How a protobuf record whose encoding is empty (every field at its default: a validator's
/// zero commission, an empty community pool) is stored. ICS23 cannot prove an empty leaf,
/// and an unprovable leaf also breaks the absence proofs of the keys next to it, so no
/// value in state may be empty. A single `0x00` byte is never a protobuf encoding (field
/// number 0 does not exist), so the marker cannot be mistaken for a record.
pub const EMPTY_RECORD: &[u8] = &[0x00];

/// `m`'s protobuf encoding, or [`EMPTY_RECORD`] when that is empty.
pub fn encode_record<M: prost::Message>(m: &M) -> Vec<u8> {
    let bytes = m.encode_to_vec();
    if bytes.is_empty() {
        EMPTY_RECORD.to_vec()
    } else {
        bytes
    }
}

/// The inverse of [`encode_record`].
pub fn decode_record<M: prost::Message + Default>(bytes: &[u8]) -> Result<M, prost::DecodeError> {
    if bytes == EMPTY_RECORD {
        return Ok(M::default());
    }
    M::decode(bytes)
}

/// Protobuf helpers for reading (values in state are protobuf, see [`encode_record`]).
pub trait StateReadExt: StateRead {
    /// Decode the value under `key`; a value that does not decode is `StoreError::Corrupt`.
    fn get_proto<M: prost::Message + Default>(&self, key: &[u8]) -> Result<Option<M>, StoreError> {
        match self.get_raw(key)? {
            None => Ok(None),
            Some(bytes) => decode_record::<M>(&bytes).map(Some).map_err(|e| {
                StoreError::Corrupt(format!(
                    "value under key {:?} does not decode as {}: {e}",
                    String::from_utf8_lossy(key),
                    std::any::type_name::<M>()
                ))
            }),
        }
    }

    /// Decode a page of prefix entries.
    fn prefix_proto<M: prost::Message + Default>(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, M)>, StoreError> {
        self.prefix_raw(prefix, start_after, limit)?
            .into_iter()
            .map(|(k, v)| match decode_record::<M>(&v) {
                Ok(m) => Ok((k, m)),
                Err(e) => Err(StoreError::Corrupt(format!(
                    "value under key {:?} does not decode as {}: {e}",
                    String::from_utf8_lossy(&k),
                    std::any::type_name::<M>()
                ))),
            })
            .collect()
    }
}
impl<T: StateRead + ?Sized> StateReadExt for T {}

/// Protobuf helpers for writing.
pub trait StateWriteExt: StateWrite {
    /// Store `value` as [`encode_record`] does (never an empty value).
    fn put_proto<M: prost::Message>(&mut self, key: Vec<u8>, value: &M) {
        self.put_raw(key, encode_record(value))
    }
}
impl<T: StateWrite + ?Sized> StateWriteExt for T {}

/// Copy-on-write overlay over any [`StateRead`]: the block's pending state (over a `Snapshot`),
/// and per-transaction overlays over the block's, so a failed transaction's writes are simply
/// dropped. Writes are kept in a `BTreeMap` (never a `HashMap`), so `into_writes` is ordered and
/// everything downstream is deterministic.
pub struct StateDelta<S: StateRead> {
    base: S,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<S: StateRead> StateDelta<S> {
    pub fn new(base: S) -> Self {
        StateDelta {
            base,
            writes: BTreeMap::new(),
        }
    }

    /// The buffered writes (`None` = delete), dropping the base.
    pub fn into_writes(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.writes
    }

    /// Merge a child's writes (later writes win).
    pub fn apply(&mut self, writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) {
        if self.writes.is_empty() {
            self.writes = writes;
        } else {
            self.writes.extend(writes);
        }
    }

    pub fn writes(&self) -> &BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        &self.writes
    }

    pub fn base(&self) -> &S {
        &self.base
    }

    /// Drop all buffered writes.
    pub fn clear(&mut self) {
        self.writes.clear();
    }
}

impl<S: StateRead> StateRead for StateDelta<S> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.writes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get_raw(key),
        }
    }

    /// Merge of the overlay and the base: overlay entries win, overlay deletes hide base
    /// entries. The base is read page by page, so a page full of hidden entries cannot
    /// truncate the result.
    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let lower = match start_after {
            Some(s) if s >= prefix => Bound::Excluded(s),
            _ => Bound::Included(prefix),
        };
        let mut overlay = self
            .writes
            .range::<[u8], _>((lower, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .peekable();

        let mut base_cursor: Option<Vec<u8>> = start_after.map(|s| s.to_vec());
        let mut base_page: std::collections::VecDeque<(Vec<u8>, Vec<u8>)> = Default::default();
        let mut base_done = false;

        while out.len() < limit {
            if base_page.is_empty() && !base_done {
                // Ask for what is still missing plus some slack for hidden entries.
                let want = (limit - out.len()).saturating_add(16);
                let page = self.base.prefix_raw(prefix, base_cursor.as_deref(), want)?;
                base_done = page.len() < want;
                if let Some((k, _)) = page.last() {
                    base_cursor = Some(k.clone());
                }
                base_page.extend(page);
            }
            let take_overlay = match (overlay.peek(), base_page.front()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((ok, _)), Some((bk, _))) => {
                    if ok.as_slice() == bk.as_slice() {
                        // overlay shadows base
                        base_page.pop_front();
                        true
                    } else {
                        ok.as_slice() < bk.as_slice()
                    }
                }
            };
            if take_overlay {
                if let Some((k, Some(v))) = overlay.next() {
                    out.push((k.clone(), v.clone()));
                }
            } else if let Some(entry) = base_page.pop_front() {
                out.push(entry);
            }
        }
        Ok(out)
    }
}

impl<S: StateRead> StateWrite for StateDelta<S> {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }
    fn delete(&mut self, key: Vec<u8>) {
        self.writes.insert(key, None);
    }
}

impl<S: StateRead> std::fmt::Debug for StateDelta<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDelta")
            .field("pending_writes", &self.writes.len())
            .finish_non_exhaustive()
    }
}

/// A plain in-memory state (useful for tests and genesis tooling): an ordered map.
#[derive(Default, Clone, Debug)]
pub struct MemState(pub BTreeMap<Vec<u8>, Vec<u8>>);

impl StateRead for MemState {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.0.get(key).cloned())
    }
    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let lower = match start_after {
            Some(s) if s >= prefix => Bound::Excluded(s),
            _ => Bound::Included(prefix),
        };
        Ok(self
            .0
            .range::<[u8], _>((lower, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mem(entries: &[(&str, &str)]) -> MemState {
        MemState(
            entries
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
        )
    }

    fn keys(v: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
        v.iter()
            .map(|(k, _)| String::from_utf8(k.clone()).unwrap())
            .collect()
    }

    #[test]
    fn overlay_shadows_and_hides() {
        let base = mem(&[("a/1", "1"), ("a/2", "2"), ("a/3", "3"), ("b/1", "x")]);
        let mut d = StateDelta::new(&base);
        d.delete(b"a/2".to_vec());
        d.put_raw(b"a/3".to_vec(), b"33".to_vec());
        d.put_raw(b"a/25".to_vec(), b"25".to_vec());
        assert_eq!(d.get_raw(b"a/2").unwrap(), None);
        assert_eq!(d.get_raw(b"a/3").unwrap(), Some(b"33".to_vec()));
        assert_eq!(d.get_raw(b"b/1").unwrap(), Some(b"x".to_vec()));
        let all = d.prefix_raw(b"a/", None, 100).unwrap();
        assert_eq!(keys(&all), vec!["a/1", "a/25", "a/3"]);
        assert_eq!(all[2].1, b"33".to_vec());
        // paginate one at a time
        let mut got = vec![];
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = d.prefix_raw(b"a/", after.as_deref(), 1).unwrap();
            if page.is_empty() {
                break;
            }
            after = Some(page[0].0.clone());
            got.extend(keys(&page));
        }
        assert_eq!(got, vec!["a/1", "a/25", "a/3"]);
    }

    #[test]
    fn many_hidden_base_entries_do_not_truncate() {
        let entries: Vec<(String, String)> = (0..100)
            .map(|i| (format!("p/{i:03}"), i.to_string()))
            .collect();
        let base = MemState(
            entries
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
        );
        let mut d = StateDelta::new(&base);
        for i in 0..90 {
            d.delete(format!("p/{i:03}").into_bytes());
        }
        let page = d.prefix_raw(b"p/", None, 5).unwrap();
        assert_eq!(
            keys(&page),
            vec!["p/090", "p/091", "p/092", "p/093", "p/094"]
        );
    }

    #[test]
    fn nested_deltas_apply() {
        let base = mem(&[("k", "0")]);
        let mut block = StateDelta::new(&base);
        {
            let mut tx = StateDelta::new(&block);
            tx.put_raw(b"k".to_vec(), b"1".to_vec());
            tx.put_raw(b"j".to_vec(), b"2".to_vec());
            let w = tx.into_writes();
            block.apply(w);
        }
        {
            let mut tx = StateDelta::new(&block);
            tx.delete(b"k".to_vec());
            // failed tx: dropped
        }
        assert_eq!(block.get_raw(b"k").unwrap(), Some(b"1".to_vec()));
        assert_eq!(block.writes().len(), 2);
    }
}
