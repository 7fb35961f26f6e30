//! What the payment gate knows of the chain: the channels that pay this provider (deposit,
//! signer, expiry), the chain's height when they were read, and the prices a request pays
//! (the provider's, plus each model's royalty). The claimer refreshes it every poll; a
//! channel the gate has not seen is fetched on its first payment (at most a few fetches at
//! once, and an unknown id is remembered for a while, so random ids cannot flood pold).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::VerifyingKey;
use parking_lot::RwLock;
use pol_component::coins::parse_amount;
use pol_payments::pb::{self, ChannelState};

use super::{PayError, Price};

/// A channel as the gate needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelInfo {
    pub id: u64,
    pub provider: [u8; 20],
    pub model_id: String,
    pub signer: VerifyingKey,
    pub deposit: u128,
    pub claimed: u128,
    pub expiry_height: u64,
    pub closing: bool,
}

impl ChannelInfo {
    pub fn from_proto(c: &pb::Channel) -> Result<Self, String> {
        let provider =
            pol_inference::receipt::parse_address(&c.provider).map_err(|e| e.to_string())?;
        let amount =
            |s: &str| parse_amount(s).ok_or_else(|| format!("channel {}: amount {s:?}", c.id));
        Ok(ChannelInfo {
            id: c.id,
            provider,
            model_id: c.model_id.clone(),
            signer: pol_payments::payment::parse_signer(&c.signer).map_err(|e| e.to_string())?,
            deposit: amount(&c.deposit)?,
            claimed: amount(&c.claimed)?,
            expiry_height: c.expiry_height,
            closing: c.state == ChannelState::Closing as i32,
        })
    }
}

/// The chain, as far as payments go.
#[tonic::async_trait]
pub trait ChannelSource: Send + Sync {
    /// One channel (`None`: not open) and the height it was read at.
    async fn channel(&self, id: u64) -> Result<(Option<pb::Channel>, u64), String>;
    /// Every open channel paying this provider, and the height they were read at.
    async fn provider_channels(&self) -> Result<(Vec<pb::Channel>, u64), String>;
    /// The provider's price and the royalty of each of `models`.
    async fn prices(&self, models: &[String]) -> Result<(u128, BTreeMap<String, u128>), String>;
}

/// How long an unknown channel id is answered from memory.
const UNKNOWN_TTL: Duration = Duration::from_secs(2);
/// Least time between two on-demand refreshes of one channel.
const REFRESH_EVERY: Duration = Duration::from_millis(500);

#[derive(Default)]
struct Inner {
    height: u64,
    channels: HashMap<u64, ChannelInfo>,
    prices: Option<(u128, BTreeMap<String, u128>)>,
    unknown: HashMap<u64, Instant>,
    refreshed: HashMap<u64, Instant>,
    prices_tried: Option<Instant>,
}

pub struct ChainView {
    source: Option<Arc<dyn ChannelSource>>,
    models: Vec<String>,
    inner: RwLock<Inner>,
    fetches: tokio::sync::Semaphore,
}

fn unavailable(e: impl std::fmt::Display) -> PayError {
    PayError::ChainUnavailable(e.to_string())
}

impl ChainView {
    /// A view over `source` (none: no chain configured, every payment is refused as
    /// unverifiable) for the models this worker serves.
    pub fn new(source: Option<Arc<dyn ChannelSource>>, models: Vec<String>) -> Self {
        ChainView {
            source,
            models,
            inner: RwLock::new(Inner::default()),
            fetches: tokio::sync::Semaphore::new(8),
        }
    }

    pub fn height(&self) -> u64 {
        self.inner.read().height
    }

    /// The price of one request for `model`, as last read from the chain.
    pub fn price(&self, model: &str) -> Result<Price, PayError> {
        let g = self.inner.read();
        let (provider, royalties) = g
            .prices
            .as_ref()
            .ok_or_else(|| unavailable("prices not read from the chain yet"))?;
        Ok(Price {
            provider: *provider,
            royalty: royalties.get(model).copied().unwrap_or(0),
        })
    }

    /// Read the prices now if they were never read (at most every 500 ms): an unpaid
    /// request right after start still gets a receipt naming them.
    pub async fn ensure_prices(&self) {
        {
            let mut g = self.inner.write();
            if g.prices.is_some() || g.prices_tried.is_some_and(|t| t.elapsed() < REFRESH_EVERY) {
                return;
            }
            g.prices_tried = Some(Instant::now());
        }
        let Some(source) = self.source.clone() else {
            return;
        };
        if let Ok(p) = source.prices(&self.models).await {
            let mut g = self.inner.write();
            if g.prices.is_none() {
                g.prices = Some(p);
            }
        }
    }

    /// Every channel known, by id.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        let g = self.inner.read();
        let mut v: Vec<ChannelInfo> = g.channels.values().cloned().collect();
        v.sort_by_key(|c| c.id);
        v
    }

    fn source(&self) -> Result<&Arc<dyn ChannelSource>, PayError> {
        self.source
            .as_ref()
            .ok_or_else(|| unavailable("this worker has no [chain] to check payments against"))
    }

    fn record(
        &self,
        id: u64,
        found: Option<pb::Channel>,
        height: u64,
    ) -> Result<ChannelInfo, PayError> {
        let mut g = self.inner.write();
        g.height = g.height.max(height);
        g.refreshed.insert(id, Instant::now());
        match found {
            Some(c) => {
                let info = ChannelInfo::from_proto(&c).map_err(unavailable)?;
                g.unknown.remove(&id);
                g.channels.insert(id, info.clone());
                Ok(info)
            }
            None => {
                g.channels.remove(&id);
                g.unknown.insert(id, Instant::now());
                Err(PayError::UnknownChannel(id))
            }
        }
    }

    /// Channel `id`: from memory, or from the chain on first sight.
    pub async fn channel(&self, id: u64) -> Result<ChannelInfo, PayError> {
        {
            let g = self.inner.read();
            if let Some(c) = g.channels.get(&id) {
                return Ok(c.clone());
            }
            if g.unknown
                .get(&id)
                .is_some_and(|t| t.elapsed() < UNKNOWN_TTL)
            {
                return Err(PayError::UnknownChannel(id));
            }
        }
        self.fetch(id).await
    }

    /// Channel `id` read again (a top-up the view has not seen), at most every 500 ms.
    pub async fn refresh_channel(&self, id: u64) -> Result<ChannelInfo, PayError> {
        let recent = self
            .inner
            .read()
            .refreshed
            .get(&id)
            .is_some_and(|t| t.elapsed() < REFRESH_EVERY);
        if recent {
            return self.channel(id).await;
        }
        self.fetch(id).await
    }

    async fn fetch(&self, id: u64) -> Result<ChannelInfo, PayError> {
        let source = self.source()?.clone();
        let _permit = self.fetches.acquire().await.map_err(unavailable)?;
        let (found, height) = source.channel(id).await.map_err(unavailable)?;
        self.record(id, found, height)
    }

    /// Read every channel of this provider and the prices again. Returns the ids that were
    /// known and are gone (settled on chain).
    pub async fn refresh(&self) -> Result<Vec<u64>, String> {
        let Some(source) = self.source.clone() else {
            return Ok(Vec::new());
        };
        let (channels, height) = source.provider_channels().await?;
        let prices = source.prices(&self.models).await?;
        let mut fresh = HashMap::with_capacity(channels.len());
        for c in &channels {
            match ChannelInfo::from_proto(c) {
                Ok(info) => {
                    fresh.insert(c.id, info);
                }
                Err(e) => tracing::warn!("channel {}: {e}", c.id),
            }
        }
        let mut g = self.inner.write();
        if height < g.height {
            return Ok(Vec::new()); // an older answer than one already seen
        }
        let gone: Vec<u64> = g
            .channels
            .keys()
            .filter(|id| !fresh.contains_key(id))
            .copied()
            .collect();
        g.height = height;
        g.channels = fresh;
        g.prices = Some(prices);
        g.unknown.retain(|_, t| t.elapsed() < UNKNOWN_TTL);
        g.refreshed.clear();
        Ok(gone)
    }
}

/// The chain through pold's gRPC API.
pub struct GrpcSource {
    grpc: pol_client::GrpcClient,
    provider: String,
}

impl GrpcSource {
    pub fn new(grpc: pol_client::GrpcClient, provider: [u8; 20]) -> Self {
        GrpcSource {
            grpc,
            provider: pol_inference::receipt::format_address(&provider),
        }
    }
}

#[tonic::async_trait]
impl ChannelSource for GrpcSource {
    async fn channel(&self, id: u64) -> Result<(Option<pb::Channel>, u64), String> {
        match self
            .grpc
            .payments()
            .channel(pb::QueryChannelRequest { channel_id: id })
            .await
        {
            Ok(r) => {
                let r = r.into_inner();
                Ok((r.channel, r.height))
            }
            Err(s) if s.code() == tonic::Code::NotFound => Ok((None, 0)),
            Err(s) => Err(s.message().to_string()),
        }
    }

    async fn provider_channels(&self) -> Result<(Vec<pb::Channel>, u64), String> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        let mut height = 0;
        loop {
            let r = self
                .grpc
                .payments()
                .channels_by_provider(pb::QueryChannelsByProviderRequest {
                    provider: self.provider.clone(),
                    pagination: Some(
                        cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                            key: key.clone(),
                            limit: 1000,
                            ..Default::default()
                        },
                    ),
                })
                .await
                .map_err(|s| s.message().to_string())?
                .into_inner();
            // Pages read at different heights would mix two states: start again.
            if height != 0 && r.height != height {
                out.clear();
                key.clear();
                height = 0;
                continue;
            }
            height = r.height;
            out.extend(r.channels);
            match r.pagination {
                Some(p) if !p.next_key.is_empty() => key = p.next_key,
                _ => return Ok((out, height)),
            }
        }
    }

    async fn prices(&self, models: &[String]) -> Result<(u128, BTreeMap<String, u128>), String> {
        use pol_inference::pb as ipb;
        let amount = |s: &str| {
            if s.is_empty() {
                Some(0)
            } else {
                parse_amount(s)
            }
        };
        let provider = self
            .grpc
            .inference()
            .provider(ipb::QueryProviderRequest {
                address: self.provider.clone(),
            })
            .await
            .map_err(|s| s.message().to_string())?
            .into_inner()
            .provider
            .ok_or("the provider is not registered")?;
        let price = amount(&provider.price_per_inference).ok_or("provider price")?;
        let mut royalties = BTreeMap::new();
        for m in models {
            match self
                .grpc
                .inference()
                .model(ipb::QueryModelRequest { id: m.clone() })
                .await
            {
                Ok(r) => {
                    if let Some(model) = r.into_inner().model {
                        royalties.insert(
                            m.clone(),
                            amount(&model.price_per_inference).ok_or("model price")?,
                        );
                    }
                }
                Err(s) if s.code() == tonic::Code::NotFound => {}
                Err(s) => return Err(s.message().to_string()),
            }
        }
        Ok((price, royalties))
    }
}
