//! The sla module as the app registers it.

use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::{BlockContext, EndBlockOutcome, ExecEnv, Module, TxError};
use pol_store::{StateWrite, Storage};
use tonic::service::RoutesBuilder;

/// SLA judgement; `pol.sla.v1.Query`.
pub struct SlaModule;

impl Module for SlaModule {
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

    /// Judges the providers of the epoch that ended here, against their SLAs (slashes, jailing, reputation); `latency`'s end-block, earlier in the block, hands the epoch over.
    fn end_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _block_hash: &[u8],
        shared: &mut ExecEnv,
    ) -> Result<EndBlockOutcome, TxError> {
        let Some(e) = shared.get::<crate::EpochObservations>() else {
            return Ok(EndBlockOutcome::default());
        };
        let mut events = crate::judge_epoch(&mut state, ctx, e.epoch, &e.providers)?;
        // The next epoch is judged against the SLAs declared during this one.
        events.extend(pol_inference::apply_next_slas(&mut state)?);
        Ok(EndBlockOutcome {
            events,
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
        routes.add_service(crate::SlaQuery::server(storage.clone()));
    }

    fn file_descriptor_sets(&self) -> &'static [&'static [u8]] {
        &[crate::FILE_DESCRIPTOR_SET]
    }
}
