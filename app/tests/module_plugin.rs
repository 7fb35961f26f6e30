//! A module plugged in through the module trait alone: a test-only `counter` module (its
//! genesis, one message, an event, a gRPC query service with its descriptors, a module
//! account) is added to pol's modules with one line (`Modules::pol().with(&CounterModule)`)
//! and driven through the real app: InitChain from its genesis → a signed tx with its
//! message in FinalizeBlock → its event → its query on gRPC and on the ABCI path → its
//! export, which InitChain reproduces.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use pol_app::app::{App, NodeSettings};
use pol_app::export::{export_from_storage, ExportOptions};
use pol_app::modules::Modules;
use pol_app::query::QueryRouter;
use pol_client::{sign_tx, SendTx, SignerKey};
use pol_component::coins::Coin;
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, MsgHandler};
use pol_component::query::snapshot_for;
use pol_component::{Address, BlockContext, Event, Module, ModuleGenesis, ModuleMsg, TxError};
use pol_store::{StateRead, StateWrite, Storage, StorageConfig};
use prost::Message;
use serde::{Deserialize, Serialize};
use tendermint_abci::Application;
use tendermint_proto::google::protobuf::Any;
use tendermint_proto::v0_38::abci::*;
use tonic::service::RoutesBuilder;

const CHAIN: &str = "pol-plugin-1";
const COUNT_KEY: &[u8] = b"counter/count";
const MSG_INCREMENT: &str = "/pol.counter.v1.MsgIncrement";
const QUERY_SERVICE: &str = "pol.counter.v1.Query";
const COUNT_PATH: &str = "/pol.counter.v1.Query/Count";

#[derive(Clone, PartialEq, Message)]
struct MsgIncrement {
    #[prost(string, tag = "1")]
    signer: String,
    #[prost(uint64, tag = "2")]
    by: u64,
}

#[derive(Clone, PartialEq, Message)]
struct MsgIncrementResponse {
    #[prost(uint64, tag = "1")]
    count: u64,
}

#[derive(Clone, PartialEq, Message)]
struct QueryCountRequest {}

#[derive(Clone, PartialEq, Message)]
struct QueryCountResponse {
    #[prost(uint64, tag = "1")]
    count: u64,
}

fn count(state: &(impl StateRead + ?Sized)) -> Result<u64, TxError> {
    let raw = state.get_raw(COUNT_KEY)?.unwrap_or_else(|| vec![0; 8]);
    let bytes: [u8; 8] = raw
        .try_into()
        .map_err(|_| TxError::INTERNAL("counter: stored count"))?;
    Ok(u64::from_be_bytes(bytes))
}

/// The `counter` genesis: where the count starts (an export writes the current count).
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct CounterGenesis {
    start: u64,
}

impl ModuleGenesis for CounterGenesis {
    const MODULE: &'static str = "counter";

    fn validate(&self) -> Result<(), String> {
        if self.start > 1_000_000 {
            return Err("counter genesis: start above 1000000".into());
        }
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        state.put_raw(COUNT_KEY.to_vec(), self.start.to_be_bytes().to_vec());
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        Ok(CounterGenesis {
            start: count(state)?,
        })
    }
}

fn signer(m: &MsgIncrement) -> Result<Address, TxError> {
    Address::parse(&m.signer)
}

fn increment<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgIncrement,
) -> Result<(MsgIncrementResponse, Vec<Event>), TxError> {
    let count = count(state)?
        .checked_add(m.by)
        .ok_or_else(|| TxError::INVALID_REQUEST("counter overflows"))?;
    state.put_raw(COUNT_KEY.to_vec(), count.to_be_bytes().to_vec());
    let event = Event::new("counter_incremented").attr("count", count.to_string());
    Ok((MsgIncrementResponse { count }, vec![event]))
}

static INCREMENT: MsgHandler<MsgIncrement> = pol_component::msg_handler!(
    MSG_INCREMENT,
    "/pol.counter.v1.MsgIncrementResponse",
    signer,
    increment
);

struct CounterModule;

impl Module for CounterModule {
    fn name(&self) -> &'static str {
        "counter"
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<CounterGenesis>::HANDLER)
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        (any.type_url == MSG_INCREMENT).then(|| decode_msg_as(any, &INCREMENT))
    }

    fn query_services(&self) -> &'static [&'static str] {
        &[QUERY_SERVICE]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(CounterQuery {
            storage: storage.clone(),
        });
    }

    fn file_descriptor_sets(&self) -> &'static [&'static [u8]] {
        static SETS: OnceLock<[&'static [u8]; 1]> = OnceLock::new();
        SETS.get_or_init(|| [Vec::leak(descriptor_set())])
    }

    fn blocked_accounts(&self) -> Vec<Address> {
        vec![Address::module("counter")]
    }
}

/// What `protoc` would make of `pol/counter/v1/query.proto`.
fn descriptor_set() -> Vec<u8> {
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{
        DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
        MethodDescriptorProto, ServiceDescriptorProto,
    };
    let message = |name: &str, field: Option<(&str, Type)>| DescriptorProto {
        name: Some(name.into()),
        field: field
            .into_iter()
            .map(|(f, t)| FieldDescriptorProto {
                name: Some(f.into()),
                number: Some(1),
                label: Some(Label::Optional as i32),
                r#type: Some(t as i32),
                json_name: Some(f.into()),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    FileDescriptorSet {
        file: vec![FileDescriptorProto {
            name: Some("pol/counter/v1/query.proto".into()),
            package: Some("pol.counter.v1".into()),
            message_type: vec![
                message("QueryCountRequest", None),
                message("QueryCountResponse", Some(("count", Type::Uint64))),
            ],
            service: vec![ServiceDescriptorProto {
                name: Some("Query".into()),
                method: vec![MethodDescriptorProto {
                    name: Some("Count".into()),
                    input_type: Some(".pol.counter.v1.QueryCountRequest".into()),
                    output_type: Some(".pol.counter.v1.QueryCountResponse".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            syntax: Some("proto3".into()),
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// `pol.counter.v1.Query`, written as tonic's generated servers are.
#[derive(Clone)]
struct CounterQuery {
    storage: Storage,
}

impl tonic::server::NamedService for CounterQuery {
    const NAME: &'static str = QUERY_SERVICE;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl tonic::server::UnaryService<QueryCountRequest> for CounterQuery {
    type Response = QueryCountResponse;
    type Future = BoxFuture<Result<tonic::Response<QueryCountResponse>, tonic::Status>>;

    fn call(&mut self, request: tonic::Request<QueryCountRequest>) -> Self::Future {
        let storage = self.storage.clone();
        Box::pin(async move {
            let snapshot = snapshot_for(&storage, &request)?;
            let count = count(&snapshot).map_err(|e| tonic::Status::internal(e.log))?;
            Ok(tonic::Response::new(QueryCountResponse { count }))
        })
    }
}

impl tower::Service<http::Request<tonic::body::Body>> for CounterQuery {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let service = self.clone();
        Box::pin(async move {
            if request.uri().path() != COUNT_PATH {
                return Ok(tonic::Status::unimplemented("no such method").into_http());
            }
            let codec =
                tonic::codec::ProstCodec::<QueryCountResponse, QueryCountRequest>::default();
            Ok(tonic::server::Grpc::new(codec)
                .unary(service, request)
                .await)
        })
    }
}

fn finalize(app: &App, height: i64, txs: Vec<Vec<u8>>) -> ResponseFinalizeBlock {
    let r = app.finalize_block(RequestFinalizeBlock {
        txs: txs.into_iter().map(Into::into).collect(),
        height,
        time: Some(tendermint_proto::google::protobuf::Timestamp {
            seconds: 1_700_000_000 + height,
            nanos: 0,
        }),
        ..Default::default()
    });
    app.commit();
    r
}

fn abci_count(app: &App) -> u64 {
    let r = app.query(RequestQuery {
        path: COUNT_PATH.into(),
        data: QueryCountRequest {}.encode_to_vec().into(),
        ..Default::default()
    });
    assert_eq!(r.code, 0, "{}", r.log);
    QueryCountResponse::decode(r.value.as_ref()).unwrap().count
}

#[test]
fn a_module_added_in_one_line_runs_genesis_messages_events_queries_and_export() {
    // The one line.
    let modules = Modules::pol().with(&CounterModule);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
    let queries = QueryRouter::new(&storage, modules, rt.handle().clone());
    let settings = NodeSettings {
        min_gas_price: None,
        ..Default::default()
    };
    let app = App::new(storage.clone(), modules, settings, queries).unwrap();

    // Genesis: the module's part of app_state is validated and loaded.
    let alice = SignerKey::random();
    let app_state = serde_json::json!({
        "bank": {"balances": [{"address": alice.address().to_string(),
                               "coins": [{"denom": "upol", "amount": "1000000000"}]}]},
        "counter": {"start": 40},
    });
    let doc = serde_json::json!({
        "chain_id": CHAIN,
        "consensus_params": {"block": {"max_bytes": "1048576", "max_gas": "10000000"}},
        "app_state": app_state,
    });
    let init = pol_app::export::init_chain_request(&doc).unwrap();
    let bad = RequestInitChain {
        app_state_bytes: br#"{"counter": {"start": 2000000}}"#.to_vec().into(),
        ..init.clone()
    };
    let err = modules
        .parse_genesis(&bad.app_state_bytes, &Default::default())
        .expect_err("the module's own check runs");
    assert!(err.contains("start above"), "{err}");
    app.init_chain(init);
    // Without the module in the list, its genesis is an unknown module.
    let err = Modules::pol()
        .parse_genesis(
            &serde_json::to_vec(&doc["app_state"]).unwrap(),
            &Default::default(),
        )
        .unwrap_err();
    assert!(err.contains("unknown module `counter`"), "{err}");

    // A message: decoded by the module, signed, run in FinalizeBlock, with its event.
    let msg = MsgIncrement {
        signer: alice.address().to_string(),
        by: 2,
    };
    let any = Any {
        type_url: MSG_INCREMENT.into(),
        value: msg.encode_to_vec(),
    };
    let fee = vec![Coin::new("upol", 100).to_proto()];
    let tx = sign_tx(&alice, vec![any], "", fee.clone(), 200_000, CHAIN, 0, 0);
    // Its module account cannot receive sends, like every module account.
    let send = SendTx {
        to: Address::module("counter"),
        amount: vec![Coin::new("upol", 10).to_proto()],
        fee,
        gas_limit: 200_000,
        memo: String::new(),
        chain_id: CHAIN.into(),
        account_number: 0,
        sequence: 1,
    }
    .sign(&alice);
    let r = finalize(&app, 1, vec![tx, send]);
    assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
    let event = r.tx_results[0]
        .events
        .iter()
        .find(|e| e.r#type == "counter_incremented")
        .expect("the module's event");
    assert_eq!(event.attributes[0].key, "count");
    assert_eq!(event.attributes[0].value, "42");
    assert_ne!(r.tx_results[1].code, 0, "a send to the module account");
    assert!(
        r.tx_results[1].log.contains("not allowed to receive"),
        "{}",
        r.tx_results[1].log
    );

    // Its query, on the ABCI path and on gRPC (both from the one registration).
    assert!(modules.query_paths().contains(COUNT_PATH));
    assert!(!Modules::pol().query_paths().contains(COUNT_PATH));
    assert_eq!(abci_count(&app), 42);
    let grpc_count = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(pol_app::grpc::serve_with_rpc(
            storage.clone(),
            modules,
            addr,
            "http://127.0.0.1:9",
            async {
                let _ = stopped.await;
            },
        ));
        let channel = loop {
            match tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
                .unwrap()
                .connect()
                .await
            {
                Ok(c) => break c,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.unwrap();
        let codec = tonic::codec::ProstCodec::<QueryCountRequest, QueryCountResponse>::default();
        let count = grpc
            .unary(
                tonic::Request::new(QueryCountRequest {}),
                COUNT_PATH.parse().unwrap(),
                codec,
            )
            .await
            .unwrap()
            .into_inner()
            .count;
        let _ = stop.send(());
        server.await.unwrap().unwrap();
        count
    });
    assert_eq!(grpc_count, 42);

    // Export: the module's state comes out as its genesis, and InitChain of the export
    // (with the same modules) reproduces the exported app hash.
    let e = export_from_storage(
        &storage,
        &doc,
        ExportOptions {
            modules,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(e.verified);
    assert_eq!(
        e.genesis["app_state"]["counter"],
        serde_json::json!({"start": 42})
    );
    assert_eq!(e.app_hash.to_vec(), r.app_hash.to_vec());
}
