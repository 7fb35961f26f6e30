//! Phase 1: powers of tau on BN254.
//!
//! File: `"POLC" | 1 | phase 1 | log_n u8 | body | count u32 | contribution*` with body
//! `τ^i·G1 (i < 2n−1) | τ^i·G2 (i < n) | α·τ^i·G1 (i < n) | β·τ^i·G1 (i < n) | β·G2`, all
//! uncompressed and checked. `2n−1` powers in G1 because the Groth16 `H` query needs
//! `τ^i·Z(τ) = τ^{n+i} − τ^i` for `i < n−1`.

use super::encoding::{put_point, put_points, Reader, G1_BYTES, G2_BYTES};
use super::ratio::{mul, same_ratio, scale_by_powers, shifted_sums};
use super::transcript::{state_hash, verify_chain, Contribution, Participant, Report};
use super::{CeremonyError, Progress, MAX_LOG_SIZE};
use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{UniformRand, Zero};
use ark_serialize::{CanonicalSerialize, Compress};
use rand::{CryptoRng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

pub(crate) const MAGIC: &[u8; 4] = b"POLC";
pub(crate) const VERSION: u8 = 1;
const PHASE: u8 = 1;
const LABELS: [&str; 3] = ["tau", "alpha", "beta"];

/// A phase-1 state: the powers and the transcript that produced them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase1 {
    /// The domain has `n = 2^log_size` points.
    pub log_size: u8,
    /// `τ^i·G1` for `i < 2n−1`.
    pub tau_g1: Vec<G1Affine>,
    /// `τ^i·G2` for `i < n`.
    pub tau_g2: Vec<G2Affine>,
    /// `α·τ^i·G1` for `i < n`.
    pub alpha_g1: Vec<G1Affine>,
    /// `β·τ^i·G1` for `i < n`.
    pub beta_g1: Vec<G1Affine>,
    /// `β·G2`.
    pub beta_g2: G2Affine,
    /// The transcript, oldest first.
    pub contributions: Vec<Contribution>,
}

fn sizes(log_size: u8) -> Result<(usize, usize), CeremonyError> {
    if !(1..=MAX_LOG_SIZE).contains(&log_size) {
        return Err(CeremonyError::encoding(
            "phase-1 state",
            format!("log size {log_size}, expected 1..={MAX_LOG_SIZE}"),
        ));
    }
    let n = 1usize << log_size;
    Ok((n, 2 * n - 1))
}

fn header(log_size: u8) -> Vec<u8> {
    let mut h = state_prefix(PHASE);
    h.push(log_size);
    h
}

/// `MAGIC | version | phase`: how every ceremony state starts.
pub(crate) fn state_prefix(phase: u8) -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&[VERSION, phase]);
    h
}

/// Reads and checks [`state_prefix`]`(phase)`.
pub(crate) fn read_state_prefix(r: &mut Reader<'_>, phase: u8) -> Result<(), CeremonyError> {
    if r.take(4)? != MAGIC {
        return Err(r.err("bad magic"));
    }
    let (version, got) = (r.u8()?, r.u8()?);
    if version != VERSION || got != phase {
        return Err(r.err(format!(
            "version {version} phase {got}, expected version {VERSION} phase {phase}"
        )));
    }
    Ok(())
}

/// Encodes `count u32 | contribution*` (what [`decode_contributions`] reads).
pub(crate) fn encode_contributions(out: &mut Vec<u8>, contributions: &[Contribution]) {
    out.extend_from_slice(&(contributions.len() as u32).to_le_bytes());
    for c in contributions {
        c.encode(out);
    }
}

impl Phase1 {
    /// The start state for a domain of `2^log_size` points: every secret is 1, so every power
    /// is a generator. It is public; only contributions make it secret.
    pub fn new(log_size: u8) -> Result<Self, CeremonyError> {
        let (n, n_g1) = sizes(log_size)?;
        Ok(Phase1 {
            log_size,
            tau_g1: vec![G1Affine::generator(); n_g1],
            tau_g2: vec![G2Affine::generator(); n],
            alpha_g1: vec![G1Affine::generator(); n],
            beta_g1: vec![G1Affine::generator(); n],
            beta_g2: G2Affine::generator(),
            contributions: Vec::new(),
        })
    }

    /// Domain size `n`.
    pub fn size(&self) -> usize {
        1usize << self.log_size.min(MAX_LOG_SIZE)
    }

    fn check_shape(&self) -> Result<(), CeremonyError> {
        let (n, n_g1) = sizes(self.log_size)?;
        if self.tau_g1.len() != n_g1
            || self.tau_g2.len() != n
            || self.alpha_g1.len() != n
            || self.beta_g1.len() != n
        {
            return Err(CeremonyError::Inconsistent(format!(
                "vector lengths do not match the domain size 2^{}",
                self.log_size
            )));
        }
        Ok(())
    }

    fn header(&self) -> Vec<u8> {
        header(self.log_size)
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        put_points(out, &self.tau_g1);
        put_points(out, &self.tau_g2);
        put_points(out, &self.alpha_g1);
        put_points(out, &self.beta_g1);
        put_point(out, &self.beta_g2);
    }

    /// sha256 of the encoded powers.
    pub fn body_hash(&self) -> [u8; 32] {
        let mut b = Vec::new();
        self.encode_body(&mut b);
        Sha256::digest(&b).into()
    }

    /// The state hash; for the last state of a ceremony, the transcript digest.
    pub fn digest(&self) -> [u8; 32] {
        state_hash(&self.header(), &self.body_hash(), self.contributions.last())
    }

    /// Encoded state (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header();
        self.encode_body(&mut out);
        encode_contributions(&mut out, &self.contributions);
        out
    }

    /// Decodes a state: every point checked and canonical, no trailing bytes. Says nothing
    /// about whether the state is valid; that is [`Phase1::verify`].
    pub fn from_bytes(b: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::new(b, "phase-1 state");
        read_state_prefix(&mut r, PHASE)?;
        let log_size = r.u8()?;
        let (n, n_g1) = sizes(log_size).map_err(|e| r.err(e.to_string()))?;
        // Every vector's bytes must be present before any is allocated.
        if r.remaining() < (n_g1 + 2 * n) * G1_BYTES + (n + 1) * G2_BYTES + 4 {
            return Err(r.err("truncated"));
        }
        let tau_g1 = r.points(n_g1)?;
        let tau_g2 = r.points(n)?;
        let alpha_g1 = r.points(n)?;
        let beta_g1 = r.points(n)?;
        let beta_g2 = r.point()?;
        let contributions = decode_contributions(&mut r, LABELS.len())?;
        r.finish()?;
        Ok(Phase1 {
            log_size,
            tau_g1,
            tau_g2,
            alpha_g1,
            beta_g1,
            beta_g2,
            contributions,
        })
    }

    pub fn load(path: &std::path::Path) -> Result<Self, CeremonyError> {
        Self::from_bytes(&super::read_file(path)?)
    }

    pub fn save(&self, path: &std::path::Path) -> Result<(), CeremonyError> {
        super::write_file(path, &self.to_bytes())
    }

    /// A new state: this one with fresh secrets `τ', α', β'` from `rng` multiplied in, and a
    /// record (proofs of knowledge bound to this state's hash and to `who`, signed if `who` has
    /// a key) appended. Draw `rng` from [`super::secret_rng`]; the secrets are wiped afterwards.
    pub fn contribute<R: RngCore + CryptoRng>(
        &self,
        who: &Participant,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<Phase1, CeremonyError> {
        let mut secrets = [nonzero(rng), nonzero(rng), nonzero(rng)];
        let out = self.contribute_with(who, &secrets, rng, progress);
        secrets.iter_mut().for_each(Zeroize::zeroize);
        out
    }

    /// [`Phase1::contribute`] with given secrets `[τ', α', β']` (tests compare against a
    /// direct setup with known secrets).
    pub(crate) fn contribute_with<R: RngCore + CryptoRng>(
        &self,
        who: &Participant,
        secrets: &[Fr; 3],
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<Phase1, CeremonyError> {
        self.check_shape()?;
        who.check()?;
        if secrets.iter().any(Zero::is_zero) {
            return Err(CeremonyError::Unusable("a secret is zero".into()));
        }
        let [t, a, b] = *secrets;
        let prev_hash = self.digest();
        let mut next = self.clone();
        let total = (next.tau_g1.len() + next.tau_g2.len() + 2 * next.alpha_g1.len()) as u64;
        progress.step("phase 1: multiplying in the secrets", total);
        scale_by_powers(&mut next.tau_g1, Fr::from(1u64), t, progress);
        scale_by_powers(&mut next.tau_g2, Fr::from(1u64), t, progress);
        scale_by_powers(&mut next.alpha_g1, a, t, progress);
        scale_by_powers(&mut next.beta_g1, b, t, progress);
        next.beta_g2 = mul(next.beta_g2, b);

        progress.step("phase 1: proofs of knowledge and hashes", 0);
        let public_key = who
            .signing_key
            .as_ref()
            .map(|k| k.verifying_key().to_bytes());
        let ctx = Contribution::context(PHASE, &prev_hash, &who.name, public_key.as_ref());
        // Schnorr nonces from a ChaCha stream seeded by the caller's RNG.
        let mut nonce_rng = rand_chacha::ChaCha20Rng::from_rng(&mut *rng)
            .map_err(|e| CeremonyError::Unusable(format!("rng: {e}")))?;
        let poks = secrets
            .iter()
            .zip(LABELS)
            .map(|(x, l)| super::Pok::prove(x, &ctx, l, &mut nonce_rng))
            .collect();
        let mut record = Contribution {
            prev_hash,
            name: who.name.clone(),
            public_key,
            body_hash: next.body_hash(),
            after: vec![next.tau_g1[1], next.alpha_g1[0], next.beta_g1[0]],
            poks,
            signature: None,
        };
        if let Some(k) = &who.signing_key {
            record.sign(k);
        }
        next.contributions.push(record);
        Ok(next)
    }

    /// Verifies the state from its start: the shape; every record (link to the previous state's
    /// hash, signature, proofs of knowledge, the update of `τ·G1`, `α·G1`, `β·G1` through the
    /// published `x·G2`); that the powers hash to what the last record says and start from the
    /// last record's points; and that the powers are consistent (`τ^i` in both groups, `α·τ^i`,
    /// `β·τ^i`, `β` in both groups) by random linear combinations.
    pub fn verify(&self, progress: &dyn Progress) -> Result<Report, CeremonyError> {
        self.check_shape()?;
        progress.step("phase 1: transcript", self.contributions.len() as u64);
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let (last, body_hash, report) = verify_chain(
            PHASE,
            &self.header(),
            genesis_body_hash(self.log_size)?,
            &[g1, g1, g1],
            &LABELS,
            &self.contributions,
        )?;
        progress.advance(self.contributions.len() as u64);

        progress.step("phase 1: powers", 0);
        if self.body_hash() != body_hash {
            return Err(CeremonyError::Inconsistent(
                "the powers are not those the last contribution produced (body hash differs)"
                    .into(),
            ));
        }
        let inconsistent = |m: &str| Err(CeremonyError::Inconsistent(m.into()));
        if self.tau_g1[0] != g1 || self.tau_g2[0] != g2 {
            return inconsistent("τ^0 is not the generator");
        }
        if [self.tau_g1[1], self.alpha_g1[0], self.beta_g1[0]] != last[..] {
            return inconsistent("τ·G1, α·G1 or β·G1 is not what the last contribution produced");
        }
        if self.tau_g1[1].is_zero() || self.tau_g2[1].is_zero() || self.beta_g2.is_zero() {
            return inconsistent("identity where a secret's power must be");
        }
        if !same_ratio((g1, self.tau_g1[1]), (g2, self.tau_g2[1])) {
            return inconsistent("τ·G1 and τ·G2 have different τ");
        }
        if !same_ratio((g1, self.beta_g1[0]), (g2, self.beta_g2)) {
            return inconsistent("β·G1 and β·G2 have different β");
        }
        // Verifier randomness: an adversary must not predict the combination's scalars.
        let mut rng = rand_chacha::ChaCha20Rng::from_entropy();
        let (l1, r1) = shifted_sums(&[&self.tau_g1, &self.alpha_g1, &self.beta_g1], &mut rng);
        if !same_ratio((l1, r1), (g2, self.tau_g2[1])) {
            return inconsistent(
                "the G1 powers (τ^i, α·τ^i or β·τ^i) are not successive powers of τ",
            );
        }
        let (l2, r2) = shifted_sums(&[&self.tau_g2], &mut rng);
        if !same_ratio((g1, self.tau_g1[1]), (l2, r2)) {
            return inconsistent("the G2 powers τ^i are not successive powers of τ");
        }
        Ok(report)
    }
}

fn nonzero<R: RngCore + CryptoRng>(rng: &mut R) -> Fr {
    loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            return x;
        }
    }
}

/// Decodes `count u32 | contribution*` (the count is bounded by the bytes left first).
pub(crate) fn decode_contributions(
    r: &mut Reader<'_>,
    k: usize,
) -> Result<Vec<Contribution>, CeremonyError> {
    let count = r.u32()? as usize;
    if count > r.remaining() / Contribution::min_bytes(k) {
        return Err(r.err(format!("{count} contributions cannot fit")));
    }
    (0..count).map(|_| Contribution::decode(r, k)).collect()
}

/// Body hash of the start state, streamed (no need to build `2^k` generators in memory).
fn genesis_body_hash(log_size: u8) -> Result<[u8; 32], CeremonyError> {
    let (n, n_g1) = sizes(log_size)?;
    let mut g1 = Vec::new();
    G1Affine::generator()
        .serialize_with_mode(&mut g1, Compress::No)
        .expect("vec");
    let mut g2 = Vec::new();
    G2Affine::generator()
        .serialize_with_mode(&mut g2, Compress::No)
        .expect("vec");
    let mut h = Sha256::new();
    let mut feed = |unit: &[u8], count: usize| {
        let block = unit.repeat(1024);
        for _ in 0..count / 1024 {
            h.update(&block);
        }
        for _ in 0..count % 1024 {
            h.update(unit);
        }
    };
    feed(&g1, n_g1);
    feed(&g2, n);
    feed(&g1, 2 * n);
    feed(&g2, 1);
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ceremony::Quiet;
    use rand::rngs::StdRng;

    #[test]
    fn genesis_hash_streams_the_encoding() {
        let p = Phase1::new(3).unwrap();
        assert_eq!(genesis_body_hash(3).unwrap(), p.body_hash());
        p.verify(&Quiet).unwrap();
        let q = Phase1::from_bytes(&p.to_bytes()).unwrap();
        assert_eq!(p, q);
    }

    #[test]
    fn contribution_multiplies_the_powers() {
        let mut rng = StdRng::seed_from_u64(3);
        let p = Phase1::new(2).unwrap();
        let (t, a, b) = (Fr::from(3u64), Fr::from(5u64), Fr::from(7u64));
        let q = p
            .contribute_with(&Participant::named("x"), &[t, a, b], &mut rng, &Quiet)
            .unwrap();
        let g1 = G1Affine::generator();
        for i in 0..7u64 {
            assert_eq!(q.tau_g1[i as usize], mul(g1, Fr::from(3u64.pow(i as u32))));
        }
        assert_eq!(q.alpha_g1[2], mul(g1, Fr::from(5 * 9u64)));
        assert_eq!(q.beta_g1[3], mul(g1, Fr::from(7 * 27u64)));
        q.verify(&Quiet).unwrap();
    }
}
