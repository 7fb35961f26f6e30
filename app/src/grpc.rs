//! The gRPC server: every module's `Query` service, the Cosmos tx service and consensus
//! params query (for standard clients such as cosmpy), with server reflection.

use std::net::SocketAddr;
use std::path::Path;

use cosmos_sdk_proto::cosmos::auth::v1beta1::query_server::QueryServer as AuthQueryServer;
use cosmos_sdk_proto::cosmos::bank::v1beta1::query_server::QueryServer as BankQueryServer;
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_server::ServiceServer as TxServiceServer;
use pol_auth::query::AuthQuery;
use pol_bank::query::BankQuery;
use pol_store::Storage;

use crate::services::consensus::pb::query_server::QueryServer as ConsensusQueryServer;
use crate::services::{self, CometRpc};

/// CometBFT RPC used when the home's config.toml cannot be read.
pub const DEFAULT_COMETBFT_RPC: &str = "http://127.0.0.1:26657";

/// Serve until `shutdown` resolves, for the node in `home` (CometBFT RPC from `<home>/config/config.toml`).
pub async fn serve_for_home(
    storage: Storage,
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
    serve_with_rpc(storage, addr, &rpc_url, shutdown).await
}

/// [`serve_for_home`] with an explicit CometBFT RPC URL.
pub async fn serve_with_rpc(
    storage: Storage,
    addr: SocketAddr,
    cometbft_rpc: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(services::reflection::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_staking::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_inference::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_latency::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_sla::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_reputation::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(services::reflection::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_staking::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_inference::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_latency::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_sla::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(pol_reputation::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    let rpc = CometRpc::new(cometbft_rpc);
    tracing::info!(%addr, cometbft_rpc, "gRPC server listening");
    tonic::transport::Server::builder()
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(AuthQueryServer::new(AuthQuery::new(storage.clone())))
        .add_service(BankQueryServer::new(BankQuery::new(storage.clone())))
        .add_service(pol_staking::StakingQuery::server(storage.clone()))
        .add_service(pol_inference::InferenceQuery::server(storage.clone()))
        .add_service(pol_latency::LatencyQuery::server(storage.clone()))
        .add_service(pol_sla::SlaQuery::server(storage.clone()))
        .add_service(pol_reputation::ReputationQuery::server(storage.clone()))
        .add_service(ConsensusQueryServer::new(
            services::consensus::ConsensusQuery::new(rpc.clone()),
        ))
        .add_service(TxServiceServer::new(services::tx::TxService::new(
            storage, rpc,
        )))
        .serve_with_shutdown(addr, shutdown)
        .await?;
    Ok(())
}
