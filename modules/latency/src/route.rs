//! `Query/Route(model)`: the active providers of a model, ranked by consensus latency,
//! price and reputation, with the reasons for each rank (Proof-of-Latency step 7).
//!
//! Every node answers this query from its committed state, so the ranking is integer
//! arithmetic only and its ties are broken by fixed keys: two nodes at one height agree
//! byte for byte.
//!
//! # Candidates
//!
//! The providers in `inference`'s by-model index of `model_id` whose status is ACTIVE. A
//! candidate is *measured* when `latency` holds a consensus aggregate of it (the
//! stake-weighted medians of the validators' probe reports, see [`crate::aggregate`]).
//!
//! # Score (all values ppm, 10⁶ = 1)
//!
//! - latency `L = ⌊fastest_p99 · (10⁶ − failure_rate_ppm) / p99⌋`, where `fastest_p99` is
//!   the smallest aggregate p99 among the measured candidates (p99 taken as at least 1 µs):
//!   10⁶ for the fastest provider that never fails, halved by twice the p99 or by a 50 %
//!   failure rate. `L = 0` for an unmeasured candidate.
//! - price `P = ⌊cheapest · 10⁶ / price⌋` over the providers' `price_per_inference`, with
//!   `cheapest` the lowest price among all candidates; a free provider scores 10⁶ (and
//!   every paid one 0 next to a free one).
//! - reputation `R = reputation_ppm` (`reputation`'s moving average, its `initial_ppm`
//!   for a provider never judged; at most 10⁶).
//! - `score = ⌊(w_L·L + w_P·P + w_R·R) / (w_L + w_P + w_R)⌋` with the request's weights, by
//!   default `w_L = 500 000`, `w_P = 200 000`, `w_R = 300 000` ([`DEFAULT_WEIGHTS`]).
//!
//! # Order
//!
//! Measured candidates that keep their own SLA first, then measured ones whose aggregate
//! breaks it (p99 or failure rate above what the provider declared: it promised what it
//! does not deliver, whatever its score), then unmeasured ones (their latency is unknown,
//! not good); within each group by score, descending; ties by p99 ascending, then price ascending,
//! then address bytes ascending. `limit` (0 = all) keeps the first entries.

use std::cmp::Reverse;

use pol_component::coins::parse_amount;
use pol_component::state::scan;
use pol_component::Address;
use pol_inference::pb::{Provider, ProviderStatus};
use pol_inference::{state_key as inference_key, InferenceRead};
use pol_reputation::ReputationRead;
use pol_store::{StateRead, StoreError};

use crate::pb::{self, QueryRouteResponse, RouteEntry, RouteWeights};
use crate::view::LatencyRead;

const PPM: u128 = 1_000_000;

/// The weights of a request that gives none.
pub const DEFAULT_WEIGHTS: RouteWeights = RouteWeights {
    latency_ppm: 500_000,
    price_ppm: 200_000,
    reputation_ppm: 300_000,
};

/// Why a route query is refused.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    NotFound(String),
    #[error("state error: {0}")]
    Store(#[from] StoreError),
}

/// The weights to score with: the request's, or [`DEFAULT_WEIGHTS`]; each at most 10⁶, not
/// all zero.
pub fn weights(requested: Option<&RouteWeights>) -> Result<RouteWeights, RouteError> {
    let Some(w) = requested else {
        return Ok(DEFAULT_WEIGHTS);
    };
    for (name, v) in [
        ("latency", w.latency_ppm),
        ("price", w.price_ppm),
        ("reputation", w.reputation_ppm),
    ] {
        if u128::from(v) > PPM {
            return Err(RouteError::InvalidArgument(format!(
                "weight {name}_ppm is at most 1000000 (got {v})"
            )));
        }
    }
    if w.latency_ppm == 0 && w.price_ppm == 0 && w.reputation_ppm == 0 {
        return Err(RouteError::InvalidArgument(
            "route weights are all zero".into(),
        ));
    }
    Ok(*w)
}

/// One candidate before ranking.
struct Candidate {
    address: Address,
    provider: Provider,
    price: u128,
    reputation_ppm: u32,
    aggregate: Option<pb::ProviderAggregate>,
    /// The requester-side p99 folded into `aggregate` (0: none).
    served_p99_us: u32,
}

impl Candidate {
    fn p99(&self) -> u32 {
        self.aggregate.as_ref().map_or(0, |a| a.p99_us.max(1))
    }

    /// The aggregate keeps the provider's declared SLA (true when unmeasured).
    fn within_sla(&self) -> bool {
        let (Some(a), Some(sla)) = (&self.aggregate, &self.provider.sla) else {
            return true;
        };
        u64::from(a.p99_us) <= sla.max_p99_latency_us
            && a.failure_rate_ppm <= sla.max_failure_rate_ppm
    }
}

/// Ranks the active providers of `model_id` (see the module docs).
pub fn route<S: StateRead + ?Sized>(
    state: &S,
    model_id: &str,
    requested: Option<&RouteWeights>,
    limit: u32,
) -> Result<QueryRouteResponse, RouteError> {
    pol_inference::msg::validate_model_id(model_id)
        .map_err(|e| RouteError::InvalidArgument(e.log))?;
    let w = weights(requested)?;
    let Some(model) = state.model(model_id)? else {
        return Err(RouteError::NotFound(format!(
            "model {model_id} is not registered"
        )));
    };
    // How the key every candidate's proofs verify against was made: one per model.
    let setup = state
        .architecture(&model.architecture_id)?
        .and_then(|a| a.setup);
    let setup_kind = pol_inference::setup::kind_of(setup.as_ref()) as i32;
    let setup_attested = pol_inference::setup::is_attested(setup.as_ref());
    let denom = state.inference_params()?.bond_denom;
    let params = state.latency_params()?;

    let mut candidates = Vec::new();
    for (_, v) in scan(state, &inference_key::providers_by_model(model_id))? {
        let address = Address::from_slice(&v)
            .ok_or_else(|| StoreError::Corrupt("inference: provider index value".into()))?;
        let Some(provider) = state.provider(&address)? else {
            return Err(StoreError::Corrupt(format!(
                "inference: index names missing provider {address}"
            ))
            .into());
        };
        if provider.status != ProviderStatus::Active as i32 {
            continue;
        }
        let price = if provider.price_per_inference.is_empty() {
            0
        } else {
            parse_amount(&provider.price_per_inference).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "inference: price {:?} of {address}",
                    provider.price_per_inference
                ))
            })?
        };
        let reputation_ppm = state.provider_reputation_ppm(&address)?.min(PPM as u32);
        let mut aggregate = state.aggregate(&address.0)?;
        let served_p99_us = match aggregate.as_mut() {
            Some(a) => fold_served(state, &params, &address, a)?,
            None => 0,
        };
        candidates.push(Candidate {
            address,
            provider,
            price,
            reputation_ppm,
            aggregate,
            served_p99_us,
        });
    }

    let fastest = candidates
        .iter()
        .filter(|c| c.aggregate.is_some())
        .map(Candidate::p99)
        .min();
    let cheapest = candidates.iter().map(|c| c.price).min().unwrap_or(0);
    let w_sum = u128::from(w.latency_ppm) + u128::from(w.price_ppm) + u128::from(w.reputation_ppm);

    let mut scored: Vec<(Candidate, u32, u32, u32)> = candidates
        .into_iter()
        .map(|c| {
            let l = latency_score(&c, fastest);
            let p = price_score(c.price, cheapest);
            let weighted = u128::from(w.latency_ppm) * u128::from(l)
                + u128::from(w.price_ppm) * u128::from(p)
                + u128::from(w.reputation_ppm) * u128::from(c.reputation_ppm);
            let score = (weighted / w_sum) as u32;
            (c, l, p, score)
        })
        .collect();
    scored.sort_by_key(|(c, _, _, score)| {
        (
            c.aggregate.is_none(),
            !c.within_sla(),
            Reverse(*score),
            c.p99(),
            c.price,
            c.address.0,
        )
    });
    if limit > 0 {
        scored.truncate(limit as usize);
    }

    let entries = scored
        .into_iter()
        .enumerate()
        .map(|(i, (c, l, p, score))| {
            let reasons = reasons(&c, fastest, cheapest, &denom, score);
            let a = c.aggregate.clone().unwrap_or_default();
            RouteEntry {
                rank: i as u32 + 1,
                provider: c.address.to_string(),
                endpoint: c.provider.endpoint.clone(),
                p99_us: a.p99_us,
                p50_us: a.p50_us,
                failure_rate_ppm: a.failure_rate_ppm,
                price_per_inference: c.price.to_string(),
                reputation_ppm: c.reputation_ppm,
                score_ppm: score,
                has_measurement: c.aggregate.is_some(),
                reasons,
                measured_height: a.height,
                latency_score_ppm: l,
                price_score_ppm: p,
                receipt_pubkey: c.provider.receipt_pubkey.clone(),
                within_sla: c.within_sla(),
                served_p99_us: c.served_p99_us,
                setup_kind,
                setup_attested,
            }
        })
        .collect();
    Ok(QueryRouteResponse {
        entries,
        weights: Some(w),
        denom,
    })
}

/// Folds into a provider's aggregate what paying requesters saw in the epoch before the
/// aggregate's (or in its own), when that counted and is worse: the same figures `sla`
/// judged it by (`served`). Returns the requester-side p99 taken, 0 when none.
fn fold_served<S: StateRead + ?Sized>(
    state: &S,
    params: &pb::Params,
    provider: &Address,
    a: &mut pb::ProviderAggregate,
) -> Result<u32, RouteError> {
    let epoch = params.epoch_of(a.height);
    let judged =
        crate::served::judged_p99(state, params, &provider.0, epoch.saturating_sub(1)..=epoch)?;
    let Some((p99, failures)) =
        judged.filter(|(p99, f)| *p99 > a.p99_us || *f > a.failure_rate_ppm)
    else {
        return Ok(0);
    };
    a.p99_us = a.p99_us.max(p99);
    a.failure_rate_ppm = a.failure_rate_ppm.max(failures);
    Ok(p99)
}

/// `⌊fastest · (10⁶ − failure_rate) / p99⌋`; 0 when unmeasured.
fn latency_score(c: &Candidate, fastest: Option<u32>) -> u32 {
    let (Some(a), Some(fastest)) = (&c.aggregate, fastest) else {
        return 0;
    };
    let ok = PPM - u128::from(a.failure_rate_ppm).min(PPM);
    (u128::from(fastest) * ok / u128::from(c.p99())).min(PPM) as u32
}

/// `⌊cheapest · 10⁶ / price⌋`; 10⁶ when free.
fn price_score(price: u128, cheapest: u128) -> u32 {
    if price == 0 {
        return PPM as u32;
    }
    // cheapest ≤ price, and both fit 39 digits: the product cannot overflow u128 only if
    // cheapest < 2¹²⁸/10⁶; clamp larger ones (no real price is that large).
    match cheapest.checked_mul(PPM) {
        Some(n) => (n / price).min(PPM) as u32,
        None => (cheapest / (price / PPM).max(1)).min(PPM) as u32,
    }
}

/// `num/den` to two decimals, rounded half up: `1.50`.
fn ratio(num: u128, den: u128) -> String {
    if den == 0 {
        return "∞".into();
    }
    let hundredths = num.saturating_mul(100).saturating_add(den / 2) / den;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Microseconds as milliseconds to one decimal, rounded half up: `12.4 ms`.
fn ms(us: u32) -> String {
    let tenths = (u64::from(us) + 50) / 100;
    format!("{}.{} ms", tenths / 10, tenths % 10)
}

/// ppm as a percentage to one decimal, rounded half up: `0.5%`.
fn percent(ppm: u32) -> String {
    let tenths = (u64::from(ppm) + 500) / 1000;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// ppm as a fraction of one to three decimals, rounded half up: `0.873`.
fn fraction(ppm: u32) -> String {
    let thousandths = (u64::from(ppm) + 500) / 1000;
    format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
}

fn reasons(c: &Candidate, fastest: Option<u32>, cheapest: u128, denom: &str, score: u32) -> String {
    let mut parts = Vec::new();
    match (&c.aggregate, fastest) {
        (Some(a), Some(fastest)) => {
            let of = format!(
                "consensus of {} validator{} at height {}",
                a.reporters,
                if a.reporters == 1 { "" } else { "s" },
                a.height
            );
            if u128::from(a.failure_rate_ppm) >= PPM {
                // The p99 is the stand-in for "never answered", not a measured time.
                parts.push(format!("no probe answered (100.0% failures, {of})"));
            } else {
                parts.push(format!(
                    "p99 {} ({}x the fastest)",
                    ms(a.p99_us),
                    ratio(u128::from(c.p99()), u128::from(fastest))
                ));
                parts.push(format!("p50 {}", ms(a.p50_us)));
                parts.push(format!("{} failures ({of})", percent(a.failure_rate_ppm)));
            }
        }
        _ => parts.push(
            "no consensus latency measurement yet (ranked after every measured provider)".into(),
        ),
    }
    if c.served_p99_us > 0 {
        parts.push(format!(
            "paying requesters saw p99 {} beyond their distance allowance, worse than the probes",
            ms(c.served_p99_us)
        ));
    }
    let price = if c.price == 0 {
        format!("price 0{denom} (free)")
    } else if cheapest == 0 {
        format!("price {}{denom} (the cheapest is free)", c.price)
    } else {
        format!(
            "price {}{denom} ({}x the cheapest)",
            c.price,
            ratio(c.price, cheapest)
        )
    };
    parts.push(price);
    parts.push(format!("reputation {}", fraction(c.reputation_ppm)));
    if !c.within_sla() {
        let sla = c.provider.sla.unwrap_or_default();
        parts.push(format!(
            "outside its own SLA (p99 ≤ {}, failures ≤ {}; ranked after every provider keeping its SLA)",
            ms(u32::try_from(sla.max_p99_latency_us).unwrap_or(u32::MAX)),
            percent(sla.max_failure_rate_ppm)
        ));
    }
    format!("{}; score {}", parts.join(", "), fraction(score))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pol_inference::pb::Model;
    use pol_inference::InferenceWrite;
    use pol_reputation::ReputationWrite;
    use pol_store::{MemState, StateDelta};

    use crate::view::LatencyWrite;

    const MODEL: &str = "digits-64-32-10";
    type State = StateDelta<MemState>;

    fn addr(b: u8) -> Address {
        Address([b; 20])
    }

    fn state() -> State {
        let mut s = StateDelta::new(MemState::default());
        // The figures below were worked out with a never-judged provider at 0.5.
        s.put_reputation_params(&pol_reputation::Params {
            initial_ppm: 500_000,
            ..pol_reputation::Params::defaults()
        });
        s.put_model(&Model {
            id: MODEL.into(),
            ..Default::default()
        });
        s.put_model(&Model {
            id: "other".into(),
            ..Default::default()
        });
        s
    }

    fn provider(s: &mut State, b: u8, price: u64, status: ProviderStatus, models: &[&str]) {
        s.put_provider(
            &Provider {
                address: addr(b).to_string(),
                endpoint: format!("http://10.0.0.{b}:7000"),
                models: models.iter().map(|m| m.to_string()).collect(),
                price_per_inference: price.to_string(),
                receipt_pubkey: vec![b; 32],
                bond: "50000000".into(),
                status: status as i32,
                registered_height: 1,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    }

    fn active(s: &mut State, b: u8, price: u64) {
        provider(s, b, price, ProviderStatus::Active, &[MODEL]);
    }

    fn measured(s: &mut State, b: u8, p99: u32, p50: u32, fail_ppm: u32) {
        s.put_aggregate(
            &[b; 20],
            &pb::ProviderAggregate {
                provider: addr(b).to_string(),
                height: 40,
                p99_us: p99,
                p50_us: p50,
                failure_rate_ppm: fail_ppm,
                reporters: 4,
                reporting_power: 100,
                total_power: 100,
                reports: vec![],
            },
            10,
        )
        .unwrap();
    }

    fn reputation(s: &mut State, b: u8, ppm: u32) {
        s.put_provider_reputation(
            &addr(b),
            &pol_reputation::pb::ProviderReputation {
                provider: addr(b).to_string(),
                reputation_ppm: ppm,
                epochs: 1,
                ..Default::default()
            },
        );
    }

    fn ranked(r: &QueryRouteResponse) -> Vec<(u32, u8, u32)> {
        r.entries
            .iter()
            .map(|e| {
                (
                    e.rank,
                    Address::parse(&e.provider).unwrap().0[0],
                    e.score_ppm,
                )
            })
            .collect()
    }

    /// Four measured providers, one unmeasured, one jailed, one of another model.
    fn market() -> State {
        let mut s = state();
        // 1: fastest, dearest. 2: twice as slow, cheapest, best reputation. 3: as fast as
        // 1 but fails 10 %. 4: slow. 5: cheap and reputable but never measured.
        active(&mut s, 1, 300);
        measured(&mut s, 1, 10_000, 4_000, 0);
        reputation(&mut s, 1, 800_000);
        active(&mut s, 2, 100);
        measured(&mut s, 2, 20_000, 8_000, 0);
        reputation(&mut s, 2, 900_000);
        active(&mut s, 3, 200);
        measured(&mut s, 3, 10_000, 3_000, 100_000);
        active(&mut s, 4, 100);
        measured(&mut s, 4, 80_000, 50_000, 0);
        reputation(&mut s, 4, 900_000);
        active(&mut s, 5, 100);
        reputation(&mut s, 5, 1_000_000);
        provider(&mut s, 6, 1, ProviderStatus::Jailed, &[MODEL]);
        measured(&mut s, 6, 1_000, 500, 0);
        provider(&mut s, 7, 1, ProviderStatus::Active, &["other"]);
        measured(&mut s, 7, 1_000, 500, 0);
        s
    }

    /// A provider whose consensus figures break its own declared SLA ranks after every
    /// measured provider that keeps its SLA, however good its score.
    #[test]
    fn providers_outside_their_own_sla_rank_after_those_within() {
        let mut s = state();
        let with_sla = |s: &mut State, b: u8, p99_us: u64| {
            let old = s.provider(&addr(b)).unwrap().unwrap();
            let mut p = old.clone();
            p.sla = Some(pol_inference::pb::Sla {
                max_p99_latency_us: p99_us,
                max_failure_rate_ppm: 10_000,
            });
            s.put_provider(&p, Some(&old)).unwrap();
        };
        // 1: fastest and cheapest, but promised 5 ms and delivers 10 ms.
        active(&mut s, 1, 100);
        measured(&mut s, 1, 10_000, 4_000, 0);
        with_sla(&mut s, 1, 5_000);
        // 2: slower and dearer, within its 50 ms SLA.
        active(&mut s, 2, 300);
        measured(&mut s, 2, 40_000, 20_000, 0);
        with_sla(&mut s, 2, 50_000);
        // 3: fails 2% against a 1% bound.
        active(&mut s, 3, 100);
        measured(&mut s, 3, 10_000, 4_000, 20_000);
        with_sla(&mut s, 3, 50_000);
        // 4: unmeasured.
        active(&mut s, 4, 100);
        let r = route(&s, MODEL, None, 0).unwrap();
        let order: Vec<u8> = ranked(&r).iter().map(|e| e.1).collect();
        assert_eq!(order, vec![2, 1, 3, 4]);
        assert!(r.entries[0].score_ppm < r.entries[1].score_ppm);
        let within: Vec<bool> = r.entries.iter().map(|e| e.within_sla).collect();
        assert_eq!(within, vec![true, false, false, true]);
        assert!(r.entries[1]
            .reasons
            .contains("outside its own SLA (p99 ≤ 5.0 ms"));
        assert!(!r.entries[0].reasons.contains("outside"));
    }

    /// A provider that serves probes fast and requesters slowly: its probes' figures are the
    /// best, but what paying requesters saw last epoch is folded in, so it ranks below an
    /// honest provider (and outside its SLA). Stale or uncounted figures are not folded.
    #[test]
    fn what_paying_requesters_saw_ranks_a_discriminating_provider_below_an_honest_one() {
        use pol_store::StateWriteExt;
        let mut s = state();
        active(&mut s, 1, 100);
        measured(&mut s, 1, 8_000, 4_000, 0); // height 40: epoch 2 of 20 blocks
        active(&mut s, 2, 100);
        measured(&mut s, 2, 12_000, 6_000, 0);
        let before: Vec<u8> = ranked(&route(&s, MODEL, None, 0).unwrap())
            .iter()
            .map(|e| e.1)
            .collect();
        assert_eq!(before, vec![1, 2]);
        let served = |epoch, counted| pb::ServedLatency {
            provider: addr(1).to_string(),
            epoch,
            p99_us: 320_000,
            p50_us: 310_000,
            weight: "500000".into(),
            reporters: 3,
            counted,
            ..Default::default()
        };
        for (epoch, counted) in [(2, false), (0, true)] {
            s.put_proto(crate::state_key::served(&[1; 20]), &served(epoch, counted));
            let r = route(&s, MODEL, None, 0).unwrap();
            assert_eq!(
                r.entries[0].provider,
                addr(1).to_string(),
                "{epoch} {counted}"
            );
            assert_eq!(r.entries[0].served_p99_us, 0);
        }
        s.put_proto(crate::state_key::served(&[1; 20]), &served(1, true));
        let r = route(&s, MODEL, None, 0).unwrap();
        let order: Vec<u8> = ranked(&r).iter().map(|e| e.1).collect();
        assert_eq!(order, vec![2, 1]);
        // Less the 100 ms allowance for requesters' distance.
        assert_eq!(
            (r.entries[1].p99_us, r.entries[1].served_p99_us),
            (220_000, 220_000)
        );
        assert!(r.entries[1]
            .reasons
            .contains("paying requesters saw p99 220.0 ms"));
    }

    #[test]
    fn ranks_with_exact_default_scores() {
        let s = market();
        let r = route(&s, MODEL, None, 0).unwrap();
        // Scores by hand (w = 0.5 / 0.2 / 0.3, fastest 10 ms, cheapest 100):
        // 1: L 1e6,      P 333_333, R 800_000 → 500_000 + 66_666.6 + 240_000 = 806_666
        // 2: L 500_000,  P 1e6,     R 900_000 → 250_000 + 200_000   + 270_000 = 720_000
        // 3: L 900_000,  P 500_000, R 500_000 (initial) → 450_000 + 100_000 + 150_000 = 700_000
        // 4: L 125_000,  P 1e6,     R 900_000 → 62_500 + 200_000 + 270_000 = 532_500
        // 5: unmeasured: L 0, P 1e6, R 1e6 → 0 + 200_000 + 300_000 = 500_000, ranked last.
        assert_eq!(
            ranked(&r),
            vec![
                (1, 1, 806_666),
                (2, 2, 720_000),
                (3, 3, 700_000),
                (4, 4, 532_500),
                (5, 5, 500_000)
            ]
        );
        assert_eq!(r.weights, Some(DEFAULT_WEIGHTS));
        assert_eq!(r.denom, "upol");
        let e = &r.entries[0];
        assert_eq!(e.endpoint, "http://10.0.0.1:7000");
        assert_eq!(
            (e.p99_us, e.p50_us, e.failure_rate_ppm, e.measured_height),
            (10_000, 4_000, 0, 40)
        );
        assert_eq!(
            (e.latency_score_ppm, e.price_score_ppm),
            (1_000_000, 333_333)
        );
        assert_eq!(e.price_per_inference, "300");
        assert_eq!(e.reputation_ppm, 800_000);
        assert_eq!(e.receipt_pubkey, vec![1; 32]);
        assert!(e.has_measurement);
        assert_eq!(
            e.reasons,
            "p99 10.0 ms (1.00x the fastest), p50 4.0 ms, 0.0% failures (consensus of 4 \
             validators at height 40), price 300upol (3.00x the cheapest), reputation 0.800; \
             score 0.807"
        );
        assert_eq!(
            r.entries[2].reasons,
            "p99 10.0 ms (1.00x the fastest), p50 3.0 ms, 10.0% failures (consensus of 4 \
             validators at height 40), price 200upol (2.00x the cheapest), reputation 0.500; \
             score 0.700"
        );
        let last = &r.entries[4];
        assert!(!last.has_measurement);
        assert_eq!(
            (last.p99_us, last.measured_height, last.latency_score_ppm),
            (0, 0, 0)
        );
        assert_eq!(
            last.reasons,
            "no consensus latency measurement yet (ranked after every measured provider), \
             price 100upol (1.00x the cheapest), reputation 1.000; score 0.500"
        );
    }

    #[test]
    fn weights_change_the_order() {
        let s = market();
        // Price only: the 100-upol providers tie at 1e6; p99 breaks the tie (2 before 4);
        // the unmeasured one still comes last.
        let price_only = RouteWeights {
            latency_ppm: 0,
            price_ppm: 1_000_000,
            reputation_ppm: 0,
        };
        let r = route(&s, MODEL, Some(&price_only), 0).unwrap();
        assert_eq!(
            ranked(&r),
            vec![
                (1, 2, 1_000_000),
                (2, 4, 1_000_000),
                (3, 3, 500_000),
                (4, 1, 333_333),
                (5, 5, 1_000_000)
            ]
        );
        // Weights need not sum to 1e6: 1:1:0 is latency and price halved.
        let half = RouteWeights {
            latency_ppm: 1,
            price_ppm: 1,
            reputation_ppm: 0,
        };
        let r = route(&s, MODEL, Some(&half), 2).unwrap();
        // 1: (1e6 + 333_333)/2 = 666_666; 2: (5e5 + 1e6)/2 = 750_000;
        // 3: (9e5 + 5e5)/2 = 700_000; 4: (125_000 + 1e6)/2 = 562_500. limit 2.
        assert_eq!(ranked(&r), vec![(1, 2, 750_000), (2, 3, 700_000)]);
    }

    #[test]
    fn ties_break_by_p99_price_then_address() {
        let mut s = state();
        for b in [9, 8, 7] {
            active(&mut s, b, 100);
            measured(&mut s, b, 5_000, 1_000, 0);
        }
        // Weigh reputation only: every provider ties at the initial 500_000.
        let rep_only = RouteWeights {
            latency_ppm: 0,
            price_ppm: 0,
            reputation_ppm: 1,
        };
        active(&mut s, 6, 50);
        measured(&mut s, 6, 6_000, 1_000, 0);
        active(&mut s, 5, 10);
        measured(&mut s, 5, 6_000, 1_000, 0);
        let r = route(&s, MODEL, Some(&rep_only), 0).unwrap();
        let order: Vec<u8> = ranked(&r).iter().map(|e| e.1).collect();
        assert_eq!(order, vec![7, 8, 9, 5, 6]);
        assert!(r.entries.iter().all(|e| e.score_ppm == 500_000));
    }

    #[test]
    fn free_providers_unmeasured_only_and_failing_ones() {
        let mut s = state();
        active(&mut s, 1, 0);
        active(&mut s, 2, 40);
        let r = route(&s, MODEL, None, 0).unwrap();
        // Nobody measured: price then reputation (initial 0.5).
        // 1: 200_000 + 150_000 = 350_000; 2: 0 + 150_000.
        assert_eq!(ranked(&r), vec![(1, 1, 350_000), (2, 2, 150_000)]);
        assert!(r.entries[0].reasons.contains("price 0upol (free)"));
        assert!(r.entries[1]
            .reasons
            .contains("price 40upol (the cheapest is free)"));

        // A provider whose probes all fail (p99 = max latency, 100 % failures) scores no
        // latency at all.
        measured(&mut s, 2, 2_000_000, 2_000_000, 1_000_000);
        measured(&mut s, 1, 1_000, 800, 0);
        let r = route(&s, MODEL, None, 0).unwrap();
        assert_eq!(r.entries[1].latency_score_ppm, 0);
        assert_eq!(
            r.entries[1].reasons,
            "no probe answered (100.0% failures, consensus of 4 validators at height 40), \
             price 40upol (the cheapest is free), reputation 0.500; score 0.150"
        );
        // One reporter, singular; a partial failure rate keeps the times.
        s.put_aggregate(
            &[1; 20],
            &pb::ProviderAggregate {
                provider: addr(1).to_string(),
                height: 41,
                p99_us: 1_500,
                p50_us: 700,
                failure_rate_ppm: 250_000,
                reporters: 1,
                ..Default::default()
            },
            10,
        )
        .unwrap();
        let r = route(&s, MODEL, None, 0).unwrap();
        assert_eq!(
            r.entries[0].reasons,
            "p99 1.5 ms (1.00x the fastest), p50 0.7 ms, 25.0% failures (consensus of 1 \
             validator at height 41), price 0upol (free), reputation 0.500; score 0.725"
        );
    }

    #[test]
    fn refusals_and_empty_answers() {
        let mut s = state();
        assert!(matches!(
            route(&s, "Bad Id", None, 0),
            Err(RouteError::InvalidArgument(_))
        ));
        assert!(matches!(
            route(&s, "unknown", None, 0),
            Err(RouteError::NotFound(_))
        ));
        let zero = RouteWeights::default();
        assert!(matches!(
            route(&s, MODEL, Some(&zero), 0),
            Err(RouteError::InvalidArgument(_))
        ));
        let big = RouteWeights {
            latency_ppm: 1_000_001,
            ..Default::default()
        };
        assert!(matches!(
            route(&s, MODEL, Some(&big), 0),
            Err(RouteError::InvalidArgument(_))
        ));
        // Registered, but only a jailed and an unbonding provider: no entries.
        provider(&mut s, 1, 1, ProviderStatus::Jailed, &[MODEL]);
        provider(&mut s, 2, 1, ProviderStatus::Unbonding, &[MODEL]);
        assert!(route(&s, MODEL, None, 0).unwrap().entries.is_empty());
    }

    /// The gRPC method over committed state, and its status codes.
    #[test]
    #[allow(clippy::result_large_err)]
    fn query_service_answers_from_committed_state() {
        use crate::pb::query_server::Query;
        use tonic::{Code, Request};
        let storage =
            pol_store::Storage::open_temporary(pol_store::StorageConfig { keep_recent: 0 })
                .unwrap();
        let s = market();
        let prepared = storage
            .prepare(
                1,
                pol_store::Changeset {
                    writes: s.writes().clone(),
                    local_meta: Default::default(),
                },
            )
            .unwrap();
        storage.commit(prepared).unwrap();
        let q = crate::LatencyQuery::new(storage);
        let ask = |model: &str, limit| {
            let q = q.clone();
            let req = Request::new(pb::QueryRouteRequest {
                model_id: model.into(),
                weights: None,
                limit,
            });
            poll_now(async move { q.route(req).await })
        };
        let r = ask(MODEL, 3).unwrap().into_inner();
        assert_eq!(
            ranked(&r),
            vec![(1, 1, 806_666), (2, 2, 720_000), (3, 3, 700_000)]
        );
        assert_eq!(ask("nope", 0).unwrap_err().code(), Code::NotFound);
        assert_eq!(ask("Nope!", 0).unwrap_err().code(), Code::InvalidArgument);
    }

    /// Runs a future that never waits (queries over an in-memory snapshot).
    fn poll_now<T>(f: impl std::future::Future<Output = T>) -> T {
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::noop();
        match f.as_mut().poll(&mut std::task::Context::from_waker(waker)) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("query future is not ready"),
        }
    }

    #[test]
    fn formatting_rounds_half_up() {
        assert_eq!(ms(12_449), "12.4 ms");
        assert_eq!(ms(12_450), "12.5 ms");
        assert_eq!(ms(40), "0.0 ms");
        assert_eq!(percent(1_499), "0.1%");
        assert_eq!(percent(1_000_000), "100.0%");
        assert_eq!(fraction(872_600), "0.873");
        assert_eq!(ratio(3, 2), "1.50");
        assert_eq!(ratio(2, 3), "0.67");
        assert_eq!(price_score(u128::MAX, u128::MAX), 1_000_000);
    }
}
