//! Begin block: liveness from the previous block's commit, then double-signing from the
//! evidence CometBFT put in this block, with the SDK's `x/slashing` and `x/evidence` rules.
//!
//! A penalty that cannot be applied (a staking hook fails, say) is logged and skipped: it
//! must never halt the chain, and nothing of it is written (`slash_infraction` and `jail`
//! are atomic). The signing info is still updated.

use pol_component::context::{CommitVote, Misbehavior, MisbehaviorKind};
use pol_component::{BlockContext, BlockInfo, Event, TxError};
use pol_staking::types::valcons_string;
use pol_staking::{BondStatus, Slashing, StakingHooks, StakingRead, ValidatorRef};
use pol_store::StateWrite;

use crate::signing_info::SigningInfo;
use crate::time::FOREVER_NANOS;
use crate::{SlashingRead, SlashingWrite};

/// Blocks between a change to the validator set and CometBFT using it (the SDK's
/// `ValidatorUpdateDelay`).
const VALIDATOR_UPDATE_DELAY: u64 = 1;

pub fn begin_block<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    block: &BlockInfo,
    hooks: &dyn StakingHooks,
) -> Result<Vec<Event>, TxError> {
    let mut events = Vec::new();
    for vote in &block.last_commit {
        events.extend(handle_signature(state, ctx, vote, hooks)?);
    }
    for evidence in &block.misbehavior {
        events.extend(handle_equivocation(state, ctx, block, evidence, hooks)?);
    }
    Ok(events)
}

fn consensus_address(bytes: &[u8]) -> Option<[u8; 20]> {
    bytes.try_into().ok()
}

/// Apply a penalty, or log why it could not be and go on.
fn penalty(
    what: &str,
    cons: &[u8; 20],
    result: Result<Vec<Event>, TxError>,
    events: &mut Vec<Event>,
) {
    match result {
        Ok(e) => events.extend(e),
        Err(e) => {
            metrics::counter!("pol_slashing_penalties_skipped_total").increment(1);
            tracing::warn!(
                validator = %valcons_string(cons),
                error = %e,
                "slashing: {what} not applied"
            )
        }
    }
}

/// The SDK's `HandleValidatorSignature`: one slot of the validator's window per block;
/// missing more than `signed_blocks_window − min_signed` of the window (once the window
/// since it joined has passed) slashes `slash_fraction_downtime`, jails it for
/// `downtime_jail_duration` and clears its window.
fn handle_signature<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    vote: &CommitVote,
    hooks: &dyn StakingHooks,
) -> Result<Vec<Event>, TxError> {
    let Some(cons) = consensus_address(&vote.validator_address) else {
        return Ok(Vec::new());
    };
    // A key in CometBFT's set that no staking validator holds (genesis.json's own
    // validators): nothing to judge.
    let Some(validator) = state.validator_by_consensus(&cons)? else {
        return Ok(Vec::new());
    };
    let params = state.slashing_params()?;
    let mut info = state
        .signing_info(&cons)?
        .unwrap_or_else(|| SigningInfo::new(cons, ctx.height));
    let window = params.signed_blocks_window;
    let index = info.index_offset % window;
    info.index_offset = info.index_offset.saturating_add(1);
    let previous = state.missed_block(&cons, index)?;
    let missed = !vote.signed;
    if previous != missed {
        state.set_missed_block(&cons, index, missed);
        info.missed_blocks_counter = if missed {
            info.missed_blocks_counter.saturating_add(1)
        } else {
            info.missed_blocks_counter.saturating_sub(1)
        };
    }
    let mut events = Vec::new();
    if missed {
        events.push(
            Event::new("liveness")
                .attr("address", valcons_string(&cons))
                .attr("missed_blocks", info.missed_blocks_counter.to_string())
                .attr("height", ctx.height.to_string()),
        );
    }
    let min_height = info.start_height.saturating_add(window);
    if ctx.height > min_height && info.missed_blocks_counter > params.max_missed_blocks() {
        if validator.jailed && info.jailed_until > ctx.time_unix_nanos {
            // Serving a downtime jail already (its last commits still count it absent).
            tracing::debug!(
                validator = %valcons_string(&cons),
                "slashing: missed too many blocks while serving a downtime jail"
            );
        } else {
            // Not jailed, or jailed by another path (pol's self-bond or SLA jails, which
            // may end at once): the downtime penalty applies all the same, or a validator
            // could dodge it by jailing itself just before its window runs out.
            // The votes are for the previous block, whose set was chosen one block before.
            let infraction = ctx.height.saturating_sub(VALIDATOR_UPDATE_DELAY + 1);
            let slashed = state
                .slash_infraction(
                    ctx,
                    hooks,
                    ValidatorRef::Consensus(cons),
                    infraction,
                    &params.slash_fraction_downtime,
                    "downtime",
                )
                .map(|o| o.events);
            penalty("downtime slash", &cons, slashed, &mut events);
            let jailed = state.jail(ctx, ValidatorRef::Consensus(cons), ctx.height, "downtime");
            penalty("downtime jail", &cons, jailed, &mut events);
            let until = ctx
                .time_unix_nanos
                .saturating_add(i128::from(params.downtime_jail_duration));
            info.jailed_until = until;
            info.missed_blocks_counter = 0;
            info.index_offset = 0;
            state.clear_missed_blocks(&cons)?;
            events.push(
                Event::new("slashing_downtime")
                    .attr("address", valcons_string(&cons))
                    .attr("power", vote.power.to_string())
                    .attr("jailed_until", crate::time::rfc3339(until)),
            );
        }
    }
    state.put_signing_info(&info);
    Ok(events)
}

/// The SDK's `HandleEquivocationEvidence`: slash `slash_fraction_double_sign` of the stake
/// behind the infraction, jail forever and tombstone. Evidence is ignored when the validator
/// is unknown or has finished unbonding, when it is older than the consensus parameters'
/// max age in both blocks and time, or when the validator is already tombstoned (one
/// double-sign, one penalty).
fn handle_equivocation<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    block: &BlockInfo,
    evidence: &Misbehavior,
    hooks: &dyn StakingHooks,
) -> Result<Vec<Event>, TxError> {
    let Some(cons) = consensus_address(&evidence.validator_address) else {
        return Ok(Vec::new());
    };
    if evidence.kind == MisbehaviorKind::Unknown {
        tracing::warn!(validator = %valcons_string(&cons), "slashing: evidence of an unknown kind ignored");
        return Ok(Vec::new());
    }
    let Some(validator) = state.validator_by_consensus(&cons)? else {
        return Ok(Vec::new());
    };
    if validator.status == BondStatus::Unbonded {
        return Ok(Vec::new());
    }
    if let Some(max) = &block.evidence_max_age {
        let age_blocks = ctx.height.saturating_sub(evidence.height);
        let age_nanos = ctx.time_unix_nanos.saturating_sub(evidence.time_unix_nanos);
        if age_nanos > i128::from(max.duration_nanos) && age_blocks > max.num_blocks {
            tracing::info!(
                validator = %valcons_string(&cons),
                infraction_height = evidence.height,
                "slashing: evidence older than the max age ignored"
            );
            return Ok(Vec::new());
        }
    }
    let mut info = state
        .signing_info(&cons)?
        .unwrap_or_else(|| SigningInfo::new(cons, ctx.height));
    if info.tombstoned {
        return Ok(Vec::new());
    }
    let params = state.slashing_params()?;
    let mut events = Vec::new();
    let infraction = evidence.height.saturating_sub(VALIDATOR_UPDATE_DELAY);
    let slashed = state
        .slash_infraction(
            ctx,
            hooks,
            ValidatorRef::Consensus(cons),
            infraction.min(ctx.height),
            &params.slash_fraction_double_sign,
            "double_sign",
        )
        .map(|o| o.events);
    penalty("double-sign slash", &cons, slashed, &mut events);
    let jailed = state.jail(ctx, ValidatorRef::Consensus(cons), u64::MAX, "double_sign");
    penalty("double-sign jail", &cons, jailed, &mut events);
    info.jailed_until = FOREVER_NANOS;
    info.tombstoned = true;
    state.put_signing_info(&info);
    events.push(
        Event::new("slashing_double_sign")
            .attr("address", valcons_string(&cons))
            .attr("power", evidence.power.to_string())
            .attr("infraction_height", evidence.height.to_string())
            .attr(
                "kind",
                match evidence.kind {
                    MisbehaviorKind::DuplicateVote => "duplicate_vote",
                    _ => "light_client_attack",
                },
            ),
    );
    Ok(events)
}
