//! Where `bank` keeps its state. Amounts are `cosmos.base.v1beta1.Coin` values.

use pol_component::Address;

/// `bank/balance/<20-byte address>/<denom>` → Coin.
pub const BALANCE_PREFIX: &[u8] = b"bank/balance/";

pub fn balances_of(addr: &Address) -> Vec<u8> {
    [BALANCE_PREFIX, addr.as_bytes(), b"/"].concat()
}

pub fn balance(addr: &Address, denom: &str) -> Vec<u8> {
    [&balances_of(addr)[..], denom.as_bytes()].concat()
}

/// `bank/supply/<denom>` → Coin.
pub const SUPPLY_PREFIX: &[u8] = b"bank/supply/";

pub fn supply(denom: &str) -> Vec<u8> {
    [SUPPLY_PREFIX, denom.as_bytes()].concat()
}
