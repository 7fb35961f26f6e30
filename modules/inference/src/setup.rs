//! How an architecture's Groth16 keys came to be, and how the chain gains confidence in them.
//!
//! Whoever knows a verifying key's secrets can forge proofs of any output, so the chain
//! records each architecture's setup:
//!
//! * **insecure**: a seeded or single-party setup (`setup_insecure_seeded`). Accepted only
//!   where genesis sets `allow_insecure_setup` (localnets, tests). An architecture that
//!   declares nothing counts as insecure.
//! * **ceremony**: a multi-party ceremony (`pol-proofs ceremony`), sound if one contributor
//!   of each phase destroyed its secret. The registrant submits the record that `pol-proofs
//!   ceremony finalize --out-setup` writes: both transcript digests and every contribution
//!   (name, ed25519 key, contribution hash, signature). The chain checks the record's form
//!   and every signature, which proves each named key signed its contribution hash; it
//!   cannot check that the transcript (hundreds of MB) links those contributions to this
//!   key. That is done off chain: anyone runs `pol-proofs ceremony finalize` on the published
//!   transcript and compares the key it writes with the registered one (the architecture id
//!   is the key's hash), and a governance proposal carrying [`MsgAttestSetup`] with that
//!   ceremony's record records that the voters did. The attested record replaces the
//!   registrant's: whoever registers a key first (the id is public once a transcript is)
//!   cannot keep its real ceremony from being attested. Until then the setup reads as
//!   "ceremony, not attested", which clients warn about as they do about insecure keys.
//!
//! What this cannot prevent: a registrant inventing contributors (any key can sign any hash),
//! so on a chain without insecure setups a seeded key still registers if it claims a
//! ceremony: attestation, not the record, is what requesters should trust; a governance
//! majority attesting a transcript it did not verify; and an attestation cannot be taken
//! back yet.
//!
//! [`MsgAttestSetup`]: crate::pb::MsgAttestSetup

use ed25519_dalek::{Signature, VerifyingKey};
use pol_component::authority::check_authority;
use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::error;
use crate::params::Params;
use crate::pb::{self, MsgAttestSetup, MsgAttestSetupResponse, SetupKind};
use crate::view::{InferenceRead, InferenceWrite};
use crate::EVENTS;

/// Most contributions a record may list (both phases together).
pub const MAX_CONTRIBUTORS: usize = 1024;
/// Longest contributor name, in bytes (as `pol-proofs` allows).
pub const MAX_NAME_BYTES: usize = 256;
/// Longest transcript URI, in bytes.
pub const MAX_URI_BYTES: usize = 512;

/// The kind of a setup record; none, or an unknown number, reads as insecure.
pub fn kind_of(setup: Option<&pb::Setup>) -> SetupKind {
    match setup.map(|s| SetupKind::try_from(s.kind)) {
        Some(Ok(SetupKind::Ceremony)) => SetupKind::Ceremony,
        _ => SetupKind::Insecure,
    }
}

/// "insecure", "ceremony" (not attested yet) or "ceremony, attested at height N".
pub fn describe(setup: Option<&pb::Setup>) -> String {
    match (kind_of(setup), setup.map_or(0, |s| s.attested_height)) {
        (SetupKind::Ceremony, 0) => "ceremony (not attested)".into(),
        (SetupKind::Ceremony, h) => format!("ceremony (attested at height {h})"),
        _ => "insecure".into(),
    }
}

/// Whether proofs against this key are as sound as the setup gets: a ceremony that
/// governance attested.
pub fn is_attested(setup: Option<&pb::Setup>) -> bool {
    kind_of(setup) == SetupKind::Ceremony && setup.is_some_and(|s| s.attested_height > 0)
}

/// The record of an architecture being registered, checked: an insecure one only where the
/// params allow it; a ceremony's form and signatures. The registrant never sets
/// `attested_height`.
pub fn check_registered(setup: Option<&pb::Setup>, params: &Params) -> Result<pb::Setup, TxError> {
    if let Some(s) = setup {
        if s.attested_height != 0 {
            return Err(error::INVALID_SETUP(
                "attested_height is set by governance (MsgAttestSetup), not by the registrant",
            ));
        }
    }
    check(setup, params.allow_insecure_setup).map_err(|e| match e {
        Refusal::Insecure(m) => error::INSECURE_SETUP_NOT_ALLOWED(m),
        Refusal::Invalid(m) => error::INVALID_SETUP(m),
    })
}

/// Why a record is refused.
pub enum Refusal {
    Insecure(String),
    Invalid(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Insecure(m) | Refusal::Invalid(m) => f.write_str(m),
        }
    }
}

/// The record checked and normalised (an insecure one keeps only its kind), for
/// registration and for genesis (where `attested_height` may be set).
pub fn check(setup: Option<&pb::Setup>, allow_insecure: bool) -> Result<pb::Setup, Refusal> {
    let kind = setup.map_or(SetupKind::Unspecified as i32, |s| s.kind);
    match SetupKind::try_from(kind) {
        Ok(SetupKind::Unspecified | SetupKind::Insecure) => {
            if let Some(s) = setup {
                if !s.phase1_digest.is_empty()
                    || !s.phase2_digest.is_empty()
                    || !s.contributors.is_empty()
                    || !s.transcript_uri.is_empty()
                    || s.attested_height != 0
                {
                    return Err(Refusal::Invalid(
                        "an insecure setup carries no digests, contributors, URI or attestation"
                            .into(),
                    ));
                }
            }
            if !allow_insecure {
                return Err(Refusal::Insecure(
                    "this chain accepts only keys from a ceremony (its genesis does not set \
                     inference.params.allow_insecure_setup); run `pol-proofs ceremony` and \
                     register with the setup record `finalize --out-setup` writes"
                        .into(),
                ));
            }
            Ok(pb::Setup {
                kind: SetupKind::Insecure as i32,
                ..Default::default()
            })
        }
        Ok(SetupKind::Ceremony) => match setup {
            Some(s) => {
                check_ceremony(s).map_err(Refusal::Invalid)?;
                Ok(s.clone())
            }
            None => Err(Refusal::Invalid("a ceremony without its record".into())),
        },
        Err(_) => Err(Refusal::Invalid(format!("unknown setup kind {kind}"))),
    }
}

fn check_ceremony(s: &pb::Setup) -> Result<(), String> {
    for (what, digest) in [
        ("phase1_digest", &s.phase1_digest),
        ("phase2_digest", &s.phase2_digest),
    ] {
        if digest.len() != 32 {
            return Err(format!("{what} must be 32 bytes, got {}", digest.len()));
        }
    }
    if s.transcript_uri.len() > MAX_URI_BYTES {
        return Err(format!("transcript_uri is over {MAX_URI_BYTES} bytes"));
    }
    if s.contributors.len() > MAX_CONTRIBUTORS {
        return Err(format!("over {MAX_CONTRIBUTORS} contributors"));
    }
    let mut phase = 1;
    let mut per_phase = [0usize; 2];
    for (i, c) in s.contributors.iter().enumerate() {
        let at = |m: String| format!("contributor #{} ({:?}): {m}", i + 1, c.name);
        // Phase 1's contributions, then phase 2's, each in transcript order.
        if c.phase != 1 && c.phase != 2 || c.phase < phase {
            return Err(at(format!(
                "phase {} (phase 1's contributions come first, then phase 2's)",
                c.phase
            )));
        }
        phase = c.phase;
        per_phase[(c.phase - 1) as usize] += 1;
        if c.name.is_empty()
            || c.name.len() > MAX_NAME_BYTES
            || c.name.chars().any(char::is_control)
        {
            return Err(at(format!(
                "a name is 1..={MAX_NAME_BYTES} bytes without control characters"
            )));
        }
        let hash: [u8; 32] = c.contribution_hash.as_slice().try_into().map_err(|_| {
            at(format!(
                "contribution_hash must be 32 bytes, got {}",
                c.contribution_hash.len()
            ))
        })?;
        match (c.public_key.is_empty(), c.signature.is_empty()) {
            (true, true) => {}
            (false, false) => {
                let key: [u8; 32] = c
                    .public_key
                    .as_slice()
                    .try_into()
                    .map_err(|_| at("public_key must be 32 bytes".into()))?;
                let key = VerifyingKey::from_bytes(&key)
                    .map_err(|_| at("public_key is not an ed25519 point".into()))?;
                let sig = Signature::from_slice(&c.signature)
                    .map_err(|_| at("signature must be 64 bytes".into()))?;
                key.verify_strict(&hash, &sig).map_err(|_| {
                    at("the signature over the contribution hash does not verify".into())
                })?;
            }
            _ => {
                return Err(at(
                    "a signature comes with its public_key, and only with it".into(),
                ))
            }
        }
    }
    if per_phase.contains(&0) {
        return Err(format!(
            "a ceremony has contributions in both phases (phase 1: {}, phase 2: {})",
            per_phase[0], per_phase[1]
        ));
    }
    Ok(())
}

/// Gas for the signature checks a record makes the chain run, as a receipt's signature is
/// charged: charged before the message runs.
pub fn record_gas(setup: Option<&pb::Setup>) -> u64 {
    let signed = setup.map_or(0, |s| {
        s.contributors
            .iter()
            .filter(|c| !c.signature.is_empty())
            .count()
    });
    (signed as u64).saturating_mul(crate::msg::RECEIPT_SIGNATURE_GAS)
}

pub fn attest_setup_signer(m: &MsgAttestSetup) -> Result<pol_component::Address, TxError> {
    pol_component::authority::authority_signer(&m.authority)
}

/// A passed governance proposal attests that an architecture's key comes from the ceremony
/// its record describes; the record replaces the registrant's.
pub fn execute_attest_setup<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgAttestSetup,
) -> Result<(MsgAttestSetupResponse, Vec<Event>), TxError> {
    check_authority(&m.authority)?;
    let Some(mut arch) = state.architecture(&m.architecture_id)? else {
        return Err(error::UNKNOWN_ARCHITECTURE(format!(
            "architecture {} is not registered",
            m.architecture_id
        )));
    };
    if kind_of(m.setup.as_ref()) != SetupKind::Ceremony {
        return Err(error::SETUP_NOT_ATTESTABLE(
            "only a ceremony's record can be attested: an insecure setup has no transcript",
        ));
    }
    let mut setup =
        check(m.setup.as_ref(), false).map_err(|e| error::INVALID_SETUP(e.to_string()))?;
    if is_attested(arch.setup.as_ref()) {
        return Err(error::SETUP_NOT_ATTESTABLE(format!(
            "architecture {} was attested at height {}",
            m.architecture_id,
            arch.setup.as_ref().map_or(0, |s| s.attested_height)
        )));
    }
    setup.attested_height = ctx.height;
    let phase2_digest = hex::encode(&setup.phase2_digest);
    arch.setup = Some(setup);
    state.put_architecture(&arch);
    Ok((
        MsgAttestSetupResponse {},
        EVENTS
            .emit(&pb::EventSetupAttested {
                architecture_id: m.architecture_id.clone(),
                phase2_digest,
            })?
            .to_vec(),
    ))
}

/// `Setup.kind` in JSON as a word: "insecure", "ceremony" (or "unspecified").
pub mod kind_json {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::pb::SetupKind;

    pub fn serialize<S: Serializer>(kind: &i32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match SetupKind::try_from(*kind) {
            Ok(SetupKind::Insecure) => "insecure",
            Ok(SetupKind::Ceremony) => "ceremony",
            _ => "unspecified",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        let word = String::deserialize(d)?;
        Ok(match word.as_str() {
            "insecure" => SetupKind::Insecure,
            "ceremony" => SetupKind::Ceremony,
            "unspecified" | "" => SetupKind::Unspecified,
            other => {
                return Err(serde::de::Error::custom(format!(
                    "setup kind {other:?}: insecure or ceremony"
                )))
            }
        } as i32)
    }
}
