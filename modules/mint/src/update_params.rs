//! `MsgUpdateParams`: a passed governance proposal sets the mint module's parameters. The
//! authority must be the gov module account; invalid parameters are refused and change
//! nothing.

use cosmos_sdk_proto::cosmos::mint::v1beta1::{MsgUpdateParams, MsgUpdateParamsResponse};
use pol_component::authority::checked_params;
use pol_component::event::params_updated;
use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::MintWrite;
use crate::Params;

pol_component::update_params_handler!(
    "/cosmos.mint.v1beta1.MsgUpdateParams",
    MsgUpdateParams,
    execute
);

pub fn execute<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgUpdateParams,
) -> Result<(MsgUpdateParamsResponse, Vec<Event>), TxError> {
    let params: Params = checked_params(&m.authority, m.params.as_ref(), crate::MODULE, |p| {
        let params = Params::from_proto(p).map_err(|e| e.to_string())?;
        params.validate()?;
        Ok(params)
    })?;
    state.put_mint_params(&params);
    Ok((
        MsgUpdateParamsResponse {},
        vec![params_updated(crate::MODULE)],
    ))
}
