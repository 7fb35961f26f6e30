//! `inference` genesis: params and every record, as `export` writes them and `init` loads
//! them. The module accounts must hold what the records say (bank genesis carries them):
//! `inference_bonds` = the sum of provider bonds, `inference_escrow` = the escrow of pending
//! obligations. Receipts seen stay seen across an export, so none can be replayed.

use pol_component::ModuleGenesis;
use std::collections::{BTreeMap, BTreeSet};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use pol_bank::BankRead;
use pol_component::coins::parse_amount;
use pol_component::state::{scan, scan_decoded};
use pol_component::{Address, BlockContext, TxError};
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt};

use crate::msg::{status_name, validate_model_id};
use crate::params::{Params, ParamsProto};
use crate::pb::{ObligationState, ProviderStatus};
use crate::verify::decode_verifying_key;
use crate::view::{InferenceRead, InferenceWrite};
use crate::{bond_pool, escrow_pool, state_key};

/// Bytes as standard base64 in JSON.
pub use pol_component::json::base64_bytes;

/// The generated `pol.inference.v1.GenesisState` (`genesis.proto`): genesis JSON is it
/// through serde.
pub use crate::pb::{GenesisState, SeenReceipt};

pol_component::genesis_params!(GenesisState, ParamsProto, "inference");

fn err(what: impl std::fmt::Display) -> String {
    format!("inference genesis: {what}")
}

fn amount(s: &str, what: &str) -> Result<u128, String> {
    parse_amount(s).ok_or_else(|| err(format!("{what} {s:?} is not an amount")))
}

fn addr(s: &str, what: &str) -> Result<Address, String> {
    Address::parse(s).map_err(|e| err(format!("{what}: {}", e.log)))
}

fn receipt_id(s: &str) -> Result<[u8; 32], String> {
    hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| err(format!("receipt id {s:?} is not 32 bytes of hex")))
}

impl GenesisState {
    /// The params, checked and in their domain form.
    fn checked_params(&self) -> Result<Params, String> {
        let params = Params::from_proto(self.params()?).map_err(err)?;
        params.validate()?;
        Ok(params)
    }
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = "inference";

    fn default_genesis() -> Self {
        default_genesis()
    }

    /// Everything that can be checked without the bank.
    fn validate(&self) -> Result<(), String> {
        self.checked_params()?;
        let mut archs = BTreeSet::new();
        for a in &self.architectures {
            let (id, vk) = decode_verifying_key(&a.verifying_key).map_err(err)?;
            if id != a.id {
                return Err(err(format!(
                    "architecture {} has a key hashing to {id}",
                    a.id
                )));
            }
            let layers: Vec<(u32, u32, u32)> = a
                .layers
                .iter()
                .map(|l| (l.input, l.output, l.shift))
                .collect();
            let from_key: Vec<(u32, u32, u32)> = vk
                .arch
                .layers
                .iter()
                .map(|l| (l.input, l.output, u32::from(l.shift)))
                .collect();
            if layers != from_key {
                return Err(err(format!(
                    "architecture {id}: layers differ from its key's"
                )));
            }
            addr(&a.registrant, "architecture registrant")?;
            // The record's form only: `allow_insecure_setup` governs registrations, and an
            // export keeps what was registered while governance allowed it.
            crate::setup::check(a.setup.as_ref(), true)
                .map_err(|e| err(format!("architecture {id}: {e}")))?;
            if !archs.insert(id.clone()) {
                return Err(err(format!("architecture {id} listed twice")));
            }
        }
        let mut models = BTreeSet::new();
        for m in &self.models {
            validate_model_id(&m.id).map_err(|e| err(e.log))?;
            if !archs.contains(&m.architecture_id) {
                return Err(err(format!("model {} names unknown architecture", m.id)));
            }
            let c: [u8; 32] = m
                .weight_commitment
                .as_slice()
                .try_into()
                .map_err(|_| err(format!("model {}: commitment is not 32 bytes", m.id)))?;
            if pol_proofs::commitment::Commitment(c).to_field().is_none() {
                return Err(err(format!("model {}: commitment not canonical", m.id)));
            }
            addr(&m.owner, "model owner")?;
            amount(&m.price_per_inference, "model price")?;
            if !models.insert(m.id.clone()) {
                return Err(err(format!("model {} listed twice", m.id)));
            }
        }
        let mut providers = BTreeSet::new();
        let mut departed = BTreeSet::new();
        for p in &self.providers {
            let a = addr(&p.address, "provider")?;
            if !providers.insert(a) {
                return Err(err(format!("provider {} listed twice", p.address)));
            }
            for m in &p.models {
                if !models.contains(m) {
                    return Err(err(format!(
                        "provider {} serves unknown model {m}",
                        p.address
                    )));
                }
            }
            amount(&p.bond, "provider bond")?;
            if !p.min_bond.is_empty() {
                amount(&p.min_bond, "provider min_bond")?;
            }
            amount(&p.price_per_inference, "provider price")?;
            if p.receipt_pubkey.len() != 32 || p.sla.is_none() {
                return Err(err(format!("provider {}: receipt key or sla", p.address)));
            }
            if p.next_sla.is_some() {
                crate::msg::validate_sla(p.next_sla.as_ref())
                    .map_err(|e| err(format!("provider {} next_sla: {}", p.address, e.log)))?;
            }
            match ProviderStatus::try_from(p.status) {
                Ok(ProviderStatus::Active | ProviderStatus::Jailed) => {}
                Ok(ProviderStatus::Unbonding) if p.unbonding_completion_height > 0 => {}
                _ => {
                    return Err(err(format!(
                        "provider {}: status {}",
                        p.address,
                        status_name(p.status)
                    )))
                }
            }
        }
        for r in &self.provider_records {
            let a = addr(&r.address, "provider record")?;
            if providers.contains(&a) {
                return Err(err(format!(
                    "{} is both a provider and a departed provider's record",
                    r.address
                )));
            }
            if !departed.insert(a) {
                return Err(err(format!("provider record {} listed twice", r.address)));
            }
            if !r.min_bond.is_empty() {
                amount(&r.min_bond, "provider record min_bond")?;
            }
        }
        let mut states = BTreeMap::new();
        for o in &self.obligations {
            if o.id == 0 || states.insert(o.id, o.state).is_some() {
                return Err(err(format!("obligation id {} zero or repeated", o.id)));
            }
            addr(&o.provider, "obligation provider")?;
            addr(&o.submitter, "obligation submitter")?;
            amount(&o.escrow, "obligation escrow")?;
            if !models.contains(&o.model_id) {
                return Err(err(format!("obligation {}: unknown model", o.id)));
            }
            if ObligationState::try_from(o.state).unwrap_or(ObligationState::Unspecified)
                == ObligationState::Unspecified
            {
                return Err(err(format!("obligation {}: state unspecified", o.id)));
            }
            if o.receipt_id.len() != 32 || o.input_hash.len() != 32 || o.output_hash.len() != 32 {
                return Err(err(format!("obligation {}: hashes must be 32 bytes", o.id)));
            }
        }
        if self.next_obligation_id != 0 && states.keys().any(|id| *id >= self.next_obligation_id) {
            return Err(err("next_obligation_id is not past every obligation id"));
        }
        for a in &self.attestations {
            if states.get(&a.obligation_id) != Some(&(ObligationState::Discharged as i32)) {
                return Err(err(format!(
                    "attestation for obligation {} that is not discharged",
                    a.obligation_id
                )));
            }
        }
        for f in &self.faults {
            if states.get(&f.obligation_id) != Some(&(ObligationState::Missed as i32)) {
                return Err(err(format!(
                    "fault for obligation {} that is not missed",
                    f.obligation_id
                )));
            }
            amount(&f.slashed, "fault slashed")?;
        }
        let mut seen = BTreeSet::new();
        for r in &self.receipts {
            if !seen.insert(receipt_id(&r.id)?) {
                return Err(err(format!("receipt {} listed twice", r.id)));
            }
        }
        Ok(())
    }

    /// Load everything; bank genesis must be initialised first (the pools are checked).
    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        let params = self.checked_params().map_err(TxError::INVALID_REQUEST)?;
        state.put_inference_params(&params);
        for a in &self.architectures {
            state.put_architecture(a);
        }
        for m in &self.models {
            state.put_model(m);
        }
        let mut bonds: u128 = 0;
        for p in &self.providers {
            state.put_provider(p, None)?;
            bonds = bonds
                .checked_add(parse_amount(&p.bond).unwrap_or(0))
                .ok_or_else(|| TxError::INVALID_REQUEST("provider bonds overflow"))?;
            if p.status == ProviderStatus::Unbonding as i32 {
                let a = Address::parse(&p.address)?;
                state.put_raw(
                    state_key::provider_unbonding(p.unbonding_completion_height, &a),
                    a.as_bytes().to_vec(),
                );
            }
        }
        for r in &self.provider_records {
            state.put_provider_record(r)?;
        }
        let mut escrow: u128 = 0;
        let mut max_id = 0;
        for o in &self.obligations {
            state.put_obligation(o, None)?;
            max_id = max_id.max(o.id);
            if o.state == ObligationState::Pending as i32 {
                escrow = escrow
                    .checked_add(parse_amount(&o.escrow).unwrap_or(0))
                    .ok_or_else(|| TxError::INVALID_REQUEST("escrow overflows"))?;
            }
        }
        for a in &self.attestations {
            state.put_attestation(a)?;
        }
        for f in &self.faults {
            state.put_fault(f)?;
        }
        for r in &self.receipts {
            let id = receipt_id(&r.id).map_err(TxError::INVALID_REQUEST)?;
            state.mark_receipt_seen(&id, r.height);
        }
        let next = if self.next_obligation_id != 0 {
            self.next_obligation_id
        } else {
            max_id.saturating_add(1)
        };
        state.put_proto(state_key::NEXT_OBLIGATION_ID.to_vec(), &next);

        let denom = &params.bond_denom;
        let (have_bonds, have_escrow) = (
            state.balance(&bond_pool(), denom)?,
            state.balance(&escrow_pool(), denom)?,
        );
        if have_bonds != bonds || have_escrow != escrow {
            return Err(TxError::INVALID_REQUEST(format!(
                "inference genesis: pools hold {have_bonds}{denom} of bonds and {have_escrow}{denom} \
                 of escrow, the records need {bonds}{denom} and {escrow}{denom}"
            )));
        }
        Ok(Vec::new())
    }

    /// Every record at `state` (between blocks, so no receipt is waiting for its draw).
    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        let receipts = scan(state, state_key::RECEIPT_PREFIX)?
            .into_iter()
            .map(|(k, v)| {
                let height = <u64 as prost::Message>::decode(v.as_slice())
                    .map_err(|e| TxError::INTERNAL(format!("inference export: {e}")))?;
                Ok(SeenReceipt {
                    id: hex::encode(&k[state_key::RECEIPT_PREFIX.len()..]),
                    height,
                })
            })
            .collect::<Result<Vec<_>, TxError>>()?;
        Ok(GenesisState {
            params: Some(state.inference_params()?.to_proto()),
            architectures: scan_decoded(state, state_key::ARCH_PREFIX, "inference")?,
            models: scan_decoded(state, state_key::MODEL_PREFIX, "inference")?,
            providers: scan_decoded(state, state_key::PROVIDER_PREFIX, "inference")?,
            provider_records: scan_decoded(state, state_key::PROVIDER_RECORD_PREFIX, "inference")?,
            obligations: scan_decoded(state, state_key::OBLIGATION_PREFIX, "inference")?,
            attestations: scan_decoded(state, state_key::ATTESTATION_PREFIX, "inference")?,
            faults: scan_decoded(state, state_key::FAULT_PREFIX, "inference")?,
            receipts,
            next_obligation_id: state
                .get_proto::<u64>(state_key::NEXT_OBLIGATION_ID)?
                .unwrap_or(0),
        })
    }
}
