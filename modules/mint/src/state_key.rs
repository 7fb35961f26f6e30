//! Where the mint module keeps its two records (each a `cosmos.mint.v1beta1` message).

/// `mint/minter` → `cosmos.mint.v1beta1.Minter`.
pub const MINTER: &[u8] = b"mint/minter";
/// `mint/params` → `cosmos.mint.v1beta1.Params`.
pub const PARAMS: &[u8] = b"mint/params";
