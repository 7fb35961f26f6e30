//! The requester's client: pick among the providers the chain ranks for a model using the
//! consensus figures and its own measurements, pay each request from a payment channel,
//! verify every answer and receipt, hedge a slow request to the next provider, and retry
//! with backoff when every provider failed.
//!
//! * **Order**: by expected tail latency inflated by failures ([`ProviderStats::score`]):
//!   the chain's p99 and failure rate until this client has seen enough of a provider
//!   itself, then its own; the chain's rank breaks ties.
//! * **Hedging**: if the first provider has not answered (verified) within its estimated
//!   p95 (× `hedge_delay_pct`), the same request goes to the next one and the first verified
//!   answer wins. Hedges are capped by a budget (`max_extra_ppm`, default 5 % of requests).
//! * **Failover and retries**: a provider that fails (error, timeout, an answer that does
//!   not verify) hands over to the next at once; when all have failed, the round is
//!   retried after an exponential backoff, up to `retries` times.
//! * **Payments**: through [`Pay`]; a payment whose request the worker refused (it charged
//!   nothing) is handed out again, one whose fate is unknown (timeout, hedge loser) is not.

pub mod budget;
pub mod served;
pub mod setup;
pub mod stats;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use parking_lot::Mutex;
use pol_inference::pb::Receipt;
use pol_payments::SignedPayment;
use pol_worker_api::worker_client::WorkerClient;
use pol_worker_api::InferRequest;
use tonic::transport::{Channel, Endpoint};

use crate::answer::{check_answer, AnswerError, Expected};
pub use budget::HedgeBudget;
pub use served::ServedLog;
pub use setup::ProofSetup;
pub use stats::{Consensus, ProviderStats};

/// How a [`Requester`] behaves.
#[derive(Clone, Debug)]
pub struct RequesterConfig {
    /// Give up on one provider's answer after this long.
    pub timeout: Duration,
    /// Hedge after the first provider's estimated p95 × this / 100.
    pub hedge_delay_pct: u32,
    /// Never hedge sooner than this.
    pub min_hedge_delay: Duration,
    /// Hedges per million requests, at most (0: never hedge).
    pub max_extra_ppm: u32,
    /// Rounds after the first when every provider failed.
    pub retries: u32,
    /// Backoff before the first retry (doubling after).
    pub backoff: Duration,
    /// How many of the best providers a request may go to.
    pub candidates: usize,
    /// Try providers in the chain's rank order (which carries the route's weights, such
    /// as a price weight) instead of by measured latency: for one-shot requests.
    pub chain_rank_order: bool,
    /// The local address to connect from (`None`: the system's choice).
    pub local_address: Option<std::net::IpAddr>,
    /// Ask for the providers' free tier (`Health.free_requests_per_minute`): each request
    /// carries a payment on the channel that adds nothing (the channel's signature is the
    /// requester's identity), and the receipt must name no payment and no price. A provider
    /// without a free tier, or past this channel's share, refuses it.
    pub free: bool,
}

impl Default for RequesterConfig {
    fn default() -> Self {
        RequesterConfig {
            timeout: Duration::from_secs(5),
            hedge_delay_pct: 100,
            min_hedge_delay: Duration::from_millis(2),
            max_extra_ppm: 50_000,
            retries: 2,
            backoff: Duration::from_millis(50),
            candidates: 3,
            chain_rank_order: false,
            local_address: None,
            free: false,
        }
    }
}

/// A provider the chain routes the model to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Bech32 address.
    pub provider: String,
    pub endpoint: String,
    /// The receipt key the provider registered.
    pub receipt_pubkey: [u8; 32],
    /// Its price per inference (the model's royalty is the job's).
    pub price: u128,
    pub rank: u32,
    pub consensus: Consensus,
}

/// One inference to run.
#[derive(Clone, Debug)]
pub struct Job {
    pub chain_id: String,
    pub model: String,
    pub input: Vec<i8>,
    /// The model's output width.
    pub output_len: usize,
    /// The model owner's royalty per inference.
    pub royalty: u128,
    /// The receipt nonce (random when `None`).
    pub nonce: Option<u64>,
    /// How the model's proof key was made (the route's setup fields): the client warns,
    /// once per model, unless it is an attested ceremony.
    pub setup: ProofSetup,
}

/// Pays for requests.
pub trait Pay: Send + Sync {
    /// A payment for one request of `model` to `provider` at `price` plus `royalty`;
    /// `Ok(None)`: send it unpaid.
    fn pay(
        &self,
        provider: &str,
        model: &str,
        price: u128,
        royalty: u128,
    ) -> Result<Option<SignedPayment>, String>;
    /// The worker refused the request carrying `payment` without charging: use it again.
    fn unused(&self, payment: &SignedPayment);
}

/// Requests go unpaid.
pub struct Unpaid;

impl Pay for Unpaid {
    fn pay(&self, _: &str, _: &str, _: u128, _: u128) -> Result<Option<SignedPayment>, String> {
        Ok(None)
    }
    fn unused(&self, _: &SignedPayment) {}
}

/// Pays from the wallet's channel to the provider for the model (unpaid without one).
impl Pay for Mutex<crate::payments::Payer> {
    fn pay(
        &self,
        provider: &str,
        model: &str,
        price: u128,
        royalty: u128,
    ) -> Result<Option<SignedPayment>, String> {
        let mut wallet = self.lock();
        let Some(id) = wallet.channel_for(provider, model).map(|c| c.channel_id) else {
            return Ok(None);
        };
        wallet
            .pay(id, price, royalty)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn unused(&self, payment: &SignedPayment) {
        if let Err(e) = self.lock().retry_later(payment) {
            tracing::warn!("payment wallet: {e}");
        }
    }
}

/// A verified answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub provider: String,
    pub nonce: u64,
    pub logits: Vec<i32>,
    pub class: u32,
    pub receipt: Receipt,
    /// From sending to this provider to its verified answer.
    pub rtt: Duration,
    /// From the start of the request (hedges and retries included).
    pub total: Duration,
    /// A second provider was asked because the first was slow.
    pub hedged: bool,
    /// Providers that failed before this answer, and why.
    pub failures: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RequesterError {
    #[error("no provider to ask")]
    NoCandidates,
    #[error("no provider answered with a verified receipt after {rounds} rounds: {}", .failures.iter().map(|(p, e)| format!("{p}: {e}")).collect::<Vec<_>>().join("; "))]
    AllFailed {
        rounds: u32,
        failures: Vec<(String, String)>,
    },
}

/// Why one attempt failed, and whether its payment may be used again.
struct Failure {
    why: String,
    reusable: Option<SignedPayment>,
}

/// The requester's client; share it (it keeps per-provider statistics, the hedge budget
/// and one connection per worker).
pub struct Requester {
    config: RequesterConfig,
    stats: Mutex<HashMap<String, ProviderStats>>,
    budget: Mutex<HedgeBudget>,
    connections: Mutex<HashMap<String, Channel>>,
    served: Mutex<ServedLog>,
    /// Models whose insecure or unattested setup has been warned about.
    warned: Mutex<std::collections::BTreeSet<String>>,
    hedges: std::sync::atomic::AtomicU64,
    requests: std::sync::atomic::AtomicU64,
}

impl Requester {
    pub fn new(config: RequesterConfig) -> Self {
        Requester {
            budget: Mutex::new(HedgeBudget::new(config.max_extra_ppm)),
            config,
            stats: Mutex::new(HashMap::new()),
            connections: Mutex::new(HashMap::new()),
            served: Mutex::new(ServedLog::default()),
            warned: Mutex::new(Default::default()),
            hedges: Default::default(),
            requests: Default::default(),
        }
    }

    pub fn config(&self) -> &RequesterConfig {
        &self.config
    }

    /// Requests made and hedges sent so far.
    pub fn counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.requests.load(Relaxed), self.hedges.load(Relaxed))
    }

    /// This client's own statistics of `provider`.
    pub fn stats(&self, provider: &str) -> ProviderStats {
        self.stats.lock().get(provider).cloned().unwrap_or_default()
    }

    /// The candidates in the order a request tries them (at most `config.candidates`).
    pub fn order(&self, candidates: &[Candidate]) -> Vec<Candidate> {
        let stats = self.stats.lock();
        let mut v: Vec<(u64, u32, Candidate)> = candidates
            .iter()
            .map(|c| {
                let s = stats.get(&c.provider).cloned().unwrap_or_default();
                (
                    s.score(&c.consensus, self.config.max_extra_ppm > 0),
                    c.rank,
                    c.clone(),
                )
            })
            .collect();
        if self.config.chain_rank_order {
            v.sort_by_key(|(_, rank, _)| *rank);
        } else {
            v.sort_by_key(|(score, rank, _)| (*score, *rank));
        }
        v.into_iter()
            .take(self.config.candidates.max(1))
            .map(|(_, _, c)| c)
            .collect()
    }

    fn hedge_delay(&self, c: &Candidate) -> Duration {
        let p95 = self.stats(&c.provider).p95_us(&c.consensus);
        let d =
            Duration::from_micros(p95.saturating_mul(u64::from(self.config.hedge_delay_pct)) / 100);
        d.clamp(self.config.min_hedge_delay, self.config.timeout)
    }

    fn connection(&self, endpoint: &str) -> Result<Channel, String> {
        let mut c = self.connections.lock();
        if let Some(ch) = c.get(endpoint) {
            return Ok(ch.clone());
        }
        let ch = Endpoint::from_shared(endpoint.to_string())
            .map_err(|e| format!("bad endpoint {endpoint:?}: {e}"))?
            .tcp_nodelay(true)
            .local_address(self.config.local_address)
            .connect_timeout(self.config.timeout)
            .connect_lazy();
        c.insert(endpoint.to_string(), ch.clone());
        Ok(ch)
    }

    /// One attempt at `c`: pay, send, verify.
    async fn attempt(
        &self,
        c: &Candidate,
        job: &Job,
        pay: &dyn Pay,
    ) -> Result<(Answer, Duration), Failure> {
        let fail = |why: String| Failure {
            why,
            reusable: None,
        };
        let provider =
            pol_inference::receipt::parse_address(&c.provider).map_err(|e| fail(e.to_string()))?;
        let (price, royalty) = if self.config.free {
            (0, 0)
        } else {
            (c.price, job.royalty)
        };
        let payment = pay
            .pay(&c.provider, &job.model, price, royalty)
            .map_err(|e| fail(format!("paying: {e}")))?;
        let channel = self.connection(&c.endpoint).map_err(fail)?;
        let nonce: u64 = job.nonce.unwrap_or_else(rand::random);
        let request = InferRequest {
            model_id: job.model.clone(),
            input: job.input.iter().map(|&x| x as u8).collect(),
            nonce,
            payment: payment.map(|p| p.to_proto()),
        };
        let t0 = Instant::now();
        let answer = tokio::time::timeout(
            self.config.timeout,
            WorkerClient::new(channel).infer(request),
        )
        .await;
        let rtt = t0.elapsed();
        let resp = match answer {
            Err(_) => {
                return Err(fail(format!(
                    "no answer within {} ms",
                    self.config.timeout.as_millis()
                )))
            }
            Ok(Err(status)) => {
                // The worker answered with an error: it ran nothing and charged nothing,
                // unless it says the payment was already used.
                let replayed = status.code() == tonic::Code::AlreadyExists;
                return Err(Failure {
                    why: format!("worker error {:?}: {}", status.code(), status.message()),
                    // A free request's payment added nothing: never one to pay with.
                    reusable: payment.filter(|_| !replayed && !self.config.free),
                });
            }
            Ok(Ok(r)) => r.into_inner(),
        };
        let want = Expected {
            chain_id: &job.chain_id,
            provider,
            receipt_pubkey: c.receipt_pubkey,
            model_id: &job.model,
            nonce,
            input: &job.input,
            output_len: job.output_len,
            // A free answer's receipt names no payment.
            payment: if self.config.free {
                Some((0, 0))
            } else {
                payment.map(|p| (p.channel_id, p.amount))
            },
        };
        let receipt = check_answer(&want, &resp.logits, resp.class, resp.receipt)
            .map_err(|e: AnswerError| fail(format!("answer rejected: {e}")))?;
        Ok((
            Answer {
                provider: c.provider.clone(),
                nonce,
                logits: resp.logits,
                class: resp.class,
                receipt,
                rtt,
                total: Duration::ZERO,
                hedged: false,
                failures: Vec::new(),
            },
            rtt,
        ))
    }

    fn record(&self, provider: &str, outcome: Result<(Duration, &Receipt), ()>) {
        let mut stats = self.stats.lock();
        let s = stats.entry(provider.to_string()).or_default();
        match outcome {
            Ok((rtt, receipt)) => {
                s.record_ok(rtt.as_micros().min(u128::from(u64::MAX)) as u64);
                self.served.lock().answered(provider, rtt, receipt);
            }
            Err(()) => {
                s.record_failure();
                self.served.lock().failed(provider);
            }
        }
    }

    /// What this client saw of each provider since the last call, as the chain's
    /// `MsgReportServedLatency` from `requester` (the paying account): one per provider that
    /// was paid in between. Send them in a transaction signed by `requester`; round trips
    /// above `max_latency_us` (the latency module's parameter) are reported at it.
    pub fn take_served_reports(
        &self,
        requester: &str,
        max_latency_us: u32,
    ) -> Vec<pol_latency::pb::MsgReportServedLatency> {
        self.served.lock().take_reports(requester, max_latency_us)
    }

    /// Run `job` on the best of `candidates`, hedging and retrying as configured.
    pub async fn infer(
        &self,
        job: &Job,
        candidates: &[Candidate],
        pay: &dyn Pay,
    ) -> Result<Answer, RequesterError> {
        use std::sync::atomic::Ordering::Relaxed;
        let order = self.order(candidates);
        if order.is_empty() {
            return Err(RequesterError::NoCandidates);
        }
        if let Some(warning) = job.setup.warning() {
            if self.warned.lock().insert(job.model.clone()) {
                tracing::warn!(model = %job.model, "{warning}");
            }
        }
        self.requests.fetch_add(1, Relaxed);
        self.budget.lock().earn();
        let started = Instant::now();
        let mut failures = Vec::new();
        let mut hedged = false;
        for round in 0..=self.config.retries {
            if round > 0 {
                tokio::time::sleep(self.config.backoff * 2u32.saturating_pow(round - 1)).await;
            }
            let mut pending = FuturesUnordered::new();
            let launch = |c: Candidate| async move {
                let r = self.attempt(&c, job, pay).await;
                (c, r)
            };
            pending.push(launch(order[0].clone()));
            let mut next = 1;
            let hedge_at = tokio::time::Instant::now() + self.hedge_delay(&order[0]);
            let mut may_hedge = round == 0 && self.config.max_extra_ppm > 0;
            while !pending.is_empty() {
                tokio::select! {
                    Some((c, r)) = pending.next() => match r {
                        Ok((mut answer, rtt)) => {
                            self.record(&c.provider, Ok((rtt, &answer.receipt)));
                            answer.total = started.elapsed();
                            answer.hedged = hedged;
                            answer.failures = failures;
                            return Ok(answer);
                        }
                        Err(f) => {
                            self.record(&c.provider, Err(()));
                            if let Some(p) = &f.reusable {
                                pay.unused(p);
                            }
                            failures.push((c.provider.clone(), f.why));
                            if next < order.len() {
                                pending.push(launch(order[next].clone()));
                                next += 1;
                            }
                        }
                    },
                    _ = tokio::time::sleep_until(hedge_at), if may_hedge && next < order.len() => {
                        may_hedge = false;
                        if self.budget.lock().try_spend() {
                            hedged = true;
                            self.hedges.fetch_add(1, Relaxed);
                            pending.push(launch(order[next].clone()));
                            next += 1;
                        }
                    }
                }
            }
        }
        Err(RequesterError::AllFailed {
            rounds: self.config.retries + 1,
            failures,
        })
    }
}

#[cfg(test)]
mod tests;
