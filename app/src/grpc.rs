//! The gRPC server: every module's `Query` services (registered by the modules themselves,
//! see `crate::modules`), the Cosmos tx service and consensus params query (for standard
//! clients such as cosmpy), with server reflection over all of their descriptors.

use std::net::SocketAddr;
use std::path::Path;

use cosmos_sdk_proto::cosmos::tx::v1beta1::service_server::ServiceServer as TxServiceServer;
use pol_store::Storage;

use crate::modules::Modules;

use crate::services::consensus::pb::query_server::QueryServer as ConsensusQueryServer;
use crate::services::{self, CometRpc};

/// Requests served at once over all connections: query handlers scan state synchronously, so
/// more at once would only queue on the runtime's threads (and the runtime's other work,
/// ABCI among it, behind them).
pub const MAX_CONCURRENT_REQUESTS: usize = 64;
/// Requests served at once on one connection, so that one client cannot take them all.
pub const MAX_CONCURRENT_PER_CONNECTION: usize = 16;
/// A request not answered within this is cancelled.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// CometBFT RPC used when the home's config.toml cannot be read.
pub const DEFAULT_COMETBFT_RPC: &str = "http://127.0.0.1:26657";

/// Serve until `shutdown` resolves, for the node in `home` (CometBFT RPC from `<home>/config/config.toml`).
pub async fn serve_for_home(
    storage: Storage,
    modules: Modules,
    addr: SocketAddr,
    home: &Path,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let rpc_url = match services::cometbft_rpc_url(home) {
        Ok(url) => url,
        Err(e) => {
            tracing::warn!("{e:#}; tx service uses CometBFT RPC at {DEFAULT_COMETBFT_RPC}");
            DEFAULT_COMETBFT_RPC.to_string()
        }
    };
    serve_with_rpc(storage, modules, addr, &rpc_url, shutdown).await
}

/// [`serve_for_home`] with an explicit CometBFT RPC URL.
pub async fn serve_with_rpc(
    storage: Storage,
    modules: Modules,
    addr: SocketAddr,
    cometbft_rpc: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut reflection_v1 = tonic_reflection::server::Builder::configure();
    let mut reflection_v1alpha = tonic_reflection::server::Builder::configure();
    for set in modules.file_descriptor_sets() {
        reflection_v1 = reflection_v1.register_encoded_file_descriptor_set(set);
        reflection_v1alpha = reflection_v1alpha.register_encoded_file_descriptor_set(set);
    }
    let rpc = CometRpc::new(cometbft_rpc);
    let mut routes = modules.query_routes(&storage);
    routes
        .add_service(reflection_v1.build_v1()?)
        .add_service(reflection_v1alpha.build_v1alpha()?)
        .add_service(ConsensusQueryServer::new(
            services::consensus::ConsensusQuery::new(rpc.clone()),
        ))
        .add_service(TxServiceServer::new(services::tx::TxService::new(
            storage, rpc, modules,
        )));
    tracing::info!(%addr, cometbft_rpc, "gRPC server listening");
    tonic::transport::Server::builder()
        .concurrency_limit_per_connection(MAX_CONCURRENT_PER_CONNECTION)
        .timeout(REQUEST_TIMEOUT)
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_CONCURRENT_REQUESTS,
        ))
        .add_routes(routes.routes())
        .serve_with_shutdown(addr, shutdown)
        .await?;
    Ok(())
}
