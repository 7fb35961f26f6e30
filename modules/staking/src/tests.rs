//! Unit tests of the whole module over an in-memory state.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_bank::{BankRead, BankWrite};
use pol_component::coins::Coin;
use pol_component::error::code;
use pol_component::ModuleGenesis as _;
use pol_component::{Address, BlockContext, TxError};
use pol_store::{MemState, StateDelta, StateRead};
use tendermint_proto::crypto::public_key::Sum;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::msg::*;
use crate::types::{valoper_string, BondStatus};
use crate::view::{StakingRead, StakingWrite};
use crate::*;

pub(crate) type State = StateDelta<MemState>;

pub(crate) const M: u128 = POWER_REDUCTION; // one unit of power

pub(crate) fn ctx(height: u64) -> BlockContext {
    BlockContext {
        chain_id: "pol-test-1".into(),
        height,
        time_unix_nanos: 0,
    }
}

pub(crate) fn addr(b: u8) -> Address {
    Address([b; 20])
}

pub(crate) fn pubkey(seed: u8) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
        .verifying_key()
        .to_bytes()
}

pub(crate) fn test_params() -> Params {
    Params {
        unbonding_blocks: 10,
        max_validators: 3,
        min_self_bond: M,
        bond_denom: "upol".into(),
        slash_destination: SlashDestination::Burn,
    }
}

/// A state with params and `funds` upol for accounts 1..=9.
pub(crate) fn setup(funds: u128) -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_staking_params(&test_params());
    for b in 1..=9 {
        s.mint(&addr(b), &[Coin::new("upol", funds)]).unwrap();
    }
    s
}

/// Commit the overlay into a fresh base, so `writes()` starts empty.
pub(crate) fn settle(s: State) -> State {
    let mut base = MemState::default();
    let writes = s.into_writes();
    // The old base is dropped by into_writes, so rebuild from scratch: only used on states
    // built from an empty MemState, whose writes are the whole state.
    for (k, v) in writes {
        if let Some(v) = v {
            base.0.insert(k, v);
        }
    }
    StateDelta::new(base)
}

pub(crate) fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(Coin::new("upol", amount).to_proto())
}

pub(crate) fn create(s: &mut State, op: u8, key: u8, amount: u128) -> Result<(), TxError> {
    execute_create_validator(
        s,
        &ctx(1),
        &crate::NoHooks,
        &MsgCreateValidator {
            validator_address: valoper_string(&addr(op)),
            consensus_pubkey: pubkey(key).to_vec(),
            moniker: format!("val-{op}"),
            commission_bps: 500,
            self_bond: coin(amount),
        },
    )
    .map(|_| ())
}

pub(crate) fn delegate(s: &mut State, del: u8, op: u8, amount: u128) -> Result<u128, TxError> {
    execute_delegate(
        s,
        &ctx(1),
        &crate::NoHooks,
        &MsgDelegate {
            delegator_address: addr(del).to_string(),
            validator_address: valoper_string(&addr(op)),
            amount: coin(amount),
        },
    )
    .map(|(r, _)| r.shares.parse().unwrap())
}

pub(crate) fn undelegate(
    s: &mut State,
    height: u64,
    del: u8,
    op: u8,
    amount: u128,
) -> Result<u64, TxError> {
    execute_undelegate(
        s,
        &ctx(height),
        &crate::NoHooks,
        &MsgUndelegate {
            delegator_address: addr(del).to_string(),
            validator_address: valoper_string(&addr(op)),
            amount: coin(amount),
        },
    )
    .map(|(r, _)| r.completion_height)
}

fn unjail(s: &mut State, height: u64, op: u8) -> Result<(), TxError> {
    crate::msg::unjail(s, &ctx(height), &addr(op)).map(|_| ())
}

fn bal(s: &State, a: &Address) -> u128 {
    s.balance(a, "upol").unwrap()
}

fn val(s: &State, op: u8) -> Validator {
    s.validator(&addr(op)).unwrap().unwrap()
}

fn worth(s: &State, del: u8, op: u8) -> u128 {
    let v = val(s, op);
    let d = s.delegation(&addr(del), &addr(op)).unwrap().unwrap();
    math::tokens_for_shares(d.shares, v.tokens, v.delegator_shares)
}

/// Every accounting identity the module promises.
pub(crate) fn check_invariants(s: &State) {
    // Height 0: unit tests drive end blocks themselves; maturity is not checked here.
    let mut broken = pol_bank::invariants::invariants(s, 0).unwrap();
    broken.extend(crate::invariants::invariants(s, 0).unwrap());
    assert!(broken.is_empty(), "{}", broken.join("; "));
}

fn powers(updates: &[ValidatorUpdate]) -> Vec<([u8; 32], i64)> {
    updates
        .iter()
        .map(|u| match u.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
            Some(Sum::Ed25519(b)) => (b.as_slice().try_into().unwrap(), u.power),
            _ => panic!("not ed25519"),
        })
        .collect()
}

// ---- create validator ------------------------------------------------------------------

#[test]
fn create_validator_bonds_self_delegation() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    let v = val(&s, 1);
    assert_eq!(v.tokens, 10 * M);
    assert_eq!(v.delegator_shares, 10 * M);
    assert_eq!(v.status, BondStatus::Unbonded);
    assert_eq!(v.consensus_pubkey, pubkey(1));
    assert_eq!(bal(&s, &addr(1)), 90 * M);
    assert_eq!(bal(&s, &bonded_pool()), 10 * M);
    assert_eq!(s.self_bond(&v).unwrap(), 10 * M);
    let by_cons = s
        .validator_by_consensus(&types::consensus_address(&pubkey(1)))
        .unwrap()
        .unwrap();
    assert_eq!(by_cons.operator, addr(1));
    // The operator's `pol…` address is accepted too.
    let (_, events) = execute_create_validator(
        &mut s,
        &ctx(1),
        &crate::NoHooks,
        &MsgCreateValidator {
            validator_address: addr(2).to_string(),
            consensus_pubkey: pubkey(2).to_vec(),
            moniker: "two".into(),
            commission_bps: 10_000,
            self_bond: coin(M),
        },
    )
    .unwrap();
    assert!(events.iter().any(|e| e.kind == "create_validator"));
    assert!(events.iter().any(|e| e.kind == "transfer"));
    check_invariants(&s);
}

#[test]
fn create_validator_rejections_write_nothing() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    let mut s = settle(s);
    let before = s.writes().clone();
    let good = MsgCreateValidator {
        validator_address: valoper_string(&addr(2)),
        consensus_pubkey: pubkey(2).to_vec(),
        moniker: "two".into(),
        commission_bps: 100,
        self_bond: coin(5 * M),
    };
    let bad_point = (0u8..=255)
        .map(|b| [b; 32])
        .find(|k| ed25519_dalek::VerifyingKey::from_bytes(k).is_err())
        .expect("some constant byte string is not a curve point");
    let cases: Vec<(&str, MsgCreateValidator, u32)> = vec![
        (
            "bad address",
            MsgCreateValidator {
                validator_address: "cosmosvaloper1xyz".into(),
                ..good.clone()
            },
            code::INVALID_ADDRESS,
        ),
        (
            "short key",
            MsgCreateValidator {
                consensus_pubkey: vec![1; 31],
                ..good.clone()
            },
            code::INVALID_PUBKEY,
        ),
        (
            "not a point",
            MsgCreateValidator {
                consensus_pubkey: bad_point.to_vec(),
                ..good.clone()
            },
            code::INVALID_PUBKEY,
        ),
        (
            "empty moniker",
            MsgCreateValidator {
                moniker: "  ".into(),
                ..good.clone()
            },
            code::INVALID_REQUEST,
        ),
        (
            "long moniker",
            MsgCreateValidator {
                moniker: "x".repeat(71),
                ..good.clone()
            },
            code::INVALID_REQUEST,
        ),
        (
            "commission",
            MsgCreateValidator {
                commission_bps: 10_001,
                ..good.clone()
            },
            code::INVALID_REQUEST,
        ),
        (
            "below min",
            MsgCreateValidator {
                self_bond: coin(M - 1),
                ..good.clone()
            },
            code::INVALID_REQUEST,
        ),
        (
            "no coin",
            MsgCreateValidator {
                self_bond: None,
                ..good.clone()
            },
            code::INVALID_COINS,
        ),
        (
            "zero",
            MsgCreateValidator {
                self_bond: coin(0),
                ..good.clone()
            },
            code::INVALID_COINS,
        ),
        (
            "denom",
            MsgCreateValidator {
                self_bond: Some(Coin::new("uatom", 5 * M).to_proto()),
                ..good.clone()
            },
            code::INVALID_COINS,
        ),
        (
            "funds",
            MsgCreateValidator {
                self_bond: coin(101 * M),
                ..good.clone()
            },
            code::INSUFFICIENT_FUNDS,
        ),
        (
            "operator exists",
            MsgCreateValidator {
                validator_address: valoper_string(&addr(1)),
                ..good.clone()
            },
            code::INVALID_REQUEST,
        ),
        (
            "key in use",
            MsgCreateValidator {
                consensus_pubkey: pubkey(1).to_vec(),
                ..good.clone()
            },
            code::INVALID_REQUEST,
        ),
    ];
    for (name, m, want) in cases {
        let e = execute_create_validator(&mut s, &ctx(1), &crate::NoHooks, &m).unwrap_err();
        assert_eq!(e.code, want, "{name}: {}", e.log);
        assert!(!e.log.is_empty());
        assert_eq!(s.writes(), &before, "{name} wrote state");
    }
    execute_create_validator(&mut s, &ctx(1), &crate::NoHooks, &good).unwrap();
}

// ---- delegate / undelegate -------------------------------------------------------------

#[test]
fn delegate_issues_shares_and_rejects_cleanly() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    assert_eq!(delegate(&mut s, 2, 1, 5 * M).unwrap(), 5 * M);
    assert_eq!(delegate(&mut s, 2, 1, M).unwrap(), M);
    assert_eq!(val(&s, 1).tokens, 16 * M);
    assert_eq!(worth(&s, 2, 1), 6 * M);
    assert_eq!(bal(&s, &addr(2)), 94 * M);
    check_invariants(&s);

    let mut s = settle(s);
    let before = s.writes().clone();
    let m = |del: &str, v: String, amount: Option<ProtoCoin>| MsgDelegate {
        delegator_address: del.into(),
        validator_address: v,
        amount,
    };
    let a3 = addr(3).to_string();
    let v1 = valoper_string(&addr(1));
    let cases = vec![
        (
            "bad delegator",
            m("pol1bad", v1.clone(), coin(1)),
            code::INVALID_ADDRESS,
        ),
        (
            "bad validator",
            m(&a3, "polvaloper1bad".into(), coin(1)),
            code::INVALID_ADDRESS,
        ),
        (
            "unknown validator",
            m(&a3, valoper_string(&addr(9)), coin(1)),
            code::UNKNOWN_ADDRESS,
        ),
        ("zero", m(&a3, v1.clone(), coin(0)), code::INVALID_COINS),
        (
            "denom",
            m(&a3, v1.clone(), Some(Coin::new("uatom", 1).to_proto())),
            code::INVALID_COINS,
        ),
        (
            "funds",
            m(&a3, v1.clone(), coin(100 * M + 1)),
            code::INSUFFICIENT_FUNDS,
        ),
    ];
    for (name, msg, want) in cases {
        let e = execute_delegate(&mut s, &ctx(1), &crate::NoHooks, &msg).unwrap_err();
        assert_eq!(e.code, want, "{name}: {}", e.log);
        assert_eq!(s.writes(), &before, "{name} wrote state");
    }
}

#[test]
fn delegating_to_a_validator_slashed_to_zero_or_too_little_is_refused() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    // Slashed to zero: shares outstanding, no tokens; new shares would be worthless.
    s.slash(
        &ctx(2),
        &crate::NoHooks,
        ValidatorRef::Operator(addr(1)),
        1_000_000,
        "test",
    )
    .unwrap();
    assert_eq!(val(&s, 1).tokens, 0);
    let mut s = settle(s);
    let before = s.writes().clone();
    let e = delegate(&mut s, 2, 1, M).unwrap_err();
    assert_eq!(e.code, code::INVALID_REQUEST, "{}", e.log);
    assert_eq!(s.writes(), &before);

    // A validator whose tokens outnumber its shares: 1 token buys 0 shares.
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    // Give the validator tokens without shares (as rewards would): raise tokens directly.
    let mut v = val(&s, 1);
    s.send_coins(&addr(5), &bonded_pool(), &[Coin::new("upol", 10 * M)])
        .unwrap();
    v.tokens += 10 * M;
    s.put_validator(&v).unwrap();
    let mut s = settle(s);
    let before = s.writes().clone();
    let e = delegate(&mut s, 2, 1, 1).unwrap_err();
    assert_eq!(e.code, code::INVALID_REQUEST, "{}", e.log);
    assert_eq!(s.writes(), &before);
    assert_eq!(delegate(&mut s, 2, 1, 3).unwrap(), 1); // floor(3·10/20)
    check_invariants(&s);
}

#[test]
fn undelegate_queues_entry_and_matures_in_end_block() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    delegate(&mut s, 2, 1, 6 * M).unwrap();
    let done = undelegate(&mut s, 5, 2, 1, 4 * M).unwrap();
    assert_eq!(done, 15);
    assert_eq!(worth(&s, 2, 1), 2 * M);
    assert_eq!(bal(&s, &not_bonded_pool()), 4 * M);
    assert_eq!(bal(&s, &bonded_pool()), 12 * M);
    let entries = s.all_unbondings().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].completion_height, 15);
    check_invariants(&s);
    // Not yet at 14.
    end_block(&mut s, &ctx(14)).unwrap();
    assert_eq!(bal(&s, &addr(2)), 94 * M);
    // Paid at 15.
    let out = end_block(&mut s, &ctx(15)).unwrap();
    assert!(out.events.iter().any(|e| e.kind == "complete_unbonding"));
    assert_eq!(bal(&s, &addr(2)), 98 * M);
    assert_eq!(bal(&s, &not_bonded_pool()), 0);
    assert!(s.all_unbondings().unwrap().is_empty());
    // Unbonding everything removes the delegation.
    undelegate(&mut s, 16, 2, 1, 2 * M).unwrap();
    assert!(s.delegation(&addr(2), &addr(1)).unwrap().is_none());
    check_invariants(&s);
}

#[test]
fn an_entry_due_this_block_is_not_slashed() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    delegate(&mut s, 2, 1, 6 * M).unwrap();
    let due = undelegate(&mut s, 5, 2, 1, 4 * M).unwrap();
    let later = undelegate(&mut s, 6, 2, 1, 2 * M).unwrap();
    assert_eq!((due, later), (15, 16));
    // At 15 the first entry is paid out at the block's end: no longer at stake.
    s.slash(
        &ctx(due),
        &crate::NoHooks,
        ValidatorRef::Operator(addr(1)),
        100_000,
        "test",
    )
    .unwrap();
    let amounts: Vec<(u64, u128)> = s
        .all_unbondings()
        .unwrap()
        .iter()
        .map(|e| (e.completion_height, e.amount))
        .collect();
    assert_eq!(amounts, vec![(15, 4 * M), (16, 2 * M - 200_000)]);
    check_invariants(&s);
}

#[test]
fn undelegate_rejections_write_nothing() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    delegate(&mut s, 2, 1, 3 * M).unwrap();
    let mut s = settle(s);
    let before = s.writes().clone();
    for (name, r, want) in [
        (
            "no delegation",
            undelegate(&mut s, 2, 3, 1, 1),
            code::INVALID_REQUEST,
        ),
        (
            "more than worth",
            undelegate(&mut s, 2, 2, 1, 3 * M + 1),
            code::INSUFFICIENT_FUNDS,
        ),
        (
            "unknown validator",
            undelegate(&mut s, 2, 2, 9, 1),
            code::UNKNOWN_ADDRESS,
        ),
        ("zero", undelegate(&mut s, 2, 2, 1, 0), code::INVALID_COINS),
    ] {
        assert_eq!(r.unwrap_err().code, want, "{name}");
        assert_eq!(s.writes(), &before, "{name} wrote state");
    }
    let e = execute_undelegate(
        &mut s,
        &ctx(2),
        &crate::NoHooks,
        &MsgUndelegate {
            delegator_address: addr(2).to_string(),
            validator_address: valoper_string(&addr(1)),
            amount: Some(Coin::new("uatom", 1).to_proto()),
        },
    )
    .unwrap_err();
    assert_eq!(e.code, code::INVALID_COINS);
    assert_eq!(s.writes(), &before);
}

#[test]
fn operator_unbonding_below_min_self_bond_is_jailed() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 2 * M).unwrap();
    undelegate(&mut s, 3, 1, 1, M).unwrap(); // exactly the minimum left: fine
    assert!(!val(&s, 1).jailed);
    undelegate(&mut s, 4, 1, 1, 1).unwrap();
    let v = val(&s, 1);
    assert!(v.jailed);
    assert_eq!(v.jailed_until_height, 4);
    // Cannot unjail until the self-bond is back.
    assert_eq!(
        unjail(&mut s, 5, 1).unwrap_err().code,
        code::INVALID_REQUEST
    );
    delegate(&mut s, 1, 1, 1).unwrap();
    unjail(&mut s, 5, 1).unwrap();
    assert!(!val(&s, 1).jailed);
    check_invariants(&s);
}

// ---- slashing and jailing --------------------------------------------------------------

#[test]
fn slash_hits_delegators_proportionally_and_the_unbonding_entry() {
    for dest in [SlashDestination::Burn, SlashDestination::CommunityPool] {
        let mut s = setup(100 * M);
        let mut p = test_params();
        p.slash_destination = dest;
        s.put_staking_params(&p);
        create(&mut s, 1, 1, 10 * M).unwrap(); // operator 10
        delegate(&mut s, 2, 1, 20 * M).unwrap(); // 20
        delegate(&mut s, 3, 1, 30 * M).unwrap(); // 30
        delegate(&mut s, 4, 1, 40 * M).unwrap(); // 40 → 100 total
        undelegate(&mut s, 2, 4, 1, 40 * M).unwrap(); // entry of 40, validator at 60
        let supply = s.supply_of("upol").unwrap();
        let out = s
            .slash(
                &ctx(3),
                &crate::NoHooks,
                ValidatorRef::Consensus(types::consensus_address(&pubkey(1))),
                100_000,
                "double_sign",
            )
            .unwrap();
        assert_eq!(out.from_tokens, 6 * M);
        assert_eq!(out.from_unbonding, 4 * M);
        assert_eq!(out.amount, 10 * M);
        assert_eq!(out.operator, Some(addr(1)));
        assert!(out.events.iter().any(|e| e.kind == "slash"));
        assert_eq!(val(&s, 1).tokens, 54 * M);
        assert_eq!(worth(&s, 1, 1), 9 * M);
        assert_eq!(worth(&s, 2, 1), 18 * M);
        assert_eq!(worth(&s, 3, 1), 27 * M);
        assert_eq!(s.all_unbondings().unwrap()[0].amount, 36 * M);
        match dest {
            SlashDestination::Burn => {
                assert_eq!(s.supply_of("upol").unwrap(), supply - 10 * M);
                assert_eq!(bal(&s, &community_pool()), 0);
            }
            _ => {
                assert_eq!(s.supply_of("upol").unwrap(), supply);
                assert_eq!(bal(&s, &community_pool()), 10 * M);
            }
        }
        check_invariants(&s);
        // The entry pays out its slashed amount.
        end_block(&mut s, &ctx(12)).unwrap();
        assert_eq!(bal(&s, &addr(4)), 96 * M);
        check_invariants(&s);
        // A later delegator buys at the slashed rate: 9 tokens → 10 shares.
        let shares = delegate(&mut s, 5, 1, 9 * M).unwrap();
        assert_eq!(shares, 10 * M);
        check_invariants(&s);
    }
}

#[test]
fn slash_rounding_and_rejections() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 3).unwrap_err(); // below min
    create(&mut s, 1, 1, M + 1).unwrap();
    // 1 ppm of 1_000_001 is 1.000001 → 2 (rounded against the offender).
    let out = s
        .slash(
            &ctx(2),
            &crate::NoHooks,
            ValidatorRef::Operator(addr(1)),
            1,
            "t",
        )
        .unwrap();
    assert_eq!(out.amount, 2);
    let mut s = settle(s);
    let before = s.writes().clone();
    let e = s
        .slash(
            &ctx(2),
            &crate::NoHooks,
            ValidatorRef::Operator(addr(1)),
            1_000_001,
            "t",
        )
        .unwrap_err();
    assert_eq!(e.code, code::INVALID_REQUEST);
    let e = s
        .slash(
            &ctx(2),
            &crate::NoHooks,
            ValidatorRef::Operator(addr(7)),
            1,
            "t",
        )
        .unwrap_err();
    assert_eq!(e.code, code::UNKNOWN_ADDRESS);
    let e = s
        .jail(&ctx(2), ValidatorRef::Consensus([0; 20]), 9, "t")
        .unwrap_err();
    assert_eq!(e.code, code::UNKNOWN_ADDRESS);
    assert_eq!(s.writes(), &before);
    // Zero fraction slashes nothing but is accepted.
    assert_eq!(
        s.slash(
            &ctx(2),
            &crate::NoHooks,
            ValidatorRef::Operator(addr(1)),
            0,
            "t"
        )
        .unwrap()
        .amount,
        0
    );
    check_invariants(&s);
}

#[test]
fn jail_removes_from_set_and_unjail_restores() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    create(&mut s, 2, 2, 5 * M).unwrap();
    let up = end_block(&mut s, &ctx(1)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 10), (pubkey(2), 5)]);
    assert_eq!(val(&s, 1).status, BondStatus::Bonded);

    let ev = s
        .jail(&ctx(2), ValidatorRef::Operator(addr(1)), 20, "sla")
        .unwrap();
    assert_eq!(ev[0].kind, "jail");
    // A shorter second jail keeps the later release.
    s.jail(&ctx(2), ValidatorRef::Operator(addr(1)), 5, "sla")
        .unwrap();
    assert_eq!(val(&s, 1).jailed_until_height, 20);
    let up = end_block(&mut s, &ctx(2)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 0)]);
    let v = val(&s, 1);
    assert_eq!(v.status, BondStatus::Unbonding);
    assert_eq!(v.unbonding_completion_height, 12);

    let mut s = settle(s);
    let before = s.writes().clone();
    let e = unjail(&mut s, 19, 1).unwrap_err();
    assert_eq!(e.code, code::INVALID_REQUEST);
    assert!(e.log.contains("jailed until height 20"), "{}", e.log);
    assert_eq!(
        unjail(&mut s, 19, 2).unwrap_err().code,
        code::INVALID_REQUEST
    ); // not jailed
    assert_eq!(
        unjail(&mut s, 19, 9).unwrap_err().code,
        code::UNKNOWN_ADDRESS
    );
    assert_eq!(s.writes(), &before);

    // The validator's unbonding period ends at 12.
    end_block(&mut s, &ctx(12)).unwrap();
    assert_eq!(val(&s, 1).status, BondStatus::Unbonded);
    unjail(&mut s, 20, 1).unwrap();
    let up = end_block(&mut s, &ctx(20)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 10)]);
    assert_eq!(val(&s, 1).status, BondStatus::Bonded);
    check_invariants(&s);
}

// ---- end block -------------------------------------------------------------------------

#[test]
fn end_block_diffs_new_changed_removed_and_cut() {
    let mut s = setup(1000 * M);
    // Nothing bonded yet: no updates.
    assert!(end_block(&mut s, &ctx(1))
        .unwrap()
        .validator_updates
        .is_empty());
    create(&mut s, 1, 1, 10 * M).unwrap();
    let up = end_block(&mut s, &ctx(2)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 10)]);
    // No change, no updates.
    assert!(end_block(&mut s, &ctx(3))
        .unwrap()
        .validator_updates
        .is_empty());
    // Sub-unit changes do not move the power.
    delegate(&mut s, 5, 1, M / 2).unwrap();
    assert!(end_block(&mut s, &ctx(4))
        .unwrap()
        .validator_updates
        .is_empty());
    // Power change.
    delegate(&mut s, 5, 1, M / 2).unwrap();
    let up = end_block(&mut s, &ctx(5)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 11)]);
    // max_validators = 3: four candidates, the smallest is cut; ties by operator address.
    create(&mut s, 2, 2, 20 * M).unwrap();
    create(&mut s, 3, 3, 5 * M).unwrap();
    create(&mut s, 4, 4, 5 * M).unwrap();
    let up = end_block(&mut s, &ctx(6)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(2), 20), (pubkey(3), 5)]);
    assert_eq!(val(&s, 4).status, BondStatus::Unbonded);
    // Validator 4 overtakes 3: 3 leaves (power 0), 4 enters.
    delegate(&mut s, 6, 4, M).unwrap();
    let up = end_block(&mut s, &ctx(7)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(3), 0), (pubkey(4), 6)]);
    assert_eq!(val(&s, 3).status, BondStatus::Unbonding);
    assert_eq!(val(&s, 4).status, BondStatus::Bonded);
    // Slashing below one unit of power removes it from the set.
    s.slash(
        &ctx(8),
        &crate::NoHooks,
        ValidatorRef::Operator(addr(4)),
        900_000,
        "t",
    )
    .unwrap();
    let up = end_block(&mut s, &ctx(8)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(3), 5), (pubkey(4), 0)]);
    // 3 came back before its unbonding period ended: BONDED again, queue entry gone.
    assert_eq!(val(&s, 3).status, BondStatus::Bonded);
    end_block(&mut s, &ctx(17)).unwrap();
    assert_eq!(val(&s, 3).status, BondStatus::Bonded);
    assert_eq!(val(&s, 4).status, BondStatus::Unbonding);
    end_block(&mut s, &ctx(18)).unwrap();
    assert_eq!(val(&s, 4).status, BondStatus::Unbonded);
    let lp = s.last_powers().unwrap();
    assert_eq!(lp, vec![(addr(1), 11), (addr(2), 20), (addr(3), 5)]);
    check_invariants(&s);
}

#[test]
fn end_block_keeps_the_last_set_rather_than_emptying_it() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    end_block(&mut s, &ctx(1)).unwrap();
    s.jail(&ctx(2), ValidatorRef::Operator(addr(1)), 5, "t")
        .unwrap();
    assert!(end_block(&mut s, &ctx(2))
        .unwrap()
        .validator_updates
        .is_empty());
    assert_eq!(s.last_powers().unwrap(), vec![(addr(1), 10)]);
    create(&mut s, 2, 2, 3 * M).unwrap();
    let up = end_block(&mut s, &ctx(3)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 0), (pubkey(2), 3)]);
}

// ---- PoL weight ------------------------------------------------------------------------

#[test]
fn a_pol_weight_change_emits_exactly_the_weighted_power() {
    let mut s = setup(1000 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    create(&mut s, 2, 2, 4 * M).unwrap();
    let up = end_block(&mut s, &ctx(2)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 10), (pubkey(2), 4)]);
    assert_eq!(s.pol_weight_ppm(&addr(1)).unwrap(), 1_000_000);

    // 10 units × 0.55 = 5.5 → 5: exactly one update, for validator 1.
    s.set_pol_weight(&addr(1), 550_000).unwrap();
    let up = end_block(&mut s, &ctx(3)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 5)]);
    assert_eq!(s.last_powers().unwrap(), vec![(addr(1), 5), (addr(2), 4)]);
    assert_eq!(s.voting_power(&val(&s, 1)).unwrap(), 5);
    // Queries show the weight and the weighted power.
    let q = s.validator_query_proto(&val(&s, 1)).unwrap();
    assert_eq!((q.pol_weight_ppm, q.voting_power), (550_000, 5));
    let q = s.validator_query_proto(&val(&s, 2)).unwrap();
    assert_eq!((q.pol_weight_ppm, q.voting_power), (1_000_000, 4));
    // The stored record itself carries neither.
    let stored: pb::Validator =
        pol_store::StateReadExt::get_proto(&s, &state_key::validator(&addr(1)))
            .unwrap()
            .unwrap();
    assert_eq!((stored.pol_weight_ppm, stored.voting_power), (0, 0));

    // A weight that does not move the floored power sends nothing.
    s.set_pol_weight(&addr(1), 599_999).unwrap();
    assert!(end_block(&mut s, &ctx(4))
        .unwrap()
        .validator_updates
        .is_empty());
    // Back to full weight: power restored, nothing stored.
    s.set_pol_weight(&addr(1), 1_000_000).unwrap();
    assert!(s
        .get_raw(&state_key::pol_weight(&addr(1)))
        .unwrap()
        .is_none());
    let up = end_block(&mut s, &ctx(5)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(1), 10)]);

    // Weighted under one unit: out of the set (power 0), unbonding like any leaver.
    s.set_pol_weight(&addr(2), 200_000).unwrap();
    let up = end_block(&mut s, &ctx(6)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(2), 0)]);
    assert_eq!(val(&s, 2).status, BondStatus::Unbonding);
    s.set_pol_weight(&addr(2), 250_000).unwrap();
    let up = end_block(&mut s, &ctx(7)).unwrap().validator_updates;
    assert_eq!(powers(&up), vec![(pubkey(2), 1)]);
    assert_eq!(val(&s, 2).status, BondStatus::Bonded);
    check_invariants(&s);
}

#[test]
fn full_pol_weight_changes_nothing() {
    let build = |weights: bool| {
        let mut s = setup(1000 * M);
        create(&mut s, 1, 1, 10 * M).unwrap();
        create(&mut s, 2, 2, 7 * M + 999_999).unwrap();
        let first = end_block(&mut s, &ctx(2)).unwrap();
        if weights {
            s.set_pol_weight(&addr(1), 1_000_000).unwrap();
            s.set_pol_weight(&addr(2), 1_000_000).unwrap();
        }
        let second = end_block(&mut s, &ctx(3)).unwrap();
        // The resolved state (the base is empty, so the overlay is all of it).
        let state: Vec<(Vec<u8>, Vec<u8>)> = s
            .into_writes()
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        (state, first, second)
    };
    let (plain, first, second) = build(false);
    let (weighted, first_w, second_w) = build(true);
    assert_eq!(
        powers(&first.validator_updates),
        vec![(pubkey(1), 10), (pubkey(2), 7)]
    );
    assert!(second.validator_updates.is_empty());
    assert_eq!((first, second), (first_w, second_w));
    assert!(
        plain == weighted,
        "weight 10⁶ must leave the state as it was"
    );
}

#[test]
fn pol_weight_rejections_write_nothing() {
    let mut s = setup(1000 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    let before = s.writes().clone();
    let e = s.set_pol_weight(&addr(1), 1_000_001).unwrap_err();
    assert_eq!(e.code, code::INVALID_REQUEST);
    assert!(e.log.contains("above 1000000"), "{}", e.log);
    let e = s.set_pol_weight(&addr(9), 10).unwrap_err();
    assert!(e.log.contains("unknown validator"), "{}", e.log);
    assert_eq!(s.writes(), &before);
}

#[test]
fn genesis_keeps_pol_weights() {
    let mut s = setup(100 * M);
    let g = GenesisState {
        params: test_params(),
        gentxs: vec![
            GenesisValidator::new(&addr(1), &pubkey(1), "one", 0, 10 * M),
            GenesisValidator::new(&addr(2), &pubkey(2), "two", 0, 10 * M),
        ],
        pol_weights: vec![GenesisPolWeight {
            operator_address: valoper_string(&addr(2)),
            weight_ppm: 300_000,
        }],
        ..Default::default()
    };
    g.validate().unwrap();
    // The initial set is weighted.
    let updates = g.init(&mut s, &ctx(0)).unwrap();
    assert_eq!(powers(&updates), vec![(pubkey(1), 10), (pubkey(2), 3)]);
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.pol_weights, g.pol_weights);
    let bank = pol_bank::GenesisState::export(&s).unwrap();
    let mut fresh = StateDelta::new(MemState::default());
    bank.init(&mut fresh, &Default::default()).unwrap();
    let json = serde_json::to_string(&exported).unwrap();
    let reread: GenesisState = serde_json::from_str(&json).unwrap();
    let updates = reread.init(&mut fresh, &ctx(0)).unwrap();
    assert_eq!(powers(&updates), vec![(pubkey(1), 10), (pubkey(2), 3)]);
    assert_eq!(GenesisState::export(&fresh).unwrap(), exported);
    // Without weights the field is left out of the JSON.
    let plain = serde_json::to_string(&GenesisState::default()).unwrap();
    assert!(!plain.contains("pol_weights"), "{plain}");

    let mut bad = g.clone();
    bad.pol_weights[0].weight_ppm = 1_000_001;
    assert!(bad.validate().unwrap_err().contains("above 1000000"));
    let mut bad = g.clone();
    bad.pol_weights.push(bad.pol_weights[0].clone());
    assert!(bad.validate().unwrap_err().contains("twice"));
    let mut bad = g.clone();
    bad.pol_weights[0].operator_address = valoper_string(&addr(7));
    assert!(bad.validate().unwrap_err().contains("unknown validator"));
}

// ---- genesis ---------------------------------------------------------------------------

#[test]
fn genesis_gentx_init_export_roundtrip() {
    let mut s = setup(100 * M);
    let mut g = GenesisState {
        params: test_params(),
        ..Default::default()
    };
    g.gentxs.push(GenesisValidator::new(
        &addr(1),
        &pubkey(1),
        "one",
        500,
        10 * M,
    ));
    g.gentxs
        .push(GenesisValidator::new(&addr(2), &pubkey(2), "two", 0, 4 * M));
    g.validate().unwrap();
    let json = serde_json::to_string_pretty(&g).unwrap();
    assert!(json.contains("\"self_bond\": \"10000000\""), "{json}");
    let g2: GenesisState = serde_json::from_str(&json).unwrap();
    assert_eq!(g, g2);
    let updates = g.init(&mut s, &ctx(0)).unwrap();
    assert_eq!(powers(&updates), vec![(pubkey(1), 10), (pubkey(2), 4)]);
    assert_eq!(bal(&s, &addr(1)), 90 * M);

    // Some activity, then export both modules and import into a fresh state.
    delegate(&mut s, 3, 1, 7 * M).unwrap();
    undelegate(&mut s, 2, 3, 1, 2 * M).unwrap();
    s.slash(
        &ctx(3),
        &crate::NoHooks,
        ValidatorRef::Operator(addr(1)),
        10_000,
        "t",
    )
    .unwrap();
    s.jail(&ctx(3), ValidatorRef::Operator(addr(2)), 50, "t")
        .unwrap();
    // An SDK edit gives validator 1 details (a website, a commission cut at a time).
    crate::cosmos_msg::execute_edit_validator(
        &mut s,
        &BlockContext {
            time_unix_nanos: 5_000_000_000,
            ..ctx(3)
        },
        &cosmos_sdk_proto::cosmos::staking::v1beta1::MsgEditValidator {
            description: Some(cosmos_sdk_proto::cosmos::staking::v1beta1::Description {
                moniker: crate::cosmos_msg::DO_NOT_MODIFY.into(),
                website: "https://one.example".into(),
                ..Default::default()
            }),
            validator_address: valoper_string(&addr(1)),
            commission_rate: "30000000000000000".into(),
            min_self_delegation: String::new(),
        },
    )
    .unwrap();
    end_block(&mut s, &ctx(3)).unwrap();
    check_invariants(&s);
    let exported = GenesisState::export(&s).unwrap();
    exported.validate().unwrap();
    let bank = pol_bank::GenesisState::export(&s).unwrap();

    let mut fresh = StateDelta::new(MemState::default());
    bank.init(&mut fresh, &Default::default()).unwrap();
    let json = serde_json::to_string(&exported).unwrap();
    let reread: GenesisState = serde_json::from_str(&json).unwrap();
    let updates = reread.init(&mut fresh, &ctx(0)).unwrap();
    assert_eq!(powers(&updates), vec![(pubkey(1), 14)]);
    assert_eq!(GenesisState::export(&fresh).unwrap(), exported);
    // Details a message could not have written are refused in genesis.
    for (max, change) in [
        (Some(200), None),
        (Some(10_001), None),
        (Some(400), Some(401)),
    ] {
        let mut bad = exported.clone();
        let rec = bad
            .validators
            .iter_mut()
            .find(|r| r.details.is_some())
            .unwrap();
        let d = rec.details.as_mut().unwrap();
        d.max_commission_bps = max;
        d.max_commission_change_bps = change;
        let e = bad.validate().unwrap_err();
        assert!(e.contains("commission"), "{e}");
    }
    let one = fresh.validator(&addr(1)).unwrap().unwrap();
    assert_eq!(one.commission_bps, 300);
    let details = one.details.unwrap();
    assert_eq!(details.website, "https://one.example");
    assert_eq!(
        details.commission_update_time_unix_nanos,
        Some(5_000_000_000)
    );
    check_invariants(&fresh);
    // The queued entry still matures in the new chain.
    end_block(&mut fresh, &ctx(12)).unwrap();
    assert!(fresh.all_unbondings().unwrap().is_empty());
    check_invariants(&fresh);
}

#[test]
fn genesis_validation_and_init_failures() {
    let base = GenesisState {
        params: test_params(),
        gentxs: vec![GenesisValidator::new(
            &addr(1),
            &pubkey(1),
            "one",
            0,
            10 * M,
        )],
        ..Default::default()
    };
    base.validate().unwrap();
    let mut g = base.clone();
    g.gentxs.push(GenesisValidator::new(
        &addr(2),
        &pubkey(1),
        "dup key",
        0,
        10 * M,
    ));
    assert!(g.validate().unwrap_err().contains("consensus key"));
    let mut g = base.clone();
    g.gentxs.push(GenesisValidator::new(
        &addr(1),
        &pubkey(2),
        "dup op",
        0,
        10 * M,
    ));
    assert!(g.validate().unwrap_err().contains("twice"));
    let mut g = base.clone();
    g.gentxs[0].self_bond = 1;
    assert!(g.validate().unwrap_err().contains("min_self_bond"));
    let mut g = base.clone();
    g.gentxs[0].consensus_pubkey = "not base64!".into();
    assert!(g.validate().is_err());
    let mut g = base.clone();
    g.params.max_validators = 0;
    assert!(g.validate().is_err());
    assert!(
        serde_json::from_str::<GenesisState>(r#"{"params":{"slash_destination":"void"}}"#).is_err()
    );
    // An operator without the funds in bank genesis fails init.
    let mut s = StateDelta::new(MemState::default());
    let e = base.init(&mut s, &ctx(0)).unwrap_err();
    assert_eq!(e.code, code::INSUFFICIENT_FUNDS);
    assert!(e.log.contains("gentx"), "{}", e.log);
    // Pools that do not match the exported validators fail init.
    let mut s = setup(100 * M);
    base.init(&mut s, &ctx(0)).unwrap();
    let exported = GenesisState::export(&s).unwrap();
    let mut s = setup(100 * M);
    let e = exported.init(&mut s, &ctx(0)).unwrap_err();
    assert!(e.log.contains("pools"), "{}", e.log);
}

// ---- supply invariant ------------------------------------------------------------------

#[test]
fn random_operations_keep_supply_and_pools_consistent() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_5eed);
    let mut s = setup(1_000 * M);
    let mut height = 1u64;
    let (mut ok, mut rejected) = (0u32, 0u32);
    for i in 0..1500 {
        let who = rng.gen_range(1..=9u8);
        let op = rng.gen_range(1..=6u8);
        let amount = match rng.gen_range(0..3) {
            0 => rng.gen_range(1..=1000u128),
            1 => rng.gen_range(1..=5 * M),
            _ => rng.gen_range(M..=50 * M),
        };
        let r = match rng.gen_range(0..100) {
            0..=9 => create(&mut s, op, op, amount),
            10..=39 => delegate(&mut s, who, op, amount).map(|_| ()),
            40..=64 => {
                // Usually a fraction of what the delegation is worth.
                let amt = match (
                    s.validator(&addr(op)).unwrap(),
                    s.delegation(&addr(who), &addr(op)).unwrap(),
                ) {
                    (Some(v), Some(d)) if rng.gen_bool(0.8) => {
                        let w = math::tokens_for_shares(d.shares, v.tokens, v.delegator_shares);
                        if w == 0 {
                            1
                        } else {
                            rng.gen_range(1..=w)
                        }
                    }
                    _ => amount,
                };
                undelegate(&mut s, height, who, op, amt).map(|_| ())
            }
            65..=72 => {
                let ppm = rng.gen_range(0..=300_000u32);
                s.slash(
                    &ctx(height),
                    &crate::NoHooks,
                    ValidatorRef::Operator(addr(op)),
                    ppm,
                    "random",
                )
                .map(|_| ())
            }
            73..=77 => s
                .jail(
                    &ctx(height),
                    ValidatorRef::Operator(addr(op)),
                    height + rng.gen_range(0..5),
                    "random",
                )
                .map(|_| ()),
            78..=82 => unjail(&mut s, height, op),
            83..=86 => {
                // Switch the slash destination now and then.
                let mut p = s.staking_params().unwrap();
                p.slash_destination = if rng.gen_bool(0.5) {
                    SlashDestination::Burn
                } else {
                    SlashDestination::CommunityPool
                };
                s.put_staking_params(&p);
                Ok(())
            }
            _ => {
                height += rng.gen_range(1..4);
                let out = end_block(&mut s, &ctx(height)).unwrap();
                // Every update is for a known validator, and the set never exceeds the cap.
                assert!(s.last_powers().unwrap().len() <= 3);
                for u in &out.validator_updates {
                    assert!(u.power >= 0);
                }
                Ok(())
            }
        };
        match r {
            Ok(()) => ok += 1,
            Err(e) => {
                assert_ne!(e.code, code::INTERNAL, "op {i}: internal error {}", e.log);
                rejected += 1;
            }
        }
        check_invariants(&s);
    }
    // Drain: after every entry matures the not-bonded pool is empty.
    end_block(&mut s, &ctx(height + 100)).unwrap();
    check_invariants(&s);
    assert_eq!(bal(&s, &not_bonded_pool()), 0);
    assert!(ok > 700 && rejected > 50, "ok {ok}, rejected {rejected}");
}

#[test]
fn invariants_report_a_pool_out_of_step_and_a_missing_payout() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    delegate(&mut s, 2, 1, 6 * M).unwrap();
    undelegate(&mut s, 5, 2, 1, 4 * M).unwrap();
    check_invariants(&s);
    // The entry completes at 15: at height 15 it must have been paid by end block.
    let late = crate::invariants::invariants(&s, 15).unwrap();
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].contains("not paid out"), "{late:?}");
    // Coins minted straight into the bonded pool back no validator.
    s.mint(
        &bonded_pool(),
        &[pol_component::coins::Coin::new("upol", 1)],
    )
    .unwrap();
    let broken = crate::invariants::invariants(&s, 5).unwrap();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].starts_with("bonded_pool holds"), "{broken:?}");
}

/// genesis.json's own validators (no gentx) validate blocks without a staking record: their
/// keys are reserved when CometBFT is given the set, so nobody can create a validator with
/// one of them, and the reservation survives export and import.
#[test]
fn keys_of_validators_staking_does_not_hold_are_reserved() {
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    let update = |key: [u8; 32], power| crate::end_block::validator_update(&key, power);
    crate::end_block::reserve_unknown_keys(
        &mut s,
        &[
            update(pubkey(1), 10),
            update(pubkey(7), 5),
            update(pubkey(8), 0),
        ],
    )
    .unwrap();
    // The staking validator's own key and a key removed from the set are not reserved.
    assert_eq!(s.reserved_consensus_keys().unwrap(), vec![pubkey(7)]);

    let err = create(&mut s, 2, 7, 10 * M).unwrap_err();
    assert_eq!(err.code, code::INVALID_REQUEST, "{}", err.log);
    assert!(err.log.contains("already used"), "{}", err.log);
    create(&mut s, 3, 8, 10 * M).unwrap();

    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.reserved_consensus_keys.len(), 1);
    let mut again = StateDelta::new(MemState::default());
    pol_bank::GenesisState::export(&s)
        .unwrap()
        .init(&mut again, &ctx(1))
        .unwrap();
    exported.init(&mut again, &ctx(1)).unwrap();
    assert_eq!(again.reserved_consensus_keys().unwrap(), vec![pubkey(7)]);

    // A reservation of a key a validator holds is a bad genesis.
    let mut bad = exported.clone();
    bad.reserved_consensus_keys.push(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        pubkey(1),
    ));
    let err = bad.validate().unwrap_err();
    assert!(err.contains("a validator's own key"), "{err}");
    let mut bad = exported;
    bad.reserved_consensus_keys.push("not base64!".into());
    assert!(bad.validate().unwrap_err().contains("not base64"));
}

#[test]
fn the_sdks_delegate_and_undelegate_run_pols() {
    use cosmos_sdk_proto::cosmos::staking::v1beta1 as sdk;
    use pol_component::Module as _;
    use prost::Message as _;
    let mut s = setup(100 * M);
    create(&mut s, 1, 1, 10 * M).unwrap();
    let run = |s: &mut State, type_url: &str, value: Vec<u8>| {
        let any = tendermint_proto::google::protobuf::Any {
            type_url: type_url.into(),
            value,
        };
        let msg = crate::StakingModule.decode_msg(&any).unwrap().unwrap();
        assert_eq!(msg.signer().unwrap(), addr(2));
        let mut st: &mut dyn pol_store::StateWrite = s;
        msg.execute(&mut st, &ctx(5), &pol_component::ExecEnv::default())
    };
    let (response, _) = run(
        &mut s,
        crate::module::COSMOS_MSG_DELEGATE,
        sdk::MsgDelegate {
            delegator_address: addr(2).to_string(),
            validator_address: valoper_string(&addr(1)),
            amount: Some(Coin::new("upol", 6 * M).to_proto()),
        }
        .encode_to_vec(),
    )
    .unwrap();
    assert_eq!(
        response.type_url,
        "/cosmos.staking.v1beta1.MsgDelegateResponse"
    );
    assert_eq!(worth(&s, 2, 1), 6 * M);
    let (response, _) = run(
        &mut s,
        crate::module::COSMOS_MSG_UNDELEGATE,
        sdk::MsgUndelegate {
            delegator_address: addr(2).to_string(),
            validator_address: valoper_string(&addr(1)),
            amount: Some(Coin::new("upol", 4 * M).to_proto()),
        }
        .encode_to_vec(),
    )
    .unwrap();
    let r = sdk::MsgUndelegateResponse::decode(response.value.as_slice()).unwrap();
    assert_eq!(r.amount.unwrap().amount, (4 * M).to_string());
    assert_eq!(worth(&s, 2, 1), 2 * M);
    assert_eq!(s.all_unbondings().unwrap().len(), 1);
    // Refusals are pol's: more than the delegation is worth.
    let e = run(
        &mut s,
        crate::module::COSMOS_MSG_UNDELEGATE,
        sdk::MsgUndelegate {
            delegator_address: addr(2).to_string(),
            validator_address: valoper_string(&addr(1)),
            amount: Some(Coin::new("upol", 3 * M).to_proto()),
        }
        .encode_to_vec(),
    )
    .unwrap_err();
    assert_eq!(e.code, code::INSUFFICIENT_FUNDS, "{}", e.log);
    check_invariants(&s);
}
