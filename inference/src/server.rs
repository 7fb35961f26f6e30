//! The `pol.worker.v1.Worker` gRPC service.

use crate::batcher::{BatchConfig, Batcher, SubmitError};
use crate::config::Fault;
use crate::engine::Engine;
use crate::payments::PaymentGate;
use crate::pool::{PoolConfig, PoolError, ProverPool};
use crate::proto::{
    self,
    worker_server::{Worker, WorkerServer},
};
use crate::proving::ProofBackend;
use crate::receipt::{self, ReceiptBody, ReceiptPayment, SignedReceipt};
use crate::records::{Record, RecordStore};
use ed25519_dalek::SigningKey;
use pol_proofs::model::{argmax, Model, ModelError};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tonic::{Request, Response, Status};

/// One served model.
pub struct ServedModel {
    pub model: Arc<Model>,
    pub batcher: Batcher,
    pub info: proto::ModelInfo,
}

/// Everything the service needs, shared by all requests.
pub struct WorkerState {
    pub chain_id: String,
    pub provider: [u8; 20],
    key: SigningKey,
    pubkey: [u8; 32],
    pub models: BTreeMap<String, ServedModel>,
    pub records: RecordStore,
    pub pool: ProverPool,
    prove_limit: crate::limiter::PeerRateLimit,
    pub backend: Option<Arc<dyn ProofBackend>>,
    pub device: String,
    started: Instant,
    fault: FaultInjection,
    /// The payment check; `None`: this worker serves for free (no `[chain]`).
    pub payments: Option<Arc<PaymentGate>>,
}

/// Injected `Infer` faults (`[fault]` in the worker config): FOR TESTS ONLY. Off unless set.
#[derive(Debug, Clone, Default)]
pub struct FaultInjection {
    cfg: Fault,
}

/// What an injected fault does to one `Infer` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// Waited before answering.
    pub delay: Duration,
    /// Fail with `UNAVAILABLE` after the delay instead of answering.
    pub drop: bool,
}

impl FaultInjection {
    pub fn new(cfg: Fault) -> Self {
        Self { cfg }
    }

    /// The fault of one call arriving `uptime` after start from `peer` (none before
    /// `after_secs`, none for a spared address).
    pub fn plan(
        &self,
        uptime: Duration,
        peer: Option<std::net::IpAddr>,
        rng: &mut impl rand::Rng,
    ) -> FaultPlan {
        let c = &self.cfg;
        let spared = peer.is_some_and(|ip| c.spare.contains(&ip));
        if !c.is_active() || spared || uptime < Duration::from_secs(c.after_secs) {
            return FaultPlan {
                delay: Duration::ZERO,
                drop: false,
            };
        }
        let jitter = if c.jitter_ms > 0 {
            rng.gen_range(0..=c.jitter_ms)
        } else {
            0
        };
        let tail = if c.tail_ppm > 0 && rng.gen_range(0..1_000_000u32) < c.tail_ppm {
            c.tail_ms
        } else {
            0
        };
        FaultPlan {
            delay: Duration::from_millis(
                c.extra_latency_ms
                    .saturating_add(jitter)
                    .saturating_add(tail),
            ),
            drop: c.drop_ppm > 0 && rng.gen_range(0..1_000_000u32) < c.drop_ppm,
        }
    }
}

/// Settings of a [`WorkerState`] besides the models.
pub struct WorkerOptions {
    pub chain_id: String,
    pub provider: [u8; 20],
    pub key: SigningKey,
    pub batching: BatchConfig,
    pub pool: PoolConfig,
    pub record_window: Duration,
    pub max_records: usize,
}

/// A model to serve: id, weights, and the engine that runs it.
pub struct ModelSpec {
    pub id: String,
    pub model: Arc<Model>,
    pub engine: Box<dyn Engine>,
    /// SHA-256 of the model file (hex), or empty.
    pub file_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("model {0:?} listed twice")]
    DuplicateModel(String),
}

impl WorkerState {
    pub fn new(
        opts: WorkerOptions,
        models: Vec<ModelSpec>,
        backend: Option<Arc<dyn ProofBackend>>,
    ) -> Result<Self, StateError> {
        let mut served = BTreeMap::new();
        let mut device = String::new();
        for spec in models {
            let arch = spec.model.architecture();
            let mut widths = vec![arch.input_len() as u32];
            widths.extend(arch.layers.iter().map(|l| l.output));
            let commitment = backend
                .as_ref()
                .map(|b| b.commitment_hex(&spec.model))
                .unwrap_or_default();
            let info = proto::ModelInfo {
                id: spec.id.clone(),
                widths,
                shifts: arch.layers.iter().map(|l| u32::from(l.shift)).collect(),
                commitment,
                file_sha256: spec.file_sha256.clone(),
            };
            if device.is_empty() {
                device = spec.engine.device();
            }
            let batcher = Batcher::start(&spec.id, spec.engine, opts.batching.clone());
            let entry = ServedModel {
                model: spec.model,
                batcher,
                info,
            };
            if served.insert(spec.id.clone(), entry).is_some() {
                return Err(StateError::DuplicateModel(spec.id));
            }
        }
        Ok(Self {
            chain_id: opts.chain_id,
            provider: opts.provider,
            pubkey: opts.key.verifying_key().to_bytes(),
            key: opts.key,
            models: served,
            records: RecordStore::new(opts.record_window, opts.max_records),
            pool: ProverPool::new(&opts.pool)?,
            prove_limit: crate::limiter::PeerRateLimit::new(opts.pool.public_per_peer_per_minute),
            backend,
            device,
            started: Instant::now(),
            fault: FaultInjection::default(),
            payments: None,
        })
    }

    /// Turns on injected `Infer` faults (tests only); uptime for `after_secs` counts from
    /// when the state was made.
    pub fn set_fault(&mut self, fault: Fault) {
        if fault.is_active() {
            tracing::warn!(
                ?fault,
                "FAULT INJECTION on: Infer answers are delayed or dropped"
            );
        }
        self.fault = FaultInjection::new(fault);
    }

    pub fn pubkey(&self) -> [u8; 32] {
        self.pubkey
    }

    fn queue_depth(&self) -> usize {
        self.models.values().map(|m| m.batcher.queue_depth()).sum()
    }

    /// Stops every engine thread after it has answered what it has queued.
    pub fn shutdown(&mut self) {
        for m in self.models.values_mut() {
            m.batcher.shutdown();
        }
    }
}

/// The gRPC service over shared state.
#[derive(Clone)]
pub struct WorkerService {
    state: Arc<WorkerState>,
}

impl WorkerService {
    pub fn new(state: Arc<WorkerState>) -> Self {
        Self { state }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn model_error_status(e: &ModelError) -> Status {
    match e {
        ModelError::WrongInputLength { .. } | ModelError::Overflow { .. } => {
            Status::invalid_argument(e.to_string())
        }
        other => Status::internal(other.to_string()),
    }
}

#[tonic::async_trait]
impl Worker for WorkerService {
    async fn infer(
        &self,
        request: Request<proto::InferRequest>,
    ) -> Result<Response<proto::InferResponse>, Status> {
        let t0 = Instant::now();
        let peer = request.remote_addr().map(|a| a.ip());
        let req = request.into_inner();
        let st = &self.state;
        let fault = st
            .fault
            .plan(st.started.elapsed(), peer, &mut rand::thread_rng());
        let Some(served) = st.models.get(&req.model_id) else {
            metrics::counter!("pol_worker_infer_errors_total", "code" => "not_found").increment(1);
            return Err(Status::not_found(format!(
                "unknown model {:?}; this worker serves {:?}",
                req.model_id,
                st.models.keys().collect::<Vec<_>>()
            )));
        };
        let want = served.batcher_input_len();
        if req.input.len() != want {
            metrics::counter!("pol_worker_infer_errors_total", "code" => "invalid_argument")
                .increment(1);
            return Err(Status::invalid_argument(format!(
                "input has {} bytes; model {:?} takes {} int8 values",
                req.input.len(),
                req.model_id,
                want
            )));
        }
        // Paid before the model runs; the admission gives the charge back if this request
        // ends without an answer.
        let admission = match &st.payments {
            Some(gate) => Some(gate.admit(&req.model_id, req.payment.as_ref()).await.map_err(
                |e| {
                    metrics::counter!("pol_worker_payments_refused_total", "reason" => e.reason())
                        .increment(1);
                    e.to_status()
                },
            )?),
            None => None,
        };
        let input: Vec<i8> = req.input.iter().map(|&b| b as i8).collect();
        let logits = match served.batcher.infer(input.clone()).await {
            Ok(Ok(l)) => l,
            Ok(Err(e)) => return Err(model_error_status(&e)),
            Err(SubmitError::QueueFull(n)) => {
                metrics::counter!("pol_worker_infer_errors_total", "code" => "resource_exhausted")
                    .increment(1);
                return Err(Status::resource_exhausted(format!(
                    "inference queue full ({n}); retry later"
                )));
            }
            Err(SubmitError::Stopped) => {
                return Err(Status::unavailable("worker is shutting down"));
            }
            Err(SubmitError::Engine(e)) => {
                return Err(Status::internal(format!("runtime failure: {e}")));
            }
        };
        // Injected faults act after the work, as a slow or lossy link would: the answer is
        // late, or lost before the receipt exists.
        if !fault.delay.is_zero() {
            metrics::counter!("pol_worker_fault_injected_total", "kind" => "delay").increment(1);
            tokio::time::sleep(fault.delay).await;
        }
        if fault.drop {
            metrics::counter!("pol_worker_fault_injected_total", "kind" => "drop").increment(1);
            return Err(Status::unavailable("temporarily unavailable"));
        }
        let class = argmax(&logits) as u32;
        // The receipt commits to what this request paid; an unpaid one names the prices
        // settling it on chain costs.
        let free = admission.as_ref().is_some_and(|a| a.is_free());
        let payment = match admission.as_ref().and_then(|a| a.reservation()) {
            // Free: no payment, no price (nothing to settle on chain).
            None if free => ReceiptPayment::default(),
            Some(r) => ReceiptPayment {
                channel_id: r.channel_id,
                amount: r.amount,
                price: r.price.provider,
                royalty: r.price.royalty,
            },
            None => match &st.payments {
                Some(gate) => gate
                    .view
                    .price(&req.model_id)
                    .map(|p| ReceiptPayment {
                        price: p.provider,
                        royalty: p.royalty,
                        ..Default::default()
                    })
                    .unwrap_or_default(),
                None => ReceiptPayment::default(),
            },
        };
        let body = ReceiptBody::new(
            &st.chain_id,
            st.provider,
            &req.model_id,
            &input,
            &logits,
            req.nonce,
            now_ms(),
        )
        .with_payment(payment);
        let signed = body
            .sign(&st.key)
            .map_err(|e| Status::internal(format!("signing the receipt: {e}")))?;
        let id = signed
            .id()
            .map_err(|e| Status::internal(format!("receipt id: {e}")))?;
        st.records.insert(
            id,
            Record {
                model_id: req.model_id.clone(),
                input,
                output: logits.clone(),
                nonce: req.nonce,
            },
        );
        // The payment is in the journal before the answer leaves.
        if let (Some(gate), Some(a)) = (&st.payments, admission) {
            gate.settle(a).map_err(|e| e.to_status())?;
        }
        let resp = proto::InferResponse {
            logits,
            class,
            receipt: Some(signed.to_proto()),
        };
        metrics::histogram!("pol_worker_infer_latency_seconds", "model" => req.model_id)
            .record(t0.elapsed().as_secs_f64());
        Ok(Response::new(resp))
    }

    async fn models(
        &self,
        _request: Request<proto::ModelsRequest>,
    ) -> Result<Response<proto::ModelsResponse>, Status> {
        Ok(Response::new(proto::ModelsResponse {
            models: self.state.models.values().map(|m| m.info.clone()).collect(),
            device: self.state.device.clone(),
        }))
    }

    async fn health(
        &self,
        _request: Request<proto::HealthRequest>,
    ) -> Result<Response<proto::HealthResponse>, Status> {
        let st = &self.state;
        Ok(Response::new(proto::HealthResponse {
            status: "SERVING".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            device: st.device.clone(),
            chain_id: st.chain_id.clone(),
            provider: receipt::format_address(&st.provider),
            worker_pubkey: st.pubkey.to_vec(),
            uptime_ms: st.started.elapsed().as_millis() as u64,
            inference_queue_depth: st.queue_depth() as u32,
            prove_queue_depth: st.pool.depth() as u32,
            provable_receipts: st.records.len() as u64,
            free_requests_per_minute: st.payments.as_ref().map_or(0, |g| g.config.free_per_minute),
        }))
    }

    async fn prove(
        &self,
        request: Request<proto::ProveRequest>,
    ) -> Result<Response<proto::ProveResponse>, Status> {
        let st = &self.state;
        if let Some(peer) = request.remote_addr() {
            st.prove_limit
                .take(peer.ip(), Instant::now())
                .map_err(|wait| {
                    metrics::counter!("pol_worker_prove_rate_limited_total").increment(1);
                    Status::resource_exhausted(format!(
                        "too many Prove calls from {}: retry in {} ms",
                        peer.ip(),
                        wait.as_millis()
                    ))
                })?;
        }
        let p = request
            .into_inner()
            .receipt
            .ok_or_else(|| Status::invalid_argument("missing receipt"))?;
        let r = SignedReceipt::from_proto(&p)
            .map_err(|e| Status::invalid_argument(format!("malformed receipt: {e}")))?;
        if r.worker_pubkey != st.pubkey {
            return Err(Status::invalid_argument(
                "receipt was signed by another worker key",
            ));
        }
        r.verify()
            .map_err(|e| Status::invalid_argument(format!("receipt: {e}")))?;
        if r.body.chain_id != st.chain_id || r.body.provider != st.provider {
            return Err(Status::invalid_argument(
                "receipt is for another chain or provider",
            ));
        }
        let id = r
            .id()
            .map_err(|e| Status::invalid_argument(format!("receipt: {e}")))?;
        let rec = st.records.get(&id).ok_or_else(|| {
            Status::not_found(
                "receipt is no longer kept (older than the prover window, or evicted)",
            )
        })?;
        let served = st
            .models
            .get(&rec.model_id)
            .ok_or_else(|| Status::not_found(format!("model {:?} is gone", rec.model_id)))?;
        let Some(backend) = st.backend.clone() else {
            return Err(Status::unimplemented(
                "this worker has no prover (pol-proofs prover not available in this build)",
            ));
        };
        let model = served.model.clone();
        let provider = st.provider;
        let job_rec = rec.clone();
        let t0 = Instant::now();
        let rx = st
            .pool
            .submit("prove", crate::pool::Lane::Public, move || {
                backend.prove(
                    &model,
                    &job_rec.input,
                    &job_rec.output,
                    job_rec.nonce,
                    provider,
                )
            })
            .map_err(|e| match e {
                PoolError::Full(_) => Status::resource_exhausted(e.to_string()),
                other => Status::unavailable(other.to_string()),
            })?;
        let (result, took) = rx
            .await
            .map_err(|_| Status::unavailable("prover pool stopped"))?;
        let out = match result {
            Ok(o) => o,
            Err(e) => {
                metrics::counter!("pol_worker_proofs_total", "result" => "error").increment(1);
                return Err(Status::internal(format!("proving failed: {e}")));
            }
        };
        metrics::counter!("pol_worker_proofs_total", "result" => "ok").increment(1);
        metrics::histogram!("pol_worker_prove_seconds").record(took.as_secs_f64());
        metrics::histogram!("pol_worker_prove_end_to_end_seconds")
            .record(t0.elapsed().as_secs_f64());
        Ok(Response::new(proto::ProveResponse {
            proof: out.proof,
            commitment: out.commitment_hex,
            input: rec.input.iter().map(|&x| x as u8).collect(),
            output: rec.output,
            nonce: rec.nonce,
            provider: provider.to_vec(),
            prove_ms: took.as_millis() as u64,
        }))
    }
}

impl ServedModel {
    fn batcher_input_len(&self) -> usize {
        self.model.architecture().input_len()
    }
}

/// Serves the worker API (with reflection) on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<WorkerState>,
    max_message_bytes: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("the embedded descriptor set is valid");
    let svc = WorkerServer::new(WorkerService::new(state))
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes.max(16 * 1024 * 1024));
    // `Server::tcp_nodelay` only applies to listeners tonic binds itself: set it on every
    // accepted socket, or Nagle + delayed ACKs add ~40 ms to small answers.
    use futures::StreamExt;
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener).map(|conn| {
        if let Ok(s) = &conn {
            let _ = s.set_nodelay(true);
        }
        conn
    });
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(reflection)
        .add_service(svc)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{make_engine, DeviceChoice};
    use pol_proofs::model::{Architecture, LayerShape};
    use rand::SeedableRng;

    const MODEL: &str = "tiny";

    fn fault(extra: u64, jitter: u64, drop_ppm: u32, after: u64) -> Fault {
        Fault {
            extra_latency_ms: extra,
            jitter_ms: jitter,
            drop_ppm,
            after_secs: after,
            ..Default::default()
        }
    }

    #[test]
    fn fault_plan_respects_start_delay_jitter_and_drop_rate() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let none = FaultPlan {
            delay: Duration::ZERO,
            drop: false,
        };
        let off = FaultInjection::default();
        assert_eq!(off.plan(Duration::from_secs(1000), None, &mut rng), none);
        let f = FaultInjection::new(fault(50, 10, 0, 5));
        // Not before after_secs.
        assert_eq!(f.plan(Duration::from_millis(4999), None, &mut rng), none);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let p = f.plan(Duration::from_secs(5), None, &mut rng);
            assert!(!p.drop);
            assert!(p.delay >= Duration::from_millis(50) && p.delay <= Duration::from_millis(60));
            seen.insert(p.delay);
        }
        assert_eq!(seen.len(), 11, "jitter covers 0..=10 ms");
        // A tail: about a tenth of the calls 100 ms later, the rest on time.
        let tail = FaultInjection::new(Fault {
            tail_ms: 100,
            tail_ppm: 100_000,
            ..Default::default()
        });
        let slow = (0..10_000)
            .filter(|_| {
                tail.plan(Duration::ZERO, None, &mut rng).delay == Duration::from_millis(100)
            })
            .count();
        assert!((800..1_200).contains(&slow), "{slow} of 10000 in the tail");
        let all = FaultInjection::new(fault(0, 0, 1_000_000, 0));
        assert!((0..100).all(|_| all.plan(Duration::ZERO, None, &mut rng).drop));
        // A spared address gets nothing; others still get the fault.
        let mut picky = fault(50, 0, 0, 0);
        let validator: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        picky.spare = vec![validator];
        let picky = FaultInjection::new(picky);
        assert_eq!(picky.plan(Duration::ZERO, Some(validator), &mut rng), none);
        let other = "127.0.0.2".parse().ok();
        assert_eq!(
            picky.plan(Duration::ZERO, other, &mut rng).delay,
            Duration::from_millis(50)
        );
        let half = FaultInjection::new(fault(0, 0, 500_000, 0));
        let drops = (0..4000)
            .filter(|_| half.plan(Duration::ZERO, None, &mut rng).drop)
            .count();
        assert!(
            (1700..2300).contains(&drops),
            "{drops} of 4000 dropped at 50%"
        );
    }

    fn state(f: Fault) -> Arc<WorkerState> {
        let arch = Architecture {
            layers: vec![
                LayerShape {
                    input: 4,
                    output: 3,
                    shift: 4,
                },
                LayerShape {
                    input: 3,
                    output: 2,
                    shift: 0,
                },
            ],
        };
        let model = Arc::new(Model::random(
            &arch,
            &mut rand::rngs::StdRng::seed_from_u64(1),
        ));
        let mut st = WorkerState::new(
            WorkerOptions {
                chain_id: "pol-test-1".into(),
                provider: [7; 20],
                key: SigningKey::from_bytes(&[3; 32]),
                batching: BatchConfig {
                    max_batch: 4,
                    window: Duration::from_micros(50),
                    queue_capacity: 16,
                },
                pool: PoolConfig {
                    threads: 1,
                    max_pending: 1,
                    nice: 0,
                    ..Default::default()
                },
                record_window: Duration::from_secs(60),
                max_records: 100,
            },
            vec![ModelSpec {
                id: MODEL.into(),
                model: model.clone(),
                engine: make_engine(model, &DeviceChoice::Reference).unwrap(),
                file_sha256: String::new(),
            }],
            None,
        )
        .unwrap();
        st.set_fault(f);
        Arc::new(st)
    }

    async fn infer(svc: &WorkerService) -> (Duration, Result<proto::InferResponse, Status>) {
        let t0 = Instant::now();
        let r = svc
            .infer(Request::new(proto::InferRequest {
                model_id: MODEL.into(),
                input: vec![1, 2, 3, 4],
                nonce: 5,
                payment: None,
            }))
            .await
            .map(Response::into_inner);
        (t0.elapsed(), r)
    }

    #[tokio::test]
    async fn infer_is_delayed_and_dropped_as_configured() {
        let slow = WorkerService::new(state(fault(150, 0, 0, 0)));
        let (took, r) = infer(&slow).await;
        let r = r.unwrap();
        assert!(took >= Duration::from_millis(150), "{took:?}");
        // The answer itself is untouched: a receipt that verifies over these logits.
        let receipt = SignedReceipt::from_proto(&r.receipt.unwrap()).unwrap();
        receipt.verify_with_data(&[1, 2, 3, 4], &r.logits).unwrap();

        let lossy = WorkerService::new(state(fault(100, 0, 1_000_000, 0)));
        let (took, r) = infer(&lossy).await;
        assert_eq!(r.unwrap_err().code(), tonic::Code::Unavailable);
        assert!(
            took >= Duration::from_millis(100),
            "dropped after the delay: {took:?}"
        );
        assert_eq!(
            lossy.state.records.len(),
            0,
            "no receipt for a dropped call"
        );

        // Not yet: faults start after an hour of uptime.
        let later = WorkerService::new(state(fault(5_000, 0, 1_000_000, 3600)));
        let (took, r) = infer(&later).await;
        assert!(r.is_ok());
        assert!(took < Duration::from_millis(1000), "{took:?}");
    }
}
