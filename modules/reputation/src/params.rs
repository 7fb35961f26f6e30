//! `reputation` parameters, as genesis JSON writes them.

use crate::PPM;

/// The generated `pol.reputation.v1.Params` (the wire type of queries, `MsgUpdateParams`,
/// state and genesis): its defaults are [`Params::defaults`], not the all-zero `Default`.
pub use crate::pb::Params;

impl Params {
    /// The defaults: a fresh provider starts low (at 0.1 and `alpha` 0.2, perfect epochs lift
    /// it to 0.28, 0.42, 0.54, ...: an account shedding a bad record, or a Sybil, starts
    /// behind every provider with a track record); measurers start trusted.
    pub fn defaults() -> Self {
        Params {
            initial_ppm: 100_000,
            initial_measurer_ppm: 1_000_000,
            alpha_ppm: 200_000,
            min_weight_ppm: 100_000,
            history_len: 100,
            no_report_score_ppm: 0,
            fee_discount_max_ppm: 500_000,
            fee_discount_from_ppm: 500_000,
        }
    }
}

/// Largest `history_len`.
pub const MAX_HISTORY_LEN: u32 = 10_000;

impl Params {
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("initial_ppm", self.initial_ppm),
            ("initial_measurer_ppm", self.initial_measurer_ppm),
            ("alpha_ppm", self.alpha_ppm),
            ("min_weight_ppm", self.min_weight_ppm),
            ("no_report_score_ppm", self.no_report_score_ppm),
            ("fee_discount_max_ppm", self.fee_discount_max_ppm),
            ("fee_discount_from_ppm", self.fee_discount_from_ppm),
        ] {
            if v > PPM {
                return Err(format!("reputation.params.{name} is at most 1000000"));
            }
        }
        if self.fee_discount_max_ppm > 0 && self.fee_discount_from_ppm >= PPM {
            return Err(
                "reputation.params.fee_discount_from_ppm must be below 1000000 when a discount is set"
                    .into(),
            );
        }
        if self.alpha_ppm == 0 {
            return Err("reputation.params.alpha_ppm must be positive".into());
        }
        if self.history_len == 0 || self.history_len > MAX_HISTORY_LEN {
            return Err(format!(
                "reputation.params.history_len must be in 1..={MAX_HISTORY_LEN}"
            ));
        }
        Ok(())
    }

    /// The fee discount (ppm) for a provider of `reputation_ppm`: none at or below
    /// `fee_discount_from_ppm`, `fee_discount_max_ppm` at 10⁶, linear in between.
    pub fn fee_discount_ppm(&self, reputation_ppm: u32) -> u32 {
        let (from, rep) = (
            u64::from(self.fee_discount_from_ppm),
            u64::from(reputation_ppm.min(PPM)),
        );
        if rep <= from || from >= u64::from(PPM) {
            return 0;
        }
        let d = u64::from(self.fee_discount_max_ppm) * (rep - from) / (u64::from(PPM) - from);
        u32::try_from(d).unwrap_or(PPM).min(PPM)
    }
}
