//! Upgrade's state keys.

/// The plan in force (`cosmos.upgrade.v1beta1.Plan`).
pub const PLAN: &[u8] = b"upgrade/plan";
/// `upgrade/done/<name>` → the height it was applied at (big-endian u64).
pub const DONE_PREFIX: &[u8] = b"upgrade/done/";

pub fn done(name: &str) -> Vec<u8> {
    let mut k = DONE_PREFIX.to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}
