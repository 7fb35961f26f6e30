//! The seven messages. Each `execute_*` runs on an overlay and writes nothing unless it
//! succeeds; `*_signer` names the account the ante handler checks. Rejections use the
//! Cosmos `sdk` codes: malformed address `INVALID_ADDRESS` (7), malformed key
//! `INVALID_PUBKEY` (8), bad coin `INVALID_COINS` (10), short balance `INSUFFICIENT_FUNDS`
//! (5), a receipt whose signature does not verify `UNAUTHORIZED` (4), anything else
//! `INVALID_REQUEST` (18).
//!
//! One file per kind of message: `registry` (architectures, models), `providers`,
//! `receipts` (and the probe receipts the latency module records), `attestations`. The
//! signers and the checks they share are here.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_bank::BankWrite;
use pol_component::coins::{parse_amount, validate_denom, Coin};
use pol_component::{Address, Event, TxError};
use pol_store::StateWrite;

use crate::error;
use crate::params::Params;
use crate::pb::{self, ProviderStatus};
use crate::view::InferenceRead;

mod attestations;
mod providers;
mod receipts;
mod registry;

pub use attestations::*;
pub use providers::*;
pub use receipts::*;
pub use registry::*;

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
        return Err(error::INVALID_MODEL_ID(format!(
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

pub(crate) use crate::endpoint::validate_endpoint;

pub(crate) fn validate_sla(sla: Option<&pb::Sla>) -> Result<pb::Sla, TxError> {
    let sla = sla.ok_or_else(|| error::INVALID_SLA("sla is required"))?;
    if sla.max_p99_latency_us == 0 {
        return Err(error::INVALID_SLA(
            "sla.max_p99_latency_us must be positive",
        ));
    }
    if sla.max_failure_rate_ppm > 1_000_000 {
        return Err(error::INVALID_SLA(
            "sla.max_failure_rate_ppm is at most 1000000",
        ));
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
        return Err(error::INVALID_MODEL_LIST(format!(
            "a provider serves 1-{} models, got {}",
            params.max_models_per_provider,
            models.len()
        )));
    }
    let mut sorted = models.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != models.len() {
        return Err(error::INVALID_MODEL_LIST("models must not repeat"));
    }
    for m in models {
        validate_model_id(m)?;
        if state.model(m)?.is_none() {
            return Err(error::UNKNOWN_MODEL(format!("model {m} is not registered")));
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
        .ok_or_else(|| error::UNKNOWN_PROVIDER(format!("{addr} is not a registered provider")))
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

pub fn status_name(s: i32) -> &'static str {
    match ProviderStatus::try_from(s) {
        Ok(ProviderStatus::Active) => "active",
        Ok(ProviderStatus::Jailed) => "jailed",
        Ok(ProviderStatus::Unbonding) => "unbonding",
        _ => "unspecified",
    }
}
