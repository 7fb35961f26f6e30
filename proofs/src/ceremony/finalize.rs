//! The last phase-2 state as the usual proving and verifying keys.

use super::{CeremonyError, Phase2};
use crate::statement::Layout;
use crate::{ProvingKey, VerifyingKey};

/// The keys of a verified phase-2 state, in the [`ProvingKey`] / [`VerifyingKey`] types and
/// `.pk` / `.vk` formats the worker and the chain already use. Verify the state first
/// ([`Phase2::verify_from_phase1`]); this only refuses states that cannot be final: no
/// phase-2 contribution (then `δ = γ = 1` and public inputs could be moved into the witness),
/// or a shape that does not fit the architecture.
pub fn finalize(p2: &Phase2) -> Result<(ProvingKey, VerifyingKey), CeremonyError> {
    if p2.contributions.is_empty() {
        return Err(CeremonyError::Unusable(
            "phase 2 has no contribution: δ is still 1".into(),
        ));
    }
    let want = Layout::new(&p2.arch).num_public_inputs() + 1;
    if p2.params.vk.gamma_abc_g1.len() != want {
        return Err(CeremonyError::Unusable(format!(
            "{} input points, the architecture needs {want}",
            p2.params.vk.gamma_abc_g1.len()
        )));
    }
    let pk = ProvingKey::new(p2.arch.clone(), p2.params.clone());
    let vk = pk.verifying_key();
    Ok((pk, vk))
}
