//! `pold tx`: each module's own verbs (`pold tx bank send` here, the others in their
//! module's file, all listed in `module_cli.rs`), `pold tx call|msgs` (any module's
//! message, in `call.rs`), and the sign-and-broadcast path they share.

use std::path::Path;

use anyhow::{bail, Context};
use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_client::{Chain, GasPrice, Keyring, RpcClient, SignerKey, TxSender};
use pol_component::coins::parse_coins_str;
use pol_component::Address;
use serde_json::json;
use tendermint_proto::google::protobuf::Any;

use super::module_cli::{verbs, ModuleCli, ModuleVerbs, TX};

pub use pol_client::any;

#[derive(clap::Subcommand)]
pub enum TxCommand {
    /// A module's own verbs (`pold tx staking delegate …`), in the app's module order.
    #[command(flatten)]
    Module(ModuleVerbs<TX>),
    /// Any module's message, as JSON (protobuf JSON mapping), signed by `from`:
    /// `pold tx call alice MsgDelegate '{"delegatorAddress": …}'`.
    Call {
        /// The signing key (its address must be the message's signer).
        from: String,
        /// The message: full name (`pol.staking.v1.MsgDelegate`) or name (`MsgDelegate`).
        msg: String,
        /// The message as JSON.
        json: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// List every message `pold tx call` can send.
    Msgs,
}

#[derive(clap::Subcommand)]
pub enum BankTx {
    /// Send coins: `pold tx bank send <from-key> <to-address> 1000upol`.
    Send {
        from: String,
        to: String,
        amount: String,
        #[command(flatten)]
        opts: TxOpts,
    },
}

#[derive(clap::Args, Clone)]
pub struct TxOpts {
    #[arg(long, default_value = "tcp://127.0.0.1:26657")]
    node: String,
    /// Defaults to the node's chain-id.
    #[arg(long)]
    chain_id: Option<String>,
    #[arg(long, default_value_t = 200_000)]
    gas: u64,
    /// Fee; defaults to gas × gas-prices.
    #[arg(long)]
    fees: Option<String>,
    #[arg(long, default_value = "0.025upol")]
    gas_prices: String,
    #[arg(long, default_value = "")]
    memo: String,
    /// Use this sequence instead of the account's (to replay or pre-sign).
    #[arg(long)]
    sequence: Option<u64>,
    /// Return after CheckTx instead of waiting for the block.
    #[arg(long)]
    no_wait: bool,
}

impl TxOpts {
    /// The node's RPC address.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// `--chain-id`, if given.
    pub fn chain_id(&self) -> Option<&str> {
        self.chain_id.as_deref()
    }

    /// At least `gas` (a transaction whose messages need more than the default).
    pub fn gas_at_least(&mut self, gas: u64) {
        self.gas = self.gas.max(gas);
    }
}

/// The account at `addr`, as the chain has it now.
pub async fn account(rpc: &RpcClient, addr: &Address) -> anyhow::Result<BaseAccount> {
    Ok(rpc.account(addr).await?)
}

/// `pold tx bank …` and `pold query bank …`.
pub static BANK_CLI: ModuleCli = ModuleCli {
    module: "bank",
    tx: Some(verbs!("Send coins", BankTx, bank)),
    query: Some(verbs!(
        "Balances",
        super::query::BankQuery,
        query super::query::bank
    )),
};

async fn bank(home: &Path, cmd: BankTx) -> anyhow::Result<()> {
    let BankTx::Send {
        from,
        to,
        amount,
        opts,
    } = cmd;
    let key = Keyring::open(home).find(&from)?;
    let signer = key.signer()?;
    let to = Address::parse(&to).map_err(|e| anyhow::anyhow!(e.log))?;
    let msg = MsgSend {
        from_address: signer.address().to_string(),
        to_address: to.to_string(),
        amount: coins(&amount)?,
    };
    broadcast(&signer, vec![any(pol_bank::MSG_SEND_TYPE_URL, &msg)], opts).await
}

pub async fn run(home: &Path, cmd: TxCommand) -> anyhow::Result<()> {
    match cmd {
        TxCommand::Module(verbs) => verbs.run(home).await,
        TxCommand::Call {
            from,
            msg,
            json,
            opts,
        } => {
            let signer = Keyring::open(home).find(&from)?.signer()?;
            broadcast(&signer, vec![super::call::msg_any(&msg, &json)?], opts).await
        }
        TxCommand::Msgs => super::call::list_msgs(),
    }
}

/// Parse `1000upol,5stake` into proto coins.
pub fn coins(s: &str) -> anyhow::Result<Vec<ProtoCoin>> {
    Ok(parse_coins_str(s)
        .map_err(|e| anyhow::anyhow!("amount {s:?}: {}", e.log))?
        .iter()
        .map(|c| c.to_proto())
        .collect())
}

/// One coin (a message amount).
pub fn coin(s: &str) -> anyhow::Result<ProtoCoin> {
    let mut c = coins(s)?;
    if c.len() != 1 {
        bail!("amount {s:?}: want exactly one coin");
    }
    Ok(c.remove(0))
}

/// Sign `messages` with `signer` (sequence and account number from the chain), broadcast,
/// and unless `--no-wait` wait for the block and print its result.
pub async fn broadcast(signer: &SignerKey, messages: Vec<Any>, opts: TxOpts) -> anyhow::Result<()> {
    broadcast_with(signer, messages, opts, serde_json::Map::new()).await
}

/// [`broadcast`], adding `extra` (what the client computed itself, such as an id) to the
/// printed result.
pub async fn broadcast_with(
    signer: &SignerKey,
    messages: Vec<Any>,
    opts: TxOpts,
    extra: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<()> {
    broadcast_then(
        signer,
        messages,
        opts,
        extra,
        |_| Ok(serde_json::Map::new()),
    )
    .await
    .map(drop)
}

/// [`broadcast`], adding `extra` to the printed result, and, once committed, what `then`
/// reads from the result (a message's response: the id the chain gave); returns that
/// result.
pub async fn broadcast_then(
    signer: &SignerKey,
    messages: Vec<Any>,
    opts: TxOpts,
    mut extra: serde_json::Map<String, serde_json::Value>,
    then: impl FnOnce(
        &pol_client::TxResult,
    ) -> anyhow::Result<serde_json::Map<String, serde_json::Value>>,
) -> anyhow::Result<Option<pol_client::TxResult>> {
    // --fees, when given, is the fee; only without it does --gas-prices matter.
    let gas_price: GasPrice = match &opts.fees {
        Some(_) => GasPrice {
            denom: String::new(),
            scaled: 0,
        },
        None => opts.gas_prices.parse().map_err(anyhow::Error::msg)?,
    };
    let fees = opts
        .fees
        .as_deref()
        .map(coins)
        .transpose()
        .context("--fees")?;
    let rpc = RpcClient::new(&opts.node);
    let chain_id = match opts.chain_id {
        Some(c) => c,
        None => rpc.chain_id().await?,
    };
    let sender = TxSender::new(rpc, signer.clone(), chain_id, gas_price);
    let tx_opts = pol_client::TxOptions {
        gas: opts.gas,
        fees,
        memo: opts.memo,
        sequence: opts.sequence,
    };
    let r = sender.broadcast(messages, &tx_opts).await?;
    let mut out =
        json!({"txhash": r.hash, "code": r.code, "codespace": r.codespace, "raw_log": r.log});
    let committed = if r.code == 0 && !opts.no_wait {
        let res = sender.wait(&r.hash).await?;
        out = json!({"txhash": r.hash, "height": res.height, "code": res.code, "raw_log": res.log, "gas_used": res.gas_used});
        Some(res)
    } else {
        None
    };
    if let Some(res) = committed.as_ref().filter(|r| r.code == 0) {
        extra.extend(then(res)?);
    }
    if let Some(o) = out.as_object_mut() {
        o.extend(extra);
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    match committed {
        Some(res) if res.code != 0 => bail!(
            "transaction failed in block {} with code {}",
            res.height,
            res.code
        ),
        None if r.code != 0 => bail!("transaction rejected with code {}: {}", r.code, r.log),
        c => Ok(c),
    }
}
