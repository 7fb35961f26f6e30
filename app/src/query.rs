//! ABCI `Query`: the gRPC `Query` services on their Cosmos paths (`/<package>.Query/<Method>`),
//! raw state with ICS23 proofs on `/store/key`, and `/app/version`.
//!
//! Each gRPC path runs the very same service implementation the tonic server runs, so the
//! two transports cannot disagree.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use cosmos_sdk_proto::cosmos::auth::v1beta1::query_server::Query as AuthQueryTrait;
use cosmos_sdk_proto::cosmos::bank::v1beta1::query_server::Query as BankQueryTrait;
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_server::Service as TxServiceTrait;
use pol_auth::query::AuthQuery;
use pol_bank::query::BankQuery;
use pol_component::query::HEIGHT_METADATA;
use pol_store::Storage;
use prost::Message;
use tendermint_proto::v0_38::abci::{RequestQuery, ResponseQuery};
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};
use tonic::{Code, Status};

/// ABCI path of raw state queries: `data` is the key.
pub const STORE_PATH: &str = "/store/key";
/// Proof op type of the ICS23 proofs we return.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

type Handler = Arc<
    dyn Fn(Vec<u8>, u64) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, Status>> + Send>>
        + Send
        + Sync,
>;

/// Maps ABCI query paths to service methods.
#[derive(Clone)]
pub struct QueryRouter {
    routes: Arc<BTreeMap<&'static str, Handler>>,
    runtime: tokio::runtime::Handle,
}

/// Register `/<service>/<Method>` → `svc.method(request)`.
macro_rules! route {
    ($routes:ident, $svc:expr, $path:literal, $method:ident, $req:ty) => {{
        let svc = $svc.clone();
        let handler: Handler = Arc::new(move |bytes: Vec<u8>, height: u64| {
            let svc = svc.clone();
            Box::pin(async move {
                let msg = <$req>::decode(bytes.as_slice()).map_err(|e| {
                    Status::invalid_argument(format!("request does not decode: {e}"))
                })?;
                let mut request = tonic::Request::new(msg);
                if height > 0 {
                    if let Ok(v) = height.to_string().parse() {
                        request.metadata_mut().insert(HEIGHT_METADATA, v);
                    }
                }
                let response = svc.$method(request).await?;
                Ok(response.into_inner().encode_to_vec())
            })
        });
        $routes.insert($path, handler);
    }};
}

impl QueryRouter {
    pub fn new(storage: &Storage, runtime: tokio::runtime::Handle) -> Self {
        use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth;
        use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank;
        let a = AuthQuery::new(storage.clone());
        let b = BankQuery::new(storage.clone());
        let mut r: BTreeMap<&'static str, Handler> = BTreeMap::new();
        route!(
            r,
            a,
            "/cosmos.auth.v1beta1.Query/Account",
            account,
            auth::QueryAccountRequest
        );
        route!(
            r,
            a,
            "/cosmos.auth.v1beta1.Query/Accounts",
            accounts,
            auth::QueryAccountsRequest
        );
        route!(
            r,
            a,
            "/cosmos.auth.v1beta1.Query/AccountInfo",
            account_info,
            auth::QueryAccountInfoRequest
        );
        route!(
            r,
            a,
            "/cosmos.auth.v1beta1.Query/AccountAddressByID",
            account_address_by_id,
            auth::QueryAccountAddressByIdRequest
        );
        route!(
            r,
            a,
            "/cosmos.auth.v1beta1.Query/Params",
            params,
            auth::QueryParamsRequest
        );
        route!(
            r,
            a,
            "/cosmos.auth.v1beta1.Query/Bech32Prefix",
            bech32_prefix,
            auth::Bech32PrefixRequest
        );
        route!(
            r,
            a,
            "/cosmos.auth.v1beta1.Query/AddressBytesToString",
            address_bytes_to_string,
            auth::AddressBytesToStringRequest
        );
        route!(
            r,
            a,
            "/cosmos.auth.v1beta1.Query/AddressStringToBytes",
            address_string_to_bytes,
            auth::AddressStringToBytesRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/Balance",
            balance,
            bank::QueryBalanceRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/AllBalances",
            all_balances,
            bank::QueryAllBalancesRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/SpendableBalances",
            spendable_balances,
            bank::QuerySpendableBalancesRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom",
            spendable_balance_by_denom,
            bank::QuerySpendableBalanceByDenomRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/TotalSupply",
            total_supply,
            bank::QueryTotalSupplyRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/SupplyOf",
            supply_of,
            bank::QuerySupplyOfRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/Params",
            params,
            bank::QueryParamsRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/DenomsMetadata",
            denoms_metadata,
            bank::QueryDenomsMetadataRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/DenomMetadata",
            denom_metadata,
            bank::QueryDenomMetadataRequest
        );
        route!(
            r,
            b,
            "/cosmos.bank.v1beta1.Query/SendEnabled",
            send_enabled,
            bank::QuerySendEnabledRequest
        );
        {
            use pol_staking::pb;
            use pol_staking::pb::query_server::Query as _;
            let st = pol_staking::StakingQuery::new(storage.clone());
            route!(
                r,
                st,
                "/pol.staking.v1.Query/Validator",
                validator,
                pb::QueryValidatorRequest
            );
            route!(
                r,
                st,
                "/pol.staking.v1.Query/Validators",
                validators,
                pb::QueryValidatorsRequest
            );
            route!(
                r,
                st,
                "/pol.staking.v1.Query/Delegation",
                delegation,
                pb::QueryDelegationRequest
            );
            route!(
                r,
                st,
                "/pol.staking.v1.Query/DelegatorDelegations",
                delegator_delegations,
                pb::QueryDelegatorDelegationsRequest
            );
            route!(
                r,
                st,
                "/pol.staking.v1.Query/ValidatorDelegations",
                validator_delegations,
                pb::QueryValidatorDelegationsRequest
            );
            route!(
                r,
                st,
                "/pol.staking.v1.Query/UnbondingDelegations",
                unbonding_delegations,
                pb::QueryUnbondingDelegationsRequest
            );
            route!(
                r,
                st,
                "/pol.staking.v1.Query/Params",
                params,
                pb::QueryParamsRequest
            );
            route!(
                r,
                st,
                "/pol.staking.v1.Query/Pool",
                pool,
                pb::QueryPoolRequest
            );
        }
        {
            use pol_inference::pb;
            use pol_inference::pb::query_server::Query as _;
            let inf = pol_inference::InferenceQuery::new(storage.clone());
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Params",
                params,
                pb::QueryParamsRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Architecture",
                architecture,
                pb::QueryArchitectureRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Architectures",
                architectures,
                pb::QueryArchitecturesRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Model",
                model,
                pb::QueryModelRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Models",
                models,
                pb::QueryModelsRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Provider",
                provider,
                pb::QueryProviderRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Providers",
                providers,
                pb::QueryProvidersRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Obligation",
                obligation,
                pb::QueryObligationRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Obligations",
                obligations,
                pb::QueryObligationsRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Attestations",
                attestations,
                pb::QueryAttestationsRequest
            );
            route!(
                r,
                inf,
                "/pol.inference.v1.Query/Faults",
                faults,
                pb::QueryFaultsRequest
            );
        }
        {
            use pol_latency::pb;
            use pol_latency::pb::query_server::Query as _;
            let lat = pol_latency::LatencyQuery::new(storage.clone());
            route!(
                r,
                lat,
                "/pol.latency.v1.Query/Params",
                params,
                pb::QueryParamsRequest
            );
            route!(
                r,
                lat,
                "/pol.latency.v1.Query/Aggregate",
                aggregate,
                pb::QueryAggregateRequest
            );
            route!(
                r,
                lat,
                "/pol.latency.v1.Query/History",
                history,
                pb::QueryHistoryRequest
            );
            route!(
                r,
                lat,
                "/pol.latency.v1.Query/Measurers",
                measurers,
                pb::QueryMeasurersRequest
            );
            route!(
                r,
                lat,
                "/pol.latency.v1.Query/Route",
                route,
                pb::QueryRouteRequest
            );
        }
        {
            use pol_sla::pb;
            use pol_sla::pb::query_server::Query as _;
            let sla = pol_sla::SlaQuery::new(storage.clone());
            route!(
                r,
                sla,
                "/pol.sla.v1.Query/Params",
                params,
                pb::QueryParamsRequest
            );
            route!(
                r,
                sla,
                "/pol.sla.v1.Query/Violations",
                violations,
                pb::QueryViolationsRequest
            );
            route!(
                r,
                sla,
                "/pol.sla.v1.Query/ProviderStatus",
                provider_status,
                pb::QueryProviderStatusRequest
            );
        }
        {
            use pol_reputation::pb;
            use pol_reputation::pb::query_server::Query as _;
            let rep = pol_reputation::ReputationQuery::new(storage.clone());
            route!(
                r,
                rep,
                "/pol.reputation.v1.Query/Params",
                params,
                pb::QueryParamsRequest
            );
            route!(
                r,
                rep,
                "/pol.reputation.v1.Query/ProviderReputation",
                provider_reputation,
                pb::QueryProviderReputationRequest
            );
            route!(
                r,
                rep,
                "/pol.reputation.v1.Query/ProviderReputations",
                provider_reputations,
                pb::QueryProviderReputationsRequest
            );
            route!(
                r,
                rep,
                "/pol.reputation.v1.Query/ValidatorReputation",
                validator_reputation,
                pb::QueryValidatorReputationRequest
            );
            route!(
                r,
                rep,
                "/pol.reputation.v1.Query/ValidatorReputations",
                validator_reputations,
                pb::QueryValidatorReputationsRequest
            );
        }
        // The state-only methods of the tx service: cosmjs simulates over abci_query.
        {
            use cosmos_sdk_proto::cosmos::tx::v1beta1 as txs;
            let t = Arc::new(crate::services::tx::TxService::state_only(storage.clone()));
            route!(
                r,
                t,
                "/cosmos.tx.v1beta1.Service/Simulate",
                simulate,
                txs::SimulateRequest
            );
            route!(
                r,
                t,
                "/cosmos.tx.v1beta1.Service/TxDecode",
                tx_decode,
                txs::TxDecodeRequest
            );
            route!(
                r,
                t,
                "/cosmos.tx.v1beta1.Service/TxEncode",
                tx_encode,
                txs::TxEncodeRequest
            );
        }
        QueryRouter {
            routes: Arc::new(r),
            runtime,
        }
    }

    pub fn paths(&self) -> impl Iterator<Item = &&'static str> {
        self.routes.keys()
    }

    pub fn handle(&self, storage: &Storage, req: RequestQuery) -> ResponseQuery {
        let height = match u64::try_from(req.height) {
            Ok(h) => h,
            Err(_) => {
                return status_response(
                    Status::invalid_argument("height must not be negative"),
                    req.height,
                )
            }
        };
        match req.path.as_str() {
            "/app/version" => ResponseQuery {
                value: env!("CARGO_PKG_VERSION").as_bytes().to_vec().into(),
                height: storage.latest_version().unwrap_or(0) as i64,
                ..Default::default()
            },
            STORE_PATH => store_query(storage, &req.data, height, req.prove),
            path => match self.routes.get(path) {
                Some(handler) => {
                    let resolved = if height == 0 {
                        storage.latest_version().unwrap_or(0)
                    } else {
                        height
                    };
                    // Query connections run on plain threads, so blocking on the runtime is fine.
                    match self.runtime.block_on(handler(req.data.to_vec(), resolved)) {
                        Ok(value) => ResponseQuery {
                            value: value.into(),
                            height: resolved as i64,
                            ..Default::default()
                        },
                        Err(status) => status_response(status, resolved as i64),
                    }
                }
                None => status_response(
                    Status::unimplemented(format!("unknown query path {path}")),
                    req.height,
                ),
            },
        }
    }
}

fn store_query(storage: &Storage, key: &[u8], height: u64, prove: bool) -> ResponseQuery {
    let snapshot = if height == 0 {
        Ok(storage.latest_snapshot())
    } else {
        storage.snapshot(height)
    };
    let snapshot = match snapshot {
        Ok(s) => s,
        Err(e) => {
            return status_response(
                Status::not_found(format!("height {height} is not available: {e}")),
                height as i64,
            )
        }
    };
    let version = snapshot.version().unwrap_or(0) as i64;
    let (value, proof) = match snapshot.get_with_proof(key) {
        Ok(v) => v,
        Err(e) => return status_response(Status::internal(e.to_string()), version),
    };
    ResponseQuery {
        key: key.to_vec().into(),
        value: value.unwrap_or_default().into(),
        height: version,
        proof_ops: prove.then(|| ProofOps {
            ops: vec![ProofOp {
                r#type: PROOF_OP_TYPE.into(),
                key: key.to_vec(),
                data: proof.encode_to_vec(),
            }],
        }),
        ..Default::default()
    }
}

/// A failed query, in the shape Cosmos clients parse: `rpc error: code = X desc = …`.
fn status_response(status: Status, height: i64) -> ResponseQuery {
    let code = match status.code() {
        Code::NotFound => 38,
        Code::InvalidArgument => 18,
        Code::Unimplemented => 6,
        _ => 1,
    };
    ResponseQuery {
        code,
        codespace: "sdk".into(),
        log: format!(
            "rpc error: code = {:?} desc = {}",
            status.code(),
            status.message()
        ),
        height,
        ..Default::default()
    }
}
