//! Probes pay like traffic: each probe carries a payment on an ordinary `pol.payments.v1`
//! channel, opened from this validator's prober account (`[probe] payer_key`), exactly as
//! a requester's client opens one. A provider cannot tell a probe by how it pays.
//!
//! The payer keeps a channel per (provider, model) in its own payment wallet
//! (`<home>/data/probe/payments/<chain-id>.json`). A probe is paid only through a channel
//! the chain has committed, that has room for the price and is far from its expiry; when
//! none is ready one is opened in the background and the probes of that model wait (they
//! are not counted, so a provider is never blamed for the prober's own bookkeeping). Once
//! a probe is paid, any refusal from the worker is the provider's failure. A channel that
//! runs low or near its expiry is replaced by a new one; the old one's rest comes back
//! to the prober account at its expiry.
//!
//! The budget is the validator's own: the prober account pays the providers' prices for
//! every probe (a validator earns rewards that cover it). A chain-funded probe budget is
//! left for later: it would need an account unlinkable to the validator.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use pol_client::payments::Payer;
use pol_client::{GrpcClient, SignerKey, TxOptions, TxSender};
use pol_component::coins::{parse_amount, Coin};
use pol_inference::InferenceRead;
use pol_payments::msg::{MsgOpenChannel, MsgOpenChannelResponse};
use pol_payments::pb::{self, ChannelState};
use pol_payments::PaymentsRead;
use pol_store::Storage;

/// What one probe pays.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbePay {
    /// Probes are not paid (no `payer_key`): send it without a payment.
    Unpaid,
    /// Send it with this payment.
    Paid(pb::Payment),
    /// No channel is ready yet (one is being opened): skip this probe, count nothing.
    NotReady,
}

/// Where the probe task gets its payments.
pub trait ProbePayer: Send + Sync {
    fn pay(&self, provider: &[u8; 20], model: &str) -> ProbePay;
}

/// Probes go unpaid.
pub struct NoPayment;

impl ProbePayer for NoPayment {
    fn pay(&self, _: &[u8; 20], _: &str) -> ProbePay {
        ProbePay::Unpaid
    }
}

/// How the prober's channels are sized.
#[derive(Clone, Debug)]
pub struct ChannelPlan {
    /// Deposit of each channel it opens.
    pub deposit: u128,
    /// How long each channel stays open, blocks.
    pub blocks: u64,
    /// A channel this close to its expiry is replaced (more than a worker's margin).
    pub replace_blocks: u64,
    /// Least time between two attempts to open a channel for one target.
    pub retry: Duration,
}

/// Probe payments from the prober account's channels.
pub struct ChannelPayer {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Storage,
    plan: ChannelPlan,
    wallet: Mutex<Payer>,
    sender: TxSender<GrpcClient>,
    /// Targets with an open in flight, and when each was last tried.
    opening: Mutex<BTreeSet<([u8; 20], String)>>,
    tried: Mutex<BTreeMap<([u8; 20], String), Instant>>,
    /// Channels seen committed: only those are forgotten once the chain no longer has them.
    seen: Mutex<BTreeSet<u64>>,
}

impl ChannelPayer {
    /// Paying from `key`'s account through `grpc` (this node's own gRPC API), with the
    /// channels kept in `wallet`. Call from within a tokio runtime (opens run on it).
    pub fn new(
        chain_id: &str,
        storage: Storage,
        plan: ChannelPlan,
        wallet: Payer,
        key: SignerKey,
        grpc: GrpcClient,
        gas_price: pol_client::GasPrice,
    ) -> Self {
        ChannelPayer {
            inner: Arc::new(Inner {
                storage,
                plan,
                wallet: Mutex::new(wallet),
                sender: TxSender::new(grpc, key, chain_id, gas_price),
                opening: Mutex::new(BTreeSet::new()),
                tried: Mutex::new(BTreeMap::new()),
                seen: Mutex::new(BTreeSet::new()),
            }),
        }
    }

    /// The prober account's address.
    pub fn address(&self) -> String {
        self.inner.sender.address().to_string()
    }
}

impl Inner {
    /// The provider's price and the model's royalty, as committed now.
    fn prices(&self, provider: &[u8; 20], model: &str) -> Option<(u128, u128)> {
        let snap = self.storage.latest_snapshot();
        let amount = |s: &str| {
            if s.is_empty() {
                Some(0)
            } else {
                parse_amount(s)
            }
        };
        let p = snap.provider(&pol_component::Address(*provider)).ok()??;
        let m = snap.model(model).ok()??;
        Some((
            amount(&p.price_per_inference)?,
            amount(&m.price_per_inference)?,
        ))
    }

    /// A wallet channel to `provider` for `model` that the chain has committed, open, with
    /// room for `price` and far from its expiry. Forgets channels the chain has settled.
    fn ready_channel(&self, provider: &str, model: &str, price: u128) -> Option<u64> {
        let snap = self.storage.latest_snapshot();
        let height = snap.version().unwrap_or(0);
        let mut wallet = self.wallet.lock();
        let mut settled = Vec::new();
        let mut ready = None;
        for c in wallet
            .channels()
            .filter(|c| c.provider == provider && c.model_id == model)
        {
            let Ok(Some(on_chain)) = snap.channel(c.channel_id) else {
                if self.seen.lock().remove(&c.channel_id) {
                    settled.push(c.channel_id);
                }
                continue;
            };
            self.seen.lock().insert(c.channel_id);
            let deposit = parse_amount(&on_chain.deposit).unwrap_or(0);
            let open = on_chain.state == ChannelState::Open as i32;
            let far = on_chain.expiry_height > height.saturating_add(self.plan.replace_blocks);
            if open && far && c.signed.saturating_add(price) <= deposit {
                ready = Some(c.channel_id);
            }
        }
        for id in settled {
            if let Err(e) = wallet.remove(id) {
                tracing::warn!("probe payments: {e}");
            }
        }
        ready
    }

    /// Open a channel for the target, unless one is opening or was tried too recently.
    fn open_in_background(self: &Arc<Self>, provider: [u8; 20], model: &str) {
        let target = (provider, model.to_string());
        {
            let mut tried = self.tried.lock();
            if tried
                .get(&target)
                .is_some_and(|t| t.elapsed() < self.plan.retry)
            {
                return;
            }
            if !self.opening.lock().insert(target.clone()) {
                return;
            }
            tried.insert(target.clone(), Instant::now());
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.opening.lock().remove(&target);
            return;
        };
        let this = self.clone();
        runtime.spawn(async move {
            if let Err(e) = this.open(&target).await {
                tracing::warn!(
                    provider = %pol_component::Address(target.0),
                    model = %target.1,
                    "probe payments: opening a channel failed: {e:#} (probes of it wait)"
                );
            }
            this.opening.lock().remove(&target);
        });
    }

    async fn open(&self, (provider, model): &([u8; 20], String)) -> anyhow::Result<()> {
        let height = self.storage.latest_snapshot().version().unwrap_or(0);
        let key = Payer::new_signer();
        let provider_addr = pol_component::Address(*provider).to_string();
        let msg = MsgOpenChannel {
            requester: self.sender.address().to_string(),
            provider: provider_addr.clone(),
            model_id: model.clone(),
            signer: key.verifying_key().to_bytes().to_vec(),
            deposit: Some(Coin::new("upol", self.plan.deposit).to_proto()),
            expiry_height: height.saturating_add(self.plan.blocks),
        };
        let r = self
            .sender
            .send(
                vec![pol_client::any(
                    pol_payments::MSG_OPEN_CHANNEL_TYPE_URL,
                    &msg,
                )],
                &TxOptions::gas(200_000),
            )
            .await?;
        if r.code != 0 {
            anyhow::bail!("code {} in block {}: {}", r.code, r.height, r.log);
        }
        let opened: MsgOpenChannelResponse = r
            .msg_response(0)
            .ok_or_else(|| anyhow::anyhow!("the chain's answer has no channel id"))?;
        self.wallet.lock().add(
            opened.channel_id,
            &provider_addr,
            model,
            &key,
            self.plan.deposit,
        )?;
        tracing::info!(
            channel = opened.channel_id,
            provider = %provider_addr,
            %model,
            deposit = %self.plan.deposit,
            "probe payments: opened a channel"
        );
        metrics::counter!("pol_probe_channels_opened_total").increment(1);
        Ok(())
    }
}

impl ProbePayer for ChannelPayer {
    fn pay(&self, provider: &[u8; 20], model: &str) -> ProbePay {
        let inner = &self.inner;
        let Some((price, royalty)) = inner.prices(provider, model) else {
            return ProbePay::NotReady;
        };
        let provider_addr = pol_component::Address(*provider).to_string();
        let Some(id) = inner.ready_channel(&provider_addr, model, price.saturating_add(royalty))
        else {
            inner.open_in_background(*provider, model);
            return ProbePay::NotReady;
        };
        match inner.wallet.lock().pay(id, price, royalty) {
            Ok(p) => ProbePay::Paid(p.to_proto()),
            Err(e) => {
                tracing::warn!("probe payments: {e}");
                ProbePay::NotReady
            }
        }
    }
}
