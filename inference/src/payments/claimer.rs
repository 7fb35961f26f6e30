//! Settling payments on chain: each round reads the channels again, forgets those the
//! chain has settled, and claims the journaled best payment of every channel that has
//! something unclaimed and is due: every `claim_interval_secs`, and at once for a channel
//! that is closing or within twice the margin of its expiry. Up to [`CLAIMS_PER_TX`]
//! claims go in one transaction.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pol_client::any;
use pol_payments::msg::MsgClaimPayment;
use pol_payments::SignedPayment;

use super::PaymentGate;

pub use pol_payments::msg::CLAIMS_PER_TX;

/// Sends one transaction of claims; `Ok(Err(log))` when the chain refused it.
#[tonic::async_trait]
pub trait ClaimSender: Send + Sync {
    async fn send_claims(&self, msgs: Vec<MsgClaimPayment>) -> anyhow::Result<Result<u64, String>>;
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub claimed_channels: usize,
    pub claimed_amount: u128,
    pub transactions: usize,
    pub forgotten: usize,
}

/// The payments that are due for a claim at `height`.
pub fn due(gate: &PaymentGate, force: bool) -> (Vec<SignedPayment>, Vec<u64>) {
    let height = gate.view.height();
    let margin = gate.config.margin_blocks;
    let channels = gate.view.channels();
    let known: BTreeSet<u64> = channels.iter().map(|c| c.id).collect();
    let mut due = Vec::new();
    let mut settled = Vec::new();
    for p in gate.journaled() {
        let Some(c) = channels.iter().find(|c| c.id == p.channel_id) else {
            if !known.contains(&p.channel_id) {
                settled.push(p.channel_id);
            }
            continue;
        };
        if p.amount <= c.claimed {
            continue;
        }
        let urgent =
            c.closing || c.expiry_height <= height.saturating_add(margin.saturating_mul(2));
        if force || urgent {
            due.push(p);
        }
    }
    (due, settled)
}

/// One round: refresh, forget what the chain settled, claim what is due.
pub async fn round(
    gate: &PaymentGate,
    sender: &dyn ClaimSender,
    provider: &str,
    force: bool,
) -> anyhow::Result<RoundReport> {
    gate.view.refresh().await.map_err(anyhow::Error::msg)?;
    let (due, settled) = due(gate, force);
    let mut report = RoundReport {
        forgotten: settled.len(),
        ..Default::default()
    };
    if !settled.is_empty() {
        gate.forget_settled(&settled)?;
    }
    for chunk in due.chunks(CLAIMS_PER_TX) {
        let msgs: Vec<MsgClaimPayment> = chunk
            .iter()
            .map(|p| MsgClaimPayment {
                provider: provider.to_string(),
                payment: Some(p.to_proto()),
                close: false,
            })
            .collect();
        match sender.send_claims(msgs).await? {
            Ok(height) => {
                report.transactions += 1;
                report.claimed_channels += chunk.len();
                let sum: u128 = chunk.iter().map(|p| p.amount).sum();
                report.claimed_amount = report.claimed_amount.saturating_add(sum);
                tracing::info!(height, channels = chunk.len(), "claimed payments");
                metrics::counter!("pol_worker_payment_claims_total", "result" => "ok")
                    .increment(chunk.len() as u64);
            }
            Err(log) => {
                tracing::warn!(channels = chunk.len(), "claim refused: {log}");
                metrics::counter!("pol_worker_payment_claims_total", "result" => "refused")
                    .increment(chunk.len() as u64);
            }
        }
    }
    gate.sync()?;
    Ok(report)
}

/// Rounds every `poll` until `shutdown` resolves; a forced round every claim interval.
pub async fn run(
    gate: Arc<PaymentGate>,
    sender: Arc<dyn ClaimSender>,
    provider: String,
    poll: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let interval = Duration::from_secs(gate.config.claim_interval_secs.max(1));
    let mut last_forced = Instant::now();
    loop {
        let force = last_forced.elapsed() >= interval;
        if force {
            last_forced = Instant::now();
        }
        if let Err(e) = round(&gate, sender.as_ref(), &provider, force).await {
            tracing::warn!("payments round: {e:#}");
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Claims through the worker's chain client.
#[tonic::async_trait]
impl ClaimSender for crate::chain::ChainClient {
    async fn send_claims(&self, msgs: Vec<MsgClaimPayment>) -> anyhow::Result<Result<u64, String>> {
        let gas = pol_payments::msg::claim_gas(msgs.len());
        let anys = msgs
            .iter()
            .map(|m| any(pol_payments::MSG_CLAIM_PAYMENT_TYPE_URL, m))
            .collect();
        let r = self.send(anys, gas).await?;
        Ok(if r.code == 0 {
            Ok(r.height)
        } else {
            Err(format!("code {}: {}", r.code, r.log))
        })
    }
}
