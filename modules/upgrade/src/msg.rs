//! `MsgSoftwareUpgrade` and `MsgCancelUpgrade`, sent by the gov account (a passed
//! proposal). Refusals answer as the SDK's do (sdk `invalid request`) and write nothing.

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    MsgCancelUpgrade, MsgCancelUpgradeResponse, MsgSoftwareUpgrade, MsgSoftwareUpgradeResponse,
    Plan,
};
use pol_component::authority::{authority_signer, check_authority};
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::{UpgradeRead, UpgradeWrite};

pub fn software_upgrade_signer(m: &MsgSoftwareUpgrade) -> Result<Address, TxError> {
    authority_signer(&m.authority)
}

pub fn cancel_upgrade_signer(m: &MsgCancelUpgrade) -> Result<Address, TxError> {
    authority_signer(&m.authority)
}

/// The SDK's `Plan.ValidateBasic`: a name, a positive height, no deprecated fields.
#[allow(deprecated)] // checks and clears the SDK's deprecated fields
pub fn check_plan(plan: &Plan) -> Result<(), TxError> {
    if plan.name.trim().is_empty() {
        return Err(TxError::INVALID_REQUEST(
            "upgrade plan: name cannot be empty",
        ));
    }
    if plan.height <= 0 {
        return Err(TxError::INVALID_REQUEST(
            "upgrade plan: height must be greater than 0",
        ));
    }
    if plan
        .time
        .as_ref()
        .is_some_and(|t| t.seconds != 0 || t.nanos != 0)
    {
        return Err(TxError::INVALID_REQUEST(
            "upgrade plan: time-based upgrades have been deprecated; give a height",
        ));
    }
    if plan.upgraded_client_state.is_some() {
        return Err(TxError::INVALID_REQUEST(
            "upgrade plan: upgraded_client_state has been deprecated",
        ));
    }
    Ok(())
}

/// Schedule `plan`, replacing any plan in force: refused for a height not after this
/// block's, and for a name already applied.
pub fn execute_software_upgrade<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgSoftwareUpgrade,
) -> Result<(MsgSoftwareUpgradeResponse, Vec<Event>), TxError> {
    check_authority(&m.authority)?;
    let plan = m
        .plan
        .as_ref()
        .ok_or_else(|| TxError::INVALID_REQUEST("upgrade plan is missing"))?;
    check_plan(plan)?;
    if plan.height as u64 <= ctx.height {
        return Err(TxError::INVALID_REQUEST(format!(
            "upgrade cannot be scheduled in the past: height {} is not after {}",
            plan.height, ctx.height
        )));
    }
    if let Some(at) = state.applied(&plan.name)? {
        return Err(TxError::INVALID_REQUEST(format!(
            "upgrade with name {} has already been completed (at height {at})",
            plan.name
        )));
    }
    state.put_plan(plan);
    Ok((
        MsgSoftwareUpgradeResponse {},
        vec![Event::new("upgrade_scheduled")
            .attr("name", plan.name.clone())
            .attr("height", plan.height.to_string())],
    ))
}

pub fn execute_cancel_upgrade<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgCancelUpgrade,
) -> Result<(MsgCancelUpgradeResponse, Vec<Event>), TxError> {
    check_authority(&m.authority)?;
    let plan = state
        .plan()?
        .ok_or_else(|| TxError::INVALID_REQUEST("there is no upgrade plan to cancel"))?;
    state.clear_plan();
    Ok((
        MsgCancelUpgradeResponse {},
        vec![Event::new("upgrade_cancelled").attr("name", plan.name)],
    ))
}
