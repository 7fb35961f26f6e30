//! `cosmos.upgrade.v1beta1.Query`: `CurrentPlan`, `AppliedPlan`, `Authority`. The
//! deprecated `UpgradedConsensusState` and `ModuleVersions` (pol keeps no per-module
//! consensus versions) answer `unimplemented`.

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{self as pb, query_server::Query};
use pol_component::query::{internal, snapshot_for};
use pol_store::Storage;
use tonic::{Request, Response, Status};

use crate::UpgradeRead;

#[derive(Clone)]
pub struct UpgradeQuery {
    storage: Storage,
}

impl UpgradeQuery {
    pub fn new(storage: Storage) -> Self {
        UpgradeQuery { storage }
    }
}

#[tonic::async_trait]
impl Query for UpgradeQuery {
    async fn current_plan(
        &self,
        request: Request<pb::QueryCurrentPlanRequest>,
    ) -> Result<Response<pb::QueryCurrentPlanResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryCurrentPlanResponse {
            plan: snapshot.plan().map_err(internal)?,
        }))
    }

    async fn applied_plan(
        &self,
        request: Request<pb::QueryAppliedPlanRequest>,
    ) -> Result<Response<pb::QueryAppliedPlanResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let height = snapshot
            .applied(&request.get_ref().name)
            .map_err(internal)?
            .unwrap_or(0);
        Ok(Response::new(pb::QueryAppliedPlanResponse {
            height: i64::try_from(height).unwrap_or(i64::MAX),
        }))
    }

    async fn upgraded_consensus_state(
        &self,
        _request: Request<pb::QueryUpgradedConsensusStateRequest>,
    ) -> Result<Response<pb::QueryUpgradedConsensusStateResponse>, Status> {
        Err(Status::unimplemented(
            "UpgradedConsensusState is deprecated and not served",
        ))
    }

    async fn module_versions(
        &self,
        _request: Request<pb::QueryModuleVersionsRequest>,
    ) -> Result<Response<pb::QueryModuleVersionsResponse>, Status> {
        Err(Status::unimplemented(
            "pol keeps no per-module consensus versions",
        ))
    }

    async fn authority(
        &self,
        _request: Request<pb::QueryAuthorityRequest>,
    ) -> Result<Response<pb::QueryAuthorityResponse>, Status> {
        Ok(Response::new(pb::QueryAuthorityResponse {
            address: pol_component::authority::gov_authority().to_string(),
        }))
    }
}
