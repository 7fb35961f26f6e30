//! `pold infer`: the requester's side of the market. Asks the chain which providers serve
//! the model (`pol.latency.v1 Query/Route`: ranked by consensus latency, price and
//! reputation), sends the input to the best one's worker with a random nonce, and checks
//! the answer as a validator's probe does: the logits have the model's output width, the
//! class is their first largest index, and the receipt is signed by the key the provider
//! REGISTERED on chain over exactly this chain, provider, model, input, output and nonce.
//! A provider that cannot be reached, errs, times out or answers with a receipt that does
//! not verify is reported and the next ranked one is tried (unless `--provider` names one);
//! one slower than its consensus p95 is hedged to the next (`--no-hedge` turns that off);
//! when all failed the round is retried after a backoff (`--retries`). It is the Rust
//! requester client (`pol_client::requester`) at work: each request is paid from the
//! payment wallet's channel to the provider, when it has one, and the receipt must commit
//! to that payment.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use pol_client::requester::{
    Answer, Candidate, Consensus, Job, ProofSetup, Requester, RequesterConfig, RequesterError,
};
use pol_client::RpcClient;
use pol_inference::pb as ipb;
use pol_inference::receipt::SignedReceipt;
use pol_latency::pb::RouteEntry;
use serde_json::{json, Value};

use super::pol::{route, route_entry_json, RouteArgs};

#[derive(clap::Args)]
pub struct InferArgs {
    /// Model id as registered on chain.
    #[arg(long)]
    model: String,
    /// The int8 input: comma-separated integers (-128..=127), or @FILE holding them
    /// (separated by commas or whitespace).
    #[arg(long, allow_hyphen_values = true)]
    input: String,
    /// Ask this provider (bech32) instead of the best ranked one; no fallback.
    #[arg(long)]
    provider: Option<String>,
    /// Receipt nonce (default: random).
    #[arg(long)]
    nonce: Option<u64>,
    /// Don't send the request to a second provider when the first is slower than its
    /// consensus p95 (hedging is on by default).
    #[arg(long)]
    no_hedge: bool,
    /// Use the provider's free tier (if it offers one): the request carries a payment on
    /// the wallet's channel that adds nothing, and nothing is charged.
    #[arg(long)]
    free: bool,
    /// Rounds to retry, with backoff, when every provider failed.
    #[arg(long, default_value_t = 1)]
    retries: u32,
    /// Give up on a provider after this many milliseconds (connecting and answering).
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
    /// CometBFT RPC of a node.
    #[arg(long, default_value = "tcp://127.0.0.1:26657")]
    node: String,
    /// `text` or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    output: String,
    /// Also write the verified receipt as JSON (the form `pold tx inference submit-receipt
    /// --receipt` reads).
    #[arg(long)]
    receipt_out: Option<PathBuf>,
    #[command(flatten)]
    route: RouteArgs,
}

/// `--input`: comma/whitespace-separated i8, or `@file` of them.
fn parse_input(s: &str) -> anyhow::Result<Vec<i8>> {
    let text = match s.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading --input {path}"))?
        }
        None => s.to_string(),
    };
    let out = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|x| !x.is_empty())
        .enumerate()
        .map(|(i, x)| {
            x.parse::<i8>().map_err(|_| {
                anyhow::anyhow!("--input: element {i} ({x:?}) is not an integer in -128..=127")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if out.is_empty() {
        bail!("--input is empty");
    }
    Ok(out)
}

/// Input and output widths of a registered model (its architecture's first and last layer),
/// and the royalty its owner takes per inference.
async fn model_shape(rpc: &RpcClient, model: &str) -> anyhow::Result<(usize, usize, u128)> {
    let m: ipb::QueryModelResponse = rpc
        .query(
            "/pol.inference.v1.Query/Model",
            &ipb::QueryModelRequest { id: model.into() },
            0,
        )
        .await
        .with_context(|| format!("looking up model {model}"))?;
    let m = m.model.context("the node returned no model")?;
    let royalty = amount(&m.price_per_inference).context("the model's price")?;
    let a: ipb::QueryArchitectureResponse = rpc
        .query(
            "/pol.inference.v1.Query/Architecture",
            &ipb::QueryArchitectureRequest {
                id: m.architecture_id.clone(),
            },
            0,
        )
        .await
        .with_context(|| format!("looking up architecture {}", m.architecture_id))?;
    let a = a
        .architecture
        .context("the node returned no architecture")?;
    match (a.layers.first(), a.layers.last()) {
        (Some(first), Some(last)) => Ok((first.input as usize, last.output as usize, royalty)),
        _ => bail!("architecture {} has no layers", a.id),
    }
}

/// A stored price: empty is free.
fn amount(s: &str) -> Option<u128> {
    if s.is_empty() {
        Some(0)
    } else {
        pol_component::coins::parse_amount(s)
    }
}

fn receipt_json(r: &ipb::Receipt) -> Value {
    json!({
        "chain_id": r.chain_id,
        "provider": r.provider,
        "model_id": r.model_id,
        "input_hash": hex::encode(&r.input_hash),
        "output_hash": hex::encode(&r.output_hash),
        "nonce": r.nonce.to_string(),
        "worker_time_ms": r.worker_time_ms.to_string(),
        "worker_pubkey": hex::encode(&r.worker_pubkey),
        "signature": hex::encode(&r.signature),
        "channel_id": r.channel_id.to_string(),
        "payment_amount": r.payment_amount,
        "price": r.price,
        "royalty": r.royalty,
    })
}

/// Microseconds as milliseconds with three decimals.
fn ms(us: u128) -> String {
    format!("{}.{:03} ms", us / 1000, us % 1000)
}

pub async fn run(home: &std::path::Path, args: InferArgs) -> anyhow::Result<()> {
    let input = parse_input(&args.input)?;
    pol_inference::msg::validate_model_id(&args.model)
        .map_err(|e| anyhow::anyhow!("--model: {}", e.log))?;
    let rpc = RpcClient::new(&args.node);
    let chain_id = rpc.chain_id().await?;
    let (input_len, output_len, royalty) = model_shape(&rpc, &args.model).await?;
    let payer = parking_lot::Mutex::new(pol_client::payments::Payer::open(home, &chain_id)?);
    if input.len() != input_len {
        bail!(
            "model {} takes {input_len} inputs, --input has {}",
            args.model,
            input.len()
        );
    }

    // The chain's ranking; with --provider, all of it (the provider must be in it).
    let mut route_args = args.route.clone();
    if args.provider.is_some() {
        route_args.limit = 0;
    }
    let routed = route(&rpc, &args.model, &route_args, 0).await?;
    let total = routed.entries.len();
    let candidates: Vec<RouteEntry> = match &args.provider {
        Some(p) => {
            let e = routed
                .entries
                .iter()
                .find(|e| &e.provider == p)
                .with_context(|| {
                    format!(
                        "{p} is not an active provider of model {} (see `pold query latency \
                         route {}`)",
                        args.model, args.model
                    )
                })?;
            vec![e.clone()]
        }
        None => routed.entries.clone(),
    };
    if candidates.is_empty() {
        bail!(
            "no active provider serves model {} (see `pold query inference providers --model {}`)",
            args.model,
            args.model
        );
    }

    // The requester client: the chain's rank order (it carries the route's weights),
    // paid from the wallet's channel to each provider, hedged and retried.
    let timeout = Duration::from_millis(args.timeout_ms.max(1));
    let requester = Requester::new(RequesterConfig {
        timeout,
        max_extra_ppm: if args.no_hedge || candidates.len() < 2 {
            0
        } else {
            RequesterConfig::default().max_extra_ppm
        },
        retries: args.retries,
        candidates: candidates.len(),
        chain_rank_order: true,
        free: args.free,
        ..Default::default()
    });
    let mut listed = Vec::with_capacity(candidates.len());
    for e in &candidates {
        listed.push(Candidate {
            provider: e.provider.clone(),
            endpoint: e.endpoint.clone(),
            receipt_pubkey: e.receipt_pubkey.as_slice().try_into().unwrap_or([0; 32]),
            price: amount(&e.price_per_inference).context("the provider's price on chain")?,
            rank: e.rank,
            consensus: Consensus {
                p50_us: e.p50_us,
                p99_us: e.p99_us,
                failure_rate_ppm: e.failure_rate_ppm,
            },
        });
    }
    let job = Job {
        chain_id: chain_id.clone(),
        model: args.model.clone(),
        input: input.clone(),
        output_len,
        royalty,
        nonce: args.nonce,
        setup: ProofSetup::from_route(candidates[0].setup_kind, candidates[0].setup_attested),
    };
    let entry_of = |p: &str| candidates.iter().find(|e| e.provider == p);
    let explain = |failures: &[(String, String)], last_has_more: bool| -> Vec<Value> {
        failures
            .iter()
            .enumerate()
            .map(|(i, (p, why))| {
                let (rank, endpoint) = entry_of(p)
                    .map(|e| (e.rank, e.endpoint.clone()))
                    .unwrap_or_default();
                let more = i + 1 < failures.len() || last_has_more;
                eprintln!(
                    "provider {p} (rank {rank}, {endpoint}) failed: {why}{}",
                    if more {
                        "; trying the next ranked provider"
                    } else {
                        ""
                    }
                );
                json!({"provider": p, "rank": rank, "endpoint": endpoint, "error": why})
            })
            .collect()
    };
    match requester.infer(&job, &listed, &payer).await {
        Ok(answer) => {
            let failures = explain(&answer.failures, true);
            let entry = entry_of(&answer.provider).context("the answer names no candidate")?;
            report(
                &args,
                entry,
                total,
                &answer,
                &failures,
                &routed.denom,
                job.setup,
            )
        }
        Err(RequesterError::AllFailed { failures, .. }) => {
            explain(&failures, false);
            bail!(
                "no provider of model {} answered with a verified receipt ({} tried)",
                args.model,
                failures.len()
            )
        }
        Err(e) => bail!("{e}"),
    }
}

fn report(
    args: &InferArgs,
    entry: &RouteEntry,
    total: usize,
    a: &Answer,
    failures: &[Value],
    denom: &str,
    setup: ProofSetup,
) -> anyhow::Result<()> {
    let nonce = a.nonce;
    let receipt_id = SignedReceipt::from_proto(&a.receipt)
        .and_then(|r| r.id())
        .map(hex::encode)
        .map_err(|e| anyhow::anyhow!("receipt id: {e}"))?;
    if let Some(path) = &args.receipt_out {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&receipt_json(&a.receipt))?,
        )
        .with_context(|| format!("writing {}", path.display()))?;
    }
    let rtt_us = a.rtt.as_micros();
    if args.output == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "model_id": args.model,
                "class": a.class,
                "logits": a.logits,
                "latency_us": rtt_us.to_string(),
                "nonce": nonce.to_string(),
                "provider": entry.provider,
                "endpoint": entry.endpoint,
                "rank": entry.rank,
                "of": total,
                "reasons": entry.reasons,
                "price": format!("{}{denom}", entry.price_per_inference),
                "route": route_entry_json(entry),
                "receipt_id": receipt_id,
                "receipt_verified": true,
                "receipt": receipt_json(&a.receipt),
                "hedged": a.hedged,
                "failed": failures,
                "proof_setup": setup.as_str(),
                "proof_setup_warning": setup.warning(),
            }))?
        );
    } else {
        let logits: Vec<String> = a.logits.iter().map(i32::to_string).collect();
        println!("class:     {}", a.class);
        println!("logits:    {}", logits.join(","));
        println!("latency:   {} (round trip)", ms(rtt_us));
        println!(
            "provider:  {} (rank {} of {}) at {}",
            entry.provider, entry.rank, total, entry.endpoint
        );
        println!("price:     {}{denom}", entry.price_per_inference);
        println!("reasons:   {}", entry.reasons);
        println!(
            "receipt:   {receipt_id} (nonce {nonce}; signature verified against the registered key {})",
            hex::encode(&entry.receipt_pubkey)
        );
        println!("proofs:    against a key from a {} setup", setup.as_str());
        if let Some(warning) = setup.warning() {
            eprintln!("warning: {warning}");
        }
        if a.hedged {
            println!(
                "hedged:    the first provider was slower than its p95; this answer came first"
            );
        }
        if !failures.is_empty() {
            println!("skipped:   {} provider(s) that failed", failures.len());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_from_the_command_line_and_files() {
        assert_eq!(parse_input("1,-2, 3").unwrap(), vec![1, -2, 3]);
        assert!(parse_input("1,200").is_err());
        assert!(parse_input("").is_err());
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.txt");
        std::fs::write(&f, "0 16\n7,-128\n").unwrap();
        assert_eq!(
            parse_input(&format!("@{}", f.display())).unwrap(),
            vec![0, 16, 7, -128]
        );
        assert!(parse_input("@/nonexistent/x").is_err());
    }

    #[test]
    fn milliseconds() {
        assert_eq!(ms(12_345), "12.345 ms");
        assert_eq!(ms(7), "0.007 ms");
    }
}
