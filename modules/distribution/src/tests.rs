//! F1 against hand-computed figures, allocation by power, the messages' rejections, and the
//! invariants after each step.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1::*;
use pol_bank::{BankRead, BankWrite};
use pol_component::coins::Coin;
use pol_component::context::CommitVote;
use pol_component::error::code;
use pol_component::module::BlockedAccounts;
use pol_component::{Address, BlockContext, BlockInfo, Dec, DecCoins, ExecEnv, ModuleGenesis};
use pol_staking::msg::{execute_create_validator, execute_delegate, execute_undelegate};
use pol_staking::types::{consensus_address, valoper_string};
use pol_staking::{Slashing, StakingRead, StakingWrite, ValidatorRef};
use pol_store::{MemState, StateDelta};

use crate::msg::*;
use crate::view::DistributionRead;
use crate::DistributionHooks;

type State = StateDelta<MemState>;
const M: u128 = 1_000_000;

fn ctx(height: u64) -> BlockContext {
    BlockContext {
        height,
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

fn upol(n: u128) -> Option<ProtoCoin> {
    Some(Coin::new("upol", n).to_proto())
}

fn setup() -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_staking_params(&pol_staking::Params::default());
    crate::GenesisState::default()
        .init(&mut s, &ctx(1))
        .unwrap();
    for b in 1..=9 {
        s.mint(&addr(b), &[Coin::new("upol", 1_000 * M)]).unwrap();
    }
    s
}

fn create(s: &mut State, op: u8, bond: u128, commission_bps: u32) {
    execute_create_validator(
        s,
        &ctx(1),
        &DistributionHooks,
        &pol_staking::msg::MsgCreateValidator {
            validator_address: valoper_string(&addr(op)),
            consensus_pubkey: pubkey(op).to_vec(),
            moniker: format!("v{op}"),
            commission_bps,
            self_bond: upol(bond),
        },
    )
    .unwrap();
}

fn delegate(s: &mut State, height: u64, del: u8, op: u8, amount: u128) {
    execute_delegate(
        s,
        &ctx(height),
        &DistributionHooks,
        &pol_staking::msg::MsgDelegate {
            delegator_address: addr(del).to_string(),
            validator_address: valoper_string(&addr(op)),
            amount: upol(amount),
        },
    )
    .unwrap();
}

/// Fees of `amount` collected, then paid out at `height` to the given (validator, power)s.
fn pay(s: &mut State, height: u64, amount: u128, votes: &[(u8, i64)]) {
    pay_with(s, height, amount, votes, &[]);
}

/// As [`pay`], with the votes of `absent` validators missing from the commit.
fn pay_with(s: &mut State, height: u64, amount: u128, votes: &[(u8, i64)], absent: &[u8]) {
    s.mint(
        &Address::module(pol_auth::FEE_COLLECTOR),
        &[Coin::new("upol", amount)],
    )
    .unwrap();
    let block = BlockInfo {
        last_commit: votes
            .iter()
            .map(|(op, power)| CommitVote {
                validator_address: consensus_address(&pubkey(*op)).to_vec(),
                power: *power,
                signed: !absent.contains(op),
            })
            .collect(),
        ..Default::default()
    };
    crate::allocate::begin_block(s, &ctx(height), &block).unwrap();
    check(s, height);
}

fn check(s: &State, height: u64) {
    let broken = crate::invariants::invariants(s, height).unwrap();
    assert!(broken.is_empty(), "height {height}: {broken:?}");
}

fn withdraw(s: &mut State, height: u64, del: u8, op: u8) -> u128 {
    let (r, _) = execute_withdraw_delegator_reward(
        s,
        &ctx(height),
        &MsgWithdrawDelegatorReward {
            delegator_address: addr(del).to_string(),
            validator_address: valoper_string(&addr(op)),
        },
    )
    .unwrap();
    check(s, height);
    r.amount
        .iter()
        .map(|c| c.amount.parse::<u128>().unwrap())
        .sum()
}

fn d(s: &str) -> Dec {
    s.parse().unwrap()
}

#[test]
fn fees_go_by_power_less_tax_and_commission() {
    let mut s = setup();
    create(&mut s, 1, 30 * M, 1_000); // 10 % commission
    create(&mut s, 2, 10 * M, 0);
    pay(&mut s, 2, 1_000_000, &[(1, 30), (2, 10)]);
    // 2 % tax: 980,000 to validators, 3/4 and 1/4.
    let v1 = addr(1);
    assert_eq!(
        s.outstanding_rewards(&v1).unwrap().unwrap(),
        DecCoins::of("upol", d("735000"))
    );
    assert_eq!(
        s.accumulated_commission(&v1).unwrap().unwrap(),
        DecCoins::of("upol", d("73500"))
    );
    assert_eq!(
        s.current_rewards(&v1).unwrap().unwrap().0,
        DecCoins::of("upol", d("661500"))
    );
    assert_eq!(
        s.outstanding_rewards(&addr(2)).unwrap().unwrap(),
        DecCoins::of("upol", d("245000"))
    );
    assert_eq!(
        s.community_pool().unwrap(),
        DecCoins::of("upol", d("20000"))
    );
    assert_eq!(
        s.balance(&crate::module_account(), "upol").unwrap(),
        1_000_000
    );
    assert_eq!(
        s.balance(&Address::module(pol_auth::FEE_COLLECTOR), "upol")
            .unwrap(),
        0
    );

    // Nobody in the commit: everything to the pool.
    pay(&mut s, 3, 500, &[]);
    assert_eq!(
        s.community_pool().unwrap(),
        DecCoins::of("upol", d("20500"))
    );
}

#[test]
fn delegators_share_by_stake_and_a_late_delegator_gets_only_later_rewards() {
    let mut s = setup();
    create(&mut s, 1, 10 * M, 0);
    delegate(&mut s, 1, 5, 1, 30 * M); // operator 10, delegator 5: 30 of 40
    pay(&mut s, 2, 1_000_000, &[(1, 40)]); // 980,000 to share
                                           // Delegator 5 owns 3/4: 735,000.
    let before = s.balance(&addr(5), "upol").unwrap();
    assert_eq!(withdraw(&mut s, 3, 5, 1), 735_000);
    assert_eq!(s.balance(&addr(5), "upol").unwrap(), before + 735_000);
    // A second delegator joins at height 3 with 40 (now 80 in all) and earns from then on.
    delegate(&mut s, 3, 6, 1, 40 * M);
    pay(&mut s, 4, 1_000_000, &[(1, 80)]);
    assert_eq!(withdraw(&mut s, 5, 6, 1), 490_000); // half of 980,000
    assert_eq!(withdraw(&mut s, 5, 5, 1), 367_500); // 30/80
                                                    // The operator: 1/4 of the first payout and 10/80 of the second.
    assert_eq!(withdraw(&mut s, 5, 1, 1), 245_000 + 122_500);
    // Nothing left to anybody but rounding dust.
    let left = s.outstanding_rewards(&addr(1)).unwrap().unwrap();
    assert!(left.amount_of("upol") < Dec::one(), "{left:?}");
}

#[test]
fn a_slash_cuts_the_rewards_after_it_exactly() {
    let mut s = setup();
    create(&mut s, 1, 10 * M, 0);
    delegate(&mut s, 1, 5, 1, 10 * M); // half each
    pay(&mut s, 2, 1_000_000, &[(1, 20)]); // 980,000: 490,000 each
                                           // Half the validator's tokens are slashed at height 3.
    s.slash(
        &ctx(3),
        &DistributionHooks,
        ValidatorRef::Operator(addr(1)),
        500_000,
        "test",
    )
    .unwrap();
    check(&s, 3);
    assert_eq!(s.validator(&addr(1)).unwrap().unwrap().tokens, 10 * M);
    // After the slash a new delegator brings 10 (as much as the two halves left together).
    delegate(&mut s, 3, 6, 1, 10 * M);
    pay(&mut s, 4, 1_000_000, &[(1, 20)]); // 980,000: 245,000 / 245,000 / 490,000
    assert_eq!(withdraw(&mut s, 5, 5, 1), 490_000 + 245_000);
    assert_eq!(withdraw(&mut s, 5, 6, 1), 490_000);
    assert_eq!(withdraw(&mut s, 5, 1, 1), 490_000 + 245_000);
    let events = s.slash_events(&addr(1), 0, 10).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].fraction, d("0.5"));
}

#[test]
fn unbonding_settles_rewards_and_a_gone_delegation_leaves_no_records() {
    let mut s = setup();
    create(&mut s, 1, 10 * M, 0);
    delegate(&mut s, 1, 5, 1, 10 * M);
    pay(&mut s, 2, 1_000_000, &[(1, 20)]);
    let before = s.balance(&addr(5), "upol").unwrap();
    execute_undelegate(
        &mut s,
        &ctx(3),
        &DistributionHooks,
        &pol_staking::msg::MsgUndelegate {
            delegator_address: addr(5).to_string(),
            validator_address: valoper_string(&addr(1)),
            amount: upol(10 * M),
        },
    )
    .unwrap();
    check(&s, 3);
    // The rewards were paid when the delegation changed; its accounting is gone.
    assert_eq!(s.balance(&addr(5), "upol").unwrap(), before + 490_000);
    assert!(s.starting_info(&addr(1), &addr(5)).unwrap().is_none());
}

#[test]
fn commission_withdraw_address_and_community_pool_messages() {
    let mut s = setup();
    create(&mut s, 1, 10 * M, 2_500);
    pay(&mut s, 2, 1_000_001, &[(1, 10)]);
    // 980,000.98 to the validator (the tax takes 20,000.02), 25 % of it commission.
    let (r, _) = execute_withdraw_validator_commission(
        &mut s,
        &ctx(3),
        &MsgWithdrawValidatorCommission {
            validator_address: valoper_string(&addr(1)),
        },
    )
    .unwrap();
    assert_eq!(r.amount, vec![Coin::new("upol", 245_000).to_proto()]);
    check(&s, 3);
    let again = execute_withdraw_validator_commission(
        &mut s,
        &ctx(3),
        &MsgWithdrawValidatorCommission {
            validator_address: valoper_string(&addr(1)),
        },
    )
    .unwrap_err();
    assert_eq!(again.code, code::INVALID_REQUEST);

    // Rewards to another address; never to a module account.
    let mut env = ExecEnv::default();
    env.insert(BlockedAccounts(vec![crate::module_account()]));
    let set = |to: Address| MsgSetWithdrawAddress {
        delegator_address: addr(1).to_string(),
        withdraw_address: to.to_string(),
    };
    let err = execute_set_withdraw_address(&mut s, &ctx(3), &env, &set(crate::module_account()))
        .unwrap_err();
    assert_eq!(err.code, code::UNAUTHORIZED);
    execute_set_withdraw_address(&mut s, &ctx(3), &env, &set(addr(9))).unwrap();
    let before = s.balance(&addr(9), "upol").unwrap();
    let paid = withdraw(&mut s, 4, 1, 1);
    assert_eq!(paid, 735_000);
    assert_eq!(s.balance(&addr(9), "upol").unwrap(), before + paid);

    // Funding the pool.
    let pool = s.community_pool().unwrap();
    execute_fund_community_pool(
        &mut s,
        &ctx(4),
        &MsgFundCommunityPool {
            amount: vec![Coin::new("upol", 7).to_proto()],
            depositor: addr(2).to_string(),
        },
    )
    .unwrap();
    assert_eq!(
        s.community_pool().unwrap(),
        pool.add(&DecCoins::of("upol", d("7"))).unwrap()
    );
    check(&s, 4);
    let broke = execute_fund_community_pool(
        &mut s,
        &ctx(4),
        &MsgFundCommunityPool {
            amount: vec![Coin::new("upol", 10_000 * M).to_proto()],
            depositor: addr(2).to_string(),
        },
    )
    .unwrap_err();
    assert_eq!(broke.code, code::INSUFFICIENT_FUNDS);
}

#[test]
fn export_and_import_keep_every_record() {
    let mut s = setup();
    create(&mut s, 1, 10 * M, 500);
    delegate(&mut s, 1, 5, 1, 10 * M);
    pay(&mut s, 2, 1_000_000, &[(1, 20)]);
    s.slash(
        &ctx(3),
        &DistributionHooks,
        ValidatorRef::Operator(addr(1)),
        100_000,
        "t",
    )
    .unwrap();
    let exported = crate::GenesisState::export(&s).unwrap();
    exported.validate().unwrap();
    let json = serde_json::to_value(&exported).unwrap();
    assert_eq!(json["params"]["community_tax"], "0.020000000000000000");
    let back: crate::GenesisState = serde_json::from_value(json).unwrap();
    assert_eq!(back, exported);

    let mut again = StateDelta::new(MemState::default());
    pol_bank::GenesisState::export(&s)
        .unwrap()
        .init(&mut again, &ctx(4))
        .unwrap();
    pol_staking::GenesisState::export(&s)
        .unwrap()
        .init(&mut again, &ctx(4))
        .unwrap();
    back.init(&mut again, &ctx(4)).unwrap();
    assert_eq!(crate::GenesisState::export(&again).unwrap(), exported);
    check(&again, 4);
}

/// A proposer that leaves another validator's signature out of the commit gains nothing:
/// every validator of the previous set is paid by its power, signed or not (downtime is
/// slashing's business), so the share of the proposer (validator 1) stays 3/4.
#[test]
fn dropping_others_votes_from_the_commit_does_not_move_rewards() {
    let mut honest = setup();
    let mut censored = setup();
    for s in [&mut honest, &mut censored] {
        create(s, 1, 30 * M, 0);
        create(s, 2, 10 * M, 0);
    }
    pay_with(&mut honest, 2, 1_000_000, &[(1, 30), (2, 10)], &[]);
    pay_with(&mut censored, 2, 1_000_000, &[(1, 30), (2, 10)], &[2]);
    for v in [1, 2] {
        assert_eq!(
            honest.outstanding_rewards(&addr(v)).unwrap(),
            censored.outstanding_rewards(&addr(v)).unwrap()
        );
    }
    assert_eq!(
        censored.outstanding_rewards(&addr(1)).unwrap().unwrap(),
        DecCoins::of("upol", d("735000"))
    );
}

/// Withdrawing from a validator one never delegated to, or from a validator that does not
/// exist, is refused and changes nothing.
#[test]
fn withdraw_rejections_write_nothing() {
    let mut s = setup();
    create(&mut s, 1, 10 * M, 0);
    pay(&mut s, 2, 1_000_000, &[(1, 10)]);
    let before = s.writes().clone();
    for (delegator, validator, want) in [
        (
            addr(5).to_string(),
            valoper_string(&addr(1)),
            code::INVALID_REQUEST,
        ),
        (
            addr(5).to_string(),
            valoper_string(&addr(7)),
            code::UNKNOWN_ADDRESS,
        ),
        (
            "pol1bad".to_string(),
            valoper_string(&addr(1)),
            code::INVALID_ADDRESS,
        ),
    ] {
        let err = execute_withdraw_delegator_reward(
            &mut s,
            &ctx(3),
            &MsgWithdrawDelegatorReward {
                delegator_address: delegator,
                validator_address: validator,
            },
        )
        .unwrap_err();
        assert_eq!(err.code, want, "{}", err.log);
    }
    assert_eq!(s.writes(), &before);
}

/// A genesis whose distribution account does not hold exactly what the records owe is
/// refused (the first block's invariant would fail, and payouts could fail later).
#[test]
fn genesis_refuses_an_account_that_does_not_hold_what_the_records_owe() {
    use pol_component::genesis::ChainStart;
    use pol_component::AppState;
    let mut s = setup();
    create(&mut s, 1, 10 * M, 500);
    pay(&mut s, 2, 1_000_000, &[(1, 10)]);
    let dist = crate::GenesisState::export(&s).unwrap();
    let mut app_state = AppState::default();
    app_state
        .set(&pol_bank::GenesisState::export(&s).unwrap())
        .unwrap();
    app_state
        .set(&pol_staking::GenesisState::export(&s).unwrap())
        .unwrap();
    app_state.set(&dist).unwrap();
    dist.validate_against(&app_state, &ChainStart::default())
        .unwrap();
    let mut bad = dist.clone();
    bad.fee_pool.community_pool = bad
        .fee_pool
        .community_pool
        .add(&DecCoins::of("upol", d("1")))
        .unwrap();
    let err = bad
        .validate_against(&app_state, &ChainStart::default())
        .unwrap_err();
    assert!(err.contains("the records owe"), "{err}");
}

/// A validator that joins an exported genesis through a gentx (no records in the export)
/// gets its records at InitChain instead of halting the chain at its first reward.
#[test]
fn validators_an_export_does_not_cover_get_records_at_init() {
    let mut s = setup();
    create(&mut s, 1, 10 * M, 0);
    pay(&mut s, 2, 1_000_000, &[(1, 10)]);
    let exported = crate::GenesisState::export(&s).unwrap();
    let mut again = StateDelta::new(MemState::default());
    pol_bank::GenesisState::export(&s)
        .unwrap()
        .init(&mut again, &ctx(3))
        .unwrap();
    pol_staking::GenesisState::export(&s)
        .unwrap()
        .init(&mut again, &ctx(3))
        .unwrap();
    // The gentx validator, made by staking's genesis (no hooks there).
    execute_create_validator(
        &mut again,
        &ctx(3),
        &pol_staking::NoHooks,
        &pol_staking::msg::MsgCreateValidator {
            validator_address: valoper_string(&addr(2)),
            consensus_pubkey: pubkey(2).to_vec(),
            moniker: "v2".into(),
            commission_bps: 0,
            self_bond: upol(10 * M),
        },
    )
    .unwrap();
    exported.init(&mut again, &ctx(3)).unwrap();
    assert!(again.current_rewards(&addr(2)).unwrap().is_some());
    assert!(again.starting_info(&addr(2), &addr(2)).unwrap().is_some());
    check(&again, 3);
    pay(&mut again, 4, 1_000_000, &[(1, 10), (2, 10)]);
    assert_eq!(withdraw(&mut again, 5, 2, 2), 490_000);
}
