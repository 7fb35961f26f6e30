//! `sla` genesis: params (the epoch length is `latency`'s), provider records, kept
//! violations and the last judged epoch. Export then init reproduces the same state.

use pol_component::ModuleGenesis;
use std::collections::BTreeSet;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use pol_component::coins::parse_amount;
use pol_component::state::scan_decoded;
use pol_component::{Address, BlockContext, TxError};
use pol_store::{StateRead, StateWrite, StateWriteExt};

use crate::params::Params;
use crate::view::{SlaRead, SlaWrite};
use crate::{state_key, PPM};

/// The generated `pol.sla.v1.GenesisState` (`genesis.proto`): genesis JSON is it through
/// serde.
pub use crate::pb::GenesisState;

pol_component::genesis_params!(GenesisState, Params, "sla");

fn err(what: impl std::fmt::Display) -> String {
    format!("sla genesis: {what}")
}

fn addr(s: &str, what: &str) -> Result<Address, String> {
    Address::parse(s).map_err(|e| err(format!("{what}: {}", e.log)))
}

fn amount(s: &str, what: &str) -> Result<(), String> {
    if s.is_empty() || parse_amount(s).is_some() {
        Ok(())
    } else {
        Err(err(format!("{what} {s:?} is not an amount")))
    }
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = "sla";

    fn default_genesis() -> Self {
        default_genesis()
    }

    fn validate(&self) -> Result<(), String> {
        self.params()?.validate()?;
        let mut records = BTreeSet::new();
        for r in &self.records {
            if !records.insert(addr(&r.provider, "record provider")?) {
                return Err(err(format!("record of {} listed twice", r.provider)));
            }
            amount(&r.total_slashed, "total_slashed")?;
        }
        let mut seen = BTreeSet::new();
        for v in &self.violations {
            let a = addr(&v.provider, "violation provider")?;
            if !records.contains(&a) {
                return Err(err(format!("violation of {} without a record", v.provider)));
            }
            if !seen.insert((a, v.epoch)) {
                return Err(err(format!(
                    "violation of {} in epoch {} listed twice",
                    v.provider, v.epoch
                )));
            }
            if self.last_epoch.is_none_or(|last| v.epoch > last) {
                return Err(err(format!(
                    "violation of {} in epoch {} after the last judged epoch",
                    v.provider, v.epoch
                )));
            }
            if v.slash_ppm > PPM || v.observed_failure_rate_ppm > PPM {
                return Err(err(format!(
                    "violation of {}: ppm above 1000000",
                    v.provider
                )));
            }
            amount(&v.slashed, "violation slashed")?;
            amount(&v.required_bond, "violation required_bond")?;
        }
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        state.put_sla_params(self.params().map_err(TxError::INVALID_REQUEST)?);
        for r in &self.records {
            state.put_sla_record(&Address::parse(&r.provider)?, r);
        }
        for v in &self.violations {
            let a = Address::parse(&v.provider)?;
            state.put_proto(state_key::violation(&a, v.epoch), v);
        }
        if let Some(e) = self.last_epoch {
            state.set_sla_last_epoch(e);
        }
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        Ok(GenesisState {
            params: Some(state.sla_params()?),
            records: scan_decoded(state, state_key::RECORD_PREFIX, "sla")?,
            violations: scan_decoded(state, state_key::VIOLATION_PREFIX, "sla")?,
            last_epoch: state.sla_last_epoch()?,
        })
    }
}
