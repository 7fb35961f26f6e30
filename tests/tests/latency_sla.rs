//! Proof-of-Latency end to end on a 4-validator network of real processes: three real
//! pol-workers register as providers, one fast, one that turns slow past its SLA, one that
//! drops most requests. Every validator probes them; the consensus latency that comes out
//! of the vote extensions judges them each epoch. Validator 2 is honest but far: it sees
//! every provider 50 ms later than the others (geography). Validator 3 lies: it reports
//! latencies drawn at random. Validator 1 copies: it does not probe and reports the
//! latest published aggregates. Validators 1 and 3 hold a quarter of the stake between
//! them (self-bonds 3:1:3:1), below the Byzantine third.
//!
//! Checked: the slow provider is slashed and ranks below the fast one; the fast one's
//! reputation rises; the dropping one is jailed; the liar is flagged by measurer
//! accountability, cannot move the medians, and loses PoL weight; the copier, which has no
//! receipts of its own probes to answer the probing challenge, is flagged and loses PoL
//! weight too; the far validator is judged by its consistency, not its distance, and keeps
//! its weight; every validator has the same app hash at every height.

use std::time::{Duration, Instant};

use pol_tests::chain_query::*;
use pol_tests::net::{Network, NetworkOptions};
use pol_tests::worker::{ChainLink, Fault, WorkerProcess, WorkerSpec};
use pol_tests::*;
use serde_json::json;

const CHAIN: &str = "pol-net-1";
const EPOCH_BLOCKS: u64 = 8;
/// Far above what a loaded 2-core machine does to the fast provider's p99 (a stall of all
/// probers at once), far below the slow one's +400 ms.
const SLA_P99_US: u64 = 250_000;
const SLA_FAILURES_PPM: u32 = 100_000;
const BOND: u128 = 100_000_000;
const SLOW_EXTRA_MS: u64 = 400;
/// The slow provider turns slow this long after its worker starts.
const SLOW_AFTER_SECS: u64 = 20;
/// The liar reports latencies drawn at random below 2 s (a ×50 liar's lie about providers
/// that all answer in about 1 ms has the shape of geography: the same added delay on every
/// provider, which the chain cannot tell from distance).
const LIAR_RANDOM_BELOW_US: u64 = 2_000_000;
/// How much further than the others the far validator is from every provider.
const FAR_ADDED_US: u64 = 50_000;

/// CometBFT's consensus address of validator `i` (from its priv_validator_key.json).
fn consensus_address(net: &Network, i: usize) -> anyhow::Result<Vec<u8>> {
    let key: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        net.nodes[i].home.join("config/priv_validator_key.json"),
    )?)?;
    Ok(hex::decode(key["address"].as_str().unwrap_or_default())?)
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_is_slashed_dropping_is_jailed_fast_gains_and_a_liar_is_flagged() -> anyhow::Result<()>
{
    let mut net = Network::init(NetworkOptions {
        self_bonds: [3, 1, 3, 1]
            .iter()
            .map(|k| k * pol_tests::VALIDATOR_SELF_BOND / 2)
            .collect(),
        keyring_accounts: ["fast", "slow", "dropping"]
            .iter()
            .map(|n| (n.to_string(), 10_000_000_000))
            .collect(),
        genesis: Some(Box::new(|g| {
            let s = &mut g["app_state"];
            s["latency"]["params"]["epoch_blocks"] = json!(EPOCH_BLOCKS);
            s["latency"]["params"]["min_samples"] = json!(2);
            s["latency"]["params"]["max_receipts_per_extension"] = json!(1);
            s["sla"]["params"]["min_blocks_per_epoch"] = json!(EPOCH_BLOCKS / 2);
            s["sla"]["params"]["jail_after_misses"] = json!(2);
            let inf = &mut s["inference"]["params"];
            inf["sample_rate_ppm"] = json!(50_000);
            inf["min_provider_bond"] = json!("10000000");
            inf["proof_deadline_blocks"] = json!(200);
            inf["provider_unbonding_blocks"] = json!(1000);
        })),
        app_config: Some(Box::new(|i, cfg| {
            cfg.probe.interval_ms = 150;
            cfg.probe.timeout_ms = 1_500;
            cfg.probe.window_secs = 4;
            if i == 1 {
                cfg.probe.enabled = false;
                cfg.test_faults.copy_latency_aggregates = true;
            }
            if i == 2 {
                cfg.probe.test_fault_added_latency_us = FAR_ADDED_US;
            }
            if i == 3 {
                cfg.probe.test_fault_random_latency_us = LIAR_RANDOM_BELOW_US;
            }
        })),
        ..Default::default()
    })?;
    net.start()?;
    net.wait_for_height(2, Duration::from_secs(90)).await?;
    let rpc = net.nodes[0].rpc.clone();
    let home0 = net.nodes[0].home.clone();
    let addr = |name: &str| -> anyhow::Result<String> {
        Ok(pold(&home0, &["keys", "show", name, "-a"])?
            .trim()
            .to_string())
    };
    let (fast, slow, dropping) = (addr("fast")?, addr("slow")?, addr("dropping")?);

    let spec = |name: &str, provider: &str, fault: Fault, register_models: bool| WorkerSpec {
        fault,
        chain: Some(ChainLink {
            grpc: format!("127.0.0.1:{}", net.nodes[0].ports.grpc),
            home: home0.clone(),
            key: name.into(),
            bond: BOND,
            price_per_inference: 100,
            max_p99_latency_us: SLA_P99_US,
            max_failure_rate_ppm: SLA_FAILURES_PPM,
            register_models,
        }),
        ..WorkerSpec::new(CHAIN, provider)
    };
    // The fast worker registers the architecture and the model, then the others join.
    let mut workers = vec![WorkerProcess::start(
        &spec("fast", &fast, Fault::default(), true),
        &net.root.join("w-fast"),
    )?];
    eventually("the fast provider", Duration::from_secs(180), || {
        let rpc = rpc.clone();
        let a = fast.clone();
        async move { provider(&rpc, &a).await }
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}; worker log:\n{}", workers[0].log_tail(30)))?;
    let slow_fault = Fault {
        extra_latency_ms: SLOW_EXTRA_MS,
        after_secs: SLOW_AFTER_SECS,
        ..Default::default()
    };
    workers.push(WorkerProcess::start(
        &spec("slow", &slow, slow_fault, false),
        &net.root.join("w-slow"),
    )?);
    let slow_started = Instant::now();
    // The height when the slow worker turns slow (its clock starts a little after ours, so
    // this is at or before its turn): no penalty of it may come before.
    let slow_height = {
        let rpc = rpc.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until((slow_started + Duration::from_secs(SLOW_AFTER_SECS)).into())
                .await;
            rpc.latest_height().await
        })
    };
    let drop_fault = Fault {
        drop_ppm: 600_000,
        ..Default::default()
    };
    workers.push(WorkerProcess::start(
        &spec("dropping", &dropping, drop_fault, false),
        &net.root.join("w-dropping"),
    )?);
    for who in [&slow, &dropping] {
        eventually("the other providers", Duration::from_secs(120), || {
            let rpc = rpc.clone();
            let a = who.clone();
            async move { provider(&rpc, &a).await }
        })
        .await?;
    }

    // The dropping provider misses twice in a row and is jailed.
    let jailed = eventually(
        "the dropping provider's jailing",
        Duration::from_secs(180),
        || {
            let rpc = rpc.clone();
            let a = dropping.clone();
            async move {
                provider(&rpc, &a)
                    .await
                    .filter(|p| p.status == pol_inference::pb::ProviderStatus::Jailed as i32)
            }
        },
    )
    .await?;
    let drop_violations = violations(&rpc, &dropping).await;
    assert!(
        drop_violations.len() >= 2 && drop_violations.iter().any(|v| v.jailed),
        "{drop_violations:?}"
    );
    assert!(drop_violations
        .iter()
        .all(|v| v.observed_failure_rate_ppm > SLA_FAILURES_PPM));
    assert!(
        jailed.bond.parse::<u128>()? < BOND,
        "jailed without a slash"
    );

    // The slow provider is slashed once it turns slow.
    let first = eventually(
        "the slow provider's first SLA penalty",
        Duration::from_secs(240),
        || {
            let rpc = rpc.clone();
            let a = slow.clone();
            async move { violations(&rpc, &a).await.into_iter().last() }
        },
    )
    .await?;
    let penalty_after = slow_started
        .elapsed()
        .saturating_sub(Duration::from_secs(SLOW_AFTER_SECS));
    let slow_height = slow_height.await??;
    assert!(
        first.height > slow_height,
        "the slow provider was penalized at height {} before it turned slow at {slow_height}: \
         {first:?}",
        first.height
    );
    let slashed: u128 = first.slashed.parse()?;
    assert!(
        slashed > 0 && first.observed_p99_us > SLA_P99_US,
        "{first:?}"
    );
    let slow_p = provider(&rpc, &slow).await.expect("slow provider");
    assert!(slow_p.bond.parse::<u128>()? <= BOND - slashed);
    println!(
        "slow provider: first SLA penalty at height {} (epoch {}), {} blocks and about {:.1} s \
         after it turned slow; observed p99 {} us against {} us; slashed {slashed}upol",
        first.height,
        first.epoch,
        first.height - slow_height,
        penalty_after.as_secs_f64(),
        first.observed_p99_us,
        first.sla_p99_us
    );

    // The fast provider never missed and its reputation rose above the initial value.
    let fast_rep = eventually(
        "the fast provider's reputation",
        Duration::from_secs(60),
        || {
            let rpc = rpc.clone();
            let a = fast.clone();
            async move { reputation(&rpc, &a).await.filter(|r| r.epochs >= 2) }
        },
    )
    .await?;
    assert!(fast_rep.reputation_ppm > 500_000, "{fast_rep:?}");
    assert!(violations(&rpc, &fast).await.is_empty());
    let slow_rep = reputation(&rpc, &slow).await.expect("slow reputation");
    assert!(
        slow_rep.reputation_ppm < fast_rep.reputation_ppm,
        "{slow_rep:?}"
    );

    // Probe receipts the validators carried in their extensions were drawn into proof
    // obligations (submitted by the latency module, paid from the community pool), and the
    // fast worker proved one: what was measured is what gets proven.
    let probe_submitter = pol_inference::msg::probe_submitter().to_string();
    let proven = eventually(
        "a discharged probe obligation",
        Duration::from_secs(120),
        || {
            let (rpc, a, s) = (rpc.clone(), fast.clone(), probe_submitter.clone());
            async move {
                obligations(&rpc, &a).await.into_iter().find(|o| {
                    o.submitter == s
                        && o.state == pol_inference::pb::ObligationState::Discharged as i32
                })
            }
        },
    )
    .await?;
    // Its prover was paid from the community pool (the probe proof reward).
    assert_eq!(
        proven.escrow,
        pol_inference::params::Params::default()
            .probe_proof_reward
            .to_string(),
        "{proven:?}"
    );

    // The liar's and the copier's reports are outliers; the honest ones' are not; the medians
    // are honest values.
    let liar = consensus_address(&net, 3)?;
    let copier = consensus_address(&net, 1)?;
    let scores = measurers(&rpc).await;
    assert_eq!(scores.len(), 4, "{scores:?}");
    // Rates in percent. Honest validators on this shared machine see some tail noise of
    // their own (a loaded prober's p99 of a 3 ms provider can reach 30 ms); the liar's random
    // p99s disagree with each other across providers and blocks. The far validator's 50 ms on
    // a 1 ms provider would be an outlier every time if reports were judged by distance. The
    // copier's values are close to the median, but it cannot show a receipt of its own probe
    // of the provider each height challenges.
    let rate = |m: &pol_latency::pb::MeasurerScore| m.outliers * 100 / m.reports.max(1);
    let rate_of = |who: &[u8]| {
        scores
            .iter()
            .find(|m| m.validator == who)
            .map(rate)
            .expect("measured")
    };
    let (liar_rate, copier_rate) = (rate_of(&liar), rate_of(&copier));
    let unbacked = |who: &[u8]| {
        scores
            .iter()
            .find(|m| m.validator == who)
            .map_or(0, |m| m.unbacked_heights)
    };
    eprintln!(
        "measurer outlier rates: liar {liar_rate} %, copier {copier_rate} % ({} unbacked \
         heights), honest {:?} %",
        unbacked(&copier),
        scores
            .iter()
            .filter(|m| m.validator != liar && m.validator != copier)
            .map(rate)
            .collect::<Vec<_>>()
    );
    assert!(liar_rate > 50, "liar not flagged: {scores:?}");
    assert!(copier_rate > 50, "copier not flagged: {scores:?}");
    assert!(unbacked(&copier) > 0, "{scores:?}");
    for m in scores
        .iter()
        .filter(|m| m.validator != liar && m.validator != copier)
    {
        assert!(
            rate(m) * 2 < liar_rate.min(copier_rate),
            "honest flagged: {scores:?}"
        );
        assert_eq!(m.unbacked_heights, 0, "{scores:?}");
    }
    // On both providers still served, and at every height of the history kept.
    for who in [&fast, &slow] {
        let history = latency_history(&rpc, who).await;
        assert!(!history.is_empty(), "no aggregates of {who}");
        for agg in &history {
            // What the honest validators reported, and would have from where most
            // validators are (their learned offsets taken off): the median is one of those.
            let honest: Vec<i64> = agg
                .reports
                .iter()
                .filter(|r| r.validator != liar && r.validator != copier)
                .flat_map(|r| [i64::from(r.p99_us), i64::from(r.p99_us) - r.offset_us])
                .collect();
            let (lo, hi) = (honest.iter().min().copied(), honest.iter().max().copied());
            assert!(
                lo.zip(hi)
                    .is_some_and(|(lo, hi)| (lo..=hi).contains(&i64::from(agg.p99_us))),
                "{who} at height {}: median {} outside the honest reports {honest:?}",
                agg.height,
                agg.p99_us
            );
        }
    }

    // The liar's and the copier's PoL weights fell; the far validator's did not. (Voting
    // power is stake times weight, and the stakes differ: the weights are compared.)
    let reputations = validator_reputations(&rpc).await;
    let weight_of = |who: &[u8]| -> u32 {
        let cons = pol_reputation::view::valcons_string(who.try_into().unwrap_or(&[0; 20]));
        reputations
            .iter()
            .find(|r| r.consensus_address == cons)
            .map_or(0, |r| r.weight_ppm)
    };
    let honest_weight = weight_of(&consensus_address(&net, 0)?);
    let far_weight = weight_of(&consensus_address(&net, 2)?);
    eprintln!(
        "PoL weights (ppm): honest {honest_weight}, far {far_weight}, copier {}, liar {}",
        weight_of(&copier),
        weight_of(&liar)
    );
    for (who, w) in [("liar", weight_of(&liar)), ("copier", weight_of(&copier))] {
        assert!(
            w < honest_weight && w < far_weight,
            "{who} weight {w} vs honest {honest_weight}, far {far_weight}"
        );
    }
    // The far validator keeps its weight: within a tenth of the near honest one's.
    assert!(
        far_weight * 10 >= honest_weight * 9,
        "far validator weight {far_weight} vs honest {honest_weight}"
    );
    // And CometBFT's power follows: the far validator has as much power per stake as the
    // near one, the liar less (same stake as the copier, which is flagged as well).
    let validators = rpc.call("validators", json!({})).await?;
    let power_of = |addr: &[u8]| -> i64 {
        validators["validators"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["address"].as_str() == Some(&hex::encode_upper(addr)))
            .and_then(|v| v["voting_power"].as_str()?.parse().ok())
            .unwrap_or(0)
    };
    let (near_power, far_power) = (
        power_of(&consensus_address(&net, 0)?),
        power_of(&consensus_address(&net, 2)?),
    );
    assert!(
        far_power * 10 >= near_power * 9 && power_of(&liar) * 3 < near_power,
        "powers: near {near_power}, far {far_power}, liar {}",
        power_of(&liar)
    );

    // The slow provider ranks below the fast one, and the jailed one is not routed to.
    let route = route(&rpc, pol_tests::worker::MODEL).await.expect("route");
    let rank = |who: &str| {
        route
            .entries
            .iter()
            .find(|e| e.provider == who)
            .map(|e| e.rank)
    };
    assert_eq!(rank(&fast), Some(1), "{route:?}");
    // Ranked below the fast one, or, once it has missed `jail_after_misses` epochs in a row
    // (how soon depends on how fast this machine runs the epochs), jailed and not routed.
    match rank(&slow) {
        Some(r) => assert!(r > 1, "{route:?}"),
        None => {
            let p = provider(&rpc, &slow).await.expect("the slow provider");
            assert_eq!(
                p.status,
                pol_inference::pb::ProviderStatus::Jailed as i32,
                "the slow provider is neither routed nor jailed: {route:?}"
            );
        }
    }
    assert_eq!(rank(&dropping), None, "{route:?}");

    let height = rpc.latest_height().await?;
    net.assert_app_hashes_agree(height).await?;
    drop(workers);
    net.stop_all();
    Ok(())
}
