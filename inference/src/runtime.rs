//! The libtorch runtime (feature `torch`): batched integer MLP inference, bit-for-bit equal
//! to `pol_proofs::model::Model::forward`.
//!
//! - CPU: exact int64 tensors (`matmul` on int64, floor division by `2^s` is the arithmetic
//!   shift, `clamp(0, 127)`).
//! - CUDA: float64 tensors. Every value is an integer of magnitude below 2^53
//!   (|acc| <= 2^16·2^14 + 2^31 by the architecture limits), so products, sums in any order,
//!   the `+2^(s-1)`, the division by a power of two and `floor` are all exact; cuBLAS DGEMM
//!   therefore reproduces the integer result exactly. (`_int_mm` has shape restrictions and
//!   no bias/requantize fusion; the float64 path is simpler and the equality tests decide.)
//!
//! i32 range: the reference errors on an accumulator outside i32. If the static bound
//! `|b| + Σ|w|·max|x|` of some layer leaves i32, the runtime checks the batch's accumulators
//! and answers any batch with an out-of-range value through the reference, so errors match.

use crate::engine::{DeviceChoice, Engine, EngineError, SampleResult};
use pol_proofs::model::Model;
use std::sync::Arc;
use tch::{Device, Kind, Tensor};

struct TLayer {
    /// Weights transposed to `[input, output]`.
    wt: Tensor,
    /// `[output]`.
    bias: Tensor,
    shift: u8,
    /// Static bound says this layer's accumulators may leave i32.
    may_overflow: bool,
}

/// A model resident on a libtorch device.
pub struct TchEngine {
    model: Arc<Model>,
    layers: Vec<TLayer>,
    device: Device,
    kind: Kind,
    input_len: usize,
    output_len: usize,
}

fn terr(e: tch::TchError) -> EngineError {
    EngineError::Runtime(e.to_string())
}

/// Loads libtorch's CUDA backend, once. Nothing in the binary calls into
/// `libtorch_cuda.so` directly, so the linker's `--as-needed` drops it and libtorch then
/// reports no GPU at all; loading it registers the backend (its static initialisers).
/// A CPU-only torch has no such library: then this does nothing and CUDA stays unavailable.
fn load_cuda_backend() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for name in [c"libtorch_cuda.so", c"libtorch_cuda_cpp.so"] {
            // SAFETY: dlopen of a library by name with a NUL-terminated string; the handle is
            // kept open for the life of the process (never dlclosed).
            let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
            if !handle.is_null() {
                tracing::debug!(library = ?name, "libtorch CUDA backend loaded");
                return;
            }
        }
        tracing::debug!(
            "no libtorch CUDA backend: this torch is CPU-only or not on the library path"
        );
    });
}

/// Whether libtorch sees a CUDA device (loading its CUDA backend first).
pub fn cuda_available() -> bool {
    load_cuda_backend();
    tch::Cuda::is_available()
}

/// Resolves a device choice against what libtorch sees.
pub fn resolve_device(choice: &DeviceChoice) -> Result<Device, EngineError> {
    if matches!(choice, DeviceChoice::Auto | DeviceChoice::Cuda(_)) {
        load_cuda_backend();
    }
    match choice {
        DeviceChoice::Auto => Ok(Device::cuda_if_available()),
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Cuda(n) => {
            let count = tch::Cuda::device_count() as usize;
            if *n < count {
                Ok(Device::Cuda(*n))
            } else {
                Err(EngineError::Device(format!(
                    "cuda:{n} requested but libtorch sees {count} CUDA device(s)"
                )))
            }
        }
        DeviceChoice::Reference => Err(EngineError::Device(
            "the reference engine is not a libtorch device".into(),
        )),
    }
}

/// Limits libtorch's intra-op threads (tiny GEMMs gain nothing from more, and the prover
/// pool needs the cores).
pub fn set_torch_threads(n: usize) {
    tch::set_num_threads(n.max(1) as i32);
    tch::set_num_interop_threads(1);
}

pub fn device_name(d: Device) -> String {
    match d {
        Device::Cpu => "cpu".into(),
        Device::Cuda(n) => format!("cuda:{n}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

impl TchEngine {
    pub fn new(model: Arc<Model>, choice: &DeviceChoice) -> Result<Self, EngineError> {
        let device = resolve_device(choice)?;
        let kind = if device.is_cuda() {
            Kind::Double
        } else {
            Kind::Int64
        };
        let arch = model.architecture();
        arch.validate()?;
        let _guard = tch::no_grad_guard();
        let mut layers = Vec::with_capacity(model.layers.len());
        let mut max_in: i64 = 128; // |x| of the model input
        for l in &model.layers {
            let (n_in, n_out) = (l.shape.input as i64, l.shape.output as i64);
            let w: Vec<i64> = l.weights.iter().map(|&w| i64::from(w)).collect();
            let b: Vec<i64> = l.bias.iter().map(|&b| i64::from(b)).collect();
            let bound = l
                .weights
                .chunks_exact(n_in as usize)
                .zip(&l.bias)
                .map(|(row, &b)| {
                    i64::from(b).abs()
                        + row.iter().map(|&w| i64::from(w).abs()).sum::<i64>() * max_in
                })
                .max()
                .unwrap_or(0);
            let wt = Tensor::f_from_slice(&w)
                .and_then(|t| t.f_view([n_out, n_in]))
                .and_then(|t| t.f_transpose(0, 1))
                .and_then(|t| t.f_contiguous())
                .and_then(|t| t.f_to_kind(kind))
                .and_then(|t| t.f_to_device(device))
                .map_err(terr)?;
            let bias = Tensor::f_from_slice(&b)
                .and_then(|t| t.f_to_kind(kind))
                .and_then(|t| t.f_to_device(device))
                .map_err(terr)?;
            layers.push(TLayer {
                wt,
                bias,
                shift: l.shape.shift,
                may_overflow: bound > i64::from(i32::MAX),
            });
            max_in = 127;
        }
        Ok(Self {
            layers,
            device,
            kind,
            input_len: arch.input_len(),
            output_len: arch.output_len(),
            model,
        })
    }

    pub fn torch_device(&self) -> Device {
        self.device
    }

    /// Runs a batch whose inputs all have the right length. `Ok(None)`: some accumulator
    /// left i32 (the caller answers through the reference).
    fn run(&self, flat: &[i8], n: usize) -> Result<Option<Vec<i64>>, tch::TchError> {
        let _guard = tch::no_grad_guard();
        let mut x = Tensor::f_from_slice(flat)?
            .f_view([n as i64, self.input_len as i64])?
            .f_to_device(self.device)?
            .f_to_kind(self.kind)?;
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            let acc = x.f_matmul(&l.wt)?.f_add(&l.bias)?;
            if l.may_overflow {
                let oob = acc
                    .f_gt(i64::from(i32::MAX))?
                    .f_logical_or(&acc.f_lt(i64::from(i32::MIN))?)?
                    .f_any()?;
                if bool::try_from(&oob)? {
                    return Ok(None);
                }
            }
            x = if i == last {
                acc
            } else {
                let half = 1i64 << (l.shift - 1);
                let div = 1i64 << l.shift;
                let q = acc.f_add_scalar(half)?;
                let q = if self.kind == Kind::Double {
                    q.f_div_scalar(div as f64)?.f_floor()?
                } else {
                    q.f_div_scalar_mode(div, "floor")?
                };
                q.f_clamp(0, 127)?
            };
        }
        let out = x
            .f_to_kind(Kind::Int64)?
            .f_to_device(Device::Cpu)?
            .f_contiguous()?;
        let mut v = vec![0i64; n * self.output_len];
        out.f_copy_data(&mut v, n * self.output_len)?;
        Ok(Some(v))
    }
}

impl Engine for TchEngine {
    fn device(&self) -> String {
        device_name(self.device)
    }

    fn input_len(&self) -> usize {
        self.input_len
    }

    fn infer_batch(&mut self, inputs: &[&[i8]]) -> Result<Vec<SampleResult>, EngineError> {
        // Wrong-length inputs get the reference's error; the rest run as one batch.
        let good: Vec<usize> = (0..inputs.len())
            .filter(|&i| inputs[i].len() == self.input_len)
            .collect();
        let mut results: Vec<Option<SampleResult>> = inputs
            .iter()
            .map(|x| (x.len() != self.input_len).then(|| self.model.forward(x)))
            .collect();
        if !good.is_empty() {
            let mut flat = Vec::with_capacity(good.len() * self.input_len);
            for &i in &good {
                flat.extend_from_slice(inputs[i]);
            }
            match self.run(&flat, good.len()).map_err(terr)? {
                Some(v) => {
                    for (k, &i) in good.iter().enumerate() {
                        let row = &v[k * self.output_len..(k + 1) * self.output_len];
                        // In range by the static bound or the dynamic check above.
                        results[i] = Some(Ok(row.iter().map(|&y| y as i32).collect()));
                    }
                }
                None => {
                    for &i in &good {
                        results[i] = Some(self.model.forward(inputs[i]));
                    }
                }
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Ok(Vec::new())))
            .collect())
    }
}
