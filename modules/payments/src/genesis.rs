//! `payments` genesis: params, every open channel and the next channel id, as `export`
//! writes them and `init` loads them. The module account must hold exactly the channels'
//! unclaimed deposits (bank genesis carries it).

use std::collections::BTreeSet;

use pol_bank::BankRead;
use pol_component::genesis::ChainStart;
use pol_component::state::scan_decoded;
use pol_component::{Address, AppState, BlockContext, ModuleGenesis, TxError};
use pol_store::{StateRead, StateWrite};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::params::{Params, ParamsProto};
use crate::payment::parse_signer;
use crate::pb::ChannelState;
use crate::view::{Amounts, PaymentsRead, PaymentsWrite};
use crate::{escrow_account, state_key};

/// Bytes as standard base64 in JSON.
pub use pol_component::json::base64_bytes;

/// The generated `pol.payments.v1.GenesisState` (`genesis.proto`): genesis JSON is it
/// through serde.
pub use crate::pb::GenesisState;

pol_component::genesis_params!(GenesisState, ParamsProto, "payments");

fn err(what: impl std::fmt::Display) -> String {
    format!("payments genesis: {what}")
}

impl GenesisState {
    /// The params, checked and in their domain form.
    fn checked_params(&self) -> Result<Params, String> {
        let params = Params::from_proto(self.params()?).map_err(err)?;
        params.validate()?;
        Ok(params)
    }

    /// What the module account must hold: the channels' unclaimed deposits.
    fn escrow(&self) -> Result<u128, String> {
        self.channels.iter().try_fold(0u128, |sum, c| {
            let a = Amounts::of(c).map_err(err)?;
            sum.checked_add(a.unclaimed())
                .ok_or_else(|| err("escrow overflows"))
        })
    }
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = crate::MODULE;

    fn default_genesis() -> Self {
        default_genesis()
    }

    fn validate(&self) -> Result<(), String> {
        let params = self.checked_params()?;
        let mut ids = BTreeSet::new();
        for c in &self.channels {
            let what = |s: &str| err(format!("channel {}: {s}", c.id));
            if c.id == 0 || !ids.insert(c.id) {
                return Err(what("ids are positive and unique"));
            }
            if self.next_channel_id != 0 && c.id >= self.next_channel_id {
                return Err(what("id is not below next_channel_id"));
            }
            Address::parse(&c.requester).map_err(|e| what(&e.log))?;
            Address::parse(&c.provider).map_err(|e| what(&e.log))?;
            pol_inference::msg::validate_model_id(&c.model_id).map_err(|e| what(&e.log))?;
            parse_signer(&c.signer).map_err(|e| what(&e.to_string()))?;
            if c.denom != params.denom {
                return Err(what(&format!(
                    "denom {:?} is not the params' denom",
                    c.denom
                )));
            }
            let a = Amounts::of(c).map_err(|e| what(&e.to_string()))?;
            if a.claimed > a.deposit || a.claimed_royalty > a.claimed {
                return Err(what("claims exceed the deposit, or the royalty its claim"));
            }
            let state = ChannelState::try_from(c.state).unwrap_or(ChannelState::Unspecified);
            if state == ChannelState::Unspecified {
                return Err(what("state must be open or closing"));
            }
        }
        self.escrow()?;
        Ok(())
    }

    /// A channel whose expiry is before the first block would never be settled by the
    /// expiry sweep's order of events, so it must expire at or after it.
    fn validate_against(&self, _app_state: &AppState, chain: &ChainStart) -> Result<(), String> {
        for c in &self.channels {
            if c.expiry_height < chain.initial_height {
                return Err(err(format!(
                    "channel {} expires at height {}, before the chain's initial height {}",
                    c.id, c.expiry_height, chain.initial_height
                )));
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
        let params = self.checked_params().map_err(TxError::INVALID_REQUEST)?;
        state.put_payments_params(&params);
        for c in &self.channels {
            state.put_channel(c, None)?;
        }
        let next = if self.next_channel_id != 0 {
            self.next_channel_id
        } else {
            self.channels.iter().map(|c| c.id).max().unwrap_or(0) + 1
        };
        state.put_next_channel_id(next);
        let need = self.escrow().map_err(TxError::INVALID_REQUEST)?;
        let have = state.balance(&escrow_account(), &params.denom)?;
        if have != need {
            return Err(TxError::INVALID_REQUEST(err(format!(
                "the escrow account holds {have}{denom}, the channels' unclaimed deposits \
                 need {need}{denom}",
                denom = params.denom
            ))));
        }
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        Ok(GenesisState {
            params: Some(state.payments_params()?.to_proto()),
            channels: scan_decoded(state, state_key::CHANNEL_PREFIX, crate::MODULE)?,
            next_channel_id: state.next_channel_id()?,
        })
    }
}
