//! `MsgUpdateParams`: a passed governance proposal sets the latency module's parameters. The
//! authority must be the gov module account; invalid parameters are refused and change
//! nothing.

use crate::pb::{MsgUpdateParams, MsgUpdateParamsResponse};
use pol_component::authority::checked_params;
use pol_component::event::params_updated;
use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::pb::Params;
use crate::{LatencyRead, LatencyWrite};

pol_component::update_params_handler!("/pol.latency.v1.MsgUpdateParams", MsgUpdateParams, execute);

pub fn execute<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgUpdateParams,
) -> Result<(MsgUpdateParamsResponse, Vec<Event>), TxError> {
    let params: Params = checked_params(&m.authority, m.params.as_ref(), crate::MODULE, |p| {
        p.validate()?;
        Ok(*p)
    })?;
    // Epochs are counted from height 0 in steps of epoch_blocks; another length would
    // renumber them under the SLA and reputation records (a coordinated upgrade's job).
    let current = state.latency_params()?;
    if params.epoch_blocks != current.epoch_blocks {
        return Err(TxError::INVALID_REQUEST(format!(
            "latency MsgUpdateParams: epoch_blocks cannot change by proposal ({} now)",
            current.epoch_blocks
        )));
    }
    state.put_latency_params(&params);
    Ok((
        MsgUpdateParamsResponse {},
        vec![params_updated(crate::MODULE)],
    ))
}
