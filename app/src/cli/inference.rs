//! `pold tx inference …` and `pold query inference …` (`pol.inference.v1`).
//!
//! Inputs and outputs use hex for keys, hashes and ids (what `pol-proofs` and `pol-worker`
//! print): `--commitment`, `--receipt-pubkey`, receipt JSON files, `--input`, `--proof`;
//! query output shows `weight_commitment`, `receipt_pubkey`, `receipt_id`, `input_hash`,
//! `output_hash` and `proof_hash` in hex, provider status and obligation state by name, and
//! an architecture's `verifying_key` in base64. Lists fetch every page.

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

#[derive(clap::Subcommand)]
pub enum InferenceTx {
    /// Register an architecture: the Groth16 verifying key `pol-proofs setup` wrote
    /// (<out>.vk). Prints the architecture id (hex SHA-256 of the key's canonical bytes).
    RegisterArchitecture {
        from: String,
        #[arg(long)]
        verifying_key: PathBuf,
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

// ---- parsing --------------------------------------------------------------------------

/// Hex, with or without `0x`, surrounding whitespace ignored.
fn hex_bytes(s: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let t = s.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    hex::decode(t).map_err(|e| anyhow::anyhow!("{what} is not hex: {e}"))
}

fn hex_array<const N: usize>(s: &str, what: &str) -> anyhow::Result<[u8; N]> {
    let b = hex_bytes(s, what)?;
    let len = b.len();
    b.try_into()
        .map_err(|_| anyhow::anyhow!("{what} must be {N} bytes ({} hex digits), got {len}", 2 * N))
}

/// An amount of the bond denom's base unit: digits only.
fn amount(s: &str, what: &str) -> anyhow::Result<String> {
    let t = s.trim();
    match pol_component::coins::parse_amount(t) {
        Some(a) => Ok(a.to_string()),
        None => bail!(
            "{what} {s:?} must be a whole amount of the bond denom's base unit (digits only, e.g. 1000)"
        ),
    }
}

fn model_ids(models: &[String]) -> anyhow::Result<Vec<String>> {
    let ids: Vec<String> = models.iter().map(|m| m.trim().to_string()).collect();
    for id in &ids {
        validate_model_id(id).map_err(|e| anyhow::anyhow!("--models: {}", e.log))?;
    }
    Ok(ids)
}

/// The public key of a worker key file (32-byte ed25519 seed in hex, as pol-worker writes it).
fn worker_pubkey(path: &Path) -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--worker-key: reading {}", path.display()))?;
    let seed: [u8; 32] = hex_array(&text, &format!("worker key {}", path.display()))?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes()
        .to_vec())
}

fn receipt_key(pubkey: Option<&str>, key_file: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    match (pubkey, key_file) {
        (Some(hex), None) => Ok(hex_array::<32>(hex, "--receipt-pubkey")?.to_vec()),
        (None, Some(path)) => worker_pubkey(path),
        (None, None) => Ok(Vec::new()),
        (Some(_), Some(_)) => bail!("give --receipt-pubkey or --worker-key, not both"),
    }
}

fn sla(max_p99_us: u64, max_failure_ppm: u32) -> anyhow::Result<pb::Sla> {
    if max_p99_us == 0 {
        bail!("--max-p99-us must be positive");
    }
    if max_failure_ppm > 1_000_000 {
        bail!("--max-failure-ppm is at most 1000000");
    }
    Ok(pb::Sla {
        max_p99_latency_us: max_p99_us,
        max_failure_rate_ppm: max_failure_ppm,
    })
}

fn endpoint(e: &str) -> anyhow::Result<String> {
    if !(e.starts_with("http://") || e.starts_with("https://")) {
        bail!("--endpoint {e:?} must start with http:// or https://");
    }
    Ok(e.to_string())
}

/// A u64 written as a JSON number or a decimal string.
fn u64_num_or_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Num(u64),
        Str(String),
    }
    match N::deserialize(d)? {
        N::Num(n) => Ok(n),
        N::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a u64"))),
    }
}

/// The JSON form of a `pol.inference.v1.Receipt` file: proto field names, bytes in hex.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptJson {
    pub chain_id: String,
    pub provider: String,
    pub model_id: String,
    pub input_hash: String,
    pub output_hash: String,
    #[serde(deserialize_with = "u64_num_or_str")]
    pub nonce: u64,
    #[serde(deserialize_with = "u64_num_or_str")]
    pub worker_time_ms: u64,
    pub worker_pubkey: String,
    pub signature: String,
}

impl ReceiptJson {
    fn to_proto(&self) -> anyhow::Result<pb::Receipt> {
        Ok(pb::Receipt {
            chain_id: self.chain_id.clone(),
            provider: self.provider.clone(),
            model_id: self.model_id.clone(),
            input_hash: hex_array::<32>(&self.input_hash, "input_hash")?.to_vec(),
            output_hash: hex_array::<32>(&self.output_hash, "output_hash")?.to_vec(),
            nonce: self.nonce,
            worker_time_ms: self.worker_time_ms,
            worker_pubkey: hex_array::<32>(&self.worker_pubkey, "worker_pubkey")?.to_vec(),
            signature: hex_array::<64>(&self.signature, "signature")?.to_vec(),
        })
    }
}

fn read_receipt(file: Option<&Path>, b64: Option<&str>) -> anyhow::Result<pb::Receipt> {
    let proto = match (file, b64) {
        (Some(path), None) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--receipt: reading {}", path.display()))?;
            let j: ReceiptJson = serde_json::from_str(&text)
                .with_context(|| format!("--receipt: {} is not receipt JSON", path.display()))?;
            j.to_proto()
                .with_context(|| format!("--receipt {}", path.display()))?
        }
        (None, Some(s)) => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .context("--receipt-base64 is not base64")?;
            pb::Receipt::decode(bytes.as_slice())
                .context("--receipt-base64 is not a protobuf pol.inference.v1.Receipt")?
        }
        _ => bail!("give --receipt <file> or --receipt-base64, exactly one"),
    };
    // Fail here, with the reason, rather than in CheckTx.
    let signed = SignedReceipt::from_proto(&proto).context("receipt")?;
    signed.verify().context("receipt")?;
    Ok(proto)
}

/// `--input`: hex, one byte per i8.
fn input_bytes(s: &str) -> anyhow::Result<Vec<u8>> {
    let b = hex_bytes(s, "--input")?;
    if b.is_empty() {
        bail!("--input is empty");
    }
    Ok(b)
}

/// `--output`: comma-separated i32.
fn output_logits(s: &str) -> anyhow::Result<Vec<i32>> {
    let out = s
        .split(',')
        .map(str::trim)
        .enumerate()
        .map(|(i, x)| {
            x.parse::<i32>()
                .map_err(|_| anyhow::anyhow!("--output: element {i} ({x:?}) is not an i32"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if out.is_empty() {
        bail!("--output is empty");
    }
    Ok(out)
}

/// `--proof`: a file (raw 128 bytes, or hex text) or 256 hex digits.
fn proof_bytes(s: &str) -> anyhow::Result<Vec<u8>> {
    const N: usize = pol_proofs::keys::PROOF_BYTES;
    let path = Path::new(s);
    let bytes = if path.is_file() {
        let raw =
            std::fs::read(path).with_context(|| format!("--proof: reading {}", path.display()))?;
        if raw.len() == N {
            raw
        } else {
            let text = String::from_utf8(raw).map_err(|_| {
                anyhow::anyhow!(
                    "--proof {}: neither {N} raw bytes nor hex text",
                    path.display()
                )
            })?;
            hex_bytes(&text, &format!("--proof {}", path.display()))?
        }
    } else {
        hex_bytes(s, "--proof (no such file either)")?
    };
    if bytes.len() != N {
        bail!("--proof is {} bytes, a proof is {N}", bytes.len());
    }
    Ok(bytes)
}

fn state_filter(s: Option<&str>) -> anyhow::Result<pb::ObligationState> {
    Ok(match s {
        None => pb::ObligationState::Unspecified,
        Some("pending") => pb::ObligationState::Pending,
        Some("discharged") => pb::ObligationState::Discharged,
        Some("missed") => pb::ObligationState::Missed,
        Some(other) => bail!("--state {other:?}: pending, discharged or missed"),
    })
}

fn address(s: &str, what: &str) -> anyhow::Result<String> {
    pol_component::Address::parse(s.trim())
        .map(|a| a.to_string())
        .map_err(|e| anyhow::anyhow!("{what}: {}", e.log))
}

// ---- transactions ---------------------------------------------------------------------

pub async fn tx(home: &Path, cmd: InferenceTx) -> anyhow::Result<()> {
    let keyring = Keyring::open(home);
    let signer_of = |from: &str| -> anyhow::Result<_> { Ok(keyring.find(from)?.signer()?) };
    match cmd {
        InferenceTx::RegisterArchitecture {
            from,
            verifying_key,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let bytes = std::fs::read(&verifying_key)
                .with_context(|| format!("--verifying-key: reading {}", verifying_key.display()))?;
            let (id, vk) = decode_verifying_key(&bytes)
                .map_err(|e| anyhow::anyhow!("--verifying-key {}: {e}", verifying_key.display()))?;
            let msg = MsgRegisterArchitecture {
                sender: signer.address().to_string(),
                verifying_key: bytes,
            };
            let mut extra = Map::new();
            extra.insert("architecture_id".into(), json!(id));
            extra.insert("layers".into(), json!(vk.arch.to_string()));
            broadcast_with(
                &signer,
                vec![any(pol_inference::MSG_REGISTER_ARCHITECTURE_TYPE_URL, &msg)],
                opts,
                extra,
            )
            .await
        }
        InferenceTx::RegisterModel {
            from,
            model_id,
            architecture,
            commitment,
            model,
            price,
            opts,
        } => {
            let signer = signer_of(&from)?;
            validate_model_id(&model_id).map_err(|e| anyhow::anyhow!("{}", e.log))?;
            let architecture_id = hex::encode(hex_array::<32>(&architecture, "--architecture")?);
            let commitment = match (commitment, model) {
                (Some(c), None) => pol_proofs::commitment::Commitment::from_hex(
                    c.trim().strip_prefix("0x").unwrap_or(c.trim()),
                )
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--commitment must be 64 hex digits of a canonical BN254 field element"
                    )
                })?,
                (None, Some(path)) => {
                    let m = pol_proofs::model::Model::load(&path)
                        .with_context(|| format!("--model {}", path.display()))?;
                    pol_proofs::commitment::commit(&m)
                }
                _ => bail!("give --commitment or --model, exactly one"),
            };
            let msg = MsgRegisterModel {
                owner: signer.address().to_string(),
                model_id,
                architecture_id,
                weight_commitment: commitment.0.to_vec(),
                price_per_inference: match price {
                    Some(p) => amount(&p, "--price")?,
                    None => String::new(),
                },
            };
            let mut extra = Map::new();
            extra.insert("weight_commitment".into(), json!(commitment.to_hex()));
            broadcast_with(
                &signer,
                vec![any(pol_inference::MSG_REGISTER_MODEL_TYPE_URL, &msg)],
                opts,
                extra,
            )
            .await
        }
        InferenceTx::RegisterProvider {
            from,
            endpoint: url,
            models,
            max_p99_us,
            max_failure_ppm,
            price,
            receipt_key: key,
            bond,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let receipt_pubkey =
                receipt_key(key.receipt_pubkey.as_deref(), key.worker_key.as_deref())?;
            let msg = MsgRegisterProvider {
                provider: signer.address().to_string(),
                endpoint: endpoint(&url)?,
                models: model_ids(&models)?,
                sla: Some(sla(max_p99_us, max_failure_ppm)?),
                price_per_inference: amount(&price, "--price")?,
                receipt_pubkey: receipt_pubkey.clone(),
                bond: Some(coin(&bond).context("--bond")?),
            };
            let mut extra = Map::new();
            extra.insert("receipt_pubkey".into(), json!(hex::encode(receipt_pubkey)));
            broadcast_with(
                &signer,
                vec![any(pol_inference::MSG_REGISTER_PROVIDER_TYPE_URL, &msg)],
                opts,
                extra,
            )
            .await
        }
        InferenceTx::UpdateProvider {
            from,
            endpoint: url,
            models,
            max_p99_us,
            max_failure_ppm,
            price,
            receipt_key: key,
            add_bond,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let sla = match (max_p99_us, max_failure_ppm) {
                (Some(p99), Some(ppm)) => Some(sla(p99, ppm)?),
                (None, None) => None,
                _ => bail!(
                    "--max-p99-us and --max-failure-ppm go together (the SLA is replaced whole)"
                ),
            };
            let msg = MsgUpdateProvider {
                provider: signer.address().to_string(),
                endpoint: url
                    .as_deref()
                    .map(endpoint)
                    .transpose()?
                    .unwrap_or_default(),
                models: match models {
                    Some(m) if m.is_empty() => bail!("--models needs at least one model id"),
                    Some(m) => model_ids(&m)?,
                    None => Vec::new(),
                },
                sla,
                price_per_inference: price
                    .as_deref()
                    .map(|p| amount(p, "--price"))
                    .transpose()?
                    .unwrap_or_default(),
                receipt_pubkey: receipt_key(
                    key.receipt_pubkey.as_deref(),
                    key.worker_key.as_deref(),
                )?,
                add_bond: add_bond
                    .as_deref()
                    .map(|b| coin(b).context("--add-bond"))
                    .transpose()?,
            };
            let unchanged = msg.endpoint.is_empty()
                && msg.models.is_empty()
                && msg.sla.is_none()
                && msg.price_per_inference.is_empty()
                && msg.receipt_pubkey.is_empty()
                && msg.add_bond.is_none();
            if unchanged {
                bail!("nothing to update: give at least one of --endpoint, --models, --max-p99-us/--max-failure-ppm, --price, --receipt-pubkey/--worker-key, --add-bond");
            }
            broadcast(
                &signer,
                vec![any(pol_inference::MSG_UPDATE_PROVIDER_TYPE_URL, &msg)],
                opts,
            )
            .await
        }
        InferenceTx::DeregisterProvider { from, opts } => {
            let signer = signer_of(&from)?;
            let msg = MsgDeregisterProvider {
                provider: signer.address().to_string(),
            };
            broadcast(
                &signer,
                vec![any(pol_inference::MSG_DEREGISTER_PROVIDER_TYPE_URL, &msg)],
                opts,
            )
            .await
        }
        InferenceTx::SubmitReceipt {
            from,
            receipt,
            receipt_base64,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let proto = read_receipt(receipt.as_deref(), receipt_base64.as_deref())?;
            let id = SignedReceipt::from_proto(&proto)
                .and_then(|r| r.id())
                .context("receipt")?;
            let msg = MsgSubmitReceipt {
                submitter: signer.address().to_string(),
                receipt: Some(proto),
            };
            let mut extra = Map::new();
            extra.insert("receipt_id".into(), json!(hex::encode(id)));
            broadcast_with(
                &signer,
                vec![any(pol_inference::MSG_SUBMIT_RECEIPT_TYPE_URL, &msg)],
                opts,
                extra,
            )
            .await
        }
        InferenceTx::Attest {
            from,
            obligation_id,
            input,
            output,
            proof,
            opts,
        } => {
            let signer = signer_of(&from)?;
            let msg = MsgSubmitAttestation {
                submitter: signer.address().to_string(),
                obligation_id,
                input: input_bytes(&input)?,
                output: output_logits(&output)?,
                proof: proof_bytes(&proof)?,
            };
            broadcast(
                &signer,
                vec![any(pol_inference::MSG_SUBMIT_ATTESTATION_TYPE_URL, &msg)],
                opts,
            )
            .await
        }
    }
}

// ---- queries --------------------------------------------------------------------------

fn to_json<T: Serialize>(r: &T) -> anyhow::Result<Map<String, Value>> {
    match serde_json::to_value(r)? {
        Value::Object(m) => Ok(m),
        other => bail!("record did not serialize to an object: {other}"),
    }
}

fn architecture_json(a: &pb::Architecture) -> anyhow::Result<Value> {
    Ok(Value::Object(to_json(a)?))
}

fn model_json(m: &pb::Model) -> anyhow::Result<Value> {
    let mut v = to_json(m)?;
    v.insert(
        "weight_commitment".into(),
        json!(hex::encode(&m.weight_commitment)),
    );
    Ok(Value::Object(v))
}

fn provider_json(p: &pb::Provider) -> anyhow::Result<Value> {
    let mut v = to_json(p)?;
    v.insert("status".into(), json!(status_name(p.status)));
    v.insert(
        "receipt_pubkey".into(),
        json!(hex::encode(&p.receipt_pubkey)),
    );
    Ok(Value::Object(v))
}

fn obligation_json(o: &pb::Obligation) -> anyhow::Result<Value> {
    let mut v = to_json(o)?;
    v.insert("state".into(), json!(state_name(o.state)));
    v.insert("receipt_id".into(), json!(hex::encode(&o.receipt_id)));
    v.insert("input_hash".into(), json!(hex::encode(&o.input_hash)));
    v.insert("output_hash".into(), json!(hex::encode(&o.output_hash)));
    Ok(Value::Object(v))
}

fn attestation_json(a: &pb::Attestation) -> anyhow::Result<Value> {
    let mut v = to_json(a)?;
    v.insert("proof_hash".into(), json!(hex::encode(&a.proof_hash)));
    Ok(Value::Object(v))
}

fn fault_json(f: &pb::CorrectnessFault) -> anyhow::Result<Value> {
    Ok(Value::Object(to_json(f)?))
}

fn print(v: Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

fn list<T>(
    key: &str,
    items: impl IntoIterator<Item = T>,
    f: impl Fn(&T) -> anyhow::Result<Value>,
) -> anyhow::Result<()> {
    let values = items
        .into_iter()
        .map(|x| f(&x))
        .collect::<anyhow::Result<Vec<_>>>()?;
    print(json!({ key: values }))
}

const Q: &str = "/pol.inference.v1.Query/";

/// Every page of the inference list query `method`.
async fn fetch_all<Req, Resp>(
    opts: &QueryOpts,
    method: &str,
    build: impl Fn(cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest) -> Req,
    next: impl Fn(&Resp) -> Option<cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse>,
) -> anyhow::Result<Vec<Resp>>
where
    Req: Message,
    Resp: Message + Default,
{
    super::query::fetch_all(opts, &format!("{Q}{method}"), build, next).await
}

async fn one<Req: Message, Resp: Message + Default>(
    opts: &QueryOpts,
    method: &str,
    req: Req,
) -> anyhow::Result<Resp> {
    Ok(RpcClient::new(&opts.node)
        .query(&format!("{Q}{method}"), &req, opts.height)
        .await?)
}

pub async fn query(cmd: InferenceQuery) -> anyhow::Result<()> {
    match cmd {
        InferenceQuery::Params { opts } => {
            let r: pb::QueryParamsResponse =
                one(&opts, "Params", pb::QueryParamsRequest {}).await?;
            let p = r.params.context("the node returned no params")?;
            let p = pol_inference::Params::from_proto(&p).map_err(anyhow::Error::msg)?;
            print(serde_json::to_value(p)?)
        }
        InferenceQuery::Architectures { opts } => {
            let pages = fetch_all(
                &opts,
                "Architectures",
                |p| pb::QueryArchitecturesRequest {
                    pagination: Some(p),
                },
                |r: &pb::QueryArchitecturesResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "architectures",
                pages.into_iter().flat_map(|r| r.architectures),
                architecture_json,
            )
        }
        InferenceQuery::Architecture { id, opts } => {
            let id = hex::encode(hex_array::<32>(&id, "architecture id")?);
            let r: pb::QueryArchitectureResponse =
                one(&opts, "Architecture", pb::QueryArchitectureRequest { id }).await?;
            print(architecture_json(
                &r.architecture.context("empty response")?,
            )?)
        }
        InferenceQuery::Models { opts } => {
            let pages = fetch_all(
                &opts,
                "Models",
                |p| pb::QueryModelsRequest {
                    pagination: Some(p),
                },
                |r: &pb::QueryModelsResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "models",
                pages.into_iter().flat_map(|r| r.models),
                model_json,
            )
        }
        InferenceQuery::Model { id, opts } => {
            validate_model_id(&id).map_err(|e| anyhow::anyhow!("{}", e.log))?;
            let r: pb::QueryModelResponse =
                one(&opts, "Model", pb::QueryModelRequest { id }).await?;
            print(model_json(&r.model.context("empty response")?)?)
        }
        InferenceQuery::Providers { model, opts } => {
            let model_id = match model {
                Some(m) => {
                    validate_model_id(&m).map_err(|e| anyhow::anyhow!("--model: {}", e.log))?;
                    m
                }
                None => String::new(),
            };
            let pages = fetch_all(
                &opts,
                "Providers",
                |p| pb::QueryProvidersRequest {
                    model_id: model_id.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryProvidersResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "providers",
                pages.into_iter().flat_map(|r| r.providers),
                provider_json,
            )
        }
        InferenceQuery::Provider { address: a, opts } => {
            let r: pb::QueryProviderResponse = one(
                &opts,
                "Provider",
                pb::QueryProviderRequest {
                    address: address(&a, "provider address")?,
                },
            )
            .await?;
            print(provider_json(&r.provider.context("empty response")?)?)
        }
        InferenceQuery::Obligations {
            provider,
            state,
            opts,
        } => {
            let provider = provider
                .map(|p| address(&p, "--provider"))
                .transpose()?
                .unwrap_or_default();
            let state = state_filter(state.as_deref())? as i32;
            let pages = fetch_all(
                &opts,
                "Obligations",
                |p| pb::QueryObligationsRequest {
                    provider: provider.clone(),
                    state,
                    pagination: Some(p),
                },
                |r: &pb::QueryObligationsResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "obligations",
                pages.into_iter().flat_map(|r| r.obligations),
                obligation_json,
            )
        }
        InferenceQuery::Obligation { id, opts } => {
            let r: pb::QueryObligationResponse =
                one(&opts, "Obligation", pb::QueryObligationRequest { id }).await?;
            print(obligation_json(&r.obligation.context("empty response")?)?)
        }
        InferenceQuery::Attestations { provider, opts } => {
            let provider = provider
                .map(|p| address(&p, "--provider"))
                .transpose()?
                .unwrap_or_default();
            let pages = fetch_all(
                &opts,
                "Attestations",
                |p| pb::QueryAttestationsRequest {
                    provider: provider.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryAttestationsResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "attestations",
                pages.into_iter().flat_map(|r| r.attestations),
                attestation_json,
            )
        }
        InferenceQuery::Faults { provider, opts } => {
            let provider = provider
                .map(|p| address(&p, "--provider"))
                .transpose()?
                .unwrap_or_default();
            let pages = fetch_all(
                &opts,
                "Faults",
                |p| pb::QueryFaultsRequest {
                    provider: provider.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryFaultsResponse| r.pagination.clone(),
            )
            .await?;
            list(
                "faults",
                pages.into_iter().flat_map(|r| r.faults),
                fault_json,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_outputs_inputs_and_amounts() {
        assert_eq!(output_logits("-5, 3,0").unwrap(), vec![-5, 3, 0]);
        assert!(output_logits("1,,2").is_err());
        assert!(output_logits("99999999999").is_err());
        assert_eq!(input_bytes("0x01ff").unwrap(), vec![1, 0xff]);
        assert!(input_bytes("zz").is_err());
        assert!(input_bytes("").is_err());
        assert_eq!(amount(" 42 ", "--price").unwrap(), "42");
        assert!(amount("42upol", "--price").is_err());
        assert!(amount("-1", "--price").is_err());
        assert!(state_filter(Some("done")).is_err());
        assert_eq!(
            state_filter(Some("missed")).unwrap(),
            pb::ObligationState::Missed
        );
    }

    #[test]
    fn proof_from_hex_or_file() {
        let proof = [7u8; pol_proofs::keys::PROOF_BYTES];
        assert_eq!(proof_bytes(&hex::encode(proof)).unwrap(), proof.to_vec());
        assert!(proof_bytes("abcd").unwrap_err().to_string().contains("128"));
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("0.proof");
        std::fs::write(&raw, proof).unwrap();
        assert_eq!(proof_bytes(raw.to_str().unwrap()).unwrap(), proof.to_vec());
        let text = dir.path().join("p.hex");
        std::fs::write(&text, format!("{}\n", hex::encode(proof))).unwrap();
        assert_eq!(proof_bytes(text.to_str().unwrap()).unwrap(), proof.to_vec());
        assert!(proof_bytes(dir.path().join("missing").to_str().unwrap()).is_err());
    }

    #[test]
    fn receipt_json_round_trip_and_worker_key() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let r = pol_inference::receipt::ReceiptBody::new(
            "pol-test-1",
            [4u8; 20],
            "m",
            &[1, -2],
            &[3, -4],
            u64::MAX,
            5,
        )
        .sign(&key)
        .unwrap();
        let p = r.to_proto();
        let j = json!({
            "chain_id": p.chain_id, "provider": p.provider, "model_id": p.model_id,
            "input_hash": hex::encode(&p.input_hash), "output_hash": hex::encode(&p.output_hash),
            "nonce": u64::MAX.to_string(), "worker_time_ms": 5,
            "worker_pubkey": hex::encode(&p.worker_pubkey), "signature": hex::encode(&p.signature),
        });
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("r.json");
        std::fs::write(&f, j.to_string()).unwrap();
        assert_eq!(read_receipt(Some(&f), None).unwrap(), p);
        // A tampered receipt is refused before anything is sent.
        let mut bad = j.clone();
        bad["nonce"] = json!(1);
        std::fs::write(&f, bad.to_string()).unwrap();
        assert!(format!("{:#}", read_receipt(Some(&f), None).unwrap_err()).contains("signature"));
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(p.encode_to_vec());
        assert_eq!(read_receipt(None, Some(&b64)).unwrap(), p);
        let wk = dir.path().join("worker.key");
        std::fs::write(&wk, format!("{}\n", hex::encode([9u8; 32]))).unwrap();
        assert_eq!(worker_pubkey(&wk).unwrap(), p.worker_pubkey);
        std::fs::write(&wk, "abc").unwrap();
        assert!(worker_pubkey(&wk).is_err());
    }
}
