//! `MsgUpdateParams`: a passed governance proposal sets the staking module's parameters. The
//! authority must be the gov module account; invalid parameters are refused and change
//! nothing.

use crate::pb::{MsgUpdateParams, MsgUpdateParamsResponse};
use pol_component::authority::checked_params;
use pol_component::event::params_updated;
use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::Params;
use crate::{StakingRead, StakingWrite};

pol_component::update_params_handler!("/pol.staking.v1.MsgUpdateParams", MsgUpdateParams, execute);

pub fn execute<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgUpdateParams,
) -> Result<(MsgUpdateParamsResponse, Vec<Event>), TxError> {
    let params: Params = checked_params(&m.authority, m.params.as_ref(), crate::MODULE, |p| {
        let params = Params::from_proto(p)?;
        params.validate()?;
        Ok(params)
    })?;
    let current = state.staking_params()?;
    if params.bond_denom != current.bond_denom {
        return Err(TxError::INVALID_REQUEST(format!(
            "staking MsgUpdateParams: bond_denom cannot change ({} is bonded in it)",
            current.bond_denom
        )));
    }
    state.put_staking_params(&params);
    Ok((
        MsgUpdateParamsResponse {},
        vec![params_updated(crate::MODULE)],
    ))
}
