//! `cosmos.bank.v1beta1.Query`, unchanged.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{self as pb, query_server::Query};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
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

    /// One denom's balance at the request's height (zero when absent, as in Cosmos).
    fn one_balance<T>(
        &self,
        request: &Request<T>,
        address: &str,
        denom: &str,
    ) -> Result<ProtoCoin, Status> {
        let snapshot = snapshot_for(&self.storage, request)?;
        let addr = parse_address(address)?;
        check_denom(denom)?;
        let amount = snapshot.balance(&addr, denom).map_err(internal)?;
        Ok(Coin::new(denom, amount).to_proto())
    }

    /// One page of an address's balances at the request's height.
    fn balances_page<T>(
        &self,
        request: &Request<T>,
        address: &str,
        page: Option<&PageRequest>,
    ) -> Result<(Vec<ProtoCoin>, PageResponse), Status> {
        let snapshot = snapshot_for(&self.storage, request)?;
        let addr = parse_address(address)?;
        let (entries, page) = paginate(&snapshot, &state_key::balances_of(&addr), page)?;
        Ok((decode_coins(entries)?, page))
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
        let r = request.get_ref();
        let balance = Some(self.one_balance(&request, &r.address, &r.denom)?);
        Ok(Response::new(pb::QueryBalanceResponse { balance }))
    }

    async fn all_balances(
        &self,
        request: Request<pb::QueryAllBalancesRequest>,
    ) -> Result<Response<pb::QueryAllBalancesResponse>, Status> {
        let r = request.get_ref();
        let (balances, page) = self.balances_page(&request, &r.address, r.pagination.as_ref())?;
        Ok(Response::new(pb::QueryAllBalancesResponse {
            balances,
            pagination: Some(page),
        }))
    }

    // pol has no vesting or locked coins: everything held is spendable.
    async fn spendable_balances(
        &self,
        request: Request<pb::QuerySpendableBalancesRequest>,
    ) -> Result<Response<pb::QuerySpendableBalancesResponse>, Status> {
        let r = request.get_ref();
        let (balances, page) = self.balances_page(&request, &r.address, r.pagination.as_ref())?;
        Ok(Response::new(pb::QuerySpendableBalancesResponse {
            balances,
            pagination: Some(page),
        }))
    }

    async fn spendable_balance_by_denom(
        &self,
        request: Request<pb::QuerySpendableBalanceByDenomRequest>,
    ) -> Result<Response<pb::QuerySpendableBalanceByDenomResponse>, Status> {
        let r = request.get_ref();
        let balance = Some(self.one_balance(&request, &r.address, &r.denom)?);
        Ok(Response::new(pb::QuerySpendableBalanceByDenomResponse {
            balance,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BankWrite;
    use pol_store::{Changeset, StateDelta, StorageConfig};

    fn storage_with(dir: &std::path::Path, holder: Address, denoms: &[&str]) -> Storage {
        let storage = Storage::open(dir, StorageConfig { keep_recent: 0 }).unwrap();
        let mut state = StateDelta::new(storage.latest_snapshot());
        for (i, d) in denoms.iter().enumerate() {
            state
                .mint(&holder, &[Coin::new(*d, 10 + i as u128)])
                .unwrap();
        }
        let p = storage
            .prepare(
                1,
                Changeset {
                    writes: state.into_writes(),
                    ..Default::default()
                },
            )
            .unwrap();
        storage.commit(p).unwrap();
        storage
    }

    #[tokio::test]
    async fn all_balances_paginates_by_key_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let holder = Address([3; 20]);
        let denoms = ["uaaa", "ubbb", "uccc", "uddd", "upol"];
        let q = BankQuery::new(storage_with(dir.path(), holder, &denoms));
        let page = |key: Vec<u8>, offset: u64, count_total: bool| pb::QueryAllBalancesRequest {
            address: holder.to_string(),
            pagination: Some(PageRequest {
                key,
                offset,
                limit: 2,
                count_total,
                reverse: false,
            }),
            resolve_denom: false,
        };
        let mut seen = Vec::new();
        let mut key = Vec::new();
        loop {
            let r = q
                .all_balances(Request::new(page(key, 0, seen.is_empty())))
                .await
                .unwrap()
                .into_inner();
            let p = r.pagination.unwrap();
            if seen.is_empty() {
                assert_eq!(p.total, 5);
            }
            seen.extend(r.balances.into_iter().map(|c| c.denom));
            if p.next_key.is_empty() {
                break;
            }
            key = p.next_key;
        }
        assert_eq!(seen, denoms);
        let r = q
            .all_balances(Request::new(page(Vec::new(), 3, false)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            r.balances
                .iter()
                .map(|c| c.denom.as_str())
                .collect::<Vec<_>>(),
            ["uddd", "upol"]
        );
        let r = q
            .all_balances(Request::new(page(Vec::new(), 9, true)))
            .await
            .unwrap()
            .into_inner();
        assert!(r.balances.is_empty());

        // Bad input is a clear status, not a panic.
        let bad = pb::QueryAllBalancesRequest {
            address: "cosmos1xyz".into(),
            ..Default::default()
        };
        assert_eq!(
            q.all_balances(Request::new(bad)).await.unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
        let both = pb::QueryAllBalancesRequest {
            pagination: Some(PageRequest {
                key: vec![1],
                offset: 1,
                ..Default::default()
            }),
            ..page(Vec::new(), 0, false)
        };
        assert_eq!(
            q.all_balances(Request::new(both)).await.unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
        let mut at_future = Request::new(page(Vec::new(), 0, false));
        at_future
            .metadata_mut()
            .insert(pol_component::query::HEIGHT_METADATA, "99".parse().unwrap());
        assert_eq!(
            q.all_balances(at_future).await.unwrap_err().code(),
            tonic::Code::NotFound
        );
        let one = q
            .balance(Request::new(pb::QueryBalanceRequest {
                address: holder.to_string(),
                denom: "upol".into(),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(one.balance.unwrap().amount, "14");
    }
}
