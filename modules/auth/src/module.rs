//! The auth module as the app registers it.

use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::{Address, Module};
use pol_store::Storage;
use tonic::service::RoutesBuilder;

/// Accounts, numbers and sequences; `cosmos.auth.v1beta1.Query`; the fee collector.
pub struct AuthModule;

impl Module for AuthModule {
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

    fn query_services(&self) -> &'static [&'static str] {
        &["cosmos.auth.v1beta1.Query"]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(
            cosmos_sdk_proto::cosmos::auth::v1beta1::query_server::QueryServer::new(
                crate::query::AuthQuery::new(storage.clone()),
            ),
        );
    }

    fn blocked_accounts(&self) -> Vec<Address> {
        vec![Address::module(crate::FEE_COLLECTOR)]
    }
}
