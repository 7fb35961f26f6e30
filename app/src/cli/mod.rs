//! The `pold` command tree (Cosmos verbs: init, genesis, keys, start, tx, query, status).

mod call;
mod distribution;
mod gov;
mod infer;
mod inference;
mod init;
mod keys;
mod module_cli;
mod payments;
mod pol;
mod query;
mod slashing;
mod staking;
mod tx;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "pold",
    version,
    about = "pol node: Proof-of-Latency inference market chain"
)]
pub struct Cli {
    /// Node home: CometBFT config and data, app.toml, state, keyring.
    #[arg(long, global = true, env = "POLD_HOME", default_value_os_t = default_home())]
    home: PathBuf,
    /// Log filter (tracing env-filter syntax).
    #[arg(long, global = true, env = "POLD_LOG", default_value = "info")]
    log: String,
    #[command(subcommand)]
    pub(crate) command: Command,
}

fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".pol")
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Create a node home: CometBFT config and keys, genesis.json, app.toml.
    Init(init::InitArgs),
    /// Edit genesis.json before the chain starts.
    #[command(subcommand)]
    Genesis(init::GenesisCommand),
    /// Manage account keys (file keyring, secp256k1, bech32 `pol`).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Run the node: ABCI, gRPC, metrics, and CometBFT (supervised) for this home.
    Start(StartArgs),
    /// Sign and broadcast transactions.
    #[command(subcommand)]
    Tx(tx::TxCommand),
    /// Query state.
    #[command(subcommand)]
    Query(query::QueryCommand),
    /// Run one inference on the best provider the chain ranks for a model (Query/Route),
    /// verifying its signed receipt against the provider's registered key.
    Infer(infer::InferArgs),
    /// Show the node's status (CometBFT sync info and the app's view).
    Status {
        #[arg(long, default_value = "tcp://127.0.0.1:26657")]
        node: String,
    },
}

#[derive(clap::Args)]
pub(crate) struct StartArgs {
    /// Run only the ABCI/gRPC side; CometBFT is started by someone else.
    #[arg(long)]
    no_cometbft: bool,
    /// Override app.toml's abci_address.
    #[arg(long)]
    abci_address: Option<String>,
    /// Override app.toml's grpc_address ("" disables).
    #[arg(long)]
    grpc_address: Option<String>,
    /// Override app.toml's metrics_address ("" disables).
    #[arg(long)]
    metrics_address: Option<String>,
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(&cli.log);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Init(args) => init::init(&cli.home, args),
        Command::Genesis(cmd) => init::genesis(&cli.home, cmd),
        Command::Keys(cmd) => keys::run(&cli.home, cmd),
        Command::Start(a) => rt.block_on(pol_app::node::start(pol_app::node::StartOptions {
            home: cli.home,
            with_cometbft: !a.no_cometbft,
            abci_address: a.abci_address,
            grpc_address: a.grpc_address,
            metrics_address: a.metrics_address,
        })),
        Command::Tx(cmd) => rt.block_on(tx::run(&cli.home, cmd)),
        Command::Query(cmd) => rt.block_on(query::run(&cli.home, cmd)),
        Command::Infer(args) => rt.block_on(infer::run(&cli.home, args)),
        Command::Status { node } => rt.block_on(query::status(&node)),
    }
}
