//! Where `payments` keeps its state. Values are protobuf; index values are a single `1`
//! byte (the store cannot prove empty leaves). Numbers in keys are big-endian so that key
//! order is numeric order.

use pol_component::Address;

/// `pol.payments.v1.Params`.
pub const PARAMS: &[u8] = b"payments/params";
/// The id the next channel gets (u64).
pub const NEXT_CHANNEL_ID: &[u8] = b"payments/next_channel_id";

/// `payments/channel/<id>` → `Channel`.
pub const CHANNEL_PREFIX: &[u8] = b"payments/channel/";
pub fn channel(id: u64) -> Vec<u8> {
    [CHANNEL_PREFIX, &id.to_be_bytes()[..]].concat()
}

/// `payments/by_requester/<address 20><id>` → 1.
pub const BY_REQUESTER_PREFIX: &[u8] = b"payments/by_requester/";
pub fn by_requester(requester: &Address) -> Vec<u8> {
    [BY_REQUESTER_PREFIX, requester.as_bytes()].concat()
}
pub fn requester_channel(requester: &Address, id: u64) -> Vec<u8> {
    [&by_requester(requester)[..], &id.to_be_bytes()].concat()
}

/// `payments/by_provider/<address 20><id>` → 1.
pub const BY_PROVIDER_PREFIX: &[u8] = b"payments/by_provider/";
pub fn by_provider(provider: &Address) -> Vec<u8> {
    [BY_PROVIDER_PREFIX, provider.as_bytes()].concat()
}
pub fn provider_channel(provider: &Address, id: u64) -> Vec<u8> {
    [&by_provider(provider)[..], &id.to_be_bytes()].concat()
}

/// `payments/expiry/<height><id>` → 1: the channels end block settles, in height order.
pub const EXPIRY_PREFIX: &[u8] = b"payments/expiry/";
pub fn expiry(height: u64, id: u64) -> Vec<u8> {
    [EXPIRY_PREFIX, &height.to_be_bytes()[..], &id.to_be_bytes()].concat()
}

/// The channel id at the end of an index key (its last 8 bytes).
pub fn id_of_index_key(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// The expiry height of an `expiry` index key.
pub fn height_of_expiry_key(key: &[u8]) -> Option<u64> {
    let rest = key.strip_prefix(EXPIRY_PREFIX)?;
    let head: [u8; 8] = rest.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(head))
}
