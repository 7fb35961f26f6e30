//! The bank module as the app registers it.

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, no_intrinsic_gas, BlockedAccounts, MsgHandler};
use pol_component::{Address, BlockContext, Event, ExecEnv, Module, ModuleMsg, TxError};
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use prost::Message;
use tendermint_proto::google::protobuf::Any;
use tonic::service::RoutesBuilder;

/// Balances, supply and sends; `cosmos.bank.v1beta1.Query`.
pub struct BankModule;

impl Module for BankModule {
    fn name(&self) -> &'static str {
        "bank"
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        (any.type_url == crate::MSG_SEND_TYPE_URL).then(|| decode_msg_as(any, &SEND))
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    fn invariants(&self, state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
        crate::invariants::invariants(state, height)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &["cosmos.bank.v1beta1.Query"]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(
            cosmos_sdk_proto::cosmos::bank::v1beta1::query_server::QueryServer::new(
                crate::query::BankQuery::new(storage.clone()),
            ),
        );
    }
}

static SEND: MsgHandler<MsgSend> = MsgHandler {
    type_url: crate::MSG_SEND_TYPE_URL,
    response_type_url: "/cosmos.bank.v1beta1.MsgSendResponse",
    signer: crate::msg::send_signer,
    intrinsic_gas: no_intrinsic_gas,
    execute: execute_send,
};

fn execute_send(
    mut state: &mut dyn StateWrite,
    _ctx: &BlockContext,
    env: &ExecEnv,
    m: &MsgSend,
) -> Result<(Vec<u8>, Vec<Event>), TxError> {
    refuse_blocked_recipient(env, &m.to_address)?;
    let (response, events) = crate::msg::execute_send(&mut state, m)?;
    Ok((response.encode_to_vec(), events))
}

/// Sends to module accounts are refused (see [`pol_component::Module::blocked_accounts`]).
fn refuse_blocked_recipient(env: &ExecEnv, to: &str) -> Result<(), TxError> {
    let to = Address::parse(to)?;
    let blocked = env
        .get::<BlockedAccounts>()
        .ok_or_else(|| TxError::INTERNAL("the app lent bank no list of blocked accounts"))?;
    if blocked.0.contains(&to) {
        return Err(TxError::UNAUTHORIZED(format!(
            "{to} is a module account and is not allowed to receive funds"
        )));
    }
    Ok(())
}
