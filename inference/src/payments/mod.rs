//! Pay before service: the worker's side of `pol.payments.v1` channels.
//!
//! Every `Infer` carries a payment; the [`PaymentGate`] admits the request only if the
//! payment is for a channel to this provider and model that the chain has committed,
//! signed by the channel's key, not used before, within the deposit, and covers the price
//! (the provider's price plus the model's royalty, as on chain now). The answer goes out
//! only after the best payment is in the journal, so a crash never costs the provider a
//! payment it served for; the claimer settles them on chain in batches.
//!
//! * `ledger`: one channel's accounting (coverage, replays, releases);
//! * `journal`: the append-only file of best payments;
//! * `view`: what the gate knows of the chain (channels, prices, height) and how it
//!   refreshes it;
//! * `claimer`: claims on chain, ahead of expiries;
//! * `free_tier`: the requests per minute each channel may take without paying, when the
//!   provider offers some.

pub mod claimer;
pub mod free_tier;
pub mod journal;
pub mod ledger;
pub mod view;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;
use pol_payments::{pb, SignedPayment};
use tonic::Status;

pub use journal::Journal;
pub use ledger::{Ledger, Price, Refusal, Reservation};
pub use view::{ChainView, ChannelInfo, ChannelSource};

/// `[payments]` of the worker config.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    /// Refuse requests without a valid payment. Off: requests may come without one (a
    /// payment that does come is still checked).
    pub required: bool,
    /// Stop taking payments on a channel this many blocks before its expiry (time to
    /// claim them).
    pub margin_blocks: u64,
    /// Claim at least this often (seconds); channels near expiry are claimed at once.
    pub claim_interval_secs: u64,
    /// Where the journal of payments lives; empty: `payments.journal` beside the key file.
    pub journal: PathBuf,
    /// A free tier: requests per minute each channel may take without paying (0: none).
    /// The request still carries a payment signed by the channel's key (any amount the
    /// channel's deposit covers, a repeat of the last one included): the channel, opened on
    /// chain with a deposit, is the requester's identity, so a free tier costs a Sybil a
    /// deposit per identity. Declared in `Health.free_requests_per_minute`.
    pub free_per_minute: u32,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            required: false,
            margin_blocks: 30,
            claim_interval_secs: 60,
            journal: PathBuf::new(),
            free_per_minute: 0,
        }
    }
}

/// Why a request's payment was refused: a gRPC status code and a stable `reason` (sent in
/// the `pol-payment-refused` metadata) that clients act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    #[error("this worker serves paid requests only: attach a payment on a pol.payments.v1 channel to this provider")]
    Missing,
    #[error("malformed payment: {0}")]
    Malformed(String),
    #[error("channel {0} is not open on chain (never opened, or settled)")]
    UnknownChannel(u64),
    #[error("channel {0} does not pay this worker for this model: {1}")]
    WrongChannel(u64, String),
    #[error("channel {id} expires at height {expiry}; this worker takes payments until {margin} blocks before (chain is at {height}): top it up with a later expiry or open another")]
    Expiring {
        id: u64,
        expiry: u64,
        height: u64,
        margin: u64,
    },
    #[error("payment signature does not verify under channel {0}'s signer key")]
    Forged(u64),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the chain cannot be read right now ({0}); retry")]
    ChainUnavailable(String),
    #[error("could not record the payment ({0}); retry")]
    Journal(String),
}

impl PayError {
    /// Stable machine-readable reason.
    pub fn reason(&self) -> &'static str {
        match self {
            PayError::Missing => "missing",
            PayError::Malformed(_) => "malformed",
            PayError::UnknownChannel(_) => "unknown_channel",
            PayError::WrongChannel(..) => "wrong_channel",
            PayError::Expiring { .. } => "expiring",
            PayError::Forged(_) => "forged",
            PayError::Refused(Refusal::Overspent { .. }) => "overspent",
            PayError::Refused(Refusal::Replayed { .. }) => "replayed",
            PayError::Refused(Refusal::Stale { .. }) => "stale",
            PayError::Refused(Refusal::Underpaid { .. }) => "underpaid",
            PayError::Refused(Refusal::Inconsistent) => "inconsistent",
            PayError::ChainUnavailable(_) => "chain_unavailable",
            PayError::Journal(_) => "journal",
        }
    }

    pub fn to_status(&self) -> Status {
        let msg = self.to_string();
        let mut status = match self {
            PayError::Missing | PayError::Refused(Refusal::Underpaid { .. }) => {
                Status::permission_denied(msg)
            }
            PayError::Refused(Refusal::Overspent { .. }) => Status::permission_denied(msg),
            PayError::Malformed(_) => Status::invalid_argument(msg),
            PayError::Forged(_) => Status::unauthenticated(msg),
            PayError::Refused(Refusal::Replayed { .. }) => Status::already_exists(msg),
            PayError::UnknownChannel(_)
            | PayError::WrongChannel(..)
            | PayError::Expiring { .. }
            | PayError::Refused(Refusal::Stale { .. } | Refusal::Inconsistent) => {
                Status::failed_precondition(msg)
            }
            PayError::ChainUnavailable(_) | PayError::Journal(_) => Status::unavailable(msg),
        };
        if let Ok(v) = self.reason().parse() {
            status.metadata_mut().insert(REFUSED_METADATA, v);
        }
        status
    }
}

/// Response metadata naming why a payment was refused ([`PayError::reason`]).
pub const REFUSED_METADATA: &str = "pol-payment-refused";

/// One channel on the worker: its books and the best payment already in the journal.
#[derive(Default)]
struct Books {
    ledger: Ledger,
    journaled: Option<SignedPayment>,
}

/// The worker's payment check, shared by every request.
pub struct PaymentGate {
    chain_id: String,
    provider: [u8; 20],
    pub config: PaymentsConfig,
    pub view: ChainView,
    books: Mutex<HashMap<u64, Books>>,
    journal: Journal,
    free: free_tier::FreeTier,
}

/// A request's admitted payment: [`PaymentGate::settle`] it before answering; dropped
/// unsettled (the request failed, or the client went away), its charge is given back.
pub struct Admission {
    gate: Arc<PaymentGate>,
    reservation: Option<Reservation>,
    /// Served from the channel's free tier: nothing charged.
    free: bool,
}

impl Admission {
    pub fn reservation(&self) -> Option<&Reservation> {
        self.reservation.as_ref()
    }

    /// Taken from the channel's free tier (its receipt names no payment and no price).
    pub fn is_free(&self) -> bool {
        self.free
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if let Some(r) = self.reservation.take() {
            if let Some(b) = self.gate.books.lock().get_mut(&r.channel_id) {
                b.ledger.release(&r);
            }
            metrics::counter!("pol_worker_payments_released_total").increment(1);
        }
    }
}

impl PaymentGate {
    /// A gate over `journal` (its payments recovered into the books) and `view`.
    pub fn new(
        chain_id: &str,
        provider: [u8; 20],
        config: PaymentsConfig,
        view: ChainView,
        journal_path: &std::path::Path,
    ) -> std::io::Result<Self> {
        let (journal, recovered) = Journal::open(journal_path)?;
        let books = recovered
            .into_iter()
            .map(|(id, p)| {
                (
                    id,
                    Books {
                        ledger: Ledger::recovered(p),
                        journaled: Some(p),
                    },
                )
            })
            .collect::<HashMap<_, _>>();
        if !books.is_empty() {
            tracing::info!(channels = books.len(), path = %journal_path.display(), "recovered unclaimed payments");
        }
        Ok(PaymentGate {
            chain_id: chain_id.to_string(),
            provider,
            free: free_tier::FreeTier::new(config.free_per_minute),
            config,
            view,
            books: Mutex::new(books),
            journal,
        })
    }

    /// Check `payment` for a request of `model_id`; `Ok(None)`: no payment and none
    /// required.
    pub async fn admit(
        self: &Arc<Self>,
        model_id: &str,
        payment: Option<&pb::Payment>,
    ) -> Result<Admission, PayError> {
        let Some(proto) = payment else {
            if self.config.required {
                return Err(PayError::Missing);
            }
            self.view.ensure_prices().await;
            return Ok(Admission {
                gate: self.clone(),
                reservation: None,
                free: false,
            });
        };
        let p = SignedPayment::from_proto(proto).map_err(|e| PayError::Malformed(e.to_string()))?;
        let mut channel = self.view.channel(p.channel_id).await?;
        if channel.provider != self.provider {
            return Err(PayError::WrongChannel(
                p.channel_id,
                "it pays another provider".into(),
            ));
        }
        if channel.model_id != model_id {
            return Err(PayError::WrongChannel(
                p.channel_id,
                format!("it pays for model {:?}", channel.model_id),
            ));
        }
        let height = self.view.height();
        if height.saturating_add(self.config.margin_blocks) >= channel.expiry_height {
            return Err(PayError::Expiring {
                id: channel.id,
                expiry: channel.expiry_height,
                height,
                margin: self.config.margin_blocks,
            });
        }
        p.verify(&self.chain_id, &channel.signer)
            .map_err(|_| PayError::Forged(p.channel_id))?;
        let price = self.view.price(model_id)?;
        if p.amount > channel.deposit {
            // Perhaps topped up since the view was read.
            channel = self.view.refresh_channel(p.channel_id).await?;
        }
        let reserved = {
            let mut books = self.books.lock();
            books
                .entry(p.channel_id)
                .or_default()
                .ledger
                .reserve(&p, price, channel.deposit)
        };
        match reserved {
            Ok(reservation) => Ok(Admission {
                gate: self.clone(),
                reservation: Some(reservation),
                free: false,
            }),
            // A payment that proves the channel but pays nothing new: the free tier's, while
            // the channel has some left this minute. One beyond the deposit or with shares
            // that go down is refused all the same.
            Err(
                refusal @ (Refusal::Underpaid { .. }
                | Refusal::Replayed { .. }
                | Refusal::Stale { .. }),
            ) => {
                if self.free.take(p.channel_id, std::time::Instant::now()) {
                    metrics::counter!("pol_worker_free_requests_total").increment(1);
                    Ok(Admission {
                        gate: self.clone(),
                        reservation: None,
                        free: true,
                    })
                } else {
                    Err(refusal.into())
                }
            }
            Err(refusal) => Err(refusal.into()),
        }
    }

    /// The request was served: put the channel's best payment in the journal (if it is new)
    /// before the answer goes out.
    pub fn settle(&self, mut admission: Admission) -> Result<(), PayError> {
        let Some(r) = admission.reservation.take() else {
            return Ok(());
        };
        let best = {
            let mut books = self.books.lock();
            books.get_mut(&r.channel_id).and_then(|b| {
                let best = *b.ledger.best()?;
                let newer = b.journaled.is_none_or(|j| best.amount > j.amount);
                newer
                    .then(|| b.journaled.replace(best))
                    .map(|previous| (best, previous))
            })
        };
        if let Some((best, previous)) = best {
            if let Err(e) = self.journal.append(&best) {
                // Not recorded: the request is not answered, its charge comes back.
                if let Some(b) = self.books.lock().get_mut(&r.channel_id) {
                    b.ledger.release(&r);
                    b.journaled = previous;
                }
                return Err(PayError::Journal(e.to_string()));
            }
        }
        metrics::counter!("pol_worker_payments_total").increment(1);
        metrics::counter!("pol_worker_payments_amount_total")
            .increment(u64::try_from(r.price.total()).unwrap_or(u64::MAX));
        Ok(())
    }

    /// The journaled best payment of every channel, for the claimer.
    pub fn journaled(&self) -> Vec<SignedPayment> {
        let mut out: Vec<SignedPayment> = self
            .books
            .lock()
            .values()
            .filter_map(|b| b.journaled)
            .collect();
        out.sort_by_key(|p| p.channel_id);
        out
    }

    /// Forget channels the chain has settled (their payments can no longer be claimed), and
    /// rewrite the journal with the rest.
    pub fn forget_settled(&self, settled: &[u64]) -> std::io::Result<()> {
        {
            let mut books = self.books.lock();
            for id in settled {
                books.remove(id);
            }
        }
        self.free.forget(settled);
        self.journal.compact(|| self.journaled())
    }

    pub fn sync(&self) -> std::io::Result<()> {
        self.journal.sync()
    }
}

#[cfg(test)]
mod tests;
