//! Unit tests of the whole module over an in-memory state, with real Groth16 keys and
//! proofs for a tiny architecture (4→3→2).

use pol_component::ModuleGenesis as _;
use std::sync::OnceLock;

use pol_bank::{BankRead, BankWrite};
use pol_component::coins::Coin;
use pol_component::error::code;
use pol_component::{Address, BlockContext, TxError};
use pol_proofs::model::{Architecture, Model};
use pol_proofs::{ProvingKey, Statement, VerifyingKey};
use pol_store::{MemState, StateDelta};
use rand::SeedableRng;

use crate::error;
use crate::msg::*;
use crate::pb::{self, ObligationState, ProviderStatus};
use crate::receipt::ReceiptBody;
use crate::verify::{BlockVerdicts, CheckCache, VerifyingKeys};
use crate::*;

mod setup;

type State = StateDelta<MemState>;

const CHAIN: &str = "pol-test-1";
const MODEL: &str = "tiny-4-3-2";
const BOND: u128 = 50_000_000;
const MODEL_PRICE: u128 = 7;
const PROVIDER_PRICE: u128 = 100;

struct Fixture {
    vk: VerifyingKey,
    pk: ProvingKey,
    model: Model,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let arch = Architecture::mlp(&[4, 3, 2], &[2]).unwrap();
        let (pk, vk) = pol_proofs::setup_insecure_seeded(&arch, 7).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let model = Model::random(&arch, &mut rng);
        Fixture { vk, pk, model }
    })
}

fn ctx(height: u64) -> BlockContext {
    BlockContext {
        chain_id: CHAIN.into(),
        height,
        time_unix_nanos: 0,
    }
}

fn addr(b: u8) -> Address {
    Address([b; 20])
}

const OWNER: u8 = 1;
const PROVIDER: u8 = 2;
const REQUESTER: u8 = 3;

fn worker_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[9; 32])
}

fn arch_id() -> String {
    hex::encode(fixture().vk.content_hash())
}

fn params(sample_rate_ppm: u32) -> Params {
    Params {
        min_provider_bond: 10_000_000,
        provider_unbonding_blocks: 20,
        sample_rate_ppm,
        proof_deadline_blocks: 5,
        missed_proof_slash_ppm: 100_000,
        allow_private_endpoints: true,
        allow_insecure_setup: true,
        ..Params::default()
    }
}

/// Params, funds, and the tiny architecture, model and provider registered.
fn market(sample_rate_ppm: u32) -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_inference_params(&params(sample_rate_ppm));
    for b in 1..=5 {
        s.mint(&addr(b), &[Coin::new("upol", 1_000_000_000)])
            .unwrap();
    }
    let c = ctx(1);
    execute_register_architecture(
        &mut s,
        &c,
        &MsgRegisterArchitecture {
            sender: addr(OWNER).to_string(),
            verifying_key: fixture().vk.to_bytes(),
            setup: None,
        },
    )
    .unwrap();
    execute_register_model(&mut s, &c, &register_model_msg()).unwrap();
    execute_register_provider(&mut s, &c, &register_provider_msg()).unwrap();
    s
}

fn register_model_msg() -> MsgRegisterModel {
    MsgRegisterModel {
        owner: addr(OWNER).to_string(),
        model_id: MODEL.into(),
        architecture_id: arch_id(),
        weight_commitment: pol_proofs::commitment::commit(&fixture().model).0.to_vec(),
        price_per_inference: MODEL_PRICE.to_string(),
    }
}

fn register_provider_msg() -> MsgRegisterProvider {
    MsgRegisterProvider {
        provider: addr(PROVIDER).to_string(),
        endpoint: "http://127.0.0.1:7000".into(),
        models: vec![MODEL.into()],
        sla: Some(pb::Sla {
            max_p99_latency_us: 20_000,
            max_failure_rate_ppm: 10_000,
        }),
        price_per_inference: PROVIDER_PRICE.to_string(),
        receipt_pubkey: worker_key().verifying_key().to_bytes().to_vec(),
        bond: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: "upol".into(),
            amount: BOND.to_string(),
        }),
    }
}

fn input(n: u64) -> Vec<i8> {
    (0..4).map(|i| ((n * 31 + i * 17) % 200) as i8).collect()
}

/// A worker receipt for the true output of `input(n)`, with nonce `n`.
fn receipt(n: u64) -> (pb::Receipt, Vec<i8>, Vec<i32>) {
    let x = input(n);
    let y = fixture().model.forward(&x).unwrap();
    let signed = ReceiptBody::new(
        CHAIN,
        [PROVIDER; 20],
        MODEL,
        &x,
        &y,
        n,
        1_700_000_000_000 + n,
    )
    .with_payment(crate::receipt::ReceiptPayment {
        price: PROVIDER_PRICE,
        royalty: MODEL_PRICE,
        ..Default::default()
    })
    .sign(&worker_key())
    .unwrap();
    (signed.to_proto(), x, y)
}

fn submit(s: &mut State, n: u64, height: u64) -> Result<Vec<u8>, TxError> {
    let (r, _, _) = receipt(n);
    execute_submit_receipt(
        s,
        &ctx(height),
        &MsgSubmitReceipt {
            submitter: addr(REQUESTER).to_string(),
            receipt: Some(r),
        },
    )
    .map(|(resp, _)| resp.receipt_id)
}

fn prove(n: u64) -> Vec<u8> {
    let x = input(n);
    let statement = Statement {
        commitment: pol_proofs::commitment::commit(&fixture().model),
        output: fixture().model.forward(&x).unwrap(),
        input: x,
        nonce: n,
        provider: [PROVIDER; 20],
    };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(n);
    pol_proofs::prove(&fixture().pk, &fixture().model, &statement, &mut rng)
        .unwrap()
        .to_bytes()
        .to_vec()
}

fn attestation(obligation_id: u64, n: u64) -> MsgSubmitAttestation {
    let x = input(n);
    MsgSubmitAttestation {
        submitter: addr(PROVIDER).to_string(),
        obligation_id,
        input: x.iter().map(|&v| v as u8).collect(),
        output: fixture().model.forward(&x).unwrap(),
        proof: prove(n),
    }
}

/// The test provider deregisters at `height`; its unbonding completion height.
fn deregister(s: &mut State, height: u64) -> u64 {
    execute_deregister_provider(
        s,
        &ctx(height),
        &MsgDeregisterProvider {
            provider: addr(PROVIDER).to_string(),
        },
    )
    .unwrap()
    .0
    .completion_height
}

fn balance(s: &State, b: u8) -> u128 {
    s.balance(&addr(b), "upol").unwrap()
}

fn supply(s: &State) -> u128 {
    s.supply_of("upol").unwrap()
}

/// `r` failed with the codespace and code of `expected` (a module or `sdk` error).
fn assert_code<T: std::fmt::Debug>(
    r: Result<T, TxError>,
    expected: fn(&'static str) -> TxError,
    needle: &str,
) {
    let e = r.expect_err("must be rejected");
    let want = expected("");
    assert_eq!(
        (e.codespace, e.code),
        (want.codespace, want.code),
        "{}",
        e.log
    );
    assert!(e.log.contains(needle), "{:?} lacks {needle:?}", e.log);
}

#[test]
fn a_sampled_receipt_is_proven_and_credits_the_provider() {
    let mut s = market(1_000_000);
    let total = supply(&s);
    let (owner0, provider0, requester0) = (
        balance(&s, OWNER),
        balance(&s, PROVIDER),
        balance(&s, REQUESTER),
    );
    submit(&mut s, 1, 2).unwrap();
    assert_eq!(
        balance(&s, OWNER),
        owner0 + MODEL_PRICE,
        "royalty paid at once"
    );
    assert_eq!(
        balance(&s, REQUESTER),
        requester0 - MODEL_PRICE - PROVIDER_PRICE
    );
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    let o = s.obligation(1).unwrap().expect("sampled at rate 100%");
    assert_eq!(o.state, ObligationState::Pending as i32);
    assert_eq!(o.deadline_height, 7);
    assert_eq!(s.balance(&escrow_pool(), "upol").unwrap(), PROVIDER_PRICE);

    let keys = VerifyingKeys::new();
    execute_submit_attestation(&mut s, &ctx(3), &attestation(1, 1), &keys).unwrap();
    let o = s.obligation(1).unwrap().unwrap();
    assert_eq!(o.state, ObligationState::Discharged as i32);
    assert_eq!(o.settled_height, 3);
    assert_eq!(balance(&s, PROVIDER), provider0 + PROVIDER_PRICE);
    assert_eq!(s.balance(&escrow_pool(), "upol").unwrap(), 0);
    assert_eq!(s.provider(&addr(PROVIDER)).unwrap().unwrap().attested, 1);
    // A discharged obligation is never missed, and nothing was minted or burned.
    end_block(&mut s, &ctx(7), &[2; 32]).unwrap();
    assert_eq!(
        s.obligation(1).unwrap().unwrap().state,
        ObligationState::Discharged as i32
    );
    assert_eq!(supply(&s), total);

    // Twice is refused.
    assert_code(
        execute_submit_attestation(&mut s, &ctx(4), &attestation(1, 1), &keys),
        error::OBLIGATION_SETTLED,
        "already settled",
    );
}

#[test]
fn a_missed_deadline_burns_bond_refunds_escrow_and_jails_below_minimum() {
    let mut s = market(1_000_000);
    let total = supply(&s);
    let requester0 = balance(&s, REQUESTER);
    submit(&mut s, 1, 2).unwrap();
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    // Still pending through its deadline block (7); missed at the end of it.
    end_block(&mut s, &ctx(6), &[0; 32]).unwrap();
    assert_eq!(
        s.obligation(1).unwrap().unwrap().state,
        ObligationState::Pending as i32
    );
    end_block(&mut s, &ctx(7), &[0; 32]).unwrap();
    let o = s.obligation(1).unwrap().unwrap();
    assert_eq!(o.state, ObligationState::Missed as i32);
    let p = s.provider(&addr(PROVIDER)).unwrap().unwrap();
    let slashed = BOND / 10;
    assert_eq!(p.bond, (BOND - slashed).to_string());
    assert_eq!(p.faults, 1);
    assert_eq!(
        balance(&s, REQUESTER),
        requester0 - MODEL_PRICE,
        "escrow refunded"
    );
    assert_eq!(supply(&s), total - slashed, "the slash is burned");
    assert_eq!(s.balance(&bond_pool(), "upol").unwrap(), BOND - slashed);
    // Too late to prove now.
    assert_code(
        execute_submit_attestation(&mut s, &ctx(8), &attestation(1, 1), &VerifyingKeys::new()),
        error::OBLIGATION_SETTLED,
        "already settled",
    );

    // Keep missing until the bond falls under the minimum: jailed, no more receipts.
    let mut h = 10;
    for n in 2..40 {
        if s.provider(&addr(PROVIDER)).unwrap().unwrap().status == ProviderStatus::Jailed as i32 {
            break;
        }
        submit(&mut s, n, h).unwrap();
        end_block(&mut s, &ctx(h), &[n as u8; 32]).unwrap();
        end_block(&mut s, &ctx(h + 5), &[0; 32]).unwrap();
        h += 6;
    }
    let p = s.provider(&addr(PROVIDER)).unwrap().unwrap();
    assert_eq!(p.status, ProviderStatus::Jailed as i32);
    assert!(p.bond.parse::<u128>().unwrap() < params(0).min_provider_bond);
    assert_code(submit(&mut s, 99, h), error::PROVIDER_NOT_ACTIVE, "jailed");
    // Topping the bond up reactivates it.
    let top_up = MsgUpdateProvider {
        provider: addr(PROVIDER).to_string(),
        add_bond: register_provider_msg().bond,
        ..Default::default()
    };
    execute_update_provider(&mut s, &ctx(h), &top_up).unwrap();
    assert_eq!(
        s.provider(&addr(PROVIDER)).unwrap().unwrap().status,
        ProviderStatus::Active as i32
    );
}

#[test]
fn unsampled_receipts_pay_the_provider_at_the_end_of_the_block() {
    let mut s = market(0);
    let provider0 = balance(&s, PROVIDER);
    for n in 0..5 {
        submit(&mut s, n, 2).unwrap();
    }
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    assert!(s.obligation(1).unwrap().is_none());
    assert_eq!(balance(&s, PROVIDER), provider0 + 5 * PROVIDER_PRICE);
    // The draw is a pure function of the block hash and the receipt.
    let id = [4u8; 32];
    assert!(end_block::sampled(&[0; 32], &id, 1_000_000));
    assert!(!end_block::sampled(&[0; 32], &id, 0));
    let hits = (0..2000u32)
        .filter(|i| end_block::sampled(&i.to_le_bytes(), &id, 250_000))
        .count();
    assert!((400..600).contains(&hits), "{hits} of 2000 at 25%");
}

#[test]
fn receipts_are_checked_and_never_settle_twice() {
    let mut s = market(0);
    submit(&mut s, 1, 2).unwrap();
    assert_code(
        submit(&mut s, 1, 2),
        error::RECEIPT_DUPLICATE,
        "already submitted",
    );

    let (good, _, _) = receipt(2);
    let try_receipt = |s: &mut State, r: pb::Receipt| {
        execute_submit_receipt(
            s,
            &ctx(2),
            &MsgSubmitReceipt {
                submitter: addr(REQUESTER).to_string(),
                receipt: Some(r),
            },
        )
    };
    let mut bad_sig = good.clone();
    bad_sig.signature[5] ^= 1;
    assert_code(
        try_receipt(&mut s, bad_sig),
        TxError::UNAUTHORIZED,
        "signature",
    );
    let mut changed = good.clone();
    changed.nonce += 1;
    assert_code(
        try_receipt(&mut s, changed),
        TxError::UNAUTHORIZED,
        "signature",
    );
    let other_key = ReceiptBody::new(CHAIN, [PROVIDER; 20], MODEL, &input(3), &[0, 0], 3, 1)
        .sign(&ed25519_dalek::SigningKey::from_bytes(&[8; 32]))
        .unwrap()
        .to_proto();
    assert_code(
        try_receipt(&mut s, other_key),
        TxError::UNAUTHORIZED,
        "did not register",
    );
    let wrong_chain = ReceiptBody::new("other", [PROVIDER; 20], MODEL, &input(3), &[0, 0], 3, 1)
        .sign(&worker_key())
        .unwrap()
        .to_proto();
    assert_code(
        try_receipt(&mut s, wrong_chain),
        error::WRONG_CHAIN,
        "for chain",
    );
    let wrong_model = ReceiptBody::new(CHAIN, [PROVIDER; 20], "nope", &input(3), &[0, 0], 3, 1)
        .sign(&worker_key())
        .unwrap()
        .to_proto();
    assert_code(
        try_receipt(&mut s, wrong_model),
        error::MODEL_NOT_SERVED,
        "does not serve",
    );
    let not_provider = ReceiptBody::new(CHAIN, [4; 20], MODEL, &input(3), &[0, 0], 3, 1)
        .sign(&worker_key())
        .unwrap()
        .to_proto();
    assert_code(
        try_receipt(&mut s, not_provider),
        error::UNKNOWN_PROVIDER,
        "not a registered",
    );
    let mut short = good.clone();
    short.input_hash.pop();
    assert_code(
        try_receipt(&mut s, short),
        error::INVALID_RECEIPT,
        "input_hash",
    );
    assert_code(
        execute_submit_receipt(
            &mut s,
            &ctx(2),
            &MsgSubmitReceipt {
                submitter: addr(REQUESTER).to_string(),
                receipt: None,
            },
        ),
        error::INVALID_RECEIPT,
        "required",
    );
    // A broke requester cannot settle.
    let broke = execute_submit_receipt(
        &mut s,
        &ctx(2),
        &MsgSubmitReceipt {
            submitter: addr(77).to_string(),
            receipt: Some(good),
        },
    );
    assert_eq!(broke.unwrap_err().code, code::INSUFFICIENT_FUNDS);
}

#[test]
fn a_receipt_costs_what_it_commits_to_not_todays_prices() {
    let mut s = market(0);
    let owner_before = s.balance(&addr(OWNER), "upol").unwrap();
    let requester_before = s.balance(&addr(REQUESTER), "upol").unwrap();
    // The provider triples its price in front of a receipt it already signed.
    let mut p = s.provider(&addr(PROVIDER)).unwrap().unwrap();
    let old = p.clone();
    p.price_per_inference = (3 * PROVIDER_PRICE).to_string();
    s.put_provider(&p, Some(&old)).unwrap();
    submit(&mut s, 1, 2).unwrap();
    assert_eq!(
        s.balance(&addr(REQUESTER), "upol").unwrap(),
        requester_before - PROVIDER_PRICE - MODEL_PRICE,
        "charged the committed prices"
    );
    assert_eq!(
        s.balance(&addr(OWNER), "upol").unwrap(),
        owner_before + MODEL_PRICE
    );
    // A request paid through a payment channel costs nothing more here.
    let x = input(2);
    let y = fixture().model.forward(&x).unwrap();
    let paid = ReceiptBody::new(CHAIN, [PROVIDER; 20], MODEL, &x, &y, 2, 1_700_000_000_002)
        .with_payment(crate::receipt::ReceiptPayment {
            channel_id: 4,
            amount: 1_000,
            price: PROVIDER_PRICE,
            royalty: MODEL_PRICE,
        })
        .sign(&worker_key())
        .unwrap()
        .to_proto();
    let before = s.balance(&addr(REQUESTER), "upol").unwrap();
    execute_submit_receipt(
        &mut s,
        &ctx(2),
        &MsgSubmitReceipt {
            submitter: addr(REQUESTER).to_string(),
            receipt: Some(paid),
        },
    )
    .unwrap();
    assert_eq!(s.balance(&addr(REQUESTER), "upol").unwrap(), before);
}

#[test]
fn receipts_older_than_the_age_limit_are_refused() {
    let mut s = market(0);
    // Receipt n was signed at 1_700_000_000_000 + n ms; the limit is 900 s.
    let at = |ms: i128| BlockContext {
        time_unix_nanos: ms * 1_000_000,
        ..ctx(2)
    };
    let (r, _, _) = receipt(1);
    let msg = MsgSubmitReceipt {
        submitter: addr(REQUESTER).to_string(),
        receipt: Some(r),
    };
    let too_late = at(1_700_000_000_001 + 900_001);
    assert_code(
        execute_submit_receipt(&mut s, &too_late, &msg),
        error::RECEIPT_EXPIRED,
        "at most 900 s",
    );
    execute_submit_receipt(&mut s, &at(1_700_000_000_001 + 900_000), &msg).unwrap();
}

#[test]
fn attestations_must_prove_exactly_the_receipt() {
    let mut s = market(1_000_000);
    submit(&mut s, 1, 2).unwrap();
    submit(&mut s, 2, 2).unwrap();
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    let keys = VerifyingKeys::new();
    // Obligation 1 is for whichever receipt sorts first; find its nonce.
    let nonce_of = |s: &State, id: u64| s.obligation(id).unwrap().unwrap().nonce;
    let (n1, n2) = (nonce_of(&s, 1), nonce_of(&s, 2));

    // Input that is not the receipt's.
    let mut wrong_input = attestation(1, n1);
    wrong_input.input[0] ^= 1;
    assert_code(
        execute_submit_attestation(&mut s, &ctx(3), &wrong_input, &keys),
        error::ATTESTATION_MISMATCH,
        "input does not hash",
    );
    // Output that is not the receipt's.
    let mut wrong_output = attestation(1, n1);
    wrong_output.output[0] += 1;
    assert_code(
        execute_submit_attestation(&mut s, &ctx(3), &wrong_output, &keys),
        error::ATTESTATION_MISMATCH,
        "output does not hash",
    );
    // A valid proof of the other receipt (other nonce) does not discharge this one.
    let mut swapped = attestation(1, n1);
    swapped.proof = prove(n2);
    assert_code(
        execute_submit_attestation(&mut s, &ctx(3), &swapped, &keys),
        error::INVALID_PROOF,
        "invalid proof",
    );
    // Garbage and truncated proofs.
    let mut garbage = attestation(1, n1);
    garbage.proof = vec![0xff; 128];
    assert!(execute_submit_attestation(&mut s, &ctx(3), &garbage, &keys).is_err());
    garbage.proof.truncate(100);
    assert_code(
        execute_submit_attestation(&mut s, &ctx(3), &garbage, &keys),
        error::INVALID_PROOF,
        "128",
    );
    assert_code(
        execute_submit_attestation(&mut s, &ctx(3), &attestation(99, n1), &keys),
        error::UNKNOWN_OBLIGATION,
        "does not exist",
    );
    // Past the deadline (7) it is too late even before end_block runs.
    assert_code(
        execute_submit_attestation(&mut s, &ctx(8), &attestation(1, n1), &keys),
        error::OBLIGATION_EXPIRED,
        "was due",
    );
    // Nothing above changed anything.
    assert_eq!(
        s.obligation(1).unwrap().unwrap().state,
        ObligationState::Pending as i32
    );
    execute_submit_attestation(&mut s, &ctx(7), &attestation(1, n1), &keys).unwrap();
}

#[test]
fn block_batches_and_the_check_cache_agree_with_single_verification() {
    let mut s = market(1_000_000);
    for n in 1..=4 {
        submit(&mut s, n, 2).unwrap();
    }
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    let msgs: Vec<MsgSubmitAttestation> = (1..=4)
        .map(|id| {
            let n = s.obligation(id).unwrap().unwrap().nonce;
            let mut m = attestation(id, n);
            if id == 3 {
                m.proof = prove(n + 100); // a valid proof of something else
            }
            m
        })
        .collect();
    let keys = VerifyingKeys::new();
    let refs: Vec<&MsgSubmitAttestation> = msgs.iter().collect();
    let verdicts = BlockVerdicts::precompute(&keys, &s, 3, &refs);
    assert_eq!(verdicts.batched, 4);
    let cache = CheckCache::new(keys.clone(), 2);
    for m in &msgs {
        let (_, arch, statement) = verify::statement_for(&s, m, 3).unwrap();
        let single = keys.verify(&arch, &statement, &m.proof);
        assert_eq!(verdicts.verify(&arch, &statement, &m.proof), single);
        assert_eq!(cache.verify(&arch, &statement, &m.proof), single);
        assert_eq!(single.is_ok(), m.obligation_id != 3, "{single:?}");
    }
    assert_eq!(cache.len(), 2, "bounded");
    // Executing through the block's verdicts: three discharged, the bad one refused.
    for m in &msgs {
        let r = execute_submit_attestation(&mut s, &ctx(3), m, &verdicts);
        assert_eq!(r.is_ok(), m.obligation_id != 3);
    }
}

#[test]
fn registrations_reject_bad_input() {
    let mut s = market(0);
    let c = ctx(2);
    // Architecture: duplicate, garbage key.
    assert_code(
        execute_register_architecture(
            &mut s,
            &c,
            &MsgRegisterArchitecture {
                sender: addr(OWNER).to_string(),
                verifying_key: fixture().vk.to_bytes(),
                setup: None,
            },
        ),
        error::ARCHITECTURE_EXISTS,
        "already registered",
    );
    let mut bad_key = fixture().vk.to_bytes();
    let last = bad_key.len() - 1;
    bad_key[last] ^= 0x55;
    assert!(execute_register_architecture(
        &mut s,
        &c,
        &MsgRegisterArchitecture {
            sender: addr(OWNER).to_string(),
            verifying_key: bad_key,
            setup: None,
        },
    )
    .is_err());
    // Models.
    let m = |f: &dyn Fn(&mut MsgRegisterModel)| {
        let mut msg = register_model_msg();
        msg.model_id = "second".into();
        f(&mut msg);
        msg
    };
    let commitment = error::INVALID_WEIGHT_COMMITMENT;
    for (msg, code, needle) in [
        (
            m(&|x| x.model_id = "Bad Id".into()),
            error::INVALID_MODEL_ID as fn(&'static str) -> TxError,
            "model id",
        ),
        (
            m(&|x| x.model_id = MODEL.into()),
            error::MODEL_EXISTS,
            "already registered",
        ),
        (
            m(&|x| x.architecture_id = "00".into()),
            error::UNKNOWN_ARCHITECTURE,
            "not registered",
        ),
        (
            m(&|x| x.weight_commitment = vec![0xff; 32]),
            commitment,
            "canonical",
        ),
        (
            m(&|x| x.weight_commitment = vec![1; 31]),
            commitment,
            "32 bytes",
        ),
    ] {
        assert_code(execute_register_model(&mut s, &c, &msg), code, needle);
    }
    assert_code(
        execute_register_model(&mut s, &c, &m(&|x| x.price_per_inference = "-1".into())),
        TxError::INVALID_COINS,
        "not an amount",
    );
    // Providers.
    let p = |f: &dyn Fn(&mut MsgRegisterProvider)| {
        let mut msg = register_provider_msg();
        msg.provider = addr(4).to_string();
        f(&mut msg);
        msg
    };
    let coin = |d: &str, a: &str| {
        Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: d.into(),
            amount: a.into(),
        })
    };
    for (msg, code_, needle) in [
        (
            p(&|x| x.provider = addr(PROVIDER).to_string()),
            error::PROVIDER_EXISTS as fn(&'static str) -> TxError,
            "already a provider",
        ),
        (
            p(&|x| x.endpoint = "127.0.0.1:1".into()),
            error::INVALID_ENDPOINT,
            "http",
        ),
        (
            p(&|x| x.endpoint = "http://a b".into()),
            error::INVALID_ENDPOINT,
            "spaces",
        ),
        (
            p(&|x| x.models = vec![]),
            error::INVALID_MODEL_LIST,
            "1-32 models",
        ),
        (
            p(&|x| x.models = vec!["ghost".into()]),
            error::UNKNOWN_MODEL,
            "not registered",
        ),
        (
            p(&|x| x.models = vec![MODEL.into(), MODEL.into()]),
            error::INVALID_MODEL_LIST,
            "repeat",
        ),
        (p(&|x| x.sla = None), error::INVALID_SLA, "sla"),
        (
            p(&|x| x.receipt_pubkey = vec![1; 31]),
            TxError::INVALID_PUBKEY,
            "32 bytes",
        ),
        (
            p(&|x| x.receipt_pubkey = vec![0; 32]),
            TxError::INVALID_PUBKEY,
            "small-order",
        ),
        (
            p(&|x| x.bond = coin("upol", "1")),
            error::BOND_TOO_LOW,
            "below the minimum",
        ),
        (
            p(&|x| x.bond = coin("uatom", "50000000")),
            TxError::INVALID_COINS,
            "must be in upol",
        ),
        (p(&|x| x.bond = None), TxError::INVALID_COINS, "required"),
    ] {
        assert_code(execute_register_provider(&mut s, &c, &msg), code_, needle);
    }
    let broke = p(&|x| x.provider = addr(88).to_string());
    assert_eq!(
        execute_register_provider(&mut s, &c, &broke)
            .unwrap_err()
            .code,
        code::INSUFFICIENT_FUNDS
    );
    assert!(
        s.provider(&addr(4)).unwrap().is_none(),
        "nothing was written"
    );
}

#[test]
fn deregistration_stops_service_and_returns_the_bond_after_unbonding() {
    let mut s = market(0);
    let before = balance(&s, PROVIDER);
    assert_eq!(deregister(&mut s, 5), 25);
    assert_code(
        submit(&mut s, 1, 6),
        error::PROVIDER_NOT_ACTIVE,
        "unbonding",
    );
    assert!(s
        .provider(&addr(PROVIDER))
        .unwrap()
        .is_some_and(|p| p.status == ProviderStatus::Unbonding as i32));
    end_block(&mut s, &ctx(24), &[0; 32]).unwrap();
    assert_eq!(balance(&s, PROVIDER), before);
    end_block(&mut s, &ctx(25), &[0; 32]).unwrap();
    assert_eq!(balance(&s, PROVIDER), before + BOND);
    assert!(s.provider(&addr(PROVIDER)).unwrap().is_none());
    // It may register again afresh.
    execute_register_provider(&mut s, &ctx(26), &register_provider_msg()).unwrap();
}

#[test]
fn genesis_export_then_init_reproduces_the_state() {
    let mut s = market(1_000_000);
    for n in 1..=3 {
        submit(&mut s, n, 2).unwrap();
    }
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    let n = s.obligation(1).unwrap().unwrap().nonce;
    execute_submit_attestation(&mut s, &ctx(3), &attestation(1, n), &VerifyingKeys::new()).unwrap();
    end_block(&mut s, &ctx(7), &[0; 32]).unwrap(); // 2 and 3 missed
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.obligations.len(), 3);
    assert_eq!(exported.attestations.len(), 1);
    assert_eq!(exported.faults.len(), 2);
    assert_eq!(exported.receipts.len(), 3);
    let json = serde_json::to_string(&exported).unwrap();
    let back: GenesisState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, exported);

    // Into a fresh state whose bank holds what the pools held.
    let mut fresh = StateDelta::new(MemState::default());
    for (pool, amount) in [
        (bond_pool(), s.balance(&bond_pool(), "upol").unwrap()),
        (escrow_pool(), s.balance(&escrow_pool(), "upol").unwrap()),
    ] {
        if amount > 0 {
            fresh.mint(&pool, &[Coin::new("upol", amount)]).unwrap();
        }
    }
    back.init(&mut fresh, &ctx(8)).unwrap();
    assert_eq!(GenesisState::export(&fresh).unwrap(), exported);
    // The (provider, state) index is exact, before and after the import.
    for st in [&s, &fresh] {
        let count = |state: ObligationState| {
            pol_component::state::scan(
                st,
                &state_key::obligations_of_in(&addr(PROVIDER), state as i32),
            )
            .unwrap()
            .len()
        };
        assert_eq!(count(ObligationState::Discharged), 1);
        assert_eq!(count(ObligationState::Missed), 2);
        assert_eq!(count(ObligationState::Pending), 0);
    }
    // A replayed receipt stays refused after the import.
    assert_code(
        submit(&mut fresh, 1, 9),
        error::RECEIPT_DUPLICATE,
        "already submitted",
    );

    // The pools must match the records.
    let mut short = StateDelta::new(MemState::default());
    let e = back.init(&mut short, &ctx(8)).unwrap_err();
    assert!(e.log.contains("pools hold"), "{}", e.log);
    // Tampered records are refused.
    let mut bad = back.clone();
    bad.architectures[0].id = "00".into();
    assert!(bad.validate().unwrap_err().contains("hashing"));
    let mut bad = back.clone();
    bad.attestations[0].obligation_id = 2;
    assert!(bad.validate().unwrap_err().contains("not discharged"));
}

// ---- penalties API (sla) and probe receipts -------------------------------------------

fn provider_rec(s: &State) -> pb::Provider {
    s.provider(&addr(PROVIDER)).unwrap().unwrap()
}

#[test]
fn slash_bond_burns_exactly_the_fraction_and_jails_under_the_required_bond() {
    let mut s = market(0);
    let total = supply(&s);
    // 3% of 50_000_000 = 1_500_000, burned from the bond pool.
    let r = slash_bond(&mut s, &addr(PROVIDER), 30_000).unwrap();
    assert_eq!(r.slashed, 1_500_000);
    assert_eq!(r.bond, BOND - 1_500_000);
    assert!(!r.jailed);
    assert_eq!(supply(&s), total - 1_500_000);
    assert_eq!(s.balance(&bond_pool(), "upol").unwrap(), BOND - 1_500_000);
    assert_eq!(provider_rec(&s).bond, (BOND - 1_500_000).to_string());
    // Rounds up: 1 ppm of 48_500_000 is 48.5 → 49.
    assert_eq!(slash_bond(&mut s, &addr(PROVIDER), 1).unwrap().slashed, 49);
    // Bad input writes nothing.
    assert_code(
        slash_bond(&mut s, &addr(PROVIDER), 1_000_001),
        TxError::INVALID_REQUEST,
        "above 1000000",
    );
    assert_code(
        slash_bond(&mut s, &addr(77), 10),
        error::UNKNOWN_PROVIDER,
        "not a registered provider",
    );
    // A raised requirement above what is left: the next slash jails.
    let bond_now = BOND - 1_500_000 - 49;
    for _ in 0..8 {
        raise_min_bond(&mut s, &addr(PROVIDER), 250_000).unwrap();
    }
    let required = required_bond(&provider_rec(&s), &params(0)).unwrap();
    assert!(required > bond_now, "{required}");
    let r = slash_bond(&mut s, &addr(PROVIDER), 10_000).unwrap();
    assert!(r.jailed);
    assert_eq!(provider_rec(&s).status, ProviderStatus::Jailed as i32);
    assert_code(submit(&mut s, 1, 3), error::PROVIDER_NOT_ACTIVE, "jailed");
}

#[test]
fn raised_min_bond_compounds_and_gates_reactivation_with_jail_time() {
    let mut s = market(0);
    let p0 = provider_rec(&s);
    assert_eq!(p0.min_bond, "");
    assert_eq!(required_bond(&p0, &params(0)).unwrap(), 10_000_000);
    // 10_000_000 · 1.25 = 12_500_000, then · 1.25 = 15_625_000 (compounding).
    assert_eq!(
        raise_min_bond(&mut s, &addr(PROVIDER), 250_000).unwrap(),
        12_500_000
    );
    assert_eq!(
        raise_min_bond(&mut s, &addr(PROVIDER), 250_000).unwrap(),
        15_625_000
    );
    assert_eq!(provider_rec(&s).min_bond, "15625000");
    // Params' minimum above the stored one wins.
    let mut p = params(0);
    p.min_provider_bond = 20_000_000;
    assert_eq!(required_bond(&provider_rec(&s), &p).unwrap(), 20_000_000);

    let (newly, events) = jail(&mut s, &addr(PROVIDER), 100, "sla").unwrap();
    assert!(newly);
    assert_eq!(events[0].kind, "provider_jailed");
    let p = provider_rec(&s);
    assert_eq!(p.status, ProviderStatus::Jailed as i32);
    assert_eq!(p.jailed_until_height, 100);
    // A second jail with an earlier release keeps the later one.
    let (newly, _) = jail(&mut s, &addr(PROVIDER), 50, "sla").unwrap();
    assert!(!newly);
    assert_eq!(provider_rec(&s).jailed_until_height, 100);

    let top_up = |amount: u128| MsgUpdateProvider {
        provider: addr(PROVIDER).to_string(),
        add_bond: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: "upol".into(),
            amount: amount.to_string(),
        }),
        ..Default::default()
    };
    // Bond (50M) covers the requirement, but the jail time is not over.
    execute_update_provider(&mut s, &ctx(99), &top_up(1)).unwrap();
    assert_eq!(provider_rec(&s).status, ProviderStatus::Jailed as i32);
    execute_update_provider(&mut s, &ctx(100), &top_up(1)).unwrap();
    assert_eq!(provider_rec(&s).status, ProviderStatus::Active as i32);

    // Bond under the raised requirement: time alone does not reactivate.
    for _ in 0..10 {
        raise_min_bond(&mut s, &addr(PROVIDER), 250_000).unwrap();
    }
    let required = required_bond(&provider_rec(&s), &params(0)).unwrap();
    jail(&mut s, &addr(PROVIDER), 0, "sla").unwrap();
    let bond: u128 = provider_rec(&s).bond.parse().unwrap();
    assert!(bond < required);
    execute_update_provider(&mut s, &ctx(200), &top_up(required - bond - 1)).unwrap();
    assert_eq!(provider_rec(&s).status, ProviderStatus::Jailed as i32);
    execute_update_provider(&mut s, &ctx(200), &top_up(1)).unwrap();
    assert_eq!(provider_rec(&s).status, ProviderStatus::Active as i32);

    // An unbonding provider is not jailed (it is leaving; its bond stays slashable).
    deregister(&mut s, 201);
    let (newly, events) = jail(&mut s, &addr(PROVIDER), 500, "sla").unwrap();
    assert!(!newly && events.is_empty());
    assert_eq!(provider_rec(&s).status, ProviderStatus::Unbonding as i32);
    assert!(slash_bond(&mut s, &addr(PROVIDER), 1_000).unwrap().slashed > 0);
}

/// Attack: shed penalties by leaving and registering again. Before `ProviderRecord`, the
/// record was deleted when the bond came back, so the account returned with the params'
/// minimum bond, no faults and no jail.
#[test]
fn penalties_follow_the_account_through_deregistration_and_registration() {
    let mut s = market(0);
    raise_min_bond(&mut s, &addr(PROVIDER), 500_000).unwrap();
    jail(&mut s, &addr(PROVIDER), 1_000, "sla").unwrap();
    let mut p = provider_rec(&s);
    p.faults = 3;
    p.attested = 7;
    s.put_provider(&p, Some(&provider_rec(&s))).unwrap();
    let raised = required_bond(&p, &params(0)).unwrap();
    assert_eq!(raised, 15_000_000);

    // Jailed, it leaves; the bond comes back after unbonding and the record is kept.
    let completion = deregister(&mut s, 5);
    end_block(&mut s, &ctx(completion), &[0; 32]).unwrap();
    assert!(s.provider(&addr(PROVIDER)).unwrap().is_none());
    let record = s.provider_record(&addr(PROVIDER)).unwrap().unwrap();
    assert_eq!(
        (record.faults, record.attested, record.min_bond.as_str()),
        (3, 7, "15000000")
    );
    assert_eq!(record.jailed_until_height, 1_000);
    assert_eq!(record.departed_height, completion);
    // The record is exported and imported with the rest.
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.provider_records, vec![record.clone()]);
    let mut both = exported.clone();
    both.providers.push(p.clone());
    assert!(both.validate().unwrap_err().contains("both a provider"));

    // Coming back with the params' minimum is refused: the raised minimum still holds.
    let mut msg = register_provider_msg();
    msg.bond = Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
        denom: "upol".into(),
        amount: params(0).min_provider_bond.to_string(),
    });
    assert_code(
        execute_register_provider(&mut s, &ctx(30), &msg),
        error::BOND_TOO_LOW,
        "15000000upol (raised",
    );
    // With enough bond it registers, with its faults, and jailed until its old release.
    msg.bond.as_mut().unwrap().amount = raised.to_string();
    let (_, events) = execute_register_provider(&mut s, &ctx(30), &msg).unwrap();
    let p = provider_rec(&s);
    assert_eq!(
        (p.faults, p.attested, p.min_bond.as_str()),
        (3, 7, "15000000")
    );
    assert_eq!(p.status, ProviderStatus::Jailed as i32);
    assert_eq!(p.jailed_until_height, 1_000);
    assert!(events.iter().any(|e| e.kind == "provider_jailed"));
    assert!(s.provider_record(&addr(PROVIDER)).unwrap().is_none());
    // It serves again only once the jail is over.
    let top_up = MsgUpdateProvider {
        provider: addr(PROVIDER).to_string(),
        ..Default::default()
    };
    execute_update_provider(&mut s, &ctx(999), &top_up).unwrap();
    assert_eq!(provider_rec(&s).status, ProviderStatus::Jailed as i32);
    execute_update_provider(&mut s, &ctx(1_000), &top_up).unwrap();
    assert_eq!(provider_rec(&s).status, ProviderStatus::Active as i32);
}

#[test]
fn a_missed_proof_jails_under_the_providers_raised_min_bond() {
    let mut s = market(1_000_000);
    // Requirement 50M · 1.0 … raise until it exceeds 90% of the bond: one 10% slash jails.
    while required_bond(&provider_rec(&s), &params(0)).unwrap() <= BOND - BOND / 10 {
        raise_min_bond(&mut s, &addr(PROVIDER), 500_000).unwrap();
    }
    assert_eq!(provider_rec(&s).status, ProviderStatus::Active as i32);
    submit(&mut s, 1, 2).unwrap();
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    end_block(&mut s, &ctx(7), &[0; 32]).unwrap();
    let p = provider_rec(&s);
    assert_eq!(p.bond, (BOND - BOND / 10).to_string());
    assert_eq!(
        p.status,
        ProviderStatus::Jailed as i32,
        "params' min alone would not jail"
    );
}

/// Puts `amount` upol into the community pool (the distribution module account holds it).
fn fund_community_pool(s: &mut State, amount: u128) {
    use pol_distribution::{DistributionRead, DistributionWrite};
    let coin = Coin::new("upol", amount);
    s.mint(
        &pol_distribution::module_account(),
        std::slice::from_ref(&coin),
    )
    .unwrap();
    let pool = s
        .community_pool()
        .unwrap()
        .add(&pol_component::DecCoins::from_coins(&[coin]))
        .unwrap();
    s.put_community_pool(&pool);
}

fn community_pool_upol(s: &State) -> u128 {
    use pol_distribution::DistributionRead;
    let (coins, _) = s.community_pool().unwrap().truncate_decimal().unwrap();
    coins
        .iter()
        .find(|c| c.denom == "upol")
        .map_or(0, |c| c.amount)
}

#[test]
fn probe_receipts_enter_the_draw_and_their_proofs_are_paid_from_the_community_pool() {
    let mut s = market(1_000_000);
    let reward = params(1_000_000).probe_proof_reward;
    assert!(reward > 0);
    fund_community_pool(&mut s, 2 * reward + reward / 2);
    let total = supply(&s);
    let (owner0, provider0) = (balance(&s, OWNER), balance(&s, PROVIDER));
    let (r1, _, _) = receipt(1);
    assert!(record_probe_receipt(&mut s, &ctx(2), &r1).unwrap());
    // Carried again (another validator's extension): a duplicate, nothing written.
    assert!(!record_probe_receipt(&mut s, &ctx(2), &r1).unwrap());
    // And a requester cannot settle it afterwards.
    assert_code(
        submit(&mut s, 1, 2),
        error::RECEIPT_DUPLICATE,
        "already submitted",
    );
    // Bad receipts are refused and write nothing.
    let mut bad = receipt(2).0;
    bad.signature[0] ^= 1;
    let before = s.writes().clone();
    assert_code(
        record_probe_receipt(&mut s, &ctx(2), &bad),
        TxError::UNAUTHORIZED,
        "signature",
    );
    let mut wrong_chain = receipt(3).0;
    wrong_chain.chain_id = "other".into();
    assert!(record_probe_receipt(&mut s, &ctx(2), &wrong_chain).is_err());
    assert_eq!(s.writes(), &before);
    // Probes pay no royalty.
    assert_eq!(balance(&s, OWNER), owner0);

    // Drawn: the community pool pays the proof's reward into escrow.
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    let o = s.obligation(1).unwrap().expect("sampled at 100%");
    assert_eq!(o.state, ObligationState::Pending as i32);
    assert_eq!(o.escrow, reward.to_string());
    assert_eq!(o.submitter, probe_submitter().to_string());
    assert_eq!(probe_submitter(), Address::module("latency"));
    assert_eq!(s.balance(&escrow_pool(), "upol").unwrap(), reward);
    assert_eq!(community_pool_upol(&s), reward + reward / 2);
    // Proven: discharged, the prover is paid the reward.
    execute_submit_attestation(&mut s, &ctx(3), &attestation(1, 1), &VerifyingKeys::new()).unwrap();
    assert_eq!(
        s.obligation(1).unwrap().unwrap().state,
        ObligationState::Discharged as i32
    );
    assert_eq!(balance(&s, PROVIDER), provider0 + reward);
    assert_eq!(supply(&s), total);

    // A missed probe obligation slashes like any other; its reward goes back to the pool.
    let (r4, _, _) = receipt(4);
    assert!(record_probe_receipt(&mut s, &ctx(10), &r4).unwrap());
    end_block(&mut s, &ctx(10), &[4; 32]).unwrap();
    assert_eq!(community_pool_upol(&s), reward / 2);
    end_block(&mut s, &ctx(15), &[0; 32]).unwrap();
    let o = s.obligation(2).unwrap().unwrap();
    assert_eq!(o.state, ObligationState::Missed as i32);
    assert_eq!(provider_rec(&s).bond, (BOND - BOND / 10).to_string());
    assert_eq!(supply(&s), total - BOND / 10);
    assert_eq!(community_pool_upol(&s), reward + reward / 2);
    assert_eq!(
        s.balance(&pol_distribution::module_account(), "upol")
            .unwrap(),
        reward + reward / 2
    );
    assert_eq!(s.balance(&probe_submitter(), "upol").unwrap(), 0);
    assert_eq!(s.balance(&escrow_pool(), "upol").unwrap(), 0);

    // A pool that cannot pay: the drawn probe receipt becomes no obligation.
    let mut poor = market(1_000_000);
    fund_community_pool(&mut poor, reward - 1);
    assert!(record_probe_receipt(&mut poor, &ctx(2), &receipt(6).0).unwrap());
    let events = end_block(&mut poor, &ctx(2), &[1; 32]).unwrap();
    assert!(poor.obligation(1).unwrap().is_none());
    assert!(events
        .iter()
        .any(|e| e.kind == "pol.inference.v1.EventProbeProofUnfunded"));
    assert_eq!(community_pool_upol(&poor), reward - 1);

    // Probe proofs made unpaid by governance (reward 0) are drawn with no escrow.
    let mut unpaid = market(1_000_000);
    unpaid.put_inference_params(&Params {
        probe_proof_reward: 0,
        ..params(1_000_000)
    });
    assert!(record_probe_receipt(&mut unpaid, &ctx(2), &receipt(7).0).unwrap());
    end_block(&mut unpaid, &ctx(2), &[1; 32]).unwrap();
    assert_eq!(unpaid.obligation(1).unwrap().unwrap().escrow, "0");

    // Unsampled probe receipts pay nothing and take nothing from the pool.
    let mut s = market(0);
    fund_community_pool(&mut s, reward);
    let provider0 = balance(&s, PROVIDER);
    assert!(record_probe_receipt(&mut s, &ctx(2), &receipt(5).0).unwrap());
    end_block(&mut s, &ctx(2), &[1; 32]).unwrap();
    assert!(s.obligation(1).unwrap().is_none());
    assert_eq!(balance(&s, PROVIDER), provider0);
    assert_eq!(community_pool_upol(&s), reward);
}

#[test]
fn genesis_keeps_raised_min_bonds_and_jail_times() {
    let mut s = market(0);
    raise_min_bond(&mut s, &addr(PROVIDER), 100_000).unwrap();
    jail(&mut s, &addr(PROVIDER), 42, "sla").unwrap();
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.providers[0].min_bond, "11000000");
    assert_eq!(exported.providers[0].jailed_until_height, 42);
    let json = serde_json::to_string(&exported).unwrap();
    let back: GenesisState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, exported);
    let mut bad = back.clone();
    bad.providers[0].min_bond = "x".into();
    assert!(bad.validate().unwrap_err().contains("min_bond"));
}

#[test]
fn invariants_report_escrow_out_of_step_and_an_overdue_obligation() {
    let mut s = market(1_000_000);
    let h = 2;
    submit(&mut s, 1, h).unwrap();
    end_block(&mut s, &ctx(h), &[0; 32]).unwrap();
    let o = s.obligation(1).unwrap().unwrap();
    assert_eq!(
        crate::invariants::invariants(&s, h).unwrap(),
        Vec::<String>::new()
    );
    // Still pending at its deadline height (end block settles it there).
    let overdue = crate::invariants::invariants(&s, o.deadline_height).unwrap();
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert!(overdue[0].contains("past its deadline"), "{overdue:?}");
    // Escrow that no obligation holds.
    s.mint(&crate::escrow_pool(), &[Coin::new("upol", 1)])
        .unwrap();
    let broken = crate::invariants::invariants(&s, h).unwrap();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].starts_with("the escrow pool holds"), "{broken:?}");
}

#[test]
fn events_come_typed_and_legacy_from_one_message() {
    let mut s = market(1_000_000);
    let mut msg = register_provider_msg();
    msg.provider = addr(4).to_string();
    let (_, events) = execute_register_provider(&mut s, &ctx(2), &msg).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let at = |kind: &str| {
        events
            .iter()
            .position(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} event in {kinds:?}"))
    };
    // The legacy event indexers read: plain values, declaration order.
    let legacy = &events[at("register_provider")];
    let bond = format!("{BOND}upol");
    assert_eq!(
        legacy.attributes,
        [
            ("provider".to_string(), addr(4).to_string()),
            ("endpoint".to_string(), "http://127.0.0.1:7000".to_string()),
            ("models".to_string(), MODEL.to_string()),
            ("bond".to_string(), bond.clone()),
            ("returning".to_string(), "false".to_string()),
        ]
    );
    // Right after it, the typed event as the Cosmos SDK emits one: the full message name,
    // keys sorted, proto3 JSON values.
    let typed = &events[at("pol.inference.v1.EventRegisterProvider")];
    assert_eq!(
        at("pol.inference.v1.EventRegisterProvider"),
        at("register_provider") + 1
    );
    let json = |v: serde_json::Value| v.to_string();
    assert_eq!(
        typed.attributes,
        [
            ("bond".to_string(), json(serde_json::json!(bond))),
            (
                "endpoint".to_string(),
                json(serde_json::json!("http://127.0.0.1:7000"))
            ),
            ("models".to_string(), json(serde_json::json!([MODEL]))),
            (
                "provider".to_string(),
                json(serde_json::json!(addr(4).to_string()))
            ),
            ("returning".to_string(), json(serde_json::json!(false))),
        ]
    );
    // 64-bit numbers are JSON strings in the typed event, plain in the legacy one.
    let (_, events) = execute_deregister_provider(
        &mut s,
        &ctx(3),
        &MsgDeregisterProvider {
            provider: addr(4).to_string(),
        },
    )
    .unwrap();
    let find = |kind: &str| events.iter().find(|e| e.kind == kind).unwrap();
    let completion = (3 + params(0).provider_unbonding_blocks).to_string();
    assert_eq!(
        find("deregister_provider").attributes[1],
        ("completion_height".to_string(), completion.clone())
    );
    assert_eq!(
        find("pol.inference.v1.EventDeregisterProvider").attributes[0],
        ("completion_height".to_string(), format!("\"{completion}\""))
    );
}
