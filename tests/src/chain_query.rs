//! Typed ABCI queries of the Proof-of-Latency modules, for tests, benches and the localnet
//! view: `None` / empty when the record is not there (yet).

use pol_client::RpcClient;
use prost::Message;

pub async fn query<Req: Message, Resp: Message + Default>(
    rpc: &RpcClient,
    path: &str,
    req: &Req,
) -> Option<Resp> {
    rpc.query(path, req, 0).await.ok()
}

pub async fn provider(rpc: &RpcClient, addr: &str) -> Option<pol_inference::pb::Provider> {
    use pol_inference::pb::*;
    let r: QueryProviderResponse = query(
        rpc,
        "/pol.inference.v1.Query/Provider",
        &QueryProviderRequest {
            address: addr.into(),
        },
    )
    .await?;
    r.provider
}

/// A provider's SLA violations, newest first.
pub async fn violations(rpc: &RpcClient, addr: &str) -> Vec<pol_sla::pb::SlaViolation> {
    use pol_sla::pb::*;
    let r: Option<QueryViolationsResponse> = query(
        rpc,
        "/pol.sla.v1.Query/Violations",
        &QueryViolationsRequest {
            provider: addr.into(),
            pagination: None,
        },
    )
    .await;
    r.map(|r| r.violations).unwrap_or_default()
}

pub async fn reputation(
    rpc: &RpcClient,
    addr: &str,
) -> Option<pol_reputation::pb::ProviderReputation> {
    use pol_reputation::pb::*;
    let r: QueryProviderReputationResponse = query(
        rpc,
        "/pol.reputation.v1.Query/ProviderReputation",
        &QueryProviderReputationRequest {
            provider: addr.into(),
            pagination: None,
        },
    )
    .await?;
    r.reputation
}

/// Every measured validator's measurer reputation and PoL weight.
pub async fn validator_reputations(
    rpc: &RpcClient,
) -> Vec<pol_reputation::pb::ValidatorReputation> {
    use pol_reputation::pb::*;
    let r: Option<QueryValidatorReputationsResponse> = query(
        rpc,
        "/pol.reputation.v1.Query/ValidatorReputations",
        &QueryValidatorReputationsRequest { pagination: None },
    )
    .await;
    r.map(|r| r.reputations).unwrap_or_default()
}

pub async fn aggregate(rpc: &RpcClient, addr: &str) -> Option<pol_latency::pb::ProviderAggregate> {
    use pol_latency::pb::*;
    let r: QueryAggregateResponse = query(
        rpc,
        "/pol.latency.v1.Query/Aggregate",
        &QueryAggregateRequest {
            provider: addr.into(),
        },
    )
    .await?;
    r.aggregate
}

/// What paying requesters reported of `addr`: the last epoch's figures and this epoch's
/// reports.
pub async fn served(rpc: &RpcClient, addr: &str) -> Option<pol_latency::pb::QueryServedResponse> {
    use pol_latency::pb::*;
    query(
        rpc,
        "/pol.latency.v1.Query/Served",
        &QueryServedRequest {
            provider: addr.into(),
        },
    )
    .await
}

/// The aggregates of `addr` kept in history, newest first (the first page).
pub async fn latency_history(
    rpc: &RpcClient,
    addr: &str,
) -> Vec<pol_latency::pb::ProviderAggregate> {
    use pol_latency::pb::*;
    let r: Option<QueryHistoryResponse> = query(
        rpc,
        "/pol.latency.v1.Query/History",
        &QueryHistoryRequest {
            provider: addr.into(),
            pagination: None,
        },
    )
    .await;
    r.map(|r| r.aggregates).unwrap_or_default()
}

pub async fn measurers(rpc: &RpcClient) -> Vec<pol_latency::pb::MeasurerScore> {
    use pol_latency::pb::*;
    let r: Option<QueryMeasurersResponse> = query(
        rpc,
        "/pol.latency.v1.Query/Measurers",
        &QueryMeasurersRequest { pagination: None },
    )
    .await;
    r.map(|r| r.measurers).unwrap_or_default()
}

pub async fn route(rpc: &RpcClient, model: &str) -> Option<pol_latency::pb::QueryRouteResponse> {
    query(
        rpc,
        "/pol.latency.v1.Query/Route",
        &pol_latency::pb::QueryRouteRequest {
            model_id: model.into(),
            ..Default::default()
        },
    )
    .await
}

/// Poll `f` every 500 ms until it returns `Some`, or fail with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(
    what: &str,
    timeout: std::time::Duration,
    mut f: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// A provider's obligations (every state), in id order.
pub async fn obligations(rpc: &RpcClient, provider: &str) -> Vec<pol_inference::pb::Obligation> {
    use pol_inference::pb::*;
    let r: Option<QueryObligationsResponse> = query(
        rpc,
        "/pol.inference.v1.Query/Obligations",
        &QueryObligationsRequest {
            provider: provider.into(),
            ..Default::default()
        },
    )
    .await;
    r.map(|r| r.obligations).unwrap_or_default()
}

/// A route entry as the requester client's candidate (the chain's figures as its prior).
pub fn candidate(
    e: &pol_latency::pb::RouteEntry,
) -> anyhow::Result<pol_client::requester::Candidate> {
    use anyhow::Context;
    Ok(pol_client::requester::Candidate {
        provider: e.provider.clone(),
        endpoint: e.endpoint.clone(),
        receipt_pubkey: e
            .receipt_pubkey
            .as_slice()
            .try_into()
            .context("a receipt key of 32 bytes")?,
        price: e.price_per_inference.parse().context("a price")?,
        rank: e.rank,
        consensus: pol_client::requester::Consensus {
            p50_us: e.p50_us,
            p99_us: e.p99_us,
            failure_rate_ppm: e.failure_rate_ppm,
        },
    })
}

/// Waits up to `timeout` for a consensus aggregate of `addr` that answered probes.
pub async fn measured(
    rpc: &RpcClient,
    addr: &str,
    timeout: std::time::Duration,
) -> anyhow::Result<pol_latency::pb::ProviderAggregate> {
    eventually("a consensus aggregate", timeout, || async {
        aggregate(rpc, addr)
            .await
            .filter(|x| x.reporters > 0 && x.p50_us > 0)
    })
    .await
}
