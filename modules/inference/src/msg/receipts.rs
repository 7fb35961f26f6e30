//! Receipts: the checks every receipt passes, a requester's receipt submitted (with the
//! payment it commits to, when it was not paid through a channel), and the validators'
//! probe receipts recorded for the obligation draw.

use pol_component::state::atomic;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::{StateWrite, StateWriteExt};

use crate::error;
use crate::params::Params;
use crate::pb::{self, ObligationState, ProviderStatus};
use crate::receipt::SignedReceipt;
use crate::view::{InferenceRead, InferenceWrite};
use crate::{escrow_pool, state_key};

use super::*;

/// A receipt that passed every check of [`check_receipt`].
pub struct CheckedReceipt {
    /// The receipt id (what replay protection keys on).
    pub id: [u8; 32],
    pub provider_addr: Address,
    pub provider: pb::Provider,
    pub model: pb::Model,
    pub receipt: SignedReceipt,
}

/// The checks every receipt passes before it may be settled or recorded, whoever brings it
/// (a requester's `MsgSubmitReceipt`, or a probe receipt the latency module carries): the
/// chain id, its age against block time, an active provider serving the model, the key
/// the provider registered, the signature, and that it was never seen before.
pub fn check_receipt<S: InferenceRead + ?Sized>(
    state: &S,
    ctx: &BlockContext,
    params: &Params,
    proto: &pb::Receipt,
) -> Result<CheckedReceipt, TxError> {
    let receipt = SignedReceipt::from_proto(proto)
        .map_err(|e| error::INVALID_RECEIPT(format!("receipt: {e}")))?;
    let body = &receipt.body;
    if body.chain_id != ctx.chain_id {
        return Err(error::WRONG_CHAIN(format!(
            "receipt is for chain {:?}, this is {:?}",
            body.chain_id, ctx.chain_id
        )));
    }
    // Too old to be proven any more (CheckTx runs without a block time and leaves this to
    // the block).
    let block_ms = u64::try_from(ctx.time_unix_nanos / 1_000_000).unwrap_or(0);
    let max_age_ms = params.max_receipt_age_secs.saturating_mul(1000);
    if body.worker_time_ms.saturating_add(max_age_ms) < block_ms {
        return Err(error::RECEIPT_EXPIRED(format!(
            "receipt is {} s old, at most {} s are accepted",
            (block_ms - body.worker_time_ms) / 1000,
            params.max_receipt_age_secs
        )));
    }
    let provider_addr = Address(body.provider);
    let provider = provider_of(state, &provider_addr)?;
    if provider.status != ProviderStatus::Active as i32 {
        return Err(error::PROVIDER_NOT_ACTIVE(format!(
            "provider {provider_addr} is {}, not active",
            status_name(provider.status)
        )));
    }
    if !provider.models.contains(&body.model_id) {
        return Err(error::MODEL_NOT_SERVED(format!(
            "provider {provider_addr} does not serve model {}",
            body.model_id
        )));
    }
    if receipt.worker_pubkey.as_slice() != provider.receipt_pubkey.as_slice() {
        return Err(TxError::UNAUTHORIZED(
            "receipt is signed by a key the provider did not register",
        ));
    }
    receipt
        .verify()
        .map_err(|e| TxError::UNAUTHORIZED(format!("receipt: {e}")))?;
    let id = receipt
        .id()
        .map_err(|e| error::INVALID_RECEIPT(format!("receipt: {e}")))?;
    if state.receipt_seen(&id)? {
        return Err(error::RECEIPT_DUPLICATE(format!(
            "receipt {} was already submitted",
            hex::encode(id)
        )));
    }
    let model = state
        .model(&receipt.body.model_id)?
        .ok_or_else(|| TxError::INTERNAL(format!("model {} is gone", receipt.body.model_id)))?;
    Ok(CheckedReceipt {
        id,
        provider_addr,
        provider,
        model,
        receipt,
    })
}

/// Mark the receipt seen and queue it for this block's draw (end_block may turn it into an
/// obligation); `escrow` is what the provider is paid when it is discharged or not drawn.
fn queue_receipt<S: StateWrite + ?Sized>(
    s: &mut S,
    ctx: &BlockContext,
    checked: &CheckedReceipt,
    submitter: &Address,
    escrow: u128,
) -> Result<[Event; 2], TxError> {
    let body = &checked.receipt.body;
    s.mark_receipt_seen(&checked.id, ctx.height);
    let draft = pb::Obligation {
        id: 0,
        provider: checked.provider_addr.to_string(),
        model_id: body.model_id.clone(),
        receipt_id: checked.id.to_vec(),
        input_hash: body.input_hash.to_vec(),
        output_hash: body.output_hash.to_vec(),
        nonce: body.nonce,
        created_height: ctx.height,
        deadline_height: 0,
        state: ObligationState::Unspecified as i32,
        settled_height: 0,
        submitter: submitter.to_string(),
        escrow: escrow.to_string(),
    };
    s.put_proto(state_key::pending_receipt(&checked.id), &draft);
    crate::EVENTS.emit(&pb::EventSubmitReceipt {
        receipt_id: hex::encode(checked.id),
        provider: checked.provider_addr.to_string(),
        model_id: body.model_id.clone(),
        submitter: submitter.to_string(),
    })
}

pub fn execute_submit_receipt<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgSubmitReceipt,
) -> Result<(MsgSubmitReceiptResponse, Vec<Event>), TxError> {
    let submitter = Address::parse(&m.submitter)?;
    let params = state.inference_params()?;
    let proto = m
        .receipt
        .as_ref()
        .ok_or_else(|| error::INVALID_RECEIPT("receipt is required"))?;
    let checked = check_receipt(state, ctx, &params, proto)?;
    // What the receipt commits to: a request paid through a payment channel costs nothing
    // more here (its provider claims the channel); an unpaid one costs the prices it names,
    // never today's (a provider cannot reprice a request it already served).
    let committed = checked.receipt.body.payment;
    let (model_price, provider_price) = if committed.channel_id != 0 {
        (0, 0)
    } else {
        (committed.royalty, committed.price)
    };
    let owner = crate::view::stored_address(&checked.model.owner)?;
    atomic(state, |s| {
        // The owner's royalty now; the provider's price waits for this block's draw.
        let mut events = transfer(s, &submitter, &owner, &params.bond_denom, model_price)?;
        events.extend(transfer(
            s,
            &submitter,
            &escrow_pool(),
            &params.bond_denom,
            provider_price,
        )?);
        events.extend(queue_receipt(s, ctx, &checked, &submitter, provider_price)?);
        Ok((
            MsgSubmitReceiptResponse {
                receipt_id: checked.id.to_vec(),
            },
            events,
        ))
    })
}

/// Name of the module account that probe receipts are recorded under.
pub const PROBE_SUBMITTER: &str = "latency";

/// The submitter of probe receipts: `Address::module("latency")`.
pub fn probe_submitter() -> Address {
    Address::module(PROBE_SUBMITTER)
}

/// Record a validator's probe receipt (carried in a vote extension) so this block's draw
/// may sample it into a proof obligation, exactly like a requester's receipt but with no
/// payment: no royalty, zero escrow, submitter [`probe_submitter`].
///
/// `Ok(true)`: recorded. `Ok(false)`: the receipt was already seen (several validators may
/// carry the same receipt, or it was settled before), nothing written. `Err`: the receipt
/// fails a check (wrong chain, too old, provider not active or not serving the model,
/// unregistered key, bad signature), nothing written.
pub fn record_probe_receipt<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    receipt: &pb::Receipt,
) -> Result<bool, TxError> {
    let params = state.inference_params()?;
    let checked = match check_receipt(state, ctx, &params, receipt) {
        Ok(c) => c,
        Err(e) => {
            // Seen before: a duplicate, not a fault of the receipt.
            if let Ok(r) = SignedReceipt::from_proto(receipt) {
                if let Ok(id) = r.id() {
                    if state.receipt_seen(&id)? {
                        return Ok(false);
                    }
                }
            }
            return Err(e);
        }
    };
    queue_receipt(state, ctx, &checked, &probe_submitter(), 0)?;
    Ok(true)
}
