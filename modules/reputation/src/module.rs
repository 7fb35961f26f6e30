//! The reputation module as the app registers it.

use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::{BlockContext, EndBlockOutcome, ExecEnv, Module, TxError};
use pol_store::{StateWrite, Storage};
use tonic::service::RoutesBuilder;

/// Provider and measurer reputation; `pol.reputation.v1.Query`.
pub struct ReputationModule;

impl Module for ReputationModule {
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

    /// Judges the validators' measuring of the epoch that ended here: measurer reputation, and from it the PoL weight of their voting power; `latency`'s end-block, earlier in the block, hands the epoch over.
    fn end_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _block_hash: &[u8],
        shared: &mut ExecEnv,
    ) -> Result<EndBlockOutcome, TxError> {
        let Some(e) = shared.get::<crate::MeasurerEpoch>() else {
            return Ok(EndBlockOutcome::default());
        };
        Ok(EndBlockOutcome {
            events: crate::record_measurers(&mut state, ctx, e.epoch, &e.measurers)?,
            ..Default::default()
        })
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &[crate::QUERY_SERVICE]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(crate::ReputationQuery::server(storage.clone()));
    }

    fn file_descriptor_sets(&self) -> &'static [&'static [u8]] {
        &[crate::FILE_DESCRIPTOR_SET]
    }
}
