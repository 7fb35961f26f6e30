//! `reputation` genesis: params and every record, as `export` writes them and `init` loads
//! them (export then init reproduces the same state keys and values).

use pol_component::ModuleGenesis;
use std::collections::BTreeSet;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use pol_component::state::scan_decoded;
use pol_component::{Address, BlockContext, TxError};
use pol_store::{StateRead, StateWrite};

use crate::params::Params;
use crate::view::{ReputationRead, ReputationWrite};
use crate::{state_key, PPM};

/// The generated `pol.reputation.v1.GenesisState` (`genesis.proto`): genesis JSON is it
/// through serde.
pub use crate::pb::GenesisState;

pol_component::genesis_params!(GenesisState, Params, "reputation");

fn err(what: impl std::fmt::Display) -> String {
    format!("reputation genesis: {what}")
}

fn addr(s: &str, what: &str) -> Result<Address, String> {
    Address::parse(s).map_err(|e| err(format!("{what}: {}", e.log)))
}

/// The 20 bytes of a `polvalcons…` address.
pub fn parse_valcons(s: &str) -> Result<[u8; 20], String> {
    let id: cosmrs::AccountId = s
        .parse()
        .map_err(|e| format!("invalid consensus address {s:?}: {e}"))?;
    if id.prefix() != pol_staking::VALCONS_PREFIX {
        return Err(format!(
            "invalid consensus address {s:?}: prefix {:?}, want {:?}",
            id.prefix(),
            pol_staking::VALCONS_PREFIX
        ));
    }
    id.to_bytes()
        .as_slice()
        .try_into()
        .map_err(|_| format!("invalid consensus address {s:?}: must be 20 bytes"))
}

fn ppm(v: u32, what: &str) -> Result<(), String> {
    if v > PPM {
        return Err(err(format!("{what} {v} is above 1000000")));
    }
    Ok(())
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = "reputation";

    fn default_genesis() -> Self {
        default_genesis()
    }

    fn validate(&self) -> Result<(), String> {
        self.params()?.validate()?;
        let mut providers = BTreeSet::new();
        for r in &self.providers {
            let a = addr(&r.provider, "provider")?;
            if !providers.insert(a) {
                return Err(err(format!("provider {} listed twice", r.provider)));
            }
            ppm(r.reputation_ppm, "reputation_ppm")?;
            ppm(r.last_score_ppm, "last_score_ppm")?;
        }
        let mut points = BTreeSet::new();
        for h in &self.history {
            let a = addr(&h.provider, "history provider")?;
            if !providers.contains(&a) {
                return Err(err(format!("history of unknown provider {}", h.provider)));
            }
            if !points.insert((a, h.epoch)) {
                return Err(err(format!(
                    "history of {} for epoch {} listed twice",
                    h.provider, h.epoch
                )));
            }
            ppm(h.reputation_ppm, "history reputation_ppm")?;
            ppm(h.score_ppm, "history score_ppm")?;
        }
        let mut validators = BTreeSet::new();
        for v in &self.validators {
            let cons = parse_valcons(&v.consensus_address).map_err(err)?;
            if !validators.insert(cons) {
                return Err(err(format!(
                    "validator {} listed twice",
                    v.consensus_address
                )));
            }
            ppm(v.measurer_reputation_ppm, "measurer_reputation_ppm")?;
            ppm(v.weight_ppm, "weight_ppm")?;
        }
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        state.put_reputation_params(self.params().map_err(TxError::INVALID_REQUEST)?);
        for r in &self.providers {
            state.put_provider_reputation(&Address::parse(&r.provider)?, r);
        }
        for h in &self.history {
            let a = Address::parse(&h.provider)?;
            pol_store::StateWriteExt::put_proto(state, state_key::history(&a, h.epoch), h);
        }
        for v in &self.validators {
            let cons = parse_valcons(&v.consensus_address).map_err(TxError::INVALID_REQUEST)?;
            state.put_validator_reputation(&cons, v);
        }
        if let Some(e) = self.last_measurer_epoch {
            state.set_last_measurer_epoch(e);
        }
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        Ok(GenesisState {
            params: Some(state.reputation_params()?),
            providers: scan_decoded(state, state_key::PROVIDER_PREFIX, "reputation")?,
            history: scan_decoded(state, state_key::HISTORY_PREFIX, "reputation")?,
            validators: scan_decoded(state, state_key::VALIDATOR_PREFIX, "reputation")?,
            last_measurer_epoch: state.last_measurer_epoch()?,
        })
    }
}
