//! Which validators' probe receipts enter the proof draw, and how many.
//!
//! Probe receipts become proof obligations that nobody paid for, so who may bring them is
//! rationed two ways:
//! * **One carrier per height.** Only the receipts of one validator's vote count at each
//!   height: the carrier, drawn by power from every validator of the decided commit
//!   (absent and ignored votes included) with a seed that is the height alone. Nobody can
//!   grind it, and a proposer that blanks votes or leaves them out can only lose a height's
//!   receipts, never choose whose count. Over many heights each validator carries for its
//!   share of the power.
//! * **A budget per provider per epoch.** At most `max_probe_receipts_per_epoch` probe
//!   receipts are recorded per provider per epoch, and each validator at most its share of
//!   the power of that (rounded up): one validator cannot push more proving on a chosen
//!   provider than its stake's share of the budget. The counts reset when the epoch is
//!   judged.

use pol_store::{StateWrite, StoreError};
use sha2::{Digest, Sha256};

use crate::pb::{self, Params};
use crate::state_key;
use crate::view::{LatencyRead, LatencyWrite};

/// The validator whose vote's receipts count at `vote_height`: drawn by power among
/// `validators` (address, power), taken in address order, from
/// `SHA-256("pol.latency.v1/receipt-carrier" ‖ height)`. `None` without positive power.
pub fn carrier(vote_height: u64, validators: &[([u8; 20], i64)]) -> Option<[u8; 20]> {
    let mut sorted: Vec<&([u8; 20], i64)> = validators.iter().filter(|v| v.1 > 0).collect();
    sorted.sort_by_key(|v| v.0);
    let total: u128 = sorted.iter().map(|v| v.1 as u128).sum();
    if total == 0 {
        return None;
    }
    let mut h = Sha256::new();
    h.update(b"pol.latency.v1/receipt-carrier");
    h.update(vote_height.to_be_bytes());
    let d = h.finalize();
    let mut head = [0u8; 16];
    head.copy_from_slice(&d[..16]);
    let mut point = u128::from_be_bytes(head) % total;
    for (address, power) in sorted {
        let power = *power as u128;
        if point < power {
            return Some(*address);
        }
        point -= power;
    }
    None
}

/// `ceil(budget · power / total)`: a validator's share of a provider's budget.
pub fn share_of_budget(budget: u32, power: i64, total_power: i64) -> u64 {
    if power <= 0 || total_power <= 0 {
        return 0;
    }
    let product = u128::from(budget) * power as u128;
    product
        .div_ceil(total_power as u128)
        .min(u128::from(budget)) as u64
}

/// Whether one more probe receipt of `provider`, carried by `validator` (of `power` out of
/// `total_power`), fits this epoch's budget.
pub fn admits<S: LatencyRead + ?Sized>(
    state: &S,
    params: &Params,
    provider: &[u8; 20],
    validator: &[u8; 20],
    power: i64,
    total_power: i64,
) -> Result<bool, StoreError> {
    let r = state.probe_receipts(provider)?;
    if r.recorded >= u64::from(params.max_probe_receipts_per_epoch) {
        return Ok(false);
    }
    let carried = r
        .carriers
        .iter()
        .find(|c| c.validator == validator)
        .map_or(0, |c| c.recorded);
    Ok(carried < share_of_budget(params.max_probe_receipts_per_epoch, power, total_power))
}

/// Counts a probe receipt of `provider` carried by `validator` as recorded.
pub fn count<S: StateWrite + ?Sized>(
    state: &mut S,
    provider: &[u8; 20],
    validator: &[u8; 20],
) -> Result<(), StoreError> {
    let mut r = state.probe_receipts(provider)?;
    r.recorded = r.recorded.saturating_add(1);
    match r.carriers.iter_mut().find(|c| c.validator == validator) {
        Some(c) => c.recorded = c.recorded.saturating_add(1),
        None => {
            r.carriers.push(pb::ProbeCarrier {
                validator: validator.to_vec(),
                recorded: 1,
            });
            r.carriers.sort_by(|a, b| a.validator.cmp(&b.validator));
        }
    }
    state.put_probe_receipts(&r)
}

/// A new epoch: every count starts over.
pub fn reset<S: StateWrite + ?Sized>(state: &mut S) -> Result<(), StoreError> {
    let keys: Vec<Vec<u8>> = pol_component::state::scan(state, state_key::PROBE_RECEIPTS_PREFIX)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for k in keys {
        state.delete(k);
    }
    Ok(())
}
