//! `pold tx inference …` and `pold query inference …` (`pol.inference.v1`).
//!
//! Inputs and outputs use hex for keys, hashes and ids (what `pol-proofs` and `pol-worker`
//! print): `--commitment`, `--receipt-pubkey`, receipt JSON files, `--input`, `--proof`;
//! query output shows `weight_commitment`, `receipt_pubkey`, `receipt_id`, `input_hash`,
//! `output_hash` and `proof_hash` in hex, provider status and obligation state by name, and
//! an architecture's `verifying_key` in base64. Lists fetch every page.
//!
//! Here the arguments; `parse` reads them, `tx` builds and sends the messages, `query`
//! fetches and prints.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use pol_client::keyring::Keyring;
use pol_client::RpcClient;
use pol_inference::msg::{
    status_name, validate_model_id, MsgDeregisterProvider, MsgRegisterArchitecture,
    MsgRegisterModel, MsgRegisterProvider, MsgSubmitAttestation, MsgSubmitReceipt,
    MsgUpdateProvider,
};
use pol_inference::pb;
use pol_inference::receipt::SignedReceipt;
use pol_inference::verify::{decode_verifying_key, state_name};
use prost::Message;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::query::QueryOpts;
use super::tx::{any, broadcast, broadcast_with, coin, TxOpts};

mod parse;
mod query;
mod tx;

use parse::*;
pub use query::query;
pub use tx::tx;

use super::module_cli::{verbs, ModuleCli};

/// `pold tx inference …` and `pold query inference …`.
pub static CLI: ModuleCli = ModuleCli {
    module: "inference",
    tx: Some(verbs!(
        "Models, architectures, providers, receipts and attestations",
        InferenceTx,
        tx
    )),
    query: Some(verbs!(
        "Models, architectures, providers, obligations and attestations",
        InferenceQuery,
        query query
    )),
};

#[derive(clap::Subcommand)]
pub enum InferenceTx {
    /// Register an architecture: the Groth16 verifying key `pol-proofs ceremony finalize`
    /// (or, on a localnet, `pol-proofs setup`) wrote (<out>.vk). Prints the architecture id
    /// (hex SHA-256 of the key's canonical bytes).
    RegisterArchitecture {
        from: String,
        #[arg(long)]
        verifying_key: PathBuf,
        /// The ceremony's setup record (`pol-proofs ceremony finalize --out-setup`). Without
        /// it the key registers as insecure, which only chains that allow insecure setups
        /// (localnets) accept.
        #[arg(long)]
        setup: Option<PathBuf>,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Publish a model: an architecture id and the Poseidon commitment to its weights, given
    /// as hex or computed from the weights file (`.polm`; the weights stay off chain).
    RegisterModel {
        from: String,
        model_id: String,
        /// Architecture id (64 hex digits, from register-architecture).
        #[arg(long)]
        architecture: String,
        /// Weight commitment, 64 hex digits (as `pol-proofs commit` prints it).
        #[arg(long, conflicts_with = "model", required_unless_present = "model")]
        commitment: Option<String>,
        /// Weights file to commit to.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Royalty to the owner per settled receipt, in the bond denom's base unit (upol).
        #[arg(long)]
        price: Option<String>,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Become a provider: endpoint, models served, SLA, price, receipt key and bond.
    RegisterProvider {
        from: String,
        /// http:// or https:// URL requesters reach the worker at.
        #[arg(long)]
        endpoint: String,
        /// Model ids served, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        models: Vec<String>,
        /// Promised p99 latency, microseconds.
        #[arg(long)]
        max_p99_us: u64,
        /// Promised failure rate, per million requests.
        #[arg(long)]
        max_failure_ppm: u32,
        /// Price per inference in the bond denom's base unit (upol).
        #[arg(long)]
        price: String,
        #[command(flatten)]
        receipt_key: ReceiptKeyArgs,
        /// Bond, e.g. 10000000upol.
        #[arg(long)]
        bond: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Change a provider's registration; what is not given stays as it is.
    UpdateProvider {
        from: String,
        #[arg(long)]
        endpoint: Option<String>,
        #[arg(long, value_delimiter = ',')]
        models: Option<Vec<String>>,
        /// New SLA (with --max-failure-ppm: the SLA is replaced as a whole).
        #[arg(long, requires = "max_failure_ppm")]
        max_p99_us: Option<u64>,
        #[arg(long, requires = "max_p99_us")]
        max_failure_ppm: Option<u32>,
        #[arg(long)]
        price: Option<String>,
        #[command(flatten)]
        receipt_key: OptionalReceiptKeyArgs,
        /// Top the bond up (reactivates a jailed provider back above the minimum).
        #[arg(long)]
        add_bond: Option<String>,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Stop serving; the bond returns after the unbonding period.
    DeregisterProvider {
        from: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Settle a worker receipt (pays the model's and the provider's price; the chain may
    /// sample it into a proof obligation).
    SubmitReceipt {
        from: String,
        /// JSON file with the fields of pol.inference.v1.Receipt, bytes in hex.
        #[arg(
            long,
            conflicts_with = "receipt_base64",
            required_unless_present = "receipt_base64"
        )]
        receipt: Option<PathBuf>,
        /// The receipt as base64 of its protobuf encoding.
        #[arg(long)]
        receipt_base64: Option<String>,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Discharge a pending obligation with a Groth16 proof of the receipt's inference.
    Attest {
        from: String,
        obligation_id: u64,
        /// The int8 input, one two's-complement byte per element, in hex.
        #[arg(long)]
        input: String,
        /// The logits, comma-separated i32.
        #[arg(long, allow_hyphen_values = true)]
        output: String,
        /// A file holding the 128-byte proof (raw, as `pol-proofs prove` writes it, or hex),
        /// or the proof itself as 256 hex digits.
        #[arg(long)]
        proof: String,
        #[command(flatten)]
        opts: TxOpts,
    },
}

/// The ed25519 key the worker signs receipts with.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct ReceiptKeyArgs {
    /// The public key, 64 hex digits (`pol-worker keys` prints it).
    #[arg(long)]
    receipt_pubkey: Option<String>,
    /// The worker's key file (hex ed25519 seed); only its public key is sent.
    #[arg(long)]
    worker_key: Option<PathBuf>,
}

#[derive(clap::Args)]
#[group(required = false, multiple = false)]
pub struct OptionalReceiptKeyArgs {
    /// New receipt public key, 64 hex digits.
    #[arg(long)]
    receipt_pubkey: Option<String>,
    /// New worker key file (hex ed25519 seed); only its public key is sent.
    #[arg(long)]
    worker_key: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
pub enum InferenceQuery {
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
    Architectures {
        #[command(flatten)]
        opts: QueryOpts,
    },
    Architecture {
        id: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Models {
        #[command(flatten)]
        opts: QueryOpts,
    },
    Model {
        id: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// All providers, or those serving --model.
    Providers {
        #[arg(long)]
        model: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Provider {
        address: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// What the chain keeps of an account that was a provider and left: its faults, raised
    /// minimum bond and jail, restored if it registers again.
    ProviderRecord {
        address: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Proof obligations, by provider and/or state (pending, discharged, missed).
    Obligations {
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Obligation {
        id: u64,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Attestations, all or of one provider.
    Attestations {
        #[arg(long)]
        provider: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Correctness faults (missed proofs), all or of one provider.
    Faults {
        #[arg(long)]
        provider: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
}
