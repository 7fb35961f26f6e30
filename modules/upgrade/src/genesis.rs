//! `upgrade` genesis (pol's addition: the SDK's has none): the plan in force and the
//! upgrades applied, so that an export carries them exactly.

use std::collections::BTreeSet;

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::Plan;
use pol_component::json::u64_string;
use pol_component::{BlockContext, ModuleGenesis, TxError};
use pol_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::{UpgradeRead, UpgradeWrite};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub plan: Option<PlanJson>,
    pub applied: Vec<AppliedJson>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanJson {
    pub name: String,
    #[serde(with = "u64_string")]
    pub height: u64,
    #[serde(default)]
    pub info: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedJson {
    pub name: String,
    #[serde(with = "u64_string")]
    pub height: u64,
}

impl PlanJson {
    #[allow(deprecated)] // checks and clears the SDK's deprecated fields
    fn to_proto(&self) -> Plan {
        Plan {
            name: self.name.clone(),
            time: None,
            height: i64::try_from(self.height).unwrap_or(i64::MAX),
            info: self.info.clone(),
            upgraded_client_state: None,
        }
    }
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = crate::MODULE;

    fn validate(&self) -> Result<(), String> {
        if let Some(p) = &self.plan {
            crate::msg::check_plan(&p.to_proto())
                .map_err(|e| format!("upgrade genesis: {}", e.log))?;
            if self.applied.iter().any(|a| a.name == p.name) {
                return Err(format!(
                    "upgrade genesis: plan {} is already applied",
                    p.name
                ));
            }
        }
        let mut names = BTreeSet::new();
        for a in &self.applied {
            if a.name.is_empty() || !names.insert(&a.name) {
                return Err(format!(
                    "upgrade genesis: applied upgrade {:?} is unnamed or listed twice",
                    a.name
                ));
            }
        }
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        if let Some(p) = &self.plan {
            state.put_plan(&p.to_proto());
        }
        for a in &self.applied {
            state.set_applied(&a.name, a.height);
        }
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        Ok(GenesisState {
            plan: state.plan()?.map(|p| PlanJson {
                name: p.name,
                height: u64::try_from(p.height).unwrap_or(0),
                info: p.info,
            }),
            applied: state
                .all_applied()?
                .into_iter()
                .map(|(name, height)| AppliedJson { name, height })
                .collect(),
        })
    }
}
