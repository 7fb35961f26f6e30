//! The prover pool: proofs run on their own bounded, low-priority threads so that proving
//! never takes the cores inference needs.
//!
//! A dedicated rayon pool runs each job; arkworks' `parallel` code inside a job uses this
//! pool (rayon's "current pool"), never the global one. Threads run on CPUs of their own
//! when the worker has them to spare (`crate::cpus`: the one measure that keeps proving off
//! the request path), under `SCHED_IDLE` and at a raised nice value, so the kernel prefers
//! the engine and gRPC threads whenever they are runnable. At most `max_pending` jobs are
//! queued or running; more are refused, so a flood of `Prove` calls cannot build an
//! unbounded backlog.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;

#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Prover threads.
    pub threads: usize,
    /// Jobs queued or running before new ones are refused.
    pub max_pending: usize,
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

/// A bounded pool of low-priority threads.
pub struct ProverPool {
    pool: rayon::ThreadPool,
    pending: Arc<AtomicUsize>,
    max_pending: usize,
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
        Ok(Self {
            pool,
            pending: Arc::new(AtomicUsize::new(0)),
            max_pending: cfg.max_pending.max(1),
        })
    }

    /// Jobs queued or running.
    pub fn depth(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    /// Runs `job` on the pool; the answer comes with the time spent inside the job.
    pub fn submit<T, F>(
        &self,
        kind: &'static str,
        job: F,
    ) -> Result<oneshot::Receiver<(T, std::time::Duration)>, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let prev = self.pending.fetch_add(1, Ordering::AcqRel);
        if prev >= self.max_pending {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!("pol_worker_prove_rejected_total", "kind" => kind).increment(1);
            return Err(PoolError::Full(self.max_pending));
        }
        metrics::gauge!("pol_worker_prove_queue_depth").set((prev + 1) as f64);
        let (tx, rx) = oneshot::channel();
        let pending = self.pending.clone();
        let queued = Instant::now();
        self.pool.spawn(move || {
            metrics::histogram!("pol_worker_prove_queue_wait_seconds", "kind" => kind)
                .record(queued.elapsed().as_secs_f64());
            let started = Instant::now();
            let out = job();
            let took = started.elapsed();
            let left = pending.fetch_sub(1, Ordering::AcqRel) - 1;
            metrics::gauge!("pol_worker_prove_queue_depth").set(left as f64);
            let _ = tx.send((out, took));
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
            .submit("t", move || {
                gate_rx.recv().ok();
                1
            })
            .unwrap();
        let b = pool.submit("t", || 2).unwrap();
        assert!(matches!(pool.submit("t", || 3), Err(PoolError::Full(2))));
        assert_eq!(pool.depth(), 2);
        gate_tx.send(()).unwrap();
        assert_eq!(a.await.unwrap().0, 1);
        assert_eq!(b.await.unwrap().0, 2);
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
        })
        .unwrap();
        let seen = pool
            .submit("t", || unsafe {
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
