//! How the key a model's proofs verify against was made, as the chain's route reports it
//! (`RouteEntry.setup_kind`, `setup_attested`): a requester is warned when the proofs that
//! back its answers could be forged by whoever made the key.

use pol_inference::pb::SetupKind;

/// The trust a model's proof key deserves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProofSetup {
    /// A seeded or single-party setup (localnets): whoever made it can forge proofs.
    #[default]
    Insecure,
    /// A multi-party ceremony whose transcript governance has not attested yet: its record
    /// on chain could name contributors who never took part.
    Unattested,
    /// A ceremony governance attested: sound if one contributor of each phase was honest.
    Attested,
}

impl ProofSetup {
    /// From a route entry's `setup_kind` and `setup_attested`.
    pub fn from_route(kind: i32, attested: bool) -> Self {
        match (SetupKind::try_from(kind), attested) {
            (Ok(SetupKind::Ceremony), true) => ProofSetup::Attested,
            (Ok(SetupKind::Ceremony), false) => ProofSetup::Unattested,
            _ => ProofSetup::Insecure,
        }
    }

    /// "insecure", "ceremony (not attested)" or "ceremony (attested)".
    pub fn as_str(self) -> &'static str {
        match self {
            ProofSetup::Insecure => "insecure",
            ProofSetup::Unattested => "ceremony (not attested)",
            ProofSetup::Attested => "ceremony (attested)",
        }
    }

    /// What to tell a requester, unless the setup is attested.
    pub fn warning(self) -> Option<&'static str> {
        match self {
            ProofSetup::Insecure => Some(
                "this model's proving key comes from an insecure (seeded) setup: whoever made \
                 it can forge proofs, so answers are not backed by sound proofs (fine on a \
                 localnet, never for value)",
            ),
            ProofSetup::Unattested => Some(
                "this model's proving key comes from a ceremony that governance has not \
                 attested yet: verify its transcript (pol-proofs ceremony finalize) before \
                 relying on its proofs",
            ),
            ProofSetup::Attested => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_attested_ceremony_goes_without_a_warning() {
        let c = SetupKind::Ceremony as i32;
        assert_eq!(ProofSetup::from_route(c, true), ProofSetup::Attested);
        assert_eq!(ProofSetup::from_route(c, false), ProofSetup::Unattested);
        for kind in [0, SetupKind::Insecure as i32, 77] {
            // Attested means nothing without a ceremony.
            assert_eq!(ProofSetup::from_route(kind, true), ProofSetup::Insecure);
        }
        assert!(ProofSetup::Attested.warning().is_none());
        assert!(ProofSetup::Insecure.warning().unwrap().contains("forge"));
        assert!(ProofSetup::Unattested
            .warning()
            .unwrap()
            .contains("not attested"));
    }
}
