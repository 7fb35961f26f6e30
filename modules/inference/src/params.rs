//! `inference` parameters, as genesis JSON writes them (amounts as decimal strings).

use pol_component::coins::{parse_amount, validate_denom};
use serde::{Deserialize, Serialize};

use crate::pb;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub bond_denom: String,
    #[serde(with = "u128_string")]
    pub min_provider_bond: u128,
    /// Blocks between deregistration and the bond's return.
    pub provider_unbonding_blocks: u64,
    /// Chance, per million, that a submitted receipt becomes a proof obligation.
    pub sample_rate_ppm: u32,
    /// Blocks a provider has to prove a sampled receipt.
    pub proof_deadline_blocks: u64,
    /// Share of the bond burned for a missed proof, per million.
    pub missed_proof_slash_ppm: u32,
    /// Attestations one block may carry (PrepareProposal and ProcessProposal enforce it).
    pub max_attestations_per_block: u32,
    /// Gas per attestation on top of storage gas: prices the pairing check.
    pub attestation_gas: u64,
    pub max_models_per_provider: u32,
    pub max_endpoint_len: u32,
    /// Receipts older than this against block time are refused (workers must keep the data
    /// behind a receipt for this long plus `proof_deadline_blocks` of block time).
    pub max_receipt_age_secs: u64,
    /// Accept provider endpoints on loopback, private and link-local addresses and local
    /// names (localnets and tests); a public chain leaves it off (see `endpoint`).
    pub allow_private_endpoints: bool,
    /// Accept architectures whose keys declare a seeded or single-party setup (localnets and
    /// tests); a public chain leaves it off, so a key must at least claim a ceremony, which
    /// governance's attestation checks (see `setup`).
    pub allow_insecure_setup: bool,
    /// Paid from the community pool to the prover of each probe obligation (see
    /// `end_block`); 0 leaves probe proofs unpaid.
    #[serde(with = "u128_string")]
    pub probe_proof_reward: u128,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            bond_denom: "upol".into(),
            min_provider_bond: 10_000_000,
            provider_unbonding_blocks: 100_800,
            sample_rate_ppm: 100_000,
            proof_deadline_blocks: 300,
            missed_proof_slash_ppm: 50_000,
            max_attestations_per_block: 256,
            // ~2 ms of pairing at the chain's gas rate of ~1 gas per 25 ns.
            attestation_gas: 80_000,
            max_models_per_provider: 32,
            max_endpoint_len: 256,
            max_receipt_age_secs: 900,
            allow_private_endpoints: false,
            allow_insecure_setup: false,
            // About what a requester pays for ten inferences of a small model: proving a
            // probe is paid like serving traffic.
            probe_proof_reward: 1_000,
        }
    }
}

/// Largest number of attestations one block may be configured to carry.
pub const MAX_ATTESTATIONS_PER_BLOCK: u32 = 10_000;

impl Params {
    pub fn validate(&self) -> Result<(), String> {
        validate_denom(&self.bond_denom).map_err(|e| format!("inference.params: {}", e.log))?;
        if self.min_provider_bond == 0 {
            return Err("inference.params.min_provider_bond must be positive".into());
        }
        if self.provider_unbonding_blocks == 0 {
            return Err("inference.params.provider_unbonding_blocks must be positive".into());
        }
        if self.sample_rate_ppm > 1_000_000 {
            return Err("inference.params.sample_rate_ppm is at most 1000000".into());
        }
        if self.proof_deadline_blocks == 0 {
            return Err("inference.params.proof_deadline_blocks must be positive".into());
        }
        if self.provider_unbonding_blocks <= self.proof_deadline_blocks {
            // A provider that deregisters must still be liable for every obligation it has.
            return Err(
                "inference.params.provider_unbonding_blocks must exceed proof_deadline_blocks"
                    .into(),
            );
        }
        if self.missed_proof_slash_ppm > 1_000_000 {
            return Err("inference.params.missed_proof_slash_ppm is at most 1000000".into());
        }
        if self.max_attestations_per_block == 0
            || self.max_attestations_per_block > MAX_ATTESTATIONS_PER_BLOCK
        {
            return Err(format!(
                "inference.params.max_attestations_per_block must be in 1..={MAX_ATTESTATIONS_PER_BLOCK}"
            ));
        }
        if self.max_receipt_age_secs == 0 {
            return Err("inference.params.max_receipt_age_secs must be positive".into());
        }
        if self.max_models_per_provider == 0 || self.max_endpoint_len == 0 {
            return Err(
                "inference.params.max_models_per_provider and max_endpoint_len must be positive"
                    .into(),
            );
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            bond_denom: self.bond_denom.clone(),
            min_provider_bond: self.min_provider_bond.to_string(),
            provider_unbonding_blocks: self.provider_unbonding_blocks,
            sample_rate_ppm: self.sample_rate_ppm,
            proof_deadline_blocks: self.proof_deadline_blocks,
            missed_proof_slash_ppm: self.missed_proof_slash_ppm,
            max_attestations_per_block: self.max_attestations_per_block,
            attestation_gas: self.attestation_gas,
            max_models_per_provider: self.max_models_per_provider,
            max_endpoint_len: self.max_endpoint_len,
            max_receipt_age_secs: self.max_receipt_age_secs,
            allow_private_endpoints: self.allow_private_endpoints,
            allow_insecure_setup: self.allow_insecure_setup,
            probe_proof_reward: self.probe_proof_reward.to_string(),
        }
    }

    pub fn from_proto(p: &pb::Params) -> Result<Self, String> {
        Ok(Params {
            bond_denom: p.bond_denom.clone(),
            min_provider_bond: parse_amount(&p.min_provider_bond)
                .ok_or("inference params: bad min_provider_bond")?,
            provider_unbonding_blocks: p.provider_unbonding_blocks,
            sample_rate_ppm: p.sample_rate_ppm,
            proof_deadline_blocks: p.proof_deadline_blocks,
            missed_proof_slash_ppm: p.missed_proof_slash_ppm,
            max_attestations_per_block: p.max_attestations_per_block,
            attestation_gas: p.attestation_gas,
            max_models_per_provider: p.max_models_per_provider,
            max_endpoint_len: p.max_endpoint_len,
            max_receipt_age_secs: p.max_receipt_age_secs,
            allow_private_endpoints: p.allow_private_endpoints,
            allow_insecure_setup: p.allow_insecure_setup,
            probe_proof_reward: if p.probe_proof_reward.is_empty() {
                0
            } else {
                parse_amount(&p.probe_proof_reward)
                    .ok_or("inference params: bad probe_proof_reward")?
            },
        })
    }
}

/// The wire form of [`Params`] (queries, `MsgUpdateParams`, genesis JSON).
pub use crate::pb::Params as ParamsProto;

impl ParamsProto {
    /// The defaults' wire form, what a genesis that leaves a field out takes.
    pub fn defaults() -> Self {
        Params::default().to_proto()
    }
}

/// Amounts as decimal strings in JSON.
pub use pol_component::json::u128_string;
