//! The integer reference model: the single definition of "the right answer".
//!
//! A model is an MLP of int8 layers. For every layer
//!
//! ```text
//! acc[o] = bias[o] + sum_i W[o][i] * x[i]        (exact integers, must fit in i32)
//! ```
//!
//! * hidden layers (`shift = s >= 1`): `y[o] = clamp((acc[o] + 2^(s-1)) >> s, 0, 127)` with an
//!   arithmetic (flooring) shift, computed exactly (no intermediate overflow); `y` is the next
//!   layer's int8 input;
//! * the last layer (`shift = 0`): the raw i32 accumulators are the logits;
//! * the class is the first index of the largest logit ([`argmax`]).
//!
//! Accumulators are computed in i64 (they cannot overflow i64 within the architecture limits of
//! [`Architecture::validate`]). An accumulator outside the i32 range makes [`Model::forward`]
//! return [`ModelError::Overflow`]; the circuit range-checks every accumulator to i32 as well, so
//! no proof exists for such an input. Nothing here panics on any weights, input or bytes.
//!
//! # File formats (all integers little-endian)
//!
//! Architecture (`Architecture::to_bytes`, also the preimage of [`Architecture::id`]):
//! ```text
//! "POLA" | version u8 = 1 | n_layers u16 | n_layers x (input u32 | output u32 | shift u8)
//! ```
//! Model (`Model::to_bytes`, the `.polm` weights file):
//! ```text
//! "POLM" | version u8 = 1 | architecture bytes (as above)
//!        | per layer: weights i8 x (output*input), row-major [output][input]
//!                     bias i32 x output
//! ```
//! No trailing bytes are accepted.

use sha2::{Digest, Sha256};
use std::path::Path;

/// Largest number of layers an architecture may have.
pub const MAX_LAYERS: usize = 16;
/// Largest input or output width of one layer.
pub const MAX_DIM: u32 = 1 << 16;
/// Largest total number of weights of a model (bounds allocations from untrusted bytes).
pub const MAX_WEIGHTS: u64 = 1 << 26;
/// Largest requantization shift of a hidden layer.
pub const MAX_SHIFT: u8 = 31;

const ARCH_MAGIC: &[u8; 4] = b"POLA";
const MODEL_MAGIC: &[u8; 4] = b"POLM";
/// Version of the architecture encoding.
pub const ARCH_VERSION: u8 = 1;
/// Version of the model (weights) file format.
pub const MODEL_VERSION: u8 = 1;

/// Errors of the reference model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("invalid architecture: {0}")]
    InvalidArchitecture(String),
    #[error("layer {layer}: {what} has length {got}, expected {expected}")]
    WrongLength {
        layer: usize,
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("input has length {got}, expected {expected}")]
    WrongInputLength { expected: usize, got: usize },
    #[error("layer {layer}, neuron {neuron}: accumulator {value} does not fit in i32")]
    Overflow {
        layer: usize,
        neuron: usize,
        value: i64,
    },
    #[error("bad magic: not a {0} file")]
    BadMagic(&'static str),
    #[error("unsupported {what} version {version}")]
    UnsupportedVersion { what: &'static str, version: u8 },
    #[error("truncated {0} bytes")]
    Truncated(&'static str),
    #[error("{0} trailing bytes after the {1}")]
    TrailingBytes(usize, &'static str),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// One layer's shape. `shift >= 1` for hidden layers (requantize + ReLU), 0 for the last layer
/// (raw i32 logits).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LayerShape {
    pub input: u32,
    pub output: u32,
    pub shift: u8,
}

impl LayerShape {
    /// Number of weights of this layer.
    pub fn num_weights(&self) -> usize {
        self.input as usize * self.output as usize
    }
}

/// A list of layer shapes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Architecture {
    pub layers: Vec<LayerShape>,
}

impl Architecture {
    /// Builds an architecture from widths and hidden shifts: `dims = [64, 32, 10]`,
    /// `shifts = [s1]` (one per hidden layer) gives 64→32 (shift s1) → 10 (logits).
    pub fn mlp(dims: &[u32], hidden_shifts: &[u8]) -> Result<Self, ModelError> {
        if dims.len() < 2 || hidden_shifts.len() + 2 != dims.len() {
            return Err(ModelError::InvalidArchitecture(format!(
                "{} widths need {} hidden shifts, got {}",
                dims.len(),
                dims.len().saturating_sub(2),
                hidden_shifts.len()
            )));
        }
        let layers = dims
            .windows(2)
            .enumerate()
            .map(|(i, w)| LayerShape {
                input: w[0],
                output: w[1],
                shift: hidden_shifts.get(i).copied().unwrap_or(0),
            })
            .collect();
        let arch = Architecture { layers };
        arch.validate()?;
        Ok(arch)
    }

    /// The default model's architecture: 64→32→10, hidden shift 7.
    pub fn default_digits() -> Self {
        Self::mlp(&[64, 32, 10], &[7]).expect("valid")
    }

    /// Checks dims, chaining, shifts and size limits.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |m: String| Err(ModelError::InvalidArchitecture(m));
        if self.layers.is_empty() {
            return bad("no layers".into());
        }
        if self.layers.len() > MAX_LAYERS {
            return bad(format!(
                "{} layers, at most {MAX_LAYERS}",
                self.layers.len()
            ));
        }
        let mut total: u64 = 0;
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            if l.input == 0 || l.output == 0 || l.input > MAX_DIM || l.output > MAX_DIM {
                return bad(format!(
                    "layer {i}: {}x{} outside 1..={MAX_DIM}",
                    l.input, l.output
                ));
            }
            if i > 0 && self.layers[i - 1].output != l.input {
                return bad(format!(
                    "layer {i}: input {} != previous output {}",
                    l.input,
                    self.layers[i - 1].output
                ));
            }
            if i == last {
                if l.shift != 0 {
                    return bad(format!("last layer {i}: shift must be 0, got {}", l.shift));
                }
            } else if l.shift == 0 || l.shift > MAX_SHIFT {
                return bad(format!(
                    "hidden layer {i}: shift {} outside 1..={MAX_SHIFT}",
                    l.shift
                ));
            }
            total += l.input as u64 * l.output as u64;
        }
        if total > MAX_WEIGHTS {
            return bad(format!("{total} weights, at most {MAX_WEIGHTS}"));
        }
        Ok(())
    }

    /// Width of the model input.
    pub fn input_len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.input as usize)
    }

    /// Number of logits.
    pub fn output_len(&self) -> usize {
        self.layers.last().map_or(0, |l| l.output as usize)
    }

    /// Total number of weights.
    pub fn num_weights(&self) -> usize {
        self.layers.iter().map(LayerShape::num_weights).sum()
    }

    /// Total number of biases.
    pub fn num_biases(&self) -> usize {
        self.layers.iter().map(|l| l.output as usize).sum()
    }

    /// Canonical bytes (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(7 + 9 * self.layers.len());
        out.extend_from_slice(ARCH_MAGIC);
        out.push(ARCH_VERSION);
        out.extend_from_slice(&(self.layers.len() as u16).to_le_bytes());
        for l in &self.layers {
            out.extend_from_slice(&l.input.to_le_bytes());
            out.extend_from_slice(&l.output.to_le_bytes());
            out.push(l.shift);
        }
        out
    }

    /// Parses canonical bytes; rejects trailing bytes and invalid architectures.
    pub fn from_bytes(b: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader::new(b, "architecture");
        let arch = Self::read(&mut r)?;
        r.finish()?;
        Ok(arch)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, ModelError> {
        if r.take(4)? != ARCH_MAGIC {
            return Err(ModelError::BadMagic("architecture"));
        }
        let version = r.u8()?;
        if version != ARCH_VERSION {
            return Err(ModelError::UnsupportedVersion {
                what: "architecture",
                version,
            });
        }
        let n = r.u16()? as usize;
        if n > MAX_LAYERS {
            return Err(ModelError::InvalidArchitecture(format!(
                "{n} layers, at most {MAX_LAYERS}"
            )));
        }
        let mut layers = Vec::with_capacity(n);
        for _ in 0..n {
            layers.push(LayerShape {
                input: r.u32()?,
                output: r.u32()?,
                shift: r.u8()?,
            });
        }
        let arch = Architecture { layers };
        arch.validate()?;
        Ok(arch)
    }

    /// sha256 of the canonical bytes.
    pub fn id(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(first) = self.layers.first() {
            write!(f, "{}", first.input)?;
        }
        for l in &self.layers {
            if l.shift > 0 {
                write!(f, "→{}(>>{})", l.output, l.shift)?;
            } else {
                write!(f, "→{}", l.output)?;
            }
        }
        Ok(())
    }
}

/// One layer: weights row-major `[output][input]`, one bias per output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub shape: LayerShape,
    pub weights: Vec<i8>,
    pub bias: Vec<i32>,
}

/// A validated integer MLP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    pub layers: Vec<Layer>,
}

/// All intermediate values of one forward pass (used by the circuit's witness generator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// `inputs[l]` is layer `l`'s input (`inputs[0]` is the model input).
    pub inputs: Vec<Vec<i8>>,
    /// `accumulators[l][o] = bias + W·x`, each within i32.
    pub accumulators: Vec<Vec<i32>>,
}

impl Trace {
    /// The logits (the last layer's accumulators).
    pub fn logits(&self) -> &[i32] {
        self.accumulators.last().map_or(&[], |v| v.as_slice())
    }
}

/// Hidden-layer requantization + ReLU of one accumulator: `clamp((acc + 2^(s-1)) >> s, 0, 127)`,
/// exact (computed in i64). `shift` must be in `1..=31`.
pub fn requantize(acc: i32, shift: u8) -> i8 {
    let s = u32::from(shift.clamp(1, MAX_SHIFT));
    let t = (i64::from(acc) + (1i64 << (s - 1))) >> s;
    t.clamp(0, 127) as i8
}

impl Model {
    /// Validates the shapes and lengths.
    pub fn new(layers: Vec<Layer>) -> Result<Self, ModelError> {
        let arch = Architecture {
            layers: layers.iter().map(|l| l.shape.clone()).collect(),
        };
        arch.validate()?;
        for (i, l) in layers.iter().enumerate() {
            if l.weights.len() != l.shape.num_weights() {
                return Err(ModelError::WrongLength {
                    layer: i,
                    what: "weights",
                    expected: l.shape.num_weights(),
                    got: l.weights.len(),
                });
            }
            if l.bias.len() != l.shape.output as usize {
                return Err(ModelError::WrongLength {
                    layer: i,
                    what: "bias",
                    expected: l.shape.output as usize,
                    got: l.bias.len(),
                });
            }
        }
        Ok(Model { layers })
    }

    /// The model's architecture.
    pub fn architecture(&self) -> Architecture {
        Architecture {
            layers: self.layers.iter().map(|l| l.shape.clone()).collect(),
        }
    }

    /// The forward pass with every intermediate value.
    pub fn trace(&self, input: &[i8]) -> Result<Trace, ModelError> {
        // Re-check lengths: the fields are public, so a Model may have been built without `new`.
        let arch = self.architecture();
        arch.validate()?;
        if input.len() != arch.input_len() {
            return Err(ModelError::WrongInputLength {
                expected: arch.input_len(),
                got: input.len(),
            });
        }
        let mut inputs = Vec::with_capacity(self.layers.len());
        let mut accumulators = Vec::with_capacity(self.layers.len());
        let mut x: Vec<i8> = input.to_vec();
        for (li, layer) in self.layers.iter().enumerate() {
            let n_in = layer.shape.input as usize;
            let n_out = layer.shape.output as usize;
            if layer.weights.len() != n_in * n_out || layer.bias.len() != n_out {
                return Err(ModelError::WrongLength {
                    layer: li,
                    what: "weights/bias",
                    expected: n_in * n_out,
                    got: layer.weights.len(),
                });
            }
            let mut acc = Vec::with_capacity(n_out);
            for (o, row) in layer.weights.chunks_exact(n_in).enumerate() {
                // |sum| <= 2^16 * 2^14 = 2^30, plus |bias| <= 2^31: no i64 overflow.
                let dot: i64 = row
                    .iter()
                    .zip(&x)
                    .map(|(&w, &v)| i64::from(w) * i64::from(v))
                    .sum();
                let value = dot + i64::from(layer.bias[o]);
                let a = i32::try_from(value).map_err(|_| ModelError::Overflow {
                    layer: li,
                    neuron: o,
                    value,
                })?;
                acc.push(a);
            }
            let next = if layer.shape.shift > 0 {
                acc.iter()
                    .map(|&a| requantize(a, layer.shape.shift))
                    .collect()
            } else {
                Vec::new()
            };
            inputs.push(std::mem::replace(&mut x, next));
            accumulators.push(acc);
        }
        Ok(Trace {
            inputs,
            accumulators,
        })
    }

    /// The logits for `input`; an error on a wrong input length or an i32 overflow.
    pub fn forward(&self, input: &[i8]) -> Result<Vec<i32>, ModelError> {
        let mut t = self.trace(input)?;
        Ok(t.accumulators.pop().unwrap_or_default())
    }

    /// The versioned weights file (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let arch = self.architecture();
        let mut out = Vec::with_capacity(
            5 + 7 + 9 * self.layers.len() + arch.num_weights() + 4 * arch.num_biases(),
        );
        out.extend_from_slice(MODEL_MAGIC);
        out.push(MODEL_VERSION);
        out.extend_from_slice(&arch.to_bytes());
        for l in &self.layers {
            out.extend(l.weights.iter().map(|&w| w as u8));
            for b in &l.bias {
                out.extend_from_slice(&b.to_le_bytes());
            }
        }
        out
    }

    /// Parses a weights file; never panics, never allocates more than the input justifies.
    pub fn from_bytes(b: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader::new(b, "model");
        if r.take(4)? != MODEL_MAGIC {
            return Err(ModelError::BadMagic("model"));
        }
        let version = r.u8()?;
        if version != MODEL_VERSION {
            return Err(ModelError::UnsupportedVersion {
                what: "model",
                version,
            });
        }
        let arch = Architecture::read(&mut r)?;
        let need = arch.num_weights() + 4 * arch.num_biases();
        if r.remaining() < need {
            return Err(ModelError::Truncated("model"));
        }
        let mut layers = Vec::with_capacity(arch.layers.len());
        for shape in arch.layers {
            let weights = r
                .take(shape.num_weights())?
                .iter()
                .map(|&v| v as i8)
                .collect();
            let mut bias = Vec::with_capacity(shape.output as usize);
            for _ in 0..shape.output {
                bias.push(r.u32()? as i32);
            }
            layers.push(Layer {
                shape,
                weights,
                bias,
            });
        }
        r.finish()?;
        Model::new(layers)
    }

    /// Reads a weights file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let b = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&b)
    }

    /// Writes a weights file.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        std::fs::write(path, self.to_bytes()).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// A random model for tests and benchmarks: weights uniform in i8, biases within
    /// ±16·(layer input width), the same order as a typical `W·x`, so they shift the
    /// activations without swamping them (with ±2^16 a small model answered every input
    /// alike). Panics only if `arch` is invalid.
    pub fn random(arch: &Architecture, rng: &mut impl rand::Rng) -> Self {
        arch.validate()
            .expect("Model::random: invalid architecture");
        let layers = arch
            .layers
            .iter()
            .map(|shape| Layer {
                shape: shape.clone(),
                weights: (0..shape.num_weights()).map(|_| rng.gen::<i8>()).collect(),
                bias: {
                    let bound = i32::try_from(shape.input).unwrap_or(i32::MAX / 16) * 16;
                    (0..shape.output)
                        .map(|_| rng.gen_range(-bound..bound))
                        .collect()
                },
            })
            .collect();
        Model { layers }
    }
}

#[cfg(test)]
mod random_model_tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_random_small_model_tells_inputs_apart() {
        let arch = Architecture::mlp(&[4, 3, 2], &[2]).unwrap();
        for seed in 0..8 {
            let m = Model::random(&arch, &mut rand::rngs::StdRng::seed_from_u64(seed));
            let outputs: std::collections::BTreeSet<Vec<i32>> = (0..16i8)
                .map(|i| m.forward(&[i * 7, -i * 3, i, 5 - i]).unwrap())
                .collect();
            assert!(outputs.len() > 1, "seed {seed}: one output for 16 inputs");
        }
    }
}

/// First index of the largest logit (0 for an empty slice).
pub fn argmax(logits: &[i32]) -> usize {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = i;
        }
    }
    best
}

/// A bounds-checked little-endian reader.
struct Reader<'a> {
    b: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8], what: &'static str) -> Self {
        Reader { b, what }
    }
    fn remaining(&self) -> usize {
        self.b.len()
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        if self.b.len() < n {
            return Err(ModelError::Truncated(self.what));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn finish(&self) -> Result<(), ModelError> {
        if self.b.is_empty() {
            Ok(())
        } else {
            Err(ModelError::TrailingBytes(self.b.len(), self.what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    #[test]
    fn requantize_matches_definition() {
        // (acc + 2^(s-1)) >> s, floor, then clamp.
        assert_eq!(requantize(0, 1), 0);
        assert_eq!(requantize(1, 1), 1); // (1+1)>>1
        assert_eq!(requantize(-1, 1), 0); // (0)>>1
        assert_eq!(requantize(-2, 1), 0); // (-1)>>1 = -1 -> 0
        assert_eq!(requantize(127 << 7, 7), 127);
        assert_eq!(requantize((127 << 7) + 64, 7), 127); // 128 -> 127
        assert_eq!(requantize((5 << 7) + 63, 7), 5);
        assert_eq!(requantize((5 << 7) + 64, 7), 6); // half rounds up
        assert_eq!(requantize(i32::MAX, 1), 127);
        assert_eq!(requantize(i32::MIN, 31), 0);
        assert_eq!(requantize(i32::MAX, 31), 1);
        assert_eq!(requantize(1 << 30, 31), 1);
        assert_eq!(requantize((1 << 30) - 1, 31), 0);
    }

    #[test]
    fn forward_small_by_hand() {
        let m = Model::new(vec![
            Layer {
                shape: LayerShape {
                    input: 2,
                    output: 2,
                    shift: 1,
                },
                weights: vec![1, 2, -3, 4],
                bias: vec![1, -100],
            },
            Layer {
                shape: LayerShape {
                    input: 2,
                    output: 3,
                    shift: 0,
                },
                weights: vec![1, 0, 0, 1, -1, -1],
                bias: vec![0, 5, 7],
            },
        ])
        .unwrap();
        // layer 0: acc = [1*3 + 2*4 + 1, -3*3 + 4*4 - 100] = [12, -93] -> [(12+1)>>1, 0] = [6, 0]
        let t = m.trace(&[3, 4]).unwrap();
        assert_eq!(t.accumulators[0], vec![12, -93]);
        assert_eq!(t.inputs[1], vec![6, 0]);
        assert_eq!(m.forward(&[3, 4]).unwrap(), vec![6, 5, 1]);
        assert_eq!(argmax(&[6, 5, 1]), 0);
        assert!(matches!(
            m.forward(&[1]),
            Err(ModelError::WrongInputLength {
                expected: 2,
                got: 1
            })
        ));
    }

    #[test]
    fn overflow_is_an_error() {
        let m = Model::new(vec![Layer {
            shape: LayerShape {
                input: 1,
                output: 1,
                shift: 0,
            },
            weights: vec![-128],
            bias: vec![i32::MAX],
        }])
        .unwrap();
        assert!(matches!(
            m.forward(&[-128]),
            Err(ModelError::Overflow { .. })
        ));
        assert_eq!(m.forward(&[1]).unwrap(), vec![i32::MAX - 128]);
    }

    #[test]
    fn argmax_first_max() {
        assert_eq!(argmax(&[]), 0);
        assert_eq!(argmax(&[3, 7, 7, 1]), 1);
        assert_eq!(argmax(&[i32::MIN, i32::MIN]), 0);
    }

    #[test]
    fn architecture_validation_and_bytes() {
        let a = Architecture::default_digits();
        assert_eq!(a.input_len(), 64);
        assert_eq!(a.output_len(), 10);
        assert_eq!(Architecture::from_bytes(&a.to_bytes()).unwrap(), a);
        assert_ne!(a.id(), Architecture::mlp(&[64, 32, 10], &[8]).unwrap().id());
        assert!(Architecture::mlp(&[64, 32, 10], &[0]).is_err());
        assert!(Architecture::mlp(&[64, 0, 10], &[3]).is_err());
        assert!(Architecture { layers: vec![] }.validate().is_err());
        let bad = Architecture {
            layers: vec![
                LayerShape {
                    input: 4,
                    output: 3,
                    shift: 2,
                },
                LayerShape {
                    input: 2,
                    output: 1,
                    shift: 0,
                },
            ],
        };
        assert!(bad.validate().is_err());
        assert!(Architecture::from_bytes(&bad.to_bytes()).is_err());
    }

    #[test]
    fn model_roundtrip_and_garbage() {
        let mut rng = StdRng::seed_from_u64(7);
        let arch = Architecture::mlp(&[5, 4, 3, 2], &[3, 9]).unwrap();
        let m = Model::random(&arch, &mut rng);
        let b = m.to_bytes();
        assert_eq!(Model::from_bytes(&b).unwrap(), m);
        for cut in 0..b.len() {
            assert!(Model::from_bytes(&b[..cut]).is_err());
        }
        let mut long = b.clone();
        long.push(0);
        assert!(Model::from_bytes(&long).is_err());
        for _ in 0..2000 {
            let n = rng.gen_range(0..64);
            let mut g: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            if rng.gen_bool(0.5) && g.len() >= 9 {
                g[..4].copy_from_slice(b"POLM");
                g[4] = 1;
                g[5..9].copy_from_slice(b"POLA");
            }
            let _ = Model::from_bytes(&g);
            let _ = Architecture::from_bytes(&g);
        }
        // A header claiming huge layers with no data is rejected without allocating.
        let huge = Architecture::mlp(&[65536, 1024], &[]).unwrap();
        let mut h = b"POLM\x01".to_vec();
        h.extend(huge.to_bytes());
        assert!(matches!(
            Model::from_bytes(&h),
            Err(ModelError::Truncated(_))
        ));
    }

    #[test]
    fn forward_never_panics_on_extremes() {
        let arch = Architecture::mlp(&[8, 8, 4], &[1]).unwrap();
        for (w, b, x) in [
            (-128i8, i32::MIN, -128i8),
            (127, i32::MAX, 127),
            (-128, 0, 127),
        ] {
            let m = Model::new(
                arch.layers
                    .iter()
                    .map(|s| Layer {
                        shape: s.clone(),
                        weights: vec![w; s.num_weights()],
                        bias: vec![b; s.output as usize],
                    })
                    .collect(),
            )
            .unwrap();
            let _ = m.forward(&[x; 8]);
        }
    }
}
