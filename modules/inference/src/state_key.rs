//! Where `inference` keeps its state. Values are protobuf; index values are never empty (the
//! store cannot prove empty leaves), so they hold a single `1` byte or an address. Numbers
//! in keys are big-endian so that key order is numeric order.

use pol_component::Address;

/// `pol.inference.v1.Params`.
pub const PARAMS: &[u8] = b"inference/params";

/// `inference/arch/<id hex>` → `Architecture`.
pub const ARCH_PREFIX: &[u8] = b"inference/arch/";
pub fn architecture(id: &str) -> Vec<u8> {
    [ARCH_PREFIX, id.as_bytes()].concat()
}

/// `inference/model/<model id>` → `Model`.
pub const MODEL_PREFIX: &[u8] = b"inference/model/";
pub fn model(id: &str) -> Vec<u8> {
    [MODEL_PREFIX, id.as_bytes()].concat()
}

/// `inference/provider/<address 20>` → `Provider`.
pub const PROVIDER_PREFIX: &[u8] = b"inference/provider/";
pub fn provider(addr: &Address) -> Vec<u8> {
    [PROVIDER_PREFIX, addr.as_bytes()].concat()
}

/// `inference/provider_by_model/<model id>/<address 20>` → address (model ids hold no `/`).
pub const PROVIDER_BY_MODEL_PREFIX: &[u8] = b"inference/provider_by_model/";
pub fn providers_by_model(model: &str) -> Vec<u8> {
    [PROVIDER_BY_MODEL_PREFIX, model.as_bytes(), b"/"].concat()
}
pub fn provider_by_model(model: &str, addr: &Address) -> Vec<u8> {
    [&providers_by_model(model)[..], addr.as_bytes()].concat()
}

/// `inference/receipt/<receipt id 32>` → height it was submitted (replay protection).
pub const RECEIPT_PREFIX: &[u8] = b"inference/receipt/";
pub fn receipt(id: &[u8; 32]) -> Vec<u8> {
    [RECEIPT_PREFIX, &id[..]].concat()
}

/// `inference/pending_receipt/<receipt id 32>` → draft `Obligation` waiting for this block's
/// sampling in end_block (so the draw uses the block hash, unknown when the tx was signed).
pub const PENDING_RECEIPT_PREFIX: &[u8] = b"inference/pending_receipt/";
pub fn pending_receipt(id: &[u8; 32]) -> Vec<u8> {
    [PENDING_RECEIPT_PREFIX, &id[..]].concat()
}

/// `inference/next_obligation_id` → u64.
pub const NEXT_OBLIGATION_ID: &[u8] = b"inference/next_obligation_id";

/// `inference/obligation/<id 8>` → `Obligation`.
pub const OBLIGATION_PREFIX: &[u8] = b"inference/obligation/";
pub fn obligation(id: u64) -> Vec<u8> {
    [OBLIGATION_PREFIX, &id.to_be_bytes()[..]].concat()
}

/// `inference/obligation_by_provider/<address 20><id 8>` → 1.
pub const OBLIGATION_BY_PROVIDER_PREFIX: &[u8] = b"inference/obligation_by_provider/";
pub fn obligations_of(addr: &Address) -> Vec<u8> {
    [OBLIGATION_BY_PROVIDER_PREFIX, addr.as_bytes()].concat()
}
pub fn obligation_by_provider(addr: &Address, id: u64) -> Vec<u8> {
    [&obligations_of(addr)[..], &id.to_be_bytes()[..]].concat()
}

/// `inference/obligation_by_state/<state 1><id 8>` → 1.
pub const OBLIGATION_BY_STATE_PREFIX: &[u8] = b"inference/obligation_by_state/";
pub fn obligations_in(state: i32) -> Vec<u8> {
    [OBLIGATION_BY_STATE_PREFIX, &[state as u8][..]].concat()
}
pub fn obligation_by_state(state: i32, id: u64) -> Vec<u8> {
    [&obligations_in(state)[..], &id.to_be_bytes()[..]].concat()
}

/// `inference/obligation_by_provider_state/<address 20><state 1><id 8>` → 1, so a provider's
/// obligations in one state page exactly.
pub const OBLIGATION_BY_PROVIDER_STATE_PREFIX: &[u8] = b"inference/obligation_by_provider_state/";
pub fn obligations_of_in(addr: &Address, state: i32) -> Vec<u8> {
    [
        OBLIGATION_BY_PROVIDER_STATE_PREFIX,
        addr.as_bytes(),
        &[state as u8][..],
    ]
    .concat()
}
pub fn obligation_by_provider_state(addr: &Address, state: i32, id: u64) -> Vec<u8> {
    [&obligations_of_in(addr, state)[..], &id.to_be_bytes()[..]].concat()
}

/// `inference/deadline/<deadline height 8><id 8>` → 1, for pending obligations only.
pub const DEADLINE_PREFIX: &[u8] = b"inference/deadline/";
pub fn deadline(height: u64, id: u64) -> Vec<u8> {
    [
        DEADLINE_PREFIX,
        &height.to_be_bytes()[..],
        &id.to_be_bytes()[..],
    ]
    .concat()
}

/// `inference/attestation/<obligation id 8>` → `Attestation`.
pub const ATTESTATION_PREFIX: &[u8] = b"inference/attestation/";
pub fn attestation(obligation: u64) -> Vec<u8> {
    [ATTESTATION_PREFIX, &obligation.to_be_bytes()[..]].concat()
}

/// `inference/attestation_by_provider/<address 20><obligation id 8>` → 1.
pub const ATTESTATION_BY_PROVIDER_PREFIX: &[u8] = b"inference/attestation_by_provider/";
pub fn attestations_of(addr: &Address) -> Vec<u8> {
    [ATTESTATION_BY_PROVIDER_PREFIX, addr.as_bytes()].concat()
}
pub fn attestation_by_provider(addr: &Address, obligation: u64) -> Vec<u8> {
    [&attestations_of(addr)[..], &obligation.to_be_bytes()[..]].concat()
}

/// `inference/fault/<address 20><obligation id 8>` → `CorrectnessFault`.
pub const FAULT_PREFIX: &[u8] = b"inference/fault/";
pub fn faults_of(addr: &Address) -> Vec<u8> {
    [FAULT_PREFIX, addr.as_bytes()].concat()
}
pub fn fault(addr: &Address, obligation: u64) -> Vec<u8> {
    [&faults_of(addr)[..], &obligation.to_be_bytes()[..]].concat()
}

/// `inference/next_sla/<address 20>` → address: providers with an SLA waiting for the epoch
/// boundary (`Provider.next_sla`).
pub const NEXT_SLA_PREFIX: &[u8] = b"inference/next_sla/";
pub fn next_sla(addr: &Address) -> Vec<u8> {
    [NEXT_SLA_PREFIX, addr.as_bytes()].concat()
}

/// `inference/provider_record/<address 20>` → `ProviderRecord`: what is kept of a provider
/// whose unbonding completed, until the account registers again.
pub const PROVIDER_RECORD_PREFIX: &[u8] = b"inference/provider_record/";
pub fn provider_record(addr: &Address) -> Vec<u8> {
    [PROVIDER_RECORD_PREFIX, addr.as_bytes()].concat()
}

/// `inference/provider_unbonding/<completion height 8><address 20>` → address.
pub const PROVIDER_UNBONDING_PREFIX: &[u8] = b"inference/provider_unbonding/";
pub fn provider_unbonding(height: u64, addr: &Address) -> Vec<u8> {
    [
        PROVIDER_UNBONDING_PREFIX,
        &height.to_be_bytes()[..],
        addr.as_bytes(),
    ]
    .concat()
}

/// The trailing big-endian u64 of an index key.
pub fn trailing_u64(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}
