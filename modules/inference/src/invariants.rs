//! The inference module's invariants: the bond pool holds exactly the providers' bonds, the
//! escrow pool exactly the escrow of pending obligations, no pending obligation is past its
//! deadline, no receipt waits for a draw after its block, and no unbonding provider is
//! past its completion height.

use pol_bank::BankRead;
use pol_component::coins::parse_amount;
use pol_component::state::scan;
use pol_store::{StateRead, StoreError};
use prost::Message;

use crate::pb::{self, ObligationState, ProviderStatus};
use crate::{bond_pool, escrow_pool, state_key, InferenceRead};

pub fn invariants(state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(format!("inference invariants: {what}"));
    let amount = |s: &str| parse_amount(s).ok_or_else(|| corrupt(format!("stored amount {s:?}")));
    let mut broken = Vec::new();
    let denom = state.inference_params()?.bond_denom;

    let mut bonds = 0u128;
    for (_, v) in scan(state, state_key::PROVIDER_PREFIX)? {
        let p = pb::Provider::decode(v.as_slice()).map_err(|e| corrupt(e.to_string()))?;
        bonds = bonds.saturating_add(amount(&p.bond)?);
        if p.status == ProviderStatus::Unbonding as i32 && p.unbonding_completion_height <= height {
            broken.push(format!(
                "provider {} finished unbonding at height {} but still holds its bond",
                p.address, p.unbonding_completion_height
            ));
        }
    }
    let pool = state.balance(&bond_pool(), &denom)?;
    if pool != bonds {
        broken.push(format!(
            "the bond pool holds {pool}{denom}, provider bonds sum to {bonds}{denom}"
        ));
    }

    let mut escrow = 0u128;
    for (_, v) in scan(state, state_key::OBLIGATION_PREFIX)? {
        let o = pb::Obligation::decode(v.as_slice()).map_err(|e| corrupt(e.to_string()))?;
        if o.state != ObligationState::Pending as i32 {
            continue;
        }
        escrow = escrow.saturating_add(amount(&o.escrow)?);
        // End block settles an obligation at its deadline height (missed if unproven).
        if o.deadline_height <= height {
            broken.push(format!(
                "obligation {} is pending past its deadline {}",
                o.id, o.deadline_height
            ));
        }
    }
    let pool = state.balance(&escrow_pool(), &denom)?;
    if pool != escrow {
        broken.push(format!(
            "the escrow pool holds {pool}{denom}, pending obligations' escrow sums to \
             {escrow}{denom}"
        ));
    }
    let waiting = scan(state, state_key::PENDING_RECEIPT_PREFIX)?.len();
    if waiting > 0 {
        broken.push(format!(
            "{waiting} receipts wait for a draw after their block"
        ));
    }
    Ok(broken)
}
