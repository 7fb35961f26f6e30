//! `cosmos.mint.v1beta1.Query`, unchanged: `Params`, `Inflation`, `AnnualProvisions`.
//! The two decimals are returned as the SDK returns them: their atomics as ASCII bytes
//! (cosmjs reads them with `Decimal.fromAtomics(…, 18)`).

use cosmos_sdk_proto::cosmos::mint::v1beta1::{self as pb, query_server::Query};
use pol_component::query::{internal, snapshot_for};
use pol_store::Storage;
use tonic::{Request, Response, Status};

use crate::MintRead;

#[derive(Clone)]
pub struct MintQuery {
    storage: Storage,
}

impl MintQuery {
    pub fn new(storage: Storage) -> Self {
        MintQuery { storage }
    }
}

#[tonic::async_trait]
impl Query for MintQuery {
    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let params = snapshot.mint_params().map_err(internal)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(params.to_proto()),
        }))
    }

    async fn inflation(
        &self,
        request: Request<pb::QueryInflationRequest>,
    ) -> Result<Response<pb::QueryInflationResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let minter = snapshot.minter().map_err(internal)?;
        Ok(Response::new(pb::QueryInflationResponse {
            inflation: minter.inflation.atomics_string().into_bytes(),
        }))
    }

    async fn annual_provisions(
        &self,
        request: Request<pb::QueryAnnualProvisionsRequest>,
    ) -> Result<Response<pb::QueryAnnualProvisionsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let minter = snapshot.minter().map_err(internal)?;
        Ok(Response::new(pb::QueryAnnualProvisionsResponse {
            annual_provisions: minter.annual_provisions.atomics_string().into_bytes(),
        }))
    }
}
