//! The slashing module as the app registers it.

use cosmos_sdk_proto::cosmos::slashing::v1beta1::MsgUnjail;
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, MsgHandler};
use pol_component::{BlockContext, BlockInfo, Event, ExecEnv, Module, ModuleMsg, TxError};
use pol_staking::StakingHookList;
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use tendermint_proto::google::protobuf::Any;
use tonic::service::RoutesBuilder;

use crate::{msg, SlashingRead};

/// Liveness and double-sign penalties; `cosmos.slashing.v1beta1.Query`.
pub struct SlashingModule;

pub const MSG_UNJAIL: &str = "/cosmos.slashing.v1beta1.MsgUnjail";

impl Module for SlashingModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    /// Staking tells slashing when a validator enters the set.
    fn lend(&self, env: &mut ExecEnv) {
        StakingHookList::lend(env, &crate::SlashingHooks);
    }

    fn begin_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        block: &BlockInfo,
        shared: &mut ExecEnv,
    ) -> Result<Vec<Event>, TxError> {
        crate::begin_block::begin_block(&mut state, ctx, block, &StakingHookList::of(shared))
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        match any.type_url.as_str() {
            MSG_UNJAIL => Some(decode_msg_as(any, &UNJAIL)),
            crate::update_params::MSG_UPDATE_PARAMS => {
                Some(decode_msg_as(any, &crate::update_params::UPDATE_PARAMS))
            }
            _ => None,
        }
    }

    /// Each record's missed-block count is its window's, and every window index is inside
    /// the window.
    fn invariants(&self, state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
        let window = state.slashing_params()?.signed_blocks_window;
        let mut broken = Vec::new();
        for info in state.signing_infos()? {
            let missed = state.missed_indices(&info.address)?;
            let who = pol_staking::types::valcons_string(&info.address);
            if missed.len() as u64 != info.missed_blocks_counter {
                broken.push(format!(
                    "height {height}: {who} counts {} missed blocks, its window holds {}",
                    info.missed_blocks_counter,
                    missed.len()
                ));
            }
            if let Some(i) = missed.iter().find(|i| **i >= window) {
                broken.push(format!(
                    "height {height}: {who} missed index {i} is outside the window of {window}"
                ));
            }
        }
        Ok(broken)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &["cosmos.slashing.v1beta1.Query"]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(
            cosmos_sdk_proto::cosmos::slashing::v1beta1::query_server::QueryServer::new(
                crate::query::SlashingQuery::new(storage.clone()),
            ),
        );
    }
}

static UNJAIL: MsgHandler<MsgUnjail> = pol_component::msg_handler!(
    MSG_UNJAIL,
    "/cosmos.slashing.v1beta1.MsgUnjailResponse",
    msg::unjail_signer,
    msg::execute_unjail
);
