//! `MsgUpdateParams`: a passed governance proposal sets the payments module's parameters. The
//! authority must be the gov module account; invalid parameters are refused and change
//! nothing.

use crate::pb::{MsgUpdateParams, MsgUpdateParamsResponse};
use pol_component::authority::checked_params;
use pol_component::event::params_updated;
use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::view::{PaymentsRead, PaymentsWrite};
use crate::Params;

pol_component::update_params_handler!("/pol.payments.v1.MsgUpdateParams", MsgUpdateParams, execute);

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
    let current = state.payments_params()?;
    if params.denom != current.denom {
        return Err(TxError::INVALID_REQUEST(format!(
            "payments MsgUpdateParams: denom cannot change (open channels escrow {})",
            current.denom
        )));
    }
    state.put_payments_params(&params);
    Ok((
        MsgUpdateParamsResponse {},
        vec![params_updated(crate::MODULE)],
    ))
}
