//! `pol.inference.v1.Query` over committed state (gRPC, and ABCI paths through the app's
//! query router). Lists are paginated with `cosmos.base.query.v1beta1.PageRequest` in key
//! order: ids ascending, providers by address.

#![allow(clippy::result_large_err)]

use pol_component::query::{decode_all, internal, paginate, snapshot_for};
use pol_component::Address;
use pol_store::{Snapshot, StateReadExt, Storage};
use tonic::{Request, Response, Status};

use crate::pb::{self, query_server::Query, ObligationState};
use crate::state_key;
use crate::view::InferenceRead;

/// The inference query service over committed state.
#[derive(Clone)]
pub struct InferenceQuery {
    storage: Storage,
}

impl InferenceQuery {
    pub fn new(storage: Storage) -> Self {
        InferenceQuery { storage }
    }

    /// The tonic server to add to pold's gRPC router.
    pub fn server(storage: Storage) -> pb::query_server::QueryServer<InferenceQuery> {
        pb::query_server::QueryServer::new(InferenceQuery::new(storage))
    }
}

fn account(s: &str) -> Result<Address, Status> {
    Address::parse(s).map_err(|e| Status::invalid_argument(e.log))
}

/// Records named by the trailing u64 id of index keys.
fn obligations_from_index(
    snapshot: &Snapshot,
    entries: &[(Vec<u8>, Vec<u8>)],
) -> Result<Vec<pb::Obligation>, Status> {
    entries
        .iter()
        .map(|(k, _)| {
            let id = state_key::trailing_u64(k).ok_or_else(|| internal("bad obligation index"))?;
            snapshot
                .obligation(id)
                .map_err(internal)?
                .ok_or_else(|| internal(format!("index names missing obligation {id}")))
        })
        .collect()
}

fn not_found(what: String) -> Status {
    Status::not_found(what)
}

#[tonic::async_trait]
impl Query for InferenceQuery {
    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(snapshot.inference_params().map_err(internal)?.to_proto()),
        }))
    }

    async fn architecture(
        &self,
        request: Request<pb::QueryArchitectureRequest>,
    ) -> Result<Response<pb::QueryArchitectureResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let id = &request.get_ref().id;
        let a = snapshot
            .architecture(id)
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("architecture {id} not found")))?;
        Ok(Response::new(pb::QueryArchitectureResponse {
            architecture: Some(a),
        }))
    }

    async fn architectures(
        &self,
        request: Request<pb::QueryArchitecturesRequest>,
    ) -> Result<Response<pb::QueryArchitecturesResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let (entries, page) = paginate(
            &snapshot,
            state_key::ARCH_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryArchitecturesResponse {
            architectures: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }

    async fn model(
        &self,
        request: Request<pb::QueryModelRequest>,
    ) -> Result<Response<pb::QueryModelResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let id = &request.get_ref().id;
        let m = snapshot
            .model(id)
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("model {id} not found")))?;
        Ok(Response::new(pb::QueryModelResponse { model: Some(m) }))
    }

    async fn models(
        &self,
        request: Request<pb::QueryModelsRequest>,
    ) -> Result<Response<pb::QueryModelsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let (entries, page) = paginate(
            &snapshot,
            state_key::MODEL_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryModelsResponse {
            models: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }

    async fn provider(
        &self,
        request: Request<pb::QueryProviderRequest>,
    ) -> Result<Response<pb::QueryProviderResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let a = account(&request.get_ref().address)?;
        let p = snapshot
            .provider(&a)
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("provider {a} not found")))?;
        Ok(Response::new(pb::QueryProviderResponse {
            provider: Some(p),
        }))
    }

    async fn provider_record(
        &self,
        request: Request<pb::QueryProviderRecordRequest>,
    ) -> Result<Response<pb::QueryProviderRecordResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let a = account(&request.get_ref().address)?;
        let record = snapshot
            .provider_record(&a)
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("{a} has no record of a departed provider")))?;
        Ok(Response::new(pb::QueryProviderRecordResponse {
            record: Some(record),
        }))
    }

    async fn providers(
        &self,
        request: Request<pb::QueryProvidersRequest>,
    ) -> Result<Response<pb::QueryProvidersResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let (providers, page) = if r.model_id.is_empty() {
            let (entries, page) =
                paginate(&snapshot, state_key::PROVIDER_PREFIX, r.pagination.as_ref())?;
            (decode_all(&entries)?, page)
        } else {
            crate::msg::validate_model_id(&r.model_id)
                .map_err(|e| Status::invalid_argument(e.log))?;
            let (entries, page) = paginate(
                &snapshot,
                &state_key::providers_by_model(&r.model_id),
                r.pagination.as_ref(),
            )?;
            let providers = entries
                .iter()
                .map(|(_, v)| {
                    let a = Address::from_slice(v).ok_or_else(|| internal("bad provider index"))?;
                    snapshot
                        .provider(&a)
                        .map_err(internal)?
                        .ok_or_else(|| internal(format!("index names missing provider {a}")))
                })
                .collect::<Result<Vec<_>, Status>>()?;
            (providers, page)
        };
        Ok(Response::new(pb::QueryProvidersResponse {
            providers,
            pagination: Some(page),
        }))
    }

    async fn obligation(
        &self,
        request: Request<pb::QueryObligationRequest>,
    ) -> Result<Response<pb::QueryObligationResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let id = request.get_ref().id;
        let o = snapshot
            .obligation(id)
            .map_err(internal)?
            .ok_or_else(|| not_found(format!("obligation {id} not found")))?;
        Ok(Response::new(pb::QueryObligationResponse {
            obligation: Some(o),
        }))
    }

    /// By provider, by state, by both, or all; every filter has its own index, so pages
    /// are exact.
    async fn obligations(
        &self,
        request: Request<pb::QueryObligationsRequest>,
    ) -> Result<Response<pb::QueryObligationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let state = ObligationState::try_from(r.state)
            .map_err(|_| Status::invalid_argument(format!("unknown state {}", r.state)))?;
        let (obligations, page) = if !r.provider.is_empty() {
            let a = account(&r.provider)?;
            let prefix = if state == ObligationState::Unspecified {
                state_key::obligations_of(&a)
            } else {
                state_key::obligations_of_in(&a, state as i32)
            };
            let (entries, page) = paginate(&snapshot, &prefix, r.pagination.as_ref())?;
            (obligations_from_index(&snapshot, &entries)?, page)
        } else if state != ObligationState::Unspecified {
            let (entries, page) = paginate(
                &snapshot,
                &state_key::obligations_in(state as i32),
                r.pagination.as_ref(),
            )?;
            (obligations_from_index(&snapshot, &entries)?, page)
        } else {
            let (entries, page) = paginate(
                &snapshot,
                state_key::OBLIGATION_PREFIX,
                r.pagination.as_ref(),
            )?;
            (decode_all(&entries)?, page)
        };
        Ok(Response::new(pb::QueryObligationsResponse {
            obligations,
            pagination: Some(page),
        }))
    }

    async fn attestations(
        &self,
        request: Request<pb::QueryAttestationsRequest>,
    ) -> Result<Response<pb::QueryAttestationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let (attestations, page) = if r.provider.is_empty() {
            let (entries, page) = paginate(
                &snapshot,
                state_key::ATTESTATION_PREFIX,
                r.pagination.as_ref(),
            )?;
            (decode_all(&entries)?, page)
        } else {
            let a = account(&r.provider)?;
            let (entries, page) = paginate(
                &snapshot,
                &state_key::attestations_of(&a),
                r.pagination.as_ref(),
            )?;
            let list = entries
                .iter()
                .map(|(k, _)| {
                    let id = state_key::trailing_u64(k)
                        .ok_or_else(|| internal("bad attestation index"))?;
                    snapshot
                        .get_proto::<pb::Attestation>(&state_key::attestation(id))
                        .map_err(internal)?
                        .ok_or_else(|| internal(format!("index names missing attestation {id}")))
                })
                .collect::<Result<Vec<_>, Status>>()?;
            (list, page)
        };
        Ok(Response::new(pb::QueryAttestationsResponse {
            attestations,
            pagination: Some(page),
        }))
    }

    async fn faults(
        &self,
        request: Request<pb::QueryFaultsRequest>,
    ) -> Result<Response<pb::QueryFaultsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let prefix = if r.provider.is_empty() {
            state_key::FAULT_PREFIX.to_vec()
        } else {
            state_key::faults_of(&account(&r.provider)?)
        };
        let (entries, page) = paginate(&snapshot, &prefix, r.pagination.as_ref())?;
        Ok(Response::new(pb::QueryFaultsResponse {
            faults: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }
}
