//! The seven messages. Each `execute_*` runs on an overlay and writes nothing unless it
//! succeeds; `*_signer` names the account the ante handler checks. Rejections use the
//! Cosmos `sdk` codes: malformed address `INVALID_ADDRESS` (7), malformed key
//! `INVALID_PUBKEY` (8), bad coin `INVALID_COINS` (10), short balance `INSUFFICIENT_FUNDS`
//! (5), a receipt whose signature does not verify `UNAUTHORIZED` (4), anything else
//! `INVALID_REQUEST` (18).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_bank::BankWrite;
use pol_component::coins::{parse_amount, validate_denom, Coin};
use pol_component::state::atomic;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_proofs::commitment::Commitment;
use pol_store::{StateWrite, StateWriteExt};
use sha2::{Digest, Sha256};

use crate::params::Params;
use crate::pb::{self, ObligationState, ProviderStatus};
use crate::penalties::required_bond;
use crate::receipt::SignedReceipt;
use crate::verify::{decode_verifying_key, statement_for, ProofVerifier};
use crate::view::{InferenceRead, InferenceWrite};
use crate::{bond_pool, escrow_pool, state_key};

pub use crate::pb::{
    MsgDeregisterProvider, MsgDeregisterProviderResponse, MsgRegisterArchitecture,
    MsgRegisterArchitectureResponse, MsgRegisterModel, MsgRegisterModelResponse,
    MsgRegisterProvider, MsgRegisterProviderResponse, MsgSubmitAttestation,
    MsgSubmitAttestationResponse, MsgSubmitReceipt, MsgSubmitReceiptResponse, MsgUpdateProvider,
    MsgUpdateProviderResponse,
};

/// Longest model id.
pub const MAX_MODEL_ID_LEN: usize = 64;
/// Gas for checking a receipt's ed25519 signature (on top of storage gas).
pub const RECEIPT_SIGNATURE_GAS: u64 = 1_000;

// ---- signers --------------------------------------------------------------------------

pub fn register_architecture_signer(m: &MsgRegisterArchitecture) -> Result<Address, TxError> {
    Address::parse(&m.sender)
}
pub fn register_model_signer(m: &MsgRegisterModel) -> Result<Address, TxError> {
    Address::parse(&m.owner)
}
pub fn register_provider_signer(m: &MsgRegisterProvider) -> Result<Address, TxError> {
    Address::parse(&m.provider)
}
pub fn update_provider_signer(m: &MsgUpdateProvider) -> Result<Address, TxError> {
    Address::parse(&m.provider)
}
pub fn deregister_provider_signer(m: &MsgDeregisterProvider) -> Result<Address, TxError> {
    Address::parse(&m.provider)
}
pub fn submit_receipt_signer(m: &MsgSubmitReceipt) -> Result<Address, TxError> {
    Address::parse(&m.submitter)
}
pub fn submit_attestation_signer(m: &MsgSubmitAttestation) -> Result<Address, TxError> {
    Address::parse(&m.submitter)
}

// ---- checks ---------------------------------------------------------------------------

fn invalid(why: impl Into<String>) -> TxError {
    TxError::INVALID_REQUEST(why.into())
}

/// Model ids: 1–64 of `[a-z0-9._-]`, starting with a letter or digit (they appear in state
/// keys, receipts and URLs).
pub fn validate_model_id(id: &str) -> Result<(), TxError> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    let first_ok = id
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if id.is_empty() || id.len() > MAX_MODEL_ID_LEN || !first_ok || !id.chars().all(ok_char) {
        return Err(invalid(format!(
            "model id {id:?}: 1-{MAX_MODEL_ID_LEN} of a-z 0-9 . _ -, starting with a letter or digit"
        )));
    }
    Ok(())
}

fn price(s: &str, what: &str) -> Result<u128, TxError> {
    if s.is_empty() {
        return Ok(0);
    }
    parse_amount(s).ok_or_else(|| TxError::INVALID_COINS(format!("{what} {s:?} is not an amount")))
}

fn validate_endpoint(e: &str, params: &Params) -> Result<(), TxError> {
    let rest = e
        .strip_prefix("http://")
        .or_else(|| e.strip_prefix("https://"))
        .ok_or_else(|| {
            invalid(format!(
                "endpoint {e:?} must start with http:// or https://"
            ))
        })?;
    if rest.is_empty() || e.len() > params.max_endpoint_len as usize {
        return Err(invalid(format!(
            "endpoint must name a host and be at most {} bytes",
            params.max_endpoint_len
        )));
    }
    if e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "endpoint must not contain spaces or control characters",
        ));
    }
    Ok(())
}

fn validate_sla(sla: Option<&pb::Sla>) -> Result<pb::Sla, TxError> {
    let sla = sla.ok_or_else(|| invalid("sla is required"))?;
    if sla.max_p99_latency_us == 0 {
        return Err(invalid("sla.max_p99_latency_us must be positive"));
    }
    if sla.max_failure_rate_ppm > 1_000_000 {
        return Err(invalid("sla.max_failure_rate_ppm is at most 1000000"));
    }
    Ok(*sla)
}

fn validate_receipt_key(k: &[u8]) -> Result<(), TxError> {
    let bytes: [u8; 32] = k
        .try_into()
        .map_err(|_| TxError::INVALID_PUBKEY("receipt_pubkey must be 32 bytes (ed25519)"))?;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|_| TxError::INVALID_PUBKEY("receipt_pubkey is not an ed25519 point"))?;
    if vk.is_weak() {
        return Err(TxError::INVALID_PUBKEY(
            "receipt_pubkey is a small-order point",
        ));
    }
    Ok(())
}

fn validate_models<S: InferenceRead + ?Sized>(
    state: &S,
    models: &[String],
    params: &Params,
) -> Result<(), TxError> {
    if models.is_empty() || models.len() > params.max_models_per_provider as usize {
        return Err(invalid(format!(
            "a provider serves 1-{} models, got {}",
            params.max_models_per_provider,
            models.len()
        )));
    }
    let mut sorted = models.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != models.len() {
        return Err(invalid("models must not repeat"));
    }
    for m in models {
        validate_model_id(m)?;
        if state.model(m)?.is_none() {
            return Err(invalid(format!("model {m} is not registered")));
        }
    }
    Ok(())
}

/// A bond coin in the bond denom, positive.
fn bond_coin(c: Option<&ProtoCoin>, params: &Params) -> Result<u128, TxError> {
    let c = c.ok_or_else(|| TxError::INVALID_COINS("bond is required"))?;
    validate_denom(&c.denom)?;
    if c.denom != params.bond_denom {
        return Err(TxError::INVALID_COINS(format!(
            "bond must be in {}, got {}",
            params.bond_denom, c.denom
        )));
    }
    parse_amount(&c.amount)
        .filter(|a| *a > 0)
        .ok_or_else(|| TxError::INVALID_COINS(format!("bond amount {:?}", c.amount)))
}

fn provider_of<S: InferenceRead + ?Sized>(
    state: &S,
    addr: &Address,
) -> Result<pb::Provider, TxError> {
    state
        .provider(addr)?
        .ok_or_else(|| invalid(format!("{addr} is not a registered provider")))
}

fn amount_of(s: &str) -> Result<u128, TxError> {
    parse_amount(s).ok_or_else(|| TxError::INTERNAL(format!("stored amount {s:?}")))
}

/// Move `amount` of the bond denom (nothing when zero).
fn transfer<S: StateWrite + ?Sized>(
    state: &mut S,
    from: &Address,
    to: &Address,
    denom: &str,
    amount: u128,
) -> Result<Vec<Event>, TxError> {
    if amount == 0 {
        return Ok(Vec::new());
    }
    state.send_coins(from, to, &[Coin::new(denom, amount)])
}

// ---- handlers -------------------------------------------------------------------------

pub fn execute_register_architecture<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgRegisterArchitecture,
) -> Result<(MsgRegisterArchitectureResponse, Vec<Event>), TxError> {
    let sender = Address::parse(&m.sender)?;
    let (id, vk) = decode_verifying_key(&m.verifying_key).map_err(invalid)?;
    if state.architecture(&id)?.is_some() {
        return Err(invalid(format!("architecture {id} is already registered")));
    }
    let arch = pb::Architecture {
        id: id.clone(),
        layers: vk
            .arch
            .layers
            .iter()
            .map(|l| pb::Layer {
                input: l.input,
                output: l.output,
                shift: u32::from(l.shift),
            })
            .collect(),
        // Canonical re-encoding: the id is its hash.
        verifying_key: vk.to_bytes(),
        registrant: sender.to_string(),
        registered_height: ctx.height,
    };
    state.put_architecture(&arch);
    Ok((
        MsgRegisterArchitectureResponse { id: id.clone() },
        vec![Event::new("register_architecture")
            .attr("id", id)
            .attr("layers", vk.arch.to_string())
            .attr("registrant", sender.to_string())],
    ))
}

pub fn execute_register_model<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgRegisterModel,
) -> Result<(MsgRegisterModelResponse, Vec<Event>), TxError> {
    let owner = Address::parse(&m.owner)?;
    validate_model_id(&m.model_id)?;
    if state.model(&m.model_id)?.is_some() {
        return Err(invalid(format!(
            "model {} is already registered",
            m.model_id
        )));
    }
    if state.architecture(&m.architecture_id)?.is_none() {
        return Err(invalid(format!(
            "architecture {} is not registered",
            m.architecture_id
        )));
    }
    let commitment: [u8; 32] = m
        .weight_commitment
        .as_slice()
        .try_into()
        .map_err(|_| invalid("weight_commitment must be 32 bytes"))?;
    if Commitment(commitment).to_field().is_none() {
        return Err(invalid(
            "weight_commitment is not a canonical BN254 field element",
        ));
    }
    let price = price(&m.price_per_inference, "price_per_inference")?;
    state.put_model(&pb::Model {
        id: m.model_id.clone(),
        architecture_id: m.architecture_id.clone(),
        weight_commitment: commitment.to_vec(),
        owner: owner.to_string(),
        price_per_inference: price.to_string(),
        registered_height: ctx.height,
    });
    Ok((
        MsgRegisterModelResponse {},
        vec![Event::new("register_model")
            .attr("model_id", m.model_id.clone())
            .attr("architecture_id", m.architecture_id.clone())
            .attr("owner", owner.to_string())],
    ))
}

pub fn execute_register_provider<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgRegisterProvider,
) -> Result<(MsgRegisterProviderResponse, Vec<Event>), TxError> {
    let addr = Address::parse(&m.provider)?;
    let params = state.inference_params()?;
    if let Some(p) = state.provider(&addr)? {
        return Err(invalid(format!(
            "{addr} is already a provider ({})",
            status_name(p.status)
        )));
    }
    validate_endpoint(&m.endpoint, &params)?;
    validate_models(state, &m.models, &params)?;
    let sla = validate_sla(m.sla.as_ref())?;
    let price = price(&m.price_per_inference, "price_per_inference")?;
    validate_receipt_key(&m.receipt_pubkey)?;
    let bond = bond_coin(m.bond.as_ref(), &params)?;
    if bond < params.min_provider_bond {
        return Err(invalid(format!(
            "bond {bond}{} is below the minimum {}{}",
            params.bond_denom, params.min_provider_bond, params.bond_denom
        )));
    }
    atomic(state, |s| {
        let mut events = transfer(s, &addr, &bond_pool(), &params.bond_denom, bond)?;
        let p = pb::Provider {
            address: addr.to_string(),
            endpoint: m.endpoint.clone(),
            models: m.models.clone(),
            sla: Some(sla),
            price_per_inference: price.to_string(),
            receipt_pubkey: m.receipt_pubkey.clone(),
            bond: bond.to_string(),
            status: ProviderStatus::Active as i32,
            unbonding_completion_height: 0,
            registered_height: ctx.height,
            attested: 0,
            faults: 0,
            min_bond: String::new(),
            jailed_until_height: 0,
        };
        s.put_provider(&p, None)?;
        events.push(
            Event::new("register_provider")
                .attr("provider", addr.to_string())
                .attr("endpoint", m.endpoint.clone())
                .attr("models", m.models.join(","))
                .attr("bond", format!("{bond}{}", params.bond_denom)),
        );
        Ok((MsgRegisterProviderResponse {}, events))
    })
}

pub fn execute_update_provider<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgUpdateProvider,
) -> Result<(MsgUpdateProviderResponse, Vec<Event>), TxError> {
    let addr = Address::parse(&m.provider)?;
    let params = state.inference_params()?;
    let old = provider_of(state, &addr)?;
    if old.status == ProviderStatus::Unbonding as i32 {
        return Err(invalid(format!(
            "provider {addr} has deregistered; its bond returns at height {}",
            old.unbonding_completion_height
        )));
    }
    let mut p = old.clone();
    if !m.endpoint.is_empty() {
        validate_endpoint(&m.endpoint, &params)?;
        p.endpoint = m.endpoint.clone();
    }
    if !m.models.is_empty() {
        validate_models(state, &m.models, &params)?;
        p.models = m.models.clone();
    }
    if m.sla.is_some() {
        p.sla = Some(validate_sla(m.sla.as_ref())?);
    }
    if !m.price_per_inference.is_empty() {
        p.price_per_inference = price(&m.price_per_inference, "price_per_inference")?.to_string();
    }
    if !m.receipt_pubkey.is_empty() {
        validate_receipt_key(&m.receipt_pubkey)?;
        p.receipt_pubkey = m.receipt_pubkey.clone();
    }
    let added = match &m.add_bond {
        Some(c) => bond_coin(Some(c), &params)?,
        None => 0,
    };
    atomic(state, |s| {
        let mut events = transfer(s, &addr, &bond_pool(), &params.bond_denom, added)?;
        let bond = amount_of(&p.bond)?
            .checked_add(added)
            .ok_or_else(|| invalid("bond overflows"))?;
        p.bond = bond.to_string();
        // Reactivation: the bond covers this provider's required bond (raised by SLA
        // jailings) and any SLA jail time is over.
        if p.status == ProviderStatus::Jailed as i32
            && bond >= required_bond(&p, &params)?
            && ctx.height >= p.jailed_until_height
        {
            p.status = ProviderStatus::Active as i32;
            events.push(Event::new("provider_reactivated").attr("provider", addr.to_string()));
        }
        s.put_provider(&p, Some(&old))?;
        events.push(
            Event::new("update_provider")
                .attr("provider", addr.to_string())
                .attr("bond", format!("{bond}{}", params.bond_denom)),
        );
        Ok((MsgUpdateProviderResponse {}, events))
    })
}

pub fn execute_deregister_provider<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgDeregisterProvider,
) -> Result<(MsgDeregisterProviderResponse, Vec<Event>), TxError> {
    let addr = Address::parse(&m.provider)?;
    let params = state.inference_params()?;
    let old = provider_of(state, &addr)?;
    if old.status == ProviderStatus::Unbonding as i32 {
        return Err(invalid(format!("provider {addr} has already deregistered")));
    }
    let completion = ctx
        .height
        .checked_add(params.provider_unbonding_blocks)
        .ok_or_else(|| invalid("unbonding height overflows"))?;
    let mut p = old.clone();
    p.status = ProviderStatus::Unbonding as i32;
    p.unbonding_completion_height = completion;
    state.put_provider(&p, Some(&old))?;
    state.put_raw(
        state_key::provider_unbonding(completion, &addr),
        addr.as_bytes().to_vec(),
    );
    Ok((
        MsgDeregisterProviderResponse {
            completion_height: completion,
        },
        vec![Event::new("deregister_provider")
            .attr("provider", addr.to_string())
            .attr("completion_height", completion.to_string())],
    ))
}

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
    let receipt = SignedReceipt::from_proto(proto).map_err(|e| invalid(format!("receipt: {e}")))?;
    let body = &receipt.body;
    if body.chain_id != ctx.chain_id {
        return Err(invalid(format!(
            "receipt is for chain {:?}, this is {:?}",
            body.chain_id, ctx.chain_id
        )));
    }
    // Too old to be proven any more (CheckTx runs without a block time and leaves this to
    // the block).
    let block_ms = u64::try_from(ctx.time_unix_nanos / 1_000_000).unwrap_or(0);
    let max_age_ms = params.max_receipt_age_secs.saturating_mul(1000);
    if body.worker_time_ms.saturating_add(max_age_ms) < block_ms {
        return Err(invalid(format!(
            "receipt is {} s old, at most {} s are accepted",
            (block_ms - body.worker_time_ms) / 1000,
            params.max_receipt_age_secs
        )));
    }
    let provider_addr = Address(body.provider);
    let provider = provider_of(state, &provider_addr)?;
    if provider.status != ProviderStatus::Active as i32 {
        return Err(invalid(format!(
            "provider {provider_addr} is {}, not active",
            status_name(provider.status)
        )));
    }
    if !provider.models.contains(&body.model_id) {
        return Err(invalid(format!(
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
    let id = receipt.id().map_err(|e| invalid(format!("receipt: {e}")))?;
    if state.receipt_seen(&id)? {
        return Err(invalid(format!(
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
) -> Event {
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
    Event::new("submit_receipt")
        .attr("receipt_id", hex::encode(checked.id))
        .attr("provider", checked.provider_addr.to_string())
        .attr("model_id", body.model_id.clone())
        .attr("submitter", submitter.to_string())
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
        .ok_or_else(|| invalid("receipt is required"))?;
    let checked = check_receipt(state, ctx, &params, proto)?;
    let model_price = amount_of(&checked.model.price_per_inference)?;
    let provider_price = amount_of(&checked.provider.price_per_inference)?;
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
        events.push(queue_receipt(s, ctx, &checked, &submitter, provider_price));
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
    queue_receipt(state, ctx, &checked, &probe_submitter(), 0);
    Ok(true)
}

pub fn execute_submit_attestation<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgSubmitAttestation,
    verifier: &dyn ProofVerifier,
) -> Result<(MsgSubmitAttestationResponse, Vec<Event>), TxError> {
    let submitter = Address::parse(&m.submitter)?;
    let params = state.inference_params()?;
    let (mut o, arch, statement) = statement_for(state, m, ctx.height)?;
    verifier
        .verify(&arch, &statement, &m.proof)
        .map_err(|why| invalid(format!("attestation for obligation {}: {why}", o.id)))?;
    let provider_addr = crate::view::stored_address(&o.provider)?;
    let escrow = amount_of(&o.escrow)?;
    atomic(state, |s| {
        let mut events = transfer(
            s,
            &escrow_pool(),
            &provider_addr,
            &params.bond_denom,
            escrow,
        )?;
        let old_state = o.state;
        o.state = ObligationState::Discharged as i32;
        o.settled_height = ctx.height;
        s.put_obligation(&o, Some(old_state))?;
        if let Some(mut p) = s.provider(&provider_addr)? {
            p.attested = p.attested.saturating_add(1);
            let before = p.clone();
            s.put_provider(&p, Some(&before))?;
        }
        s.put_attestation(&pb::Attestation {
            obligation_id: o.id,
            provider: o.provider.clone(),
            submitter: submitter.to_string(),
            height: ctx.height,
            proof_hash: Sha256::digest(&m.proof).to_vec(),
        })?;
        events.push(
            Event::new("attestation")
                .attr("obligation_id", o.id.to_string())
                .attr("provider", o.provider.clone())
                .attr("credited", format!("{escrow}{}", params.bond_denom)),
        );
        Ok((MsgSubmitAttestationResponse {}, events))
    })
}

pub fn status_name(s: i32) -> &'static str {
    match ProviderStatus::try_from(s) {
        Ok(ProviderStatus::Active) => "active",
        Ok(ProviderStatus::Jailed) => "jailed",
        Ok(ProviderStatus::Unbonding) => "unbonding",
        _ => "unspecified",
    }
}
