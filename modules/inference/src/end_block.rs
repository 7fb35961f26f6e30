//! End of block: draw this block's receipts into proof obligations, settle obligations whose
//! deadline passed (a correctness fault: part of the bond burned, the escrow refunded), and
//! return the bonds of providers whose unbonding is over.
//!
//! The draw for a receipt is `SHA-256("pol.inference.v1/sample" ‖ block hash ‖ receipt id)`
//! read as a big-endian u64, mod 10⁶, below `sample_rate_ppm`. The block hash is unknown
//! when the receipt's tx is signed, so a requester cannot pick receipts that escape the draw;
//! a proposer could grind the hash by reordering transactions, which only matters if it
//! colludes with the provider.

use pol_bank::BankWrite;
use pol_component::coins::{parse_amount, Coin};
use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;
use sha2::{Digest, Sha256};

use crate::pb::{self, ObligationState, ProviderStatus};
use crate::view::{stored_address, InferenceRead, InferenceWrite};
use crate::EVENTS;
use crate::{bond_pool, escrow_pool, state_key};

/// Whether a receipt is sampled into an obligation.
pub fn sampled(block_hash: &[u8], receipt_id: &[u8; 32], rate_ppm: u32) -> bool {
    let mut h = Sha256::new();
    h.update(b"pol.inference.v1/sample");
    h.update(block_hash);
    h.update(receipt_id);
    let d = h.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&d[..8]);
    u64::from_be_bytes(head) % 1_000_000 < u64::from(rate_ppm)
}

/// Moves `probe_proof_reward` from the community pool into escrow for a drawn probe
/// receipt: `Some(reward)` (0 when probe proofs are unpaid), `None` when the pool cannot pay.
fn fund_probe_proof<S: StateWrite>(
    state: &mut S,
    params: &crate::params::Params,
) -> Result<Option<u128>, TxError> {
    use pol_distribution::{DistributionRead, DistributionWrite};
    let reward = params.probe_proof_reward;
    if reward == 0 {
        return Ok(Some(0));
    }
    let coin = Coin::new(&params.bond_denom, reward);
    let pool = state.community_pool()?;
    let Ok(left) = pool.sub(&pol_component::DecCoins::from_coins(std::slice::from_ref(
        &coin,
    ))) else {
        return Ok(None);
    };
    state.put_community_pool(&left);
    state.send_coins(&pol_distribution::module_account(), &escrow_pool(), &[coin])?;
    Ok(Some(reward))
}

/// A missed probe obligation's escrow goes back to the community pool it came from.
fn refund_probe_proof<S: StateWrite>(
    state: &mut S,
    denom: &str,
    escrow: u128,
) -> Result<Vec<Event>, TxError> {
    use pol_distribution::{DistributionRead, DistributionWrite};
    let coin = Coin::new(denom, escrow);
    let pool = state
        .community_pool()?
        .add(&pol_component::DecCoins::from_coins(std::slice::from_ref(
            &coin,
        )))
        .map_err(|e| TxError::INTERNAL(format!("community pool: {e}")))?;
    state.put_community_pool(&pool);
    Ok(state
        .send_coins(&escrow_pool(), &pol_distribution::module_account(), &[coin])?
        .to_vec())
}

/// `ceil(amount · ppm / 10⁶)`, without overflow.
pub fn fraction_ceil(amount: u128, ppm: u32) -> u128 {
    let ppm = u128::from(ppm.min(1_000_000));
    let whole = (amount / 1_000_000) * ppm;
    let rest = ((amount % 1_000_000) * ppm).div_ceil(1_000_000);
    whole.saturating_add(rest).min(amount)
}

fn stored_amount(s: &str) -> Result<u128, TxError> {
    parse_amount(s).ok_or_else(|| TxError::INTERNAL(format!("stored amount {s:?}")))
}

/// Run at the end of every block, after the transactions. An error means corrupt state.
pub fn end_block<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    block_hash: &[u8],
) -> Result<Vec<Event>, TxError> {
    let params = state.inference_params()?;
    let denom = params.bond_denom.clone();
    let mut events = Vec::new();

    // 1. This block's receipts: obligation or payment.
    let probes = crate::msg::probe_submitter().to_string();
    for (id, mut draft) in state.pending_receipts()? {
        state.delete(state_key::pending_receipt(&id));
        let escrow = stored_amount(&draft.escrow)?;
        if sampled(block_hash, &id, params.sample_rate_ppm) {
            if draft.submitter == probes {
                // A probe receipt: its proof is paid from the community pool, or not drawn.
                match fund_probe_proof(state, &params)? {
                    Some(reward) => draft.escrow = reward.to_string(),
                    None => {
                        events.extend(EVENTS.emit(&pb::EventProbeProofUnfunded {
                            receipt_id: hex::encode(id),
                            provider: draft.provider.clone(),
                            reward: format!("{}{denom}", params.probe_proof_reward),
                        })?);
                        continue;
                    }
                }
            }
            draft.id = state.take_obligation_id()?;
            draft.state = ObligationState::Pending as i32;
            draft.deadline_height = ctx.height.saturating_add(params.proof_deadline_blocks);
            state.put_obligation(&draft, None)?;
            events.extend(EVENTS.emit(&pb::EventObligation {
                id: draft.id,
                provider: draft.provider.clone(),
                receipt_id: hex::encode(id),
                deadline_height: draft.deadline_height,
            })?);
        } else if escrow > 0 {
            let provider = stored_address(&draft.provider)?;
            events.extend(state.send_coins(
                &escrow_pool(),
                &provider,
                &[Coin::new(&denom, escrow)],
            )?);
        }
    }

    // 2. Deadlines: an obligation still pending at the end of its deadline block was not
    //    proven in time (an attestation in that block itself still counts).
    for id in state.obligations_due(ctx.height)? {
        let Some(mut o) = state.obligation(id)? else {
            return Err(TxError::INTERNAL(format!(
                "deadline of missing obligation {id}"
            )));
        };
        if o.state != ObligationState::Pending as i32 {
            return Err(TxError::INTERNAL(format!(
                "deadline of settled obligation {id}"
            )));
        }
        o.state = ObligationState::Missed as i32;
        o.settled_height = ctx.height;
        state.put_obligation(&o, Some(ObligationState::Pending as i32))?;
        let submitter = stored_address(&o.submitter)?;
        let escrow = stored_amount(&o.escrow)?;
        if escrow > 0 && submitter == crate::msg::probe_submitter() {
            events.extend(refund_probe_proof(state, &denom, escrow)?);
        } else if escrow > 0 {
            events.extend(state.send_coins(
                &escrow_pool(),
                &submitter,
                &[Coin::new(&denom, escrow)],
            )?);
        }
        let provider_addr = stored_address(&o.provider)?;
        let mut slashed = 0;
        if let Some(mut p) = state.provider(&provider_addr)? {
            let before = p.clone();
            let bond = stored_amount(&p.bond)?;
            slashed = fraction_ceil(bond, params.missed_proof_slash_ppm);
            if slashed > 0 {
                state.burn(&bond_pool(), &[Coin::new(&denom, slashed)])?;
            }
            let left = bond - slashed;
            p.bond = left.to_string();
            p.faults = p.faults.saturating_add(1);
            if p.status == ProviderStatus::Active as i32
                && left < crate::penalties::required_bond(&p, &params)?
            {
                p.status = ProviderStatus::Jailed as i32;
                events.extend(EVENTS.emit(&pb::EventProviderJailed {
                    provider: p.address.clone(),
                    reason: "missed proof left the bond below the required bond".into(),
                    jailed_until_height: p.jailed_until_height,
                })?);
            }
            state.put_provider(&p, Some(&before))?;
        }
        state.put_fault(&pb::CorrectnessFault {
            obligation_id: id,
            provider: o.provider.clone(),
            height: ctx.height,
            slashed: slashed.to_string(),
        })?;
        events.extend(EVENTS.emit(&pb::EventCorrectnessFault {
            obligation_id: id,
            provider: o.provider.clone(),
            slashed: format!("{slashed}{denom}"),
        })?);
    }

    // 3. Deregistered providers whose unbonding is over get their bond back.
    for (key, addr) in state.providers_unbonded_by(ctx.height)? {
        state.delete(key);
        let Some(p) = state.provider(&addr)? else {
            continue;
        };
        let bond = stored_amount(&p.bond)?;
        if bond > 0 {
            events.extend(state.send_coins(&bond_pool(), &addr, &[Coin::new(&denom, bond)])?);
        }
        state.retire_provider(&p, ctx.height)?;
        events.extend(EVENTS.emit(&pb::EventProviderUnbonded {
            provider: p.address.clone(),
            returned: format!("{bond}{denom}"),
        })?);
    }
    Ok(events)
}
