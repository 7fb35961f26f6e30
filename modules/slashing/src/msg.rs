//! `cosmos.slashing.v1beta1.MsgUnjail`: the operator brings its jailed validator back.

use cosmos_sdk_proto::cosmos::slashing::v1beta1::{MsgUnjail, MsgUnjailResponse};
use pol_component::{Address, BlockContext, Event, TxError};
use pol_staking::types::{parse_valoper, valoper_string};
use pol_staking::StakingRead;
use pol_store::StateWrite;

use crate::error;
use crate::time::rfc3339;
use crate::SlashingRead;

/// Only the operator can unjail: the signer is the operator account.
pub fn unjail_signer(msg: &MsgUnjail) -> Result<Address, TxError> {
    parse_valoper(&msg.validator_addr)
}

/// Refused while the validator is tombstoned, its downtime jail time is not over, its
/// staking jail term (pol's own faults) is not over, or its self-bond is below the minimum.
pub fn execute_unjail<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    msg: &MsgUnjail,
) -> Result<(MsgUnjailResponse, Vec<Event>), TxError> {
    let op = parse_valoper(&msg.validator_addr)?;
    let val = state.validator(&op)?.ok_or_else(|| {
        error::NO_VALIDATOR_FOR_ADDRESS(format!("validator {} does not exist", valoper_string(&op)))
    })?;
    if !val.jailed {
        return Err(error::VALIDATOR_NOT_JAILED(format!(
            "validator {} is not jailed",
            valoper_string(&op)
        )));
    }
    let self_bond = state.self_bond(&val)?;
    if self_bond == 0 {
        return Err(error::MISSING_SELF_DELEGATION(format!(
            "validator {} has no self-delegation",
            valoper_string(&op)
        )));
    }
    let min_self_bond = state.staking_params()?.min_self_bond;
    if self_bond < min_self_bond {
        return Err(error::SELF_DELEGATION_TOO_LOW_TO_UNJAIL(format!(
            "self-delegation {self_bond} is below the minimum {min_self_bond}; bond more to unjail"
        )));
    }
    if let Some(info) = state.signing_info(&val.consensus_address())? {
        if info.tombstoned {
            return Err(error::VALIDATOR_JAILED(format!(
                "validator {} double-signed and is tombstoned: it can never unjail",
                valoper_string(&op)
            )));
        }
        // Time 0: no block time known (simulation); the block decides.
        if ctx.time_unix_nanos != 0 && ctx.time_unix_nanos < info.jailed_until {
            return Err(error::VALIDATOR_JAILED(format!(
                "validator {} is jailed until {} (block time now {})",
                valoper_string(&op),
                rfc3339(info.jailed_until),
                rfc3339(ctx.time_unix_nanos)
            )));
        }
    }
    if ctx.height < val.jailed_until_height {
        return Err(error::VALIDATOR_JAILED(format!(
            "validator {} is jailed until height {} (now {})",
            valoper_string(&op),
            val.jailed_until_height,
            ctx.height
        )));
    }
    let events = pol_staking::msg::unjail(state, ctx, &op)?;
    Ok((MsgUnjailResponse {}, events))
}
