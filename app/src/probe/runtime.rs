//! The probes' own tokio runtime. The node's main runtime also serves gRPC and ABCI queries,
//! whose handlers scan state synchronously; under a flood of them every thread of that
//! runtime can be busy, and probes sharing it would wait to send, to read the answer and to
//! fire their timers: the validator would report providers slower than they are and become
//! the outlier. On threads of their own, probes keep their timing whatever the node serves.

use std::future::Future;

/// A multi-thread runtime for the probe task (and what its payer starts), shut down
/// without blocking when dropped (also from async code).
pub struct ProbeRuntime {
    runtime: Option<tokio::runtime::Runtime>,
}

impl ProbeRuntime {
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("pol-probe")
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    /// Run `f` with this runtime as the current one: what it spawns runs here.
    pub fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.runtime.as_ref().map(|rt| rt.enter());
        f()
    }

    /// Spawn `future` on this runtime.
    pub fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.enter(|| tokio::spawn(future))
    }
}

impl Drop for ProbeRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
