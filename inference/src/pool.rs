//! The prover pool: proofs run on their own bounded, low-priority threads so that proving
//! never takes the cores inference needs.
//!
//! A dedicated rayon pool runs each job; arkworks' `parallel` code inside a job uses this
//! pool (rayon's "current pool"), never the global one. Threads run on CPUs of their own
//! when the worker has them to spare (`crate::cpus`: the one measure that keeps proving off
//! the request path), under `SCHED_IDLE` and at a raised nice value, so the kernel prefers
//! the engine and gRPC threads whenever they are runnable.
//!
//! Jobs come in two lanes. The chain's obligations (each missed one burns bond) go first:
//! a prover thread that frees up takes the oldest obligation before any public job, and
//! public jobs (the `Prove` RPC, key setup) may hold at most `max_pending −
//! reserved_for_obligations` places, so a flood of `Prove` calls can neither build an
//! unbounded backlog nor take the places obligations need. A running job is never
//! interrupted: an obligation waits at most for the jobs already running.

use std::collections::VecDeque;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;

#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Prover threads.
    pub threads: usize,
    /// Jobs of one lane queued or running before new ones are refused.
    pub max_pending: usize,
    /// Of `max_pending`, the places public jobs may not take (default: half).
    pub reserved_for_obligations: Option<usize>,
    /// Public `Prove` calls one remote address may make per minute (0: unlimited).
    pub public_per_peer_per_minute: u32,
    /// Nice value of the prover threads (0..=19; 0 leaves the priority alone).
    pub nice: i32,
    /// Run the prover threads under `SCHED_IDLE` (Linux).
    pub sched_idle: bool,
    /// CPUs the prover threads run on (`None`: wherever the process may).
    pub cpus: Option<Vec<usize>>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            threads: 1,
            max_pending: 16,
            reserved_for_obligations: None,
            public_per_peer_per_minute: 60,
            nice: 10,
            sched_idle: true,
            cpus: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("prover queue is full ({0} jobs queued or running)")]
    Full(usize),
    #[error("prover pool stopped")]
    Stopped,
    #[error("building the prover pool: {0}")]
    Build(String),
}

/// Which lane a job runs in (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Proofs the chain asked for: first, with places of their own.
    Obligation,
    /// Everything else: `Prove` calls, key setup.
    Public,
}

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queues {
    obligations: VecDeque<Job>,
    public: VecDeque<Job>,
}

/// A bounded pool of low-priority threads.
pub struct ProverPool {
    pool: rayon::ThreadPool,
    queues: Arc<parking_lot::Mutex<Queues>>,
    pending_obligations: Arc<AtomicUsize>,
    pending_public: Arc<AtomicUsize>,
    max_obligations: usize,
    max_public: usize,
}

impl ProverPool {
    pub fn new(cfg: &PoolConfig) -> Result<Self, PoolError> {
        let nice = cfg.nice.clamp(0, 19);
        let (sched_idle, cpus) = (cfg.sched_idle, cfg.cpus.clone());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads.max(1))
            .thread_name(|i| format!("prover-{i}"))
            .start_handler(move |_| {
                if let Some(cpus) = &cpus {
                    if let Err(e) = crate::cpus::pin_current_thread(cpus) {
                        tracing::warn!(?cpus, "could not pin a prover thread: {e}");
                    }
                }
                if sched_idle {
                    if let Err(e) = crate::cpus::make_current_thread_idle() {
                        tracing::debug!("could not move a prover thread to SCHED_IDLE: {e}");
                    }
                }
                lower_priority(nice)
            })
            .build()
            .map_err(|e| PoolError::Build(e.to_string()))?;
        let max = cfg.max_pending.max(1);
        let reserved = cfg.reserved_for_obligations.unwrap_or(max / 2).min(max - 1);
        Ok(Self {
            pool,
            queues: Arc::default(),
            pending_obligations: Arc::new(AtomicUsize::new(0)),
            pending_public: Arc::new(AtomicUsize::new(0)),
            max_obligations: max,
            max_public: max - reserved,
        })
    }

    /// Jobs queued or running, both lanes.
    pub fn depth(&self) -> usize {
        self.pending_obligations.load(Ordering::Relaxed)
            + self.pending_public.load(Ordering::Relaxed)
    }

    /// Runs `job` in `lane`; the answer comes with the time spent inside the job.
    pub fn submit<T, F>(
        &self,
        kind: &'static str,
        lane: Lane,
        job: F,
    ) -> Result<oneshot::Receiver<(T, std::time::Duration)>, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (pending, max) = match lane {
            Lane::Obligation => (&self.pending_obligations, self.max_obligations),
            Lane::Public => (&self.pending_public, self.max_public),
        };
        if pending.fetch_add(1, Ordering::AcqRel) >= max {
            pending.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!("pol_worker_prove_rejected_total", "kind" => kind).increment(1);
            return Err(PoolError::Full(max));
        }
        metrics::gauge!("pol_worker_prove_queue_depth").set(self.depth() as f64);
        let (tx, rx) = oneshot::channel();
        let pending = pending.clone();
        let queued = Instant::now();
        let job: Job = Box::new(move || {
            metrics::histogram!("pol_worker_prove_queue_wait_seconds", "kind" => kind)
                .record(queued.elapsed().as_secs_f64());
            let started = Instant::now();
            let out = job();
            let took = started.elapsed();
            pending.fetch_sub(1, Ordering::AcqRel);
            let _ = tx.send((out, took));
        });
        {
            let mut q = self.queues.lock();
            match lane {
                Lane::Obligation => q.obligations.push_back(job),
                Lane::Public => q.public.push_back(job),
            }
        }
        // One task per job; each runs whichever job is first when a thread takes it.
        let queues = self.queues.clone();
        self.pool.spawn(move || {
            let next = {
                let mut q = queues.lock();
                q.obligations.pop_front().or_else(|| q.public.pop_front())
            };
            if let Some(job) = next {
                job();
            }
        });
        Ok(rx)
    }
}

fn lower_priority(nice: i32) {
    if nice <= 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread's id; no memory is shared.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, tid, nice) != 0 {
            tracing::debug!("could not lower prover thread priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_and_runs() {
        let pool = ProverPool::new(&PoolConfig {
            threads: 1,
            max_pending: 2,
            nice: 5,
            ..Default::default()
        })
        .unwrap();
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let a = pool
            .submit("t", Lane::Obligation, move || {
                gate_rx.recv().ok();
                1
            })
            .unwrap();
        let b = pool.submit("t", Lane::Obligation, || 2).unwrap();
        assert!(matches!(
            pool.submit("t", Lane::Obligation, || 3),
            Err(PoolError::Full(2))
        ));
        assert_eq!(pool.depth(), 2);
        gate_tx.send(()).unwrap();
        assert_eq!(a.await.unwrap().0, 1);
        assert_eq!(b.await.unwrap().0, 2);
        assert_eq!(pool.depth(), 0);
    }

    /// A flood of public jobs neither takes the places reserved for obligations nor runs
    /// before an obligation queued after it.
    #[tokio::test]
    async fn obligations_have_places_of_their_own_and_go_first() {
        let pool = ProverPool::new(&PoolConfig {
            threads: 1,
            max_pending: 4,
            reserved_for_obligations: Some(2),
            ..Default::default()
        })
        .unwrap();
        let order = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        // The one thread is busy with a public job; a second public job waits.
        let running = pool
            .submit("t", Lane::Public, move || {
                gate_rx.recv().ok();
            })
            .unwrap();
        let o = order.clone();
        let waiting = pool
            .submit("t", Lane::Public, move || o.lock().push("public"))
            .unwrap();
        // Public places are full (4 − 2 reserved); obligations still get in.
        assert!(matches!(
            pool.submit("t", Lane::Public, || ()),
            Err(PoolError::Full(2))
        ));
        let o = order.clone();
        let obligation = pool
            .submit("t", Lane::Obligation, move || o.lock().push("obligation"))
            .unwrap();
        assert_eq!(pool.depth(), 3);
        gate_tx.send(()).unwrap();
        running.await.unwrap();
        obligation.await.unwrap();
        waiting.await.unwrap();
        assert_eq!(*order.lock(), vec!["obligation", "public"]);
        assert_eq!(pool.depth(), 0);
    }

    /// Prover threads run where they are told, idle-class and niced.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn threads_are_pinned_idle_and_nice() {
        let first = crate::cpus::current_thread_cpus().unwrap()[0];
        let pool = ProverPool::new(&PoolConfig {
            threads: 1,
            max_pending: 1,
            nice: 7,
            sched_idle: true,
            cpus: Some(vec![first]),
            ..Default::default()
        })
        .unwrap();
        let seen = pool
            .submit("t", Lane::Public, || unsafe {
                let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
                (
                    crate::cpus::current_thread_cpus().unwrap(),
                    libc::sched_getscheduler(0),
                    libc::getpriority(libc::PRIO_PROCESS, tid),
                    // A thread the job starts (as arkworks' MSM does) inherits all of it.
                    std::thread::spawn(|| {
                        (
                            crate::cpus::current_thread_cpus().unwrap(),
                            libc::sched_getscheduler(0),
                        )
                    })
                    .join()
                    .unwrap(),
                )
            })
            .unwrap()
            .await
            .unwrap()
            .0;
        assert_eq!(seen.0, vec![first]);
        assert_eq!(seen.1, libc::SCHED_IDLE);
        assert_eq!(seen.2, 7);
        assert_eq!(seen.3, (vec![first], libc::SCHED_IDLE));
    }
}
