//! The sla module as the app registers it.

use pol_component::Module;
use pol_store::Storage;
use tonic::service::RoutesBuilder;

/// SLA judgement; `pol.sla.v1.Query`.
pub struct SlaModule;

impl Module for SlaModule {
    fn name(&self) -> &'static str {
        "sla"
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
