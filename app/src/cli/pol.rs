//! `pold query latency …`, `pold query sla …` and `pold query reputation …` (the
//! Proof-of-Latency modules: `pol.latency.v1`, `pol.sla.v1`, `pol.reputation.v1`).
//!
//! Output is JSON like the other query commands: records with their proto field names,
//! validator consensus addresses in hex and as `polvalcons…`, receipt keys in hex, lists
//! with every page fetched.

use anyhow::Context;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use pol_client::RpcClient;
use prost::Message;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::query::QueryOpts;

use super::module_cli::{verbs, ModuleCli};

/// `pold query latency …`.
pub static LATENCY_CLI: ModuleCli = ModuleCli {
    module: "latency",
    tx: None,
    query: Some(verbs!(
        "Proof-of-Latency: consensus latency aggregates, history, measurers, routing",
        LatencyQuery,
        query latency
    )),
};

/// `pold query sla …`.
pub static SLA_CLI: ModuleCli = ModuleCli {
    module: "sla",
    tx: None,
    query: Some(verbs!(
        "SLA enforcement: violations and provider status",
        SlaQuery,
        query sla
    )),
};

/// `pold query reputation …`.
pub static REPUTATION_CLI: ModuleCli = ModuleCli {
    module: "reputation",
    tx: None,
    query: Some(verbs!(
        "Provider and validator (measurer) reputation",
        ReputationQuery,
        query reputation
    )),
};

#[derive(clap::Subcommand)]
pub enum LatencyQuery {
    /// Proof-of-Latency parameters.
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A provider's latest consensus latency aggregate, with each validator's report.
    Aggregate {
        provider: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A provider's past aggregates, newest first.
    History {
        provider: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// What paying requesters reported of a provider: its last reported epoch's figures and
    /// this epoch's reports.
    Served {
        provider: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Every validator's measurer record (reports, outliers).
    Measurers {
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// The active providers of a model, ranked by consensus latency, price and reputation,
    /// with the reasons for each rank.
    Route {
        model_id: String,
        #[command(flatten)]
        route: RouteArgs,
        #[command(flatten)]
        opts: QueryOpts,
    },
}

/// Route weights and length, shared by `query latency route` and `infer`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RouteArgs {
    /// Weight of latency in the score, ppm (default 500000 when no weight is given).
    #[arg(long)]
    pub latency_weight: Option<u32>,
    /// Weight of price, ppm (default 200000).
    #[arg(long)]
    pub price_weight: Option<u32>,
    /// Weight of reputation, ppm (default 300000).
    #[arg(long)]
    pub reputation_weight: Option<u32>,
    /// At most this many providers (0: all).
    #[arg(long, default_value_t = 0)]
    pub limit: u32,
}

impl RouteArgs {
    /// The request's weights: none when no weight is given (the chain's defaults); a
    /// weight not given is 0 when another one is.
    pub fn weights(&self) -> Option<pol_latency::pb::RouteWeights> {
        if self.latency_weight.is_none()
            && self.price_weight.is_none()
            && self.reputation_weight.is_none()
        {
            return None;
        }
        Some(pol_latency::pb::RouteWeights {
            latency_ppm: self.latency_weight.unwrap_or(0),
            price_ppm: self.price_weight.unwrap_or(0),
            reputation_ppm: self.reputation_weight.unwrap_or(0),
        })
    }
}

#[derive(clap::Subcommand)]
pub enum SlaQuery {
    /// SLA enforcement parameters (slash fractions, jailing).
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A provider's SLA violations, newest first.
    Violations {
        provider: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A provider's SLA record, bond and required bond.
    Status {
        provider: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
}

#[derive(clap::Subcommand)]
pub enum ReputationQuery {
    /// Reputation parameters.
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A provider's reputation and its history, newest first.
    Provider {
        address: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Every judged provider's reputation.
    Providers {
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A validator's measurer reputation and PoL weight, by `polvalcons…`, `polvaloper…`,
    /// `pol…` or the consensus address in hex (40 digits).
    Validator {
        validator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Every measured validator.
    Validators {
        #[command(flatten)]
        opts: QueryOpts,
    },
}

// ---- helpers --------------------------------------------------------------------------

fn print(v: Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

fn to_json<T: Serialize>(r: &T) -> anyhow::Result<Map<String, Value>> {
    match serde_json::to_value(r)? {
        Value::Object(m) => Ok(m),
        other => anyhow::bail!("record did not serialize to an object: {other}"),
    }
}

async fn one<Req: Message, Resp: Message + Default>(
    opts: &QueryOpts,
    path: &str,
    req: Req,
) -> anyhow::Result<Resp> {
    Ok(RpcClient::new(&opts.node)
        .query(path, &req, opts.height)
        .await?)
}

/// `polvalcons…` of a 20-byte consensus address (empty if it is not 20 bytes).
fn valcons(bytes: &[u8]) -> String {
    <[u8; 20]>::try_from(bytes)
        .map(|a| pol_reputation::view::valcons_string(&a))
        .unwrap_or_default()
}

/// A bech32 account address, checked before asking the node.
fn account(s: &str) -> anyhow::Result<String> {
    pol_component::Address::parse(s).map_err(|e| anyhow::anyhow!("{s:?}: {}", e.log))?;
    Ok(s.to_string())
}

/// A validator as the reputation query takes it: bech32 as given, 40 hex digits as
/// `polvalcons…`.
fn validator_arg(s: &str) -> anyhow::Result<String> {
    if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let bytes = hex::decode(s)?;
        return Ok(valcons(&bytes));
    }
    Ok(s.to_string())
}

fn aggregate_json(a: &pol_latency::pb::ProviderAggregate) -> anyhow::Result<Value> {
    let mut v = to_json(a)?;
    if let Some(Value::Array(reports)) = v.get_mut("reports") {
        for (r, report) in reports.iter_mut().zip(&a.reports) {
            if let Value::Object(m) = r {
                m.insert("valcons".into(), json!(valcons(&report.validator)));
            }
        }
    }
    Ok(Value::Object(v))
}

fn measurer_json(m: &pol_latency::pb::MeasurerScore) -> anyhow::Result<Value> {
    let mut v = to_json(m)?;
    v.insert("valcons".into(), json!(valcons(&m.validator)));
    Ok(Value::Object(v))
}

pub fn route_entry_json(e: &pol_latency::pb::RouteEntry) -> Value {
    json!({
        "rank": e.rank,
        "provider": e.provider,
        "endpoint": e.endpoint,
        "score_ppm": e.score_ppm,
        "has_measurement": e.has_measurement,
        "within_sla": e.within_sla,
        "p99_us": e.p99_us,
        "p50_us": e.p50_us,
        "failure_rate_ppm": e.failure_rate_ppm,
        "measured_height": e.measured_height,
        "price_per_inference": e.price_per_inference,
        "reputation_ppm": e.reputation_ppm,
        "latency_score_ppm": e.latency_score_ppm,
        "price_score_ppm": e.price_score_ppm,
        "receipt_pubkey": hex::encode(&e.receipt_pubkey),
        "reasons": e.reasons,
        "served_p99_us": e.served_p99_us,
        "proof_setup": pol_client::requester::ProofSetup::from_route(e.setup_kind, e.setup_attested).as_str(),
    })
}

/// `Query/Route` of `model_id` over ABCI.
pub async fn route(
    rpc: &RpcClient,
    model_id: &str,
    args: &RouteArgs,
    height: u64,
) -> anyhow::Result<pol_latency::pb::QueryRouteResponse> {
    Ok(rpc
        .query(
            "/pol.latency.v1.Query/Route",
            &pol_latency::pb::QueryRouteRequest {
                model_id: model_id.into(),
                weights: args.weights(),
                limit: args.limit,
            },
            height,
        )
        .await?)
}

fn page_of(p: &Option<PageResponse>) -> Option<PageResponse> {
    p.clone()
}

// ---- latency --------------------------------------------------------------------------

pub async fn latency(cmd: LatencyQuery) -> anyhow::Result<()> {
    use pol_latency::pb;
    const Q: &str = "/pol.latency.v1.Query/";
    match cmd {
        LatencyQuery::Params { opts } => {
            let r: pb::QueryParamsResponse =
                one(&opts, &format!("{Q}Params"), pb::QueryParamsRequest {}).await?;
            print(serde_json::to_value(
                r.params.context("the node returned no params")?,
            )?)
        }
        LatencyQuery::Aggregate { provider, opts } => {
            let r: pb::QueryAggregateResponse = one(
                &opts,
                &format!("{Q}Aggregate"),
                pb::QueryAggregateRequest {
                    provider: account(&provider)?,
                },
            )
            .await?;
            print(aggregate_json(
                &r.aggregate.context("the node returned no aggregate")?,
            )?)
        }
        LatencyQuery::Served { provider, opts } => {
            let r: pb::QueryServedResponse = one(
                &opts,
                &format!("{Q}Served"),
                pb::QueryServedRequest {
                    provider: account(&provider)?,
                },
            )
            .await?;
            print(json!({
                "last_epoch": r.last_epoch.map(serde_json::to_value).transpose()?,
                "current": serde_json::to_value(&r.current)?,
            }))
        }
        LatencyQuery::History { provider, opts } => {
            let provider = account(&provider)?;
            let pages = super::query::fetch_all(
                &opts,
                &format!("{Q}History"),
                |p: PageRequest| pb::QueryHistoryRequest {
                    provider: provider.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryHistoryResponse| page_of(&r.pagination),
            )
            .await?;
            let aggregates = pages
                .iter()
                .flat_map(|p| &p.aggregates)
                .map(aggregate_json)
                .collect::<anyhow::Result<Vec<_>>>()?;
            print(json!({ "aggregates": aggregates }))
        }
        LatencyQuery::Measurers { opts } => {
            let pages = super::query::fetch_all(
                &opts,
                &format!("{Q}Measurers"),
                |p: PageRequest| pb::QueryMeasurersRequest {
                    pagination: Some(p),
                },
                |r: &pb::QueryMeasurersResponse| page_of(&r.pagination),
            )
            .await?;
            let measurers = pages
                .iter()
                .flat_map(|p| &p.measurers)
                .map(measurer_json)
                .collect::<anyhow::Result<Vec<_>>>()?;
            print(json!({ "measurers": measurers }))
        }
        LatencyQuery::Route {
            model_id,
            route: args,
            opts,
        } => {
            let r = route(&RpcClient::new(&opts.node), &model_id, &args, opts.height).await?;
            let w = r.weights.unwrap_or_default();
            print(json!({
                "model_id": model_id,
                "weights": {
                    "latency_ppm": w.latency_ppm,
                    "price_ppm": w.price_ppm,
                    "reputation_ppm": w.reputation_ppm,
                },
                "denom": r.denom,
                "providers": r.entries.iter().map(route_entry_json).collect::<Vec<_>>(),
            }))
        }
    }
}

// ---- sla ------------------------------------------------------------------------------

pub async fn sla(cmd: SlaQuery) -> anyhow::Result<()> {
    use pol_sla::pb;
    const Q: &str = "/pol.sla.v1.Query/";
    match cmd {
        SlaQuery::Params { opts } => {
            let r: pb::QueryParamsResponse =
                one(&opts, &format!("{Q}Params"), pb::QueryParamsRequest {}).await?;
            let p = r.params.context("the node returned no params")?;
            print(serde_json::to_value(p)?)
        }
        SlaQuery::Violations { provider, opts } => {
            let provider = account(&provider)?;
            let pages = super::query::fetch_all(
                &opts,
                &format!("{Q}Violations"),
                |p: PageRequest| pb::QueryViolationsRequest {
                    provider: provider.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryViolationsResponse| page_of(&r.pagination),
            )
            .await?;
            let violations: Vec<&pb::SlaViolation> =
                pages.iter().flat_map(|p| &p.violations).collect();
            print(json!({ "violations": violations }))
        }
        SlaQuery::Status { provider, opts } => {
            let r: pb::QueryProviderStatusResponse = one(
                &opts,
                &format!("{Q}ProviderStatus"),
                pb::QueryProviderStatusRequest {
                    provider: account(&provider)?,
                },
            )
            .await?;
            print(json!({
                "record": r.record,
                "bond": r.bond,
                "required_bond": r.required_bond,
                "status": r.status,
                "jailed_until_height": r.jailed_until_height.to_string(),
            }))
        }
    }
}

// ---- reputation -----------------------------------------------------------------------

pub async fn reputation(cmd: ReputationQuery) -> anyhow::Result<()> {
    use pol_reputation::pb;
    const Q: &str = "/pol.reputation.v1.Query/";
    match cmd {
        ReputationQuery::Params { opts } => {
            let r: pb::QueryParamsResponse =
                one(&opts, &format!("{Q}Params"), pb::QueryParamsRequest {}).await?;
            let p = r.params.context("the node returned no params")?;
            print(serde_json::to_value(p)?)
        }
        ReputationQuery::Provider { address, opts } => {
            let provider = account(&address)?;
            let pages = super::query::fetch_all(
                &opts,
                &format!("{Q}ProviderReputation"),
                |p: PageRequest| pb::QueryProviderReputationRequest {
                    provider: provider.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryProviderReputationResponse| page_of(&r.pagination),
            )
            .await?;
            let reputation = pages.first().and_then(|p| p.reputation.clone());
            let history: Vec<&pb::ReputationPoint> =
                pages.iter().flat_map(|p| &p.history).collect();
            print(json!({ "reputation": reputation, "history": history }))
        }
        ReputationQuery::Providers { opts } => {
            let pages = super::query::fetch_all(
                &opts,
                &format!("{Q}ProviderReputations"),
                |p: PageRequest| pb::QueryProviderReputationsRequest {
                    pagination: Some(p),
                },
                |r: &pb::QueryProviderReputationsResponse| page_of(&r.pagination),
            )
            .await?;
            let reputations: Vec<&pb::ProviderReputation> =
                pages.iter().flat_map(|p| &p.reputations).collect();
            print(json!({ "reputations": reputations }))
        }
        ReputationQuery::Validator { validator, opts } => {
            let r: pb::QueryValidatorReputationResponse = one(
                &opts,
                &format!("{Q}ValidatorReputation"),
                pb::QueryValidatorReputationRequest {
                    validator: validator_arg(&validator)?,
                },
            )
            .await?;
            print(json!({ "reputation": r.reputation }))
        }
        ReputationQuery::Validators { opts } => {
            let pages = super::query::fetch_all(
                &opts,
                &format!("{Q}ValidatorReputations"),
                |p: PageRequest| pb::QueryValidatorReputationsRequest {
                    pagination: Some(p),
                },
                |r: &pb::QueryValidatorReputationsResponse| page_of(&r.pagination),
            )
            .await?;
            let reputations: Vec<&pb::ValidatorReputation> =
                pages.iter().flat_map(|p| &p.reputations).collect();
            print(json!({ "reputations": reputations }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_weights_default_only_when_none_is_given() {
        assert_eq!(RouteArgs::default().weights(), None);
        let w = RouteArgs {
            price_weight: Some(1),
            ..Default::default()
        }
        .weights()
        .unwrap();
        assert_eq!((w.latency_ppm, w.price_ppm, w.reputation_ppm), (0, 1, 0));
    }

    #[test]
    fn validators_in_hex_become_valcons() {
        let hex = "00".repeat(20);
        let v = validator_arg(&hex).unwrap();
        assert!(v.starts_with("polvalcons1"), "{v}");
        assert_eq!(validator_arg("polvaloper1xyz").unwrap(), "polvaloper1xyz");
    }
}
