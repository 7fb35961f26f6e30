//! ABCI `Query`: the gRPC `Query` services on their Cosmos paths (`/<package>.Query/<Method>`),
//! raw state with ICS23 proofs on `/store/key`, and `/app/version`.
//!
//! Each gRPC path runs the very same service implementation the tonic server runs, so the
//! two transports cannot disagree.

use crate::modules::Modules;
use std::collections::BTreeSet;
use std::sync::Arc;

use cosmos_sdk_proto::cosmos::tx::v1beta1::service_server::ServiceServer as TxServiceServer;
use http_body_util::BodyExt;
use pol_component::query::HEIGHT_METADATA;
use pol_store::Storage;
use prost::Message;
use tendermint_proto::v0_38::abci::{RequestQuery, ResponseQuery};
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};
use tonic::service::Routes;
use tonic::{Code, Status};
use tower::ServiceExt;

/// ABCI path of raw state queries: `data` is the key.
pub const STORE_PATH: &str = "/store/key";
/// Proof op type of the ICS23 proofs we return.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

/// Serves the ABCI query paths `/<service>/<Method>` through the very same tonic services
/// the gRPC server runs (every module's, from [`Modules`]), called in
/// process with a gRPC-framed request: one registration, two transports, no per-method list.
#[derive(Clone)]
pub struct QueryRouter {
    routes: Routes,
    paths: Arc<BTreeSet<String>>,
    runtime: tokio::runtime::Handle,
}

/// The state-only methods of the tx service, also served on ABCI (cosmjs simulates over
/// `abci_query`); the rest of that service needs the CometBFT RPC.
const TX_SERVICE_ABCI_PATHS: [&str; 3] = [
    "/cosmos.tx.v1beta1.Service/Simulate",
    "/cosmos.tx.v1beta1.Service/TxDecode",
    "/cosmos.tx.v1beta1.Service/TxEncode",
];

impl QueryRouter {
    pub fn new(storage: &Storage, modules: Modules, runtime: tokio::runtime::Handle) -> Self {
        let mut routes = modules.query_routes(storage);
        routes.add_service(TxServiceServer::new(
            crate::services::tx::TxService::state_only(storage.clone(), modules),
        ));
        let mut paths = modules.query_paths();
        paths.extend(TX_SERVICE_ABCI_PATHS.map(String::from));
        QueryRouter {
            routes: routes.routes().prepare(),
            paths: Arc::new(paths),
            runtime,
        }
    }

    pub fn paths(&self) -> impl Iterator<Item = &String> {
        self.paths.iter()
    }

    /// Call `path` with the encoded request `data` at `height` (0: latest) and return the
    /// encoded response.
    async fn call(&self, path: &str, data: Vec<u8>, height: u64) -> Result<Vec<u8>, Status> {
        let len = u32::try_from(data.len())
            .map_err(|_| Status::invalid_argument("request is too large"))?;
        let mut frame = Vec::with_capacity(5 + data.len());
        frame.push(0); // not compressed
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&data);
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(path)
            .header(http::header::CONTENT_TYPE, "application/grpc")
            .header(http::header::TE, "trailers");
        if height > 0 {
            request = request.header(HEIGHT_METADATA, height);
        }
        let request = request
            .body(tonic::body::Body::new(http_body_util::Full::new(
                bytes::Bytes::from(frame),
            )))
            .map_err(|e| Status::invalid_argument(format!("query path {path:?}: {e}")))?;
        let response = match self.routes.clone().oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        // A failure may come alone in the headers ("trailers-only") or after the body.
        if let Some(status) = Status::from_header_map(&parts.headers) {
            if status.code() != Code::Ok {
                return Err(undecodable_is_invalid(status));
            }
        }
        let body = body
            .collect()
            .await
            .map_err(|e| Status::internal(format!("query {path}: {e}")))?;
        if let Some(status) = body.trailers().and_then(Status::from_header_map) {
            if status.code() != Code::Ok {
                return Err(undecodable_is_invalid(status));
            }
        }
        let bytes = body.to_bytes();
        let message = bytes
            .get(5..)
            .filter(|_| bytes.first() == Some(&0))
            .and_then(|rest| {
                let n = u32::from_be_bytes(bytes.get(1..5)?.try_into().ok()?) as usize;
                rest.get(..n)
            })
            .ok_or_else(|| Status::internal(format!("query {path}: malformed gRPC response")))?;
        Ok(message.to_vec())
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
            path if self.paths.contains(path) => {
                let resolved = if height == 0 {
                    storage.latest_version().unwrap_or(0)
                } else {
                    height
                };
                // Query connections run on plain threads, so blocking on the runtime is fine.
                match self
                    .runtime
                    .block_on(self.call(path, req.data.to_vec(), resolved))
                {
                    Ok(value) => ResponseQuery {
                        value: value.into(),
                        height: resolved as i64,
                        ..Default::default()
                    },
                    Err(status) => status_response(status, resolved as i64),
                }
            }
            path => status_response(
                Status::unimplemented(format!("unknown query path {path}")),
                req.height,
            ),
        }
    }
}
/// tonic reports a request that does not decode as Internal; it is the client's error, as
/// the SDK's ErrInvalidRequest (18) says.
fn undecodable_is_invalid(status: Status) -> Status {
    if status.code() == Code::Internal
        && status
            .message()
            .starts_with("failed to decode Protobuf message")
    {
        return Status::invalid_argument(format!("request does not decode: {}", status.message()));
    }
    status
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
