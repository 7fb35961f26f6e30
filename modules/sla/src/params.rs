//! `sla` parameters, as genesis JSON writes them.

use crate::PPM;

/// The generated `pol.sla.v1.Params` (the wire type of queries, `MsgUpdateParams`, state
/// and genesis): its defaults are [`Params::defaults`], not the all-zero `Default`.
pub use crate::pb::Params;

impl Params {
    /// 1% for any miss, +5% per 100% overshoot, at most 10% an epoch; three misses in a row
    /// jail for 1000 blocks and raise the required bond by 25%.
    pub fn defaults() -> Self {
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
}
