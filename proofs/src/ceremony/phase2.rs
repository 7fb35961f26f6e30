//! Phase 2: the circuit-specific Groth16 parameters and their `δ` contributions.
//!
//! File: `"POLC" | 1 | phase 2 | arch_len u16 | architecture | phase-1 digest[32] | body |
//! count u32 | contribution*`, body `α·G1 | β·G1 | β·G2 | γ·G2 | δ·G1 | δ·G2 | then, each as
//! len u32 and points: gamma_abc_g1 | a_query | b_g1_query | b_g2_query (G2) | h_query |
//! l_query`, all uncompressed and checked.
//!
//! A contribution with secret `d` sets `δ ← d·δ` (in G1 and G2) and divides every `h_query` and
//! `l_query` point by `d`; nothing else may change. Deriving the start parameters takes group
//! FFTs (the coordinator does it once, [`Phase2::new`]; it is deterministic, so anyone can redo
//! it and compare [`Phase2::body_hash`]); *verifying* a state needs no FFT over the group: every vector is
//! checked against the powers of tau by random linear combinations ([`Phase2::verify`]).

use super::encoding::{put_point, put_points, Point, Reader};
use super::phase1::{decode_contributions, encode_contributions, read_state_prefix, state_prefix};
use super::qap::{check, derive, precheck, Qap};
use super::ratio::{mul, same_ratio, scale_all};
use super::transcript::{state_hash, verify_chain, Contribution, Participant, Report};
use super::{CeremonyError, Phase1, Pok, Progress};
use crate::model::Architecture;
use crate::ProofError;
use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{Field, UniformRand, Zero};
use rand::{CryptoRng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

const PHASE: u8 = 2;
const LABELS: [&str; 1] = ["delta"];
/// Stands for the start state's body hash (the body is determined by the header).
const START_BODY: [u8; 32] = *b"pol-ceremony/v1/phase2-start\0\0\0\0";

/// A phase-2 state for one architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase2 {
    pub arch: Architecture,
    /// Digest of the (final) phase-1 state the parameters were derived from.
    pub phase1_digest: [u8; 32],
    /// The Groth16 parameters so far (with the current `δ`).
    pub params: ark_groth16::ProvingKey<Bn254>,
    /// The phase-2 transcript, oldest first.
    pub contributions: Vec<Contribution>,
}

fn put_vec<P: Point>(out: &mut Vec<u8>, v: &[P]) {
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    put_points(out, v);
}

fn get_vec<P: Point>(r: &mut Reader<'_>) -> Result<Vec<P>, CeremonyError> {
    let len = r.u32()? as usize;
    r.points(len)
}

impl Phase2 {
    /// The start state: parameters derived from `p1` with `δ = 1` (does not verify `p1`; see
    /// [`Phase2::verify_from_phase1`]).
    pub fn new(
        p1: &Phase1,
        arch: &Architecture,
        progress: &dyn Progress,
    ) -> Result<Self, CeremonyError> {
        progress.step("phase 2: synthesizing the circuit", 0);
        precheck(arch, p1.log_size)?;
        let qap = Qap::of(arch)?;
        Ok(Phase2 {
            arch: arch.clone(),
            phase1_digest: p1.digest(),
            params: derive(p1, &qap, progress)?,
            contributions: Vec::new(),
        })
    }

    fn header(&self) -> Vec<u8> {
        let a = self.arch.to_bytes();
        let mut h = state_prefix(PHASE);
        h.extend_from_slice(&(a.len() as u16).to_le_bytes());
        h.extend_from_slice(&a);
        h.extend_from_slice(&self.phase1_digest);
        h
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        let p = &self.params;
        put_point(out, &p.vk.alpha_g1);
        put_point(out, &p.beta_g1);
        put_point(out, &p.vk.beta_g2);
        put_point(out, &p.vk.gamma_g2);
        put_point(out, &p.delta_g1);
        put_point(out, &p.vk.delta_g2);
        put_vec(out, &p.vk.gamma_abc_g1);
        put_vec(out, &p.a_query);
        put_vec(out, &p.b_g1_query);
        put_vec(out, &p.b_g2_query);
        put_vec(out, &p.h_query);
        put_vec(out, &p.l_query);
    }

    /// sha256 of the encoded parameters.
    pub fn body_hash(&self) -> [u8; 32] {
        let mut b = Vec::new();
        self.encode_body(&mut b);
        Sha256::digest(&b).into()
    }

    /// The state hash; for the last state of a ceremony, the transcript digest. The start
    /// state's parameters are a function of its header (phase-1 digest and architecture), so
    /// its hash covers the header only (and a fixed marker in place of the body hash); every
    /// later state's hash covers its body through the last record's `body_hash`.
    pub fn digest(&self) -> [u8; 32] {
        match self.contributions.last() {
            None => state_hash(&self.header(), &START_BODY, None),
            Some(c) => state_hash(&self.header(), &self.body_hash(), Some(c)),
        }
    }

    /// Encoded state (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        self.encode_body(&mut out);
        encode_contributions(&mut out, &self.contributions);
        out
    }

    /// Decodes a state: every point checked and canonical, no trailing bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::new(b, "phase-2 state");
        read_state_prefix(&mut r, PHASE)?;
        let len = r.u16()? as usize;
        let arch = Architecture::from_bytes(r.take(len)?).map_err(ProofError::from)?;
        let phase1_digest = r.array()?;
        let alpha_g1 = r.point()?;
        let beta_g1 = r.point()?;
        let beta_g2 = r.point()?;
        let gamma_g2 = r.point()?;
        let delta_g1 = r.point()?;
        let delta_g2 = r.point()?;
        let gamma_abc_g1 = get_vec(&mut r)?;
        let a_query = get_vec(&mut r)?;
        let b_g1_query = get_vec(&mut r)?;
        let b_g2_query = get_vec(&mut r)?;
        let h_query = get_vec(&mut r)?;
        let l_query = get_vec(&mut r)?;
        let contributions = decode_contributions(&mut r, LABELS.len())?;
        r.finish()?;
        Ok(Phase2 {
            arch,
            phase1_digest,
            params: ark_groth16::ProvingKey {
                vk: ark_groth16::VerifyingKey {
                    alpha_g1,
                    beta_g2,
                    gamma_g2,
                    delta_g2,
                    gamma_abc_g1,
                },
                beta_g1,
                delta_g1,
                a_query,
                b_g1_query,
                b_g2_query,
                h_query,
                l_query,
            },
            contributions,
        })
    }

    pub fn load(path: &std::path::Path) -> Result<Self, CeremonyError> {
        Self::from_bytes(&super::read_file(path)?)
    }

    pub fn save(&self, path: &std::path::Path) -> Result<(), CeremonyError> {
        super::write_file(path, &self.to_bytes())
    }

    /// A new state: a fresh secret `d` from `rng` multiplied into `δ` (the `H` and `L` queries
    /// divided by it) and a record appended (proof of knowledge of `d` bound to this state's
    /// hash and to `who`). The secret is wiped afterwards.
    pub fn contribute<R: RngCore + CryptoRng>(
        &self,
        who: &Participant,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<Phase2, CeremonyError> {
        let mut d = loop {
            let d = Fr::rand(rng);
            if !d.is_zero() {
                break d;
            }
        };
        let out = self.contribute_with(who, d, rng, progress);
        d.zeroize();
        out
    }

    pub(crate) fn contribute_with<R: RngCore + CryptoRng>(
        &self,
        who: &Participant,
        d: Fr,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<Phase2, CeremonyError> {
        who.check()?;
        let mut d_inv = d
            .inverse()
            .ok_or_else(|| CeremonyError::Unusable("the secret is zero".into()))?;
        let prev_hash = self.digest();
        let mut next = self.clone();
        let p = &mut next.params;
        progress.step(
            "phase 2: dividing H and L by the secret",
            (p.h_query.len() + p.l_query.len()) as u64,
        );
        scale_all(&mut p.h_query, d_inv, progress);
        scale_all(&mut p.l_query, d_inv, progress);
        d_inv.zeroize();
        p.delta_g1 = mul(p.delta_g1, d);
        p.vk.delta_g2 = mul(p.vk.delta_g2, d);

        let public_key = who
            .signing_key
            .as_ref()
            .map(|k| k.verifying_key().to_bytes());
        let ctx = Contribution::context(PHASE, &prev_hash, &who.name, public_key.as_ref());
        let mut nonce_rng = rand_chacha::ChaCha20Rng::from_rng(&mut *rng)
            .map_err(|e| CeremonyError::Unusable(format!("rng: {e}")))?;
        let mut record = Contribution {
            prev_hash,
            name: who.name.clone(),
            public_key,
            body_hash: next.body_hash(),
            after: vec![next.params.delta_g1],
            poks: vec![Pok::prove(&d, &ctx, LABELS[0], &mut nonce_rng)],
            signature: None,
        };
        if let Some(k) = &who.signing_key {
            record.sign(k);
        }
        next.contributions.push(record);
        Ok(next)
    }

    /// Verifies this state against the phase-1 state it was derived from (verify `p1` itself
    /// with [`Phase1::verify`]; [`Phase2::verify_from_phase1`] does both): that `p1` is the one
    /// named in the header, the record chain from the start state (links, signatures, proofs of
    /// knowledge, each update of `δ·G1` through the published `d·G2`), that the parameters are
    /// what the last record says (body hash) with its `δ·G1`, `δ` the same in G1 and G2, and
    /// that every other vector is exactly what phase 1 gives for this circuit, with `H` and `L`
    /// divided by the final `δ` (random linear combinations against the powers of tau; no need
    /// to re-derive the start parameters).
    pub fn verify(&self, p1: &Phase1, progress: &dyn Progress) -> Result<Report, CeremonyError> {
        progress.step("phase 2: transcript", self.contributions.len() as u64);
        if p1.digest() != self.phase1_digest {
            return Err(CeremonyError::Phase2Mismatch(format!(
                "derived from phase-1 state {}, not from the given one ({})",
                hex::encode(self.phase1_digest),
                hex::encode(p1.digest())
            )));
        }
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let (last, body_hash, report) = verify_chain(
            PHASE,
            &self.header(),
            START_BODY,
            &[g1],
            &LABELS,
            &self.contributions,
        )?;
        progress.advance(self.contributions.len() as u64);

        progress.step("phase 2: synthesizing the circuit", 0);
        let p = &self.params;
        let inconsistent = |m: &str| Err(CeremonyError::Inconsistent(m.into()));
        if !self.contributions.is_empty() && self.body_hash() != body_hash {
            return inconsistent(
                "the parameters are not those the last contribution produced (body hash differs)",
            );
        }
        if p.delta_g1 != last[0] || p.delta_g1.is_zero() {
            return inconsistent("δ·G1 is not what the last contribution produced");
        }
        if !same_ratio((g1, p.delta_g1), (g2, p.vk.delta_g2)) {
            return inconsistent("δ·G1 and δ·G2 have different δ");
        }
        precheck(&self.arch, p1.log_size)?;
        let qap = Qap::of(&self.arch)?;
        check(p1, &qap, p, progress)?;
        Ok(report)
    }

    /// Verifies `p1` from its start, then this state against it. Returns both reports.
    pub fn verify_from_phase1(
        &self,
        p1: &Phase1,
        progress: &dyn Progress,
    ) -> Result<(Report, Report), CeremonyError> {
        let r1 = p1.verify(progress)?;
        let r2 = self.verify(p1, progress)?;
        Ok((r1, r2))
    }
}
