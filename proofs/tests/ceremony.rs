//! The trusted-setup ceremony end to end, and every rejection: tampered powers and
//! parameters, wrong proofs of knowledge, broken links, bad signatures, malformed files.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Field;
use ed25519_dalek::SigningKey;
use pol_proofs::ceremony::{
    domain_log_size, finalize, CeremonyError, Participant, Phase1, Phase2, Quiet,
};
use pol_proofs::commitment::commit;
use pol_proofs::model::{Architecture, Model};
use pol_proofs::{
    prove, setup_insecure_seeded, verify, ProofError, ProvingKey, Statement, VerifyingKey,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::OnceLock;

/// A three-party ceremony (both phases) for a small architecture, run once for all tests.
struct Ceremony {
    arch: Architecture,
    /// Phase-1 states after 0, 1, 2, 3 contributions.
    p1: Vec<Phase1>,
    /// Phase-2 states after 0, 1, 2, 3 contributions.
    p2: Vec<Phase2>,
    pk: ProvingKey,
    vk: VerifyingKey,
}

fn signer() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

fn participants() -> Vec<Participant> {
    vec![
        Participant::named("alice"),
        Participant {
            name: "bob (signed)".into(),
            signing_key: Some(signer()),
        },
        Participant::named("carol"),
    ]
}

fn ceremony() -> &'static Ceremony {
    static C: OnceLock<Ceremony> = OnceLock::new();
    C.get_or_init(|| {
        let arch = Architecture::mlp(&[4, 3, 2], &[4]).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let mut p1 = vec![Phase1::new(domain_log_size(&arch).unwrap()).unwrap()];
        for who in participants() {
            let next = p1
                .last()
                .unwrap()
                .contribute(&who, &mut rng, &Quiet)
                .unwrap();
            p1.push(next);
        }
        let mut p2 = vec![Phase2::new(p1.last().unwrap(), &arch, &Quiet).unwrap()];
        for who in participants() {
            let next = p2
                .last()
                .unwrap()
                .contribute(&who, &mut rng, &Quiet)
                .unwrap();
            p2.push(next);
        }
        let (pk, vk) = finalize(p2.last().unwrap()).unwrap();
        Ceremony {
            arch,
            p1,
            p2,
            pk,
            vk,
        }
    })
}

fn statement(model: &Model, rng: &mut StdRng) -> Statement {
    let input: Vec<i8> = (0..model.architecture().input_len())
        .map(|_| rng.gen_range(0..=16))
        .collect();
    Statement {
        commitment: commit(model),
        output: model.forward(&input).unwrap(),
        input,
        nonce: rng.gen(),
        provider: rng.gen(),
    }
}

fn p1_final() -> Phase1 {
    ceremony().p1[3].clone()
}

fn p2_final() -> Phase2 {
    ceremony().p2[3].clone()
}

fn bump_g1(p: &mut G1Affine) {
    *p = (*p + G1Affine::generator()).into_affine();
}

fn bump_g2(p: &mut G2Affine) {
    *p = (*p + G2Affine::generator()).into_affine();
}

/// What a malicious last contributor would publish: the tampered body with a matching body
/// hash in their record (their proofs of knowledge stay valid: they bind the previous state).
fn rehash_p1(mut s: Phase1) -> Phase1 {
    let h = s.body_hash();
    s.contributions.last_mut().unwrap().body_hash = h;
    s
}

fn rehash_p2(mut s: Phase2) -> Phase2 {
    let h = s.body_hash();
    s.contributions.last_mut().unwrap().body_hash = h;
    s
}

#[test]
fn three_party_ceremony_end_to_end() {
    let c = ceremony();
    // Phase 1 verifies from its start; the report names every contributor and links every
    // intermediate state.
    let r1 = c.p1[3].verify(&Quiet).unwrap();
    assert_eq!(r1.contributions.len(), 3);
    assert_eq!(r1.digest, c.p1[3].digest());
    assert_eq!(r1.start_hash, c.p1[0].digest());
    for (k, summary) in r1.contributions.iter().enumerate() {
        assert_eq!(summary.name, participants()[k].name);
        assert_eq!(
            summary.state,
            c.p1[k + 1].digest(),
            "state after contribution {}",
            k + 1
        );
        assert_eq!(summary.hash, c.p1[3].contributions[k].hash());
        assert_eq!(summary.public_key.is_some(), k == 1);
    }
    assert_eq!(
        r1.contributions[1].public_key,
        Some(signer().verifying_key().to_bytes())
    );
    for s in &c.p1 {
        s.verify(&Quiet).unwrap();
        assert_eq!(&Phase1::from_bytes(&s.to_bytes()).unwrap(), s);
    }

    // Phase 2, against phase 1; every intermediate state verifies too.
    let (r1b, r2) = c.p2[3].verify_from_phase1(&c.p1[3], &Quiet).unwrap();
    assert_eq!(r1b.digest, r1.digest);
    assert_eq!(r2.contributions.len(), 3);
    assert_eq!(r2.digest, c.p2[3].digest());
    for (k, s) in c.p2.iter().enumerate() {
        let r = s.verify(&c.p1[3], &Quiet).unwrap();
        assert_eq!(r.contributions.len(), k);
        assert_eq!(&Phase2::from_bytes(&s.to_bytes()).unwrap(), s);
    }
    // δ moved away from 1, nothing else did.
    assert_ne!(c.p2[3].params.delta_g1, G1Affine::generator());
    assert_eq!(c.p2[3].params.a_query, c.p2[0].params.a_query);
    assert_ne!(c.p2[3].params.l_query, c.p2[0].params.l_query);

    // The final keys go through the existing file formats and prove / verify as usual.
    let pk = ProvingKey::from_bytes(&c.pk.to_bytes()).unwrap();
    let vk = VerifyingKey::from_bytes(&c.vk.to_bytes()).unwrap();
    assert_eq!(vk, pk.verifying_key());
    let pvk = vk.prepare();
    let mut rng = StdRng::seed_from_u64(2);
    let model = Model::random(&c.arch, &mut rng);
    for _ in 0..2 {
        let st = statement(&model, &mut rng);
        let proof = prove(&pk, &model, &st, &mut rng).unwrap();
        verify(&pvk, &st, &proof).unwrap();
        let mut wrong = st.clone();
        wrong.nonce ^= 1;
        assert!(matches!(
            verify(&pvk, &wrong, &proof),
            Err(ProofError::InvalidProof)
        ));
    }
}

#[test]
fn ceremony_keys_differ_from_seeded_keys() {
    let c = ceremony();
    let (spk, svk) = setup_insecure_seeded(&c.arch, 1).unwrap();
    assert_ne!(svk, c.vk);
    assert_ne!(svk.content_hash(), c.vk.content_hash());
    let mut rng = StdRng::seed_from_u64(3);
    let model = Model::random(&c.arch, &mut rng);
    let st = statement(&model, &mut rng);
    let seeded_proof = prove(&spk, &model, &st, &mut rng).unwrap();
    verify(&svk.prepare(), &st, &seeded_proof).unwrap();
    assert!(matches!(
        verify(&c.vk.prepare(), &st, &seeded_proof),
        Err(ProofError::InvalidProof)
    ));
    let ceremony_proof = prove(&c.pk, &model, &st, &mut rng).unwrap();
    assert!(matches!(
        verify(&svk.prepare(), &st, &ceremony_proof),
        Err(ProofError::InvalidProof)
    ));
}

#[test]
fn tampered_phase1_powers_are_rejected() {
    // A changed point without a matching record: the body hash gives it away.
    let mut s = p1_final();
    bump_g1(&mut s.tau_g1[5]);
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::Inconsistent(m)) if m.contains("body hash")
    ));

    // A malicious last contributor who publishes inconsistent powers with a matching record:
    // the consistency checks catch every kind of change.
    type Tamper = fn(&mut Phase1);
    let tampers: [(&str, Tamper); 7] = [
        ("a τ^i·G1 changed", |s| bump_g1(&mut s.tau_g1[5])),
        ("the last τ^i·G1 changed", |s| {
            let last = s.tau_g1.len() - 1;
            bump_g1(&mut s.tau_g1[last])
        }),
        ("a power replaced by the next one", |s| {
            s.tau_g1[7] = s.tau_g1[8]
        }),
        ("an α·τ^i changed", |s| bump_g1(&mut s.alpha_g1[3])),
        ("a β·τ^i changed", |s| bump_g1(&mut s.beta_g1[9])),
        ("a τ^i·G2 changed", |s| bump_g2(&mut s.tau_g2[2])),
        ("β·G2 changed", |s| bump_g2(&mut s.beta_g2)),
    ];
    for (what, tamper) in tampers {
        let mut s = p1_final();
        tamper(&mut s);
        let s = rehash_p1(s);
        let err = s.verify(&Quiet).expect_err(what);
        assert!(
            matches!(err, CeremonyError::Inconsistent(_)),
            "{what}: {err}"
        );
    }

    // A consistent but unrecorded change (α multiplied by 2 everywhere, as a contribution
    // without a record would): the powers no longer start from the last record's α·G1.
    let mut s = p1_final();
    for p in &mut s.alpha_g1 {
        *p = (*p * Fr::from(2u64)).into_affine();
    }
    let err = rehash_p1(s).verify(&Quiet).unwrap_err();
    assert!(
        matches!(&err, CeremonyError::Inconsistent(m) if m.contains("last contribution")),
        "{err}"
    );

    // τ·G1 itself changed: it no longer follows from the records.
    let mut s = p1_final();
    bump_g1(&mut s.tau_g1[1]);
    assert!(matches!(
        rehash_p1(s).verify(&Quiet),
        Err(CeremonyError::Inconsistent(_))
    ));
}

#[test]
fn wrong_proofs_of_knowledge_are_rejected() {
    // A bad Schnorr response.
    let mut s = p1_final();
    s.contributions[0].poks[0].s += Fr::from(1u64);
    let err = s.verify(&Quiet).unwrap_err();
    assert!(
        matches!(
            &err,
            CeremonyError::BadPok {
                index: 1,
                secret: "tau",
                ..
            }
        ),
        "{err}"
    );
    // In a signed record the signature no longer matches either (checked first).
    let mut s = p1_final();
    s.contributions[1].poks[0].s += Fr::from(1u64);
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::BadSignature { index: 2, .. })
    ));

    // A valid proof from elsewhere in the transcript (another context): rejected.
    let mut s = p1_final();
    s.contributions[2].poks[1] = s.contributions[1].poks[1];
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::BadPok {
            index: 3,
            secret: "alpha",
            ..
        })
    ));

    // The published secret in G2 does not match the one in G1.
    let mut s = p1_final();
    bump_g2(&mut s.contributions[0].poks[2].x_g2);
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::BadPok {
            index: 1,
            secret: "beta",
            ..
        })
    ));

    // The update is not the previous value times the proven secret.
    let mut s = p1_final();
    bump_g1(&mut s.contributions[0].after[0]);
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::BadContribution { index: 1, .. })
    ));

    // Phase 2: a bad response for δ.
    let mut s = p2_final();
    s.contributions[2].poks[0].s += Fr::from(1u64);
    assert!(matches!(
        s.verify(&ceremony().p1[3], &Quiet),
        Err(CeremonyError::BadPok {
            index: 3,
            secret: "delta",
            ..
        })
    ));
}

#[test]
fn contributions_that_do_not_link_are_rejected() {
    let c = ceremony();
    // A record naming another previous state.
    let mut s = p1_final();
    s.contributions[1].prev_hash[0] ^= 1;
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::BrokenLink { index: 2, .. })
    ));

    // A contribution made over a tampered state: the tampered state fails, and so does every
    // state built on it (its record names the tampered state's hash, which is not in the chain).
    let mut tampered = c.p1[2].clone();
    bump_g1(&mut tampered.alpha_g1[1]);
    assert!(tampered.verify(&Quiet).is_err());
    let mut rng = StdRng::seed_from_u64(4);
    let on_top = tampered
        .contribute(&Participant::named("dave"), &mut rng, &Quiet)
        .unwrap();
    assert!(matches!(
        on_top.verify(&Quiet),
        Err(CeremonyError::BrokenLink { index: 3, .. })
    ));

    // A branch: carol's record spliced onto another second contribution.
    let other = c.p1[1]
        .contribute(&Participant::named("mallory"), &mut rng, &Quiet)
        .unwrap();
    let mut spliced = c.p1[3].clone();
    spliced.contributions[1] = other.contributions[1].clone();
    assert!(matches!(
        spliced.verify(&Quiet),
        Err(CeremonyError::BrokenLink { index: 3, .. })
    ));

    // Phase 2 likewise.
    let mut s = p2_final();
    s.contributions[0].prev_hash[31] ^= 1;
    assert!(matches!(
        s.verify(&c.p1[3], &Quiet),
        Err(CeremonyError::BrokenLink { index: 1, .. })
    ));
    // A phase-2 state checked against another phase-1 state.
    assert!(matches!(
        p2_final().verify(&c.p1[2], &Quiet),
        Err(CeremonyError::Phase2Mismatch(_))
    ));
}

#[test]
fn signatures_are_checked() {
    let mut s = p1_final();
    s.contributions[1].name = "bob (forged)".into();
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::BadSignature { index: 2, .. })
    ));
    let mut s = p1_final();
    s.contributions[1].signature.as_mut().unwrap()[0] ^= 1;
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::BadSignature { index: 2, .. })
    ));
    // Stripping the key and signature changes the identity the proofs were bound to.
    let mut s = p1_final();
    s.contributions[1].public_key = None;
    s.contributions[1].signature = None;
    assert!(matches!(
        s.verify(&Quiet),
        Err(CeremonyError::BadPok { index: 2, .. })
    ));
}

#[test]
fn phase2_changes_outside_delta_h_l_are_rejected() {
    let p1 = &ceremony().p1[3];
    type Tamper = fn(&mut Phase2);
    let tampers: [(&str, Tamper); 10] = [
        ("a_query", |s| bump_g1(&mut s.params.a_query[3])),
        ("b_g1_query", |s| bump_g1(&mut s.params.b_g1_query[4])),
        ("b_g2_query", |s| bump_g2(&mut s.params.b_g2_query[5])),
        ("gamma_abc_g1", |s| {
            bump_g1(&mut s.params.vk.gamma_abc_g1[1])
        }),
        ("l_query", |s| bump_g1(&mut s.params.l_query[0])),
        ("h_query", |s| bump_g1(&mut s.params.h_query[2])),
        ("alpha_g1", |s| bump_g1(&mut s.params.vk.alpha_g1)),
        ("gamma_g2", |s| bump_g2(&mut s.params.vk.gamma_g2)),
        ("delta_g2", |s| bump_g2(&mut s.params.vk.delta_g2)),
        ("a shorter l_query", |s| {
            s.params.l_query.pop();
        }),
    ];
    for (what, tamper) in tampers {
        // Without a matching record: the body hash.
        let mut s = p2_final();
        tamper(&mut s);
        assert!(s.verify(p1, &Quiet).is_err(), "{what}");
        // With one (a malicious last contributor): the checks against phase 1.
        let err = rehash_p2(s).verify(p1, &Quiet).expect_err(what);
        assert!(
            matches!(
                err,
                CeremonyError::Phase2Mismatch(_) | CeremonyError::Inconsistent(_)
            ),
            "{what}: {err}"
        );
    }
    // a_query in particular is named.
    let mut s = p2_final();
    bump_g1(&mut s.params.a_query[3]);
    let err = rehash_p2(s).verify(p1, &Quiet).unwrap_err();
    assert!(
        matches!(&err, CeremonyError::Phase2Mismatch(m) if m.contains("a_query")),
        "{err}"
    );
    // An unrecorded δ contribution (δ·k, H/k, L/k: consistent, but no record proves k).
    let mut s = p2_final();
    let k = Fr::from(3u64);
    let k_inv = Fr::from(3u64).inverse().unwrap();
    let p = &mut s.params;
    p.delta_g1 = (p.delta_g1 * k).into_affine();
    p.vk.delta_g2 = (p.vk.delta_g2 * k).into_affine();
    for q in p.h_query.iter_mut().chain(p.l_query.iter_mut()) {
        *q = (*q * k_inv).into_affine();
    }
    let err = rehash_p2(s).verify(p1, &Quiet).unwrap_err();
    assert!(
        matches!(&err, CeremonyError::Inconsistent(m) if m.contains("last contribution")),
        "{err}"
    );

    // δ·G1 not what the last record says.
    let mut s = p2_final();
    bump_g1(&mut s.params.delta_g1);
    assert!(matches!(
        rehash_p2(s).verify(p1, &Quiet),
        Err(CeremonyError::Inconsistent(_))
    ));
}

#[test]
fn unusable_states_are_refused() {
    let c = ceremony();
    // No phase-2 contribution: δ = 1.
    assert!(matches!(
        finalize(&c.p2[0]),
        Err(CeremonyError::Unusable(_))
    ));
    // No phase-1 contribution: τ = 1 is in the domain.
    assert!(matches!(
        Phase2::new(&c.p1[0], &c.arch, &Quiet),
        Err(CeremonyError::Unusable(_))
    ));
    // A phase-1 state too small for the circuit.
    let mut rng = StdRng::seed_from_u64(5);
    let small = Phase1::new(4)
        .unwrap()
        .contribute(&Participant::named("x"), &mut rng, &Quiet)
        .unwrap();
    assert!(matches!(
        Phase2::new(&small, &c.arch, &Quiet),
        Err(CeremonyError::TooSmall { .. })
    ));
    // A phase-2 file naming a huge architecture is refused before synthesizing its circuit.
    let mut s = c.p2[0].clone();
    s.arch = Architecture::mlp(&[65536, 1024], &[]).unwrap();
    assert!(matches!(
        s.verify(&c.p1[3], &Quiet),
        Err(CeremonyError::TooSmall { .. })
    ));
    // Names: empty, too long, control characters.
    for bad in ["", "a\nb", &"x".repeat(257)] {
        assert!(c.p1[0]
            .contribute(&Participant::named(bad), &mut rng, &Quiet)
            .is_err());
    }
}

#[test]
fn encodings_are_canonical_and_checked() {
    let c = ceremony();
    let b1 = c.p1[2].to_bytes();
    let b2 = c.p2[2].to_bytes();
    assert_eq!(Phase1::from_bytes(&b1).unwrap(), c.p1[2]);
    assert_eq!(Phase2::from_bytes(&b2).unwrap(), c.p2[2]);
    let enc = |r: Result<_, CeremonyError>| matches!(r, Err(CeremonyError::Encoding { .. }));

    // Trailing and missing bytes.
    assert!(enc(
        Phase1::from_bytes(&[b1.as_slice(), &[0]].concat()).map(|_| ())
    ));
    assert!(enc(Phase1::from_bytes(&b1[..b1.len() - 1]).map(|_| ())));
    assert!(enc(
        Phase2::from_bytes(&[b2.as_slice(), &[0]].concat()).map(|_| ())
    ));
    assert!(enc(Phase2::from_bytes(&b2[..b2.len() - 1]).map(|_| ())));
    // Wrong magic, phase and size; one kind of file for the other.
    let mut x = b1.clone();
    x[0] ^= 1;
    assert!(enc(Phase1::from_bytes(&x).map(|_| ())));
    assert!(enc(Phase1::from_bytes(&b2).map(|_| ())));
    assert!(enc(Phase2::from_bytes(&b1).map(|_| ())));
    let mut x = b1.clone();
    x[6] = 40;
    assert!(enc(Phase1::from_bytes(&x).map(|_| ())));
    // A coordinate that is not on the curve; a coordinate ≥ p.
    let mut x = b1.clone();
    x[7 + 64 * 3] ^= 1;
    assert!(enc(Phase1::from_bytes(&x).map(|_| ())));
    let mut x = b1.clone();
    x[7 + 64 * 3..7 + 64 * 3 + 32].fill(0xff);
    assert!(enc(Phase1::from_bytes(&x).map(|_| ())));
    // An absurd contribution count is refused before allocating.
    let n = 1usize << c.p1[0].log_size;
    let count_at = 7 + (2 * n - 1 + 2 * n) * 64 + (n + 1) * 128;
    let mut x = c.p1[0].to_bytes();
    assert_eq!(x.len(), count_at + 4);
    x[count_at..].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(enc(Phase1::from_bytes(&x).map(|_| ())));
    // Every single-byte change of a small state is rejected when decoding or verifying.
    let small = {
        let mut rng = StdRng::seed_from_u64(6);
        Phase1::new(1)
            .unwrap()
            .contribute(&Participant::named("z"), &mut rng, &Quiet)
            .unwrap()
    };
    let b = small.to_bytes();
    for i in (0..b.len()).step_by(7) {
        let mut x = b.clone();
        x[i] ^= 0x04;
        let ok = Phase1::from_bytes(&x).and_then(|s| s.verify(&Quiet));
        assert!(ok.is_err(), "byte {i} flipped was accepted");
    }
}

/// The default model, three parties per phase. Slow in debug builds: run with
/// `cargo test --release -p pol-proofs --test ceremony -- --ignored`.
#[test]
#[ignore]
fn default_model_three_party_ceremony() {
    let arch = Architecture::default_digits();
    let mut rng = StdRng::seed_from_u64(7);
    let mut p1 = Phase1::new(domain_log_size(&arch).unwrap()).unwrap();
    for who in participants() {
        p1 = p1.contribute(&who, &mut rng, &Quiet).unwrap();
    }
    let p1 = Phase1::from_bytes(&p1.to_bytes()).unwrap();
    p1.verify(&Quiet).unwrap();
    let mut p2 = Phase2::new(&p1, &arch, &Quiet).unwrap();
    for who in participants() {
        p2 = p2.contribute(&who, &mut rng, &Quiet).unwrap();
    }
    let p2 = Phase2::from_bytes(&p2.to_bytes()).unwrap();
    let r = p2.verify(&p1, &Quiet).unwrap();
    assert_eq!(r.contributions.len(), 3);
    let (pk, vk) = finalize(&p2).unwrap();
    let model = Model::random(&arch, &mut rng);
    let st = statement(&model, &mut rng);
    let proof = prove(&pk, &model, &st, &mut rng).unwrap();
    verify(&vk.prepare(), &st, &proof).unwrap();
    let (spk, _) = setup_insecure_seeded(&arch, 1).unwrap();
    let seeded = prove(&spk, &model, &st, &mut rng).unwrap();
    assert!(verify(&vk.prepare(), &st, &seeded).is_err());
}
