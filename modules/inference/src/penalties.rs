//! The narrow API other modules (`sla`) use to penalize a provider: burn part of its bond,
//! jail it, and raise the bond it must keep. Nothing here is a message; the caller decides
//! when a penalty is due. Every function writes nothing when it fails.
//!
//! * [`required_bond`]: the bond a provider must hold to be (re)activated:
//!   `max(params.min_provider_bond, provider.min_bond)`; the missed-proof jail rule in
//!   `end_block`, the SLA jail rule here and the reactivation in `MsgUpdateProvider` all
//!   use it.
//! * [`slash_bond`]: burns `ceil(bond · ppm / 10⁶)` from `inference_bonds` (the way a missed
//!   proof does) and jails an active provider whose bond falls under its required bond.
//! * [`jail`]: an active provider becomes jailed until at least `until_height`; an unbonding
//!   provider stays unbonding (its bond is still liable, it is leaving anyway).
//! * [`raise_min_bond`]: `min_bond' = required + ceil(required · ppm / 10⁶)`, so repeated
//!   raises compound.

use pol_bank::BankWrite;
use pol_component::coins::{parse_amount, Coin};
use pol_component::state::atomic;
use pol_component::{Address, Event, TxError};
use pol_store::StateWrite;

use crate::bond_pool;
use crate::end_block::fraction_ceil;
use crate::params::Params;
use crate::pb::{self, ProviderStatus};
use crate::view::{InferenceRead, InferenceWrite};

fn stored_amount(s: &str, what: &str) -> Result<u128, TxError> {
    parse_amount(s).ok_or_else(|| TxError::INTERNAL(format!("stored {what} {s:?}")))
}

/// The bond `p` must keep to stay active or be reactivated.
pub fn required_bond(p: &pb::Provider, params: &Params) -> Result<u128, TxError> {
    if p.min_bond.is_empty() {
        return Ok(params.min_provider_bond);
    }
    Ok(stored_amount(&p.min_bond, "min_bond")?.max(params.min_provider_bond))
}

fn provider_of<S: InferenceRead + ?Sized>(
    state: &S,
    addr: &Address,
) -> Result<pb::Provider, TxError> {
    state.provider(addr)?.ok_or_else(|| {
        crate::error::UNKNOWN_PROVIDER(format!("{addr} is not a registered provider"))
    })
}

/// What [`slash_bond`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlashResult {
    /// Tokens burned from the bond.
    pub slashed: u128,
    /// The bond left.
    pub bond: u128,
    /// The slash left the bond under the required bond and jailed an active provider.
    pub jailed: bool,
    pub events: Vec<Event>,
}

/// Burn `ceil(bond · fraction_ppm / 10⁶)` of `provider`'s bond (`fraction_ppm` ≤ 10⁶), and
/// jail it if it was active and is now under its required bond.
pub fn slash_bond<S: StateWrite>(
    state: &mut S,
    provider: &Address,
    fraction_ppm: u32,
) -> Result<SlashResult, TxError> {
    if fraction_ppm > 1_000_000 {
        return Err(TxError::INVALID_REQUEST(format!(
            "slash fraction {fraction_ppm} ppm is above 1000000"
        )));
    }
    let params = state.inference_params()?;
    atomic(state, |s| {
        let mut p = provider_of(s, provider)?;
        let before = p.clone();
        let bond = stored_amount(&p.bond, "bond")?;
        let slashed = fraction_ceil(bond, fraction_ppm);
        let mut events = Vec::new();
        if slashed > 0 {
            s.burn(&bond_pool(), &[Coin::new(&params.bond_denom, slashed)])?;
        }
        let left = bond - slashed;
        p.bond = left.to_string();
        let mut jailed = false;
        if p.status == ProviderStatus::Active as i32 && left < required_bond(&p, &params)? {
            p.status = ProviderStatus::Jailed as i32;
            jailed = true;
            events.extend(crate::EVENTS.emit(&pb::EventProviderJailed {
                provider: p.address.clone(),
                reason: "bond below minimum".into(),
                jailed_until_height: p.jailed_until_height,
            })?);
        }
        s.put_provider(&p, Some(&before))?;
        events.extend(crate::EVENTS.emit(&pb::EventProviderSlashed {
            provider: p.address.clone(),
            fraction_ppm,
            slashed: format!("{slashed}{}", params.bond_denom),
            bond: format!("{left}{}", params.bond_denom),
        })?);
        Ok(SlashResult {
            slashed,
            bond: left,
            jailed,
            events,
        })
    })
}

/// Jail `provider` until at least `until_height` (a later existing release height is kept).
/// Returns whether its status changed (false for an already jailed or an unbonding one).
pub fn jail<S: StateWrite>(
    state: &mut S,
    provider: &Address,
    until_height: u64,
    reason: &str,
) -> Result<(bool, Vec<Event>), TxError> {
    let mut p = provider_of(state, provider)?;
    let before = p.clone();
    if p.status == ProviderStatus::Unbonding as i32 {
        return Ok((false, Vec::new()));
    }
    let newly = p.status == ProviderStatus::Active as i32;
    p.status = ProviderStatus::Jailed as i32;
    p.jailed_until_height = p.jailed_until_height.max(until_height);
    state.put_provider(&p, Some(&before))?;
    let events = crate::EVENTS
        .emit(&pb::EventProviderJailed {
            provider: p.address.clone(),
            reason: reason.to_string(),
            jailed_until_height: p.jailed_until_height,
        })?
        .to_vec();
    Ok((newly, events))
}

/// Raise the bond `provider` must keep by `raise_ppm` of its current required bond
/// (rounded up); returns the new requirement.
pub fn raise_min_bond<S: StateWrite>(
    state: &mut S,
    provider: &Address,
    raise_ppm: u32,
) -> Result<u128, TxError> {
    if raise_ppm > 1_000_000 {
        return Err(TxError::INVALID_REQUEST(format!(
            "bond raise {raise_ppm} ppm is above 1000000"
        )));
    }
    let params = state.inference_params()?;
    let mut p = provider_of(state, provider)?;
    let before = p.clone();
    let required = required_bond(&p, &params)?;
    // Saturates: after ~128 doublings nobody can meet the requirement anyway, and an error
    // here would halt the chain at the epoch end.
    let raised = required.saturating_add(fraction_ceil(required, raise_ppm));
    p.min_bond = raised.to_string();
    state.put_provider(&p, Some(&before))?;
    Ok(raised)
}
