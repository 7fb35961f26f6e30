//! gRPC server reflection on pold's gRPC server: every service it serves is listed and
//! resolves to descriptors whose methods match what the server answers.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use prost::Message;
use prost_types::FileDescriptorProto;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

/// pold's gRPC server on a free port over a fresh, empty state.
async fn server() -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let storage = pol_store::Storage::open_temporary(Default::default()).expect("state");
    let addr: SocketAddr = format!("127.0.0.1:{}", pol_tests::free_port())
        .parse()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        pol_app::grpc::serve_with_rpc(
            storage,
            pol_app::modules::Modules::pol(),
            addr,
            "http://127.0.0.1:9",
            async {
                let _ = stopped.await;
            },
        )
        .await
        .expect("gRPC server");
    });
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    (addr, stop)
}

/// A channel to a fresh server (stopped when the sender is dropped).
async fn connected() -> (tonic::transport::Channel, tokio::sync::oneshot::Sender<()>) {
    let (addr, stop) = server().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect");
    (channel, stop)
}

async fn list_services(
    client: &mut ServerReflectionClient<tonic::transport::Channel>,
) -> BTreeSet<String> {
    match ask(client, MessageRequest::ListServices(String::new())).await {
        MessageResponse::ListServicesResponse(l) => l.service.into_iter().map(|s| s.name).collect(),
        other => panic!("unexpected answer {other:?}"),
    }
}

async fn ask(
    client: &mut ServerReflectionClient<tonic::transport::Channel>,
    req: MessageRequest,
) -> MessageResponse {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(req),
    };
    let mut stream = client
        .server_reflection_info(futures::stream::iter(vec![request]))
        .await
        .expect("reflection call")
        .into_inner();
    stream
        .message()
        .await
        .expect("reflection stream")
        .expect("one answer")
        .message_response
        .expect("a message response")
}

async fn files_for_symbol(
    client: &mut ServerReflectionClient<tonic::transport::Channel>,
    symbol: &str,
) -> Vec<FileDescriptorProto> {
    match ask(client, MessageRequest::FileContainingSymbol(symbol.into())).await {
        MessageResponse::FileDescriptorResponse(f) => f
            .file_descriptor_proto
            .iter()
            .map(|b| FileDescriptorProto::decode(b.as_slice()).expect("descriptor decodes"))
            .collect(),
        other => panic!("{symbol}: unexpected answer {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reflection_lists_every_service_and_resolves_bank_query() {
    let (channel, _stop) = connected().await;
    let mut client = ServerReflectionClient::new(channel);

    let listed = list_services(&mut client).await;
    for svc in pol_app::services::reflection::SERVICES {
        assert!(listed.contains(*svc), "{svc} not listed in {listed:?}");
    }
    assert!(
        listed.contains("grpc.reflection.v1.ServerReflection"),
        "{listed:?}"
    );
    // Every module's services: every_module_query_method_is_served_on_grpc_and_reflection.

    // cosmos.bank.v1beta1.Query resolves, with its methods and message types.
    let files = files_for_symbol(&mut client, "cosmos.bank.v1beta1.Query").await;
    let query = files
        .iter()
        .find(|f| {
            f.package() == "cosmos.bank.v1beta1" && f.service.iter().any(|s| s.name() == "Query")
        })
        .expect("the file declaring the bank Query service");
    let svc = query.service.iter().find(|s| s.name() == "Query").unwrap();
    let balance = svc
        .method
        .iter()
        .find(|m| m.name() == "Balance")
        .expect("Balance");
    assert_eq!(
        balance.input_type(),
        ".cosmos.bank.v1beta1.QueryBalanceRequest"
    );
    assert_eq!(
        balance.output_type(),
        ".cosmos.bank.v1beta1.QueryBalanceResponse"
    );
    // Its dependencies are named and served too, so a client can decode answers.
    assert!(
        query
            .dependency
            .iter()
            .any(|d| d == "cosmos/base/v1beta1/coin.proto"),
        "{:?}",
        query.dependency
    );
    assert!(query
        .dependency
        .iter()
        .any(|d| d == "cosmos/base/query/v1beta1/pagination.proto"));
    let coin_file = match ask(
        &mut client,
        MessageRequest::FileByFilename("cosmos/base/v1beta1/coin.proto".into()),
    )
    .await
    {
        MessageResponse::FileDescriptorResponse(f) => {
            FileDescriptorProto::decode(f.file_descriptor_proto[0].as_slice()).unwrap()
        }
        other => panic!("unexpected answer {other:?}"),
    };
    let coin = coin_file
        .message_type
        .iter()
        .find(|m| m.name() == "Coin")
        .unwrap();
    let fields: Vec<(&str, i32)> = coin.field.iter().map(|f| (f.name(), f.number())).collect();
    assert_eq!(fields, vec![("denom", 1), ("amount", 2)]);

    // Every other service resolves too, and the methods declared are ones the server answers.
    for (svc_name, method, must) in [
        ("cosmos.auth.v1beta1.Query", "Account", true),
        ("cosmos.tx.v1beta1.Service", "Simulate", true),
        ("cosmos.tx.v1beta1.Service", "BroadcastTx", true),
        ("cosmos.tx.v1beta1.Service", "GetTx", true),
        ("cosmos.consensus.v1.Query", "Params", true),
        ("cosmos.tx.v1beta1.Service", "TxEncodeAmino", false),
    ] {
        let files = files_for_symbol(&mut client, svc_name).await;
        let (pkg, name) = svc_name.rsplit_once('.').unwrap();
        let declared = files
            .iter()
            .filter(|f| f.package() == pkg)
            .flat_map(|f| f.service.iter())
            .find(|s| s.name() == name)
            .unwrap_or_else(|| panic!("{svc_name} not declared"));
        assert_eq!(
            declared.method.iter().any(|m| m.name() == method),
            must,
            "{svc_name}/{method}"
        );
    }

    // An unknown symbol is a clean NotFound, and the server keeps answering.
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "pol.nope.v1.Query".into(),
        )),
    };
    let mut stream = client
        .server_reflection_info(futures::stream::iter(vec![request]))
        .await
        .expect("reflection call")
        .into_inner();
    match stream.message().await {
        Err(status) => assert_eq!(status.code(), tonic::Code::NotFound),
        Ok(Some(r)) => match r.message_response {
            Some(MessageResponse::ErrorResponse(e)) => {
                assert_eq!(e.error_code, tonic::Code::NotFound as i32)
            }
            other => panic!("unexpected answer {other:?}"),
        },
        Ok(None) => panic!("no answer"),
    }
    assert!(!files_for_symbol(&mut client, "cosmos.auth.v1beta1.Query")
        .await
        .is_empty());
}

/// Sends and receives undecoded protobuf bytes, to call any method by path.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        let n = bytes::Buf::remaining(src);
        Ok(Some(bytes::Buf::copy_to_bytes(src, n).to_vec()))
    }
}

/// Iterating the app's module list (no module named here): every module's query service is
/// listed by reflection, and every method reflection declares for it answers on gRPC (its
/// answer or its own refusal of an empty request, never Unimplemented).
#[tokio::test(flavor = "multi_thread")]
async fn every_module_query_method_is_served_on_grpc_and_reflection() {
    let (channel, _stop) = connected().await;
    let mut client = ServerReflectionClient::new(channel.clone());
    let listed = list_services(&mut client).await;
    let mut called = 0;
    for module in pol_app::modules::MODULES {
        for svc in module.query_services() {
            assert!(listed.contains(*svc), "{}: {svc} not listed", module.name());
            let (pkg, name) = svc.rsplit_once('.').unwrap();
            let files = files_for_symbol(&mut client, svc).await;
            let declared = files
                .iter()
                .filter(|f| f.package() == pkg)
                .flat_map(|f| f.service.iter())
                .find(|s| s.name() == name)
                .unwrap_or_else(|| panic!("{svc} not declared"));
            assert!(!declared.method.is_empty(), "{svc} has no methods");
            for method in &declared.method {
                let path = format!("/{svc}/{}", method.name());
                let mut grpc = tonic::client::Grpc::new(channel.clone());
                grpc.ready().await.expect("channel ready");
                let answer = grpc
                    .unary(
                        tonic::Request::new(Vec::new()),
                        path.parse::<tonic::codegen::http::uri::PathAndQuery>()
                            .unwrap(),
                        RawCodec,
                    )
                    .await;
                if let Err(s) = &answer {
                    assert_ne!(s.code(), tonic::Code::Unimplemented, "{path}: {s}");
                }
                called += 1;
            }
        }
    }
    // Seven modules with 40-odd query methods: the loop really ran.
    assert!(called >= 40, "only {called} methods called");
}
