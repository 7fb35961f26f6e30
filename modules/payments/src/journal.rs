//! The record format of a worker's payment journal (`pol-worker`'s `payments::journal`
//! writes it; `pold tx payments claim --journal` reads it when the worker cannot claim).
//!
//! Record (116 bytes): magic `PJ01`, channel id u64, amount u128, royalty u128 (big-endian),
//! signature 64 bytes, then the first 4 bytes of SHA-256 of everything before.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::SignedPayment;

const MAGIC: &[u8; 4] = b"PJ01";
/// Bytes of one record.
pub const RECORD: usize = 4 + 8 + 16 + 16 + 64 + 4;

pub fn encode(p: &SignedPayment) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    r[..4].copy_from_slice(MAGIC);
    r[4..12].copy_from_slice(&p.channel_id.to_be_bytes());
    r[12..28].copy_from_slice(&p.amount.to_be_bytes());
    r[28..44].copy_from_slice(&p.royalty.to_be_bytes());
    r[44..108].copy_from_slice(&p.signature);
    let sum = Sha256::digest(&r[..108]);
    r[108..].copy_from_slice(&sum[..4]);
    r
}

/// One record, if it is whole and its checksum holds.
pub fn decode(r: &[u8]) -> Option<SignedPayment> {
    if r.len() != RECORD || &r[..4] != MAGIC || Sha256::digest(&r[..108])[..4] != r[108..] {
        return None;
    }
    let p = SignedPayment {
        channel_id: u64::from_be_bytes(r[4..12].try_into().ok()?),
        amount: u128::from_be_bytes(r[12..28].try_into().ok()?),
        royalty: u128::from_be_bytes(r[28..44].try_into().ok()?),
        signature: r[44..108].try_into().ok()?,
    };
    (p.royalty <= p.amount).then_some(p)
}

/// What a journal's bytes hold: each channel's largest payment, the indexes of the records
/// that were corrupt (skipped), and the length of the whole records (a partial last one,
/// a write cut by power loss, lies past it).
pub struct Contents {
    pub best: BTreeMap<u64, SignedPayment>,
    pub corrupt: Vec<usize>,
    pub whole_len: usize,
}

pub fn read(bytes: &[u8]) -> Contents {
    let whole_len = bytes.len() - bytes.len() % RECORD;
    let mut best = BTreeMap::<u64, SignedPayment>::new();
    let mut corrupt = Vec::new();
    for (i, chunk) in bytes[..whole_len].chunks(RECORD).enumerate() {
        let Some(p) = decode(chunk) else {
            corrupt.push(i);
            continue;
        };
        let e = best.entry(p.channel_id).or_insert(p);
        if p.amount > e.amount {
            *e = p;
        }
    }
    Contents {
        best,
        corrupt,
        whole_len,
    }
}
