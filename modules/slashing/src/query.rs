//! `cosmos.slashing.v1beta1.Query`, unchanged: `Params`, `SigningInfo`, `SigningInfos`.

use cosmos_sdk_proto::cosmos::slashing::v1beta1::{self as pb, query_server::Query};
use pol_component::query::{decode_all, internal, paginate, snapshot_for};
use pol_staking::types::parse_valcons;
use pol_store::Storage;
use tonic::{Request, Response, Status};

use crate::{state_key, SlashingRead};

#[derive(Clone)]
pub struct SlashingQuery {
    storage: Storage,
}

impl SlashingQuery {
    pub fn new(storage: Storage) -> Self {
        SlashingQuery { storage }
    }
}

#[tonic::async_trait]
impl Query for SlashingQuery {
    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let params = snapshot.slashing_params().map_err(internal)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(params.to_proto()),
        }))
    }

    async fn signing_info(
        &self,
        request: Request<pb::QuerySigningInfoRequest>,
    ) -> Result<Response<pb::QuerySigningInfoResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let address = &request.get_ref().cons_address;
        if address.is_empty() {
            return Err(Status::invalid_argument("cons_address is required"));
        }
        let cons = parse_valcons(address).map_err(|e| Status::invalid_argument(e.log))?;
        let info = snapshot
            .signing_info(&cons)
            .map_err(internal)?
            .ok_or_else(|| Status::not_found(format!("SigningInfo not found for {address}")))?;
        Ok(Response::new(pb::QuerySigningInfoResponse {
            val_signing_info: Some(info.to_proto()),
        }))
    }

    async fn signing_infos(
        &self,
        request: Request<pb::QuerySigningInfosRequest>,
    ) -> Result<Response<pb::QuerySigningInfosResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let (entries, page) = paginate(
            &snapshot,
            state_key::SIGNING_INFO_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QuerySigningInfosResponse {
            info: decode_all(&entries)?,
            pagination: Some(page),
        }))
    }
}
