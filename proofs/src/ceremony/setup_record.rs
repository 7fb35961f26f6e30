//! The setup record of a finished ceremony: what an architecture registers on chain to say
//! its keys came from this ceremony (`pol.inference.v1.Setup`, in the JSON form the chain's
//! genesis and `pold tx inference register-architecture --setup` read: snake_case fields,
//! bytes as base64, the kind as a word).
//!
//! The record names the transcript (both digests) and every contribution with its
//! signature; the chain checks the signatures, and governance attests the transcript after
//! its voters verified it (see `modules/inference/src/setup.rs`).

use base64::Engine;
use serde::Serialize;

use super::{Contribution, Phase1, Phase2};

/// `pol.inference.v1.Setup` of kind ceremony, as JSON.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SetupRecord {
    pub kind: &'static str,
    pub phase1_digest: String,
    pub phase2_digest: String,
    pub contributors: Vec<SetupContributor>,
    pub transcript_uri: String,
}

/// `pol.inference.v1.SetupContributor`, as JSON.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SetupContributor {
    pub phase: u32,
    pub name: String,
    pub public_key: String,
    pub contribution_hash: String,
    pub signature: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn contributor(phase: u32, c: &Contribution) -> SetupContributor {
    SetupContributor {
        phase,
        name: c.name.clone(),
        public_key: c.public_key.as_ref().map(|k| b64(k)).unwrap_or_default(),
        contribution_hash: b64(&c.hash()),
        signature: c.signature.as_ref().map(|s| b64(s)).unwrap_or_default(),
    }
}

/// The record of the ceremony that ended in `p2` (derived from the phase-1 state `p1`).
/// Verify both first (`Phase2::verify_from_phase1`); this only reads them.
pub fn setup_record(p1: &Phase1, p2: &Phase2, transcript_uri: &str) -> SetupRecord {
    SetupRecord {
        kind: "ceremony",
        phase1_digest: b64(&p2.phase1_digest),
        phase2_digest: b64(&p2.digest()),
        contributors: p1
            .contributions
            .iter()
            .map(|c| contributor(1, c))
            .chain(p2.contributions.iter().map(|c| contributor(2, c)))
            .collect(),
        transcript_uri: transcript_uri.to_string(),
    }
}

impl SetupRecord {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a record of strings and numbers serializes")
    }
}
