//! The upgrade module as the app registers it.

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    self as pb, MsgCancelUpgrade, MsgSoftwareUpgrade,
};
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, MsgHandler};
use pol_component::{BlockContext, BlockInfo, Event, ExecEnv, Module, ModuleMsg, TxError};
use pol_store::{StateWrite, Storage};
use tendermint_proto::google::protobuf::Any;
use tonic::service::RoutesBuilder;

use crate::{msg, KnownUpgrades};

pub const MSG_SOFTWARE_UPGRADE: &str = "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade";
pub const MSG_CANCEL_UPGRADE: &str = "/cosmos.upgrade.v1beta1.MsgCancelUpgrade";

/// Software upgrades by proposal; `cosmos.upgrade.v1beta1.Query`.
pub struct UpgradeModule;

impl Module for UpgradeModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    /// First in the list: an upgrade migrates before any other module runs at its height.
    fn begin_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _block: &BlockInfo,
        shared: &mut ExecEnv,
    ) -> Result<Vec<Event>, TxError> {
        let known = shared.get::<KnownUpgrades>().cloned().unwrap_or_default();
        crate::begin_block::begin_block(&mut state, ctx, &known)
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        Some(match any.type_url.as_str() {
            MSG_SOFTWARE_UPGRADE => decode_msg_as(any, &SOFTWARE_UPGRADE),
            MSG_CANCEL_UPGRADE => decode_msg_as(any, &CANCEL_UPGRADE),
            _ => return None,
        })
    }

    fn query_services(&self) -> &'static [&'static str] {
        &["cosmos.upgrade.v1beta1.Query"]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(pb::query_server::QueryServer::new(
            crate::query::UpgradeQuery::new(storage.clone()),
        ));
    }
}

static SOFTWARE_UPGRADE: MsgHandler<MsgSoftwareUpgrade> = pol_component::msg_handler!(
    MSG_SOFTWARE_UPGRADE,
    "/cosmos.upgrade.v1beta1.MsgSoftwareUpgradeResponse",
    msg::software_upgrade_signer,
    msg::execute_software_upgrade
);

static CANCEL_UPGRADE: MsgHandler<MsgCancelUpgrade> = pol_component::msg_handler!(
    MSG_CANCEL_UPGRADE,
    "/cosmos.upgrade.v1beta1.MsgCancelUpgradeResponse",
    msg::cancel_upgrade_signer,
    msg::execute_cancel_upgrade
);
