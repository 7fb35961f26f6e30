//! Messages the chain understands, decoded from `Any` and routed to their module.

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use pol_component::{Address, Event, TxError};
use pol_store::StateWrite;
use prost::Message;
use tendermint_proto::google::protobuf::Any;

#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Send(MsgSend),
}

impl Msg {
    pub fn decode(any: &Any) -> Result<Msg, TxError> {
        match any.type_url.as_str() {
            pol_bank::MSG_SEND_TYPE_URL => MsgSend::decode(any.value.as_slice())
                .map(Msg::Send)
                .map_err(|e| TxError::TX_DECODE(format!("{}: {e}", any.type_url))),
            other => Err(TxError::UNKNOWN_REQUEST(format!(
                "unrecognized message type: {other}"
            ))),
        }
    }

    pub fn type_url(&self) -> &'static str {
        match self {
            Msg::Send(_) => pol_bank::MSG_SEND_TYPE_URL,
        }
    }

    pub fn module(&self) -> &'static str {
        match self {
            Msg::Send(_) => "bank",
        }
    }

    /// The account that must sign this message.
    pub fn signer(&self) -> Result<Address, TxError> {
        match self {
            Msg::Send(m) => pol_bank::msg::send_signer(m),
        }
    }

    /// Run the message; returns its response as `Any` (for TxMsgData) and its events.
    pub fn execute<S: StateWrite>(&self, state: &mut S) -> Result<(Any, Vec<Event>), TxError> {
        match self {
            Msg::Send(m) => {
                let (resp, events) = pol_bank::msg::execute_send(state, m)?;
                Ok((
                    Any {
                        type_url: "/cosmos.bank.v1beta1.MsgSendResponse".into(),
                        value: resp.encode_to_vec(),
                    },
                    events,
                ))
            }
        }
    }
}
