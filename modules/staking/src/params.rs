//! `staking` parameters, as genesis JSON writes them.

use pol_component::coins::{parse_amount, validate_denom};
use serde::{Deserialize, Serialize};

use crate::pb;
use crate::types::SlashDestination;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Unbonding period, in blocks.
    pub unbonding_blocks: u64,
    /// Size of the active validator set.
    pub max_validators: u32,
    /// Least self-bond to create or unjail a validator (decimal string in JSON).
    #[serde(with = "u128_string")]
    pub min_self_bond: u128,
    pub bond_denom: String,
    /// `"burn"` or `"community_pool"`.
    #[serde(with = "destination_string")]
    pub slash_destination: SlashDestination,
}

/// Largest `max_validators` accepted (keeps the total power far under CometBFT's bound).
pub const MAX_MAX_VALIDATORS: u32 = 10_000;

impl Default for Params {
    fn default() -> Self {
        Params {
            // One week of 6-second blocks.
            unbonding_blocks: 100_800,
            max_validators: 100,
            min_self_bond: 1_000_000,
            bond_denom: "upol".to_string(),
            slash_destination: SlashDestination::Burn,
        }
    }
}

impl Params {
    pub fn validate(&self) -> Result<(), String> {
        if self.unbonding_blocks == 0 {
            return Err("staking.params.unbonding_blocks must be positive".into());
        }
        if self.max_validators == 0 || self.max_validators > MAX_MAX_VALIDATORS {
            return Err(format!(
                "staking.params.max_validators must be in 1..={MAX_MAX_VALIDATORS}"
            ));
        }
        if self.min_self_bond == 0 {
            return Err("staking.params.min_self_bond must be positive".into());
        }
        validate_denom(&self.bond_denom).map_err(|e| format!("staking.params: {}", e.log))?;
        if self.slash_destination == SlashDestination::Unspecified {
            return Err("staking.params.slash_destination must be burn or community_pool".into());
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            unbonding_blocks: self.unbonding_blocks,
            max_validators: self.max_validators,
            min_self_bond: self.min_self_bond.to_string(),
            bond_denom: self.bond_denom.clone(),
            slash_destination: self.slash_destination as i32,
        }
    }

    pub fn from_proto(p: &pb::Params) -> Result<Self, String> {
        Ok(Params {
            unbonding_blocks: p.unbonding_blocks,
            max_validators: p.max_validators,
            min_self_bond: parse_amount(&p.min_self_bond)
                .ok_or_else(|| format!("bad min_self_bond {:?}", p.min_self_bond))?,
            bond_denom: p.bond_denom.clone(),
            slash_destination: SlashDestination::try_from(p.slash_destination)
                .map_err(|e| e.to_string())?,
        })
    }
}

/// Name of a destination in JSON and events.
pub fn destination_name(d: SlashDestination) -> &'static str {
    match d {
        SlashDestination::Burn => "burn",
        SlashDestination::CommunityPool => "community_pool",
        SlashDestination::Unspecified => "unspecified",
    }
}

mod destination_string {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &SlashDestination, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(destination_name(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SlashDestination, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "burn" => Ok(SlashDestination::Burn),
            "community_pool" => Ok(SlashDestination::CommunityPool),
            other => Err(serde::de::Error::custom(format!(
                "slash_destination {other:?}: want \"burn\" or \"community_pool\""
            ))),
        }
    }
}

/// Amounts as decimal strings in JSON.
pub use pol_component::json::u128_string;
