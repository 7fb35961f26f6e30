//! `pold tx payments open-channel|fund-channel|close-channel|claim` and `pold query payments
//! params|channel|channels`: a requester's payment channels. Opening one keeps its signer
//! key in the requester's payment wallet (`<home>/payments/<chain-id>.json`), which
//! `pold infer --channel` pays from. `claim` is the provider's: it settles what a worker's
//! payment journal holds (the worker claims by itself; this is for a worker that cannot).

use anyhow::{bail, Context};
use pol_client::keyring::Keyring;
use pol_client::payments::Payer;
use pol_client::RpcClient;
use pol_component::coins::parse_coins_str;
use pol_payments::msg::{
    MsgClaimPayment, MsgCloseChannel, MsgFundChannel, MsgOpenChannel, MsgOpenChannelResponse,
};
use pol_payments::pb;
use serde_json::{json, Value};

use super::query::{fetch_all, QueryOpts};
use super::tx::{any, broadcast, broadcast_then, TxOpts};

use super::module_cli::{verbs, ModuleCli};

/// `pold tx payments …` and `pold query payments …`.
pub static CLI: ModuleCli = ModuleCli {
    module: "payments",
    tx: Some(verbs!(
        "Payment channels: open, top up, close, claim a worker's journal",
        PaymentsTx,
        tx
    )),
    query: Some(verbs!(
        "Payment channels and their parameters",
        PaymentsQuery,
        query query
    )),
};

/// When the channel ends: `--blocks` from now, or at `--expiry-height`.
#[derive(clap::Args)]
pub struct Expiry {
    /// Blocks from now until the channel expires (its rest returns to the requester then).
    #[arg(long)]
    blocks: Option<u64>,
    /// The exact expiry height instead.
    #[arg(long, conflicts_with = "blocks")]
    expiry_height: Option<u64>,
}

impl Expiry {
    async fn height(&self, opts: &TxOpts, default_blocks: Option<u64>) -> anyhow::Result<u64> {
        if let Some(h) = self.expiry_height {
            return Ok(h);
        }
        let Some(blocks) = self.blocks.or(default_blocks) else {
            return Ok(0);
        };
        let now = RpcClient::new(opts.node()).latest_height().await?;
        Ok(now.saturating_add(blocks))
    }
}

#[derive(clap::Subcommand)]
pub enum PaymentsTx {
    /// Escrow a deposit for paying `provider` for `model` (a new signer key goes into the
    /// payment wallet): `pold tx payments open-channel alice pol1… digits-64-32-10 1000000upol`.
    #[command(name = "open-channel")]
    Open {
        from: String,
        provider: String,
        model: String,
        deposit: String,
        #[command(flatten)]
        expiry: Expiry,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Top a channel up and/or move its expiry later.
    #[command(name = "fund-channel")]
    Fund {
        from: String,
        channel_id: u64,
        /// Coins to add (optional when only the expiry moves).
        #[arg(long)]
        amount: Option<String>,
        #[command(flatten)]
        expiry: Expiry,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Ask to close: the provider has the grace period to claim, then the rest returns.
    #[command(name = "close-channel")]
    Close {
        from: String,
        channel_id: u64,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// As the provider `from`, claim what a worker's payment journal holds beyond what
    /// the chain has paid, every channel in one transaction (`--channel` for one): for a
    /// worker that is down past its claim time, or to settle by hand.
    Claim {
        from: String,
        /// The worker's journal (`[payments] journal`; by default `payments.journal`
        /// beside its key file).
        #[arg(long)]
        journal: std::path::PathBuf,
        /// Only this channel.
        #[arg(long)]
        channel: Option<u64>,
        /// Also end the channels (their rest returns to the requesters).
        #[arg(long)]
        close: bool,
        #[command(flatten)]
        opts: TxOpts,
    },
}

#[derive(clap::Subcommand)]
pub enum PaymentsQuery {
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
    Channel {
        channel_id: u64,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Every channel, or a requester's, or a provider's.
    Channels {
        #[arg(long, conflicts_with = "provider")]
        requester: Option<String>,
        #[arg(long)]
        provider: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
}

/// Blocks a channel stays open when no expiry is given (about four hours at 1 s blocks).
const DEFAULT_BLOCKS: u64 = 14_400;

fn one_coin(s: &str, what: &str) -> anyhow::Result<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
    let coins = parse_coins_str(s).map_err(|e| anyhow::anyhow!("{what}: {}", e.log))?;
    match coins.as_slice() {
        [c] => Ok(c.to_proto()),
        _ => bail!("{what} must be one coin, like 1000000upol"),
    }
}

pub async fn tx(home: &std::path::Path, cmd: PaymentsTx) -> anyhow::Result<()> {
    let keyring = Keyring::open(home);
    match cmd {
        PaymentsTx::Open {
            from,
            provider,
            model,
            deposit,
            expiry,
            opts,
        } => {
            let signer = keyring.find(&from)?.signer()?;
            let deposit = one_coin(&deposit, "deposit")?;
            let amount: u128 = deposit.amount.parse().context("deposit")?;
            let key = Payer::new_signer();
            let msg = MsgOpenChannel {
                requester: signer.address().to_string(),
                provider: provider.clone(),
                model_id: model.clone(),
                signer: key.verifying_key().to_bytes().to_vec(),
                deposit: Some(deposit),
                expiry_height: expiry.height(&opts, Some(DEFAULT_BLOCKS)).await?,
            };
            let chain_id = match opts.chain_id() {
                Some(c) => c.to_string(),
                None => RpcClient::new(opts.node()).chain_id().await?,
            };
            broadcast_then(
                &signer,
                vec![any(pol_payments::MSG_OPEN_CHANNEL_TYPE_URL, &msg)],
                opts,
                serde_json::Map::new(),
                |res| {
                    let r: MsgOpenChannelResponse = res
                        .msg_response(0)
                        .context("the chain's answer has no channel id")?;
                    Payer::open(home, &chain_id)?.add(
                        r.channel_id,
                        &provider,
                        &model,
                        &key,
                        amount,
                    )?;
                    let mut m = serde_json::Map::new();
                    m.insert("channel_id".into(), json!(r.channel_id.to_string()));
                    Ok(m)
                },
            )
            .await
            .map(drop)
        }
        PaymentsTx::Fund {
            from,
            channel_id,
            amount,
            expiry,
            opts,
        } => {
            let signer = keyring.find(&from)?.signer()?;
            let msg = MsgFundChannel {
                requester: signer.address().to_string(),
                channel_id,
                amount: amount
                    .as_deref()
                    .map(|a| one_coin(a, "--amount"))
                    .transpose()?,
                expiry_height: expiry.height(&opts, None).await?,
            };
            broadcast(
                &signer,
                vec![any(pol_payments::MSG_FUND_CHANNEL_TYPE_URL, &msg)],
                opts,
            )
            .await
        }
        PaymentsTx::Claim {
            from,
            journal,
            channel,
            close,
            opts,
        } => {
            let signer = keyring.find(&from)?.signer()?;
            let me = signer.address().to_string();
            let bytes = std::fs::read(&journal)
                .with_context(|| format!("reading the payment journal {}", journal.display()))?;
            let contents = pol_payments::journal::read(&bytes);
            if !contents.corrupt.is_empty() {
                eprintln!(
                    "{}: skipped {} corrupt record(s)",
                    journal.display(),
                    contents.corrupt.len()
                );
            }
            let rpc = RpcClient::new(opts.node());
            let mut msgs = Vec::new();
            let mut skipped = Vec::new();
            for (id, p) in contents.best {
                if channel.is_some_and(|c| c != id) {
                    continue;
                }
                let r: pb::QueryChannelResponse = rpc
                    .query(
                        &format!("{Q}Channel"),
                        &pb::QueryChannelRequest { channel_id: id },
                        0,
                    )
                    .await?;
                let why = match &r.channel {
                    None => Some("settled, or never opened".to_string()),
                    Some(c) if c.provider != me => Some(format!("pays {}, not {me}", c.provider)),
                    Some(c) if p.amount <= c.claimed.parse::<u128>().unwrap_or(u128::MAX) => {
                        Some(format!("already claimed {}", c.claimed))
                    }
                    Some(_) => None,
                };
                match why {
                    Some(why) => skipped.push(json!({"channel_id": id.to_string(), "why": why})),
                    None => msgs.push(any(
                        pol_payments::MSG_CLAIM_PAYMENT_TYPE_URL,
                        &MsgClaimPayment {
                            provider: me.clone(),
                            payment: Some(p.to_proto()),
                            close,
                        },
                    )),
                }
            }
            if msgs.is_empty() {
                let out = json!({"claims": 0, "skipped": skipped});
                println!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(());
            }
            // As the worker does: at most CLAIMS_PER_TX claims a transaction, one
            // printed result each.
            for chunk in msgs.chunks(pol_payments::msg::CLAIMS_PER_TX) {
                let mut opts = opts.clone();
                opts.gas_at_least(pol_payments::msg::claim_gas(chunk.len()));
                let mut extra = serde_json::Map::new();
                extra.insert("claims".into(), json!(chunk.len()));
                extra.insert("skipped".into(), json!(skipped));
                super::tx::broadcast_with(&signer, chunk.to_vec(), opts, extra).await?;
            }
            Ok(())
        }
        PaymentsTx::Close {
            from,
            channel_id,
            opts,
        } => {
            let signer = keyring.find(&from)?.signer()?;
            let msg = MsgCloseChannel {
                requester: signer.address().to_string(),
                channel_id,
            };
            broadcast(
                &signer,
                vec![any(pol_payments::MSG_CLOSE_CHANNEL_TYPE_URL, &msg)],
                opts,
            )
            .await
        }
    }
}

const Q: &str = "/pol.payments.v1.Query/";

pub async fn query(cmd: PaymentsQuery) -> anyhow::Result<()> {
    let out: Value = match cmd {
        PaymentsQuery::Params { opts } => {
            let r: pb::QueryParamsResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}Params"),
                    &pb::QueryParamsRequest {},
                    opts.height,
                )
                .await?;
            let p = pol_payments::Params::from_proto(&r.params.unwrap_or_default())
                .map_err(anyhow::Error::msg)?;
            serde_json::to_value(p)?
        }
        PaymentsQuery::Channel { channel_id, opts } => {
            let r: pb::QueryChannelResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}Channel"),
                    &pb::QueryChannelRequest { channel_id },
                    opts.height,
                )
                .await?;
            json!({ "channel": r.channel, "height": r.height.to_string() })
        }
        PaymentsQuery::Channels {
            requester,
            provider,
            opts,
        } => {
            let next = |r: &pb::QueryChannelsResponse| r.pagination.clone();
            let pages: Vec<pb::QueryChannelsResponse> = match (requester, provider) {
                (Some(requester), _) => {
                    fetch_all(
                        &opts,
                        &format!("{Q}ChannelsByRequester"),
                        |p| pb::QueryChannelsByRequesterRequest {
                            requester: requester.clone(),
                            pagination: Some(p),
                        },
                        next,
                    )
                    .await?
                }
                (None, Some(provider)) => {
                    fetch_all(
                        &opts,
                        &format!("{Q}ChannelsByProvider"),
                        |p| pb::QueryChannelsByProviderRequest {
                            provider: provider.clone(),
                            pagination: Some(p),
                        },
                        next,
                    )
                    .await?
                }
                (None, None) => {
                    fetch_all(
                        &opts,
                        &format!("{Q}Channels"),
                        |p| pb::QueryChannelsRequest {
                            pagination: Some(p),
                        },
                        next,
                    )
                    .await?
                }
            };
            let channels: Vec<&pb::Channel> = pages.iter().flat_map(|p| &p.channels).collect();
            json!({ "channels": channels })
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
