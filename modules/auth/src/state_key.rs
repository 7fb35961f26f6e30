//! Where `auth` keeps its state. Values are protobuf.

use pol_component::Address;

/// `auth/account/<20-byte address>` → `cosmos.auth.v1beta1.BaseAccount`.
pub const ACCOUNT_PREFIX: &[u8] = b"auth/account/";

pub fn account(addr: &Address) -> Vec<u8> {
    [ACCOUNT_PREFIX, addr.as_bytes()].concat()
}

/// `auth/account_number/<u64 big-endian>` → 20-byte address (the reverse index).
pub const ACCOUNT_BY_NUMBER_PREFIX: &[u8] = b"auth/account_number/";

pub fn account_by_number(number: u64) -> Vec<u8> {
    [ACCOUNT_BY_NUMBER_PREFIX, &number.to_be_bytes()[..]].concat()
}

/// The next account number to hand out, as a u64 in a `google.protobuf.UInt64Value`.
pub const NEXT_ACCOUNT_NUMBER: &[u8] = b"auth/next_account_number";

/// `cosmos.auth.v1beta1.Params`.
pub const PARAMS: &[u8] = b"auth/params";
