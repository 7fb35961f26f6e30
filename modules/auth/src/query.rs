//! `cosmos.auth.v1beta1.Query`, unchanged, so cosmjs/cosmpy/Keplr read pol accounts as-is.

use cosmos_sdk_proto::cosmos::auth::v1beta1::{self as pb, query_server::Query, BaseAccount};
use pol_component::query::{internal, paginate, snapshot_for};
use pol_component::{Address, ADDRESS_PREFIX};
use pol_store::Storage;
use prost::Message;
use tendermint_proto::google::protobuf::Any;
use tonic::{Request, Response, Status};

use crate::AuthRead;

/// The auth query service over committed state.
#[derive(Clone)]
pub struct AuthQuery {
    storage: Storage,
}

impl AuthQuery {
    pub fn new(storage: Storage) -> Self {
        AuthQuery { storage }
    }
}

fn account_any(acc: &BaseAccount) -> Any {
    Any {
        type_url: crate::BASE_ACCOUNT_TYPE_URL.to_string(),
        value: acc.encode_to_vec(),
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

fn unsupported(what: &str) -> Status {
    Status::unimplemented(format!(
        "{what}: pol has no module accounts with permissions to list"
    ))
}

#[tonic::async_trait]
impl Query for AuthQuery {
    async fn accounts(
        &self,
        request: Request<pb::QueryAccountsRequest>,
    ) -> Result<Response<pb::QueryAccountsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let (entries, page) = paginate(
            &snapshot,
            crate::state_key::ACCOUNT_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        let accounts = entries
            .iter()
            .map(|(_, v)| BaseAccount::decode(v.as_slice()).map(|a| account_any(&a)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(internal)?;
        Ok(Response::new(pb::QueryAccountsResponse {
            accounts,
            pagination: Some(page),
        }))
    }

    async fn account(
        &self,
        request: Request<pb::QueryAccountRequest>,
    ) -> Result<Response<pb::QueryAccountResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let addr = parse_address(&request.get_ref().address)?;
        match snapshot.account(&addr).map_err(internal)? {
            Some(acc) => Ok(Response::new(pb::QueryAccountResponse {
                account: Some(account_any(&acc)),
            })),
            None => Err(Status::not_found(format!("account {addr} not found"))),
        }
    }

    async fn account_address_by_id(
        &self,
        request: Request<pb::QueryAccountAddressByIdRequest>,
    ) -> Result<Response<pb::QueryAccountAddressByIdResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        #[allow(deprecated)]
        let id = if r.account_id != 0 {
            r.account_id
        } else {
            u64::try_from(r.id).map_err(|_| Status::invalid_argument("id must be non-negative"))?
        };
        match snapshot.account_by_number(id).map_err(internal)? {
            Some(addr) => Ok(Response::new(pb::QueryAccountAddressByIdResponse {
                account_address: addr.to_string(),
            })),
            None => Err(Status::not_found(format!("account number {id} not found"))),
        }
    }

    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let params = snapshot.auth_params().map_err(internal)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(params.to_proto()),
        }))
    }

    async fn module_accounts(
        &self,
        _request: Request<pb::QueryModuleAccountsRequest>,
    ) -> Result<Response<pb::QueryModuleAccountsResponse>, Status> {
        Err(unsupported("ModuleAccounts"))
    }

    async fn module_account_by_name(
        &self,
        _request: Request<pb::QueryModuleAccountByNameRequest>,
    ) -> Result<Response<pb::QueryModuleAccountByNameResponse>, Status> {
        Err(unsupported("ModuleAccountByName"))
    }

    async fn bech32_prefix(
        &self,
        _request: Request<pb::Bech32PrefixRequest>,
    ) -> Result<Response<pb::Bech32PrefixResponse>, Status> {
        Ok(Response::new(pb::Bech32PrefixResponse {
            bech32_prefix: ADDRESS_PREFIX.to_string(),
        }))
    }

    async fn address_bytes_to_string(
        &self,
        request: Request<pb::AddressBytesToStringRequest>,
    ) -> Result<Response<pb::AddressBytesToStringResponse>, Status> {
        let addr = Address::from_slice(&request.get_ref().address_bytes)
            .ok_or_else(|| Status::invalid_argument("address must be 20 bytes"))?;
        Ok(Response::new(pb::AddressBytesToStringResponse {
            address_string: addr.to_string(),
        }))
    }

    async fn address_string_to_bytes(
        &self,
        request: Request<pb::AddressStringToBytesRequest>,
    ) -> Result<Response<pb::AddressStringToBytesResponse>, Status> {
        let addr = parse_address(&request.get_ref().address_string)?;
        Ok(Response::new(pb::AddressStringToBytesResponse {
            address_bytes: addr.as_bytes().to_vec(),
        }))
    }

    async fn account_info(
        &self,
        request: Request<pb::QueryAccountInfoRequest>,
    ) -> Result<Response<pb::QueryAccountInfoResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let addr = parse_address(&request.get_ref().address)?;
        match snapshot.account(&addr).map_err(internal)? {
            Some(info) => Ok(Response::new(pb::QueryAccountInfoResponse {
                info: Some(info),
            })),
            None => Err(Status::not_found(format!("account {addr} not found"))),
        }
    }
}
