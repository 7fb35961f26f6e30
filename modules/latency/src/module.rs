//! The latency module as the app registers it.

use pol_component::Module;
use pol_store::Storage;
use tonic::service::RoutesBuilder;

/// Proof-of-Latency reports and routing; `pol.latency.v1.Query`.
pub struct LatencyModule;

impl Module for LatencyModule {
    fn name(&self) -> &'static str {
        "latency"
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
