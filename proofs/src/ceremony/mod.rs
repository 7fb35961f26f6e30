//! A multi-party trusted-setup ceremony for the Groth16 keys of an architecture.
//!
//! Two phases, as in Bowe–Gabizon–Miers ("A multi-party protocol for constructing the public
//! parameters of the Pinocchio zk-SNARK", 2017) and the Zcash / snarkjs ceremonies:
//!
//! * **phase 1** ([`Phase1`]): powers of tau on BN254 for a domain of size `n = 2^k`:
//!   `τ^i·G1` (`i < 2n−1`), `τ^i·G2`, `α·τ^i·G1`, `β·τ^i·G1` (`i < n`) and `β·G2`. Every
//!   contribution multiplies `τ, α, β` by fresh secrets and proves it knows them. One phase-1
//!   state of size `2^k` serves every circuit whose domain is at most `2^k`;
//! * **phase 2** ([`Phase2`]), per architecture: the Groth16 parameters are derived from the
//!   final phase-1 state with `δ = γ = 1` ([`Phase2::new`], exactly as ark-groth16's generator
//!   with the libsnark R1CS→QAP reduction builds them), then every contribution multiplies `δ`
//!   by a fresh secret `d` (and divides the `H` and `L` queries by it);
//! * [`finalize`] turns the last phase-2 state into the usual [`crate::ProvingKey`] /
//!   [`crate::VerifyingKey`] (`.pk` / `.vk` files), used by the worker and the chain unchanged.
//!
//! Each state file carries its **transcript**: the list of [`Contribution`] records, each
//! naming its contributor (a free-form name, optionally an ed25519 key and a signature),
//! linked by `prev_hash` to the hash of the state it was made on, with Schnorr proofs of
//! knowledge ([`Pok`]) bound to that hash and to the contributor. A state verifies from its
//! start: the record chain, every proof of knowledge, the update of every secret (pairing
//! "same ratio" checks through the published `x·G2`), and the internal consistency of the
//! final vectors (random linear combinations: a few MSMs, not one pairing per element).
//! [`Phase1::digest`] / [`Phase2::digest`] is the sha256 that commits to the whole transcript.
//!
//! **Soundness**: the keys are secure if at least one contributor in *each* phase drew its
//! secrets honestly and destroyed them; nothing needs to be trusted about the others, nor
//! about the coordinator who passes the files around. See `proofs/README.md`.

mod encoding;
mod finalize;
mod local;
#[cfg(test)]
mod measure;
mod phase1;
mod phase2;
mod pok;
mod qap;
mod ratio;
mod setup_record;
mod transcript;

pub use finalize::finalize;
pub use local::local_ceremony;
pub use phase1::Phase1;
pub use phase2::Phase2;
pub use pok::Pok;
pub use qap::domain_log_size;
pub use setup_record::{setup_record, SetupRecord};
pub use transcript::{Contribution, Participant, Report, Summary, MAX_NAME_BYTES};

use crate::ProofError;
use rand::{CryptoRng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};

/// Largest phase-1 domain, `2^28` (the two-adicity of BN254's scalar field).
pub const MAX_LOG_SIZE: u8 = 28;

/// Errors of the ceremony: malformed files and every verification failure.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    #[error("malformed {what}: {msg}")]
    Encoding { what: &'static str, msg: String },
    #[error("contribution #{index} ({name}): {msg}")]
    BadContribution {
        index: usize,
        name: String,
        msg: String,
    },
    #[error(
        "contribution #{index} ({name}) does not link to the previous state: it names {got}, \
         the previous state hashes to {want}"
    )]
    BrokenLink {
        index: usize,
        name: String,
        got: String,
        want: String,
    },
    #[error("contribution #{index} ({name}): invalid proof of knowledge of {secret}")]
    BadPok {
        index: usize,
        name: String,
        secret: &'static str,
    },
    #[error("contribution #{index} ({name}): invalid ed25519 signature")]
    BadSignature { index: usize, name: String },
    #[error("inconsistent state: {0}")]
    Inconsistent(String),
    #[error("phase-2 parameters differ from those derived from phase 1: {0}")]
    Phase2Mismatch(String),
    #[error("the circuit needs a domain of 2^{need}, the phase-1 state has 2^{have}")]
    TooSmall { need: u8, have: u8 },
    #[error("{0}")]
    Unusable(String),
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl CeremonyError {
    pub(crate) fn encoding(what: &'static str, msg: impl Into<String>) -> Self {
        CeremonyError::Encoding {
            what,
            msg: msg.into(),
        }
    }
}

/// Reports the progress of long loops (the CLI draws bars; the library stays silent).
pub trait Progress: Sync {
    /// A step of `total` units begins (`0`: unknown length).
    fn step(&self, _what: &str, _total: u64) {}
    /// `n` more units of the current step are done.
    fn advance(&self, _n: u64) {}
}

/// No progress output.
pub struct Quiet;

impl Progress for Quiet {}

/// The RNG a contributor's secrets come from: ChaCha20 seeded from 64 bytes of the OS RNG
/// hashed with the contributor's optional extra entropy (so a weak OS RNG alone is not fatal
/// when the contributor adds entropy of their own, and extra entropy never weakens the OS's).
pub fn secret_rng(extra_entropy: &[u8]) -> impl RngCore + CryptoRng {
    let mut os = [0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut os);
    let mut h = Sha256::new();
    h.update(b"pol-ceremony/v1/secret-rng");
    h.update(os);
    h.update((extra_entropy.len() as u64).to_le_bytes());
    h.update(extra_entropy);
    let seed: [u8; 32] = h.finalize().into();
    os.fill(0);
    rand_chacha::ChaCha20Rng::from_seed(seed)
}

/// Reads a whole file, naming it in the error.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CeremonyError> {
    std::fs::read(path).map_err(|source| CeremonyError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Writes a whole file atomically (temporary file, then rename), naming it in the error.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CeremonyError> {
    let io = |source| CeremonyError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
