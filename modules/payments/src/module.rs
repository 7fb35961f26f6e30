//! The payments module as the app registers it.

use pol_bank::BankRead;
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, MsgHandler};
use pol_component::state::scan;
use pol_component::{Address, BlockContext, EndBlockOutcome, ExecEnv, Module, ModuleMsg, TxError};
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use prost::Message;
use tendermint_proto::google::protobuf::Any;
use tonic::service::RoutesBuilder;

use crate::msg::{self, MsgClaimPayment, MsgCloseChannel, MsgFundChannel, MsgOpenChannel};
use crate::pb;
use crate::view::{Amounts, PaymentsRead};
use crate::{escrow_account, state_key};

/// Payment channels; `pol.payments.v1.Query`.
pub struct PaymentsModule;

impl Module for PaymentsModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        Some(match any.type_url.as_str() {
            crate::MSG_OPEN_CHANNEL_TYPE_URL => decode_msg_as(any, &OPEN_CHANNEL),
            crate::MSG_FUND_CHANNEL_TYPE_URL => decode_msg_as(any, &FUND_CHANNEL),
            crate::MSG_CLAIM_PAYMENT_TYPE_URL => decode_msg_as(any, &CLAIM_PAYMENT),
            crate::MSG_CLOSE_CHANNEL_TYPE_URL => decode_msg_as(any, &CLOSE_CHANNEL),
            crate::update_params::MSG_UPDATE_PARAMS => {
                decode_msg_as(any, &crate::update_params::UPDATE_PARAMS)
            }
            _ => return None,
        })
    }

    fn end_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _block_hash: &[u8],
        _shared: &mut ExecEnv,
    ) -> Result<EndBlockOutcome, TxError> {
        Ok(EndBlockOutcome {
            events: crate::end_block::end_block(&mut state, ctx)?,
            ..Default::default()
        })
    }

    /// The escrow holds exactly the channels' unclaimed deposits; no claim exceeds its
    /// deposit; every channel expires after the committed height (end block settles it at
    /// its expiry height); every channel is indexed once under its expiry.
    fn invariants(&self, state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
        let mut broken = Vec::new();
        let mut escrow = 0u128;
        let denom = state.payments_params()?.denom;
        let channels = scan(state, state_key::CHANNEL_PREFIX)?;
        for (_, v) in &channels {
            let c = pb::Channel::decode(v.as_slice())
                .map_err(|e| StoreError::Corrupt(format!("payments: channel: {e}")))?;
            let a = Amounts::of(&c)?;
            if a.claimed > a.deposit || a.claimed_royalty > a.claimed {
                broken.push(format!(
                    "channel {}: claimed {} ({} royalty) of a {} deposit",
                    c.id, a.claimed, a.claimed_royalty, a.deposit
                ));
            }
            if c.expiry_height <= height {
                broken.push(format!(
                    "channel {} is still open at height {height}, past its expiry {}",
                    c.id, c.expiry_height
                ));
            }
            if state
                .get_raw(&state_key::expiry(c.expiry_height, c.id))?
                .is_none()
            {
                broken.push(format!("channel {} is missing from the expiry index", c.id));
            }
            escrow = escrow.saturating_add(a.unclaimed());
        }
        let indexed = scan(state, state_key::EXPIRY_PREFIX)?.len();
        if indexed != channels.len() {
            broken.push(format!(
                "{indexed} expiry index entries for {} channels",
                channels.len()
            ));
        }
        let held = state.balance(&escrow_account(), &denom)?;
        if held != escrow {
            broken.push(format!(
                "the payments escrow holds {held}{denom}, channels' unclaimed deposits sum to \
                 {escrow}{denom}"
            ));
        }
        Ok(broken)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &[crate::QUERY_SERVICE]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(crate::query::PaymentsQuery::server(storage.clone()));
    }

    fn file_descriptor_sets(&self) -> &'static [&'static [u8]] {
        &[crate::FILE_DESCRIPTOR_SET]
    }

    fn blocked_accounts(&self) -> Vec<Address> {
        vec![escrow_account()]
    }
}

static OPEN_CHANNEL: MsgHandler<MsgOpenChannel> = pol_component::msg_handler!(
    crate::MSG_OPEN_CHANNEL_TYPE_URL,
    "/pol.payments.v1.MsgOpenChannelResponse",
    msg::open_channel_signer,
    msg::execute_open_channel
);
static FUND_CHANNEL: MsgHandler<MsgFundChannel> = pol_component::msg_handler!(
    crate::MSG_FUND_CHANNEL_TYPE_URL,
    "/pol.payments.v1.MsgFundChannelResponse",
    msg::fund_channel_signer,
    msg::execute_fund_channel
);
static CLAIM_PAYMENT: MsgHandler<MsgClaimPayment> = pol_component::msg_handler!(
    crate::MSG_CLAIM_PAYMENT_TYPE_URL,
    "/pol.payments.v1.MsgClaimPaymentResponse",
    msg::claim_payment_signer,
    msg::execute_claim_payment,
    msg::claim_payment_gas
);
static CLOSE_CHANNEL: MsgHandler<MsgCloseChannel> = pol_component::msg_handler!(
    crate::MSG_CLOSE_CHANNEL_TYPE_URL,
    "/pol.payments.v1.MsgCloseChannelResponse",
    msg::close_channel_signer,
    msg::execute_close_channel
);
