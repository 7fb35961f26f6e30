//! Unit tests of every message and rejection over an in-memory state, the expiry sweep,
//! genesis, and a seeded property test over random sequences of every message, block ends
//! and worker crashes that checks no money is created, lost or locked.

use ed25519_dalek::SigningKey;
use pol_bank::{BankRead, BankWrite};
use pol_component::coins::Coin;
use pol_component::error::code;
use pol_component::{Address, BlockContext, Module as _, ModuleGenesis as _, TxError};
use pol_inference::pb::{Model, Provider, ProviderStatus};
use pol_inference::InferenceWrite;
use pol_store::{MemState, StateDelta, StateWrite};

type State = StateDelta<MemState>;
use rand::{Rng, SeedableRng};

use crate::msg::*;
use crate::pb::{self, ChannelState};
use crate::view::{PaymentsRead, PaymentsWrite};
use crate::*;

const CHAIN: &str = "pol-test-1";
const MODEL: &str = "tiny";
const DENOM: &str = "upol";
const FUNDS: u128 = 1_000_000_000;
const OWNER: u8 = 1;
const PROVIDER: u8 = 2;
const REQUESTER: u8 = 3;
const OTHER: u8 = 4;
const PROVIDER_B: u8 = 5;

fn addr(b: u8) -> Address {
    Address([b; 20])
}

fn ctx(height: u64) -> BlockContext {
    BlockContext {
        chain_id: CHAIN.into(),
        height,
        time_unix_nanos: 0,
    }
}

fn signer(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn params() -> Params {
    Params {
        min_deposit: 100,
        min_duration_blocks: 20,
        max_duration_blocks: 1_000,
        close_grace_blocks: 10,
        ..Params::default()
    }
}

fn provider(b: u8, status: ProviderStatus) -> Provider {
    Provider {
        address: addr(b).to_string(),
        endpoint: "http://127.0.0.1:1".into(),
        models: vec![MODEL.into()],
        price_per_inference: "10".into(),
        receipt_pubkey: vec![0; 32],
        bond: "0".into(),
        status: status as i32,
        ..Default::default()
    }
}

/// Params, funds for everyone, a model owned by OWNER, active providers PROVIDER and
/// PROVIDER_B serving it, and a jailed one (OTHER).
fn market() -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_payments_params(&params());
    for b in 1..=6 {
        s.mint(&addr(b), &[Coin::new(DENOM, FUNDS)]).unwrap();
    }
    s.put_model(&Model {
        id: MODEL.into(),
        owner: addr(OWNER).to_string(),
        price_per_inference: "3".into(),
        ..Default::default()
    });
    for (b, st) in [
        (PROVIDER, ProviderStatus::Active),
        (PROVIDER_B, ProviderStatus::Active),
        (OTHER, ProviderStatus::Jailed),
    ] {
        s.put_provider(&provider(b, st), None).unwrap();
    }
    s
}

fn open_msg(deposit: u128, expiry: u64) -> MsgOpenChannel {
    MsgOpenChannel {
        requester: addr(REQUESTER).to_string(),
        provider: addr(PROVIDER).to_string(),
        model_id: MODEL.into(),
        signer: signer(7).verifying_key().to_bytes().to_vec(),
        deposit: Some(Coin::new(DENOM, deposit).to_proto()),
        expiry_height: expiry,
    }
}

fn open(s: &mut State, deposit: u128, expiry: u64) -> u64 {
    execute_open_channel(s, &ctx(10), &open_msg(deposit, expiry))
        .unwrap()
        .0
        .channel_id
}

fn pay(channel: u64, amount: u128, royalty: u128) -> pb::Payment {
    SignedPayment::sign(CHAIN, channel, amount, royalty, &signer(7))
        .unwrap()
        .to_proto()
}

fn claim_msg(payment: pb::Payment, close: bool) -> MsgClaimPayment {
    MsgClaimPayment {
        provider: addr(PROVIDER).to_string(),
        payment: Some(payment),
        close,
    }
}

fn bal(s: &State, b: u8) -> u128 {
    s.balance(&addr(b), DENOM).unwrap()
}

fn escrow(s: &State) -> u128 {
    s.balance(&escrow_account(), DENOM).unwrap()
}

/// `f` fails with `(codespace, code)` and the state is exactly as before.
fn rejects<T: std::fmt::Debug>(
    s: &mut State,
    codespace: &str,
    code: u32,
    f: impl FnOnce(&mut State) -> Result<T, TxError>,
) -> String {
    let before = s.writes().clone();
    let e = f(s).unwrap_err();
    assert_eq!((e.codespace, e.code), (codespace, code), "{e}");
    assert!(
        *s.writes() == before,
        "a rejected message changed state: {e}"
    );
    e.log
}

fn invariants_hold(s: &State, height: u64) {
    let broken = PaymentsModule.invariants(s, height).unwrap();
    assert!(broken.is_empty(), "{broken:?}");
}

#[test]
fn opening_escrows_the_deposit_and_indexes_the_channel() {
    let mut s = market();
    let (resp, events) = execute_open_channel(&mut s, &ctx(10), &open_msg(5_000, 500)).unwrap();
    assert_eq!(resp.channel_id, 1);
    assert!(events
        .iter()
        .any(|e| e.kind == "pol.payments.v1.EventChannelOpened"));
    assert_eq!(bal(&s, REQUESTER), FUNDS - 5_000);
    assert_eq!(escrow(&s), 5_000);
    let c = s.channel(1).unwrap().unwrap();
    assert_eq!(
        (
            c.deposit.as_str(),
            c.claimed.as_str(),
            c.expiry_height,
            c.state
        ),
        ("5000", "0", 500, ChannelState::Open as i32)
    );
    assert_eq!(open(&mut s, 100, 30), 2, "ids count up");
    invariants_hold(&s, 10);
}

#[test]
fn opening_refuses_every_bad_request() {
    let mut s = market();
    let m = open_msg(5_000, 500);
    let c = ctx(10);
    let sdk = pol_component::error::SDK_CODESPACE;
    let with = |f: fn(&mut MsgOpenChannel)| {
        let mut m = m.clone();
        f(&mut m);
        m
    };
    for (msg, space, code) in [
        (
            with(|m| m.requester = "pol1nope".into()),
            sdk,
            code::INVALID_ADDRESS,
        ),
        (with(|m| m.signer = vec![1; 31]), sdk, code::INVALID_PUBKEY),
        (
            with(|m| {
                m.signer = {
                    let mut b = vec![0; 32];
                    b[0] = 1; // the identity: small order
                    b
                }
            }),
            sdk,
            code::INVALID_PUBKEY,
        ),
        (
            with(|m| m.provider = addr(6).to_string()),
            error::CODESPACE,
            error::code::PROVIDER_UNAVAILABLE,
        ),
        (
            with(|m| m.provider = addr(OTHER).to_string()),
            error::CODESPACE,
            error::code::PROVIDER_UNAVAILABLE,
        ),
        (
            with(|m| m.model_id = "other".into()),
            error::CODESPACE,
            error::code::PROVIDER_UNAVAILABLE,
        ),
        (
            with(|m| m.deposit = Some(Coin::new("uatom", 5_000).to_proto())),
            error::CODESPACE,
            error::code::INVALID_DEPOSIT,
        ),
        (
            with(|m| m.deposit = Some(Coin::new(DENOM, 99).to_proto())),
            error::CODESPACE,
            error::code::INVALID_DEPOSIT,
        ),
        (with(|m| m.deposit = None), sdk, code::INVALID_COINS),
        (
            with(|m| m.deposit = Some(Coin::new(DENOM, FUNDS + 1).to_proto())),
            sdk,
            code::INSUFFICIENT_FUNDS,
        ),
        (
            with(|m| m.expiry_height = 29),
            error::CODESPACE,
            error::code::INVALID_EXPIRY,
        ),
        (
            with(|m| m.expiry_height = 1_011),
            error::CODESPACE,
            error::code::INVALID_EXPIRY,
        ),
    ] {
        rejects(&mut s, space, code, |s| execute_open_channel(s, &c, &msg));
    }
    // The bounds themselves are fine.
    execute_open_channel(&mut s, &c, &with(|m| m.expiry_height = 30)).unwrap();
    execute_open_channel(&mut s, &c, &with(|m| m.expiry_height = 1_010)).unwrap();
}

#[test]
fn claims_pay_the_provider_and_the_owner_exactly_what_was_signed_beyond_earlier_claims() {
    let mut s = market();
    let id = open(&mut s, 1_000, 500);
    // 30 inferences at 10 + 3 royalty, settled in one claim.
    let (r, events) =
        execute_claim_payment(&mut s, &ctx(11), &claim_msg(pay(id, 390, 90), false)).unwrap();
    assert_eq!(
        (r.paid_provider.as_str(), r.paid_royalty.as_str()),
        ("300", "90")
    );
    assert!(events
        .iter()
        .any(|e| e.kind == "pol.payments.v1.EventPaymentClaimed"));
    assert_eq!(bal(&s, PROVIDER), FUNDS + 300);
    assert_eq!(bal(&s, OWNER), FUNDS + 90);
    assert_eq!(escrow(&s), 610);
    // Ten more: only the difference moves.
    let (r, _) =
        execute_claim_payment(&mut s, &ctx(12), &claim_msg(pay(id, 520, 120), false)).unwrap();
    assert_eq!(
        (r.paid_provider.as_str(), r.paid_royalty.as_str()),
        ("100", "30")
    );
    assert_eq!(bal(&s, PROVIDER), FUNDS + 400);
    assert_eq!(bal(&s, OWNER), FUNDS + 120);
    assert_eq!(bal(&s, REQUESTER), FUNDS - 1_000);
    invariants_hold(&s, 12);
}

#[test]
fn claims_refuse_forged_replayed_stale_and_overspent_payments() {
    let mut s = market();
    let id = open(&mut s, 1_000, 500);
    let id2 = open(&mut s, 1_000, 500);
    execute_claim_payment(&mut s, &ctx(11), &claim_msg(pay(id, 390, 90), false)).unwrap();
    let c = ctx(12);
    let ps = error::CODESPACE;
    let forged = {
        let mut p = pay(id, 500, 100);
        p.amount = "900".into();
        p
    };
    let other_key = SignedPayment::sign(CHAIN, id, 500, 100, &signer(8))
        .unwrap()
        .to_proto();
    let other_chain = SignedPayment::sign("pol-other", id, 500, 100, &signer(7))
        .unwrap()
        .to_proto();
    // A payment for channel 1, replayed against channel 2.
    let replayed_elsewhere = {
        let mut p = pay(id, 500, 100);
        p.channel_id = id2;
        p
    };
    for (m, code) in [
        (claim_msg(forged, false), error::code::INVALID_PAYMENT),
        (claim_msg(other_key, false), error::code::INVALID_PAYMENT),
        (claim_msg(other_chain, false), error::code::INVALID_PAYMENT),
        (
            claim_msg(replayed_elsewhere, false),
            error::code::INVALID_PAYMENT,
        ),
        (
            MsgClaimPayment {
                payment: None,
                ..claim_msg(pay(id, 1, 0), false)
            },
            error::code::INVALID_PAYMENT,
        ),
        (
            claim_msg(
                pb::Payment {
                    signature: vec![0; 10],
                    ..pay(id, 500, 100)
                },
                false,
            ),
            error::code::INVALID_PAYMENT,
        ),
        (
            claim_msg(pay(id, 1_001, 100), false),
            error::code::PAYMENT_EXCEEDS_DEPOSIT,
        ),
        // The same payment again, an older one, and ones that shrink either share.
        (
            claim_msg(pay(id, 390, 90), false),
            error::code::STALE_PAYMENT,
        ),
        (
            claim_msg(pay(id, 380, 80), false),
            error::code::STALE_PAYMENT,
        ),
        (
            claim_msg(pay(id, 400, 80), false),
            error::code::STALE_PAYMENT,
        ),
        (
            claim_msg(pay(id, 400, 150), false),
            error::code::STALE_PAYMENT,
        ),
        (
            claim_msg(pay(99, 10, 0), false),
            error::code::UNKNOWN_CHANNEL,
        ),
        (
            MsgClaimPayment {
                provider: addr(PROVIDER_B).to_string(),
                ..claim_msg(pay(id, 500, 100), false)
            },
            error::code::NOT_CHANNEL_PARTY,
        ),
    ] {
        rejects(&mut s, ps, code, |s| execute_claim_payment(s, &c, &m));
    }
    invariants_hold(&s, 12);
}

#[test]
fn a_cooperative_close_pays_the_claim_and_returns_the_rest() {
    let mut s = market();
    let id = open(&mut s, 1_000, 500);
    execute_claim_payment(&mut s, &ctx(11), &claim_msg(pay(id, 130, 30), true)).unwrap();
    assert_eq!(bal(&s, PROVIDER), FUNDS + 100);
    assert_eq!(bal(&s, OWNER), FUNDS + 30);
    assert_eq!(bal(&s, REQUESTER), FUNDS - 130);
    assert_eq!(escrow(&s), 0);
    assert!(s.channel(id).unwrap().is_none());
    rejects(
        &mut s,
        error::CODESPACE,
        error::code::UNKNOWN_CHANNEL,
        |s| execute_claim_payment(s, &ctx(12), &claim_msg(pay(id, 260, 60), false)),
    );
    // A close with nothing new to claim is allowed (the provider just lets go).
    let id = open(&mut s, 1_000, 500);
    execute_claim_payment(&mut s, &ctx(12), &claim_msg(pay(id, 0, 0), true)).unwrap();
    assert_eq!(bal(&s, REQUESTER), FUNDS - 130);
    invariants_hold(&s, 12);
}

#[test]
fn funding_tops_up_and_extends_but_never_shortens() {
    let mut s = market();
    let id = open(&mut s, 1_000, 500);
    let fund = |amount: u128, expiry: u64| MsgFundChannel {
        requester: addr(REQUESTER).to_string(),
        channel_id: id,
        amount: (amount > 0).then(|| Coin::new(DENOM, amount).to_proto()),
        expiry_height: expiry,
    };
    execute_fund_channel(&mut s, &ctx(20), &fund(500, 0)).unwrap();
    execute_fund_channel(&mut s, &ctx(20), &fund(0, 900)).unwrap();
    let c = s.channel(id).unwrap().unwrap();
    assert_eq!((c.deposit.as_str(), c.expiry_height), ("1500", 900));
    assert_eq!(escrow(&s), 1_500);
    // The old expiry's index entry went with it: nothing settles at 500.
    s.put_raw(b"probe".to_vec(), vec![1]);
    crate::end_block::end_block(&mut s, &ctx(500)).unwrap();
    assert!(s.channel(id).unwrap().is_some());
    let ps = error::CODESPACE;
    let sdk = pol_component::error::SDK_CODESPACE;
    for (m, space, code) in [
        (fund(0, 800), ps, error::code::INVALID_EXPIRY),
        (fund(0, 1_021), ps, error::code::INVALID_EXPIRY),
        (fund(0, 0), sdk, code::INVALID_REQUEST),
        (
            MsgFundChannel {
                channel_id: 99,
                ..fund(1, 0)
            },
            ps,
            error::code::UNKNOWN_CHANNEL,
        ),
        (
            MsgFundChannel {
                requester: addr(OTHER).to_string(),
                ..fund(1, 0)
            },
            ps,
            error::code::NOT_CHANNEL_PARTY,
        ),
        (
            MsgFundChannel {
                amount: Some(Coin::new("uatom", 5).to_proto()),
                ..fund(0, 0)
            },
            ps,
            error::code::INVALID_DEPOSIT,
        ),
        (fund(FUNDS, 0), sdk, code::INSUFFICIENT_FUNDS),
    ] {
        rejects(&mut s, space, code, |s| {
            execute_fund_channel(s, &ctx(20), &m)
        });
    }
    // A closing channel takes no more money.
    let close = MsgCloseChannel {
        requester: addr(REQUESTER).to_string(),
        channel_id: id,
    };
    execute_close_channel(&mut s, &ctx(30), &close).unwrap();
    rejects(&mut s, ps, error::code::CHANNEL_CLOSING, |s| {
        execute_fund_channel(s, &ctx(31), &fund(10, 0))
    });
    invariants_hold(&s, 31);
}

#[test]
fn closing_leaves_the_provider_a_grace_period_then_returns_the_rest() {
    let mut s = market();
    let id = open(&mut s, 1_000, 500);
    let close = MsgCloseChannel {
        requester: addr(REQUESTER).to_string(),
        channel_id: id,
    };
    let ps = error::CODESPACE;
    rejects(&mut s, ps, error::code::NOT_CHANNEL_PARTY, |s| {
        execute_close_channel(
            s,
            &ctx(100),
            &MsgCloseChannel {
                requester: addr(OTHER).to_string(),
                ..close.clone()
            },
        )
    });
    let (r, _) = execute_close_channel(&mut s, &ctx(100), &close).unwrap();
    assert_eq!(r.expiry_height, 110, "expiry comes forward to now + grace");
    let c = s.channel(id).unwrap().unwrap();
    assert_eq!(
        (c.state, c.close_requested_height),
        (ChannelState::Closing as i32, 100)
    );
    rejects(&mut s, ps, error::code::CHANNEL_CLOSING, |s| {
        execute_close_channel(s, &ctx(101), &close)
    });
    // The provider claims inside the grace period, up to and including the expiry block.
    crate::end_block::end_block(&mut s, &ctx(109)).unwrap();
    execute_claim_payment(&mut s, &ctx(110), &claim_msg(pay(id, 260, 60), false)).unwrap();
    let events = crate::end_block::end_block(&mut s, &ctx(110)).unwrap();
    assert!(events
        .iter()
        .any(|e| e.kind == "pol.payments.v1.EventChannelSettled"));
    assert!(s.channel(id).unwrap().is_none());
    assert_eq!(bal(&s, REQUESTER), FUNDS - 260);
    assert_eq!(escrow(&s), 0);
    rejects(&mut s, ps, error::code::UNKNOWN_CHANNEL, |s| {
        execute_claim_payment(s, &ctx(111), &claim_msg(pay(id, 390, 90), false))
    });
    // A close near the expiry never pushes the expiry later.
    let id = open(&mut s, 1_000, 40);
    let (r, _) = execute_close_channel(
        &mut s,
        &ctx(35),
        &MsgCloseChannel {
            channel_id: id,
            ..close
        },
    )
    .unwrap();
    assert_eq!(r.expiry_height, 40);
    invariants_hold(&s, 35);
}

#[test]
fn expiry_returns_every_unclaimed_deposit_at_the_end_of_its_height() {
    let mut s = market();
    let a = open(&mut s, 1_000, 40);
    let b = open(&mut s, 2_000, 40);
    let c = open(&mut s, 3_000, 41);
    execute_claim_payment(&mut s, &ctx(20), &claim_msg(pay(a, 100, 0), false)).unwrap();
    crate::end_block::end_block(&mut s, &ctx(39)).unwrap();
    assert_eq!(escrow(&s), 5_900);
    crate::end_block::end_block(&mut s, &ctx(40)).unwrap();
    assert!(s.channel(a).unwrap().is_none() && s.channel(b).unwrap().is_none());
    assert!(s.channel(c).unwrap().is_some());
    assert_eq!(escrow(&s), 3_000);
    assert_eq!(bal(&s, REQUESTER), FUNDS - 100 - 3_000);
    invariants_hold(&s, 40);
    crate::end_block::end_block(&mut s, &ctx(41)).unwrap();
    assert_eq!(escrow(&s), 0);
    invariants_hold(&s, 41);
}

#[test]
fn genesis_exports_and_reloads_channels_exactly_and_checks_the_escrow() {
    let mut s = market();
    let a = open(&mut s, 1_000, 400);
    open(&mut s, 2_000, 300);
    execute_claim_payment(&mut s, &ctx(11), &claim_msg(pay(a, 130, 30), false)).unwrap();
    execute_close_channel(
        &mut s,
        &ctx(12),
        &MsgCloseChannel {
            requester: addr(REQUESTER).to_string(),
            channel_id: a,
        },
    )
    .unwrap();
    let g = GenesisState::export(&s).unwrap();
    g.validate().unwrap();
    assert_eq!(g.channels.len(), 2);
    assert_eq!(g.next_channel_id, 3);
    let json = serde_json::to_string(&g).unwrap();
    let back: GenesisState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, g);

    // A fresh state with the same escrow balance reloads to the same payments keys.
    let mut fresh = StateDelta::new(MemState::default());
    fresh
        .mint(&escrow_account(), &[Coin::new(DENOM, escrow(&s))])
        .unwrap();
    back.init(&mut fresh, &ctx(0)).unwrap();
    let payments_keys = |m: &State| -> Vec<(Vec<u8>, Vec<u8>)> {
        m.writes()
            .iter()
            .filter(|(k, v)| k.starts_with(b"payments/") && v.is_some())
            .map(|(k, v)| (k.clone(), v.clone().unwrap()))
            .collect()
    };
    assert_eq!(payments_keys(&fresh), payments_keys(&s));

    // The escrow must match, and records must be sane.
    let mut short = StateDelta::new(MemState::default());
    assert!(back
        .init(&mut short, &ctx(0))
        .unwrap_err()
        .log
        .contains("escrow"));
    let mut bad = g.clone();
    bad.channels[0].claimed = "5000".into();
    assert!(bad.validate().unwrap_err().contains("claims exceed"));
    let mut bad = g.clone();
    bad.channels[1].id = bad.channels[0].id;
    assert!(bad.validate().is_err());
    let mut bad = g.clone();
    bad.channels[0].signer = vec![1; 31];
    assert!(bad.validate().is_err());
    let mut bad = g;
    bad.params_mut().close_grace_blocks = 0;
    assert!(bad.validate().is_err());
    let late = pol_component::genesis::ChainStart {
        initial_height: 301,
    };
    assert!(back
        .validate_against(&pol_component::AppState::default(), &late)
        .unwrap_err()
        .contains("before the chain's initial height"));
}

/// One simulated channel, as its requester and its provider's worker see it.
struct SimChannel {
    id: u64,
    requester: u8,
    provider: u8,
    key: SigningKey,
    /// The requester's running total (what it has signed) and its royalty part.
    signed: (u128, u128),
    /// The worker's best payment persisted before answering, and any it holds only in
    /// memory (lost on a crash).
    persisted: Option<pb::Payment>,
    in_memory: Option<pb::Payment>,
}

/// Random sequences of opens, top-ups, extensions, payments, claims (fresh, stale and
/// forged), cooperative and requester closes, block ends and worker crashes. After every
/// step: the module's invariants hold and no money is created or destroyed. At the end,
/// after every expiry: the escrow is empty, each requester is out exactly what its
/// channels' providers claimed (never more than it signed), and each provider and the
/// owner got exactly that.
#[test]
fn random_sequences_never_create_lose_or_lock_money() {
    let parties = [OWNER, PROVIDER, REQUESTER, OTHER, PROVIDER_B, 6];
    for seed in 0..60u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut s = market();
        let total = |s: &State| parties.iter().map(|b| bal(s, *b)).sum::<u128>() + escrow(s);
        let start_total = total(&s);
        let mut height = 10u64;
        let mut chans: Vec<SimChannel> = Vec::new();
        // Per requester: what it signed in total, what providers took from it.
        let mut paid_out = std::collections::BTreeMap::<u8, u128>::new();
        let mut signed_total = std::collections::BTreeMap::<u8, u128>::new();
        for step in 0..120 {
            let c = ctx(height);
            match rng.gen_range(0..10) {
                0 | 1 => {
                    let requester = [REQUESTER, 6][rng.gen_range(0..2)];
                    let provider = [PROVIDER, PROVIDER_B][rng.gen_range(0..2)];
                    let key = signer(rng.gen());
                    let m = MsgOpenChannel {
                        requester: addr(requester).to_string(),
                        provider: addr(provider).to_string(),
                        signer: key.verifying_key().to_bytes().to_vec(),
                        ..open_msg(rng.gen_range(50..3_000), height + rng.gen_range(10..200))
                    };
                    if let Ok((r, _)) = execute_open_channel(&mut s, &c, &m) {
                        chans.push(SimChannel {
                            id: r.channel_id,
                            requester,
                            provider,
                            key,
                            signed: (0, 0),
                            persisted: None,
                            in_memory: None,
                        });
                    }
                }
                2 | 3 if !chans.is_empty() => {
                    // The requester pays for a few inferences; the worker accepts while
                    // the deposit covers them and persists (or, sometimes, not yet).
                    let i = rng.gen_range(0..chans.len());
                    let ch = &mut chans[i];
                    let Some(onchain) = s.channel(ch.id).unwrap() else {
                        continue;
                    };
                    let deposit: u128 = onchain.deposit.parse().unwrap();
                    let n = rng.gen_range(1..20u128);
                    let next = (ch.signed.0 + 13 * n, ch.signed.1 + 3 * n);
                    if next.0 > deposit {
                        continue; // the worker refuses: more than it has seen committed
                    }
                    ch.signed = next;
                    *signed_total.entry(ch.requester).or_default() += 13 * n;
                    let p = SignedPayment::sign(CHAIN, ch.id, next.0, next.1, &ch.key)
                        .unwrap()
                        .to_proto();
                    if rng.gen_bool(0.8) {
                        ch.persisted = Some(p.clone());
                    }
                    ch.in_memory = Some(p);
                }
                4 if !chans.is_empty() => {
                    // A worker crash: what it had not persisted is gone.
                    let i = rng.gen_range(0..chans.len());
                    chans[i].in_memory = chans[i].persisted.clone();
                }
                5 | 6 if !chans.is_empty() => {
                    let i = rng.gen_range(0..chans.len());
                    let ch = &chans[i];
                    let close = rng.gen_bool(0.2);
                    let payment = match rng.gen_range(0..4) {
                        0 => ch.in_memory.clone(),
                        1 => ch.persisted.clone(),
                        // A forged bigger payment, signed with the wrong key.
                        2 => Some(
                            SignedPayment::sign(
                                CHAIN,
                                ch.id,
                                ch.signed.0 + 13,
                                ch.signed.1,
                                &signer(99),
                            )
                            .unwrap()
                            .to_proto(),
                        ),
                        _ => ch.in_memory.clone(),
                    };
                    let Some(payment) = payment else { continue };
                    let m = MsgClaimPayment {
                        provider: addr(ch.provider).to_string(),
                        payment: Some(payment),
                        close,
                    };
                    let before_claimed = s
                        .channel(ch.id)
                        .unwrap()
                        .map(|c| c.claimed.parse::<u128>().unwrap());
                    let before = s.writes().clone();
                    match execute_claim_payment(&mut s, &c, &m) {
                        Ok((r, _)) => {
                            let paid = r.paid_provider.parse::<u128>().unwrap()
                                + r.paid_royalty.parse::<u128>().unwrap();
                            *paid_out.entry(ch.requester).or_default() += paid;
                            let now = m.payment.as_ref().unwrap().amount.parse::<u128>().unwrap();
                            assert_eq!(Some(now - paid), before_claimed, "seed {seed} step {step}");
                        }
                        Err(_) => assert!(
                            *s.writes() == before,
                            "seed {seed} step {step}: a failed claim wrote"
                        ),
                    }
                }
                7 if !chans.is_empty() => {
                    let i = rng.gen_range(0..chans.len());
                    let ch = &chans[i];
                    let m = MsgFundChannel {
                        requester: addr(ch.requester).to_string(),
                        channel_id: ch.id,
                        amount: Some(Coin::new(DENOM, rng.gen_range(0..500)).to_proto()),
                        expiry_height: if rng.gen_bool(0.5) {
                            0
                        } else {
                            height + rng.gen_range(0..300)
                        },
                    };
                    let before = s.writes().clone();
                    if execute_fund_channel(&mut s, &c, &m).is_err() {
                        assert!(
                            *s.writes() == before,
                            "seed {seed} step {step}: a failed top-up wrote"
                        );
                    }
                }
                8 if !chans.is_empty() => {
                    let i = rng.gen_range(0..chans.len());
                    let m = MsgCloseChannel {
                        requester: addr(chans[i].requester).to_string(),
                        channel_id: chans[i].id,
                    };
                    let _ = execute_close_channel(&mut s, &c, &m);
                }
                _ => {
                    crate::end_block::end_block(&mut s, &c).unwrap();
                    invariants_hold(&s, height);
                    height += rng.gen_range(1..15);
                }
            }
            assert_eq!(
                total(&s),
                start_total,
                "seed {seed} step {step}: money created or destroyed"
            );
        }
        // Every way out: after the last expiry, nothing is left in escrow.
        let last = chans
            .iter()
            .filter_map(|ch| s.channel(ch.id).unwrap())
            .map(|c| c.expiry_height)
            .max()
            .unwrap_or(height);
        for h in height..=last.max(height) {
            crate::end_block::end_block(&mut s, &ctx(h)).unwrap();
        }
        assert_eq!(
            escrow(&s),
            0,
            "seed {seed}: money locked after every expiry"
        );
        for r in [REQUESTER, 6] {
            let out = paid_out.get(&r).copied().unwrap_or(0);
            assert!(
                out <= signed_total.get(&r).copied().unwrap_or(0),
                "seed {seed}: paid more than signed"
            );
            assert_eq!(
                bal(&s, r),
                FUNDS - out,
                "seed {seed}: requester {r} is out more than its claims"
            );
        }
        let earned: u128 = [PROVIDER, PROVIDER_B, OWNER]
            .iter()
            .map(|b| bal(&s, *b) - FUNDS)
            .sum();
        assert_eq!(earned, paid_out.values().sum::<u128>(), "seed {seed}");
        assert_eq!(s.next_channel_id().unwrap() as usize, chans.len() + 1);
    }
}
