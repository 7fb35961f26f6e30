//! `pold query bank balances`, `pold query auth account`, `pold query staking …` (in
//! `staking.rs`), `pold query inference …` (in `inference.rs`), `pold query
//! latency|sla|reputation …` (in `pol.rs`), `pold query call|methods` (any module's
//! query, in `call.rs`), `pold status`.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryAllBalancesRequest, QueryAllBalancesResponse};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use pol_client::RpcClient;
use pol_component::Address;
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum QueryCommand {
    #[command(subcommand)]
    Bank(BankQuery),
    #[command(subcommand)]
    Auth(AuthQuery),
    #[command(subcommand)]
    Staking(super::staking::StakingQuery),
    /// Rewards, commission, slashes, withdraw addresses, the community pool.
    #[command(subcommand)]
    Distribution(super::distribution::DistributionQuery),
    /// Inflation and provisions.
    #[command(subcommand)]
    Mint(super::distribution::MintQuery),
    /// Liveness records and the slashing parameters.
    #[command(subcommand)]
    Slashing(super::slashing::SlashingQuery),
    /// Proposals, votes, deposits, tallies and the governance parameters.
    #[command(subcommand)]
    Gov(super::gov::GovQuery),
    #[command(subcommand)]
    Inference(super::inference::InferenceQuery),
    /// Payment channels and their parameters.
    #[command(subcommand)]
    Payments(super::payments::PaymentsQuery),
    /// Proof-of-Latency: consensus latency aggregates, history, measurers, routing.
    #[command(subcommand)]
    Latency(super::pol::LatencyQuery),
    /// SLA enforcement: violations and provider status.
    #[command(subcommand)]
    Sla(super::pol::SlaQuery),
    /// Provider and validator (measurer) reputation.
    #[command(subcommand)]
    Reputation(super::pol::ReputationQuery),
    /// Any query method of any module, with the request and the answer as JSON (protobuf
    /// JSON mapping): `pold query call latency Route '{"modelId": "m1"}'`.
    Call {
        /// A module name (`latency`) or a full service name (`pol.latency.v1.Query`).
        service: String,
        /// The method (`Route`; any case).
        method: String,
        /// The request as JSON; `{}` when left out.
        request: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// List every query method `pold query call` reaches, with its request type.
    Methods,
}

#[derive(clap::Args)]
pub struct QueryOpts {
    #[arg(long, default_value = "tcp://127.0.0.1:26657")]
    pub node: String,
    /// Query at this height (0 = latest).
    #[arg(long, default_value_t = 0)]
    pub height: u64,
}

#[derive(clap::Subcommand)]
pub enum BankQuery {
    /// All balances of an address.
    Balances {
        address: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
}

#[derive(clap::Subcommand)]
pub enum AuthQuery {
    /// An account's number, sequence and public key.
    Account {
        address: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
}

pub async fn run(cmd: QueryCommand) -> anyhow::Result<()> {
    match cmd {
        QueryCommand::Staking(cmd) => super::staking::query(cmd).await?,
        QueryCommand::Distribution(cmd) => super::distribution::query(cmd).await?,
        QueryCommand::Mint(cmd) => super::distribution::mint(cmd).await?,
        QueryCommand::Slashing(cmd) => super::slashing::query(cmd).await?,
        QueryCommand::Gov(cmd) => super::gov::query(cmd).await?,
        QueryCommand::Inference(cmd) => super::inference::query(cmd).await?,
        QueryCommand::Payments(cmd) => super::payments::query(cmd).await?,
        QueryCommand::Latency(cmd) => super::pol::latency(cmd).await?,
        QueryCommand::Sla(cmd) => super::pol::sla(cmd).await?,
        QueryCommand::Reputation(cmd) => super::pol::reputation(cmd).await?,
        QueryCommand::Call {
            service,
            method,
            request,
            opts,
        } => super::call::call(&service, &method, request.as_deref(), &opts).await?,
        QueryCommand::Methods => super::call::list()?,
        QueryCommand::Bank(BankQuery::Balances { address, opts }) => {
            Address::parse(&address).map_err(|e| anyhow::anyhow!(e.log))?;
            let rpc = RpcClient::new(&opts.node);
            let mut balances = Vec::new();
            let mut key = Vec::new();
            loop {
                let resp: QueryAllBalancesResponse = rpc
                    .query(
                        "/cosmos.bank.v1beta1.Query/AllBalances",
                        &QueryAllBalancesRequest {
                            address: address.clone(),
                            pagination: Some(
                                cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                                    key: key.clone(),
                                    limit: 1000,
                                    ..Default::default()
                                },
                            ),
                            resolve_denom: false,
                        },
                        opts.height,
                    )
                    .await?;
                balances.extend(
                    resp.balances
                        .into_iter()
                        .map(|c| json!({"denom": c.denom, "amount": c.amount})),
                );
                match resp.pagination {
                    Some(p) if !p.next_key.is_empty() => key = p.next_key,
                    _ => break,
                }
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"balances": balances}))?
            );
        }
        QueryCommand::Auth(AuthQuery::Account { address, opts }) => {
            let addr = Address::parse(&address).map_err(|e| anyhow::anyhow!(e.log))?;
            let rpc = RpcClient::new(&opts.node);
            let acc = super::tx::account(&rpc, &addr).await?;
            let pubkey = acc.pub_key.as_ref().map(|a| {
                let pk = <cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as prost::Message>::decode(a.value.as_slice()).map(|k| hex::encode(k.key)).unwrap_or_default();
                json!({"@type": a.type_url, "key": pk})
            });
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"@type": pol_auth::BASE_ACCOUNT_TYPE_URL, "address": acc.address, "account_number": acc.account_number.to_string(), "sequence": acc.sequence.to_string(), "pub_key": pubkey})
                )?
            );
        }
    }
    Ok(())
}

/// Fetch every page of a paginated query (500 entries a page), in order.
/// Every page of the list query at ABCI path `path`: `build` makes the request for one
/// page, `next` reads the response's page info.
pub async fn fetch_all<Req, Resp>(
    opts: &QueryOpts,
    path: &str,
    build: impl Fn(PageRequest) -> Req,
    next: impl Fn(&Resp) -> Option<PageResponse>,
) -> anyhow::Result<Vec<Resp>>
where
    Req: prost::Message,
    Resp: prost::Message + Default,
{
    let rpc = RpcClient::new(&opts.node);
    let height = opts.height;
    all_pages(|p| {
        let req = build(p);
        let rpc = rpc.clone();
        let next = &next;
        async move {
            let r: Resp = rpc.query(path, &req, height).await?;
            let n = next(&r);
            Ok((r, n))
        }
    })
    .await
}

async fn all_pages<Resp, F, Fut>(mut page: F) -> anyhow::Result<Vec<Resp>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Resp, Option<PageResponse>)>>,
{
    let mut out = Vec::new();
    let mut key = Vec::new();
    loop {
        let (resp, next) = page(PageRequest {
            key: key.clone(),
            limit: 500,
            ..Default::default()
        })
        .await?;
        out.push(resp);
        match next {
            Some(p) if !p.next_key.is_empty() => key = p.next_key,
            _ => return Ok(out),
        }
    }
}

pub async fn status(node: &str) -> anyhow::Result<()> {
    let rpc = RpcClient::new(node);
    let s = rpc.status().await?;
    let version = rpc
        .abci_query("/app/version", &[], 0, false)
        .await
        .map(|r| String::from_utf8_lossy(&r.value).into_owned())
        .unwrap_or_default();
    let out = json!({
        "chain_id": s["node_info"]["network"],
        "moniker": s["node_info"]["moniker"],
        "cometbft_version": s["node_info"]["version"],
        "app_version": version,
        "latest_block_height": s["sync_info"]["latest_block_height"],
        "latest_block_time": s["sync_info"]["latest_block_time"],
        "latest_app_hash": s["sync_info"]["latest_app_hash"],
        "catching_up": s["sync_info"]["catching_up"],
        "validator_address": s["validator_info"]["address"],
        "voting_power": s["validator_info"]["voting_power"],
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
