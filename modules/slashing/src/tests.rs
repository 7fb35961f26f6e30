//! Downtime and double-sign judgement against hand-computed figures, MsgUnjail's refusals,
//! evidence that must be ignored, penalties that fail without halting, and genesis.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::slashing::v1beta1::MsgUnjail;
use pol_bank::{BankRead as _, BankWrite};
use pol_component::coins::Coin;
use pol_component::context::{CommitVote, EvidenceMaxAge, Misbehavior, MisbehaviorKind};
use pol_component::{Address, BlockContext, BlockInfo, Dec, Event, ModuleGenesis, TxError};
use pol_staking::msg::{execute_create_validator, execute_undelegate};
use pol_staking::types::{consensus_address, valoper_string};
use pol_staking::{StakingHookList, StakingHooks, StakingRead, Validator};
use pol_store::{MemState, StateDelta, StateWrite};

use crate::error::code;
use crate::{GenesisState, Params, SlashingHooks, SlashingRead};

type State = StateDelta<MemState>;
const M: u128 = 1_000_000;
const SEC: i128 = 1_000_000_000;

/// Block `height` at `height` seconds.
fn ctx(height: u64) -> BlockContext {
    BlockContext {
        height,
        time_unix_nanos: i128::from(height) * SEC,
        ..Default::default()
    }
}

fn addr(b: u8) -> Address {
    Address([b; 20])
}

fn pubkey(seed: u8) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
        .verifying_key()
        .to_bytes()
}

fn cons(op: u8) -> [u8; 20] {
    consensus_address(&pubkey(op))
}

fn upol(n: u128) -> Option<ProtoCoin> {
    Some(Coin::new("upol", n).to_proto())
}

/// Window 10, at least half signed (so more than 5 misses jail), 60 s downtime jail, 1 %
/// for downtime, 5 % for double-signing.
fn params() -> Params {
    Params {
        signed_blocks_window: 10,
        min_signed_per_window: Dec::with_decimals(5, 1),
        downtime_jail_duration: 60_000_000_000,
        slash_fraction_double_sign: Dec::with_decimals(5, 2),
        slash_fraction_downtime: Dec::with_decimals(1, 2),
    }
}

/// Validators 1 and 2 (100 and 50 upol·10⁶ self-bond), bonded at height 1.
fn setup() -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_staking_params(&pol_staking::Params {
        unbonding_blocks: 50,
        ..pol_staking::Params::default()
    });
    GenesisState {
        params: params(),
        ..GenesisState::default()
    }
    .init(&mut s, &ctx(1))
    .unwrap();
    for b in 1..=9 {
        s.mint(&addr(b), &[Coin::new("upol", 1_000 * M)]).unwrap();
    }
    for (op, bond) in [(1u8, 100 * M), (2, 50 * M)] {
        execute_create_validator(
            &mut s,
            &ctx(1),
            &SlashingHooks,
            &pol_staking::msg::MsgCreateValidator {
                validator_address: valoper_string(&addr(op)),
                consensus_pubkey: pubkey(op).to_vec(),
                moniker: format!("v{op}"),
                commission_bps: 0,
                self_bond: upol(bond),
            },
        )
        .unwrap();
    }
    pol_staking::end_block::end_block_with(&mut s, &ctx(1), &SlashingHooks).unwrap();
    s
}

use pol_staking::StakingWrite as _;

/// Begin block `height` with validator 1 signing and 2 signing when `two_signs`.
fn block(s: &mut State, height: u64, two_signs: bool) -> Vec<Event> {
    let info = BlockInfo {
        last_commit: vec![vote(1, true), vote(2, two_signs)],
        ..Default::default()
    };
    begin(s, height, &info)
}

fn begin(s: &mut State, height: u64, info: &BlockInfo) -> Vec<Event> {
    let events = crate::begin_block::begin_block(s, &ctx(height), info, &SlashingHooks).unwrap();
    let broken = crate::SlashingModule.invariants_of(s, height);
    assert!(broken.is_empty(), "height {height}: {broken:?}");
    events
}

impl crate::SlashingModule {
    fn invariants_of(&self, s: &State, height: u64) -> Vec<String> {
        pol_component::Module::invariants(self, s, height).unwrap()
    }
}

fn vote(op: u8, signed: bool) -> CommitVote {
    CommitVote {
        validator_address: cons(op).to_vec(),
        power: 1,
        signed,
    }
}

fn val(s: &State, op: u8) -> Validator {
    s.validator(&addr(op)).unwrap().unwrap()
}

fn unjail(s: &mut State, height: u64, op: u8) -> Result<(), TxError> {
    crate::msg::execute_unjail(
        s,
        &ctx(height),
        &MsgUnjail {
            validator_addr: valoper_string(&addr(op)),
        },
    )
    .map(|_| ())
}

fn supply(s: &State) -> u128 {
    s.supply_of("upol").unwrap()
}

#[test]
fn a_validator_gets_a_record_when_it_enters_the_set() {
    let s = setup();
    for op in [1, 2] {
        let info = s.signing_info(&cons(op)).unwrap().unwrap();
        assert_eq!(info.start_height, 1);
        assert_eq!((info.index_offset, info.missed_blocks_counter), (0, 0));
        assert!(!info.tombstoned);
    }
}

#[test]
fn downtime_past_the_window_slashes_jails_and_clears_the_window() {
    let mut s = setup();
    let (tokens, before) = (val(&s, 2).tokens, supply(&s));
    // Absent from height 2 on: 10 misses by height 11, but the first window after joining
    // at height 1 ends at 11, so nothing happens until 12.
    for h in 2..=11 {
        block(&mut s, h, false);
        assert!(!val(&s, 2).jailed, "height {h}");
        assert_eq!(
            s.signing_info(&cons(2))
                .unwrap()
                .unwrap()
                .missed_blocks_counter,
            h - 1
        );
    }
    let events = block(&mut s, 12, false);
    let v = val(&s, 2);
    assert!(v.jailed);
    // ceil(50·10⁶ × 1 %) = 500,000, burned.
    assert_eq!(v.tokens, tokens - 500_000);
    assert_eq!(supply(&s), before - 500_000);
    let info = s.signing_info(&cons(2)).unwrap().unwrap();
    assert_eq!(info.jailed_until, 12 * SEC + 60 * SEC);
    assert_eq!((info.missed_blocks_counter, info.index_offset), (0, 0));
    assert!(s.missed_indices(&cons(2)).unwrap().is_empty());
    assert!(events.iter().any(|e| e.kind == "slashing_downtime"));
    // The signer is untouched.
    assert!(!val(&s, 1).jailed);
    assert_eq!(val(&s, 1).tokens, 100 * M);

    // Still in the next commits (the set changes with a delay): no second penalty.
    for h in 13..=14 {
        block(&mut s, h, false);
    }
    assert_eq!(val(&s, 2).tokens, tokens - 500_000);
}

#[test]
fn missing_exactly_what_the_window_allows_is_not_punished() {
    let mut s = setup();
    // Past the first window, then miss 5 of every 10: the counter reaches 5, never 6.
    for h in 2..=40u64 {
        block(&mut s, h, h % 10 >= 5);
    }
    assert!(!val(&s, 2).jailed);
    assert_eq!(
        s.signing_info(&cons(2))
            .unwrap()
            .unwrap()
            .missed_blocks_counter,
        5
    );
    // One more miss in the window jails.
    let mut jailed_at = None;
    for h in 41..=60u64 {
        block(&mut s, h, h % 10 >= 6 && h != 45);
        if val(&s, 2).jailed {
            jailed_at = Some(h);
            break;
        }
    }
    assert!(jailed_at.is_some(), "six misses in a window must jail");
}

#[test]
fn unjail_waits_for_the_jail_time_and_the_self_bond() {
    let mut s = setup();
    for h in 2..=12 {
        block(&mut s, h, false);
    }
    assert!(val(&s, 2).jailed);
    // Jailed until 72 s (block 72 here).
    let e = unjail(&mut s, 71, 2).unwrap_err();
    assert_eq!(
        (e.codespace, e.code),
        ("slashing", code::VALIDATOR_JAILED),
        "{e}"
    );
    assert_eq!(
        unjail(&mut s, 72, 1).unwrap_err().code,
        code::VALIDATOR_NOT_JAILED
    );
    assert_eq!(
        unjail(&mut s, 72, 9).unwrap_err().code,
        code::NO_VALIDATOR_FOR_ADDRESS
    );
    unjail(&mut s, 72, 2).unwrap();
    assert!(!val(&s, 2).jailed);
    assert_eq!(
        unjail(&mut s, 73, 2).unwrap_err().code,
        code::VALIDATOR_NOT_JAILED
    );
}

#[test]
fn unjail_needs_the_minimum_self_bond() {
    let mut s = setup();
    for h in 2..=12 {
        block(&mut s, h, false);
    }
    // The operator takes out all but 0.5 upol·10⁶ of its 49.5 left (min self bond 1).
    execute_undelegate(
        &mut s,
        &ctx(13),
        &SlashingHooks,
        &pol_staking::msg::MsgUndelegate {
            delegator_address: addr(2).to_string(),
            validator_address: valoper_string(&addr(2)),
            amount: upol(49 * M),
        },
    )
    .unwrap();
    let e = unjail(&mut s, 80, 2).unwrap_err();
    assert_eq!(e.code, code::SELF_DELEGATION_TOO_LOW_TO_UNJAIL, "{e}");
}

#[test]
fn rejoining_the_set_starts_a_new_grace_window() {
    let mut s = setup();
    for h in 2..=12 {
        block(&mut s, h, false);
    }
    pol_staking::end_block::end_block_with(&mut s, &ctx(12), &SlashingHooks).unwrap();
    unjail(&mut s, 80, 2).unwrap();
    pol_staking::end_block::end_block_with(&mut s, &ctx(80), &SlashingHooks).unwrap();
    assert_eq!(s.signing_info(&cons(2)).unwrap().unwrap().start_height, 80);
    // Absent again right away: not judged before 80 + 10.
    for h in 81..=90 {
        block(&mut s, h, false);
        assert!(!val(&s, 2).jailed, "height {h}");
    }
    block(&mut s, 91, false);
    assert!(val(&s, 2).jailed);
}

fn evidence(op: u8, height: u64, time_secs: i128) -> Misbehavior {
    Misbehavior {
        kind: MisbehaviorKind::DuplicateVote,
        validator_address: cons(op).to_vec(),
        power: 50,
        height,
        time_unix_nanos: time_secs * SEC,
        total_voting_power: 150,
    }
}

fn with_evidence(list: Vec<Misbehavior>) -> BlockInfo {
    BlockInfo {
        misbehavior: list,
        evidence_max_age: Some(EvidenceMaxAge {
            num_blocks: 100,
            duration_nanos: 200 * SEC as u64,
        }),
        ..Default::default()
    }
}

fn unbond(s: &mut State, height: u64, amount: u128) {
    execute_undelegate(
        s,
        &ctx(height),
        &SlashingHooks,
        &pol_staking::msg::MsgUndelegate {
            delegator_address: addr(2).to_string(),
            validator_address: valoper_string(&addr(2)),
            amount: upol(amount),
        },
    )
    .unwrap();
}

#[test]
fn double_sign_slashes_the_stake_behind_the_infraction_and_tombstones() {
    let mut s = setup();
    unbond(&mut s, 3, 10 * M); // left before the infraction: not liable
    unbond(&mut s, 8, 20 * M); // left after it: liable by its initial amount
    let before = supply(&s);
    let tokens = val(&s, 2).tokens; // 20·10⁶
                                    // Double-signed at height 6 (liable from 5, one block of update delay), seen at 10.
    let events = begin(&mut s, 10, &with_evidence(vec![evidence(2, 6, 6)]));
    assert!(events.iter().any(|e| e.kind == "slashing_double_sign"));
    let v = val(&s, 2);
    assert!(v.jailed);
    assert_eq!(v.jailed_until_height, u64::MAX);
    assert_eq!(v.tokens, tokens - tokens / 20);
    let entries = s.unbondings_from(&addr(2)).unwrap();
    let amount_of = |created: u64| {
        entries
            .iter()
            .find(|e| e.creation_height == created)
            .unwrap()
            .amount
    };
    assert_eq!(amount_of(3), 10 * M);
    assert_eq!(amount_of(8), 20 * M - M);
    assert_eq!(supply(&s), before - tokens / 20 - M);
    let info = s.signing_info(&cons(2)).unwrap().unwrap();
    assert!(info.tombstoned);
    assert_eq!(info.jailed_until, crate::time::FOREVER_NANOS);

    // Never again: unjail refused for ever, and more evidence of it changes nothing.
    let e = unjail(&mut s, 1_000_000, 2).unwrap_err();
    assert_eq!(e.code, code::VALIDATOR_JAILED, "{e}");
    assert!(e.log.contains("tombstoned"), "{e}");
    let supply_after = supply(&s);
    begin(&mut s, 11, &with_evidence(vec![evidence(2, 9, 9)]));
    assert_eq!(supply(&s), supply_after);
}

#[test]
fn evidence_past_both_max_ages_is_ignored() {
    let mut s = setup();
    let tokens = val(&s, 2).tokens;
    // 150 blocks and 300 s old: past both bounds (100 blocks, 200 s).
    let mut info = with_evidence(vec![evidence(2, 2, 2)]);
    let mut c = ctx(152);
    c.time_unix_nanos = 302 * SEC;
    crate::begin_block::begin_block(&mut s, &c, &info, &SlashingHooks).unwrap();
    assert_eq!(val(&s, 2).tokens, tokens);
    assert!(!val(&s, 2).jailed);
    // Old in blocks but not in time: still judged (both must be exceeded, as in the SDK).
    c.time_unix_nanos = 150 * SEC;
    info.misbehavior = vec![evidence(2, 2, 2)];
    crate::begin_block::begin_block(&mut s, &c, &info, &SlashingHooks).unwrap();
    assert!(val(&s, 2).jailed);
    assert!(val(&s, 2).tokens < tokens);
}

#[test]
fn evidence_about_nobody_or_of_an_unknown_kind_changes_nothing() {
    let mut s = setup();
    let before = s.writes().clone();
    let mut unknown = evidence(2, 5, 5);
    unknown.kind = MisbehaviorKind::Unknown;
    let mut stranger = evidence(7, 5, 5);
    stranger.validator_address = vec![7; 20];
    let mut short = evidence(2, 5, 5);
    short.validator_address = vec![1, 2, 3];
    let mut future = evidence(1, 50, 50);
    future.height = 50;
    begin(&mut s, 10, &with_evidence(vec![unknown, stranger, short]));
    assert_eq!(s.writes(), &before);
    // Evidence "from the future" (a broken CometBFT) takes the tokens only, not unbonding.
    begin(&mut s, 10, &with_evidence(vec![future]));
    assert!(val(&s, 1).jailed);
}

/// A staking listener that fails every slash (a broken module): the chain must go on.
struct FailingSlashHook;
impl StakingHooks for FailingSlashHook {
    fn before_validator_slashed(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _validator: &Validator,
        _fraction: &Dec,
    ) -> Result<Vec<Event>, TxError> {
        Err(TxError::INTERNAL("listener broke"))
    }
}

#[test]
fn a_penalty_that_fails_is_skipped_without_halting() {
    let mut s = setup();
    let tokens = val(&s, 2).tokens;
    static HOOKS: FailingSlashHook = FailingSlashHook;
    let hooks = StakingHookList(vec![&HOOKS]);
    let info = with_evidence(vec![evidence(2, 6, 6)]);
    crate::begin_block::begin_block(&mut s, &ctx(10), &info, &hooks).unwrap();
    // The slash wrote nothing; the jail and tombstone stand.
    assert_eq!(val(&s, 2).tokens, tokens);
    assert!(val(&s, 2).jailed);
    assert!(s.signing_info(&cons(2)).unwrap().unwrap().tombstoned);
}

#[test]
fn genesis_exports_and_imports_exactly() {
    let mut s = setup();
    for h in 2..=8 {
        block(&mut s, h, h % 3 == 0);
    }
    begin(&mut s, 9, &with_evidence(vec![evidence(1, 7, 7)]));
    let exported = GenesisState::export(&s).unwrap();
    exported.validate().unwrap();
    assert!(!exported.missed_blocks.is_empty());
    let json = serde_json::to_value(&exported).unwrap();
    assert_eq!(json["params"]["downtime_jail_duration"], "60s");
    assert_eq!(
        json["signing_infos"][0]["validator_signing_info"]["jailed_until"],
        "9999-12-31T23:59:59Z"
    );
    let back: GenesisState = serde_json::from_value(json).unwrap();
    assert_eq!(back, exported);

    // Importing it (after staking's genesis) writes the same records.
    let mut fresh = StateDelta::new(MemState::default());
    for v in s.all_validators().unwrap() {
        fresh.put_validator(&v).unwrap();
    }
    back.init(&mut fresh, &ctx(9)).unwrap();
    assert_eq!(GenesisState::export(&fresh).unwrap(), exported);
}

#[test]
fn genesis_refuses_records_that_disagree() {
    let mut s = setup();
    for h in 2..=6 {
        block(&mut s, h, false);
    }
    let good = GenesisState::export(&s).unwrap();
    good.validate().unwrap();

    let mut counter = good.clone();
    counter.signing_infos[1]
        .validator_signing_info
        .missed_blocks_counter += 1;
    let mut outside = good.clone();
    outside.missed_blocks[0].missed_blocks[0].index = 10;
    let mut twice = good.clone();
    twice.signing_infos.push(twice.signing_infos[0].clone());
    let mut orphan = good.clone();
    orphan.signing_infos.remove(1);
    let mut renamed = good.clone();
    renamed.signing_infos[0].address = renamed.signing_infos[1].address.clone();
    let mut bad_params = good.clone();
    bad_params.params.signed_blocks_window = 0;
    for (what, g) in [
        ("counter", counter),
        ("outside", outside),
        ("twice", twice),
        ("orphan", orphan),
        ("renamed", renamed),
        ("params", bad_params),
    ] {
        assert!(g.validate().is_err(), "{what} should be refused");
    }
}

#[test]
fn genesis_starts_records_for_validators_staking_bonded() {
    let s = setup();
    let mut fresh = StateDelta::new(MemState::default());
    for v in s.all_validators().unwrap() {
        fresh.put_validator(&v).unwrap();
    }
    GenesisState::default().init(&mut fresh, &ctx(5)).unwrap();
    for op in [1, 2] {
        assert_eq!(
            fresh.signing_info(&cons(op)).unwrap().unwrap().start_height,
            5
        );
    }
}

#[test]
fn jailing_itself_does_not_dodge_the_downtime_penalty() {
    let mut s = setup();
    for h in 2..=11 {
        block(&mut s, h, false);
    }
    // Ten misses, judged from block 12 on: the operator jails itself first by taking its
    // self-bond under the minimum (staking's jail, which ends at once).
    unbond(&mut s, 11, 49_500_000);
    assert!(val(&s, 2).jailed);
    let tokens = val(&s, 2).tokens;
    block(&mut s, 12, false);
    // The penalty applies all the same: slashed, and jailed for the downtime term.
    assert_eq!(val(&s, 2).tokens, tokens - tokens.div_ceil(100));
    let info = s.signing_info(&cons(2)).unwrap().unwrap();
    assert_eq!(info.jailed_until, 72 * SEC);
    // Bonding back does not let it out before the term.
    execute_create_or_delegate(&mut s, 13);
    let e = unjail(&mut s, 13, 2).unwrap_err();
    assert_eq!(e.code, code::VALIDATOR_JAILED, "{e}");
    unjail(&mut s, 72, 2).unwrap();
}

/// The operator of validator 2 bonds 2 upol·10⁶ back to itself.
fn execute_create_or_delegate(s: &mut State, height: u64) {
    pol_staking::msg::execute_delegate(
        s,
        &ctx(height),
        &SlashingHooks,
        &pol_staking::msg::MsgDelegate {
            delegator_address: addr(2).to_string(),
            validator_address: valoper_string(&addr(2)),
            amount: upol(2 * M),
        },
    )
    .unwrap();
}
