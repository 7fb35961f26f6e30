//! Providers: registration with a bond, SLA and receipt key; updates; deregistration.

use pol_component::state::atomic;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::error;
use crate::pb::{self, ProviderStatus};
use crate::penalties::required_bond;
use crate::view::{InferenceRead, InferenceWrite};
use crate::EVENTS;
use crate::{bond_pool, state_key};

use super::*;

pub fn execute_register_provider<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgRegisterProvider,
) -> Result<(MsgRegisterProviderResponse, Vec<Event>), TxError> {
    let addr = Address::parse(&m.provider)?;
    let params = state.inference_params()?;
    if let Some(p) = state.provider(&addr)? {
        return Err(error::PROVIDER_EXISTS(format!(
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
    // An account that was a provider before comes back with what it had earned: its raised
    // minimum bond, its faults and an unserved jail (reputation lives in `reputation`, keyed
    // by the same account, and was never dropped).
    let record = state.provider_record(&addr)?;
    let returning = record.is_some();
    let record = record.unwrap_or_default();
    let jailed = record.jailed_until_height > ctx.height;
    let mut p = pb::Provider {
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
        attested: record.attested,
        faults: record.faults,
        min_bond: record.min_bond,
        jailed_until_height: record.jailed_until_height,
        next_sla: None,
        previous_receipt_pubkey: Vec::new(),
        receipt_key_changed_ms: 0,
    };
    let required = required_bond(&p, &params)?;
    if bond < required {
        let why = if required > params.min_provider_bond {
            " (raised by this account's earlier SLA breaches)"
        } else {
            ""
        };
        return Err(error::BOND_TOO_LOW(format!(
            "bond {bond}{} is below the minimum {required}{}{why}",
            params.bond_denom, params.bond_denom
        )));
    }
    if jailed {
        p.status = ProviderStatus::Jailed as i32;
    }
    atomic(state, |s| {
        let mut events = transfer(s, &addr, &bond_pool(), &params.bond_denom, bond)?;
        s.put_provider(&p, None)?;
        s.delete(state_key::provider_record(&addr));
        events.extend(EVENTS.emit(&pb::EventRegisterProvider {
            provider: addr.to_string(),
            endpoint: m.endpoint.clone(),
            models: m.models.clone(),
            bond: format!("{bond}{}", params.bond_denom),
            returning,
        })?);
        if jailed {
            events.extend(EVENTS.emit(&pb::EventProviderJailed {
                provider: addr.to_string(),
                reason: "registered again before its jail was over".into(),
                jailed_until_height: p.jailed_until_height,
            })?);
        }
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
        return Err(error::PROVIDER_DEREGISTERED(format!(
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
    // A new SLA waits for the epoch boundary (see `next_sla`).
    let declared = m.sla.as_ref().map(|s| validate_sla(Some(s))).transpose()?;
    if declared.is_some() {
        p.next_sla = declared;
    }
    if !m.price_per_inference.is_empty() {
        p.price_per_inference = price(&m.price_per_inference, "price_per_inference")?.to_string();
    }
    if !m.receipt_pubkey.is_empty() {
        validate_receipt_key(&m.receipt_pubkey)?;
        if m.receipt_pubkey != p.receipt_pubkey {
            // Receipts signed with the old key are still what they were.
            p.previous_receipt_pubkey = std::mem::take(&mut p.receipt_pubkey);
            p.receipt_key_changed_ms = u64::try_from(ctx.time_unix_nanos / 1_000_000).unwrap_or(0);
        }
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
            events.extend(EVENTS.emit(&pb::EventProviderReactivated {
                provider: addr.to_string(),
            })?);
        }
        s.put_provider(&p, Some(&old))?;
        events.extend(EVENTS.emit(&pb::EventUpdateProvider {
            provider: addr.to_string(),
            bond: format!("{bond}{}", params.bond_denom),
            next_sla_max_p99_latency_us: declared.map_or(0, |s| s.max_p99_latency_us),
            next_sla_max_failure_rate_ppm: declared.map_or(0, |s| s.max_failure_rate_ppm),
        })?);
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
        return Err(error::PROVIDER_DEREGISTERED(format!(
            "provider {addr} has already deregistered"
        )));
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
        EVENTS
            .emit(&pb::EventDeregisterProvider {
                provider: addr.to_string(),
                completion_height: completion,
            })?
            .to_vec(),
    ))
}
