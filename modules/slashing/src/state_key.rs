//! Where slashing keeps its records, each a `cosmos.slashing.v1beta1` message, as the SDK's
//! `x/slashing` keeps them.

/// `slashing/params` → `Params`.
pub const PARAMS: &[u8] = b"slashing/params";

/// `slashing/info/<consensus address 20>` → `ValidatorSigningInfo`.
pub const SIGNING_INFO_PREFIX: &[u8] = b"slashing/info/";
pub fn signing_info(cons: &[u8; 20]) -> Vec<u8> {
    [SIGNING_INFO_PREFIX, cons].concat()
}

/// `slashing/missed/<consensus address 20><index u64 BE>` → `[1]`: the validator missed
/// the block at this index of its signed-blocks window. Only missed indices are stored, so
/// a validator that signs everything costs no bitmap writes.
pub const MISSED_PREFIX: &[u8] = b"slashing/missed/";
pub fn missed_of(cons: &[u8; 20]) -> Vec<u8> {
    [MISSED_PREFIX, cons].concat()
}
pub fn missed(cons: &[u8; 20], index: u64) -> Vec<u8> {
    [&missed_of(cons)[..], &index.to_be_bytes()].concat()
}
