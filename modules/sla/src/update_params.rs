//! `MsgUpdateParams`: a passed governance proposal sets the sla module's parameters. The
//! authority must be the gov module account; invalid parameters are refused and change
//! nothing.

use crate::pb::{MsgUpdateParams, MsgUpdateParamsResponse};
use pol_component::authority::checked_params;
use pol_component::event::params_updated;
use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::Params;
use crate::SlaWrite;

pol_component::update_params_handler!("/pol.sla.v1.MsgUpdateParams", MsgUpdateParams, execute);

pub fn execute<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgUpdateParams,
) -> Result<(MsgUpdateParamsResponse, Vec<Event>), TxError> {
    let params: Params = checked_params(&m.authority, m.params.as_ref(), crate::MODULE, |p| {
        let params = *p;
        params.validate()?;
        Ok(params)
    })?;
    state.put_sla_params(&params);
    Ok((
        MsgUpdateParamsResponse {},
        vec![params_updated(crate::MODULE)],
    ))
}
