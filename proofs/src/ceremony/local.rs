//! A whole ceremony on one machine: both phases with the given participants, verified.
//! For tests and benchmarks only: one machine saw every secret, so its keys are no better
//! than a seeded setup's, though they have the shape (transcript, setup record) of real ones.

use rand_core::{CryptoRng, RngCore};

use super::{domain_log_size, CeremonyError, Participant, Phase1, Phase2, Quiet};
use crate::model::Architecture;

/// Phase 1 sized for `arch` with one contribution per `phase1` participant, then phase 2
/// with one per `phase2` participant; the last phase-2 state is verified against phase 1.
pub fn local_ceremony<R: RngCore + CryptoRng>(
    arch: &Architecture,
    phase1: &[Participant],
    phase2: &[Participant],
    rng: &mut R,
) -> Result<(Phase1, Phase2), CeremonyError> {
    let mut p1 = Phase1::new(domain_log_size(arch)?)?;
    for who in phase1 {
        p1 = p1.contribute(who, rng, &Quiet)?;
    }
    let mut p2 = Phase2::new(&p1, arch, &Quiet)?;
    for who in phase2 {
        p2 = p2.contribute(who, rng, &Quiet)?;
    }
    p2.verify(&p1, &Quiet)?;
    Ok((p1, p2))
}
