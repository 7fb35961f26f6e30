//! The gRPC server: every module's `Query` service, with server reflection.

use std::net::SocketAddr;

use cosmos_sdk_proto::cosmos::auth::v1beta1::query_server::QueryServer as AuthQueryServer;
use cosmos_sdk_proto::cosmos::bank::v1beta1::query_server::QueryServer as BankQueryServer;
use pol_auth::query::AuthQuery;
use pol_bank::query::BankQuery;
use pol_store::Storage;

/// Serve until `shutdown` resolves.
pub async fn serve(
    storage: Storage,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let reflection = tonic_reflection::server::Builder::configure().build_v1()?;
    tracing::info!(%addr, "gRPC server listening");
    tonic::transport::Server::builder()
        .add_service(reflection)
        .add_service(AuthQueryServer::new(AuthQuery::new(storage.clone())))
        .add_service(BankQueryServer::new(BankQuery::new(storage)))
        .serve_with_shutdown(addr, shutdown)
        .await?;
    Ok(())
}
