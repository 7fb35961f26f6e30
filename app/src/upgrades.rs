//! The software upgrades this pold knows (`cosmos.upgrade.v1beta1` plans it can apply).
//! A release that ships an upgrade adds it to [`UPGRADES`] with its state migration; the
//! upgrade module stops every node whose binary lacks the plan's name at its height.
//!
//! With the `test-faults` feature, app.toml's `[test_faults] known_upgrades` adds no-op
//! upgrades by name, so the integration tests can play "restart with the new binary"
//! without building a second pold.

use std::sync::OnceLock;

use pol_upgrade::{KnownUpgrades, Upgrade};

/// Every upgrade this release applies. None yet: pol has had no upgrade.
pub static UPGRADES: &[Upgrade] = &[];

static TEST_KNOWN: OnceLock<Vec<Upgrade>> = OnceLock::new();

/// `[test_faults] known_upgrades`: no-op upgrades by name (test-faults builds only; the
/// config refuses them otherwise). Set once, at startup.
pub fn set_test_known(names: &[String]) {
    if !cfg!(feature = "test-faults") || names.is_empty() {
        return;
    }
    let upgrades = names
        .iter()
        .map(|n| Upgrade {
            name: Box::leak(n.clone().into_boxed_str()),
            migrate: pol_upgrade::no_migration,
        })
        .collect();
    let _ = TEST_KNOWN.set(upgrades);
}

/// What the upgrade module is lent: [`UPGRADES`] and any test upgrades.
pub fn known() -> KnownUpgrades {
    let mut all = UPGRADES.to_vec();
    all.extend(TEST_KNOWN.get().into_iter().flatten().copied());
    KnownUpgrades(all)
}
