//! `pold query`: each module's own queries (`pold query bank balances` and `pold query auth
//! account` here, the others in their module's file, all listed in `module_cli.rs`),
//! `pold query call|methods` (any module's query, in `call.rs`), `pold status`.

use std::path::Path;

use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryAllBalancesRequest, QueryAllBalancesResponse};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use pol_client::RpcClient;
use pol_component::Address;
use serde_json::json;

use super::module_cli::{verbs, ModuleCli, ModuleVerbs, QUERY};

#[derive(clap::Subcommand)]
pub enum QueryCommand {
    /// A module's own queries (`pold query staking validators`), in the app's module order.
    #[command(flatten)]
    Module(ModuleVerbs<QUERY>),
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

/// `pold query auth account`.
pub static AUTH_CLI: ModuleCli = ModuleCli {
    module: "auth",
    tx: None,
    query: Some(verbs!(
        "Accounts: number, sequence and public key",
        AuthQuery,
        query auth
    )),
};

pub async fn run(home: &Path, cmd: QueryCommand) -> anyhow::Result<()> {
    match cmd {
        QueryCommand::Module(verbs) => verbs.run(home).await?,
        QueryCommand::Call {
            service,
            method,
            request,
            opts,
        } => super::call::call(&service, &method, request.as_deref(), &opts).await?,
        QueryCommand::Methods => super::call::list()?,
    }
    Ok(())
}

/// `pold query bank balances`: every page.
pub async fn bank(cmd: BankQuery) -> anyhow::Result<()> {
    let BankQuery::Balances { address, opts } = cmd;
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
    Ok(())
}

/// `pold query auth account`.
async fn auth(cmd: AuthQuery) -> anyhow::Result<()> {
    let AuthQuery::Account { address, opts } = cmd;
    let addr = Address::parse(&address).map_err(|e| anyhow::anyhow!(e.log))?;
    let rpc = RpcClient::new(&opts.node);
    let acc = super::tx::account(&rpc, &addr).await?;
    let pubkey = acc.pub_key.as_ref().map(|a| {
        let pk = <cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as prost::Message>::decode(
            a.value.as_slice(),
        )
        .map(|k| hex::encode(k.key))
        .unwrap_or_default();
        json!({"@type": a.type_url, "key": pk})
    });
    println!(
        "{}",
        serde_json::to_string_pretty(
            &json!({"@type": pol_auth::BASE_ACCOUNT_TYPE_URL, "address": acc.address, "account_number": acc.account_number.to_string(), "sequence": acc.sequence.to_string(), "pub_key": pubkey})
        )?
    );
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
