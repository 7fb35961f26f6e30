//! `sla` parameters, as genesis JSON writes them.

use serde::{Deserialize, Serialize};

use crate::{pb, PPM};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Epochs with fewer aggregated blocks for a provider are not judged for it.
    pub min_blocks_per_epoch: u64,
    /// Slash of any miss, per million of the bond.
    pub base_slash_ppm: u32,
    /// Extra slash per 100% of relative overshoot, per million.
    pub slash_slope_ppm: u32,
    /// Largest slash of one epoch, per million.
    pub max_slash_ppm: u32,
    /// Misses in a row that jail.
    pub jail_after_misses: u32,
    /// Raise of the required bond at each jailing, per million of the current requirement.
    pub min_bond_raise_ppm: u32,
    /// Blocks a jailed provider waits before it can be reactivated.
    pub jail_blocks: u64,
    /// Violations kept per provider.
    pub max_violations_per_provider: u32,
}

impl Default for Params {
    /// 1% for any miss, +5% per 100% overshoot, at most 10% an epoch; three misses in a row
    /// jail for 1000 blocks and raise the required bond by 25%.
    fn default() -> Self {
        Params {
            min_blocks_per_epoch: 10,
            base_slash_ppm: 10_000,
            slash_slope_ppm: 50_000,
            max_slash_ppm: 100_000,
            jail_after_misses: 3,
            min_bond_raise_ppm: 250_000,
            jail_blocks: 1_000,
            max_violations_per_provider: 100,
        }
    }
}

/// Largest `max_violations_per_provider`.
pub const MAX_VIOLATIONS_KEPT: u32 = 10_000;

impl Params {
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("base_slash_ppm", self.base_slash_ppm),
            ("slash_slope_ppm", self.slash_slope_ppm),
            ("max_slash_ppm", self.max_slash_ppm),
            ("min_bond_raise_ppm", self.min_bond_raise_ppm),
        ] {
            if v > PPM {
                return Err(format!("sla.params.{name} is at most 1000000"));
            }
        }
        if self.base_slash_ppm > self.max_slash_ppm {
            return Err("sla.params.base_slash_ppm must not exceed max_slash_ppm".into());
        }
        if self.min_blocks_per_epoch == 0 {
            return Err("sla.params.min_blocks_per_epoch must be positive".into());
        }
        if self.jail_after_misses == 0 {
            return Err("sla.params.jail_after_misses must be positive".into());
        }
        if self.max_violations_per_provider == 0
            || self.max_violations_per_provider > MAX_VIOLATIONS_KEPT
        {
            return Err(format!(
                "sla.params.max_violations_per_provider must be in 1..={MAX_VIOLATIONS_KEPT}"
            ));
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            min_blocks_per_epoch: self.min_blocks_per_epoch,
            base_slash_ppm: self.base_slash_ppm,
            slash_slope_ppm: self.slash_slope_ppm,
            max_slash_ppm: self.max_slash_ppm,
            jail_after_misses: self.jail_after_misses,
            min_bond_raise_ppm: self.min_bond_raise_ppm,
            jail_blocks: self.jail_blocks,
            max_violations_per_provider: self.max_violations_per_provider,
        }
    }

    pub fn from_proto(p: &pb::Params) -> Self {
        Params {
            min_blocks_per_epoch: p.min_blocks_per_epoch,
            base_slash_ppm: p.base_slash_ppm,
            slash_slope_ppm: p.slash_slope_ppm,
            max_slash_ppm: p.max_slash_ppm,
            jail_after_misses: p.jail_after_misses,
            min_bond_raise_ppm: p.min_bond_raise_ppm,
            jail_blocks: p.jail_blocks,
            max_violations_per_provider: p.max_violations_per_provider,
        }
    }
}
