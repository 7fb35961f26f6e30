//! Setup records: a chain that does not allow insecure keys refuses them, a three-party
//! ceremony's key registers with its record, its proofs verify on chain, and governance
//! attests it.

use ed25519_dalek::SigningKey;
use pol_proofs::ceremony::{finalize, local_ceremony, setup_record, Participant, Phase1, Phase2};
use pol_proofs::Statement;
use rand::SeedableRng;

use super::*;
use crate::pb::{MsgAttestSetup, SetupKind};
use crate::setup::{describe, execute_attest_setup, is_attested};
use crate::verify::ProofVerifier;

/// A whole ceremony for the tiny architecture: three signed contributions in each phase.
fn ceremony() -> &'static (Phase1, Phase2) {
    static C: OnceLock<(Phase1, Phase2)> = OnceLock::new();
    C.get_or_init(|| {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        let who = |i: u8, name: &str| Participant {
            name: name.into(),
            signing_key: Some(SigningKey::from_bytes(&[i; 32])),
        };
        local_ceremony(
            &fixture().model.architecture(),
            &[who(1, "alice"), who(2, "bob"), who(3, "carol")],
            &[who(4, "dave"), who(5, "erin"), who(6, "frank")],
            &mut rng,
        )
        .unwrap()
    })
}

/// The record as `pol-proofs ceremony finalize --out-setup` writes it, read as the chain
/// reads it.
fn record() -> pb::Setup {
    let (p1, p2) = ceremony();
    serde_json::from_str(&setup_record(p1, p2, "https://example.org/digits").to_json()).unwrap()
}

fn register(s: &mut State, vk: Vec<u8>, setup: Option<pb::Setup>) -> Result<String, TxError> {
    execute_register_architecture(
        s,
        &ctx(3),
        &MsgRegisterArchitecture {
            sender: addr(OWNER).to_string(),
            verifying_key: vk,
            setup,
        },
    )
    .map(|(r, _)| r.id)
}

fn architectures(s: &State) -> usize {
    crate::GenesisState::export(s).unwrap().architectures.len()
}

fn strict_chain() -> State {
    let mut s = market(0);
    s.put_inference_params(&Params {
        allow_insecure_setup: false,
        ..params(0)
    });
    s
}

/// A key of the tiny architecture seeded otherwise than the fixture's (not registered yet).
fn other_seeded_vk() -> Vec<u8> {
    let arch = fixture().model.architecture();
    pol_proofs::setup_insecure_seeded(&arch, 99)
        .unwrap()
        .1
        .to_bytes()
}

#[test]
fn a_chain_whose_genesis_does_not_allow_insecure_keys_refuses_a_seeded_one() {
    let mut s = strict_chain();
    let before = architectures(&s);
    for setup in [
        None,
        Some(pb::Setup {
            kind: SetupKind::Insecure as i32,
            ..Default::default()
        }),
        Some(pb::Setup::default()),
    ] {
        assert_code(
            register(&mut s, other_seeded_vk(), setup),
            error::INSECURE_SETUP_NOT_ALLOWED,
            "only keys from a ceremony",
        );
    }
    assert_eq!(architectures(&s), before, "nothing was written");

    // Where genesis allows them (a localnet), the same key registers, recorded as insecure.
    let mut s = market(0);
    let id = register(&mut s, other_seeded_vk(), None).unwrap();
    let arch = s.architecture(&id).unwrap().unwrap();
    assert_eq!(
        arch.setup.as_ref().unwrap().kind,
        SetupKind::Insecure as i32
    );
    assert_eq!(describe(arch.setup.as_ref()), "insecure");
    assert!(!is_attested(arch.setup.as_ref()));
}

#[test]
fn a_three_party_ceremony_key_registers_with_its_record_and_its_proofs_verify_on_chain() {
    let (_, p2) = ceremony();
    let (pk, vk) = finalize(p2).unwrap();
    let mut s = strict_chain();
    let id = register(&mut s, vk.to_bytes(), Some(record())).unwrap();
    let arch = s.architecture(&id).unwrap().unwrap();
    let setup = arch.setup.clone().unwrap();
    assert_eq!(setup.kind, SetupKind::Ceremony as i32);
    assert_eq!(setup.contributors.len(), 6);
    assert_eq!(setup.phase2_digest, p2.digest().to_vec());
    assert_eq!(describe(Some(&setup)), "ceremony (not attested)");

    // A proof made with the ceremony's proving key verifies against the registered key,
    // through the verifier attestations use; one made with a seeded key of the same shape
    // does not.
    let model = &fixture().model;
    let x = input(5);
    let statement = Statement {
        commitment: pol_proofs::commitment::commit(model),
        output: model.forward(&x).unwrap(),
        input: x,
        nonce: 5,
        provider: [PROVIDER; 20],
    };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
    let proof = pol_proofs::prove(&pk, model, &statement, &mut rng)
        .unwrap()
        .to_bytes();
    let keys = VerifyingKeys::new();
    keys.verify(&arch, &statement, &proof).unwrap();
    let seeded = pol_proofs::prove(&fixture().pk, model, &statement, &mut rng)
        .unwrap()
        .to_bytes();
    assert!(keys.verify(&arch, &statement, &seeded).is_err());

    // The record survives export and import.
    let exported = crate::GenesisState::export(&s).unwrap();
    exported.validate().unwrap();
    let again = exported.architectures.iter().find(|a| a.id == id).unwrap();
    assert_eq!(again.setup.as_ref(), Some(&setup));
}

#[test]
fn setup_records_that_are_forged_or_malformed_are_refused_and_write_nothing() {
    let (_, p2) = ceremony();
    let (_, vk) = finalize(p2).unwrap();
    let mut s = strict_chain();
    let before = architectures(&s);
    let bad = |f: &dyn Fn(&mut pb::Setup)| {
        let mut r = record();
        f(&mut r);
        Some(r)
    };
    let cases: Vec<(Option<pb::Setup>, &str)> = vec![
        (
            bad(&|r| r.contributors[1].signature[0] ^= 1),
            "does not verify",
        ),
        (
            // A contribution hash other than the one signed.
            bad(&|r| r.contributors[4].contribution_hash[7] ^= 1),
            "does not verify",
        ),
        (
            bad(&|r| r.contributors[2].signature.clear()),
            "only with it",
        ),
        (
            bad(&|r| r.contributors[0].public_key.truncate(31)),
            "32 bytes",
        ),
        (bad(&|r| r.phase2_digest.truncate(16)), "phase2_digest"),
        (
            bad(&|r| r.contributors.retain(|c| c.phase == 1)),
            "both phases",
        ),
        (bad(&|r| r.contributors.swap(0, 5)), "come first"),
        (bad(&|r| r.contributors[3].phase = 3), "phase 3"),
        (bad(&|r| r.contributors[0].name.clear()), "a name"),
        (bad(&|r| r.attested_height = 7), "set by governance"),
        (bad(&|r| r.kind = 9), "unknown setup kind"),
        (
            bad(&|r| r.transcript_uri = "x".repeat(600)),
            "transcript_uri",
        ),
    ];
    for (setup, why) in cases {
        assert_code(
            register(&mut s, vk.to_bytes(), setup),
            error::INVALID_SETUP,
            why,
        );
    }
    assert_eq!(architectures(&s), before, "nothing was written");
}

#[test]
fn governance_attests_a_ceremony_record_once_and_it_replaces_a_squatters() {
    let (_, p2) = ceremony();
    let (_, vk) = finalize(p2).unwrap();
    // A squatter registers the ceremony's key first, as insecure (this chain allows it).
    let mut s = market(0);
    let id = register(&mut s, vk.to_bytes(), None).unwrap();
    let gov = pol_component::authority::gov_authority().to_string();
    let attest = |s: &mut State, authority: &str, arch: &str, setup: Option<pb::Setup>, height| {
        execute_attest_setup(
            s,
            &ctx(height),
            &MsgAttestSetup {
                authority: authority.into(),
                architecture_id: arch.into(),
                setup,
            },
        )
    };
    // Anyone but the gov account: refused with the SDK's gov code.
    let e = attest(&mut s, &addr(OWNER).to_string(), &id, Some(record()), 9).unwrap_err();
    assert_eq!((e.codespace, e.code), ("gov", 13));
    // Only a ceremony's record, checked as at registration.
    for insecure in [None, Some(pb::Setup::default())] {
        assert_code(
            attest(&mut s, &gov, &id, insecure, 9),
            error::SETUP_NOT_ATTESTABLE,
            "only a ceremony's record",
        );
    }
    let mut forged = record();
    forged.contributors[2].signature[5] ^= 1;
    assert_code(
        attest(&mut s, &gov, &id, Some(forged), 9),
        error::INVALID_SETUP,
        "does not verify",
    );
    assert_code(
        attest(&mut s, &gov, "ab", Some(record()), 9),
        error::UNKNOWN_ARCHITECTURE,
        "not registered",
    );
    let setup = |s: &State| s.architecture(&id).unwrap().unwrap().setup.unwrap();
    assert_eq!(
        describe(Some(&setup(&s))),
        "insecure",
        "nothing was attested yet"
    );

    let (_, events) = attest(&mut s, &gov, &id, Some(record()), 9).unwrap();
    assert!(events
        .iter()
        .any(|e| e.kind == "pol.inference.v1.EventSetupAttested"));
    let attested = setup(&s);
    assert_eq!(attested.attested_height, 9);
    assert_eq!(attested.phase2_digest, p2.digest().to_vec());
    assert_eq!(attested.contributors, record().contributors);
    assert!(is_attested(Some(&attested)));
    assert_eq!(describe(Some(&attested)), "ceremony (attested at height 9)");
    // Once.
    assert_code(
        attest(&mut s, &gov, &id, Some(record()), 12),
        error::SETUP_NOT_ATTESTABLE,
        "attested at height 9",
    );
    assert_eq!(setup(&s).attested_height, 9);
}

#[test]
fn registration_pays_for_the_signatures_it_makes_the_chain_check() {
    assert_eq!(crate::setup::record_gas(None), 0);
    assert_eq!(
        crate::setup::record_gas(Some(&record())),
        6 * crate::msg::RECEIPT_SIGNATURE_GAS
    );
}
