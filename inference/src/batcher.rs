//! Dynamic batching: one engine thread per model takes requests from a bounded queue and
//! runs them in batches.
//!
//! The engine thread blocks for the first request, then gathers more until the batch is
//! full or `window` has passed since the *first request was enqueued*. A request that
//! already waited longer than the window (the engine was busy) goes out at once with
//! whatever else is queued, so batches grow with load and the window is never paid twice.

use crate::engine::{Engine, EngineError, SampleResult};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

#[derive(Debug, Clone)]
pub struct BatchConfig {
    /// Largest batch.
    pub max_batch: usize,
    /// How long the first request of a batch may wait for company.
    pub window: Duration,
    /// Requests queued before new ones are refused.
    pub queue_capacity: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_batch: 64,
            window: Duration::from_micros(100),
            queue_capacity: 4096,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("inference queue is full ({0} requests)")]
    QueueFull(usize),
    #[error("model runtime has stopped")]
    Stopped,
    #[error(transparent)]
    Engine(#[from] EngineError),
}

struct Job {
    input: Vec<i8>,
    enqueued: Instant,
    reply: oneshot::Sender<Result<SampleResult, Arc<EngineError>>>,
}

/// Handle to one model's engine thread.
pub struct Batcher {
    model_id: String,
    tx: Option<Sender<Job>>,
    depth: Arc<AtomicUsize>,
    capacity: usize,
    device: String,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Batcher {
    /// Starts the engine thread.
    pub fn start(model_id: &str, mut engine: Box<dyn Engine>, cfg: BatchConfig) -> Self {
        let (tx, rx) = bounded::<Job>(cfg.queue_capacity.max(1));
        let capacity = cfg.queue_capacity.max(1);
        let depth = Arc::new(AtomicUsize::new(0));
        let device = engine.device();
        let d = depth.clone();
        let id = model_id.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("engine-{model_id}"))
            .spawn(move || run_engine(&id, engine.as_mut(), rx, d, cfg))
            .expect("spawning the engine thread");
        Self {
            model_id: model_id.to_string(),
            tx: Some(tx),
            depth,
            capacity,
            device,
            thread: Some(thread),
        }
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn device(&self) -> &str {
        &self.device
    }

    /// Requests queued or running.
    pub fn queue_depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }

    /// Queues one input and waits for its logits.
    pub async fn infer(&self, input: Vec<i8>) -> Result<SampleResult, SubmitError> {
        let tx = self.tx.as_ref().ok_or(SubmitError::Stopped)?;
        let (reply, rx) = oneshot::channel();
        let job = Job {
            input,
            enqueued: Instant::now(),
            reply,
        };
        self.depth.fetch_add(1, Ordering::Relaxed);
        match tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.depth.fetch_sub(1, Ordering::Relaxed);
                return Err(SubmitError::QueueFull(self.capacity));
            }
            Err(TrySendError::Disconnected(_)) => {
                self.depth.fetch_sub(1, Ordering::Relaxed);
                return Err(SubmitError::Stopped);
            }
        }
        metrics::gauge!("pol_worker_inference_queue_depth", "model" => self.model_id.clone())
            .set(self.depth.load(Ordering::Relaxed) as f64);
        match rx.await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(SubmitError::Engine(EngineError::Runtime(e.to_string()))),
            Err(_) => Err(SubmitError::Stopped),
        }
    }

    /// Stops taking requests, lets the engine finish what is queued, joins the thread.
    pub fn shutdown(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run_engine(
    model_id: &str,
    engine: &mut dyn Engine,
    rx: Receiver<Job>,
    depth: Arc<AtomicUsize>,
    cfg: BatchConfig,
) {
    let max_batch = cfg.max_batch.max(1);
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    let batch_hist = metrics::histogram!("pol_worker_batch_size", "model" => model_id.to_string());
    let run_hist =
        metrics::histogram!("pol_worker_batch_run_seconds", "model" => model_id.to_string());
    loop {
        let first = match rx.recv() {
            Ok(j) => j,
            Err(_) => break, // every sender dropped: shut down
        };
        let deadline = first.enqueued + cfg.window;
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(j) => {
                    batch.push(j);
                    continue;
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => break,
                Err(crossbeam_channel::TryRecvError::Empty) => {}
            }
            if Instant::now() >= deadline {
                break;
            }
            match rx.recv_deadline(deadline) {
                Ok(j) => batch.push(j),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let n = batch.len();
        let started = Instant::now();
        let inputs: Vec<&[i8]> = batch.iter().map(|j| j.input.as_slice()).collect();
        let result = engine.infer_batch(&inputs);
        run_hist.record(started.elapsed().as_secs_f64());
        batch_hist.record(n as f64);
        match result {
            Ok(outputs) => {
                for (job, out) in batch.drain(..).zip(outputs) {
                    let _ = job.reply.send(Ok(out));
                }
            }
            Err(e) => {
                tracing::error!(model = model_id, error = %e, batch = n, "engine failed a batch");
                let e = Arc::new(e);
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
        batch.clear();
        depth.fetch_sub(n, Ordering::Relaxed);
    }
    tracing::debug!(model = model_id, "engine thread stopped");
}
