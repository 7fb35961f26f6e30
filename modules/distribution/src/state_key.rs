//! Where distribution keeps its records, each a `cosmos.distribution.v1beta1` message
//! (decimals as atomics), as the SDK's `x/distribution` keeps them.

use pol_component::Address;

/// `distribution/params` → `Params`.
pub const PARAMS: &[u8] = b"distribution/params";
/// `distribution/fee_pool` → `FeePool` (the community pool).
pub const FEE_POOL: &[u8] = b"distribution/fee_pool";

/// `distribution/withdraw_addr/<delegator 20>` → the 20-byte address rewards go to.
pub const WITHDRAW_ADDR_PREFIX: &[u8] = b"distribution/withdraw_addr/";
pub fn withdraw_addr(delegator: &Address) -> Vec<u8> {
    [WITHDRAW_ADDR_PREFIX, delegator.as_bytes()].concat()
}

/// `distribution/outstanding/<validator 20>` → `ValidatorOutstandingRewards`: everything
/// allocated to the validator and not yet paid out (commission and delegators' rewards).
pub const OUTSTANDING_PREFIX: &[u8] = b"distribution/outstanding/";
pub fn outstanding(val: &Address) -> Vec<u8> {
    [OUTSTANDING_PREFIX, val.as_bytes()].concat()
}

/// `distribution/commission/<validator 20>` → `ValidatorAccumulatedCommission`.
pub const COMMISSION_PREFIX: &[u8] = b"distribution/commission/";
pub fn commission(val: &Address) -> Vec<u8> {
    [COMMISSION_PREFIX, val.as_bytes()].concat()
}

/// `distribution/current/<validator 20>` → `ValidatorCurrentRewards`: the period under
/// way and what it has accrued.
pub const CURRENT_PREFIX: &[u8] = b"distribution/current/";
pub fn current(val: &Address) -> Vec<u8> {
    [CURRENT_PREFIX, val.as_bytes()].concat()
}

/// `distribution/historical/<validator 20><period u64 BE>` → `ValidatorHistoricalRewards`:
/// the cumulative reward per token at the end of the period, and how many starting infos
/// and slash events still refer to it.
pub const HISTORICAL_PREFIX: &[u8] = b"distribution/historical/";
pub fn historical_of(val: &Address) -> Vec<u8> {
    [HISTORICAL_PREFIX, val.as_bytes()].concat()
}
pub fn historical(val: &Address, period: u64) -> Vec<u8> {
    [&historical_of(val)[..], &period.to_be_bytes()].concat()
}

/// `distribution/starting/<validator 20><delegator 20>` → `DelegatorStartingInfo`.
pub const STARTING_PREFIX: &[u8] = b"distribution/starting/";
pub fn starting(val: &Address, delegator: &Address) -> Vec<u8> {
    [STARTING_PREFIX, val.as_bytes(), delegator.as_bytes()].concat()
}

/// `distribution/slash/<validator 20><height u64 BE><period u64 BE>` → `ValidatorSlashEvent`.
pub const SLASH_PREFIX: &[u8] = b"distribution/slash/";
pub fn slashes_of(val: &Address) -> Vec<u8> {
    [SLASH_PREFIX, val.as_bytes()].concat()
}
pub fn slash(val: &Address, height: u64, period: u64) -> Vec<u8> {
    [
        &slashes_of(val)[..],
        &height.to_be_bytes(),
        &period.to_be_bytes(),
    ]
    .concat()
}
