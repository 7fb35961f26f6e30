//! What probes send: inputs that look like the model's real traffic.
//!
//! A provider that could tell probes from requests could serve probes fast and everyone else
//! slowly. So each model can have a corpus of real inputs (app.toml `[probe.corpus]`, model
//! id → file), and every probe is one corpus sample, drawn at random, with a light
//! perturbation: each feature moves by ±1 with probability 1/8, clamped to the range that
//! feature takes in the corpus. A probe is then as plausible as a real request, and a provider
//! holding the same public file cannot match probes against it byte for byte (an unchanged
//! copy of a 64-feature sample comes out once in ~5,000 probes).
//!
//! A model without a corpus gets features drawn uniformly from 0..=16 (the default digits
//! model's pixel range). That is a fallback, not a disguise: give every served model a corpus.
//!
//! Files: raw inputs (`n × input_len` bytes, each an i8), or the `POLDIGV1` test-vector file
//! that `inference/train/train_digits.py` writes (its inputs are used).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::Rng;

/// The largest corpus file read (a probe corpus is a sample, not a data set).
pub const MAX_CORPUS_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("probe corpus {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("probe corpus {path}: {why}")]
    Format { path: PathBuf, why: String },
}

/// One model's inputs, not yet cut into samples (the input width comes from the chain).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Raw {
    path: PathBuf,
    bytes: Vec<i8>,
    /// Width the file states (POLDIGV1), if any.
    width: Option<usize>,
}

/// Probe corpora by model id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Corpus {
    by_model: BTreeMap<String, Raw>,
}

impl Corpus {
    /// Reads every file of `[probe.corpus]`; relative paths are relative to `base` (the
    /// node's home).
    pub fn load(files: &BTreeMap<String, PathBuf>, base: &Path) -> Result<Corpus, CorpusError> {
        let mut by_model = BTreeMap::new();
        for (model, file) in files {
            let path = if file.is_absolute() {
                file.clone()
            } else {
                base.join(file)
            };
            let raw = read(&path)?;
            by_model.insert(model.clone(), raw);
        }
        Ok(Corpus { by_model })
    }

    /// Models with a corpus, and how many bytes each holds.
    pub fn models(&self) -> impl Iterator<Item = (&str, usize)> {
        self.by_model
            .iter()
            .map(|(m, r)| (m.as_str(), r.bytes.len()))
    }

    /// A probe input for `model` of `len` features.
    pub fn input(&self, rng: &mut impl Rng, model: &str, len: usize) -> Vec<i8> {
        match self.by_model.get(model).and_then(|r| r.samples(len)) {
            Some(samples) => perturbed(rng, &samples),
            None => uniform_input(rng, len),
        }
    }

    /// Whether `model`'s corpus fits inputs of `len` features (else probes fall back).
    pub fn fits(&self, model: &str, len: usize) -> bool {
        self.by_model
            .get(model)
            .is_some_and(|r| r.samples(len).is_some())
    }
}

impl Raw {
    /// The samples, when the file's size and stated width fit inputs of `len`.
    fn samples(&self, len: usize) -> Option<Samples<'_>> {
        if len == 0 || self.bytes.is_empty() || !self.bytes.len().is_multiple_of(len) {
            return None;
        }
        if self.width.is_some_and(|w| w != len) {
            return None;
        }
        Some(Samples {
            bytes: &self.bytes,
            len,
        })
    }
}

struct Samples<'a> {
    bytes: &'a [i8],
    len: usize,
}

fn read(path: &Path) -> Result<Raw, CorpusError> {
    let err = |source| CorpusError::Read {
        path: path.to_path_buf(),
        source,
    };
    let format = |why: String| CorpusError::Format {
        path: path.to_path_buf(),
        why,
    };
    let size = std::fs::metadata(path).map_err(err)?.len();
    if size > MAX_CORPUS_BYTES {
        return Err(format(format!(
            "{size} bytes, more than {MAX_CORPUS_BYTES}"
        )));
    }
    let bytes = std::fs::read(path).map_err(err)?;
    let (inputs, width) = match bytes.strip_prefix(b"POLDIGV1") {
        Some(rest) => {
            let word = |i: usize| {
                rest.get(i * 4..i * 4 + 4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            };
            let (Some(n), Some(dim)) = (word(0), word(1)) else {
                return Err(format("POLDIGV1 header is cut short".into()));
            };
            let end = n
                .checked_mul(dim)
                .and_then(|x| x.checked_add(8))
                .filter(|&end| end <= rest.len())
                .ok_or_else(|| format(format!("POLDIGV1 claims {n} inputs of {dim}")))?;
            (rest[8..end].to_vec(), Some(dim))
        }
        None => (bytes, None),
    };
    if inputs.is_empty() {
        return Err(format("no inputs".into()));
    }
    Ok(Raw {
        path: path.to_path_buf(),
        bytes: inputs.into_iter().map(|b| b as i8).collect(),
        width,
    })
}

/// One random sample, each feature moved by ±1 with probability 1/8 and kept within the
/// range that feature takes across the corpus.
fn perturbed(rng: &mut impl Rng, s: &Samples<'_>) -> Vec<i8> {
    let n = s.bytes.len() / s.len;
    let pick = rng.gen_range(0..n);
    let mut x = s.bytes[pick * s.len..(pick + 1) * s.len].to_vec();
    for (f, v) in x.iter_mut().enumerate() {
        if rng.gen_range(0..8) != 0 {
            continue;
        }
        let (lo, hi) = feature_range(s, f);
        let moved = if rng.gen_bool(0.5) {
            v.saturating_add(1)
        } else {
            v.saturating_sub(1)
        };
        *v = moved.clamp(lo, hi);
    }
    x
}

/// The smallest and largest value of feature `f` across the corpus. (Recomputed per probe:
/// a corpus of a few thousand samples costs microseconds, far below a probe's round trip.)
fn feature_range(s: &Samples<'_>, f: usize) -> (i8, i8) {
    s.bytes
        .iter()
        .skip(f)
        .step_by(s.len)
        .fold((i8::MAX, i8::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// The fallback: features uniform in 0..=16.
pub fn uniform_input(rng: &mut impl Rng, len: usize) -> Vec<i8> {
    (0..len).map(|_| rng.gen_range(0..=16i8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn digits_file() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../inference/models/digits-test-vectors.bin")
    }

    fn corpus_of(model: &str, path: &Path) -> Corpus {
        let files = BTreeMap::from([(model.to_string(), path.to_path_buf())]);
        Corpus::load(&files, Path::new("/")).unwrap()
    }

    /// The 1797 digits: probes are near a real digit (a few pixels off by one), within
    /// each pixel's range, and almost never an exact copy.
    #[test]
    fn digits_probes_are_perturbed_real_digits() {
        let c = corpus_of("digits", &digits_file());
        assert!(c.fits("digits", 64));
        assert!(!c.fits("digits", 63));
        assert!(!c.fits("other", 64));
        let raw = &c.by_model["digits"];
        assert_eq!(raw.bytes.len(), 1797 * 64);
        let samples: Vec<&[i8]> = raw.bytes.chunks_exact(64).collect();
        let mut rng = StdRng::seed_from_u64(11);
        let mut exact = 0;
        for _ in 0..300 {
            let x = c.input(&mut rng, "digits", 64);
            assert_eq!(x.len(), 64);
            assert!(x.iter().all(|&v| (0..=16).contains(&v)));
            let nearest = samples
                .iter()
                .map(|s| {
                    s.iter()
                        .zip(&x)
                        .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
                        .sum::<i32>()
                })
                .min()
                .unwrap();
            // ~8 pixels moved on average; 24 would be far in the tail.
            assert!(nearest <= 24, "a probe {nearest} away from every digit");
            exact += usize::from(nearest == 0);
        }
        assert!(exact <= 3, "{exact} of 300 probes are exact copies");
        // Pixels that are 0 in every digit stay 0.
        let always_zero: Vec<usize> = (0..64)
            .filter(|&f| samples.iter().all(|s| s[f] == 0))
            .collect();
        assert!(!always_zero.is_empty());
        for _ in 0..100 {
            let x = c.input(&mut rng, "digits", 64);
            assert!(always_zero.iter().all(|&f| x[f] == 0));
        }
    }

    #[test]
    fn raw_files_and_fallbacks() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("inputs.bin");
        // Two 4-feature samples.
        std::fs::write(&raw, [1u8, 2, 3, 4, 0xff, 0xfe, 5, 6]).unwrap();
        let files = BTreeMap::from([("m".to_string(), PathBuf::from("inputs.bin"))]);
        let c = Corpus::load(&files, dir.path()).unwrap();
        assert!(c.fits("m", 4) && c.fits("m", 2) && !c.fits("m", 3));
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let x = c.input(&mut rng, "m", 4);
            // Each feature within its corpus range.
            assert!((-1..=1).contains(&x[0]), "{x:?}");
            assert!((-2..=2).contains(&x[1]), "{x:?}");
            assert!((3..=5).contains(&x[2]), "{x:?}");
            assert!((4..=6).contains(&x[3]), "{x:?}");
        }
        // A width the file does not divide, or a model without a corpus: uniform 0..=16.
        for (model, len) in [("m", 3), ("none", 5)] {
            let x = c.input(&mut rng, model, len);
            assert_eq!(x.len(), len);
            assert!(x.iter().all(|&v| (0..=16).contains(&v)));
        }
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let load = |name: &str, bytes: Option<&[u8]>| {
            let p = dir.path().join(name);
            if let Some(b) = bytes {
                std::fs::write(&p, b).unwrap();
            }
            let files = BTreeMap::from([("m".to_string(), p)]);
            Corpus::load(&files, dir.path()).unwrap_err().to_string()
        };
        assert!(load("missing", None).contains("missing"));
        assert!(load("empty", Some(b"")).contains("no inputs"));
        assert!(load("short", Some(b"POLDIGV1\x01\x00")).contains("cut short"));
        let mut lying = b"POLDIGV1".to_vec();
        lying.extend_from_slice(&1000u32.to_le_bytes());
        lying.extend_from_slice(&64u32.to_le_bytes());
        lying.extend_from_slice(&[0; 64]);
        assert!(load("lying", Some(&lying)).contains("claims 1000 inputs of 64"));
        let mut huge = b"POLDIGV1".to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(load("huge", Some(&huge)).contains("claims"));
    }
}
