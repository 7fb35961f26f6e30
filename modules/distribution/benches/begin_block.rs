//! Begin-block cost of mint and distribution, and of one reward withdrawal, with 4 and 100
//! validators and 100 and 10,000 delegations (issue 11's "100 validators and 10,000
//! delegations"). State is built through the real messages (staking with distribution's
//! hooks) on an in-memory overlay; each timed run starts from a fresh overlay over it, so
//! this is the modules' own work without sled and the JMT.
//!
//! `cargo bench -p pol-distribution --bench begin_block` prints a markdown table of medians.

use std::time::{Duration, Instant};

use pol_bank::BankWrite;
use pol_component::coins::Coin;
use pol_component::context::CommitVote;
use pol_component::{Address, BlockContext, BlockInfo, ModuleGenesis};
use pol_distribution::DistributionHooks;
use pol_staking::msg::{
    execute_create_validator, execute_delegate, MsgCreateValidator, MsgDelegate,
};
use pol_staking::types::{consensus_address, valoper_string};
use pol_staking::StakingWrite;
use pol_store::{MemState, StateDelta};

const RUNS: usize = 15;

fn ctx(height: u64) -> BlockContext {
    BlockContext {
        height,
        ..Default::default()
    }
}

fn account(i: u32) -> Address {
    let mut a = [7u8; 20];
    a[..4].copy_from_slice(&i.to_be_bytes());
    Address(a)
}

fn pubkey(i: u32) -> [u8; 32] {
    let mut secret = [1u8; 32];
    secret[..4].copy_from_slice(&i.to_be_bytes());
    ed25519_dalek::SigningKey::from_bytes(&secret)
        .verifying_key()
        .to_bytes()
}

fn coin(amount: u128) -> Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
    Some(Coin::new("upol", amount).to_proto())
}

/// A chain with `validators` bonded validators and `delegations` delegations spread over
/// them; returns it and the commit that pays them.
fn chain(validators: u32, delegations: u32) -> (StateDelta<MemState>, BlockInfo) {
    let mut s = StateDelta::new(MemState::default());
    let params = pol_staking::Params {
        max_validators: validators,
        ..Default::default()
    };
    s.put_staking_params(&params);
    pol_mint::GenesisState::default()
        .init(&mut s, &ctx(1))
        .unwrap();
    pol_distribution::GenesisState::default()
        .init(&mut s, &ctx(1))
        .unwrap();
    for v in 0..validators {
        let op = account(v);
        s.mint(&op, &[Coin::new("upol", 10_000_000_000)]).unwrap();
        execute_create_validator(
            &mut s,
            &ctx(1),
            &DistributionHooks,
            &MsgCreateValidator {
                validator_address: valoper_string(&op),
                consensus_pubkey: pubkey(v).to_vec(),
                moniker: format!("v{v}"),
                commission_bps: 500,
                self_bond: coin(1_000_000_000),
            },
        )
        .unwrap();
    }
    for d in 0..delegations {
        let delegator = account(1_000_000 + d);
        s.mint(&delegator, &[Coin::new("upol", 10_000_000)])
            .unwrap();
        execute_delegate(
            &mut s,
            &ctx(1),
            &DistributionHooks,
            &MsgDelegate {
                delegator_address: delegator.to_string(),
                validator_address: valoper_string(&account(d % validators)),
                amount: coin(1_000_000),
            },
        )
        .unwrap();
    }
    pol_staking::end_block(&mut s, &ctx(1)).unwrap();
    let commit = BlockInfo {
        last_commit: (0..validators)
            .map(|v| CommitVote {
                validator_address: consensus_address(&pubkey(v)).to_vec(),
                power: 1_000 + i64::from(v),
                signed: v % 10 != 0,
            })
            .collect(),
        ..Default::default()
    };
    (s, commit)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    println!(
        "| validators | delegations | mint begin block | distribution begin block | one withdraw |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (validators, delegations) in [(4, 100), (100, 100), (100, 10_000)] {
        let (base, commit) = chain(validators, delegations);
        let (mut mint, mut dist, mut withdraw) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..RUNS {
            let mut s = StateDelta::new(&base);
            // One block's fees, as txs would have paid them.
            s.mint(
                &Address::module(pol_auth::FEE_COLLECTOR),
                &[Coin::new("upol", 1_000_000 + run as u128)],
            )
            .unwrap();
            let t = Instant::now();
            pol_mint::begin_block::begin_block(&mut s, &ctx(2)).unwrap();
            mint.push(t.elapsed());
            let t = Instant::now();
            pol_distribution::allocate::begin_block(&mut s, &ctx(2), &commit).unwrap();
            dist.push(t.elapsed());
            let delegator = account(1_000_000 + run as u32 % delegations);
            let t = Instant::now();
            pol_distribution::msg::execute_withdraw_delegator_reward(
                &mut s,
                &ctx(3),
                &cosmos_sdk_proto::cosmos::distribution::v1beta1::MsgWithdrawDelegatorReward {
                    delegator_address: delegator.to_string(),
                    validator_address: valoper_string(&account(
                        run as u32 % delegations % validators,
                    )),
                },
            )
            .unwrap();
            withdraw.push(t.elapsed());
        }
        println!(
            "| {validators} | {delegations} | {:?} | {:?} | {:?} |",
            median(mint),
            median(dist),
            median(withdraw)
        );
    }
}
