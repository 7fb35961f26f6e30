//! The latency module as the app registers it.

use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::{BlockContext, EndBlockOutcome, ExecEnv, Module, TxError};
use pol_store::{StateWrite, Storage};
use tendermint_proto::v0_38::abci::ValidatorUpdate;
use tonic::service::RoutesBuilder;

/// Proof-of-Latency reports and routing; `pol.latency.v1.Query`.
pub struct LatencyModule;

impl Module for LatencyModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn decode_msg(
        &self,
        any: &tendermint_proto::google::protobuf::Any,
    ) -> Option<Result<Box<dyn pol_component::ModuleMsg>, pol_component::TxError>> {
        use pol_component::module::decode_msg_as;
        Some(match any.type_url.as_str() {
            crate::update_params::MSG_UPDATE_PARAMS => {
                decode_msg_as(any, &crate::update_params::UPDATE_PARAMS)
            }
            crate::served::MSG_REPORT_SERVED_LATENCY => decode_msg_as(any, &REPORT_SERVED),
            _ => return None,
        })
    }

    fn end_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        block_hash: &[u8],
        shared: &mut ExecEnv,
    ) -> Result<EndBlockOutcome, TxError> {
        crate::end_block::end_block(&mut state, ctx, block_hash, shared)
    }

    /// The keys the new validators will sign their vote extensions with.
    fn validator_set_updated(
        &self,
        mut state: &mut dyn StateWrite,
        updates: &[ValidatorUpdate],
    ) -> Result<(), TxError> {
        crate::record_consensus_keys(&mut state, updates);
        Ok(())
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &[crate::QUERY_SERVICE]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(crate::LatencyQuery::server(storage.clone()));
    }

    fn file_descriptor_sets(&self) -> &'static [&'static [u8]] {
        &[crate::FILE_DESCRIPTOR_SET]
    }
}

static REPORT_SERVED: pol_component::module::MsgHandler<crate::pb::MsgReportServedLatency> = pol_component::msg_handler!(
    crate::served::MSG_REPORT_SERVED_LATENCY,
    "/pol.latency.v1.MsgReportServedLatencyResponse",
    crate::served::signer,
    crate::served::execute,
    crate::served::gas
);
