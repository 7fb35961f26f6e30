//! Parsing what `pold tx|query inference` take on the command line and in files.

use super::*;

/// Hex, with or without `0x`, surrounding whitespace ignored.
pub(super) fn hex_bytes(s: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let t = s.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    hex::decode(t).map_err(|e| anyhow::anyhow!("{what} is not hex: {e}"))
}

pub(super) fn hex_array<const N: usize>(s: &str, what: &str) -> anyhow::Result<[u8; N]> {
    let b = hex_bytes(s, what)?;
    let len = b.len();
    b.try_into()
        .map_err(|_| anyhow::anyhow!("{what} must be {N} bytes ({} hex digits), got {len}", 2 * N))
}

/// An amount of the bond denom's base unit: digits only.
pub(super) fn amount(s: &str, what: &str) -> anyhow::Result<String> {
    let t = s.trim();
    match pol_component::coins::parse_amount(t) {
        Some(a) => Ok(a.to_string()),
        None => bail!(
            "{what} {s:?} must be a whole amount of the bond denom's base unit (digits only, e.g. 1000)"
        ),
    }
}

pub(super) fn model_ids(models: &[String]) -> anyhow::Result<Vec<String>> {
    let ids: Vec<String> = models.iter().map(|m| m.trim().to_string()).collect();
    for id in &ids {
        validate_model_id(id).map_err(|e| anyhow::anyhow!("--models: {}", e.log))?;
    }
    Ok(ids)
}

/// The public key of a worker key file (32-byte ed25519 seed in hex, as pol-worker writes it).
pub(super) fn worker_pubkey(path: &Path) -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--worker-key: reading {}", path.display()))?;
    let seed: [u8; 32] = hex_array(&text, &format!("worker key {}", path.display()))?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed)
        .verifying_key()
        .to_bytes()
        .to_vec())
}

pub(super) fn receipt_key(
    pubkey: Option<&str>,
    key_file: Option<&Path>,
) -> anyhow::Result<Vec<u8>> {
    match (pubkey, key_file) {
        (Some(hex), None) => Ok(hex_array::<32>(hex, "--receipt-pubkey")?.to_vec()),
        (None, Some(path)) => worker_pubkey(path),
        (None, None) => Ok(Vec::new()),
        (Some(_), Some(_)) => bail!("give --receipt-pubkey or --worker-key, not both"),
    }
}

pub(super) fn sla(max_p99_us: u64, max_failure_ppm: u32) -> anyhow::Result<pb::Sla> {
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

pub(super) fn endpoint(e: &str) -> anyhow::Result<String> {
    if !(e.starts_with("http://") || e.starts_with("https://")) {
        bail!("--endpoint {e:?} must start with http:// or https://");
    }
    Ok(e.to_string())
}

/// A u64 written as a JSON number or a decimal string.
pub(super) fn u64_num_or_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
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
    /// What the request paid (absent: unpaid, no prices named).
    #[serde(default, deserialize_with = "u64_num_or_str")]
    pub channel_id: u64,
    #[serde(default)]
    pub payment_amount: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub royalty: String,
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
            channel_id: self.channel_id,
            payment_amount: self.payment_amount.clone(),
            price: self.price.clone(),
            royalty: self.royalty.clone(),
        })
    }
}

pub(super) fn read_receipt(file: Option<&Path>, b64: Option<&str>) -> anyhow::Result<pb::Receipt> {
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
pub(super) fn input_bytes(s: &str) -> anyhow::Result<Vec<u8>> {
    let b = hex_bytes(s, "--input")?;
    if b.is_empty() {
        bail!("--input is empty");
    }
    Ok(b)
}

/// `--output`: comma-separated i32.
pub(super) fn output_logits(s: &str) -> anyhow::Result<Vec<i32>> {
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
pub(super) fn proof_bytes(s: &str) -> anyhow::Result<Vec<u8>> {
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

pub(super) fn state_filter(s: Option<&str>) -> anyhow::Result<pb::ObligationState> {
    Ok(match s {
        None => pb::ObligationState::Unspecified,
        Some("pending") => pb::ObligationState::Pending,
        Some("discharged") => pb::ObligationState::Discharged,
        Some("missed") => pb::ObligationState::Missed,
        Some(other) => bail!("--state {other:?}: pending, discharged or missed"),
    })
}

pub(super) fn address(s: &str, what: &str) -> anyhow::Result<String> {
    pol_component::Address::parse(s.trim())
        .map(|a| a.to_string())
        .map_err(|e| anyhow::anyhow!("{what}: {}", e.log))
}
