//! `mint` genesis: the minter and the parameters, as the SDK's genesis JSON writes them.

use pol_component::{BlockContext, ModuleGenesis, TxError};
use pol_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::minter::{Minter, Params};
use crate::{MintRead, MintWrite};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub minter: Minter,
    pub params: Params,
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = crate::MODULE;

    fn validate(&self) -> Result<(), String> {
        self.params.validate()?;
        self.minter.validate()
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        state.put_mint_params(&self.params);
        state.put_minter(&self.minter);
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        Ok(GenesisState {
            minter: state.minter()?,
            params: state.mint_params()?,
        })
    }
}
