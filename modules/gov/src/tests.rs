//! Proposals end to end on a state with two bonded validators: a passed proposal's
//! messages run (and a failing one writes nothing), the tally against hand-computed
//! figures (delegators overriding their validator), deposits refunded, burned and
//! cancelled, every refusal with its code, the legacy v1beta1 forms, and genesis.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::gov::{v1 as pb, v1beta1 as legacy_pb};
use pol_bank::{BankRead, BankWrite};
use pol_component::coins::Coin;
use pol_component::module::{BlockedAccounts, MsgRouter};
use pol_component::{Address, BlockContext, Dec, Event, ExecEnv, Module, ModuleGenesis, TxError};
use pol_staking::hooks::NoHooks;
use pol_staking::msg::{
    execute_create_validator, execute_delegate, MsgCreateValidator, MsgDelegate,
};
use pol_staking::types::valoper_string;
use pol_store::{MemState, StateDelta, StateRead};
use prost::Message;
use tendermint_proto::google::protobuf::Any;

use crate::proposal::ProposalStatus;
use crate::{error, gov_authority, module_account, GenesisState, GovModule, GovRead, Params};

type State = StateDelta<MemState>;
const M: u128 = 1_000_000;
const SEC: i128 = 1_000_000_000;

fn ctx(secs: u64) -> BlockContext {
    BlockContext {
        height: secs,
        time_unix_nanos: i128::from(secs) * SEC,
        ..Default::default()
    }
}

fn addr(b: u8) -> Address {
    Address([b; 20])
}

fn upol(n: u128) -> Vec<ProtoCoin> {
    vec![Coin::new("upol", n).to_proto()]
}

/// Deposit 10 upol·10⁶ (expedited 50), 10 s deposit and voting periods (expedited 5 s).
fn params() -> Params {
    Params {
        min_deposit: vec![Coin::new("upol", 10 * M)],
        expedited_min_deposit: vec![Coin::new("upol", 50 * M)],
        max_deposit_period: 10 * SEC as u64,
        voting_period: 10 * SEC as u64,
        expedited_voting_period: 5 * SEC as u64,
        ..Params::default()
    }
}

fn pubkey(seed: u8) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
        .verifying_key()
        .to_bytes()
}

/// Validators 1 (100) and 2 (50 upol·10⁶), bonded; accounts 1–9 hold 1,000 each.
fn setup() -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_staking_params(&pol_staking::Params::default());
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
            &NoHooks,
            &MsgCreateValidator {
                validator_address: valoper_string(&addr(op)),
                consensus_pubkey: pubkey(op).to_vec(),
                moniker: format!("v{op}"),
                commission_bps: 0,
                self_bond: Some(Coin::new("upol", bond).to_proto()),
            },
        )
        .unwrap();
    }
    pol_staking::end_block::end_block_with(&mut s, &ctx(1), &NoHooks).unwrap();
    s
}

use pol_staking::StakingWrite as _;

fn env() -> ExecEnv {
    let mut env = ExecEnv::default();
    env.insert(BlockedAccounts(vec![module_account()]));
    env.insert(MsgRouter(Arc::new(|any: &Any| {
        for m in [&GovModule as &dyn Module, &pol_bank::BankModule] {
            if let Some(decoded) = m.decode_msg(any) {
                return decoded;
            }
        }
        Err(TxError::UNKNOWN_REQUEST(format!(
            "unrecognized message type: {}",
            any.type_url
        )))
    })));
    env
}

fn any<M: Message + prost::Name>(m: &M) -> Any {
    Any {
        type_url: format!("/{}", M::full_name()),
        value: m.encode_to_vec(),
    }
}

/// Run one message as a transaction would: its writes stay only when it succeeds.
fn deliver(s: &mut State, at: u64, msg: Any) -> Result<(Vec<u8>, Vec<Event>), TxError> {
    let env = env();
    let decoded = env.get::<MsgRouter>().unwrap().decode(&msg)?;
    let mut tx = StateDelta::new(&*s);
    let (response, events) = decoded.execute(&mut tx, &ctx(at), &env)?;
    let writes = tx.into_writes();
    s.apply(writes);
    Ok((response.value, events))
}

/// Like [`deliver`], for a message that must be refused with `code`: nothing changes.
fn refused(s: &mut State, at: u64, msg: Any, codespace: &str, code: u32) -> String {
    let before = s.writes().clone();
    let e = deliver(s, at, msg).unwrap_err();
    assert_eq!((e.codespace, e.code), (codespace, code), "{}", e.log);
    assert_eq!(s.writes(), &before, "a refused message changed state");
    e.log
}

fn end_block(s: &mut State, at: u64) -> Vec<Event> {
    let events = crate::end_block::end_block(s, &ctx(at), &env()).unwrap();
    let broken = GovModule.invariants(s, at).unwrap();
    assert!(broken.is_empty(), "at {at}: {broken:?}");
    events
}

fn set_voting_period(secs: u64) -> Any {
    let mut p = params();
    p.voting_period = secs * SEC as u64;
    any(&pb::MsgUpdateParams {
        authority: gov_authority().to_string(),
        params: Some(p.to_proto()),
    })
}

fn submit(messages: Vec<Any>, deposit: u128, proposer: u8) -> pb::MsgSubmitProposal {
    pb::MsgSubmitProposal {
        messages,
        initial_deposit: if deposit == 0 { vec![] } else { upol(deposit) },
        proposer: addr(proposer).to_string(),
        metadata: String::new(),
        title: "Shorter voting".into(),
        summary: "Vote in 20 seconds".into(),
        expedited: false,
    }
}

fn submit_ok(s: &mut State, at: u64, m: pb::MsgSubmitProposal) -> u64 {
    let (response, _) = deliver(s, at, any(&m)).unwrap();
    pb::MsgSubmitProposalResponse::decode(response.as_slice())
        .unwrap()
        .proposal_id
}

fn vote(s: &mut State, at: u64, id: u64, voter: u8, option: pb::VoteOption) {
    deliver(
        s,
        at,
        any(&pb::MsgVote {
            proposal_id: id,
            voter: addr(voter).to_string(),
            option: option as i32,
            metadata: String::new(),
        }),
    )
    .unwrap();
}

fn status(s: &State, id: u64) -> ProposalStatus {
    crate::proposal::status(&s.proposal(id).unwrap().unwrap())
}

fn balance(s: &State, who: &Address) -> u128 {
    s.balance(who, "upol").unwrap()
}

#[test]
fn a_passed_proposal_runs_its_messages_and_refunds_the_deposit() {
    let mut s = setup();
    let before = balance(&s, &addr(3));
    let id = submit_ok(&mut s, 2, submit(vec![set_voting_period(20)], 10 * M, 3));
    assert_eq!(id, 1);
    assert_eq!(status(&s, id), ProposalStatus::VotingPeriod);
    assert_eq!(balance(&s, &module_account()), 10 * M);
    vote(&mut s, 3, id, 1, pb::VoteOption::Yes);
    // Not over before the voting end (2 s + 10 s).
    end_block(&mut s, 11);
    assert_eq!(status(&s, id), ProposalStatus::VotingPeriod);
    end_block(&mut s, 12);
    assert_eq!(status(&s, id), ProposalStatus::Passed);
    assert_eq!(s.gov_params().unwrap().voting_period, 20 * SEC as u64);
    assert_eq!(balance(&s, &addr(3)), before);
    assert_eq!(balance(&s, &module_account()), 0);
    // Validator 1's 100 of 150 bonded voted yes.
    let tally = s.proposal(id).unwrap().unwrap().final_tally_result.unwrap();
    assert_eq!(tally.yes_count, (100 * M).to_string());
    assert!(
        s.votes(id).unwrap().is_empty(),
        "votes are deleted once counted"
    );
}

#[test]
fn a_message_that_fails_fails_the_proposal_and_writes_nothing() {
    let mut s = setup();
    let mut bad = params();
    bad.quorum = Dec::with_decimals(2, 0);
    let set_bad = any(&pb::MsgUpdateParams {
        authority: gov_authority().to_string(),
        params: Some(bad.to_proto()),
    });
    // The first message alone would pass: it must be rolled back with the second.
    let id = submit_ok(
        &mut s,
        2,
        submit(vec![set_voting_period(20), set_bad], 10 * M, 3),
    );
    vote(&mut s, 3, id, 1, pb::VoteOption::Yes);
    end_block(&mut s, 12);
    let p = s.proposal(id).unwrap().unwrap();
    assert_eq!(crate::proposal::status(&p), ProposalStatus::Failed);
    assert!(p.failed_reason.contains("quorum"), "{}", p.failed_reason);
    assert_eq!(s.gov_params().unwrap(), params());
    assert_eq!(balance(&s, &module_account()), 0, "deposits refunded");
}

#[test]
fn a_proposal_cannot_spend_the_deposits_the_gov_account_holds() {
    let mut s = setup();
    // Someone else's proposal keeps 10 in the gov account.
    let other = submit_ok(&mut s, 2, submit(vec![], 10 * M, 4));
    let steal = any(&MsgSend {
        from_address: module_account().to_string(),
        to_address: addr(9).to_string(),
        amount: upol(10 * M),
    });
    let id = submit_ok(&mut s, 2, submit(vec![steal], 10 * M, 3));
    vote(&mut s, 3, id, 1, pb::VoteOption::Yes);
    let thief = balance(&s, &addr(9));
    end_block(&mut s, 12);
    assert_eq!(status(&s, id), ProposalStatus::Failed);
    assert_eq!(balance(&s, &addr(9)), thief);
    assert_eq!(balance(&s, &module_account()), 0);
    // The other proposal ran its course: passed too (no messages), deposit refunded.
    assert_eq!(status(&s, other), ProposalStatus::Rejected);
}

#[test]
fn delegators_who_vote_override_their_validator() {
    let mut s = setup();
    execute_delegate(
        &mut s,
        &ctx(1),
        &NoHooks,
        &MsgDelegate {
            delegator_address: addr(5).to_string(),
            validator_address: valoper_string(&addr(1)),
            amount: Some(Coin::new("upol", 20 * M).to_proto()),
        },
    )
    .unwrap();
    let id = submit_ok(&mut s, 2, submit(vec![set_voting_period(20)], 10 * M, 3));
    vote(&mut s, 3, id, 1, pb::VoteOption::Yes);
    vote(&mut s, 3, id, 5, pb::VoteOption::No);
    // A vote by an account with no stake counts for nothing.
    vote(&mut s, 3, id, 7, pb::VoteOption::NoWithVeto);
    end_block(&mut s, 12);
    let tally = s.proposal(id).unwrap().unwrap().final_tally_result.unwrap();
    // Validator 1: 120 tokens, 20 of them the delegator's: yes 100, no 20; total 120 of
    // 170 bonded (0.71 > quorum), yes 100/120 > 0.5.
    assert_eq!(tally.yes_count, (100 * M).to_string());
    assert_eq!(tally.no_count, (20 * M).to_string());
    assert_eq!(tally.no_with_veto_count, "0");
    assert_eq!(status(&s, id), ProposalStatus::Passed);
}

#[test]
fn weighted_votes_split_power_and_a_veto_burns_the_deposit() {
    let mut s = setup();
    let supply = s.supply_of("upol").unwrap();
    let id = submit_ok(&mut s, 2, submit(vec![set_voting_period(20)], 10 * M, 3));
    deliver(
        &mut s,
        3,
        any(&pb::MsgVoteWeighted {
            proposal_id: id,
            voter: addr(1).to_string(),
            options: vec![
                pb::WeightedVoteOption {
                    option: pb::VoteOption::Yes as i32,
                    weight: "0.4".into(),
                },
                pb::WeightedVoteOption {
                    option: pb::VoteOption::NoWithVeto as i32,
                    weight: "0.6".into(),
                },
            ],
            metadata: String::new(),
        }),
    )
    .unwrap();
    end_block(&mut s, 12);
    let p = s.proposal(id).unwrap().unwrap();
    assert_eq!(crate::proposal::status(&p), ProposalStatus::Rejected);
    let tally = p.final_tally_result.unwrap();
    assert_eq!(tally.yes_count, (40 * M).to_string());
    assert_eq!(tally.no_with_veto_count, (60 * M).to_string());
    // burn_vote_veto is on by default: the 10 are gone from the supply.
    assert_eq!(s.supply_of("upol").unwrap(), supply - 10 * M);
    assert_eq!(balance(&s, &module_account()), 0);
}

#[test]
fn no_quorum_rejects_and_refunds() {
    let mut s = setup();
    let before = balance(&s, &addr(3));
    let id = submit_ok(&mut s, 2, submit(vec![set_voting_period(20)], 10 * M, 3));
    // Validator 2 alone: 50 of 150 is below the 0.334 quorum... just: 0.3333.
    vote(&mut s, 3, id, 2, pb::VoteOption::Yes);
    end_block(&mut s, 12);
    assert_eq!(status(&s, id), ProposalStatus::Rejected);
    assert_eq!(balance(&s, &addr(3)), before);
    assert_eq!(s.gov_params().unwrap(), params());
}

#[test]
fn a_proposal_short_of_its_deposit_is_dropped_and_refunded() {
    let mut s = setup();
    let before = balance(&s, &addr(3));
    let id = submit_ok(&mut s, 2, submit(vec![set_voting_period(20)], 4 * M, 3));
    assert_eq!(status(&s, id), ProposalStatus::DepositPeriod);
    // Another account adds to it; voting has not started.
    deliver(
        &mut s,
        3,
        any(&pb::MsgDeposit {
            proposal_id: id,
            depositor: addr(4).to_string(),
            amount: upol(5 * M),
        }),
    )
    .unwrap();
    assert_eq!(status(&s, id), ProposalStatus::DepositPeriod);
    end_block(&mut s, 11);
    assert!(s.proposal(id).unwrap().is_some());
    end_block(&mut s, 12);
    assert!(
        s.proposal(id).unwrap().is_none(),
        "dropped at its deposit end"
    );
    assert_eq!(balance(&s, &addr(3)), before);
    assert_eq!(balance(&s, &addr(4)), 1_000 * M);
    assert_eq!(balance(&s, &module_account()), 0);
}

#[test]
fn a_deposit_that_reaches_the_minimum_starts_voting_from_its_block() {
    let mut s = setup();
    let id = submit_ok(&mut s, 2, submit(vec![set_voting_period(20)], 4 * M, 3));
    deliver(
        &mut s,
        5,
        any(&pb::MsgDeposit {
            proposal_id: id,
            depositor: addr(4).to_string(),
            amount: upol(6 * M),
        }),
    )
    .unwrap();
    let p = s.proposal(id).unwrap().unwrap();
    assert_eq!(crate::proposal::status(&p), ProposalStatus::VotingPeriod);
    assert_eq!(crate::proposal::time(&p.voting_end_time), 15 * SEC);
    // The deposit-end queue no longer holds it: nothing happens at 12.
    end_block(&mut s, 12);
    assert_eq!(status(&s, id), ProposalStatus::VotingPeriod);
}

#[test]
fn a_failed_expedited_proposal_becomes_a_regular_one() {
    let mut s = setup();
    let mut m = submit(vec![set_voting_period(20)], 50 * M, 3);
    m.expedited = true;
    let id = submit_ok(&mut s, 2, m);
    // Validator 1 yes (100) and 2 no (50): 0.667 of the power, not above 0.667.
    vote(&mut s, 3, id, 1, pb::VoteOption::Yes);
    vote(&mut s, 3, id, 2, pb::VoteOption::No);
    end_block(&mut s, 7);
    let p = s.proposal(id).unwrap().unwrap();
    assert_eq!(crate::proposal::status(&p), ProposalStatus::VotingPeriod);
    assert!(!p.expedited);
    assert_eq!(crate::proposal::time(&p.voting_end_time), 12 * SEC);
    assert_eq!(balance(&s, &module_account()), 50 * M, "deposits kept");
    // Votes were counted and cleared; voting again under the regular threshold passes.
    vote(&mut s, 8, id, 1, pb::VoteOption::Yes);
    end_block(&mut s, 12);
    assert_eq!(status(&s, id), ProposalStatus::Passed);
}

#[test]
fn cancelling_burns_the_cancel_share_and_refunds_the_rest() {
    let mut s = setup();
    let supply = s.supply_of("upol").unwrap();
    let id = submit_ok(&mut s, 2, submit(vec![set_voting_period(20)], 10 * M, 3));
    vote(&mut s, 3, id, 1, pb::VoteOption::Yes);
    refused(
        &mut s,
        4,
        any(&pb::MsgCancelProposal {
            proposal_id: id,
            proposer: addr(4).to_string(),
        }),
        "gov",
        error::code::INVALID_PROPOSER,
    );
    deliver(
        &mut s,
        4,
        any(&pb::MsgCancelProposal {
            proposal_id: id,
            proposer: addr(3).to_string(),
        }),
    )
    .unwrap();
    assert!(s.proposal(id).unwrap().is_none());
    assert!(s.votes(id).unwrap().is_empty());
    // Half of the 10 burned, half back.
    assert_eq!(s.supply_of("upol").unwrap(), supply - 5 * M);
    assert_eq!(balance(&s, &addr(3)), 1_000 * M - 5 * M);
    end_block(&mut s, 12);
}

#[test]
fn every_refusal_has_its_code_and_changes_nothing() {
    let mut s = setup();
    // A message signed by someone else than the gov account.
    let send = any(&MsgSend {
        from_address: addr(3).to_string(),
        to_address: addr(4).to_string(),
        amount: upol(1),
    });
    refused(&mut s, 2, any(&submit(vec![send], 10 * M, 3)), "gov", 13);
    // A message no module routes.
    let unknown = Any {
        type_url: "/cosmos.nft.v1beta1.MsgSend".into(),
        value: vec![],
    };
    refused(&mut s, 2, any(&submit(vec![unknown], 10 * M, 3)), "gov", 10);
    // A routed message that does not decode.
    let garbled = Any {
        type_url: "/cosmos.gov.v1.MsgUpdateParams".into(),
        value: vec![0xff, 0xff],
    };
    refused(&mut s, 2, any(&submit(vec![garbled], 10 * M, 3)), "gov", 12);
    let mut untitled = submit(vec![], 10 * M, 3);
    untitled.title = " ".into();
    refused(&mut s, 2, any(&untitled), "gov", 21);
    let mut long = submit(vec![], 10 * M, 3);
    long.metadata = "x".repeat(256);
    refused(&mut s, 2, any(&long), "gov", 15);
    let mut expedited_empty = submit(vec![], 50 * M, 3);
    expedited_empty.expedited = true;
    refused(&mut s, 2, any(&expedited_empty), "gov", 21);
    // An initial deposit below min_initial_deposit_ratio (set to a half).
    let mut p = params();
    p.min_initial_deposit_ratio = Dec::with_decimals(5, 1);
    pol_store::StateWrite::put_raw(
        &mut s,
        crate::state_key::PARAMS.to_vec(),
        p.to_proto().encode_to_vec(),
    );
    refused(&mut s, 2, any(&submit(vec![], 4 * M, 3)), "gov", 16);
    let mut poor = submit(vec![], 5 * M, 3);
    poor.initial_deposit = vec![ProtoCoin {
        denom: "uatom".into(),
        amount: "5000000".into(),
    }];
    refused(&mut s, 2, any(&poor), "gov", 16);
    let id = submit_ok(&mut s, 2, submit(vec![], 5 * M, 3));
    // Deposits: wrong denom, too small (below 1 % of the minimum), unknown proposal.
    s.mint(&addr(4), &[Coin::new("uatom", 10)]).unwrap();
    refused(
        &mut s,
        3,
        any(&pb::MsgDeposit {
            proposal_id: id,
            depositor: addr(4).to_string(),
            amount: vec![ProtoCoin {
                denom: "uatom".into(),
                amount: "10".into(),
            }],
        }),
        "gov",
        23,
    );
    refused(
        &mut s,
        3,
        any(&pb::MsgDeposit {
            proposal_id: id,
            depositor: addr(4).to_string(),
            amount: upol(99_999),
        }),
        "gov",
        16,
    );
    refused(
        &mut s,
        3,
        any(&pb::MsgDeposit {
            proposal_id: 99,
            depositor: addr(4).to_string(),
            amount: upol(M),
        }),
        "gov",
        2,
    );
    // Votes: the proposal is still in its deposit period.
    refused(
        &mut s,
        3,
        any(&pb::MsgVote {
            proposal_id: id,
            voter: addr(1).to_string(),
            option: 1,
            metadata: String::new(),
        }),
        "gov",
        3,
    );
    deliver(
        &mut s,
        3,
        any(&pb::MsgDeposit {
            proposal_id: id,
            depositor: addr(4).to_string(),
            amount: upol(5 * M),
        }),
    )
    .unwrap();
    for (options, why) in [
        (vec![(9, "1")], "unknown option"),
        (vec![(1, "0.5"), (3, "0.4")], "sum below 1"),
        (vec![(1, "0.5"), (1, "0.5")], "duplicate"),
        (vec![(1, "1.5"), (3, "-0.5")], "weight out of range"),
        (vec![], "no option"),
    ] {
        let log = refused(
            &mut s,
            4,
            any(&pb::MsgVoteWeighted {
                proposal_id: id,
                voter: addr(1).to_string(),
                options: options
                    .iter()
                    .map(|(o, w)| pb::WeightedVoteOption {
                        option: *o,
                        weight: w.to_string(),
                    })
                    .collect(),
                metadata: String::new(),
            }),
            "gov",
            7,
        );
        assert!(!log.is_empty(), "{why}");
    }
    // MsgUpdateParams sent by anyone but the gov account.
    let mut not_gov = pb::MsgUpdateParams {
        authority: addr(3).to_string(),
        params: Some(params().to_proto()),
    };
    refused(&mut s, 4, any(&not_gov), "gov", 13);
    // Invalid params from the gov account itself.
    let mut bad = params();
    bad.expedited_threshold = Dec::with_decimals(4, 1);
    not_gov.authority = gov_authority().to_string();
    not_gov.params = Some(bad.to_proto());
    refused(&mut s, 4, any(&not_gov), "sdk", 18);
    end_block(&mut s, 4);
}

#[test]
fn legacy_v1beta1_messages_and_views() {
    let mut s = setup();
    let text = legacy_pb::TextProposal {
        title: "Signal".into(),
        description: "We like fast providers".into(),
    };
    let content = any(&text);
    let (response, _) = deliver(
        &mut s,
        2,
        any(&legacy_pb::MsgSubmitProposal {
            content: Some(content.clone()),
            initial_deposit: upol(10 * M),
            proposer: addr(3).to_string(),
        }),
    )
    .unwrap();
    let id = legacy_pb::MsgSubmitProposalResponse::decode(response.as_slice())
        .unwrap()
        .proposal_id;
    let p = s.proposal(id).unwrap().unwrap();
    assert_eq!(p.title, "Signal");
    assert_eq!(
        p.messages[0].type_url,
        crate::legacy::MSG_EXEC_LEGACY_CONTENT
    );
    let legacy_view = crate::legacy::proposal(&p);
    assert_eq!(legacy_view.content, Some(content));
    // Weighted vote with LegacyDec atomics: 0.75 yes, 0.25 no.
    deliver(
        &mut s,
        3,
        any(&legacy_pb::MsgVoteWeighted {
            proposal_id: id,
            voter: addr(1).to_string(),
            options: vec![
                legacy_pb::WeightedVoteOption {
                    option: 1,
                    weight: "750000000000000000".into(),
                },
                legacy_pb::WeightedVoteOption {
                    option: 3,
                    weight: "250000000000000000".into(),
                },
            ],
        }),
    )
    .unwrap();
    let v = s.vote(id, addr(1).as_bytes()).unwrap().unwrap();
    assert_eq!(v.options[0].weight, "0.750000000000000000");
    assert_eq!(
        crate::legacy::vote_of(&v).options[0].weight,
        "750000000000000000"
    );
    // Another content type is refused.
    let other = Any {
        type_url: "/cosmos.params.v1beta1.ParameterChangeProposal".into(),
        value: vec![],
    };
    refused(
        &mut s,
        3,
        any(&legacy_pb::MsgSubmitProposal {
            content: Some(other),
            initial_deposit: upol(10 * M),
            proposer: addr(3).to_string(),
        }),
        "gov",
        5,
    );
    end_block(&mut s, 12);
    assert_eq!(status(&s, id), ProposalStatus::Passed);
}

#[test]
fn genesis_exports_live_proposals_and_imports_them_exactly() {
    let mut s = setup();
    let id = submit_ok(&mut s, 2, submit(vec![set_voting_period(20)], 10 * M, 3));
    vote(&mut s, 3, id, 1, pb::VoteOption::Yes);
    let pending = submit_ok(&mut s, 3, submit(vec![], 3 * M, 4));
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.proposals.len(), 2);
    assert_eq!(exported.starting_proposal_id, pending + 1);
    let json = serde_json::to_string(&exported).unwrap();
    let back: GenesisState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, exported);
    back.validate().unwrap();
    // Into a fresh state whose bank holds the deposits: the same gov records.
    let mut fresh = StateDelta::new(MemState::default());
    fresh
        .mint(&module_account(), &[Coin::new("upol", 13 * M)])
        .unwrap();
    back.init(&mut fresh, &ctx(3)).unwrap();
    let gov = |st: &dyn StateRead| st.prefix_raw(b"gov/", None, 10_000).unwrap();
    assert_eq!(gov(&fresh), gov(&s));
    // A bank that does not hold the deposits is refused.
    let mut short = StateDelta::new(MemState::default());
    assert!(back.init(&mut short, &ctx(3)).is_err());
    // Deposits that do not add up to a proposal's total are refused.
    let mut wrong = back.clone();
    wrong.deposits[0].amount = vec![Coin::new("upol", 1)];
    assert!(wrong.validate().is_err());
    // The SDK's default JSON for params reads back.
    let sdk = serde_json::json!({
        "min_deposit": [{"denom": "upol", "amount": "10000000"}],
        "max_deposit_period": "172800s",
        "voting_period": "172800s",
        "quorum": "0.334000000000000000",
        "threshold": "0.500000000000000000",
        "veto_threshold": "0.334000000000000000",
        "min_initial_deposit_ratio": "0.000000000000000000",
        "proposal_cancel_ratio": "0.500000000000000000",
        "proposal_cancel_dest": "",
        "expedited_voting_period": "86400s",
        "expedited_threshold": "0.667000000000000000",
        "expedited_min_deposit": [{"denom": "upol", "amount": "50000000"}],
        "burn_vote_quorum": false,
        "burn_proposal_deposit_prevote": false,
        "burn_vote_veto": true,
        "min_deposit_ratio": "0.010000000000000000"
    });
    let p: Params = serde_json::from_value(sdk.clone()).unwrap();
    assert_eq!(p, Params::default());
    assert_eq!(serde_json::to_value(&p).unwrap(), sdk);
}
