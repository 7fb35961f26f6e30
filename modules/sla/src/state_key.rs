//! Where `sla` keeps its state. Values are protobuf (never empty: every record names its
//! provider) or fixed-width big-endian integers.

use pol_component::Address;

/// `pol.sla.v1.Params`.
pub const PARAMS: &[u8] = b"sla/params";

/// `sla/record/<address 20>` → `ProviderRecord`.
pub const RECORD_PREFIX: &[u8] = b"sla/record/";
pub fn record(addr: &Address) -> Vec<u8> {
    [RECORD_PREFIX, addr.as_bytes()].concat()
}

/// `sla/violation/<address 20><u64::MAX − epoch 8>` → `SlaViolation`: newest first.
pub const VIOLATION_PREFIX: &[u8] = b"sla/violation/";
pub fn violations_of(addr: &Address) -> Vec<u8> {
    [VIOLATION_PREFIX, addr.as_bytes()].concat()
}
pub fn violation(addr: &Address, epoch: u64) -> Vec<u8> {
    [
        &violations_of(addr)[..],
        &(u64::MAX - epoch).to_be_bytes()[..],
    ]
    .concat()
}

/// `sla/last_epoch` → u64 big-endian: the last judged epoch (absent before the first).
pub const LAST_EPOCH: &[u8] = b"sla/last_epoch";
