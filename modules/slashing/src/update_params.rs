//! `MsgUpdateParams`: a passed governance proposal sets the slashing module's parameters. The
//! authority must be the gov module account; invalid parameters are refused and change
//! nothing.

use cosmos_sdk_proto::cosmos::slashing::v1beta1::{MsgUpdateParams, MsgUpdateParamsResponse};
use pol_component::authority::checked_params;
use pol_component::event::params_updated;
use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::Params;
use crate::{SlashingRead, SlashingWrite};

pol_component::update_params_handler!(
    "/cosmos.slashing.v1beta1.MsgUpdateParams",
    MsgUpdateParams,
    execute
);

pub fn execute<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgUpdateParams,
) -> Result<(MsgUpdateParamsResponse, Vec<Event>), TxError> {
    let params: Params = checked_params(&m.authority, m.params.as_ref(), crate::MODULE, |p| {
        let params = Params::from_proto(p)?;
        params.validate()?;
        Ok(params)
    })?;
    // A new window length starts every validator's window afresh: the slots of the old
    // one mean nothing under the new length (a shorter window would leave slots outside it).
    if params.signed_blocks_window != state.slashing_params()?.signed_blocks_window {
        for mut info in state.signing_infos()? {
            state.clear_missed_blocks(&info.address)?;
            info.missed_blocks_counter = 0;
            info.index_offset = 0;
            info.start_height = ctx.height;
            state.put_signing_info(&info);
        }
    }
    state.put_slashing_params(&params);
    Ok((
        MsgUpdateParamsResponse {},
        vec![params_updated(crate::MODULE)],
    ))
}
