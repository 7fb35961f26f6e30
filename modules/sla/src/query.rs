//! `pol.sla.v1.Query` over committed state (gRPC, and ABCI paths through the app's query
//! router).

#![allow(clippy::result_large_err)]

use pol_component::query::{internal, paginate, snapshot_for};
use pol_component::Address;
use pol_inference::InferenceRead;
use pol_store::Storage;
use prost::Message;
use tonic::{Request, Response, Status};

use crate::pb::{self, query_server::Query};
use crate::state_key;
use crate::view::SlaRead;

/// The sla query service over committed state.
#[derive(Clone)]
pub struct SlaQuery {
    storage: Storage,
}

impl SlaQuery {
    pub fn new(storage: Storage) -> Self {
        SlaQuery { storage }
    }

    /// The tonic server to add to pold's gRPC router.
    pub fn server(storage: Storage) -> pb::query_server::QueryServer<SlaQuery> {
        pb::query_server::QueryServer::new(SlaQuery::new(storage))
    }
}

fn account(s: &str) -> Result<Address, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument("provider is required"));
    }
    Address::parse(s).map_err(|e| Status::invalid_argument(e.log))
}

#[tonic::async_trait]
impl Query for SlaQuery {
    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(snapshot.sla_params().map_err(internal)?),
        }))
    }

    async fn violations(
        &self,
        request: Request<pb::QueryViolationsRequest>,
    ) -> Result<Response<pb::QueryViolationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let a = account(&r.provider)?;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::violations_of(&a),
            r.pagination.as_ref(),
        )?;
        let violations = entries
            .iter()
            .map(|(_, v)| pb::SlaViolation::decode(v.as_slice()).map_err(internal))
            .collect::<Result<Vec<_>, Status>>()?;
        Ok(Response::new(pb::QueryViolationsResponse {
            violations,
            pagination: Some(page),
        }))
    }

    async fn provider_status(
        &self,
        request: Request<pb::QueryProviderStatusRequest>,
    ) -> Result<Response<pb::QueryProviderStatusResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let a = account(&request.get_ref().provider)?;
        let provider = snapshot
            .provider(&a)
            .map_err(internal)?
            .ok_or_else(|| Status::not_found(format!("provider {a} not found")))?;
        let params = snapshot.inference_params().map_err(internal)?;
        let required =
            pol_inference::required_bond(&provider, &params).map_err(|e| internal(e.log))?;
        let record = snapshot
            .sla_record(&a)
            .map_err(internal)?
            .unwrap_or_else(|| pb::ProviderRecord {
                provider: a.to_string(),
                ..Default::default()
            });
        Ok(Response::new(pb::QueryProviderStatusResponse {
            record: Some(record),
            bond: provider.bond.clone(),
            required_bond: required.to_string(),
            status: pol_inference::msg::status_name(provider.status).to_string(),
            jailed_until_height: provider.jailed_until_height,
        }))
    }
}
