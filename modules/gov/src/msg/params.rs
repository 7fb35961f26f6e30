//! Gov's own `MsgUpdateParams`, and `MsgExecLegacyContent` (how a legacy v1beta1 proposal's
//! content runs: pol runs only `TextProposal`, which does nothing).

use cosmos_sdk_proto::cosmos::gov::{v1 as pb, v1beta1};
use pol_component::authority::{check_authority, checked_params};
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::params::Params;
use crate::{error, GovWrite};

pub const TEXT_PROPOSAL: &str = "/cosmos.gov.v1beta1.TextProposal";

pub fn update_params_signer(m: &pb::MsgUpdateParams) -> Result<Address, TxError> {
    Address::parse(&m.authority)
}

pub fn execute_update_params<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &pb::MsgUpdateParams,
) -> Result<(pb::MsgUpdateParamsResponse, Vec<Event>), TxError> {
    let params = checked_params(&m.authority, m.params.as_ref(), "gov", Params::from_proto)?;
    state.put_gov_params(&params);
    Ok((
        pb::MsgUpdateParamsResponse {},
        vec![pol_component::event::params_updated("gov")],
    ))
}

pub fn exec_legacy_signer(m: &pb::MsgExecLegacyContent) -> Result<Address, TxError> {
    Address::parse(&m.authority)
}

/// A legacy content, run by the gov account: `TextProposal` (a signal, nothing to run);
/// any other content is refused.
pub fn execute_exec_legacy<S: StateWrite>(
    _state: &mut S,
    _ctx: &BlockContext,
    m: &pb::MsgExecLegacyContent,
) -> Result<(pb::MsgExecLegacyContentResponse, Vec<Event>), TxError> {
    check_authority(&m.authority)?;
    let content = m
        .content
        .as_ref()
        .ok_or_else(|| error::INVALID_PROPOSAL_CONTENT("legacy proposal content is missing"))?;
    check_legacy_content(content)?;
    Ok((pb::MsgExecLegacyContentResponse {}, Vec::new()))
}

/// The legacy contents pol knows: `TextProposal` only, with a title and a description.
pub fn check_legacy_content(
    content: &tendermint_proto::google::protobuf::Any,
) -> Result<v1beta1::TextProposal, TxError> {
    if content.type_url != TEXT_PROPOSAL {
        return Err(error::INVALID_PROPOSAL_CONTENT(format!(
            "legacy content {} is not run by pol; propose its messages with cosmos.gov.v1.MsgSubmitProposal",
            content.type_url
        )));
    }
    prost::Message::decode(content.value.as_slice())
        .map_err(|e| error::INVALID_PROPOSAL_CONTENT(format!("TextProposal: {e}")))
}
