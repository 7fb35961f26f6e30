//! The reputation module as the app registers it.

use pol_component::Module;
use pol_store::Storage;
use tonic::service::RoutesBuilder;

/// Provider and measurer reputation; `pol.reputation.v1.Query`.
pub struct ReputationModule;

impl Module for ReputationModule {
    fn name(&self) -> &'static str {
        "reputation"
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
