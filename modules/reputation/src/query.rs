//! `pol.reputation.v1.Query` over committed state (gRPC, and ABCI paths through the app's
//! query router).

#![allow(clippy::result_large_err)]

use pol_component::query::{decode_all, internal, paginate, snapshot_for};
use pol_component::Address;
use pol_staking::StakingRead;
use pol_store::Storage;
use tonic::{Request, Response, Status};

use crate::genesis::parse_valcons;
use crate::pb::{self, query_server::Query};
use crate::state_key;
use crate::view::{valcons_string, ReputationRead};

/// The reputation query service over committed state.
#[derive(Clone)]
pub struct ReputationQuery {
    storage: Storage,
}

impl ReputationQuery {
    pub fn new(storage: Storage) -> Self {
        ReputationQuery { storage }
    }

    /// The tonic server to add to pold's gRPC router.
    pub fn server(storage: Storage) -> pb::query_server::QueryServer<ReputationQuery> {
        pb::query_server::QueryServer::new(ReputationQuery::new(storage))
    }
}

#[tonic::async_trait]
impl Query for ReputationQuery {
    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(snapshot.reputation_params().map_err(internal)?),
        }))
    }

    async fn provider_reputation(
        &self,
        request: Request<pb::QueryProviderReputationRequest>,
    ) -> Result<Response<pb::QueryProviderReputationResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let a = Address::parse(&r.provider).map_err(|e| Status::invalid_argument(e.log))?;
        let reputation = match snapshot.provider_reputation(&a).map_err(internal)? {
            Some(rep) => rep,
            None => pb::ProviderReputation {
                provider: a.to_string(),
                reputation_ppm: snapshot.reputation_params().map_err(internal)?.initial_ppm,
                ..Default::default()
            },
        };
        let (entries, page) =
            paginate(&snapshot, &state_key::history_of(&a), r.pagination.as_ref())?;
        Ok(Response::new(pb::QueryProviderReputationResponse {
            reputation: Some(reputation),
            history: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }

    async fn provider_reputations(
        &self,
        request: Request<pb::QueryProviderReputationsRequest>,
    ) -> Result<Response<pb::QueryProviderReputationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let (entries, page) = paginate(
            &snapshot,
            state_key::PROVIDER_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryProviderReputationsResponse {
            reputations: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }

    async fn validator_reputation(
        &self,
        request: Request<pb::QueryValidatorReputationRequest>,
    ) -> Result<Response<pb::QueryValidatorReputationResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let s = request.get_ref().validator.as_str();
        if s.is_empty() {
            return Err(Status::invalid_argument("validator is required"));
        }
        let (cons, operator) = if s.starts_with(pol_staking::VALCONS_PREFIX) {
            let cons = parse_valcons(s).map_err(Status::invalid_argument)?;
            let op = snapshot
                .validator_by_consensus(&cons)
                .map_err(internal)?
                .map(|v| v.operator);
            (cons, op)
        } else {
            let op = pol_staking::types::parse_valoper(s)
                .map_err(|e| Status::invalid_argument(e.log))?;
            let v = snapshot.validator(&op).map_err(internal)?.ok_or_else(|| {
                Status::not_found(format!(
                    "validator {} not found",
                    pol_staking::types::valoper_string(&op)
                ))
            })?;
            (v.consensus_address(), Some(op))
        };
        let reputation = match snapshot.validator_reputation(&cons).map_err(internal)? {
            Some(r) => r,
            None => {
                let op = operator.ok_or_else(|| {
                    Status::not_found(format!("validator {} not found", valcons_string(&cons)))
                })?;
                let params = snapshot.reputation_params().map_err(internal)?;
                pb::ValidatorReputation {
                    consensus_address: valcons_string(&cons),
                    operator_address: pol_staking::types::valoper_string(&op),
                    measurer_reputation_ppm: params.initial_measurer_ppm,
                    weight_ppm: snapshot.pol_weight_ppm(&op).map_err(internal)?,
                    ..Default::default()
                }
            }
        };
        Ok(Response::new(pb::QueryValidatorReputationResponse {
            reputation: Some(reputation),
        }))
    }

    async fn validator_reputations(
        &self,
        request: Request<pb::QueryValidatorReputationsRequest>,
    ) -> Result<Response<pb::QueryValidatorReputationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let (entries, page) = paginate(
            &snapshot,
            state_key::VALIDATOR_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryValidatorReputationsResponse {
            reputations: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }
}
