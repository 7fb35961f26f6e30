//! Where `latency` keeps its state. Providers and validators are keyed by their raw 20
//! bytes, so scans come back in address order.

pub const PARAMS: &[u8] = b"latency/params";

pub const CONSENSUS_KEY_PREFIX: &[u8] = b"latency/consensus_key/";
/// The ed25519 key of a consensus address the chain ever gave CometBFT.
pub fn consensus_key(address: &[u8; 20]) -> Vec<u8> {
    [CONSENSUS_KEY_PREFIX, address.as_slice()].concat()
}

pub const AGGREGATE_PREFIX: &[u8] = b"latency/aggregate/";
/// A provider's latest aggregate.
pub fn aggregate(provider: &[u8; 20]) -> Vec<u8> {
    [AGGREGATE_PREFIX, provider.as_slice()].concat()
}

/// A provider's past aggregates, newest first: the height is stored inverted.
pub fn history_of(provider: &[u8; 20]) -> Vec<u8> {
    [b"latency/history/".as_slice(), provider.as_slice(), b"/"].concat()
}
pub fn history(provider: &[u8; 20], height: u64) -> Vec<u8> {
    let mut k = history_of(provider);
    k.extend_from_slice(&(u64::MAX - height).to_be_bytes());
    k
}

pub const MEASURER_PREFIX: &[u8] = b"latency/measurer/";
pub fn measurer(validator: &[u8; 20]) -> Vec<u8> {
    [MEASURER_PREFIX, validator.as_slice()].concat()
}

pub const EPOCH_PREFIX: &[u8] = b"latency/epoch/";
/// A provider's running sums for the current epoch.
pub fn epoch(provider: &[u8; 20]) -> Vec<u8> {
    [EPOCH_PREFIX, provider.as_slice()].concat()
}

/// The current epoch's geographic frame (`pb::GeoFrame`).
pub const GEO_FRAME: &[u8] = b"latency/geo_frame";

/// The last block's height, hash and time: the next extensions' probing challenge.
pub const LAST_BLOCK: &[u8] = b"latency/last_block";

pub const PROBE_RECEIPTS_PREFIX: &[u8] = b"latency/probe_receipts/";
/// Probe receipts recorded for a provider in the current epoch.
pub fn probe_receipts(provider: &[u8; 20]) -> Vec<u8> {
    [PROBE_RECEIPTS_PREFIX, provider.as_slice()].concat()
}

pub const SERVED_REPORT_PREFIX: &[u8] = b"latency/served_report/";
/// Every requester's merged reports on a provider in the current epoch.
pub fn served_reports_of(provider: &[u8; 20]) -> Vec<u8> {
    [SERVED_REPORT_PREFIX, provider.as_slice()].concat()
}
pub fn served_report(provider: &[u8; 20], requester: &[u8; 20]) -> Vec<u8> {
    [served_reports_of(provider).as_slice(), requester.as_slice()].concat()
}

pub const SERVED_PREFIX: &[u8] = b"latency/served/";
/// A provider's requester-side latency in the last epoch it was reported.
pub fn served(provider: &[u8; 20]) -> Vec<u8> {
    [SERVED_PREFIX, provider.as_slice()].concat()
}

pub const SERVED_CHANNEL_PREFIX: &[u8] = b"latency/served_channel/";
/// How much of a channel's cumulative payment reports have carried.
pub fn served_channel(channel_id: u64) -> Vec<u8> {
    [SERVED_CHANNEL_PREFIX, channel_id.to_be_bytes().as_slice()].concat()
}

/// The trailing 20 address bytes of a key under one of the prefixes above.
pub fn trailing_address(key: &[u8]) -> Option<[u8; 20]> {
    key.len()
        .checked_sub(20)
        .and_then(|start| key[start..].try_into().ok())
}
