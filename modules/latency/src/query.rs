//! `pol.latency.v1.Query` over committed state (gRPC, and ABCI paths through the app's
//! query router).

#![allow(clippy::result_large_err)]

use pol_component::query::{decode_all, internal, paginate, snapshot_for};
use pol_component::Address;
use pol_store::Storage;
use tonic::{Request, Response, Status};

use crate::pb::{self, query_server::Query};
use crate::route::RouteError;
use crate::state_key;
use crate::view::LatencyRead;

/// The latency query service over committed state.
#[derive(Clone)]
pub struct LatencyQuery {
    storage: Storage,
}

impl LatencyQuery {
    pub fn new(storage: Storage) -> Self {
        LatencyQuery { storage }
    }

    pub fn server(storage: Storage) -> pb::query_server::QueryServer<LatencyQuery> {
        pb::query_server::QueryServer::new(LatencyQuery::new(storage))
    }
}

fn provider(s: &str) -> Result<[u8; 20], Status> {
    Address::parse(s)
        .map(|a| a.0)
        .map_err(|e| Status::invalid_argument(e.log))
}

#[tonic::async_trait]
impl Query for LatencyQuery {
    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(snapshot.latency_params().map_err(internal)?),
        }))
    }

    async fn aggregate(
        &self,
        request: Request<pb::QueryAggregateRequest>,
    ) -> Result<Response<pb::QueryAggregateResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let p = provider(&request.get_ref().provider)?;
        let aggregate = snapshot.aggregate(&p).map_err(internal)?.ok_or_else(|| {
            Status::not_found(format!(
                "no latency aggregate for provider {}",
                request.get_ref().provider
            ))
        })?;
        Ok(Response::new(pb::QueryAggregateResponse {
            aggregate: Some(aggregate),
        }))
    }

    async fn served(
        &self,
        request: Request<pb::QueryServedRequest>,
    ) -> Result<Response<pb::QueryServedResponse>, Status> {
        use pol_store::StateReadExt;
        let snapshot = snapshot_for(&self.storage, &request)?;
        let p = provider(&request.get_ref().provider)?;
        let last_epoch = snapshot
            .get_proto::<pb::ServedLatency>(&state_key::served(&p))
            .map_err(internal)?;
        let current = pol_component::state::scan_decoded(
            &snapshot,
            &state_key::served_reports_of(&p),
            "latency",
        )
        .map_err(|e| Status::internal(e.log))?;
        Ok(Response::new(pb::QueryServedResponse {
            last_epoch,
            current,
        }))
    }

    async fn history(
        &self,
        request: Request<pb::QueryHistoryRequest>,
    ) -> Result<Response<pb::QueryHistoryResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let p = provider(&request.get_ref().provider)?;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::history_of(&p),
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryHistoryResponse {
            aggregates: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }

    async fn measurers(
        &self,
        request: Request<pb::QueryMeasurersRequest>,
    ) -> Result<Response<pb::QueryMeasurersResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let (entries, page) = paginate(
            &snapshot,
            state_key::MEASURER_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryMeasurersResponse {
            measurers: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }

    async fn route(
        &self,
        request: Request<pb::QueryRouteRequest>,
    ) -> Result<Response<pb::QueryRouteResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        crate::route::route(&snapshot, &r.model_id, r.weights.as_ref(), r.limit)
            .map(Response::new)
            .map_err(|e| match e {
                RouteError::InvalidArgument(m) => Status::invalid_argument(m),
                RouteError::NotFound(m) => Status::not_found(m),
                RouteError::Store(e) => internal(e),
            })
    }
}
