//! Scheduling (and its refusals), the begin-block verdicts for a binary that does and does
//! not know the upgrade, cancelling, and genesis.

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{MsgCancelUpgrade, MsgSoftwareUpgrade, Plan};
use pol_component::{Address, BlockContext, ModuleGenesis, TxError};
use pol_store::{MemState, StateDelta, StateWrite};

use crate::msg::{execute_cancel_upgrade, execute_software_upgrade};
use crate::{GenesisState, KnownUpgrades, Upgrade, UpgradeRead};

fn ctx(height: u64) -> BlockContext {
    BlockContext {
        height,
        ..Default::default()
    }
}

fn gov() -> String {
    pol_component::authority::gov_authority().to_string()
}

fn plan(name: &str, height: i64) -> Plan {
    Plan {
        name: name.into(),
        height,
        info: "https://example.invalid/pold-v2".into(),
        ..Default::default()
    }
}

fn schedule(s: &mut StateDelta<MemState>, at: u64, p: Plan) -> Result<(), TxError> {
    execute_software_upgrade(
        s,
        &ctx(at),
        &MsgSoftwareUpgrade {
            authority: gov(),
            plan: Some(p),
        },
    )
    .map(drop)
}

/// Writes a marker, so the test sees the migration ran.
fn mark(state: &mut dyn StateWrite) -> Result<(), TxError> {
    state.put_raw(b"upgrade-test/migrated".to_vec(), vec![1]);
    Ok(())
}

fn knowing(name: &'static str) -> KnownUpgrades {
    KnownUpgrades(vec![Upgrade {
        name,
        migrate: mark,
    }])
}

#[test]
#[allow(deprecated)] // checks and clears the SDK's deprecated fields
fn scheduling_refuses_the_past_the_applied_the_deprecated_and_other_authorities() {
    let mut s = StateDelta::new(MemState::default());
    for (p, why) in [
        (plan("v2", 10), "not after this block"),
        (plan("v2", 9), "in the past"),
        (plan("", 20), "no name"),
        (plan("v2", 0), "no height"),
    ] {
        let e = schedule(&mut s, 10, p).unwrap_err();
        assert_eq!(e.code, pol_component::error::code::INVALID_REQUEST, "{why}");
    }
    let mut timed = plan("v2", 20);
    timed.time = Some(tendermint_proto::google::protobuf::Timestamp {
        seconds: 5,
        nanos: 0,
    });
    assert!(schedule(&mut s, 10, timed).is_err());
    let e = execute_software_upgrade(
        &mut s,
        &ctx(10),
        &MsgSoftwareUpgrade {
            authority: Address([3; 20]).to_string(),
            plan: Some(plan("v2", 20)),
        },
    )
    .unwrap_err();
    assert_eq!((e.codespace, e.code), ("gov", 13));
    assert!(s.plan().unwrap().is_none());
    // A later plan replaces an earlier one, as in the SDK.
    schedule(&mut s, 10, plan("v2", 20)).unwrap();
    schedule(&mut s, 11, plan("v3", 30)).unwrap();
    assert_eq!(s.plan().unwrap().unwrap().name, "v3");
    // A name already applied cannot be planned again.
    s.put_raw(crate::state_key::done("v1"), 5u64.to_be_bytes().to_vec());
    let e = schedule(&mut s, 12, plan("v1", 40)).unwrap_err();
    assert!(e.log.contains("already been completed"), "{}", e.log);
}

#[test]
fn a_binary_that_does_not_know_the_upgrade_stops_at_its_height_and_one_that_does_goes_on() {
    let mut s = StateDelta::new(MemState::default());
    schedule(&mut s, 10, plan("v2", 20)).unwrap();
    let old = KnownUpgrades::default();
    let new = knowing("v2");
    // Before the height: the old binary runs; the new one refuses to start early.
    assert!(crate::begin_block::begin_block(&mut s, &ctx(19), &old)
        .unwrap()
        .is_empty());
    let e = crate::begin_block::begin_block(&mut s, &ctx(19), &new).unwrap_err();
    assert!(e.log.contains("BINARY UPDATED BEFORE TRIGGER"), "{}", e.log);
    // At the height: the old binary stops, naming the upgrade, every time.
    let before = s.writes().clone();
    for _ in 0..2 {
        let e = crate::begin_block::begin_block(&mut s, &ctx(20), &old).unwrap_err();
        assert!(
            e.log.contains("UPGRADE \"v2\" NEEDED at height 20"),
            "{}",
            e.log
        );
        assert_eq!(s.writes(), &before, "a stop writes nothing");
    }
    // The new binary migrates, records the upgrade and clears the plan.
    let events = crate::begin_block::begin_block(&mut s, &ctx(20), &new).unwrap();
    assert_eq!(events[0].kind, "upgrade");
    assert_eq!(
        pol_store::StateRead::get_raw(&s, b"upgrade-test/migrated").unwrap(),
        Some(vec![1])
    );
    assert_eq!(s.applied("v2").unwrap(), Some(20));
    assert!(s.plan().unwrap().is_none());
    // And it keeps running afterwards.
    assert!(crate::begin_block::begin_block(&mut s, &ctx(21), &new)
        .unwrap()
        .is_empty());
}

#[test]
fn cancelling_removes_the_plan_and_genesis_carries_plan_and_history() {
    let mut s = StateDelta::new(MemState::default());
    let cancel = MsgCancelUpgrade { authority: gov() };
    assert!(execute_cancel_upgrade(&mut s, &ctx(5), &cancel).is_err());
    schedule(&mut s, 5, plan("v2", 20)).unwrap();
    execute_cancel_upgrade(&mut s, &ctx(6), &cancel).unwrap();
    assert!(s.plan().unwrap().is_none());
    // Nothing stops at 20 any more.
    assert!(
        crate::begin_block::begin_block(&mut s, &ctx(20), &KnownUpgrades::default())
            .unwrap()
            .is_empty()
    );

    schedule(&mut s, 6, plan("v3", 30)).unwrap();
    s.put_raw(crate::state_key::done("v1"), 4u64.to_be_bytes().to_vec());
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.plan.as_ref().unwrap().name, "v3");
    assert_eq!(exported.applied.len(), 1);
    let json = serde_json::to_string(&exported).unwrap();
    let back: GenesisState = serde_json::from_str(&json).unwrap();
    let mut fresh = StateDelta::new(MemState::default());
    back.init(&mut fresh, &ctx(7)).unwrap();
    assert_eq!(fresh.writes(), s.writes());
    let mut bad = back.clone();
    bad.plan.as_mut().unwrap().name = "v1".into();
    assert!(bad.validate().is_err(), "a plan already applied");
}
