//! The transcript: contribution records linked by hashes, and the state hash they chain.
//!
//! A state (of either phase) hashes to
//! `sha256("pol-ceremony/v1/state" | header | body_hash | last record, or nothing)`, where the
//! header names the phase and what it is for, `body_hash` is the sha256 of the encoded powers or
//! parameters, and the last record's own `prev_hash` is the previous state's hash. The hash of
//! the last state therefore commits to the whole ceremony from its start; it is the
//! **transcript digest**. A verifier that holds only the last state recomputes every
//! intermediate state hash from the records (each names the body hash it produced) and checks
//! every link, every proof of knowledge and every update, then checks the last body in full.

use super::encoding::{put_point, Reader, G1_BYTES};
use super::pok::{Pok, POK_BYTES};
use super::ratio::same_ratio;
use super::CeremonyError;
use ark_bn254::{G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

/// Longest contributor name, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 256;

/// Who contributes: a free-form name and, optionally, an ed25519 key that signs the record.
#[derive(Clone, Debug)]
pub struct Participant {
    pub name: String,
    pub signing_key: Option<SigningKey>,
}

impl Participant {
    /// A participant without a signing key.
    pub fn named(name: &str) -> Self {
        Participant {
            name: name.to_string(),
            signing_key: None,
        }
    }

    pub(crate) fn check(&self) -> Result<(), CeremonyError> {
        check_name(&self.name).map_err(|m| CeremonyError::encoding("participant name", m))
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(format!("1..={MAX_NAME_BYTES} bytes, got {}", name.len()));
    }
    if name.chars().any(char::is_control) {
        return Err("control characters".into());
    }
    Ok(())
}

/// One contribution record (either phase).
///
/// Encoding: `prev_hash[32] | name_len u16 | name | has_key u8 | [key 32] | body_hash[32] |
/// (after G1)*k | (pok)*k | [signature 64 iff has_key]`, `k` = number of secrets of the phase
/// (3 in phase 1: τ, α, β; 1 in phase 2: δ).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// Hash of the state this contribution was made on.
    pub prev_hash: [u8; 32],
    /// The contributor's free-form name.
    pub name: String,
    /// The contributor's ed25519 public key, if they signed.
    pub public_key: Option<[u8; 32]>,
    /// sha256 of the body (powers or parameters) this contribution produced.
    pub body_hash: [u8; 32],
    /// The tracked points after this contribution: `[τ·G1, α·G1, β·G1]` in phase 1, `[δ·G1]`
    /// in phase 2.
    pub after: Vec<G1Affine>,
    /// One proof of knowledge per secret, in the order of `after`.
    pub poks: Vec<Pok>,
    /// ed25519 signature over [`Contribution::hash`], present iff `public_key` is.
    pub signature: Option<[u8; 64]>,
}

impl Contribution {
    /// What the proofs of knowledge are bound to: the phase, the previous state's hash and the
    /// contributor's identity (name and key).
    pub fn context(
        phase: u8,
        prev_hash: &[u8; 32],
        name: &str,
        key: Option<&[u8; 32]>,
    ) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"pol-ceremony/v1/pok-context");
        h.update([phase]);
        h.update(prev_hash);
        h.update((name.len() as u16).to_le_bytes());
        h.update(name.as_bytes());
        match key {
            Some(k) => {
                h.update([1]);
                h.update(k);
            }
            None => h.update([0]),
        }
        h.finalize().into()
    }

    fn encode_unsigned(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.prev_hash);
        out.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        out.extend_from_slice(self.name.as_bytes());
        match &self.public_key {
            Some(k) => {
                out.push(1);
                out.extend_from_slice(k);
            }
            None => out.push(0),
        }
        out.extend_from_slice(&self.body_hash);
        for p in &self.after {
            put_point(out, p);
        }
        for p in &self.poks {
            p.encode(out);
        }
    }

    /// The contribution hash: sha256 of the record without its signature. This is what the
    /// contributor signs, and what they publish out of band (e.g. a social media post) so others
    /// can find their contribution in the transcript.
    pub fn hash(&self) -> [u8; 32] {
        let mut b = Vec::new();
        self.encode_unsigned(&mut b);
        let mut h = Sha256::new();
        h.update(b"pol-ceremony/v1/contribution");
        h.update(&b);
        h.finalize().into()
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.encode_unsigned(out);
        if let Some(s) = &self.signature {
            out.extend_from_slice(s);
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>, k: usize) -> Result<Contribution, CeremonyError> {
        let prev_hash = r.array()?;
        let len = r.u16()? as usize;
        let name = String::from_utf8(r.take(len)?.to_vec())
            .map_err(|_| r.err("contributor name is not UTF-8"))?;
        check_name(&name).map_err(|m| r.err(format!("contributor name: {m}")))?;
        let public_key = if r.flag()? { Some(r.array()?) } else { None };
        let body_hash = r.array()?;
        let after = (0..k).map(|_| r.point()).collect::<Result<_, _>>()?;
        let poks = (0..k).map(|_| Pok::decode(r)).collect::<Result<_, _>>()?;
        let signature = match public_key {
            Some(_) => Some(r.array()?),
            None => None,
        };
        Ok(Contribution {
            prev_hash,
            name,
            public_key,
            body_hash,
            after,
            poks,
            signature,
        })
    }

    /// Smallest encoded record with `k` secrets (bounds the record count before allocating).
    pub(crate) fn min_bytes(k: usize) -> usize {
        32 + 2 + 1 + 1 + 32 + k * (G1_BYTES + POK_BYTES)
    }

    /// Signs the record (sets `public_key` first, since the signature covers it).
    pub(crate) fn sign(&mut self, key: &SigningKey) {
        self.public_key = Some(key.verifying_key().to_bytes());
        self.signature = Some(key.sign(&self.hash()).to_bytes());
    }

    fn check_signature(&self) -> bool {
        match (&self.public_key, &self.signature) {
            (None, None) => true,
            (Some(k), Some(s)) => match ed25519_dalek::VerifyingKey::from_bytes(k) {
                Ok(vk) => vk
                    .verify_strict(&self.hash(), &ed25519_dalek::Signature::from_bytes(s))
                    .is_ok(),
                Err(_) => false,
            },
            _ => false,
        }
    }
}

/// sha256 of a state (see the module docs).
pub(crate) fn state_hash(
    header: &[u8],
    body_hash: &[u8; 32],
    last: Option<&Contribution>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"pol-ceremony/v1/state");
    h.update((header.len() as u32).to_le_bytes());
    h.update(header);
    h.update(body_hash);
    match last {
        Some(c) => {
            let mut b = Vec::new();
            c.encode(&mut b);
            h.update([1]);
            h.update(&b);
        }
        None => h.update([0]),
    }
    h.finalize().into()
}

/// One verified contribution, as a report lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub name: String,
    /// The contributor's ed25519 key, if they signed.
    pub public_key: Option<[u8; 32]>,
    /// [`Contribution::hash`].
    pub hash: [u8; 32],
    /// Hash of the state the contribution produced.
    pub state: [u8; 32],
}

/// What a verified transcript says.
#[derive(Clone, Debug)]
pub struct Report {
    /// Phase 1 or 2.
    pub phase: u8,
    /// Per contribution, in order.
    pub contributions: Vec<Summary>,
    /// Hash of the state the ceremony started from.
    pub start_hash: [u8; 32],
    /// The transcript digest: hash of the last state.
    pub digest: [u8; 32],
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "phase {} transcript", self.phase)?;
        writeln!(f, "  start state      {}", hex::encode(self.start_hash))?;
        for (i, c) in self.contributions.iter().enumerate() {
            writeln!(f, "  #{:<3} {}", i + 1, c.name)?;
            if let Some(k) = c.public_key {
                writeln!(f, "       ed25519 key  {}", hex::encode(k))?;
            }
            writeln!(f, "       contribution {}", hex::encode(c.hash))?;
            writeln!(f, "       state        {}", hex::encode(c.state))?;
        }
        write!(f, "  transcript digest {}", hex::encode(self.digest))
    }
}

/// Verifies a chain of records from the start state: every link, signature, proof of
/// knowledge and update. `start` holds the tracked points of the start state (`after` of a
/// virtual record 0), `labels` names the secrets. Returns the tracked points and body hash the
/// last state must have, and the report.
pub(crate) fn verify_chain(
    phase: u8,
    header: &[u8],
    start_body_hash: [u8; 32],
    start: &[G1Affine],
    labels: &[&'static str],
    records: &[Contribution],
) -> Result<(Vec<G1Affine>, [u8; 32], Report), CeremonyError> {
    let start_hash = state_hash(header, &start_body_hash, None);
    let mut prev_hash = start_hash;
    let mut before = start.to_vec();
    let mut body_hash = start_body_hash;
    let mut report = Report {
        phase,
        contributions: Vec::with_capacity(records.len()),
        start_hash,
        digest: start_hash,
    };
    for (i, c) in records.iter().enumerate() {
        let index = i + 1;
        let bad = |msg: String| CeremonyError::BadContribution {
            index,
            name: c.name.clone(),
            msg,
        };
        if c.prev_hash != prev_hash {
            return Err(CeremonyError::BrokenLink {
                index,
                name: c.name.clone(),
                got: hex::encode(c.prev_hash),
                want: hex::encode(prev_hash),
            });
        }
        if c.after.len() != labels.len() || c.poks.len() != labels.len() {
            return Err(bad(format!("expected {} secrets", labels.len())));
        }
        if !c.check_signature() {
            return Err(CeremonyError::BadSignature {
                index,
                name: c.name.clone(),
            });
        }
        let ctx = Contribution::context(phase, &c.prev_hash, &c.name, c.public_key.as_ref());
        for (j, label) in labels.iter().enumerate() {
            let pok = &c.poks[j];
            if !pok.verify(&ctx, label) {
                return Err(CeremonyError::BadPok {
                    index,
                    name: c.name.clone(),
                    secret: label,
                });
            }
            // after = x·before, with the x whose knowledge was just proven.
            if c.after[j].is_zero()
                || !same_ratio((before[j], c.after[j]), (G2Affine::generator(), pok.x_g2))
            {
                return Err(bad(format!(
                    "{label}·G1 is not the previous value times the published secret"
                )));
            }
        }
        before.clone_from(&c.after);
        body_hash = c.body_hash;
        prev_hash = state_hash(header, &c.body_hash, Some(c));
        report.contributions.push(Summary {
            name: c.name.clone(),
            public_key: c.public_key,
            hash: c.hash(),
            state: prev_hash,
        });
    }
    report.digest = prev_hash;
    Ok((before, body_hash, report))
}
