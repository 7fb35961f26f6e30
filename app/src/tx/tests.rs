//! The transaction pipeline against real storage: every rejection, and what each leaves behind.

use crate::modules::Modules;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, TxBody, TxRaw};
use pol_auth::AuthRead;
use pol_bank::{BankRead, BankWrite};
use pol_component::coins::Coin;
use pol_component::error::code;
use pol_component::gas::GasSchedule;
use pol_component::{Address, BlockContext};
use pol_store::{Snapshot, StateDelta, Storage, StorageConfig};
use prost::Message;

use super::{execute_tx, ExecMode, TxLimits};
use pol_client::{sign_tx, SendTx, SignerKey};
use pol_component::GasPrice;

const CHAIN: &str = "pol-unit-1";
const LIMITS: TxLimits = TxLimits {
    max_tx_bytes: 4096,
    max_memo_characters: 16,
    max_gas: 1_000_000,
};

struct Fixture {
    _dir: tempfile::TempDir,
    state: StateDelta<Snapshot>,
    alice: SignerKey,
    bob: Address,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
    let mut state = StateDelta::new(storage.latest_snapshot());
    let alice = SignerKey::random();
    state
        .mint(&alice.address(), &[Coin::new("upol", 1_000_000)])
        .unwrap();
    Fixture {
        _dir: dir,
        state,
        alice,
        bob: Address([9; 20]),
    }
}

fn ctx(height: u64) -> BlockContext {
    BlockContext {
        chain_id: CHAIN.into(),
        height,
        time_unix_nanos: 0,
    }
}

fn send(_key: &SignerKey, to: Address, amount: u128, fee: u128, seq: u64) -> SendTx {
    SendTx {
        to,
        amount: vec![Coin::new("upol", amount).to_proto()],
        fee: vec![Coin::new("upol", fee).to_proto()],
        gas_limit: 200_000,
        memo: String::new(),
        chain_id: CHAIN.into(),
        account_number: 0,
        sequence: seq,
    }
}

fn deliver(f: &mut Fixture, tx: &[u8]) -> super::TxOutcome {
    execute_tx(
        &mut f.state,
        &ctx(5),
        tx,
        &LIMITS,
        Modules::pol(),
        &ExecMode::Deliver,
        GasSchedule::default(),
        &Modules::pol().mempool_env(),
    )
}

fn check(f: &mut Fixture, tx: &[u8], price: &str) -> super::TxOutcome {
    let mode = ExecMode::Check {
        min_gas_price: Some(price.parse::<GasPrice>().unwrap()),
        recheck: false,
    };
    execute_tx(
        &mut f.state,
        &ctx(5),
        tx,
        &LIMITS,
        Modules::pol(),
        &mode,
        GasSchedule::default(),
        &Modules::pol().mempool_env(),
    )
}

#[test]
fn good_send_charges_fee_bumps_sequence_and_records_pubkey() {
    let mut f = fixture();
    let tx = send(&f.alice, f.bob, 100, 10, 0).sign(&f.alice);
    let out = deliver(&mut f, &tx);
    assert_eq!(out.code, 0, "{}", out.log);
    assert!(out.gas_used > 0 && out.gas_used < 200_000);
    assert_eq!(
        f.state.balance(&f.alice.address(), "upol").unwrap(),
        1_000_000 - 110
    );
    assert_eq!(f.state.balance(&f.bob, "upol").unwrap(), 100);
    let acc = f.state.account(&f.alice.address()).unwrap().unwrap();
    assert_eq!(acc.sequence, 1);
    assert!(acc.pub_key.is_some());
    assert_eq!(f.state.supply_of("upol").unwrap(), 1_000_000);
}

#[test]
fn failed_message_in_a_block_keeps_fee_and_sequence_only() {
    let mut f = fixture();
    let tx = send(&f.alice, f.bob, 2_000_000, 10, 0).sign(&f.alice);
    let out = deliver(&mut f, &tx);
    assert_eq!(out.code, code::INSUFFICIENT_FUNDS, "{}", out.log);
    assert_eq!(
        f.state.balance(&f.alice.address(), "upol").unwrap(),
        1_000_000 - 10
    );
    assert_eq!(f.state.balance(&f.bob, "upol").unwrap(), 0);
    assert_eq!(
        f.state
            .account(&f.alice.address())
            .unwrap()
            .unwrap()
            .sequence,
        1
    );
}

#[test]
fn failed_message_in_check_leaves_no_trace() {
    let mut f = fixture();
    let before = f.state.writes().clone();
    let tx = send(&f.alice, f.bob, 2_000_000, 5000, 0).sign(&f.alice);
    assert_eq!(
        check(&mut f, &tx, "0.025upol").code,
        code::INSUFFICIENT_FUNDS
    );
    assert_eq!(f.state.writes(), &before);
}

#[test]
fn rejections_before_messages_change_nothing() {
    let mut f = fixture();
    let before = f.state.writes().clone();
    let alice = f.alice.clone();
    let bob = f.bob;

    // Wrong chain-id in the sign doc.
    let mut s = send(&alice, bob, 1, 10, 0);
    s.chain_id = "other".into();
    let out = deliver(&mut f, &s.sign(&alice));
    assert_eq!(out.code, code::UNAUTHORIZED, "{}", out.log);

    // Wrong account number.
    let mut s = send(&alice, bob, 1, 10, 0);
    s.account_number = 7;
    assert_eq!(deliver(&mut f, &s.sign(&alice)).code, code::UNAUTHORIZED);

    // Future sequence.
    assert_eq!(
        deliver(&mut f, &send(&alice, bob, 1, 10, 3).sign(&alice)).code,
        code::WRONG_SEQUENCE
    );

    // Someone else's key signing for alice.
    let mallory = SignerKey::random();
    let msg = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: alice.address().to_string(),
        to_address: bob.to_string(),
        amount: vec![Coin::new("upol", 1).to_proto()],
    };
    let any = tendermint_proto::google::protobuf::Any {
        type_url: pol_bank::MSG_SEND_TYPE_URL.into(),
        value: msg.encode_to_vec(),
    };
    let forged = sign_tx(
        &mallory,
        vec![any],
        "",
        vec![Coin::new("upol", 10).to_proto()],
        200_000,
        CHAIN,
        0,
        0,
    );
    assert_eq!(deliver(&mut f, &forged).code, code::INVALID_PUBKEY);

    // High-S twin of a valid signature (malleability).
    let good = send(&alice, bob, 1, 10, 0).sign(&alice);
    let mut raw = TxRaw::decode(good.as_slice()).unwrap();
    let sig = k256::ecdsa::Signature::from_slice(&raw.signatures[0]).unwrap();
    let (r, s_scalar) = sig.split_scalars();
    let high = k256::ecdsa::Signature::from_scalars(r, -*s_scalar).unwrap();
    raw.signatures[0] = high.to_bytes().to_vec();
    let out = deliver(&mut f, &raw.encode_to_vec());
    assert_eq!(out.code, code::UNAUTHORIZED, "{}", out.log);
    assert!(out.log.contains("low-S"), "{}", out.log);

    // Memo too long, gas limit zero and above the block's, oversized tx, no signature, garbage.
    let mut s = send(&alice, bob, 1, 10, 0);
    s.memo = "x".repeat(17);
    assert_eq!(deliver(&mut f, &s.sign(&alice)).code, code::MEMO_TOO_LARGE);
    let mut s = send(&alice, bob, 1, 10, 0);
    s.gas_limit = 0;
    assert_eq!(
        deliver(&mut f, &s.sign(&alice)).code,
        code::INVALID_GAS_LIMIT
    );
    s.gas_limit = LIMITS.max_gas + 1;
    assert_eq!(
        deliver(&mut f, &s.sign(&alice)).code,
        code::INVALID_GAS_LIMIT
    );
    let mut s = send(&alice, bob, 1, 10, 0);
    s.memo = String::new();
    let mut big = TxRaw::decode(s.sign(&alice).as_slice()).unwrap();
    big.signatures.push(vec![0; 5000]);
    assert_eq!(
        deliver(&mut f, &big.encode_to_vec()).code,
        code::TX_TOO_LARGE
    );
    let mut nosig = TxRaw::decode(good.as_slice()).unwrap();
    nosig.signatures.clear();
    assert_eq!(
        deliver(&mut f, &nosig.encode_to_vec()).code,
        code::NO_SIGNATURES
    );
    assert_eq!(
        deliver(&mut f, b"\x0a\x05hello garbage").code,
        code::TX_DECODE
    );

    // Unknown message type.
    let mut body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    body.messages[0].type_url = "/cosmos.nft.v1beta1.MsgSend".into();
    let mut unknown = TxRaw::decode(good.as_slice()).unwrap();
    unknown.body_bytes = body.encode_to_vec();
    assert_eq!(
        deliver(&mut f, &unknown.encode_to_vec()).code,
        code::UNKNOWN_REQUEST
    );

    // Fee payer set.
    let mut auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    auth.fee.as_mut().unwrap().payer = bob.to_string();
    let mut payer = TxRaw::decode(good.as_slice()).unwrap();
    payer.auth_info_bytes = auth.encode_to_vec();
    assert_eq!(
        deliver(&mut f, &payer.encode_to_vec()).code,
        code::INVALID_REQUEST
    );

    assert_eq!(f.state.writes(), &before, "a rejected tx wrote to state");
}

#[test]
fn fee_floor_applies_in_check_only_and_unpayable_fee_is_rejected() {
    let mut f = fixture();
    let alice = f.alice.clone();
    let tx = send(&alice, f.bob, 1, 10, 0).sign(&alice);
    let out = check(&mut f, &tx, "0.025upol");
    assert_eq!(out.code, code::INSUFFICIENT_FEE, "{}", out.log);
    // The same tx is valid in a block: the floor is node-local, not consensus.
    assert_eq!(deliver(&mut f, &tx).code, 0);
    // A fee larger than the balance.
    let tx = send(&alice, f.bob, 1, 5_000_000, 1).sign(&alice);
    assert_eq!(deliver(&mut f, &tx).code, code::INSUFFICIENT_FUNDS);
}

#[test]
fn out_of_gas_drops_the_messages() {
    let mut f = fixture();
    let alice = f.alice.clone();
    let mut s = send(&alice, f.bob, 1, 10, 0);
    // Enough for ante (size + signature + account I/O), not for the transfer's writes.
    s.gas_limit = 9_000;
    let out = deliver(&mut f, &s.sign(&alice));
    assert_eq!(out.code, code::OUT_OF_GAS, "{}", out.log);
    assert_eq!(f.state.balance(&f.bob, "upol").unwrap(), 0);
}

#[test]
fn timeout_height_is_enforced() {
    let mut f = fixture();
    let alice = f.alice.clone();
    let msg = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: alice.address().to_string(),
        to_address: f.bob.to_string(),
        amount: vec![Coin::new("upol", 1).to_proto()],
    };
    let body = TxBody {
        messages: vec![tendermint_proto::google::protobuf::Any {
            type_url: pol_bank::MSG_SEND_TYPE_URL.into(),
            value: msg.encode_to_vec(),
        }],
        timeout_height: 4,
        ..Default::default()
    };
    let signed = sign_tx(
        &alice,
        body.messages.clone(),
        "",
        vec![Coin::new("upol", 10).to_proto()],
        200_000,
        CHAIN,
        0,
        0,
    );
    // Re-sign with the timeout in the body: rebuild through TxRaw.
    let mut raw = TxRaw::decode(signed.as_slice()).unwrap();
    raw.body_bytes = body.encode_to_vec();
    let doc = cosmos_sdk_proto::cosmos::tx::v1beta1::SignDoc {
        body_bytes: raw.body_bytes.clone(),
        auth_info_bytes: raw.auth_info_bytes.clone(),
        chain_id: CHAIN.into(),
        account_number: 0,
    };
    raw.signatures = vec![alice.sign(&doc.encode_to_vec())];
    let out = deliver(&mut f, &raw.encode_to_vec()); // block height 5 > 4
    assert_eq!(out.code, code::TX_TIMEOUT_HEIGHT, "{}", out.log);
}

#[test]
fn recheck_skips_only_the_signature() {
    let mut f = fixture();
    let alice = f.alice.clone();
    let price: GasPrice = "0.025upol".parse().unwrap();
    let recheck = ExecMode::Check {
        min_gas_price: Some(price.clone()),
        recheck: true,
    };
    let good = send(&alice, f.bob, 1, 5000, 0).sign(&alice);
    let mut raw = TxRaw::decode(good.as_slice()).unwrap();
    raw.signatures[0][5] ^= 1;
    let forged = raw.encode_to_vec();
    // A first check verifies the signature…
    let first = execute_tx(
        &mut f.state,
        &ctx(5),
        &forged,
        &LIMITS,
        Modules::pol(),
        &ExecMode::Check {
            min_gas_price: Some(price),
            recheck: false,
        },
        GasSchedule::default(),
        &Modules::pol().mempool_env(),
    );
    assert_eq!(first.code, code::UNAUTHORIZED);
    // …a recheck does not, but still checks the sequence and fee against current state.
    assert_eq!(
        execute_tx(
            &mut f.state,
            &ctx(5),
            &forged,
            &LIMITS,
            Modules::pol(),
            &recheck,
            GasSchedule::default(),
            &Modules::pol().mempool_env(),
        )
        .code,
        0
    );
    assert_eq!(
        execute_tx(
            &mut f.state,
            &ctx(5),
            &good,
            &LIMITS,
            Modules::pol(),
            &recheck,
            GasSchedule::default(),
            &Modules::pol().mempool_env(),
        )
        .code,
        code::WRONG_SEQUENCE
    );
    // And a block never skips it.
    let mut g = fixture();
    let tx = send(&g.alice, g.bob, 1, 5000, 0).sign(&g.alice.clone());
    let mut raw = TxRaw::decode(tx.as_slice()).unwrap();
    raw.signatures[0][5] ^= 1;
    assert_eq!(
        deliver(&mut g, &raw.encode_to_vec()).code,
        code::UNAUTHORIZED
    );
}

/// Lower fees for reputation: an active provider signing its own transaction needs less
/// than the node's minimum fee, by its reputation; nobody else does, and a jailed provider
/// or one at the starting reputation gets nothing.
#[test]
fn a_reputable_provider_pays_a_lower_minimum_fee_and_nobody_else_does() {
    use pol_inference::pb::{Provider, ProviderStatus};
    use pol_inference::InferenceWrite;
    use pol_reputation::ReputationWrite;
    let mut f = fixture();
    let alice = f.alice.clone();
    // 200,000 gas at 0.025 is 5,000; half of it is refused from anyone.
    let half = |f: &Fixture, seq| send(&alice, f.bob, 1, 2_500, seq).sign(&alice);
    let tx = half(&f, 0);
    assert_eq!(check(&mut f, &tx, "0.025upol").code, code::INSUFFICIENT_FEE);
    // Alice becomes an active provider of full reputation: the default 50 % discount.
    let provider = Provider {
        address: alice.address().to_string(),
        models: vec!["m".into()],
        status: ProviderStatus::Active as i32,
        ..Default::default()
    };
    f.state.put_provider(&provider, None).unwrap();
    let mut reputation = pol_reputation::pb::ProviderReputation {
        provider: alice.address().to_string(),
        reputation_ppm: 1_000_000,
        ..Default::default()
    };
    f.state
        .put_provider_reputation(&alice.address(), &reputation);
    let out = check(&mut f, &tx, "0.025upol");
    assert_eq!(out.code, 0, "{}", out.log);
    // Less than half is still refused, and says why.
    let less = send(&alice, f.bob, 1, 2_499, 1).sign(&alice);
    let out = check(&mut f, &less, "0.025upol");
    assert_eq!(out.code, code::INSUFFICIENT_FEE);
    assert!(out.log.contains("reputation discount"), "{}", out.log);
    // At three quarters of the way from 500,000 to 10⁶: 37.5 % off.
    reputation.reputation_ppm = 875_000;
    f.state
        .put_provider_reputation(&alice.address(), &reputation);
    let tx = send(&alice, f.bob, 1, 3_125, 1).sign(&alice);
    assert_eq!(check(&mut f, &tx, "0.025upol").code, 0);
    // At the starting reputation, or jailed: the full fee.
    reputation.reputation_ppm = 500_000;
    f.state
        .put_provider_reputation(&alice.address(), &reputation);
    let tx = half(&f, 2);
    assert_eq!(check(&mut f, &tx, "0.025upol").code, code::INSUFFICIENT_FEE);
    reputation.reputation_ppm = 1_000_000;
    f.state
        .put_provider_reputation(&alice.address(), &reputation);
    let jailed = Provider {
        status: ProviderStatus::Jailed as i32,
        ..provider.clone()
    };
    f.state.put_provider(&jailed, Some(&provider)).unwrap();
    assert_eq!(check(&mut f, &tx, "0.025upol").code, code::INSUFFICIENT_FEE);
}
