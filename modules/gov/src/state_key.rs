//! Gov's state keys. Times in keys are block-time nanoseconds as big-endian u64, so a
//! prefix scan visits the queues in time order.

pub const PARAMS: &[u8] = b"gov/params";
pub const NEXT_PROPOSAL_ID: &[u8] = b"gov/next_id";
pub const CONSTITUTION: &[u8] = b"gov/constitution";
pub const PROPOSAL_PREFIX: &[u8] = b"gov/proposal/";
/// Proposals in their deposit period, by deposit end time then id (→ 1: the store cannot
/// prove an empty value).
pub const INACTIVE_PREFIX: &[u8] = b"gov/inactive/";
/// Proposals in their voting period, by voting end time then id.
pub const ACTIVE_PREFIX: &[u8] = b"gov/active/";
pub const DEPOSIT_PREFIX: &[u8] = b"gov/deposit/";
pub const VOTE_PREFIX: &[u8] = b"gov/vote/";

fn with(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

pub fn proposal(id: u64) -> Vec<u8> {
    with(PROPOSAL_PREFIX, &[&id.to_be_bytes()])
}

/// Nanoseconds since the epoch, clamped at 0 (block times are after 1970).
pub fn time_bytes(nanos: i128) -> [u8; 8] {
    u64::try_from(nanos.max(0))
        .unwrap_or(u64::MAX)
        .to_be_bytes()
}

pub fn inactive(end_nanos: i128, id: u64) -> Vec<u8> {
    with(
        INACTIVE_PREFIX,
        &[&time_bytes(end_nanos), &id.to_be_bytes()],
    )
}

pub fn active(end_nanos: i128, id: u64) -> Vec<u8> {
    with(ACTIVE_PREFIX, &[&time_bytes(end_nanos), &id.to_be_bytes()])
}

pub fn deposits_of(id: u64) -> Vec<u8> {
    with(DEPOSIT_PREFIX, &[&id.to_be_bytes()])
}

pub fn deposit(id: u64, depositor: &[u8; 20]) -> Vec<u8> {
    with(DEPOSIT_PREFIX, &[&id.to_be_bytes(), depositor])
}

pub fn votes_of(id: u64) -> Vec<u8> {
    with(VOTE_PREFIX, &[&id.to_be_bytes()])
}

pub fn vote(id: u64, voter: &[u8; 20]) -> Vec<u8> {
    with(VOTE_PREFIX, &[&id.to_be_bytes(), voter])
}

/// The id at the end of a queue key.
pub fn queue_id(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// The time in a queue key (after `prefix`).
pub fn queue_time(prefix: &[u8], key: &[u8]) -> Option<u64> {
    let t: [u8; 8] = key.get(prefix.len()..prefix.len() + 8)?.try_into().ok()?;
    Some(u64::from_be_bytes(t))
}
