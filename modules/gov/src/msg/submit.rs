//! `MsgSubmitProposal`: a proposal of messages the gov account will send if it passes.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_component::coins::{parse_coins, Coin};
use pol_component::module::MsgRouter;
use pol_component::{Address, BlockContext, Dec, Event, ExecEnv, TxError};
use pol_store::StateWrite;
use tendermint_proto::google::protobuf::Any;

use crate::params::{Params, MAX_METADATA_LEN, MAX_PROPOSAL_MSGS, MAX_SUMMARY_LEN, MAX_TITLE_LEN};
use crate::proposal::{self, timestamp, ProposalStatus};
use crate::{error, gov_authority, GovRead, GovWrite};

/// The parts of a proposal both the v1 and the legacy v1beta1 submit carry.
pub struct NewProposal<'a> {
    pub messages: Vec<Any>,
    pub initial_deposit: &'a [cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
    pub proposer: &'a str,
    pub metadata: String,
    pub title: String,
    pub summary: String,
    pub expedited: bool,
}

/// Every message decodes, is routed, and names the gov account as its only signer.
pub fn check_messages(env: &ExecEnv, messages: &[Any]) -> Result<(), TxError> {
    if messages.len() > MAX_PROPOSAL_MSGS {
        return Err(error::INVALID_PROPOSAL(format!(
            "a proposal carries at most {MAX_PROPOSAL_MSGS} messages, got {}",
            messages.len()
        )));
    }
    let router = env
        .get::<MsgRouter>()
        .ok_or_else(|| TxError::INTERNAL("gov: no message router lent"))?;
    let gov = gov_authority();
    for (i, any) in messages.iter().enumerate() {
        let msg = router.decode(any).map_err(|e| {
            if e.code == pol_component::error::code::UNKNOWN_REQUEST
                && e.codespace == pol_component::error::SDK_CODESPACE
            {
                error::UNROUTABLE_PROPOSAL_MSG(format!("message {i}: {}", e.log))
            } else {
                error::INVALID_PROPOSAL_MSG(format!("message {i}: {}", e.log))
            }
        })?;
        let signer = msg
            .signer()
            .map_err(|e| error::INVALID_PROPOSAL_MSG(format!("message {i}: {}", e.log)))?;
        if signer != gov {
            return Err(error::INVALID_SIGNER(format!(
                "message {i} ({}) is signed by {signer}; a proposal's messages must be signed by the gov account {gov}",
                any.type_url
            )));
        }
    }
    Ok(())
}

/// `min × ratio` in every denomination, truncated (the SDK's `validateInitialDeposit`).
pub fn scaled(min: &[Coin], ratio: &Dec) -> Result<Vec<Coin>, TxError> {
    min.iter()
        .map(|c| {
            let amount = Dec::from(c.amount)
                .mul_truncate(ratio)
                .and_then(|d| d.truncate_u128())
                .map_err(|e| TxError::INTERNAL(format!("gov deposit ratio: {e}")))?;
            Ok(Coin::new(c.denom.clone(), amount))
        })
        .collect()
}

fn check_text(p: &NewProposal) -> Result<(), TxError> {
    if p.metadata.len() > MAX_METADATA_LEN {
        return Err(error::METADATA_TOO_LONG(format!(
            "metadata is {} bytes, at most {MAX_METADATA_LEN}",
            p.metadata.len()
        )));
    }
    if p.title.trim().is_empty() {
        return Err(error::INVALID_PROPOSAL("proposal title cannot be empty"));
    }
    if p.title.len() > MAX_TITLE_LEN {
        return Err(error::METADATA_TOO_LONG(format!(
            "title is {} bytes, at most {MAX_TITLE_LEN}",
            p.title.len()
        )));
    }
    if p.summary.trim().is_empty() {
        return Err(error::INVALID_PROPOSAL("proposal summary cannot be empty"));
    }
    if p.summary.len() > MAX_SUMMARY_LEN {
        return Err(error::SUMMARY_TOO_LONG(format!(
            "summary is {} bytes, at most {MAX_SUMMARY_LEN}",
            p.summary.len()
        )));
    }
    Ok(())
}

/// Store a new proposal in its deposit period and take its initial deposit.
pub fn submit<S: StateWrite + ?Sized>(
    state: &mut S,
    ctx: &BlockContext,
    env: &ExecEnv,
    p: NewProposal,
) -> Result<(u64, Vec<Event>), TxError> {
    let proposer = Address::parse(p.proposer)?;
    check_text(&p)?;
    if p.expedited && p.messages.is_empty() {
        return Err(error::INVALID_PROPOSAL(
            "an expedited proposal must carry messages",
        ));
    }
    check_messages(env, &p.messages)?;
    let params: Params = state.gov_params()?;
    let deposit = parse_coins(p.initial_deposit)?;
    let min = params.min_deposit_for(p.expedited);
    let min_initial = scaled(min, &params.min_initial_deposit_ratio)?;
    if !proposal::covers(&deposit, &min_initial) {
        return Err(error::MIN_DEPOSIT_TOO_SMALL(format!(
            "initial deposit {} is below {} ({} of the minimum deposit)",
            pol_component::coins::coins_to_string(&deposit),
            pol_component::coins::coins_to_string(&min_initial),
            params.min_initial_deposit_ratio
        )));
    }
    let id = state.next_proposal_id()?;
    let next = id
        .checked_add(1)
        .ok_or_else(|| TxError::INTERNAL("gov: proposal ids exhausted"))?;
    state.set_next_proposal_id(next);
    let now = ctx.time_unix_nanos;
    let deposit_end = now.saturating_add(i128::from(params.max_deposit_period));
    let type_urls: Vec<&str> = p.messages.iter().map(|m| m.type_url.as_str()).collect();
    let mut prop = pb::Proposal {
        id,
        messages: p.messages.clone(),
        status: ProposalStatus::DepositPeriod as i32,
        final_tally_result: Some(crate::tally::empty_tally()),
        submit_time: timestamp(now),
        deposit_end_time: timestamp(deposit_end),
        total_deposit: Vec::new(),
        voting_start_time: None,
        voting_end_time: None,
        metadata: p.metadata,
        title: p.title,
        summary: p.summary,
        proposer: proposer.to_string(),
        expedited: p.expedited,
        failed_reason: String::new(),
    };
    state.enqueue_deposit_end(deposit_end, id);
    let mut events = vec![Event::new("submit_proposal")
        .attr("proposal_id", id.to_string())
        .attr("proposal_proposer", proposer.to_string())
        .attr("proposal_messages", format!(",{}", type_urls.join(",")))];
    if !deposit.is_empty() {
        let (more, _) = proposal::add_deposit(state, ctx, &params, &mut prop, &proposer, &deposit)?;
        events.extend(more);
    }
    state.put_proposal(&prop);
    Ok((id, events))
}

pub fn execute_submit(
    state: &mut dyn StateWrite,
    ctx: &BlockContext,
    env: &ExecEnv,
    m: &pb::MsgSubmitProposal,
) -> Result<(Vec<u8>, Vec<Event>), TxError> {
    let (proposal_id, events) = submit(
        state,
        ctx,
        env,
        NewProposal {
            messages: m.messages.clone(),
            initial_deposit: &m.initial_deposit,
            proposer: &m.proposer,
            metadata: m.metadata.clone(),
            title: m.title.clone(),
            summary: m.summary.clone(),
            expedited: m.expedited,
        },
    )?;
    Ok((
        prost::Message::encode_to_vec(&pb::MsgSubmitProposalResponse { proposal_id }),
        events,
    ))
}
