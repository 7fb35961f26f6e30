//! Messages the chain understands, decoded from `Any` and routed to their module.

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_inference::msg as inference;
use pol_inference::ProofVerifier;
use pol_staking::msg::{MsgCreateValidator, MsgDelegate, MsgUndelegate, MsgUnjail};
use pol_store::{StateRead, StateWrite};
use prost::Message;
use tendermint_proto::google::protobuf::Any;

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Send(MsgSend),
    CreateValidator(MsgCreateValidator),
    Delegate(MsgDelegate),
    Undelegate(MsgUndelegate),
    Unjail(MsgUnjail),
    RegisterArchitecture(inference::MsgRegisterArchitecture),
    RegisterModel(inference::MsgRegisterModel),
    RegisterProvider(inference::MsgRegisterProvider),
    UpdateProvider(inference::MsgUpdateProvider),
    DeregisterProvider(inference::MsgDeregisterProvider),
    SubmitReceipt(inference::MsgSubmitReceipt),
    SubmitAttestation(inference::MsgSubmitAttestation),
}

fn decode_as<M: Message + Default>(any: &Any, wrap: fn(M) -> Msg) -> Result<Msg, TxError> {
    M::decode(any.value.as_slice())
        .map(wrap)
        .map_err(|e| TxError::TX_DECODE(format!("{}: {e}", any.type_url)))
}

/// A module's response message packed for `TxMsgData`.
fn response_any<M: Message>(type_url: &str, resp: M) -> Any {
    Any {
        type_url: type_url.into(),
        value: resp.encode_to_vec(),
    }
}

/// Response `Any` for an inference message (its type URL is always known).
fn inference_response<M: Message>(msg_type_url: &str, resp: M) -> Any {
    response_any(
        inference::response_type_url(msg_type_url).unwrap_or_default(),
        resp,
    )
}

/// Response `Any` for a staking message (its type URL is always known).
fn staking_response<M: Message>(msg_type_url: &str, resp: M) -> Any {
    response_any(
        pol_staking::msg::response_type_url(msg_type_url).unwrap_or_default(),
        resp,
    )
}

/// Module accounts whose balance is bookkeeping of their module (fees collected, bonds,
/// escrow): a plain send to one would break that module's accounting (and every later
/// genesis export), so, as the Cosmos SDK's blocked addresses, they cannot receive sends.
pub fn blocked_recipients() -> [Address; 6] {
    [
        Address::module(crate::tx::ante::FEE_COLLECTOR),
        pol_staking::bonded_pool(),
        pol_staking::not_bonded_pool(),
        pol_staking::community_pool(),
        pol_inference::bond_pool(),
        pol_inference::escrow_pool(),
    ]
}

fn refuse_blocked_recipient(to: &str) -> Result<(), TxError> {
    let to = Address::parse(to)?;
    if blocked_recipients().contains(&to) {
        return Err(TxError::UNAUTHORIZED(format!(
            "{to} is a module account and is not allowed to receive funds"
        )));
    }
    Ok(())
}

impl Msg {
    pub fn decode(any: &Any) -> Result<Msg, TxError> {
        match any.type_url.as_str() {
            pol_bank::MSG_SEND_TYPE_URL => decode_as(any, Msg::Send),
            pol_staking::MSG_CREATE_VALIDATOR_TYPE_URL => decode_as(any, Msg::CreateValidator),
            pol_staking::MSG_DELEGATE_TYPE_URL => decode_as(any, Msg::Delegate),
            pol_staking::MSG_UNDELEGATE_TYPE_URL => decode_as(any, Msg::Undelegate),
            pol_staking::MSG_UNJAIL_TYPE_URL => decode_as(any, Msg::Unjail),
            pol_inference::MSG_REGISTER_ARCHITECTURE_TYPE_URL => {
                decode_as(any, Msg::RegisterArchitecture)
            }
            pol_inference::MSG_REGISTER_MODEL_TYPE_URL => decode_as(any, Msg::RegisterModel),
            pol_inference::MSG_REGISTER_PROVIDER_TYPE_URL => decode_as(any, Msg::RegisterProvider),
            pol_inference::MSG_UPDATE_PROVIDER_TYPE_URL => decode_as(any, Msg::UpdateProvider),
            pol_inference::MSG_DEREGISTER_PROVIDER_TYPE_URL => {
                decode_as(any, Msg::DeregisterProvider)
            }
            pol_inference::MSG_SUBMIT_RECEIPT_TYPE_URL => decode_as(any, Msg::SubmitReceipt),
            pol_inference::MSG_SUBMIT_ATTESTATION_TYPE_URL => {
                decode_as(any, Msg::SubmitAttestation)
            }
            other => Err(TxError::UNKNOWN_REQUEST(format!(
                "unrecognized message type: {other}"
            ))),
        }
    }

    pub fn type_url(&self) -> &'static str {
        match self {
            Msg::Send(_) => pol_bank::MSG_SEND_TYPE_URL,
            Msg::CreateValidator(_) => pol_staking::MSG_CREATE_VALIDATOR_TYPE_URL,
            Msg::Delegate(_) => pol_staking::MSG_DELEGATE_TYPE_URL,
            Msg::Undelegate(_) => pol_staking::MSG_UNDELEGATE_TYPE_URL,
            Msg::Unjail(_) => pol_staking::MSG_UNJAIL_TYPE_URL,
            Msg::RegisterArchitecture(_) => pol_inference::MSG_REGISTER_ARCHITECTURE_TYPE_URL,
            Msg::RegisterModel(_) => pol_inference::MSG_REGISTER_MODEL_TYPE_URL,
            Msg::RegisterProvider(_) => pol_inference::MSG_REGISTER_PROVIDER_TYPE_URL,
            Msg::UpdateProvider(_) => pol_inference::MSG_UPDATE_PROVIDER_TYPE_URL,
            Msg::DeregisterProvider(_) => pol_inference::MSG_DEREGISTER_PROVIDER_TYPE_URL,
            Msg::SubmitReceipt(_) => pol_inference::MSG_SUBMIT_RECEIPT_TYPE_URL,
            Msg::SubmitAttestation(_) => pol_inference::MSG_SUBMIT_ATTESTATION_TYPE_URL,
        }
    }

    pub fn module(&self) -> &'static str {
        match self {
            Msg::Send(_) => "bank",
            Msg::CreateValidator(_) | Msg::Delegate(_) | Msg::Undelegate(_) | Msg::Unjail(_) => {
                "staking"
            }
            _ => "inference",
        }
    }

    /// The account that must sign this message.
    pub fn signer(&self) -> Result<Address, TxError> {
        use pol_staking::msg as staking;
        match self {
            Msg::Send(m) => pol_bank::msg::send_signer(m),
            Msg::CreateValidator(m) => staking::create_validator_signer(m),
            Msg::Delegate(m) => staking::delegate_signer(m),
            Msg::Undelegate(m) => staking::undelegate_signer(m),
            Msg::Unjail(m) => staking::unjail_signer(m),
            Msg::RegisterArchitecture(m) => inference::register_architecture_signer(m),
            Msg::RegisterModel(m) => inference::register_model_signer(m),
            Msg::RegisterProvider(m) => inference::register_provider_signer(m),
            Msg::UpdateProvider(m) => inference::update_provider_signer(m),
            Msg::DeregisterProvider(m) => inference::deregister_provider_signer(m),
            Msg::SubmitReceipt(m) => inference::submit_receipt_signer(m),
            Msg::SubmitAttestation(m) => inference::submit_attestation_signer(m),
        }
    }

    /// Gas charged before the message runs for work that is not storage: checking a
    /// receipt's signature, verifying a proof.
    pub fn intrinsic_gas<S: StateRead>(&self, state: &S) -> Result<u64, TxError> {
        use pol_inference::InferenceRead;
        Ok(match self {
            Msg::SubmitReceipt(_) => inference::RECEIPT_SIGNATURE_GAS,
            Msg::SubmitAttestation(_) => state.inference_params()?.attestation_gas,
            _ => 0,
        })
    }

    /// Run the message; returns its response as `Any` (for TxMsgData) and its events.
    pub fn execute<S: StateWrite>(
        &self,
        state: &mut S,
        ctx: &BlockContext,
        verifier: &dyn ProofVerifier,
    ) -> Result<(Any, Vec<Event>), TxError> {
        use pol_staking::msg as staking;
        let url = self.type_url();
        Ok(match self {
            Msg::Send(m) => {
                refuse_blocked_recipient(&m.to_address)?;
                let (resp, events) = pol_bank::msg::execute_send(state, m)?;
                (
                    response_any("/cosmos.bank.v1beta1.MsgSendResponse", resp),
                    events,
                )
            }
            Msg::CreateValidator(m) => {
                let (resp, events) = staking::execute_create_validator(state, ctx, m)?;
                (staking_response(url, resp), events)
            }
            Msg::Delegate(m) => {
                let (resp, events) = staking::execute_delegate(state, ctx, m)?;
                (staking_response(url, resp), events)
            }
            Msg::Undelegate(m) => {
                let (resp, events) = staking::execute_undelegate(state, ctx, m)?;
                (staking_response(url, resp), events)
            }
            Msg::Unjail(m) => {
                let (resp, events) = staking::execute_unjail(state, ctx, m)?;
                (staking_response(url, resp), events)
            }
            Msg::RegisterArchitecture(m) => {
                let (resp, events) = inference::execute_register_architecture(state, ctx, m)?;
                (inference_response(url, resp), events)
            }
            Msg::RegisterModel(m) => {
                let (resp, events) = inference::execute_register_model(state, ctx, m)?;
                (inference_response(url, resp), events)
            }
            Msg::RegisterProvider(m) => {
                let (resp, events) = inference::execute_register_provider(state, ctx, m)?;
                (inference_response(url, resp), events)
            }
            Msg::UpdateProvider(m) => {
                let (resp, events) = inference::execute_update_provider(state, ctx, m)?;
                (inference_response(url, resp), events)
            }
            Msg::DeregisterProvider(m) => {
                let (resp, events) = inference::execute_deregister_provider(state, ctx, m)?;
                (inference_response(url, resp), events)
            }
            Msg::SubmitReceipt(m) => {
                let (resp, events) = inference::execute_submit_receipt(state, ctx, m)?;
                (inference_response(url, resp), events)
            }
            Msg::SubmitAttestation(m) => {
                let (resp, events) =
                    inference::execute_submit_attestation(state, ctx, m, verifier)?;
                (inference_response(url, resp), events)
            }
        })
    }
}
