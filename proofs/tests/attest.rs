//! End-to-end: setup, prove, verify, batch verify, and every rejection the issue lists.

use ark_bn254::{Fq, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, UniformRand};
use ark_serialize::CanonicalSerialize;
use pol_proofs::commitment::{commit, Commitment};
use pol_proofs::model::{Architecture, Model};
use pol_proofs::{
    batch_verify, prove, setup_insecure_seeded, verify, PreparedVerifyingKey, Proof, ProofError,
    ProvingKey, Statement, VerifyingKey,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::OnceLock;

struct Fixture {
    arch: Architecture,
    model: Model,
    pk: ProvingKey,
    vk: VerifyingKey,
    pvk: PreparedVerifyingKey,
}

/// A small two-hidden-layer architecture shared by the tests (setup once).
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let arch = Architecture::mlp(&[12, 8, 6, 4], &[6, 5]).unwrap();
        let mut rng = StdRng::seed_from_u64(42);
        let model = Model::random(&arch, &mut rng);
        let (pk, vk) = setup_insecure_seeded(&arch, 1).unwrap();
        let pvk = vk.prepare();
        Fixture {
            arch,
            model,
            pk,
            vk,
            pvk,
        }
    })
}

fn statement(model: &Model, input: Vec<i8>, rng: &mut StdRng) -> Statement {
    Statement {
        commitment: commit(model),
        output: model.forward(&input).unwrap(),
        input,
        nonce: rng.gen(),
        provider: rng.gen(),
    }
}

fn random_input(arch: &Architecture, rng: &mut StdRng) -> Vec<i8> {
    (0..arch.input_len())
        .map(|_| rng.gen_range(0..=16))
        .collect()
}

fn proved(seed: u64) -> (Statement, Proof) {
    let f = fixture();
    let mut rng = StdRng::seed_from_u64(seed);
    let st = statement(&f.model, random_input(&f.arch, &mut rng), &mut rng);
    let proof = prove(&f.pk, &f.model, &st, &mut rng).unwrap();
    (st, proof)
}

#[test]
fn honest_proofs_verify_for_random_architectures() {
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..3 {
        let depth = rng.gen_range(1..=3);
        let dims: Vec<u32> = (0..=depth).map(|_| rng.gen_range(1..=7)).collect();
        let shifts: Vec<u8> = (0..depth - 1).map(|_| rng.gen_range(1..=12)).collect();
        let arch = Architecture::mlp(&dims, &shifts).unwrap();
        let model = Model::random(&arch, &mut rng);
        let (pk, vk) = setup_insecure_seeded(&arch, rng.gen()).unwrap();
        let pvk = vk.prepare();
        for _ in 0..2 {
            let input: Vec<i8> = (0..arch.input_len()).map(|_| rng.gen()).collect();
            let st = statement(&model, input, &mut rng);
            let proof = prove(&pk, &model, &st, &mut rng).unwrap();
            verify(&pvk, &st, &proof).unwrap();
            let back = Proof::from_bytes(&proof.to_bytes()).unwrap();
            verify(&pvk, &st, &back).unwrap();
        }
    }
}

#[test]
fn rejects_wrong_statements() {
    let f = fixture();
    let (st, proof) = proved(1);
    verify(&f.pvk, &st, &proof).unwrap();

    let mut s = st.clone();
    s.output[2] += 1;
    assert!(matches!(
        verify(&f.pvk, &s, &proof),
        Err(ProofError::InvalidProof)
    ));
    let mut s = st.clone();
    s.input[0] ^= 1;
    assert!(matches!(
        verify(&f.pvk, &s, &proof),
        Err(ProofError::InvalidProof)
    ));
    let mut s = st.clone();
    s.nonce ^= 1;
    assert!(matches!(
        verify(&f.pvk, &s, &proof),
        Err(ProofError::InvalidProof)
    ));
    let mut s = st.clone();
    s.provider[19] ^= 0x80;
    assert!(matches!(
        verify(&f.pvk, &s, &proof),
        Err(ProofError::InvalidProof)
    ));
    // Same architecture, other weights: the commitment differs.
    let mut other = f.model.clone();
    other.layers[1].weights[3] = other.layers[1].weights[3].wrapping_add(1);
    let mut s = st.clone();
    s.commitment = commit(&other);
    assert!(matches!(
        verify(&f.pvk, &s, &proof),
        Err(ProofError::InvalidProof)
    ));
    // Wrong lengths and non-canonical commitments are refused before any pairing.
    let mut s = st.clone();
    s.input.pop();
    assert!(matches!(
        verify(&f.pvk, &s, &proof),
        Err(ProofError::StatementShape(_))
    ));
    let mut s = st.clone();
    s.commitment = Commitment([0xff; 32]);
    assert!(matches!(
        verify(&f.pvk, &s, &proof),
        Err(ProofError::NonCanonical(_))
    ));
    let mut s = st.clone();
    let c = st.commitment.to_field().unwrap();
    // c + p as 256-bit little-endian (non-canonical encoding of the same element).
    let mut limbs = c.into_bigint();
    let carry = ark_ff::BigInteger::add_with_carry(&mut limbs, &ark_bn254::Fr::MODULUS);
    if !carry {
        let mut b = [0u8; 32];
        b.copy_from_slice(&ark_ff::BigInteger::to_bytes_le(&limbs));
        s.commitment = Commitment(b);
        assert!(matches!(
            verify(&f.pvk, &s, &proof),
            Err(ProofError::NonCanonical(_))
        ));
    }
}

#[test]
fn prover_refuses_false_statements() {
    let f = fixture();
    let mut rng = StdRng::seed_from_u64(9);
    let mut st = statement(&f.model, random_input(&f.arch, &mut rng), &mut rng);
    st.output[0] += 1;
    assert!(matches!(
        prove(&f.pk, &f.model, &st, &mut rng),
        Err(ProofError::OutputMismatch)
    ));
    // Weights that differ from the commitment.
    let mut other = f.model.clone();
    other.layers[0].bias[0] ^= 1;
    let st = statement(&f.model, random_input(&f.arch, &mut rng), &mut rng);
    assert!(matches!(
        prove(&f.pk, &other, &st, &mut rng),
        Err(ProofError::CommitmentMismatch)
    ));
}

#[test]
fn circuit_refuses_weights_that_differ_from_the_commitment() {
    // Bypass `prove`'s checks: a circuit whose weights are not the committed ones is
    // unsatisfiable, so even a malicious prover gets no proof.
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
    let f = fixture();
    let mut rng = StdRng::seed_from_u64(10);
    let st = statement(&f.model, random_input(&f.arch, &mut rng), &mut rng);
    let mut other = f.model.clone();
    other.layers[2].weights[0] = other.layers[2].weights[0].wrapping_add(1);
    let mut st2 = st.clone();
    st2.output = other.forward(&st.input).unwrap();
    let cs = ConstraintSystem::new_ref();
    pol_proofs::circuit::MlpCircuit {
        model: other,
        statement: st2,
    }
    .generate_constraints(cs.clone())
    .unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

#[test]
fn proof_of_another_model_is_rejected() {
    let f = fixture();
    let mut rng = StdRng::seed_from_u64(12);
    // Other weights, same architecture and key.
    let other = Model::random(&f.arch, &mut rng);
    let st_other = statement(&other, random_input(&f.arch, &mut rng), &mut rng);
    let proof_other = prove(&f.pk, &other, &st_other, &mut rng).unwrap();
    verify(&f.pvk, &st_other, &proof_other).unwrap();
    let mut claimed = st_other.clone();
    claimed.commitment = commit(&f.model);
    assert!(verify(&f.pvk, &claimed, &proof_other).is_err());
    // Another architecture's key.
    let arch2 = Architecture::mlp(&[12, 8, 6, 4], &[6, 4]).unwrap();
    let (_, vk2) = setup_insecure_seeded(&arch2, 1).unwrap();
    let (st, proof) = proved(13);
    assert!(verify(&vk2.prepare(), &st, &proof).is_err());
    // Same architecture, other setup seed.
    let (_, vk3) = setup_insecure_seeded(&f.arch, 2).unwrap();
    assert!(verify(&vk3.prepare(), &st, &proof).is_err());
}

#[test]
fn flipped_bytes_are_rejected() {
    let f = fixture();
    let (st, proof) = proved(2);
    let bytes = proof.to_bytes();
    for i in 0..bytes.len() {
        for bit in [0u8, 3, 7] {
            let mut b = bytes;
            b[i] ^= 1 << bit;
            match Proof::from_bytes(&b) {
                Err(_) => {}
                Ok(p) => assert!(verify(&f.pvk, &st, &p).is_err(), "byte {i} bit {bit}"),
            }
        }
    }
    assert!(Proof::from_bytes(&bytes[..127]).is_err());
    assert!(Proof::from_bytes(&[bytes.as_slice(), &[0]].concat()).is_err());
}

/// x-coordinates (canonical) of points on the curve but not in the prime-order subgroup (G2),
/// and of x values with no point on the curve (G1 and G2).
#[test]
fn invalid_points_are_rejected() {
    let (_, proof) = proved(3);
    let bytes = proof.to_bytes();
    let mut rng = StdRng::seed_from_u64(4);

    // G1 x with no curve point: find one.
    let mut off_curve = None;
    for _ in 0..100 {
        let x = Fq::rand(&mut rng);
        if G1Affine::get_point_from_x_unchecked(x, false).is_none() {
            off_curve = Some(x);
            break;
        }
    }
    let mut enc = Vec::new();
    off_curve.unwrap().serialize_compressed(&mut enc).unwrap();
    let mut b = bytes;
    b[..32].copy_from_slice(&enc);
    assert!(Proof::from_bytes(&b).is_err(), "A off the curve");
    let mut b = bytes;
    b[96..].copy_from_slice(&enc);
    assert!(Proof::from_bytes(&b).is_err(), "C off the curve");

    // G2 point on the curve (twist) but outside the prime-order subgroup.
    let mut found = false;
    for _ in 0..100 {
        let x = ark_bn254::Fq2::rand(&mut rng);
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            assert!(p.is_on_curve());
            if p.is_in_correct_subgroup_assuming_on_curve() {
                continue;
            }
            let mut enc = Vec::new();
            p.serialize_with_mode(&mut enc, ark_serialize::Compress::Yes)
                .unwrap();
            let mut b = bytes;
            b[32..96].copy_from_slice(&enc);
            assert!(Proof::from_bytes(&b).is_err(), "B outside the subgroup");
            found = true;
            break;
        }
    }
    assert!(found);

    // Non-canonical coordinate: x + p in the 254-bit field slot (flags kept).
    let a = proof.0.a;
    let x = a.x().unwrap();
    let mut limbs = x.into_bigint();
    let carry = ark_ff::BigInteger::add_with_carry(&mut limbs, &Fq::MODULUS);
    let xb = ark_ff::BigInteger::to_bytes_le(&limbs);
    if !carry && xb[31] & 0xc0 == 0 {
        let mut b = bytes;
        b[..31].copy_from_slice(&xb[..31]);
        b[31] = (b[31] & 0xc0) | xb[31];
        assert!(Proof::from_bytes(&b).is_err(), "non-canonical x");
    }
    // A negated: a valid point but the wrong proof.
    let f = fixture();
    let (st, _) = proved(3);
    let mut bad = proof.clone();
    bad.0.a = (-bad.0.a.into_group()).into_affine();
    assert!(verify(&f.pvk, &st, &bad).is_err());
}

#[test]
fn keys_roundtrip_checked_and_deterministic() {
    let f = fixture();
    let vkb = f.vk.to_bytes();
    assert_eq!(VerifyingKey::from_bytes(&vkb).unwrap(), f.vk);
    let pkb = f.pk.to_bytes();
    assert_eq!(ProvingKey::from_bytes(&pkb).unwrap(), f.pk);
    let (pk2, vk2) = setup_insecure_seeded(&f.arch, 1).unwrap();
    assert_eq!(vk2.content_hash(), f.vk.content_hash());
    assert_eq!(pk2.to_bytes(), pkb);
    let (_, vk3) = setup_insecure_seeded(&f.arch, 2).unwrap();
    assert_ne!(vk3.content_hash(), f.vk.content_hash());
    for cut in [0, 5, 7, 20, vkb.len() - 1] {
        assert!(VerifyingKey::from_bytes(&vkb[..cut]).is_err());
    }
    let mut rng = StdRng::seed_from_u64(77);
    for _ in 0..200 {
        let mut b = vkb.clone();
        let i = rng.gen_range(0..b.len());
        b[i] ^= 1 << rng.gen_range(0..8);
        if let Ok(k) = VerifyingKey::from_bytes(&b) {
            assert_ne!(k.to_bytes(), vkb);
        }
    }
    for _ in 0..20 {
        let mut b = pkb.clone();
        let i = rng.gen_range(0..b.len());
        b[i] ^= 1 << rng.gen_range(0..8);
        let _ = ProvingKey::from_bytes(&b);
    }
}

#[test]
fn batch_agrees_with_single_verification() {
    let f = fixture();
    let items: Vec<(Statement, Proof)> = (100..112).map(proved).collect();
    batch_verify(&f.pvk, &items).unwrap();
    batch_verify(&f.pvk, &items[..1]).unwrap();
    batch_verify(&f.pvk, &[]).unwrap();

    // One bad proof among many: wrong output.
    let mut bad = items.clone();
    bad[7].0.output[0] += 1;
    let e = batch_verify(&f.pvk, &bad).unwrap_err();
    assert_eq!(e.bad, vec![7]);
    // Two swapped proofs, a wrong nonce and a malformed statement.
    let mut bad = items.clone();
    let p3 = bad[3].1.clone();
    bad[3].1 = bad[4].1.clone();
    bad[4].1 = p3;
    bad[9].0.nonce += 1;
    bad[11].0.input.push(0);
    let e = batch_verify(&f.pvk, &bad).unwrap_err();
    assert_eq!(e.bad, vec![3, 4, 9, 11]);
    for (i, (s, p)) in bad.iter().enumerate() {
        assert_eq!(verify(&f.pvk, s, p).is_ok(), !e.bad.contains(&i));
    }
    // A single bad item alone.
    assert_eq!(batch_verify(&f.pvk, &bad[9..10]).unwrap_err().bad, vec![0]);
    // A proof that is valid for a rescaled pairing but not individually: A*2, C*2 is not valid.
    let mut bad = items.clone();
    bad[0].1 .0.a = (bad[0].1 .0.a * ark_bn254::Fr::from(2u64)).into_affine();
    assert_eq!(batch_verify(&f.pvk, &bad).unwrap_err().bad, vec![0]);
}
