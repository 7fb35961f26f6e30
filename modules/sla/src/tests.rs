//! Unit tests over an in-memory state with inference providers written directly.

use pol_bank::{BankRead, BankWrite};
use pol_component::coins::Coin;
use pol_component::error::code;
use pol_component::ModuleGenesis as _;
use pol_component::{Address, BlockContext};
use pol_inference::pb::{self as ipb, ProviderStatus};
use pol_inference::{InferenceRead, InferenceWrite};
use pol_reputation::ReputationRead;
use pol_store::{MemState, StateDelta};

use crate::*;

type State = StateDelta<MemState>;

const BOND: u128 = 100_000_000;
const SLA_P99: u64 = 20_000;
const SLA_FAIL: u32 = 10_000;

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

/// Providers 1..=n, active, bonded BOND each, SLA 20 ms / 1%.
fn market(n: u8) -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_inference_params(&pol_inference::Params {
        min_provider_bond: 10_000_000,
        ..Default::default()
    });
    s.put_sla_params(&Params::defaults());
    for b in 1..=n {
        s.mint(&pol_inference::bond_pool(), &[Coin::new("upol", BOND)])
            .unwrap();
        s.put_provider(
            &ipb::Provider {
                address: addr(b).to_string(),
                endpoint: "http://127.0.0.1:7000".into(),
                models: vec!["m".into()],
                sla: Some(ipb::Sla {
                    max_p99_latency_us: SLA_P99,
                    max_failure_rate_ppm: SLA_FAIL,
                }),
                price_per_inference: "1".into(),
                receipt_pubkey: vec![1; 32],
                bond: BOND.to_string(),
                status: ProviderStatus::Active as i32,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    }
    s
}

fn obs(b: u8, p99_us: u64, failure_rate_ppm: u32) -> EpochObservation {
    EpochObservation {
        provider: addr(b),
        blocks: 50,
        p99_us,
        max_p99_us: p99_us * 2,
        failure_rate_ppm,
        served: None,
    }
}

fn provider(s: &State, b: u8) -> ipb::Provider {
    s.provider(&addr(b)).unwrap().unwrap()
}

fn bond(s: &State, b: u8) -> u128 {
    provider(s, b).bond.parse().unwrap()
}

fn supply(s: &State) -> u128 {
    s.supply_of("upol").unwrap()
}

fn record(s: &State, b: u8) -> pb::ProviderRecord {
    s.sla_record(&addr(b)).unwrap().unwrap()
}

#[test]
fn slash_formula_is_exact() {
    let p = Params::defaults();
    // Within the SLA: no excess.
    assert_eq!(excess_ppm(20_000, 20_000, 10_000, 10_000), 0);
    // 50% over on p99.
    assert_eq!(excess_ppm(30_000, 20_000, 0, 10_000), 500_000);
    // Failures 3× the bound: 200% over wins over a 10% p99 overshoot.
    assert_eq!(excess_ppm(22_000, 20_000, 30_000, 10_000), 2_000_000);
    // A zero failure bound: any failure counts per ppm of 1.
    assert_eq!(excess_ppm(0, 1, 3, 0), 3_000_000);
    assert_eq!(excess_ppm(u64::MAX, 1, 0, 0), u64::MAX);
    // 1% + 5% · excess, at most 10%.
    assert_eq!(slash_ppm(&p, 0), 10_000);
    assert_eq!(slash_ppm(&p, 500_000), 35_000);
    assert_eq!(slash_ppm(&p, 1_800_000), 100_000);
    assert_eq!(slash_ppm(&p, 2_000_000), 100_000);
    assert_eq!(slash_ppm(&p, u64::MAX), 100_000);
    // Scores.
    assert_eq!(epoch_score(&p, false, 0), 1_000_000);
    assert_eq!(epoch_score(&p, true, 35_000), 650_000);
    assert_eq!(epoch_score(&p, true, 10_000), 900_000);
    assert_eq!(epoch_score(&p, true, 100_000), 0);
}

#[test]
fn a_miss_burns_the_scaled_fraction_and_records_a_violation() {
    let mut s = market(2);
    let total = supply(&s);
    // Provider 1: p99 30 ms against 20 ms → 3.5%; provider 2 meets its SLA.
    let ev = judge_epoch(
        &mut s,
        &ctx(100),
        1,
        &[obs(2, 19_000, 9_000), obs(1, 30_000, 0)],
    )
    .unwrap();
    assert_eq!(bond(&s, 1), BOND - 3_500_000);
    assert_eq!(bond(&s, 2), BOND);
    assert_eq!(supply(&s), total - 3_500_000, "burned");
    assert_eq!(
        s.balance(&pol_inference::bond_pool(), "upol").unwrap(),
        2 * BOND - 3_500_000
    );
    let v = s.sla_violations(&addr(1)).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(
        v[0],
        pb::SlaViolation {
            provider: addr(1).to_string(),
            epoch: 1,
            height: 100,
            observed_p99_us: 30_000,
            sla_p99_us: SLA_P99,
            observed_failure_rate_ppm: 0,
            sla_failure_rate_ppm: SLA_FAIL,
            slashed: "3500000".into(),
            consecutive_misses: 1,
            jailed: false,
            observed_max_p99_us: 60_000,
            blocks: 50,
            excess_ppm: 500_000,
            slash_ppm: 35_000,
            required_bond: "10000000".into(),
            served_p99_us: 0,
        }
    );
    assert!(s.sla_violations(&addr(2)).unwrap().is_empty());
    assert_eq!(record(&s, 1).total_slashed, "3500000");
    assert_eq!(record(&s, 2).epochs_judged, 1);
    // Reputation: 100_000 (a newcomer's) toward 650_000 and toward 1_000_000, α = 0.2.
    assert_eq!(s.provider_reputation_ppm(&addr(1)).unwrap(), 210_000);
    assert_eq!(s.provider_reputation_ppm(&addr(2)).unwrap(), 280_000);
    let kinds: Vec<&str> = ev
        .iter()
        .filter(|e| !e.is_typed())
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(ev.len(), 2 * kinds.len(), "a typed twin for each");
    assert_eq!(ev[3].kind, "pol.sla.v1.EventSlaViolation");
    assert_eq!(
        kinds,
        vec![
            "provider_slashed",
            "sla_violation",
            "sla_met",
            "provider_reputation",
            "provider_reputation"
        ]
    );

    // A failure rate 3× the bound: the maximum 10%.
    judge_epoch(&mut s, &ctx(200), 2, &[obs(1, 0, 30_000)]).unwrap();
    let after_first = BOND - 3_500_000;
    assert_eq!(bond(&s, 1), after_first - after_first / 10);
    // Score 0: 210_000 − ⌈0.2 · 210_000⌉.
    assert_eq!(s.provider_reputation_ppm(&addr(1)).unwrap(), 168_000);
    let v = s.sla_violations(&addr(1)).unwrap();
    assert_eq!(
        v.iter().map(|v| v.epoch).collect::<Vec<_>>(),
        vec![2, 1],
        "newest first"
    );
    assert_eq!(v[0].consecutive_misses, 2);
}

#[test]
fn repeated_misses_jail_and_raise_the_bond_a_met_sla_resets_the_run() {
    let mut s = market(1);
    let miss = |s: &mut State, epoch: u64| {
        judge_epoch(s, &ctx(100 * epoch), epoch, &[obs(1, 20_001, 0)]).unwrap()
    };
    let met = |s: &mut State, epoch: u64| {
        judge_epoch(s, &ctx(100 * epoch), epoch, &[obs(1, 20_000, 10_000)]).unwrap()
    };
    // Two misses, then a met epoch: the run resets.
    miss(&mut s, 1);
    miss(&mut s, 2);
    assert_eq!(record(&s, 1).consecutive_misses, 2);
    met(&mut s, 3);
    assert_eq!(record(&s, 1).consecutive_misses, 0);
    miss(&mut s, 4);
    miss(&mut s, 5);
    assert_eq!(provider(&s, 1).status, ProviderStatus::Active as i32);
    // Third in a row: jailed until 600 + 1000, bond requirement 10M → 12.5M.
    let ev = miss(&mut s, 6);
    let p = provider(&s, 1);
    assert_eq!(p.status, ProviderStatus::Jailed as i32);
    assert_eq!(p.jailed_until_height, 1_600);
    assert_eq!(p.min_bond, "12500000");
    assert!(ev.iter().any(|e| e.kind == "provider_jailed"));
    let r = record(&s, 1);
    assert_eq!(
        (r.consecutive_misses, r.total_misses, r.jailings),
        (0, 5, 1)
    );
    let v = &s.sla_violations(&addr(1)).unwrap()[0];
    assert_eq!((v.consecutive_misses, v.jailed), (3, true));
    assert_eq!(v.required_bond, "12500000");
    // Every miss here was 1 µs over: excess 50 ppm, slash 1% + floor(50 · 5%) = 10_002 ppm,
    // of the bond left each time, rounded up.
    assert_eq!((v.excess_ppm, v.slash_ppm), (50, 10_002));
    let mut expected = BOND;
    for _ in 0..5 {
        expected -= (expected * 10_002).div_ceil(1_000_000);
    }
    assert_eq!(bond(&s, 1), expected);
    // The next run of three jails again and compounds: 12.5M → 15.625M.
    for e in 7..=9 {
        miss(&mut s, e);
    }
    assert_eq!(provider(&s, 1).min_bond, "15625000");
    assert_eq!(record(&s, 1).jailings, 2);
}

#[test]
fn skips_refusals_and_unbonding_providers() {
    let mut s = market(2);
    let mut few = obs(1, 99_000, 0);
    few.blocks = 9;
    let ev = judge_epoch(&mut s, &ctx(10), 1, &[few, obs(7, 99_000, 0)]).unwrap();
    assert_eq!(bond(&s, 1), BOND);
    assert!(s.sla_record(&addr(1)).unwrap().is_none());
    assert_eq!(ev.len(), 4);
    assert!(ev
        .iter()
        .all(|e| e.kind == "sla_skipped" || e.kind == "pol.sla.v1.EventSlaSkipped"));
    assert_eq!(s.sla_last_epoch().unwrap(), Some(1));

    let before = s.writes().clone();
    for (epoch, o, needle) in [
        (1, vec![obs(1, 1, 0)], "not after the last judged epoch 1"),
        (2, vec![obs(1, 1, 0), obs(1, 2, 0)], "observed twice"),
        (2, vec![obs(2, 1, 1_000_001)], "above 1000000"),
    ] {
        let e = judge_epoch(&mut s, &ctx(20), epoch, &o).unwrap_err();
        assert_eq!(e.code, code::INVALID_REQUEST);
        assert!(e.log.contains(needle), "{}", e.log);
    }
    assert_eq!(s.writes(), &before, "refusals write nothing");

    // An unbonding provider is still slashed, never jailed.
    let mut p = provider(&s, 2);
    let old = p.clone();
    p.status = ProviderStatus::Unbonding as i32;
    p.unbonding_completion_height = 10_000;
    s.put_provider(&p, Some(&old)).unwrap();
    for e in 2..=4 {
        judge_epoch(&mut s, &ctx(10 * e), e, &[obs(2, 40_000, 0)]).unwrap();
    }
    let p = provider(&s, 2);
    assert_eq!(p.status, ProviderStatus::Unbonding as i32);
    assert!(bond(&s, 2) < BOND);
    assert_eq!(record(&s, 2).jailings, 0);
}

#[test]
fn judgement_is_deterministic_whatever_the_input_order() {
    let run = |o: &[EpochObservation]| {
        let mut s = market(3);
        let ev = judge_epoch(&mut s, &ctx(10), 4, o).unwrap();
        (ev, s.into_writes())
    };
    let a = [obs(1, 25_000, 0), obs(2, 1, 50_000), obs(3, 10, 10)];
    let b = [obs(3, 10, 10), obs(1, 25_000, 0), obs(2, 1, 50_000)];
    assert!(run(&a) == run(&b));
}

#[test]
fn violations_are_bounded_per_provider() {
    let mut s = market(1);
    s.put_sla_params(&Params {
        max_violations_per_provider: 2,
        jail_after_misses: 100,
        ..Params::defaults()
    });
    for e in 1..=5 {
        judge_epoch(&mut s, &ctx(e), e, &[obs(1, 21_000, 0)]).unwrap();
    }
    let epochs: Vec<u64> = s
        .sla_violations(&addr(1))
        .unwrap()
        .iter()
        .map(|v| v.epoch)
        .collect();
    assert_eq!(epochs, vec![5, 4]);
    assert_eq!(record(&s, 1).total_misses, 5);
}

#[test]
fn genesis_export_then_init_reproduces_the_state() {
    let mut s = market(2);
    for e in 1..=4 {
        judge_epoch(&mut s, &ctx(10 * e), e, &[obs(1, 25_000, 0), obs(2, 1, 0)]).unwrap();
    }
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.records.len(), 2);
    assert_eq!(exported.violations.len(), 4);
    assert_eq!(exported.last_epoch, Some(4));
    let json = serde_json::to_string(&exported).unwrap();
    let back: GenesisState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, exported);
    let mut fresh = StateDelta::new(MemState::default());
    back.init(&mut fresh, &ctx(0)).unwrap();
    assert_eq!(GenesisState::export(&fresh).unwrap(), exported);
    let keys = |st: &State| pol_component::state::scan(st, b"sla/").unwrap();
    assert_eq!(keys(&fresh), keys(&s));
    // An imported chain refuses to judge an epoch twice.
    let e = judge_epoch(&mut fresh, &ctx(50), 4, &[]).unwrap_err();
    assert!(e.log.contains("not after"), "{}", e.log);

    let mut bad = back.clone();
    bad.last_epoch = Some(3);
    assert!(bad
        .validate()
        .unwrap_err()
        .contains("after the last judged"));
    let mut bad = back.clone();
    bad.records.remove(0);
    assert!(bad.validate().unwrap_err().contains("without a record"));
    let mut bad = back.clone();
    bad.params_mut().base_slash_ppm = 200_000;
    assert!(bad.validate().is_err());
}

/// Attack: loosen the SLA in the last block of an epoch the provider is about to miss. The
/// SLA declared by `MsgUpdateProvider` waits for the epoch boundary, so the epoch is judged
/// against the SLA that held through it, and the new one applies to the next epoch.
#[test]
fn an_sla_loosened_in_an_epochs_last_block_applies_from_the_next_epoch() {
    use pol_component::module::{ExecEnv, Module as _};
    let mut s = market(1);
    let loose = ipb::Sla {
        max_p99_latency_us: 1_000_000,
        max_failure_rate_ppm: 500_000,
    };
    // Last block of epoch 1: the provider (p99 30 ms against 20 ms) loosens its SLA.
    pol_inference::msg::execute_update_provider(
        &mut s,
        &ctx(100),
        &ipb::MsgUpdateProvider {
            provider: addr(1).to_string(),
            sla: Some(loose),
            ..Default::default()
        },
    )
    .unwrap();
    let p = provider(&s, 1);
    assert_eq!(p.sla.unwrap().max_p99_latency_us, SLA_P99);
    assert_eq!(p.next_sla, Some(loose));

    let end_epoch = |s: &mut State, height: u64, epoch: u64| {
        let mut env = ExecEnv::default();
        env.insert(EpochObservations {
            epoch,
            providers: vec![obs(1, 30_000, 0)],
        });
        SlaModule
            .end_block(s, &ctx(height), &[0; 32], &mut env)
            .unwrap()
            .events
    };
    // Epoch 1 is judged against the SLA it ran under: missed, slashed 3.5%.
    let events = end_epoch(&mut s, 100, 1);
    assert_eq!(bond(&s, 1), BOND - 3_500_000);
    assert_eq!(s.sla_violations(&addr(1)).unwrap().len(), 1);
    // Then the declared SLA is in force.
    assert!(events
        .iter()
        .any(|e| e.kind == "pol.inference.v1.EventSlaInForce"));
    let p = provider(&s, 1);
    assert_eq!((p.sla, p.next_sla), (Some(loose), None));
    // Epoch 2, same latency, judged against the new SLA: met.
    end_epoch(&mut s, 200, 2);
    assert_eq!(bond(&s, 1), BOND - 3_500_000);
    assert_eq!(s.sla_violations(&addr(1)).unwrap().len(), 1);
}

/// A provider that serves validators' probes fast and paying requesters slowly: the probes'
/// p99 keeps its SLA, what requesters saw (allowance already taken off by `latency`) does
/// not. The worse of the two is judged, so it misses; judged by probes alone it would not.
#[test]
fn what_paying_requesters_saw_is_judged_beside_the_probes() {
    let mut s = market(2);
    let fooled = obs(1, 10_000, 0);
    let seen = EpochObservation {
        served: Some((220_000, 0)),
        ..fooled
    };
    let honest = EpochObservation {
        served: Some((5_000, 0)),
        ..obs(2, 12_000, 0)
    };
    judge_epoch(&mut s, &ctx(100), 1, &[seen, honest]).unwrap();
    let v = s.sla_violations(&addr(1)).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].observed_p99_us, v[0].served_p99_us),
        (220_000, 220_000)
    );
    // Requesters alone showed the miss: the base fraction burns, not the scaled one (an
    // 11x overshoot would burn the maximum).
    let base = sla_params(&s).base_slash_ppm;
    assert_eq!(v[0].slash_ppm, base);
    assert_eq!(bond(&s, 1), BOND - BOND * u128::from(base) / 1_000_000);
    assert!(s.sla_violations(&addr(2)).unwrap().is_empty());
    assert_eq!(bond(&s, 2), BOND);

    // Without the requesters' figures, the probes alone pass it.
    let mut s = market(2);
    judge_epoch(&mut s, &ctx(100), 1, &[fooled]).unwrap();
    assert!(s.sla_violations(&addr(1)).unwrap().is_empty());
    assert_eq!(bond(&s, 1), BOND);
}

fn sla_params(s: &State) -> crate::params::Params {
    crate::view::SlaRead::sla_params(s).unwrap()
}

/// When the probes miss too, requesters' figures do not soften the slash.
#[test]
fn a_miss_the_probes_show_too_is_slashed_in_full() {
    let mut s = market(1);
    let both = EpochObservation {
        served: Some((220_000, 0)),
        ..obs(1, 200_000, 0)
    };
    judge_epoch(&mut s, &ctx(100), 1, &[both]).unwrap();
    let v = s.sla_violations(&addr(1)).unwrap();
    assert!(v[0].slash_ppm > sla_params(&s).base_slash_ppm, "{v:?}");
}
