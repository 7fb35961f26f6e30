//! `MsgVote` and `MsgVoteWeighted`: an account's vote on a proposal in its voting period;
//! a later vote replaces an earlier one.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_component::{Address, BlockContext, Dec, Event, TxError};
use pol_store::StateWrite;

use super::proposal_of;
use crate::params::MAX_METADATA_LEN;
use crate::proposal::{self, ProposalStatus};
use crate::{error, GovWrite};

pub use pb::VoteOption;

/// Options and weights: each option one of the four and at most once, each weight in
/// (0, 1], the weights summing to exactly 1.
pub fn check_options(options: &[(i32, Dec)]) -> Result<Vec<pb::WeightedVoteOption>, TxError> {
    if options.is_empty() {
        return Err(error::INVALID_VOTE("a vote needs at least one option"));
    }
    let mut total = Dec::zero();
    let mut seen: Vec<i32> = Vec::new();
    let mut out = Vec::with_capacity(options.len());
    for (option, weight) in options {
        let valid = matches!(
            VoteOption::try_from(*option),
            Ok(VoteOption::Yes | VoteOption::Abstain | VoteOption::No | VoteOption::NoWithVeto)
        );
        if !valid {
            return Err(error::INVALID_VOTE(format!("invalid vote option {option}")));
        }
        if seen.contains(option) {
            return Err(error::INVALID_VOTE(format!(
                "vote option {option} appears twice"
            )));
        }
        seen.push(*option);
        if !weight.is_positive() || *weight > Dec::one() {
            return Err(error::INVALID_VOTE(format!(
                "vote weight {weight} is not in (0, 1]"
            )));
        }
        total = total
            .add(weight)
            .map_err(|e| error::INVALID_VOTE(format!("vote weights: {e}")))?;
        out.push(pb::WeightedVoteOption {
            option: *option,
            weight: weight.to_string(),
        });
    }
    if total != Dec::one() {
        return Err(error::INVALID_VOTE(format!(
            "vote weights sum to {total}, not 1"
        )));
    }
    Ok(out)
}

pub fn vote<S: StateWrite + ?Sized>(
    state: &mut S,
    _ctx: &BlockContext,
    id: u64,
    voter: &str,
    options: &[(i32, Dec)],
    metadata: &str,
) -> Result<Vec<Event>, TxError> {
    let voter = Address::parse(voter)?;
    let options = check_options(options)?;
    if metadata.len() > MAX_METADATA_LEN {
        return Err(error::METADATA_TOO_LONG(format!(
            "vote metadata is {} bytes, at most {MAX_METADATA_LEN}",
            metadata.len()
        )));
    }
    let prop = proposal_of(state, id)?;
    if proposal::status(&prop) != ProposalStatus::VotingPeriod {
        return Err(error::INACTIVE_PROPOSAL(format!(
            "proposal {id} is not in its voting period"
        )));
    }
    let option_text = options
        .iter()
        .map(|o| {
            format!(
                "option:{} weight:\"{}\"",
                VoteOption::try_from(o.option)
                    .map(|v| v.as_str_name())
                    .unwrap_or("VOTE_OPTION_UNSPECIFIED"),
                o.weight
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    state.put_vote(
        voter.as_bytes(),
        &pb::Vote {
            proposal_id: id,
            voter: voter.to_string(),
            options,
            metadata: metadata.to_string(),
        },
    );
    Ok(vec![Event::new("proposal_vote")
        .attr("option", option_text)
        .attr("proposal_id", id.to_string())
        .attr("voter", voter.to_string())])
}

/// A v1 weight: a decimal string (`"0.5"`, `"0.500000000000000000"`).
pub fn parse_weight(s: &str) -> Result<Dec, TxError> {
    s.parse::<Dec>()
        .map_err(|e| error::INVALID_VOTE(format!("vote weight {s:?}: {e}")))
}

pub fn execute_vote<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &pb::MsgVote,
) -> Result<(pb::MsgVoteResponse, Vec<Event>), TxError> {
    let events = vote(
        state,
        ctx,
        m.proposal_id,
        &m.voter,
        &[(m.option, Dec::one())],
        &m.metadata,
    )?;
    Ok((pb::MsgVoteResponse {}, events))
}

pub fn execute_vote_weighted<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &pb::MsgVoteWeighted,
) -> Result<(pb::MsgVoteWeightedResponse, Vec<Event>), TxError> {
    let options = m
        .options
        .iter()
        .map(|o| Ok((o.option, parse_weight(&o.weight)?)))
        .collect::<Result<Vec<_>, TxError>>()?;
    let events = vote(state, ctx, m.proposal_id, &m.voter, &options, &m.metadata)?;
    Ok((pb::MsgVoteWeightedResponse {}, events))
}
