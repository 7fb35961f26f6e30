//! Layout of the single sled tree.
//!
//! Everything lives in sled's default tree, split into namespaces by a one-byte prefix, so that
//! one `apply_batch` (atomic in sled, also across a crash) persists a whole commit:
//!
//! | prefix | key                                   | value                                   |
//! |--------|---------------------------------------|-----------------------------------------|
//! | `m`    | `m` + name                            | store metadata (format, latest, floor)  |
//! | `r`    | `r` + version_be                      | root hash of a committed version        |
//! | `n`    | `n` + borsh(NodeKey)                  | borsh(jmt Node)                         |
//! | `s`    | `s` + stale_since_be                  | list of `n` keys stale since then       |
//! | `k`    | `k` + esc(raw_key) + version_be       | `1` + value, or `0` (tombstone)         |
//! | `c`    | `c` + version_be                      | list of raw keys written at the version |
//! | `p`    | `p` + sha256(raw_key)                 | raw_key (preimage of the JMT key hash)  |
//! | `l`    | `l` + key                             | local (non-merkleized) metadata         |
//!
//! `esc` is an order-preserving, prefix-free escaping of the raw key (`00` becomes `00 FF`, and
//! the key ends with `00 00`), so `k` entries sort by raw key first and version second, a raw
//! prefix maps to a byte prefix, and no raw key's entries can interleave with another's.
//!
//! The stale-node index and the changelog are one entry per version (a list of
//! `u32_be length + bytes` items) rather than one entry per item: they are only ever read
//! whole, by pruning, and this saves thousands of sled inserts per commit.

use crate::{StoreError, Version};

pub(crate) const META_FORMAT: &[u8] = b"mformat";
pub(crate) const META_LATEST: &[u8] = b"mlatest";
pub(crate) const META_FLOOR: &[u8] = b"mfloor";
pub(crate) const FORMAT_VERSION: &[u8] = b"pol-store/1";

pub(crate) const ROOT: u8 = b'r';
pub(crate) const NODE: u8 = b'n';
pub(crate) const STALE: u8 = b's';
pub(crate) const RAW: u8 = b'k';
pub(crate) const CHANGELOG: u8 = b'c';
pub(crate) const PREIMAGE: u8 = b'p';
pub(crate) const LOCAL: u8 = b'l';

const TAG_TOMBSTONE: u8 = 0;
const TAG_VALUE: u8 = 1;

/// Escape `raw` into `out` (without the terminator): `00` -> `00 FF`.
pub(crate) fn escape_into(out: &mut Vec<u8>, raw: &[u8]) {
    for &b in raw {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
}

pub(crate) fn unescape(esc: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(esc.len());
    let mut i = 0;
    while i < esc.len() {
        let b = esc[i];
        if b == 0 {
            if esc.get(i + 1) != Some(&0xFF) {
                return Err(StoreError::Corrupt("bad escaping in raw-key index".into()));
            }
            i += 2;
        } else {
            i += 1;
        }
        out.push(b);
    }
    Ok(out)
}

/// `k` + esc(raw) + `00 00` — the prefix of all versions of one raw key.
pub(crate) fn raw_key_base(raw: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(raw.len() + 12);
    k.push(RAW);
    escape_into(&mut k, raw);
    k.extend_from_slice(&[0, 0]);
    k
}

pub(crate) fn raw_key_at(raw: &[u8], version: Version) -> Vec<u8> {
    let mut k = raw_key_base(raw);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// `k` + esc(prefix) — every raw key starting with `prefix` (and nothing else) starts with this.
pub(crate) fn raw_prefix(prefix: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 4);
    k.push(RAW);
    escape_into(&mut k, prefix);
    k
}

/// Split a `k` entry key into (esc(raw_key), version).
pub(crate) fn split_raw_entry(key: &[u8]) -> Result<(&[u8], Version), StoreError> {
    let n = key.len();
    if n < 11 || key[0] != RAW || key[n - 10..n - 8] != [0, 0] {
        return Err(StoreError::Corrupt("malformed raw-key index entry".into()));
    }
    Ok((&key[1..n - 10], version_from(&key[n - 8..])?))
}

pub(crate) fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![TAG_TOMBSTONE],
        Some(v) => {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(TAG_VALUE);
            out.extend_from_slice(v);
            out
        }
    }
}

pub(crate) fn decode_value(bytes: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    match bytes.split_first() {
        Some((&TAG_VALUE, rest)) => Ok(Some(rest.to_vec())),
        Some((&TAG_TOMBSTONE, [])) => Ok(None),
        _ => Err(StoreError::Corrupt(
            "malformed value in raw-key index".into(),
        )),
    }
}

pub(crate) fn is_tombstone(bytes: &[u8]) -> bool {
    bytes == [TAG_TOMBSTONE]
}

pub(crate) fn version_from(bytes: &[u8]) -> Result<Version, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("malformed version bytes".into()))?;
    Ok(u64::from_be_bytes(arr))
}

pub(crate) fn root_key(version: Version) -> [u8; 9] {
    version_key(ROOT, version)
}

/// `prefix` + version_be: changelog (`c`), stale-node index (`s`) and root (`r`) records.
pub(crate) fn version_key(prefix: u8, version: Version) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = prefix;
    k[1..].copy_from_slice(&version.to_be_bytes());
    k
}

/// Append one item to a list value (`u32_be length + bytes`).
pub(crate) fn push_item(list: &mut Vec<u8>, item: &[u8]) {
    list.extend_from_slice(&(item.len() as u32).to_be_bytes());
    list.extend_from_slice(item);
}

pub(crate) fn decode_list(mut bytes: &[u8]) -> Result<Vec<&[u8]>, StoreError> {
    let mut items = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 4 {
            return Err(StoreError::Corrupt("truncated list entry".into()));
        }
        let n = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let rest = &bytes[4..];
        if rest.len() < n {
            return Err(StoreError::Corrupt("truncated list entry".into()));
        }
        items.push(&rest[..n]);
        bytes = &rest[n..];
    }
    Ok(items)
}

pub(crate) fn preimage_key(key_hash: &[u8; 32]) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[0] = PREIMAGE;
    k[1..].copy_from_slice(key_hash);
    k
}

pub(crate) fn local_key(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(LOCAL);
    k.extend_from_slice(key);
    k
}

pub(crate) fn node_key(node_key: &jmt::storage::NodeKey) -> Result<Vec<u8>, StoreError> {
    let mut k = vec![NODE];
    borsh::to_writer(&mut k, node_key)
        .map_err(|e| StoreError::Tree(format!("encoding node key: {e}")))?;
    Ok(k)
}

/// Encode `latest` metadata: version_be + root.
pub(crate) fn encode_latest(version: Version, root: &[u8; 32]) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..8].copy_from_slice(&version.to_be_bytes());
    v[8..].copy_from_slice(root);
    v
}

pub(crate) fn decode_latest(bytes: &[u8]) -> Result<(Version, [u8; 32]), StoreError> {
    if bytes.len() != 40 {
        return Err(StoreError::Corrupt(
            "malformed latest-version record".into(),
        ));
    }
    Ok((version_from(&bytes[..8])?, root_from(&bytes[8..])?))
}

pub(crate) fn root_from(bytes: &[u8]) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("malformed root hash".into()))
}

/// The smallest key strictly greater than every key starting with `prefix`, if any.
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_and_preserves_order() {
        let keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            vec![0, 1],
            vec![0, 0xFF],
            vec![1],
            b"a".to_vec(),
            b"a\0".to_vec(),
            b"a\0\0\0\0\0\0\0\x01".to_vec(),
            b"ab".to_vec(),
            vec![0xFF, 0],
            vec![0xFF, 0xFF],
        ];
        let mut sorted = keys.clone();
        sorted.sort();
        for (i, a) in sorted.iter().enumerate() {
            let ea = raw_key_at(a, 7);
            let (esc, v) = split_raw_entry(&ea).unwrap();
            assert_eq!(v, 7);
            assert_eq!(&unescape(esc).unwrap(), a);
            for b in &sorted[i + 1..] {
                // every version of a sorts before every version of b
                assert!(raw_key_at(a, u64::MAX) < raw_key_at(b, 0), "{a:?} {b:?}");
                // prefix-ness is preserved exactly
                let is_prefix = b.starts_with(a);
                assert_eq!(raw_key_at(b, 1).starts_with(&raw_prefix(a)), is_prefix);
            }
        }
    }

    #[test]
    fn lists_round_trip_and_reject_truncation() {
        let mut l = Vec::new();
        push_item(&mut l, b"abc");
        push_item(&mut l, b"");
        push_item(&mut l, &[0, 0xFF]);
        assert_eq!(decode_list(&l).unwrap(), vec![&b"abc"[..], b"", &[0, 0xFF]]);
        assert!(decode_list(&l[..l.len() - 1]).is_err());
        assert!(decode_list(&[0, 0, 0]).is_err());
    }

    #[test]
    fn prefix_end_works() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
    }
}
