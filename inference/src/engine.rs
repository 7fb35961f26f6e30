//! Inference engines: something that runs a batch of inputs through one model.
//!
//! [`ReferenceEngine`] is `pol-proofs`' pure-Rust reference (always available);
//! `runtime::TchEngine` (feature `torch`) runs on libtorch, CUDA when present. Both give
//! per-sample results with exactly the reference's errors (wrong length, i32 overflow).

use pol_proofs::model::{Model, ModelError};
use std::sync::Arc;

/// Where to run a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA device 0 when libtorch sees one, else CPU.
    Auto,
    /// libtorch on CPU.
    Cpu,
    /// libtorch on this CUDA device.
    Cuda(usize),
    /// The pure-Rust reference (no libtorch).
    Reference,
}

impl std::str::FromStr for DeviceChoice {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" => Ok(Self::Cuda(0)),
            "reference" => Ok(Self::Reference),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Self::Cuda)
                .ok_or_else(|| {
                    EngineError::Device(format!(
                        "unknown device {s:?} (auto, cpu, cuda, cuda:N, reference)"
                    ))
                }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("device: {0}")]
    Device(String),
    #[error("runtime: {0}")]
    Runtime(String),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Per-sample result of a batch.
pub type SampleResult = Result<Vec<i32>, ModelError>;

/// Runs batches through one model.
pub trait Engine: Send {
    /// "cpu", "cuda:0" or "reference".
    fn device(&self) -> String;
    /// Input width of the model.
    fn input_len(&self) -> usize;
    /// Runs every input; the outer error is a runtime failure of the whole batch.
    fn infer_batch(&mut self, inputs: &[&[i8]]) -> Result<Vec<SampleResult>, EngineError>;
}

/// The pure-Rust reference, one sample at a time.
pub struct ReferenceEngine {
    model: Arc<Model>,
}

impl ReferenceEngine {
    pub fn new(model: Arc<Model>) -> Self {
        Self { model }
    }
}

impl Engine for ReferenceEngine {
    fn device(&self) -> String {
        "reference".into()
    }
    fn input_len(&self) -> usize {
        self.model.architecture().input_len()
    }
    fn infer_batch(&mut self, inputs: &[&[i8]]) -> Result<Vec<SampleResult>, EngineError> {
        Ok(inputs.iter().map(|x| self.model.forward(x)).collect())
    }
}

/// Builds the engine for `model` on `device`. Without the `torch` feature only
/// [`DeviceChoice::Reference`] and [`DeviceChoice::Auto`] (which then means the reference)
/// are available.
pub fn make_engine(
    model: Arc<Model>,
    device: &DeviceChoice,
) -> Result<Box<dyn Engine>, EngineError> {
    match device {
        DeviceChoice::Reference => Ok(Box::new(ReferenceEngine::new(model))),
        #[cfg(feature = "torch")]
        other => Ok(Box::new(crate::runtime::TchEngine::new(model, other)?)),
        #[cfg(not(feature = "torch"))]
        DeviceChoice::Auto => Ok(Box::new(ReferenceEngine::new(model))),
        #[cfg(not(feature = "torch"))]
        other => Err(EngineError::Device(format!(
            "{other:?} needs pol-worker built with the `torch` feature"
        ))),
    }
}
