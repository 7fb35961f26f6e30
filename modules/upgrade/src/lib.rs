//! `upgrade`: software upgrades planned by governance, with the Cosmos SDK's `x/upgrade`
//! rules and `cosmos.upgrade.v1beta1` types unchanged.
//!
//! A passed proposal's `MsgSoftwareUpgrade` stores a plan (a name and a height). At the
//! begin block of that height, a node whose binary knows the upgrade (it is in
//! [`KnownUpgrades`], which the app lends) runs its migration and records it as applied; a
//! node whose binary does not know it stops there with `UPGRADE "<name>" NEEDED at height
//! <h>`, before the block is committed, and stops again at the same place every time it is
//! restarted with that binary. A binary that knows an upgrade refuses to run before the
//! plan's height (the SDK's "BINARY UPDATED BEFORE TRIGGER"), so operators cannot switch
//! early by mistake. `MsgCancelUpgrade` removes the plan.
//!
//! Unlike the SDK's, this module has a genesis (the plan and the applied upgrades), so
//! that an export is exact.

pub mod begin_block;
pub mod genesis;
pub mod module;
pub mod msg;
pub mod query;
pub mod state_key;
pub mod view;

#[cfg(test)]
mod tests;

pub use genesis::GenesisState;
pub use module::UpgradeModule;
pub use view::{UpgradeRead, UpgradeWrite};

use pol_component::TxError;
use pol_store::StateWrite;

/// The module's name: its state-key prefix and `app_state` key.
pub const MODULE: &str = "upgrade";

/// One upgrade this binary knows: its plan name and its state migration.
#[derive(Clone, Copy)]
pub struct Upgrade {
    pub name: &'static str,
    pub migrate: fn(&mut dyn StateWrite) -> Result<(), TxError>,
}

impl std::fmt::Debug for Upgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The upgrades this binary knows, as the app lends them to the begin-block hook.
#[derive(Clone, Debug, Default)]
pub struct KnownUpgrades(pub Vec<Upgrade>);

impl KnownUpgrades {
    pub fn get(&self, name: &str) -> Option<&Upgrade> {
        self.0.iter().find(|u| u.name == name)
    }
}

/// An upgrade with nothing to migrate (tests, and upgrades that only change code).
pub fn no_migration(_: &mut dyn StateWrite) -> Result<(), TxError> {
    Ok(())
}
