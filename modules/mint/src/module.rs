//! The mint module as the app registers it.

use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::{BlockContext, BlockInfo, Event, ExecEnv, Module, TxError};
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use tonic::service::RoutesBuilder;

use crate::MintRead;

/// Inflation and block provisions; `cosmos.mint.v1beta1.Query`.
pub struct MintModule;

impl Module for MintModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn decode_msg(
        &self,
        any: &tendermint_proto::google::protobuf::Any,
    ) -> Option<Result<Box<dyn pol_component::ModuleMsg>, pol_component::TxError>> {
        (any.type_url == crate::update_params::MSG_UPDATE_PARAMS).then(|| {
            pol_component::module::decode_msg_as(any, &crate::update_params::UPDATE_PARAMS)
        })
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    fn begin_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _block: &BlockInfo,
        _shared: &mut ExecEnv,
    ) -> Result<Vec<Event>, TxError> {
        crate::begin_block::begin_block(&mut state, ctx)
    }

    /// The minter stays valid and within the parameters' bounds.
    fn invariants(&self, state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
        let (params, minter) = (state.mint_params()?, state.minter()?);
        let mut broken = Vec::new();
        if let Err(e) = minter.validate() {
            broken.push(format!("height {height}: {e}"));
        }
        if minter.inflation < params.inflation_min || minter.inflation > params.inflation_max {
            broken.push(format!(
                "height {height}: mint inflation {} outside [{}, {}]",
                minter.inflation, params.inflation_min, params.inflation_max
            ));
        }
        Ok(broken)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &["cosmos.mint.v1beta1.Query"]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(
            cosmos_sdk_proto::cosmos::mint::v1beta1::query_server::QueryServer::new(
                crate::query::MintQuery::new(storage.clone()),
            ),
        );
    }
}
