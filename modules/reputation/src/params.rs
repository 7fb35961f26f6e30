//! `reputation` parameters, as genesis JSON writes them.

use serde::{Deserialize, Serialize};

use crate::{pb, PPM};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// A provider's reputation before its first judged epoch.
    pub initial_ppm: u32,
    /// A validator's measurer reputation before its first measured epoch.
    pub initial_measurer_ppm: u32,
    /// Weight of an epoch's score in the moving average (1..=10⁶).
    pub alpha_ppm: u32,
    /// Floor of a validator's PoL weight.
    pub min_weight_ppm: u32,
    /// History entries kept per provider (1..=10000).
    pub history_len: u32,
    /// Score of a bonded validator that sent no report in an epoch in which others did.
    pub no_report_score_ppm: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            initial_ppm: 500_000,
            initial_measurer_ppm: 1_000_000,
            alpha_ppm: 200_000,
            min_weight_ppm: 100_000,
            history_len: 100,
            no_report_score_ppm: 0,
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
        ] {
            if v > PPM {
                return Err(format!("reputation.params.{name} is at most 1000000"));
            }
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

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            initial_ppm: self.initial_ppm,
            initial_measurer_ppm: self.initial_measurer_ppm,
            alpha_ppm: self.alpha_ppm,
            min_weight_ppm: self.min_weight_ppm,
            history_len: self.history_len,
            no_report_score_ppm: self.no_report_score_ppm,
        }
    }

    pub fn from_proto(p: &pb::Params) -> Self {
        Params {
            initial_ppm: p.initial_ppm,
            initial_measurer_ppm: p.initial_measurer_ppm,
            alpha_ppm: p.alpha_ppm,
            min_weight_ppm: p.min_weight_ppm,
            history_len: p.history_len,
            no_report_score_ppm: p.no_report_score_ppm,
        }
    }
}
