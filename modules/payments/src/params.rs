//! `payments` parameters, as genesis JSON writes them (amounts as decimal strings).

use pol_component::coins::{parse_amount, validate_denom};
use serde::{Deserialize, Serialize};

use crate::pb;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub denom: String,
    #[serde(with = "u128_string")]
    pub min_deposit: u128,
    pub min_duration_blocks: u64,
    pub max_duration_blocks: u64,
    pub close_grace_blocks: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            denom: "upol".into(),
            min_deposit: 1_000,
            // About ten minutes at one block a second: time for a worker to claim.
            min_duration_blocks: 600,
            // About thirty days.
            max_duration_blocks: 2_592_000,
            close_grace_blocks: 300,
        }
    }
}

impl Params {
    pub fn validate(&self) -> Result<(), String> {
        validate_denom(&self.denom).map_err(|e| format!("payments.params.denom: {}", e.log))?;
        if self.min_deposit == 0 {
            return Err("payments.params.min_deposit must be positive".into());
        }
        if self.close_grace_blocks == 0 {
            return Err("payments.params.close_grace_blocks must be positive".into());
        }
        if self.min_duration_blocks < self.close_grace_blocks {
            // An open channel must leave a worker at least the grace a close leaves it.
            return Err(
                "payments.params.min_duration_blocks must be at least close_grace_blocks".into(),
            );
        }
        if self.max_duration_blocks < self.min_duration_blocks {
            return Err(
                "payments.params.max_duration_blocks must be at least min_duration_blocks".into(),
            );
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            denom: self.denom.clone(),
            min_deposit: self.min_deposit.to_string(),
            min_duration_blocks: self.min_duration_blocks,
            max_duration_blocks: self.max_duration_blocks,
            close_grace_blocks: self.close_grace_blocks,
        }
    }

    pub fn from_proto(p: &pb::Params) -> Result<Self, String> {
        Ok(Params {
            denom: p.denom.clone(),
            min_deposit: parse_amount(&p.min_deposit).ok_or("payments params: bad min_deposit")?,
            min_duration_blocks: p.min_duration_blocks,
            max_duration_blocks: p.max_duration_blocks,
            close_grace_blocks: p.close_grace_blocks,
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
