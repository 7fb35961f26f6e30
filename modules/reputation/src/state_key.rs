//! Where `reputation` keeps its state. Values are protobuf (never empty: every record names
//! its subject) or fixed-width big-endian integers.

use pol_component::Address;

/// `pol.reputation.v1.Params`.
pub const PARAMS: &[u8] = b"reputation/params";

/// `reputation/provider/<address 20>` → `ProviderReputation`.
pub const PROVIDER_PREFIX: &[u8] = b"reputation/provider/";
pub fn provider(addr: &Address) -> Vec<u8> {
    [PROVIDER_PREFIX, addr.as_bytes()].concat()
}

/// `reputation/history/<address 20><u64::MAX − epoch 8>` → `ReputationPoint`: a provider's
/// history, newest first in key order.
pub const HISTORY_PREFIX: &[u8] = b"reputation/history/";
pub fn history_of(addr: &Address) -> Vec<u8> {
    [HISTORY_PREFIX, addr.as_bytes()].concat()
}
pub fn history(addr: &Address, epoch: u64) -> Vec<u8> {
    [&history_of(addr)[..], &(u64::MAX - epoch).to_be_bytes()[..]].concat()
}

/// `reputation/validator/<consensus address 20>` → `ValidatorReputation`.
pub const VALIDATOR_PREFIX: &[u8] = b"reputation/validator/";
pub fn validator(cons: &[u8; 20]) -> Vec<u8> {
    [VALIDATOR_PREFIX, &cons[..]].concat()
}

/// `reputation/last_measurer_epoch` → u64 big-endian: the last epoch `record_measurers`
/// ran for (absent before the first).
pub const LAST_MEASURER_EPOCH: &[u8] = b"reputation/last_measurer_epoch";
