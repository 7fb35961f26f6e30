//! The legacy `cosmos.gov.v1beta1` forms the SDK still serves (cosmjs's gov extension and
//! its `MsgVote` use them): messages that run the v1 code, and the conversions of v1
//! records into v1beta1 ones for the legacy queries. v1beta1 carries decimals as the SDK's
//! `LegacyDec` custom type: on the wire, the 18-decimal atomics (`"500000000000000000"` is
//! 0.5).

use cosmos_sdk_proto::cosmos::gov::{v1, v1beta1 as pb};
use pol_component::{BlockContext, Dec, Event, ExecEnv, TxError};
use pol_store::StateWrite;
use tendermint_proto::google::protobuf::Any;

use crate::error;
use crate::msg::params::{check_legacy_content, TEXT_PROPOSAL};
use crate::msg::submit::{submit, NewProposal};
use crate::msg::{deposit, vote};

pub const MSG_EXEC_LEGACY_CONTENT: &str = "/cosmos.gov.v1.MsgExecLegacyContent";

pub fn submit_signer(m: &pb::MsgSubmitProposal) -> Result<pol_component::Address, TxError> {
    pol_component::Address::parse(&m.proposer)
}
pub fn deposit_signer(m: &pb::MsgDeposit) -> Result<pol_component::Address, TxError> {
    pol_component::Address::parse(&m.depositor)
}
pub fn vote_signer(m: &pb::MsgVote) -> Result<pol_component::Address, TxError> {
    pol_component::Address::parse(&m.voter)
}
pub fn vote_weighted_signer(m: &pb::MsgVoteWeighted) -> Result<pol_component::Address, TxError> {
    pol_component::Address::parse(&m.voter)
}

/// A legacy proposal: its content becomes one `MsgExecLegacyContent` sent by the gov
/// account, with the content's title and description as the proposal's (as the SDK does).
pub fn execute_submit(
    state: &mut dyn StateWrite,
    ctx: &BlockContext,
    env: &ExecEnv,
    m: &pb::MsgSubmitProposal,
) -> Result<(Vec<u8>, Vec<Event>), TxError> {
    let content = m
        .content
        .as_ref()
        .ok_or_else(|| error::INVALID_PROPOSAL_CONTENT("proposal content is missing"))?;
    let text = check_legacy_content(content)?;
    let exec = v1::MsgExecLegacyContent {
        content: Some(content.clone()),
        authority: crate::gov_authority().to_string(),
    };
    let (proposal_id, events) = submit(
        state,
        ctx,
        env,
        NewProposal {
            messages: vec![Any {
                type_url: MSG_EXEC_LEGACY_CONTENT.into(),
                value: prost::Message::encode_to_vec(&exec),
            }],
            initial_deposit: &m.initial_deposit,
            proposer: &m.proposer,
            metadata: String::new(),
            title: text.title,
            summary: text.description,
            expedited: false,
        },
    )?;
    Ok((
        prost::Message::encode_to_vec(&pb::MsgSubmitProposalResponse { proposal_id }),
        events,
    ))
}

pub fn execute_deposit<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &pb::MsgDeposit,
) -> Result<(pb::MsgDepositResponse, Vec<Event>), TxError> {
    let events = deposit::deposit(state, ctx, m.proposal_id, &m.depositor, &m.amount)?;
    Ok((pb::MsgDepositResponse {}, events))
}

pub fn execute_vote<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &pb::MsgVote,
) -> Result<(pb::MsgVoteResponse, Vec<Event>), TxError> {
    let events = vote::vote(
        state,
        ctx,
        m.proposal_id,
        &m.voter,
        &[(m.option, Dec::one())],
        "",
    )?;
    Ok((pb::MsgVoteResponse {}, events))
}

/// A `LegacyDec` weight as the wire carries it: atomics; a decimal point is accepted too
/// (what a hand-written JSON tx would hold).
pub fn parse_legacy_weight(s: &str) -> Result<Dec, TxError> {
    let parsed = if s.contains('.') {
        s.parse::<Dec>().map_err(|e| e.to_string())
    } else {
        Dec::from_atomics_str(s).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| error::INVALID_VOTE(format!("vote weight {s:?}: {e}")))
}

pub fn execute_vote_weighted<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &pb::MsgVoteWeighted,
) -> Result<(pb::MsgVoteWeightedResponse, Vec<Event>), TxError> {
    let options = m
        .options
        .iter()
        .map(|o| Ok((o.option, parse_legacy_weight(&o.weight)?)))
        .collect::<Result<Vec<_>, TxError>>()?;
    let events = vote::vote(state, ctx, m.proposal_id, &m.voter, &options, "")?;
    Ok((pb::MsgVoteWeightedResponse {}, events))
}

fn atomics(d: &str) -> String {
    d.parse::<Dec>()
        .map(|d| d.atomics_string())
        .unwrap_or_default()
}

pub fn tally_result(t: &v1::TallyResult) -> pb::TallyResult {
    pb::TallyResult {
        yes: t.yes_count.clone(),
        abstain: t.abstain_count.clone(),
        no: t.no_count.clone(),
        no_with_veto: t.no_with_veto_count.clone(),
    }
}

/// A v1 proposal as v1beta1 shows it: its content is the legacy content it runs, else its
/// first message (as the SDK fills it), else a `TextProposal` of its title and summary.
pub fn proposal(p: &v1::Proposal) -> pb::Proposal {
    let content = match p.messages.first() {
        Some(m) if m.type_url == MSG_EXEC_LEGACY_CONTENT => {
            <v1::MsgExecLegacyContent as prost::Message>::decode(m.value.as_slice())
                .ok()
                .and_then(|e| e.content)
        }
        Some(m) => Some(m.clone()),
        None => Some(Any {
            type_url: TEXT_PROPOSAL.into(),
            value: prost::Message::encode_to_vec(&pb::TextProposal {
                title: p.title.clone(),
                description: p.summary.clone(),
            }),
        }),
    };
    pb::Proposal {
        proposal_id: p.id,
        content,
        status: p.status,
        final_tally_result: p.final_tally_result.as_ref().map(tally_result),
        submit_time: p.submit_time,
        deposit_end_time: p.deposit_end_time,
        total_deposit: p.total_deposit.clone(),
        voting_start_time: p.voting_start_time,
        voting_end_time: p.voting_end_time,
    }
}

pub fn vote_of(v: &v1::Vote) -> pb::Vote {
    let options: Vec<pb::WeightedVoteOption> = v
        .options
        .iter()
        .map(|o| pb::WeightedVoteOption {
            option: o.option,
            weight: atomics(&o.weight),
        })
        .collect();
    // The deprecated single option: set when the vote has one option, as the SDK does.
    #[allow(deprecated)]
    pb::Vote {
        proposal_id: v.proposal_id,
        voter: v.voter.clone(),
        option: if options.len() == 1 {
            options[0].option
        } else {
            0
        },
        options,
    }
}

pub fn deposit_of(d: &v1::Deposit) -> pb::Deposit {
    pb::Deposit {
        proposal_id: d.proposal_id,
        depositor: d.depositor.clone(),
        amount: d.amount.clone(),
    }
}
