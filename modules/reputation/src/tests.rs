//! Unit tests over an in-memory state with real staking validators.

use pol_bank::BankWrite;
use pol_component::coins::Coin;
use pol_component::error::code;
use pol_component::ModuleGenesis as _;
use pol_component::{Address, BlockContext};
use pol_staking::msg::{execute_create_validator, MsgCreateValidator};
use pol_staking::types::{consensus_address, valoper_string};
use pol_staking::{StakingRead, StakingWrite};
use pol_store::{MemState, StateDelta};

use crate::*;

type State = StateDelta<MemState>;
const M: u128 = 1_000_000;

fn ctx(height: u64) -> BlockContext {
    BlockContext {
        chain_id: "pol-test-1".into(),
        height,
        time_unix_nanos: 0,
    }
}

fn addr(b: u8) -> Address {
    Address([b; 20])
}

fn pubkey(seed: u8) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
        .verifying_key()
        .to_bytes()
}

fn cons(seed: u8) -> [u8; 20] {
    consensus_address(&pubkey(seed))
}

fn params() -> Params {
    Params {
        initial_ppm: 500_000,
        initial_measurer_ppm: 1_000_000,
        alpha_ppm: 200_000,
        min_weight_ppm: 100_000,
        history_len: 3,
        no_report_score_ppm: 0,
        ..Params::defaults()
    }
}

#[test]
fn the_fee_discount_grows_linearly_with_reputation_above_its_floor() {
    let p = Params::defaults();
    assert_eq!(p.fee_discount_ppm(0), 0);
    assert_eq!(p.fee_discount_ppm(500_000), 0);
    assert_eq!(p.fee_discount_ppm(750_000), 250_000);
    assert_eq!(p.fee_discount_ppm(1_000_000), 500_000);
    assert_eq!(
        p.fee_discount_ppm(u32::MAX),
        500_000,
        "capped at 10⁶ reputation"
    );
    let off = Params {
        fee_discount_max_ppm: 0,
        ..Params::defaults()
    };
    assert_eq!(off.fee_discount_ppm(1_000_000), 0);
    let bad = Params {
        fee_discount_from_ppm: 1_000_000,
        ..Params::defaults()
    };
    assert!(bad.validate().is_err());
}

/// Validators 1..=n with 10 units of power each, bonded.
fn chain(n: u8) -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_reputation_params(&params());
    s.put_staking_params(&pol_staking::Params {
        unbonding_blocks: 10,
        max_validators: 10,
        min_self_bond: M,
        bond_denom: "upol".into(),
        slash_destination: pol_staking::SlashDestination::Burn,
    });
    for b in 1..=n {
        s.mint(&addr(b), &[Coin::new("upol", 100 * M)]).unwrap();
        execute_create_validator(
            &mut s,
            &ctx(1),
            &pol_staking::NoHooks,
            &MsgCreateValidator {
                validator_address: valoper_string(&addr(b)),
                consensus_pubkey: pubkey(b).to_vec(),
                moniker: format!("v{b}"),
                commission_bps: 0,
                self_bond: Some(Coin::new("upol", 10 * M).to_proto()),
            },
        )
        .unwrap();
    }
    pol_staking::end_block(&mut s, &ctx(1)).unwrap();
    s
}

/// (pubkey, power) of an end block's validator updates.
fn powers(u: &pol_staking::end_block::EndBlockOutcome) -> Vec<([u8; 32], i64)> {
    use tendermint_proto::crypto::public_key::Sum;
    u.validator_updates
        .iter()
        .map(|v| match v.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
            Some(Sum::Ed25519(b)) => (b.as_slice().try_into().unwrap(), v.power),
            _ => panic!("not ed25519"),
        })
        .collect()
}

fn obs(seed: u8, reports: u64, outliers: u64) -> MeasurerObservation {
    MeasurerObservation {
        validator_cons: cons(seed),
        reports,
        outliers,
        excused: false,
    }
}

fn measurer(s: &State, seed: u8) -> u32 {
    s.validator_reputation(&cons(seed))
        .unwrap()
        .map_or(u32::MAX, |r| r.measurer_reputation_ppm)
}

#[test]
fn moving_average_is_exact_and_rounds_toward_the_score() {
    assert_eq!(move_toward(500_000, 1_000_000, 200_000), 600_000);
    assert_eq!(move_toward(600_000, 1_000_000, 200_000), 680_000);
    assert_eq!(move_toward(1_000_000, 0, 200_000), 800_000);
    // 0.2 · 1 = 0.2: rounded toward the score, so it gets there.
    assert_eq!(move_toward(999_999, 1_000_000, 200_000), 1_000_000);
    assert_eq!(move_toward(1, 0, 200_000), 0);
    // 0.2 · 333_333 = 66_666.6 → 66_667 down.
    assert_eq!(move_toward(333_333, 0, 200_000), 266_666);
    assert_eq!(move_toward(123, 123, 200_000), 123);
    assert_eq!(move_toward(0, 1_000_000, 1_000_000), 1_000_000);
    // Out-of-range inputs are clamped, never overflow.
    assert_eq!(move_toward(u32::MAX, u32::MAX, u32::MAX), 1_000_000);
    // Converges to a repeated score exactly, from any start.
    let mut r = 500_000;
    for _ in 0..200 {
        r = move_toward(r, 900_000, 200_000);
    }
    assert_eq!(r, 900_000);

    assert_eq!(measurer_score(10, 2), Some(800_000));
    assert_eq!(measurer_score(3, 1), Some(666_666));
    assert_eq!(measurer_score(5, 0), Some(1_000_000));
    assert_eq!(measurer_score(5, 9), Some(0));
    assert_eq!(measurer_score(0, 0), None);
    assert_eq!(measurer_score(u64::MAX, 1), Some(999_999));
}

#[test]
fn provider_scores_move_reputation_and_keep_a_bounded_history() {
    let mut s = chain(0);
    let p = addr(40);
    let q = addr(41);
    let score = |provider, score_ppm| ProviderScore {
        provider,
        score_ppm,
    };
    let ev =
        record_provider_scores(&mut s, &ctx(10), 1, &[score(q, 0), score(p, 1_000_000)]).unwrap();
    // Each legacy event is followed by its typed twin.
    assert_eq!(ev[1].kind, "pol.reputation.v1.EventProviderReputation");
    let ev: Vec<_> = ev.into_iter().filter(|e| !e.is_typed()).collect();
    // Sorted by address: p (40) first.
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].attributes[0].1, p.to_string());
    assert_eq!(s.provider_reputation_ppm(&p).unwrap(), 600_000);
    assert_eq!(s.provider_reputation_ppm(&q).unwrap(), 400_000);
    assert_eq!(s.provider_reputation_ppm(&addr(42)).unwrap(), 500_000);
    for (epoch, sc) in [(2, 1_000_000), (3, 0), (5, 750_000)] {
        record_provider_scores(&mut s, &ctx(10 * epoch), epoch, &[score(p, sc)]).unwrap();
    }
    // 600_000 → 680_000 → 544_000 → 544_000 + ceil(206_000·0.2) = 585_200.
    let r = s.provider_reputation(&p).unwrap().unwrap();
    assert_eq!(r.reputation_ppm, 585_200);
    assert_eq!((r.epochs, r.last_epoch, r.last_score_ppm), (4, 5, 750_000));
    let h = s.provider_history(&p).unwrap();
    let got: Vec<(u64, u32, u32)> = h
        .iter()
        .map(|x| (x.epoch, x.reputation_ppm, x.score_ppm))
        .collect();
    assert_eq!(
        got,
        vec![
            (5, 585_200, 750_000),
            (3, 544_000, 0),
            (2, 680_000, 1_000_000)
        ],
        "newest first, at most history_len"
    );

    // Refusals write nothing.
    let before = s.writes().clone();
    for (epoch, scores, needle) in [
        (5, vec![score(p, 1)], "already judged"),
        (6, vec![score(p, 1), score(p, 2)], "twice"),
        (6, vec![score(q, 1_000_001)], "above 1000000"),
        (
            6,
            vec![score(addr(43), 1), score(p, 1), score(q, 7)],
            "already",
        ),
    ] {
        let scores: Vec<ProviderScore> = scores;
        let e = if needle == "already" {
            // q was judged for epoch 1 only; p for 5: epoch 4 is stale for p.
            record_provider_scores(&mut s, &ctx(99), 4, &scores).unwrap_err()
        } else {
            record_provider_scores(&mut s, &ctx(99), epoch, &scores).unwrap_err()
        };
        assert_eq!(e.code, code::INVALID_REQUEST);
        assert!(e.log.contains(needle), "{}", e.log);
    }
    assert_eq!(s.writes(), &before);
}

#[test]
fn measurer_reputation_sets_pol_weight_and_voting_power() {
    let mut s = chain(4);
    // 1: clean; 2: half outliers; 3: bonded, silent; 4: 1 outlier in 4; 9: unknown to staking.
    let ev = record_measurers(
        &mut s,
        &ctx(100),
        1,
        &[obs(2, 10, 5), obs(1, 10, 0), obs(9, 5, 5), obs(4, 4, 1)],
    )
    .unwrap();
    assert_eq!(measurer(&s, 1), 1_000_000);
    assert_eq!(measurer(&s, 2), 900_000);
    assert_eq!(measurer(&s, 3), 800_000);
    assert_eq!(measurer(&s, 4), 950_000);
    assert!(s.validator_reputation(&cons(9)).unwrap().is_none());
    let weights: Vec<u32> = (1..=4)
        .map(|b| s.pol_weight_ppm(&addr(b)).unwrap())
        .collect();
    assert_eq!(weights, vec![1_000_000, 900_000, 800_000, 950_000]);
    let kinds: Vec<&str> = ev
        .iter()
        .filter(|e| !e.is_typed())
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(ev.len(), 2 * kinds.len(), "a typed twin for each");
    assert_eq!(
        kinds,
        vec![
            "measurer_reputation",
            "measurer_reputation",
            "pol_weight",
            "measurer_reputation",
            "pol_weight",
            "measurer_reputation",
            "pol_weight"
        ]
    );
    // Staking's next end block sends exactly the weighted powers (10 units each).
    let out = pol_staking::end_block(&mut s, &ctx(100)).unwrap();
    assert_eq!(
        powers(&out),
        vec![(pubkey(2), 9), (pubkey(3), 8), (pubkey(4), 9)]
    );
    let r = s.validator_reputation(&cons(2)).unwrap().unwrap();
    assert_eq!(r.operator_address, valoper_string(&addr(2)));
    assert_eq!(
        (r.weight_ppm, r.last_reports, r.last_outliers),
        (900_000, 10, 5)
    );

    // An epoch in which nobody reported: nobody moves.
    record_measurers(&mut s, &ctx(200), 2, &[obs(1, 0, 0)]).unwrap();
    assert_eq!(measurer(&s, 3), 800_000);
    // Silent epochs drive a bonded non-reporter to the weight floor, no lower.
    for e in 3..80 {
        record_measurers(&mut s, &ctx(100 * e), e, &[obs(1, 3, 0)]).unwrap();
    }
    assert_eq!(measurer(&s, 3), 0);
    assert_eq!(s.pol_weight_ppm(&addr(3)).unwrap(), 100_000);
    let out = pol_staking::end_block(&mut s, &ctx(4000)).unwrap();
    assert!(powers(&out).contains(&(pubkey(3), 1)));

    // Refusals write nothing.
    let before = s.writes().clone();
    for (epoch, o, needle) in [
        (79, vec![obs(1, 1, 0)], "after epoch 79"),
        (80, vec![obs(1, 1, 2)], "2 outliers in 1 reports"),
        (80, vec![obs(1, 1, 0), obs(1, 2, 0)], "twice"),
    ] {
        let e = record_measurers(&mut s, &ctx(5000), epoch, &o).unwrap_err();
        assert_eq!(e.code, code::INVALID_REQUEST);
        assert!(e.log.contains(needle), "{}", e.log);
    }
    assert_eq!(s.writes(), &before);
}

/// A validator with no counted report whose votes were ignored (blanked by a proposer) is
/// excused by latency and keeps its reputation; one that was silent is not.
#[test]
fn an_excused_validator_keeps_its_measurer_reputation() {
    let mut s = chain(3);
    let excused = MeasurerObservation {
        excused: true,
        ..obs(2, 0, 0)
    };
    record_measurers(
        &mut s,
        &ctx(100),
        1,
        &[obs(1, 10, 0), excused, obs(3, 0, 0)],
    )
    .unwrap();
    assert_eq!(measurer(&s, 1), 1_000_000);
    // Excused: never moved, so no record; its weight is the initial reputation's.
    assert_eq!(measurer(&s, 2), u32::MAX);
    assert_eq!(
        measurer(&s, 3),
        800_000,
        "silent: toward the no-report score"
    );
    assert_eq!(s.pol_weight_ppm(&addr(2)).unwrap(), 1_000_000);
}

#[test]
fn measurer_updates_are_deterministic_whatever_the_input_order() {
    let run = |order: &[MeasurerObservation]| {
        let mut s = chain(3);
        let ev = record_measurers(&mut s, &ctx(10), 7, order).unwrap();
        (ev, s.into_writes())
    };
    let a = [obs(1, 10, 1), obs(2, 7, 3), obs(3, 1, 0)];
    let b = [obs(3, 1, 0), obs(1, 10, 1), obs(2, 7, 3)];
    assert!(run(&a) == run(&b));
}

#[test]
fn genesis_export_then_init_reproduces_the_state() {
    let mut s = chain(2);
    record_measurers(&mut s, &ctx(10), 1, &[obs(1, 10, 3)]).unwrap();
    for e in 1..=5 {
        record_provider_scores(
            &mut s,
            &ctx(10 * e),
            e,
            &[ProviderScore {
                provider: addr(50),
                score_ppm: (e as u32) * 150_000,
            }],
        )
        .unwrap();
    }
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.history.len(), 3);
    assert_eq!(exported.validators.len(), 2);
    assert_eq!(exported.last_measurer_epoch, Some(1));
    let json = serde_json::to_string(&exported).unwrap();
    let back: GenesisState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, exported);
    let mut fresh = StateDelta::new(MemState::default());
    back.init(&mut fresh, &ctx(0)).unwrap();
    assert_eq!(GenesisState::export(&fresh).unwrap(), exported);
    // Every reputation key is identical.
    let keys = |st: &State| pol_component::state::scan(st, b"reputation/").unwrap();
    assert_eq!(keys(&fresh), keys(&s));

    let mut bad = back.clone();
    bad.providers[0].reputation_ppm = 1_000_001;
    assert!(bad.validate().unwrap_err().contains("above 1000000"));
    let mut bad = back.clone();
    bad.history[0].provider = addr(51).to_string();
    assert!(bad.validate().unwrap_err().contains("unknown provider"));
    let mut bad = back.clone();
    bad.validators[0].consensus_address = addr(1).to_string();
    assert!(bad.validate().unwrap_err().contains("prefix"));
    let mut bad = back.clone();
    bad.params.as_mut().unwrap().alpha_ppm = 0;
    assert!(bad.validate().is_err());
    let mut bad = back.clone();
    bad.params = None;
    assert!(bad.validate().unwrap_err().contains("params missing"));
}

#[test]
fn genesis_json_is_the_generated_type_and_left_out_params_take_their_defaults() {
    use pol_component::genesis::AppState;
    // An empty object, a missing module and a partial params object all mean the defaults
    // (serde's defaults are `Params::defaults`, not the generated all-zero `Default`).
    let empty: GenesisState = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, crate::genesis::default_genesis());
    assert_eq!(
        AppState::default().get::<GenesisState>().unwrap(),
        crate::genesis::default_genesis()
    );
    let partial: GenesisState =
        serde_json::from_str(r#"{"params": {"alpha_ppm": 300000}}"#).unwrap();
    assert_eq!(
        partial.params,
        Some(Params {
            alpha_ppm: 300_000,
            ..Params::defaults()
        })
    );
    partial.validate().unwrap();
    // Field names are genesis.proto's; an unknown one is refused.
    let json = serde_json::to_value(crate::genesis::default_genesis()).unwrap();
    let keys: std::collections::BTreeSet<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "params",
            "providers",
            "history",
            "validators",
            "last_measurer_epoch"
        ]
        .into()
    );
    assert!(serde_json::from_str::<GenesisState>(r#"{"param": {}}"#).is_err());
    assert!(serde_json::from_str::<GenesisState>(r#"{"params": {"alpha": 1}}"#).is_err());
}
