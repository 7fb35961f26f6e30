//! `cosmos.bank.v1beta1.Query`, unchanged.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{self as pb, query_server::Query};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_component::coins::{validate_denom, Coin};
use pol_component::query::{internal, paginate, snapshot_for};
use pol_component::Address;
use pol_store::Storage;
use prost::Message;
use tonic::{Request, Response, Status};

use crate::{state_key, BankRead};

/// The bank query service over committed state.
#[derive(Clone)]
pub struct BankQuery {
    storage: Storage,
}

impl BankQuery {
    pub fn new(storage: Storage) -> Self {
        BankQuery { storage }
    }
}

fn parse_address(s: &str) -> Result<Address, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument(
            "empty address string is not allowed",
        ));
    }
    Address::parse(s).map_err(|e| Status::invalid_argument(e.log))
}

fn check_denom(d: &str) -> Result<(), Status> {
    if d.is_empty() {
        return Err(Status::invalid_argument("invalid denom"));
    }
    validate_denom(d).map_err(|e| Status::invalid_argument(e.log))
}

fn decode_coins(entries: Vec<(Vec<u8>, Vec<u8>)>) -> Result<Vec<ProtoCoin>, Status> {
    entries
        .into_iter()
        .map(|(_, v)| ProtoCoin::decode(v.as_slice()).map_err(internal))
        .collect()
}

fn pol_only(what: &str) -> Status {
    Status::unimplemented(format!(
        "{what} is not kept by pol (no denom metadata or send-enabled overrides)"
    ))
}

#[tonic::async_trait]
impl Query for BankQuery {
    async fn balance(
        &self,
        request: Request<pb::QueryBalanceRequest>,
    ) -> Result<Response<pb::QueryBalanceResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let addr = parse_address(&r.address)?;
        check_denom(&r.denom)?;
        let amount = snapshot.balance(&addr, &r.denom).map_err(internal)?;
        Ok(Response::new(pb::QueryBalanceResponse {
            balance: Some(Coin::new(r.denom.clone(), amount).to_proto()),
        }))
    }

    async fn all_balances(
        &self,
        request: Request<pb::QueryAllBalancesRequest>,
    ) -> Result<Response<pb::QueryAllBalancesResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let addr = parse_address(&r.address)?;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::balances_of(&addr),
            r.pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryAllBalancesResponse {
            balances: decode_coins(entries)?,
            pagination: Some(page),
        }))
    }

    async fn spendable_balances(
        &self,
        request: Request<pb::QuerySpendableBalancesRequest>,
    ) -> Result<Response<pb::QuerySpendableBalancesResponse>, Status> {
        // pol has no vesting or locked coins: everything held is spendable.
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let addr = parse_address(&r.address)?;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::balances_of(&addr),
            r.pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QuerySpendableBalancesResponse {
            balances: decode_coins(entries)?,
            pagination: Some(page),
        }))
    }

    async fn spendable_balance_by_denom(
        &self,
        request: Request<pb::QuerySpendableBalanceByDenomRequest>,
    ) -> Result<Response<pb::QuerySpendableBalanceByDenomResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let addr = parse_address(&r.address)?;
        check_denom(&r.denom)?;
        let amount = snapshot.balance(&addr, &r.denom).map_err(internal)?;
        Ok(Response::new(pb::QuerySpendableBalanceByDenomResponse {
            balance: Some(Coin::new(r.denom.clone(), amount).to_proto()),
        }))
    }

    async fn total_supply(
        &self,
        request: Request<pb::QueryTotalSupplyRequest>,
    ) -> Result<Response<pb::QueryTotalSupplyResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let (entries, page) = paginate(
            &snapshot,
            state_key::SUPPLY_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryTotalSupplyResponse {
            supply: decode_coins(entries)?,
            pagination: Some(page),
        }))
    }

    async fn supply_of(
        &self,
        request: Request<pb::QuerySupplyOfRequest>,
    ) -> Result<Response<pb::QuerySupplyOfResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let denom = &request.get_ref().denom;
        check_denom(denom)?;
        let amount = snapshot.supply_of(denom).map_err(internal)?;
        Ok(Response::new(pb::QuerySupplyOfResponse {
            amount: Some(Coin::new(denom.clone(), amount).to_proto()),
        }))
    }

    async fn params(
        &self,
        _request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        #[allow(deprecated)]
        let params = pb::Params {
            send_enabled: Vec::new(),
            default_send_enabled: true,
        };
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(params),
        }))
    }

    async fn denom_metadata(
        &self,
        request: Request<pb::QueryDenomMetadataRequest>,
    ) -> Result<Response<pb::QueryDenomMetadataResponse>, Status> {
        Err(Status::not_found(format!(
            "client metadata for denom {} not found",
            request.get_ref().denom
        )))
    }

    async fn denom_metadata_by_query_string(
        &self,
        request: Request<pb::QueryDenomMetadataByQueryStringRequest>,
    ) -> Result<Response<pb::QueryDenomMetadataByQueryStringResponse>, Status> {
        Err(Status::not_found(format!(
            "client metadata for denom {} not found",
            request.get_ref().denom
        )))
    }

    async fn denoms_metadata(
        &self,
        _request: Request<pb::QueryDenomsMetadataRequest>,
    ) -> Result<Response<pb::QueryDenomsMetadataResponse>, Status> {
        Ok(Response::new(pb::QueryDenomsMetadataResponse {
            metadatas: Vec::new(),
            pagination: None,
        }))
    }

    async fn denom_owners(
        &self,
        _request: Request<pb::QueryDenomOwnersRequest>,
    ) -> Result<Response<pb::QueryDenomOwnersResponse>, Status> {
        Err(pol_only("DenomOwners"))
    }

    async fn denom_owners_by_query(
        &self,
        _request: Request<pb::QueryDenomOwnersByQueryRequest>,
    ) -> Result<Response<pb::QueryDenomOwnersByQueryResponse>, Status> {
        Err(pol_only("DenomOwnersByQuery"))
    }

    async fn send_enabled(
        &self,
        _request: Request<pb::QuerySendEnabledRequest>,
    ) -> Result<Response<pb::QuerySendEnabledResponse>, Status> {
        Ok(Response::new(pb::QuerySendEnabledResponse {
            send_enabled: Vec::new(),
            pagination: None,
        }))
    }
}
