//! Unit tests of `pol-latency` over an in-memory state: vote extensions (build and checks),
//! the injected extended commit (CometBFT sign bytes, signatures, power), the stake-weighted
//! aggregate, epochs, genesis, params and queries.

use pol_component::ModuleGenesis as _;
use std::collections::{BTreeMap, BTreeSet};

use ed25519_dalek::{Signer, SigningKey};
use pol_component::Address;
use pol_inference::pb::{Provider, ProviderStatus, Receipt};
use pol_inference::receipt::ReceiptBody;
use pol_inference::InferenceWrite;
use pol_store::{MemState, StateDelta, StateRead};
use prost::Message;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tendermint_proto::crypto::public_key::Sum;
use tendermint_proto::crypto::PublicKey;
use tendermint_proto::v0_38::abci::{
    CommitInfo, ExtendedCommitInfo, ExtendedVoteInfo, Validator, ValidatorUpdate,
};
use tendermint_proto::v0_38::types::BlockIdFlag;

use crate::aggregate::{self, failure_rate_ppm, weighted_median};
use crate::commit::{self, CommitError, IgnoredVote, VerifiedCommit, VerifiedVote, VoteFault};
use crate::evidence;
use crate::extension::{self, check_structure, ExtensionError};
use crate::pb::{self, Params, ProviderReport, VoteExtension};
use crate::probe_receipts;
use crate::view::{LatencyRead, LatencyWrite};
use crate::{record_consensus_keys, state_key, GenesisState, ProviderWindow};

type State = StateDelta<MemState>;

const CHAIN: &str = "pol-test-1";
const MODEL: &str = "digits-64-32-10";
const H: u64 = 77;

fn p(b: u8) -> [u8; 20] {
    [b; 20]
}

fn window(b: u8, samples: u32, failures: u32, p50: u32, p99: u32, max: u32) -> ProviderWindow {
    ProviderWindow {
        provider: p(b),
        samples,
        failures,
        p50_us: p50,
        p99_us: p99,
        max_us: max,
    }
}

fn report(b: u8, samples: u32, failures: u32, p50: u32, p99: u32, max: u32) -> ProviderReport {
    ProviderReport {
        provider: p(b).to_vec(),
        samples,
        failures,
        p50_us: p50,
        p99_us: p99,
        max_us: max,
    }
}

fn ext(height: u64, reports: Vec<ProviderReport>) -> VoteExtension {
    VoteExtension {
        height,
        reports,
        receipts: vec![],
        evidence: None,
    }
}

fn worker_key(b: u8) -> SigningKey {
    SigningKey::from_bytes(&[b ^ 0x5a; 32])
}

/// A real worker receipt of provider `b` for this chain and model.
fn receipt(b: u8, nonce: u64) -> Receipt {
    ReceiptBody::new(
        CHAIN,
        p(b),
        MODEL,
        &[1, -2, 3, 4],
        &[5, -6],
        nonce,
        1_700_000_000_000 + nonce,
    )
    .sign(&worker_key(b))
    .unwrap()
    .to_proto()
}

fn provider_record(b: u8, status: ProviderStatus) -> Provider {
    Provider {
        address: Address(p(b)).to_string(),
        endpoint: format!("http://10.0.0.{b}:7000"),
        models: vec![MODEL.into()],
        receipt_pubkey: worker_key(b).verifying_key().to_bytes().to_vec(),
        bond: "50000000".into(),
        status: status as i32,
        registered_height: 1,
        ..Default::default()
    }
}

fn add_provider(s: &mut State, b: u8, status: ProviderStatus) {
    s.put_provider(&provider_record(b, status), None).unwrap();
}

fn state_with(params: &Params, active: &[u8], other: &[(u8, ProviderStatus)]) -> State {
    let mut s = StateDelta::new(MemState::default());
    s.put_latency_params(params);
    for &b in active {
        add_provider(&mut s, b, ProviderStatus::Active);
    }
    for &(b, status) in other {
        add_provider(&mut s, b, status);
    }
    s
}

/// Every `latency/` key and value in a state.
fn latency_kv<S: StateRead>(s: &S) -> Vec<(Vec<u8>, Vec<u8>)> {
    pol_component::state::scan(s, b"latency/").unwrap()
}

// ---------------------------------------------------------------------------------------
// params
// ---------------------------------------------------------------------------------------

#[test]
fn params_default_validates_and_each_bound_is_enforced() {
    assert_eq!(Params::DEFAULT.validate(), Ok(()));
    let with = |f: &dyn Fn(&mut Params)| {
        let mut p = Params::DEFAULT;
        f(&mut p);
        p.validate()
    };
    // (mutation, accepted?)
    type Mutation = Box<dyn Fn(&mut Params)>;
    let cases: Vec<(&str, Mutation, bool)> = vec![
        ("ext 255", Box::new(|p| p.max_extension_bytes = 255), false),
        ("ext 256", Box::new(|p| p.max_extension_bytes = 256), true),
        (
            "ext 1 MiB",
            Box::new(|p| p.max_extension_bytes = 1 << 20),
            true,
        ),
        (
            "ext 1 MiB + 1",
            Box::new(|p| p.max_extension_bytes = (1 << 20) + 1),
            false,
        ),
        (
            "receipts 0",
            Box::new(|p| p.max_receipts_per_extension = 0),
            true,
        ),
        (
            "receipts 64",
            Box::new(|p| p.max_receipts_per_extension = 64),
            true,
        ),
        (
            "receipts 65",
            Box::new(|p| p.max_receipts_per_extension = 65),
            false,
        ),
        ("latency 0", Box::new(|p| p.max_latency_us = 0), false),
        ("min samples 0", Box::new(|p| p.min_samples = 0), false),
        (
            "outlier 0",
            Box::new(|p| p.outlier_threshold_ppm = 0),
            false,
        ),
        (
            "fail rate 0",
            Box::new(|p| p.outlier_failure_rate_ppm = 0),
            false,
        ),
        (
            "fail rate 1e6",
            Box::new(|p| p.outlier_failure_rate_ppm = 1_000_000),
            true,
        ),
        (
            "fail rate 1e6+1",
            Box::new(|p| p.outlier_failure_rate_ppm = 1_000_001),
            false,
        ),
        ("history 0", Box::new(|p| p.history_len = 0), false),
        ("history 1", Box::new(|p| p.history_len = 1), true),
        ("history 10000", Box::new(|p| p.history_len = 10_000), true),
        ("history 10001", Box::new(|p| p.history_len = 10_001), false),
        ("epoch 0", Box::new(|p| p.epoch_blocks = 0), false),
        ("epoch 1", Box::new(|p| p.epoch_blocks = 1), true),
    ];
    for (name, f, ok) in cases {
        let r = with(&*f);
        assert_eq!(r.is_ok(), ok, "{name}: {r:?}");
        if let Err(e) = r {
            assert!(e.starts_with("latency.params."), "{name}: {e}");
        }
    }
}

#[test]
fn params_epochs() {
    let p = Params {
        epoch_blocks: 20,
        ..Params::DEFAULT
    };
    let ends: Vec<u64> = (1..=61).filter(|&h| p.is_epoch_end(h)).collect();
    assert_eq!(ends, vec![20, 40, 60]);
    assert_eq!(p.epoch_of(1), 1);
    assert_eq!(p.epoch_of(20), 1);
    assert_eq!(p.epoch_of(21), 2);
    assert_eq!(p.epoch_of(40), 2);
    assert_eq!(p.epoch_of(41), 3);
    // Every end height belongs to the epoch it closes.
    for h in ends {
        assert_eq!(p.epoch_of(h), h / 20);
        assert_eq!(p.epoch_of(h + 1), h / 20 + 1);
    }
    let zero = Params {
        epoch_blocks: 0,
        ..Params::DEFAULT
    };
    assert!((1..100).all(|h| !zero.is_epoch_end(h)));
    assert_eq!(zero.epoch_of(5), 5);
    let one = Params {
        epoch_blocks: 1,
        ..Params::DEFAULT
    };
    assert!((1..10).all(|h| one.is_epoch_end(h) && one.epoch_of(h) == h));
}

// ---------------------------------------------------------------------------------------
// extension::build
// ---------------------------------------------------------------------------------------

#[test]
fn build_orders_dedups_filters_and_caps_receipts() {
    let windows = vec![
        window(3, 30, 0, 1_000, 3_000, 4_000),
        window(1, 10, 1, 2_000, 5_000, 9_000),
        window(2, 20, 2, 1_500, 2_500, 2_600),
        // A second window of provider 1: the first one given wins.
        window(1, 99, 0, 1, 2, 3),
        // Inactive: dropped.
        window(4, 40, 0, 1, 2, 3),
        // No samples: dropped.
        window(5, 0, 0, 0, 0, 0),
    ];
    let receipts: Vec<Receipt> = (0..6).map(|n| receipt(1, n)).collect();
    let mut asked = Vec::new();
    let e = extension::build(H, windows, receipts.clone(), &Params::DEFAULT, |a| {
        asked.push(a[0]);
        a[0] != 4
    });
    assert_eq!(e.height, H);
    assert_eq!(
        e.reports,
        vec![
            report(1, 10, 1, 2_000, 5_000, 9_000),
            report(2, 20, 2, 1_500, 2_500, 2_600),
            report(3, 30, 0, 1_000, 3_000, 4_000),
        ]
    );
    // The first max_receipts_per_extension receipts, in the order given.
    assert_eq!(e.receipts, receipts[..4].to_vec());
    // The zero-sample window is filtered before asking the state.
    assert!(!asked.contains(&5));
    assert!(asked.contains(&4));

    let none = Params {
        max_receipts_per_extension: 0,
        ..Params::DEFAULT
    };
    let e = extension::build(H, vec![], receipts, &none, |_| true);
    assert_eq!(e, ext(H, vec![]));
}

#[test]
fn build_sanitizes_insane_windows() {
    let params = Params {
        max_latency_us: 1_000_000,
        ..Params::DEFAULT
    };
    let windows = vec![
        // More failures than samples: all failed, latencies zeroed.
        window(1, 5, 9, 100, 200, 300),
        // All failed with latencies: zeroed.
        window(2, 7, 7, 100, 200, 300),
        // p50 above p99: p50 lowered to p99.
        window(3, 10, 0, 900, 500, 600),
        // Above max_latency_us: max and p99 clamped, p50 kept.
        window(4, 10, 1, 400_000, 5_000_000, 7_000_000),
        // max below p99: p99 (and p50) lowered to max.
        window(5, 10, 0, 800, 900, 700),
        // Everything above the bound.
        window(6, 10, 0, 3_000_000, 4_000_000, 5_000_000),
        // Sane: untouched.
        window(7, 10, 3, 100, 200, 300),
    ];
    let e = extension::build(H, windows, vec![], &params, |_| true);
    assert_eq!(
        e.reports,
        vec![
            report(1, 5, 5, 0, 0, 0),
            report(2, 7, 7, 0, 0, 0),
            report(3, 10, 0, 500, 500, 600),
            report(4, 10, 1, 400_000, 1_000_000, 1_000_000),
            report(5, 10, 0, 700, 700, 700),
            report(6, 10, 0, 1_000_000, 1_000_000, 1_000_000),
            report(7, 10, 3, 100, 200, 300),
        ]
    );
    let bytes = e.encode_to_vec();
    assert_eq!(check_structure(&bytes, H, &params), Ok(e));
}

#[test]
fn build_drops_receipts_first_then_reports_ranked_last_at_the_height() {
    // 10 reports fit in 1 KiB; 4 receipts (~250 bytes each) do not all fit with them.
    let params = Params {
        max_extension_bytes: 1024,
        ..Params::DEFAULT
    };
    let windows: Vec<_> = (1..=10)
        .map(|b| window(b, 20 + u32::from(b), 1, 10_000, 80_000, 120_000))
        .collect();
    let receipts: Vec<Receipt> = (0..4).map(|n| receipt(1, 1000 + n)).collect();
    let one = receipts[0].encoded_len();
    assert!((200..320).contains(&one), "receipt is {one} bytes");
    let e = extension::build(H, windows.clone(), receipts.clone(), &params, |_| true);
    assert_eq!(
        e.reports.len(),
        10,
        "reports are kept while receipts can go"
    );
    let k = e.receipts.len();
    assert!(k < 4);
    assert_eq!(e.receipts, receipts[..k].to_vec(), "dropped from the end");
    assert!(e.encoded_len() <= 1024);
    let mut more = e.clone();
    more.receipts.push(receipts[k].clone());
    assert!(more.encoded_len() > 1024, "one more receipt would have fit");

    // 60 reports do not fit: every receipt goes, then the reports ranked last at this
    // height; a validator with other sample counts keeps the very same providers.
    let mut rng = StdRng::seed_from_u64(11);
    let windows_of = |rng: &mut StdRng| -> Vec<ProviderWindow> {
        (0..60u8)
            .map(|i| window(i + 1, rng.gen_range(1..400), 0, 10_000, 80_000, 120_000))
            .collect()
    };
    let windows = windows_of(&mut rng);
    let e = extension::build(H, windows.clone(), receipts.clone(), &params, |_| true);
    assert!(e.receipts.is_empty());
    assert!(e.encoded_len() <= 1024);
    let kept = e.reports.len();
    assert!(kept > 10 && kept < 60, "kept {kept}");
    let mut ranked: Vec<u8> = (1..=60).collect();
    ranked.sort_by_key(|b| extension::report_priority(H, &p(*b)));
    let kept_set: BTreeSet<u8> = e.reports.iter().map(|r| r.provider[0]).collect();
    assert_eq!(kept_set, ranked[..kept].iter().copied().collect());
    // Still in canonical order.
    assert!(e.reports.windows(2).all(|w| w[0].provider < w[1].provider));
    // And the next-ranked report would not have fitted.
    let next = windows
        .iter()
        .find(|w| w.provider[0] == ranked[kept])
        .unwrap();
    let mut more = e.clone();
    more.reports.push(report(
        next.provider[0],
        next.samples,
        0,
        10_000,
        80_000,
        120_000,
    ));
    assert!(more.encoded_len() > 1024);
    let other = extension::build(H, windows_of(&mut rng), vec![], &params, |_| true);
    let other_set: BTreeSet<u8> = other.reports.iter().map(|r| r.provider[0]).collect();
    // Both are prefixes of one ranking (their lengths differ by a report or so, as
    // sample counts take more or fewer varint bytes), so one holds the other.
    assert!(
        kept_set.is_subset(&other_set) || other_set.is_subset(&kept_set),
        "two validators keep different providers: {kept_set:?} vs {other_set:?}"
    );

    // The ranking rotates: within a few heights every provider has been reported.
    let mut seen = BTreeSet::new();
    let mut heights = 0;
    while seen.len() < 60 {
        heights += 1;
        assert!(
            heights <= 40,
            "only {} of 60 providers in 40 heights",
            seen.len()
        );
        let e = extension::build(H + heights, windows.clone(), vec![], &params, |_| true);
        seen.extend(e.reports.iter().map(|r| r.provider[0]));
    }
}

#[test]
fn build_output_always_passes_check_structure() {
    let mut rng = StdRng::seed_from_u64(0xC0FFEE);
    let receipts: Vec<Receipt> = (0..8).map(|n| receipt(7, n)).collect();
    for round in 0..400 {
        let params = Params {
            max_extension_bytes: rng.gen_range(256..6_000),
            max_receipts_per_extension: rng.gen_range(0..8),
            max_latency_us: rng.gen_range(1..2_000_000),
            ..Params::DEFAULT
        };
        let height = rng.gen_range(1..1_000_000u64);
        let n = rng.gen_range(0..150);
        let big = params.max_latency_us.saturating_mul(2);
        let windows: Vec<ProviderWindow> = (0..n)
            .map(|_| {
                let mut provider = [0u8; 20];
                // A small pool of first bytes makes duplicates likely.
                provider[0] = rng.gen_range(0..60);
                provider[19] = rng.gen_range(0..2);
                let samples = if rng.gen_bool(0.1) {
                    0
                } else {
                    rng.gen_range(1..200)
                };
                ProviderWindow {
                    provider,
                    samples,
                    failures: rng.gen_range(0..samples.saturating_add(20)),
                    p50_us: rng.gen_range(0..=big),
                    p99_us: rng.gen_range(0..=big),
                    max_us: rng.gen_range(0..=big),
                }
            })
            .collect();
        let inactive: BTreeSet<u8> = (0..60).filter(|_| rng.gen_bool(0.2)).collect();
        let nr = rng.gen_range(0..8);
        let e = extension::build(
            height,
            windows.clone(),
            receipts[..nr].to_vec(),
            &params,
            |a| !inactive.contains(&a[0]),
        );
        let bytes = e.encode_to_vec();
        assert!(bytes.len() <= params.max_extension_bytes as usize);
        assert_eq!(
            check_structure(&bytes, height, &params),
            Ok(e.clone()),
            "round {round}"
        );
        // Only probed, active providers with samples; each with the first window given.
        for r in &e.reports {
            let provider = extension::report_provider(r);
            assert!(!inactive.contains(&provider[0]));
            let first = windows
                .iter()
                .find(|w| w.provider == provider && w.samples > 0)
                .unwrap();
            assert_eq!(r.samples, first.samples);
            assert_eq!(r.failures, first.failures.min(first.samples));
        }
        assert!(e.receipts.len() <= nr.min(params.max_receipts_per_extension as usize));
        // Nothing was dropped when everything fits.
        let unique: BTreeSet<[u8; 20]> = windows
            .iter()
            .filter(|w| w.samples > 0 && !inactive.contains(&w.provider[0]))
            .map(|w| w.provider)
            .collect();
        if bytes.len() + 300 < params.max_extension_bytes as usize {
            assert_eq!(e.reports.len(), unique.len(), "round {round}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// extension::check_structure
// ---------------------------------------------------------------------------------------

fn good_ext() -> VoteExtension {
    VoteExtension {
        height: H,
        reports: vec![
            report(1, 10, 1, 2_000, 5_000, 9_000),
            report(2, 7, 7, 0, 0, 0),
            report(3, 30, 0, 1_000, 3_000, 4_000),
        ],
        receipts: vec![receipt(1, 1), receipt(3, 2)],
        evidence: None,
    }
}

fn insane(index: usize, why: &'static str) -> Result<VoteExtension, ExtensionError> {
    Err(ExtensionError::Insane { index, why })
}

#[test]
fn check_structure_accepts_canonical_and_empty() {
    let e = good_ext();
    let bytes = e.encode_to_vec();
    assert_eq!(check_structure(&bytes, H, &Params::DEFAULT), Ok(e.clone()));
    // Empty bytes (a validator that does not probe) pass at any height.
    for h in [0, 1, H, u64::MAX] {
        assert_eq!(
            check_structure(&[], h, &Params::DEFAULT),
            Ok(VoteExtension::default())
        );
    }
    // Size bound: exactly the limit passes, one byte less fails.
    let exact = Params {
        max_extension_bytes: bytes.len() as u32,
        ..Params::DEFAULT
    };
    assert_eq!(check_structure(&bytes, H, &exact), Ok(e));
    let under = Params {
        max_extension_bytes: bytes.len() as u32 - 1,
        ..Params::DEFAULT
    };
    assert_eq!(
        check_structure(&bytes, H, &under),
        Err(ExtensionError::TooLarge(
            bytes.len(),
            bytes.len() as u32 - 1
        ))
    );
}

#[test]
fn check_structure_rejects_bad_bytes() {
    let d = Params::DEFAULT;
    let too_big = vec![0u8; d.max_extension_bytes as usize + 1];
    assert_eq!(
        check_structure(&too_big, H, &d),
        Err(ExtensionError::TooLarge(
            d.max_extension_bytes as usize + 1,
            d.max_extension_bytes
        ))
    );
    assert!(matches!(
        check_structure(&[0xff, 0xff, 0xff], H, &d),
        Err(ExtensionError::Decode(_))
    ));
    // Truncated: a length prefix past the end.
    let good = good_ext().encode_to_vec();
    assert!(matches!(
        check_structure(&good[..good.len() - 1], H, &d),
        Err(ExtensionError::Decode(_))
    ));

    // Unknown field appended (field 5, varint 1).
    let mut unknown = good.clone();
    unknown.extend_from_slice(&[0x28, 0x01]);
    assert_eq!(
        check_structure(&unknown, H, &d),
        Err(ExtensionError::NotCanonical)
    );

    // Fields reordered: the reports before the height.
    let e = ext(H, vec![report(1, 10, 1, 2_000, 5_000, 9_000)]);
    let canonical = e.encode_to_vec();
    let height_field = ext(H, vec![]).encode_to_vec();
    let reports_field = ext(0, e.reports.clone()).encode_to_vec();
    assert_eq!(
        canonical,
        [height_field.clone(), reports_field.clone()].concat()
    );
    let reordered = [reports_field.clone(), height_field.clone()].concat();
    assert_eq!(VoteExtension::decode(reordered.as_slice()).unwrap(), e);
    assert_eq!(
        check_structure(&reordered, H, &d),
        Err(ExtensionError::NotCanonical)
    );

    // The height written twice (the last wins when decoding).
    let twice = [height_field.clone(), canonical.clone()].concat();
    assert_eq!(
        check_structure(&twice, H, &d),
        Err(ExtensionError::NotCanonical)
    );

    // A zero written explicitly (failures = 0 in a report).
    let r = report(1, 10, 0, 2_000, 5_000, 9_000);
    let mut inner = r.encode_to_vec();
    inner.extend_from_slice(&[0x18, 0x00]);
    let mut explicit = height_field.clone();
    explicit.push(0x12);
    explicit.push(inner.len() as u8);
    explicit.extend_from_slice(&inner);
    assert_eq!(
        VoteExtension::decode(explicit.as_slice()).unwrap(),
        ext(H, vec![r.clone()])
    );
    assert_eq!(
        check_structure(&explicit, H, &d),
        Err(ExtensionError::NotCanonical)
    );

    // A varint padded with a continuation byte (height 77 as 0xcd 0x00).
    let mut padded = vec![0x08, 0x80 | 77, 0x00];
    padded.extend_from_slice(&reports_field);
    assert_eq!(VoteExtension::decode(padded.as_slice()).unwrap(), e);
    assert_eq!(
        check_structure(&padded, H, &d),
        Err(ExtensionError::NotCanonical)
    );
}

#[test]
fn check_structure_rejects_each_insane_report() {
    let d = Params::DEFAULT;
    let check = |e: &VoteExtension, h: u64| check_structure(&e.encode_to_vec(), h, &d);

    assert_eq!(
        check(&good_ext(), H + 1),
        Err(ExtensionError::Height {
            found: H,
            expected: H + 1
        })
    );
    // An extension with no reports still carries its height.
    assert_eq!(
        check(&ext(H, vec![]), H - 1),
        Err(ExtensionError::Height {
            found: H,
            expected: H - 1
        })
    );

    let mut e = good_ext();
    e.reports[1].provider.pop();
    assert_eq!(check(&e, H), Err(ExtensionError::ProviderLength(1)));
    let mut e = good_ext();
    e.reports[2].provider.push(0);
    assert_eq!(check(&e, H), Err(ExtensionError::ProviderLength(2)));

    let mut e = good_ext();
    e.reports.swap(1, 2);
    assert_eq!(check(&e, H), Err(ExtensionError::Unsorted(2)));
    let mut e = good_ext();
    e.reports[1].provider = p(1).to_vec();
    assert_eq!(check(&e, H), Err(ExtensionError::Unsorted(1)));

    let mut e = good_ext();
    e.reports[0].samples = 0;
    e.reports[0].failures = 0;
    assert_eq!(
        check(&e, H),
        insane(0, "a report needs at least one sample")
    );

    let mut e = good_ext();
    e.reports[1].failures = 8;
    assert_eq!(check(&e, H), insane(1, "more failures than samples"));

    for field in 0..3 {
        let mut e = good_ext();
        let r = &mut e.reports[1];
        match field {
            0 => r.p50_us = 1,
            1 => r.p99_us = 1,
            _ => r.max_us = 1,
        }
        assert_eq!(
            check(&e, H),
            insane(1, "latencies without a successful probe"),
            "field {field}"
        );
    }

    let mut e = good_ext();
    e.reports[0].p50_us = 5_001;
    assert_eq!(check(&e, H), insane(0, "percentiles out of order"));
    let mut e = good_ext();
    e.reports[2].p99_us = 4_001;
    assert_eq!(check(&e, H), insane(2, "percentiles out of order"));
    // Equal percentiles are in order.
    let mut e = good_ext();
    e.reports[2].p50_us = 4_000;
    e.reports[2].p99_us = 4_000;
    assert_eq!(check(&e, H), Ok(e.clone()));

    let mut e = good_ext();
    e.reports[2].max_us = d.max_latency_us + 1;
    assert_eq!(check(&e, H), insane(2, "latency above max_latency_us"));
    let mut e = good_ext();
    e.reports[2].max_us = d.max_latency_us;
    assert_eq!(check(&e, H), Ok(e.clone()));

    let mut e = good_ext();
    e.receipts = (0..5).map(|n| receipt(1, n)).collect();
    assert_eq!(
        check(&e, H),
        Err(ExtensionError::TooManyReceipts { found: 5, max: 4 })
    );
    e.receipts.pop();
    assert_eq!(check(&e, H), Ok(e.clone()));
}

#[test]
fn check_against_state_requires_active_providers_and_good_receipts() {
    let mut s = state_with(
        &Params::DEFAULT,
        &[1, 3],
        &[(2, ProviderStatus::Jailed), (4, ProviderStatus::Unbonding)],
    );
    let mut e = good_ext();
    e.reports.remove(1); // provider 2 is jailed
    assert_eq!(extension::check_against_state(&s, CHAIN, &e), Ok(()));

    let bad = good_ext();
    assert!(matches!(
        extension::check_against_state(&s, CHAIN, &bad),
        Err(ExtensionError::UnknownProvider { index: 1, .. })
    ));
    let mut unknown = e.clone();
    unknown.reports.push(report(9, 10, 0, 1, 2, 3));
    assert!(matches!(
        extension::check_against_state(&s, CHAIN, &unknown),
        Err(ExtensionError::UnknownProvider { index: 2, .. })
    ));

    // The receipt id is the receipt body's.
    let r = receipt(3, 42);
    let id = pol_inference::receipt::SignedReceipt::from_proto(&r)
        .unwrap()
        .id()
        .unwrap();
    assert_eq!(extension::check_receipt(&s, CHAIN, &r), Ok(id));
    assert!(extension::check_receipt(&s, "other-chain", &r).is_err());
    // From a jailed provider.
    assert!(extension::check_receipt(&s, CHAIN, &receipt(2, 1)).is_err());
    // Tampered after signing.
    let mut t = receipt(3, 43);
    t.nonce += 1;
    assert!(extension::check_receipt(&s, CHAIN, &t).is_err());
    // Signed by a key the provider did not register (a valid signature nonetheless).
    let other = ReceiptBody::new(CHAIN, p(3), MODEL, &[1], &[1], 5, 5)
        .sign(&worker_key(99))
        .unwrap()
        .to_proto();
    assert_eq!(
        extension::check_receipt(&s, CHAIN, &other),
        Err("signed by a key the provider did not register".into())
    );
    // A model the provider does not serve.
    let model = ReceiptBody::new(CHAIN, p(3), "other-model", &[1], &[1], 5, 5)
        .sign(&worker_key(3))
        .unwrap()
        .to_proto();
    assert!(extension::check_receipt(&s, CHAIN, &model)
        .unwrap_err()
        .contains("other-model"));

    let mut with_bad = e.clone();
    with_bad.receipts[1] = t;
    assert!(matches!(
        extension::check_against_state(&s, CHAIN, &with_bad),
        Err(ExtensionError::Receipt { index: 1, .. })
    ));
    // A provider that turns inactive makes its reports unknown.
    add_provider(&mut s, 3, ProviderStatus::Jailed);
    assert!(matches!(
        extension::check_against_state(&s, CHAIN, &e),
        Err(ExtensionError::UnknownProvider { index: 1, .. })
    ));
}

// ---------------------------------------------------------------------------------------
// commit: sign bytes, injection, verification
// ---------------------------------------------------------------------------------------

#[test]
fn sign_bytes_match_cometbft_canonical_vote_extension() {
    // CometBFT types.VoteExtensionSignBytes = protoio.MarshalDelimited(CanonicalVoteExtension
    // {extension = 1 bytes, height = 2 sfixed64, round = 3 sfixed64, chain_id = 4 string}),
    // assembled here by hand from the wire format (zero fields are omitted, as gogoproto does).
    let mut body = vec![0x0a, 9];
    body.extend_from_slice(b"extension");
    body.push(0x11);
    body.extend_from_slice(&12345i64.to_le_bytes());
    body.push(0x19);
    body.extend_from_slice(&2i64.to_le_bytes());
    body.push(0x22);
    body.push(13);
    body.extend_from_slice(b"test_chain_id");
    assert_eq!(body.len(), 44);
    let mut want = vec![44u8];
    want.extend_from_slice(&body);
    assert_eq!(
        commit::vote_extension_sign_bytes("test_chain_id", 12345, 2, b"extension"),
        want
    );
    assert_eq!(
        hex::encode(&want),
        "2c0a09657874656e73696f6e11393000000000000019020000000000000022\
         0d746573745f636861696e5f6964"
    );

    // Round 0 and an empty extension are left out; height 1 is still 8 fixed bytes.
    let want = [
        &[0x19u8, 0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0x22, 14][..],
        b"pol-localnet-1",
    ]
    .concat();
    assert_eq!(
        commit::vote_extension_sign_bytes("pol-localnet-1", 1, 0, b""),
        want
    );

    // A 200-byte extension: two-byte varints for the field and the whole.
    let ext = vec![0xabu8; 200];
    let mut body = vec![0x0a, 0xc8, 0x01];
    body.extend_from_slice(&ext);
    body.push(0x11);
    body.extend_from_slice(&(1u64 << 40).to_le_bytes());
    body.push(0x19);
    body.extend_from_slice(&7i64.to_le_bytes());
    body.push(0x22);
    body.push(1);
    body.push(b'c');
    assert_eq!(body.len(), 224);
    let want = [&[0xe0u8, 0x01][..], &body].concat();
    assert_eq!(
        commit::vote_extension_sign_bytes("c", 1 << 40, 7, &ext),
        want
    );
}

struct Val {
    key: SigningKey,
    address: [u8; 20],
    power: i64,
}

fn consensus_address(key: &[u8; 32]) -> [u8; 20] {
    Sha256::digest(key)[..20].try_into().unwrap()
}

fn vals(powers: &[i64]) -> Vec<Val> {
    powers
        .iter()
        .enumerate()
        .map(|(i, &power)| {
            let key = SigningKey::from_bytes(&[0x30 + i as u8; 32]);
            let address = consensus_address(&key.verifying_key().to_bytes());
            Val {
                key,
                address,
                power,
            }
        })
        .collect()
}

fn update(v: &Val) -> ValidatorUpdate {
    ValidatorUpdate {
        pub_key: Some(PublicKey {
            sum: Some(Sum::Ed25519(v.key.verifying_key().to_bytes().to_vec())),
        }),
        power: v.power,
    }
}

fn register(s: &mut State, vals: &[Val]) {
    let updates: Vec<_> = vals.iter().map(update).collect();
    record_consensus_keys(s, &updates);
}

fn signed_vote(v: &Val, signer: &SigningKey, round: i32, ext: &[u8]) -> ExtendedVoteInfo {
    let sig = signer.sign(&commit::vote_extension_sign_bytes(CHAIN, H, round, ext));
    ExtendedVoteInfo {
        validator: Some(Validator {
            address: v.address.to_vec().into(),
            power: v.power,
        }),
        vote_extension: ext.to_vec().into(),
        extension_signature: sig.to_bytes().to_vec().into(),
        block_id_flag: BlockIdFlag::Commit as i32,
    }
}

fn unsigned_vote(v: &Val, flag: BlockIdFlag) -> ExtendedVoteInfo {
    ExtendedVoteInfo {
        validator: Some(Validator {
            address: v.address.to_vec().into(),
            power: v.power,
        }),
        vote_extension: Default::default(),
        extension_signature: Default::default(),
        block_id_flag: flag as i32,
    }
}

/// Validator `i`'s extension at `H`: a distinct report about providers 1 and 2.
fn ext_of(i: usize) -> VoteExtension {
    let i = i as u32;
    ext(
        H,
        vec![
            report(1, 20 + i, i, 1_000 + i, 9_000 + i, 10_000 + i),
            report(2, 30, 0, 2_000, 4_000 + 100 * i, 50_000),
        ],
    )
}

/// A commit at round `round` where every validator voted for the block with `ext_of(i)`.
fn full_commit(vals: &[Val], round: i32) -> ExtendedCommitInfo {
    ExtendedCommitInfo {
        round,
        votes: vals
            .iter()
            .enumerate()
            .map(|(i, v)| signed_vote(v, &v.key, round, &ext_of(i).encode_to_vec()))
            .collect(),
    }
}

fn verify(
    s: &State,
    info: &ExtendedCommitInfo,
    decided: &CommitInfo,
) -> Result<VerifiedCommit, CommitError> {
    verify_with(s, info, decided, &Params::DEFAULT)
}

fn verify_with(
    s: &State,
    info: &ExtendedCommitInfo,
    decided: &CommitInfo,
    params: &Params,
) -> Result<VerifiedCommit, CommitError> {
    commit::verify(s, CHAIN, H, info, decided, params)
}

/// `verify` stood, counting every commit vote but `index`, which it ignored for `fault`.
fn assert_ignored(result: Result<VerifiedCommit, CommitError>, index: usize, fault: VoteFault) {
    let got = result.expect("the report stands without the ignored vote");
    assert_eq!(
        got.ignored
            .iter()
            .map(|i| (i.index, i.fault.clone()))
            .collect::<Vec<_>>(),
        vec![(index, fault)]
    );
    let ignored = got.ignored[0].validator;
    assert!(got.votes.iter().all(|v| v.validator != ignored));
    assert_eq!(got.votes.len() + 1, 4);
}

fn four() -> (State, Vec<Val>) {
    let v = vals(&[10, 20, 30, 40]);
    let mut s = state_with(&Params::DEFAULT, &[1, 2], &[]);
    register(&mut s, &v);
    (s, v)
}

#[test]
fn record_consensus_keys_stores_ed25519_keys_by_cometbft_address() {
    let (s, v) = four();
    for val in &v {
        assert_eq!(
            s.consensus_key(&val.address).unwrap(),
            Some(val.key.verifying_key().to_bytes())
        );
    }
    let mut s = State::new(MemState::default());
    // Not ed25519, or not 32 bytes, or no key: ignored.
    record_consensus_keys(
        &mut s,
        &[
            ValidatorUpdate {
                pub_key: Some(PublicKey {
                    sum: Some(Sum::Secp256k1(vec![2; 33])),
                }),
                power: 1,
            },
            ValidatorUpdate {
                pub_key: Some(PublicKey {
                    sum: Some(Sum::Ed25519(vec![2; 31])),
                }),
                power: 1,
            },
            ValidatorUpdate {
                pub_key: None,
                power: 1,
            },
        ],
    );
    assert!(latency_kv(&s).is_empty());
    // A validator leaving (power 0) keeps its key.
    let mut gone = update(&v[0]);
    gone.power = 0;
    record_consensus_keys(&mut s, &[gone]);
    assert_eq!(
        s.consensus_key(&v[0].address).unwrap(),
        Some(v[0].key.verifying_key().to_bytes())
    );
}

#[test]
fn verify_accepts_a_signed_commit_and_returns_the_votes() {
    let (s, v) = four();
    let info = full_commit(&v, 0);
    let decided = commit::commit_info_of(&info);
    let got = verify(&s, &info, &decided).unwrap();
    assert_eq!(
        got,
        VerifiedCommit {
            validators: v.iter().map(|val| (val.address, val.power)).collect(),
            height: H,
            votes: v
                .iter()
                .enumerate()
                .map(|(i, val)| VerifiedVote {
                    validator: val.address,
                    power: val.power,
                    extension: ext_of(i),
                    unbacked: None,
                })
                .collect(),
            ignored: Vec::new(),
            total_power: 100,
        }
    );

    // Round 3; one validator absent, one for nil; an empty extension is fine.
    let mut info = full_commit(&v, 3);
    info.votes[0] = unsigned_vote(&v[0], BlockIdFlag::Absent);
    info.votes[1] = signed_vote(&v[1], &v[1].key, 3, b"");
    let decided = commit::commit_info_of(&info);
    let got = verify(&s, &info, &decided).unwrap();
    assert_eq!(got.total_power, 100);
    assert_eq!(
        got.votes
            .iter()
            .map(|v| (v.validator, v.power, v.extension.clone()))
            .collect::<Vec<_>>(),
        vec![
            (v[1].address, 20, VoteExtension::default()),
            (v[2].address, 30, ext_of(2)),
            (v[3].address, 40, ext_of(3)),
        ]
    );
    // Now with a nil vote too: 70 of 100 signed.
    info.votes[1] = unsigned_vote(&v[1], BlockIdFlag::Nil);
    let decided = commit::commit_info_of(&info);
    let got = verify(&s, &info, &decided).unwrap();
    assert_eq!(got.votes.len(), 2);
    assert_eq!(got.total_power, 100);
}

#[test]
fn verify_ignores_votes_whose_signature_fails() {
    let (s, v) = four();
    let good = full_commit(&v, 1);
    let decided = commit::commit_info_of(&good);

    // A forged (bit-flipped) signature.
    let mut info = good.clone();
    let mut sig = info.votes[2].extension_signature.to_vec();
    sig[10] ^= 1;
    info.votes[2].extension_signature = sig.into();
    assert_ignored(verify(&s, &info, &decided), 2, VoteFault::BadSignature);

    // Signed by another validator's key.
    let mut info = good.clone();
    info.votes[1] = signed_vote(&v[1], &v[0].key, 1, &ext_of(1).encode_to_vec());
    assert_ignored(verify(&s, &info, &decided), 1, VoteFault::BadSignature);

    // Another validator's (valid) signature and extension copied over.
    let mut info = good.clone();
    info.votes[3].vote_extension = good.votes[0].vote_extension.clone();
    info.votes[3].extension_signature = good.votes[0].extension_signature.clone();
    // Vote 3 holds 40 of 100: without it the report falls to 60/100.
    assert_eq!(
        verify(&s, &info, &decided),
        Err(CommitError::NotEnoughPower {
            signed: 60,
            total: 100
        })
    );

    // An extension byte changed after signing (still a canonical extension).
    let mut info = good.clone();
    let mut bytes = info.votes[0].vote_extension.to_vec();
    let changed = bytes
        .iter()
        .position(|&b| b == (9_000u32 & 0x7f) as u8 | 0x80)
        .unwrap();
    bytes[changed] ^= 0x01;
    assert!(check_structure(&bytes, H, &Params::DEFAULT).is_ok());
    info.votes[0].vote_extension = bytes.into();
    assert_ignored(verify(&s, &info, &decided), 0, VoteFault::BadSignature);

    // Signed for another round, height or chain.
    let mut info = good.clone();
    info.votes[1] = signed_vote(&v[1], &v[1].key, 2, &ext_of(1).encode_to_vec());
    assert_ignored(verify(&s, &info, &decided), 1, VoteFault::BadSignature);
    let mut info = good.clone();
    let bytes = ext_of(1).encode_to_vec();
    let sig = v[1]
        .key
        .sign(&commit::vote_extension_sign_bytes(CHAIN, H + 1, 1, &bytes));
    info.votes[1].extension_signature = sig.to_bytes().to_vec().into();
    assert_ignored(verify(&s, &info, &decided), 1, VoteFault::BadSignature);
    let sig = v[1].key.sign(&commit::vote_extension_sign_bytes(
        "other-chain",
        H,
        1,
        &bytes,
    ));
    info.votes[1].extension_signature = sig.to_bytes().to_vec().into();
    assert_ignored(verify(&s, &info, &decided), 1, VoteFault::BadSignature);

    // Missing or short signature.
    let mut info = good.clone();
    info.votes[2].extension_signature = Default::default();
    assert_ignored(verify(&s, &info, &decided), 2, VoteFault::BadSignature);
    info.votes[2].extension_signature = vec![1u8; 63].into();
    assert_ignored(verify(&s, &info, &decided), 2, VoteFault::BadSignature);

    // The good one passes against the same state.
    assert!(verify(&s, &good, &decided).is_ok());
}

/// A Byzantine voter's bad extension costs that voter its report, not the whole block's:
/// the proposer strips it, and what every validator then counts is the same.
#[test]
fn strip_ignored_empties_only_the_ignored_votes() {
    let (s, v) = four();
    let mut info = full_commit(&v, 0);
    info.votes[1] = signed_vote(&v[1], &v[1].key, 0, &vec![0u8; 70_000]);
    let decided = commit::commit_info_of(&info);
    let got = verify(&s, &info, &decided).unwrap();
    assert!(matches!(
        got.ignored.as_slice(),
        [IgnoredVote {
            index: 1,
            power: 20,
            fault: VoteFault::Extension(ExtensionError::TooLarge(70_000, _)),
            ..
        }]
    ));
    let stripped = commit::strip_ignored(&info, &got.ignored);
    assert!(stripped.votes[1].vote_extension.is_empty());
    assert!(stripped.votes[1].extension_signature.is_empty());
    assert_eq!(stripped.votes[1].block_id_flag, BlockIdFlag::Commit as i32);
    for i in [0, 2, 3] {
        assert_eq!(stripped.votes[i], info.votes[i]);
    }
    assert!(commit::encode_injected(&stripped).len() < 2_000);
    let again = verify(&s, &stripped, &decided).unwrap();
    assert_eq!(again.votes, got.votes);
    assert_eq!(again.ignored[0].fault, VoteFault::BadSignature);
    // The counted votes aggregate the same either way.
    let (mut a, _) = four();
    let (mut b, _) = four();
    aggregate::apply(&mut a, &got).unwrap();
    aggregate::apply(&mut b, &again).unwrap();
    assert_eq!(latency_kv(&a), latency_kv(&b));
    assert_eq!(a.aggregate(&p(1)).unwrap().unwrap().reporters, 3);
}

#[test]
fn verify_rejects_a_commit_that_differs_from_the_decided_one() {
    let (s, v) = four();
    let good = full_commit(&v, 1);
    let decided = commit::commit_info_of(&good);

    // Wrong round (signatures valid for round 2, decided at round 1).
    let other_round = full_commit(&v, 2);
    assert_eq!(
        verify(&s, &other_round, &decided),
        Err(CommitError::Round {
            found: 2,
            expected: 1
        })
    );

    let mut fewer = good.clone();
    fewer.votes.pop();
    assert_eq!(
        verify(&s, &fewer, &decided),
        Err(CommitError::VoteCount {
            found: 3,
            expected: 4
        })
    );
    let mut more = decided.clone();
    more.votes.push(more.votes[0].clone());
    assert_eq!(
        verify(&s, &good, &more),
        Err(CommitError::VoteCount {
            found: 4,
            expected: 5
        })
    );

    // Power differs.
    let mut d = decided.clone();
    d.votes[2].validator.as_mut().unwrap().power = 31;
    assert_eq!(verify(&s, &good, &d), Err(CommitError::VoteMismatch(2)));
    // Flag differs (the injection claims a commit vote CometBFT saw as nil).
    let mut d = decided.clone();
    d.votes[3].block_id_flag = BlockIdFlag::Nil as i32;
    assert_eq!(verify(&s, &good, &d), Err(CommitError::VoteMismatch(3)));
    // Validator differs.
    let mut d = decided.clone();
    d.votes[1].validator.as_mut().unwrap().address = v[0].address.to_vec().into();
    assert_eq!(verify(&s, &good, &d), Err(CommitError::VoteMismatch(1)));
    // Votes reordered.
    let mut d = decided.clone();
    d.votes.swap(0, 1);
    assert_eq!(verify(&s, &good, &d), Err(CommitError::VoteMismatch(0)));
    // No validator on either side.
    let mut info = good.clone();
    info.votes[0].validator = None;
    let d = commit::commit_info_of(&info);
    assert_eq!(verify(&s, &info, &d), Err(CommitError::Address(0)));
    // An address that is not 20 bytes, on both sides.
    let mut info = good.clone();
    info.votes[1].validator.as_mut().unwrap().address = vec![1u8; 32].into();
    let d = commit::commit_info_of(&info);
    assert_eq!(verify(&s, &info, &d), Err(CommitError::Address(1)));
}

#[test]
fn verify_ignores_unknown_validators_and_bad_keys_and_rejects_stray_extensions() {
    let v = vals(&[10, 20, 30, 40]);
    let mut s = state_with(&Params::DEFAULT, &[1, 2], &[]);
    register(&mut s, &v[..3]);
    let good = full_commit(&v, 0);
    let decided = commit::commit_info_of(&good);
    // Validator 3 (40 of 100) has no known key: its vote does not count, 60/100 is short.
    assert_eq!(
        verify(&s, &good, &decided),
        Err(CommitError::NotEnoughPower {
            signed: 60,
            total: 100
        })
    );
    // Validator 0 (10 of 100) without a key: ignored, 90/100 stands.
    let mut s0 = state_with(&Params::DEFAULT, &[1, 2], &[]);
    register(&mut s0, &v[1..]);
    assert_ignored(verify(&s0, &good, &decided), 0, VoteFault::UnknownValidator);
    // Unknown but absent: no key needed.
    let mut info = good.clone();
    info.votes[0] = unsigned_vote(&v[0], BlockIdFlag::Absent);
    let got = verify(&s0, &info, &commit::commit_info_of(&info)).unwrap();
    assert!(got.ignored.is_empty());
    assert_eq!(got.votes.len(), 3);

    // A stored key that is not a curve point.
    let bad_key = (0u8..=255)
        .map(|b| {
            let mut k = [0u8; 32];
            k[0] = b;
            k[1] = 0x55;
            k
        })
        .find(|k| ed25519_dalek::VerifyingKey::from_bytes(k).is_err())
        .expect("half of all y coordinates are off the curve");
    register(&mut s, &v[3..]);
    s.put_consensus_key(&v[0].address, &bad_key);
    assert_ignored(verify(&s, &good, &decided), 0, VoteFault::BadKey);
    register(&mut s, &v[..1]);
    assert!(verify(&s, &good, &decided).unwrap().ignored.is_empty());

    // Nil or absent votes must carry neither an extension nor a signature.
    for flag in [BlockIdFlag::Nil, BlockIdFlag::Absent] {
        let mut info = good.clone();
        info.votes[1].block_id_flag = flag as i32;
        let d = commit::commit_info_of(&info);
        assert_eq!(verify(&s, &info, &d), Err(CommitError::StrayExtension(1)));
        info.votes[1].extension_signature = Default::default();
        assert_eq!(verify(&s, &info, &d), Err(CommitError::StrayExtension(1)));
        info.votes[1].vote_extension = Default::default();
        info.votes[1].extension_signature = vec![7u8; 64].into();
        assert_eq!(verify(&s, &info, &d), Err(CommitError::StrayExtension(1)));
        info.votes[1].extension_signature = Default::default();
        assert!(verify(&s, &info, &d).is_ok());
    }
}

#[test]
fn verify_needs_more_than_two_thirds_of_the_power() {
    // Exactly 2/3 signed: rejected.
    let v = vals(&[20, 20, 10, 10]);
    let mut s = state_with(&Params::DEFAULT, &[1, 2], &[]);
    register(&mut s, &v);
    let mut info = full_commit(&v, 0);
    info.votes[2] = unsigned_vote(&v[2], BlockIdFlag::Absent);
    info.votes[3] = unsigned_vote(&v[3], BlockIdFlag::Nil);
    assert_eq!(
        verify(&s, &info, &commit::commit_info_of(&info)),
        Err(CommitError::NotEnoughPower {
            signed: 40,
            total: 60
        })
    );
    // One power unit less outside the signers: 40 of 59 > 2/3.
    let v = vals(&[20, 20, 10, 9]);
    let mut s = state_with(&Params::DEFAULT, &[1, 2], &[]);
    register(&mut s, &v);
    let mut info = full_commit(&v, 0);
    info.votes[2] = unsigned_vote(&v[2], BlockIdFlag::Absent);
    info.votes[3] = unsigned_vote(&v[3], BlockIdFlag::Nil);
    let got = verify(&s, &info, &commit::commit_info_of(&info)).unwrap();
    assert_eq!(got.total_power, 59);
    assert_eq!(got.votes.len(), 2);
    // Four equal validators: 3 of 4 pass, 2 of 4 do not.
    let v = vals(&[1, 1, 1, 1]);
    let mut s = state_with(&Params::DEFAULT, &[1, 2], &[]);
    register(&mut s, &v);
    let mut info = full_commit(&v, 0);
    info.votes[0] = unsigned_vote(&v[0], BlockIdFlag::Absent);
    assert!(verify(&s, &info, &commit::commit_info_of(&info)).is_ok());
    info.votes[1] = unsigned_vote(&v[1], BlockIdFlag::Absent);
    assert_eq!(
        verify(&s, &info, &commit::commit_info_of(&info)),
        Err(CommitError::NotEnoughPower {
            signed: 2,
            total: 4
        })
    );
    // Huge powers do not overflow: 2·(i64::MAX/4) of 3·(i64::MAX/4) is exactly 2/3.
    let q = i64::MAX / 4;
    let v = vals(&[q, q, q]);
    let mut s = state_with(&Params::DEFAULT, &[1, 2], &[]);
    register(&mut s, &v);
    let mut info = full_commit(&v, 0);
    info.votes[2] = unsigned_vote(&v[2], BlockIdFlag::Absent);
    assert_eq!(
        verify(&s, &info, &commit::commit_info_of(&info)),
        Err(CommitError::NotEnoughPower {
            signed: 2 * q,
            total: 3 * q
        })
    );
}

#[test]
fn verify_ignores_a_signed_extension_that_fails_check_structure() {
    let (s, v) = four();
    let mut info = full_commit(&v, 0);
    let mut unsorted = ext_of(2);
    unsorted.reports.swap(0, 1);
    info.votes[2] = signed_vote(&v[2], &v[2].key, 0, &unsorted.encode_to_vec());
    assert_ignored(
        verify(&s, &info, &commit::commit_info_of(&info)),
        2,
        VoteFault::Extension(ExtensionError::Unsorted(1)),
    );
    let mut other_height = ext_of(1);
    other_height.height = H - 1;
    info.votes[2] = signed_vote(&v[2], &v[2].key, 0, &other_height.encode_to_vec());
    assert_ignored(
        verify(&s, &info, &commit::commit_info_of(&info)),
        2,
        VoteFault::Extension(ExtensionError::Height {
            found: H - 1,
            expected: H,
        }),
    );
    let garbage = vec![0xffu8; 8];
    info.votes[2] = signed_vote(&v[2], &v[2].key, 0, &garbage);
    let got = verify(&s, &info, &commit::commit_info_of(&info)).unwrap();
    assert!(matches!(
        got.ignored.as_slice(),
        [IgnoredVote {
            index: 2,
            fault: VoteFault::Extension(ExtensionError::Decode(_)),
            ..
        }]
    ));
    let mut unknown = ext_of(2).encode_to_vec();
    unknown.extend_from_slice(&[0x28, 0x01]);
    info.votes[2] = signed_vote(&v[2], &v[2].key, 0, &unknown);
    assert_ignored(
        verify(&s, &info, &commit::commit_info_of(&info)),
        2,
        VoteFault::Extension(ExtensionError::NotCanonical),
    );
}

#[test]
fn injected_tx_round_trips_and_is_never_a_cosmos_tx() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{Tx, TxBody, TxRaw};
    let (s, v) = four();
    let info = full_commit(&v, 0);
    let tx = commit::encode_injected(&info);
    assert!(commit::is_injected(&tx));
    assert!(tx.starts_with(b"pol/latency-report/v1\0"));
    assert_eq!(commit::decode_injected(&tx), Ok(info.clone()));
    let decided = commit::commit_info_of(&info);
    let decoded = commit::decode_injected(&tx).unwrap();
    assert!(verify(&s, &decoded, &decided).is_ok());

    assert_eq!(
        commit::decode_injected(&tx[1..]),
        Err(CommitError::Decode("missing prefix".into()))
    );
    let mut garbage = commit::INJECTED_TX_PREFIX.to_vec();
    garbage.extend_from_slice(&[0xff, 0xff]);
    assert!(commit::is_injected(&garbage));
    assert!(matches!(
        commit::decode_injected(&garbage),
        Err(CommitError::Decode(_))
    ));
    // The bare prefix is an empty commit.
    assert_eq!(
        commit::decode_injected(commit::INJECTED_TX_PREFIX),
        Ok(ExtendedCommitInfo::default())
    );
    // Padding (an unknown field) or a field written twice: the same content, another
    // encoding, refused.
    let mut padded = tx.clone();
    padded.extend_from_slice(&[0x48, 0x01]);
    assert_eq!(
        commit::decode_injected(&padded),
        Err(CommitError::NotCanonical)
    );
    let mut twice = tx.clone();
    twice.extend_from_slice(&[0x08, 0x00]);
    assert_eq!(
        commit::decode_injected(&twice),
        Err(CommitError::NotCanonical)
    );

    // A real Cosmos TxRaw (field 1, wire type 2: 0x0a) is never taken for the injection.
    let raw = TxRaw {
        body_bytes: TxBody {
            memo: "pol/latency-report/v1".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        auth_info_bytes: vec![1, 2, 3],
        signatures: vec![vec![0; 64]],
    }
    .encode_to_vec();
    assert!(!commit::is_injected(&raw));

    // Whatever follows the prefix, the injection never decodes as a TxRaw or a Tx.
    let mut rng = StdRng::seed_from_u64(5);
    let mut bodies = vec![tx.clone(), commit::INJECTED_TX_PREFIX.to_vec()];
    for _ in 0..200 {
        let mut t = commit::INJECTED_TX_PREFIX.to_vec();
        let n = rng.gen_range(0..64);
        t.extend((0..n).map(|_| rng.gen::<u8>()));
        bodies.push(t);
    }
    for t in &bodies {
        assert!(TxRaw::decode(t.as_slice()).is_err(), "{}", hex::encode(t));
        assert!(Tx::decode(t.as_slice()).is_err(), "{}", hex::encode(t));
    }
    // Why: after `p` (0x70: field 14, varint) comes `o` (0x6f, its one-byte value), then
    // `l` (0x6c: field 13, wire type 4 = end group), which no decoder accepts at top level.
    assert_eq!(&commit::INJECTED_TX_PREFIX[..3], &[0x70, 0x6f, 0x6c]);
    assert!(
        TxRaw::decode(&[0x70u8, 0x6f][..]).is_ok(),
        "field 14 alone is skipped"
    );
}

// ---------------------------------------------------------------------------------------
// aggregate::weighted_median
// ---------------------------------------------------------------------------------------

fn wm(entries: &[(u32, i64)]) -> Option<u32> {
    let e: Vec<_> = entries
        .iter()
        .enumerate()
        .map(|(i, &(v, w))| (v, w, p(i as u8)))
        .collect();
    weighted_median(&e)
}

#[test]
fn weighted_median_exact_values() {
    assert_eq!(wm(&[]), None);
    assert_eq!(wm(&[(5, 0), (6, 0)]), None);
    assert_eq!(wm(&[(5, -3)]), None);
    assert_eq!(wm(&[(42, 1)]), Some(42));
    // Equal powers: the lower median.
    assert_eq!(wm(&[(30, 1), (10, 1), (20, 1)]), Some(20));
    assert_eq!(wm(&[(40, 1), (30, 1), (10, 1), (20, 1)]), Some(20));
    assert_eq!(wm(&[(10, 1), (20, 1)]), Some(10));
    // Skewed powers.
    assert_eq!(wm(&[(10, 1), (20, 1), (1_000, 5)]), Some(1_000));
    assert_eq!(wm(&[(10, 5), (20, 1), (30, 1)]), Some(10));
    assert_eq!(wm(&[(10, 1), (20, 1), (30, 2)]), Some(20));
    assert_eq!(wm(&[(10, 1), (20, 2), (30, 2)]), Some(20));
    assert_eq!(wm(&[(10, 2), (20, 1), (30, 2)]), Some(20));
    // Zero and negative power entries are ignored.
    assert_eq!(
        wm(&[(1, 0), (2, -100), (100, 1), (200, 1), (300, 1)]),
        Some(200)
    );
    assert_eq!(wm(&[(0, 0), (7, 3)]), Some(7));
    // Extreme values and powers.
    assert_eq!(wm(&[(u32::MAX, i64::MAX), (0, i64::MAX)]), Some(0));
    assert_eq!(
        wm(&[(u32::MAX, i64::MAX), (0, i64::MAX - 1)]),
        Some(u32::MAX)
    );
}

#[test]
fn weighted_median_ties_and_order_independence() {
    // Same value from several validators: the tiebreak orders them, the value is the same.
    let e = vec![(50, 1, p(9)), (50, 1, p(1)), (10, 1, p(5)), (90, 1, p(3))];
    assert_eq!(weighted_median(&e), Some(50));
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let n = rng.gen_range(1..12);
        let mut e: Vec<(u32, i64, [u8; 20])> = (0..n)
            .map(|i| (rng.gen_range(0..5) * 10, rng.gen_range(0..4), p(i as u8)))
            .collect();
        let want = weighted_median(&e);
        for _ in 0..5 {
            e.shuffle(&mut rng);
            assert_eq!(weighted_median(&e), want);
        }
        // Brute force: the smallest value v with power(≤ v)·2 ≥ total.
        let total: i64 = e.iter().filter(|x| x.1 > 0).map(|x| x.1).sum();
        let brute = (0..=40).step_by(10).find(|&v| {
            let below: i64 = e.iter().filter(|x| x.1 > 0 && x.0 <= v).map(|x| x.1).sum();
            total > 0 && below * 2 >= total
        });
        assert_eq!(want, brute, "{e:?}");
    }
}

#[test]
fn weighted_median_stays_within_honest_reports_when_honest_hold_a_majority() {
    let mut rng = StdRng::seed_from_u64(0x5EED);
    for round in 0..2_000 {
        let honest_n = rng.gen_range(1..10);
        let liar_n = rng.gen_range(0..10);
        let truth: u32 = rng.gen_range(1_000..200_000);
        let mut entries = Vec::new();
        let mut honest_power = 0i64;
        let mut honest_values = Vec::new();
        for i in 0..honest_n {
            let w = rng.gen_range(1..1_000);
            honest_power += w;
            let v = truth + rng.gen_range(0..truth / 10);
            honest_values.push(v);
            entries.push((v, w, p(i as u8)));
        }
        // Liars hold strictly less than the honest power (so honest > 1/2 of it all).
        let mut left = honest_power - 1;
        for i in 0..liar_n {
            if left <= 0 {
                break;
            }
            let w = rng.gen_range(1..=left);
            left -= w;
            let v = match rng.gen_range(0..4) {
                0 => 0,
                1 => u32::MAX,
                2 => truth / 2,
                _ => rng.gen(),
            };
            entries.push((v, w, p(100 + i as u8)));
        }
        // Some zero-power voices, which must not matter.
        entries.push((0, 0, p(250)));
        entries.push((u32::MAX, 0, p(251)));
        entries.shuffle(&mut rng);
        let m = weighted_median(&entries).unwrap();
        let lo = *honest_values.iter().min().unwrap();
        let hi = *honest_values.iter().max().unwrap();
        assert!(
            lo <= m && m <= hi,
            "round {round}: {m} outside [{lo}, {hi}]"
        );
    }
}

#[test]
fn failure_rate_is_parts_per_million() {
    assert_eq!(failure_rate_ppm(0, 0), 0);
    assert_eq!(failure_rate_ppm(0, 10), 0);
    assert_eq!(failure_rate_ppm(1, 3), 333_333);
    assert_eq!(failure_rate_ppm(10, 10), 1_000_000);
    assert_eq!(failure_rate_ppm(99, 10), 1_000_000);
    assert_eq!(failure_rate_ppm(u32::MAX, u32::MAX), 1_000_000);
}

// ---------------------------------------------------------------------------------------
// aggregate::apply, take_epoch
// ---------------------------------------------------------------------------------------

fn v_addr(i: u8) -> [u8; 20] {
    [0xa0 + i; 20]
}

fn vote(i: u8, power: i64, reports: Vec<ProviderReport>, receipts: Vec<Receipt>) -> VerifiedVote {
    VerifiedVote {
        validator: v_addr(i),
        power,
        extension: VoteExtension {
            height: H,
            reports,
            receipts,
            evidence: None,
        },
        unbacked: None,
    }
}

/// Four validators (powers 10, 20, 30, 40) reporting on providers 1 (active), 2 (active),
/// 4 (jailed) and 5 (unregistered).
fn scenario() -> VerifiedCommit {
    VerifiedCommit {
        validators: (1..=4).map(|i| (v_addr(i), 10 * i64::from(i))).collect(),
        height: H,
        total_power: 100,
        ignored: Vec::new(),
        votes: vec![
            vote(
                1,
                10,
                vec![
                    report(1, 100, 0, 4_000, 10_000, 11_000),
                    report(2, 50, 1, 9_000, 20_000, 30_000),
                    report(4, 10, 0, 1, 2, 3),
                    report(5, 10, 0, 1, 2, 3),
                ],
                vec![receipt(1, 1)],
            ),
            vote(
                2,
                20,
                vec![
                    report(1, 100, 1, 5_000, 12_000, 13_000),
                    // All failed: counts as max_latency_us and a failure rate of 10⁶.
                    report(2, 10, 10, 0, 0, 0),
                    report(4, 10, 0, 1, 2, 3),
                ],
                vec![],
            ),
            vote(
                3,
                30,
                vec![
                    report(1, 100, 2, 4_500, 11_000, 12_000),
                    report(2, 40, 0, 10_000, 25_000, 26_000),
                ],
                vec![receipt(2, 7), receipt(1, 8)],
            ),
            vote(
                4,
                40,
                vec![
                    report(1, 100, 50, 20_000, 50_000, 60_000),
                    report(2, 30, 0, 9_500, 21_000, 22_000),
                ],
                vec![],
            ),
        ],
    }
}

fn vreport(
    i: u8,
    power: i64,
    samples: u32,
    failures: u32,
    lat: (u32, u32, u32),
    rate: u32,
    outlier: bool,
) -> pb::ValidatorReport {
    pb::ValidatorReport {
        validator: v_addr(i).to_vec(),
        power,
        samples,
        failures,
        p50_us: lat.0,
        p99_us: lat.1,
        max_us: lat.2,
        failure_rate_ppm: rate,
        outlier,
        offset_us: 0,
        unbacked: false,
    }
}

/// Default parameters with no geographic offset: reports judged by their distance from the
/// median alone, which the exact tests below pin down.
fn by_distance() -> Params {
    Params {
        max_geo_offset_us: 0,
        ..Params::DEFAULT
    }
}

#[test]
fn apply_computes_exact_aggregates_outliers_and_measurer_counts() {
    let mut s = state_with(&by_distance(), &[1, 2], &[(4, ProviderStatus::Jailed)]);
    let commit = scenario();
    let mut out = aggregate::apply(&mut s, &commit).unwrap();
    assert_eq!(out.aggregates, 2);
    // Only the receipts of the height's carrier count.
    let carrier = probe_receipts::carrier(H, &commit.validators).unwrap();
    let brought = |i: u8| match i {
        1 => vec![receipt(1, 1)],
        3 => vec![receipt(2, 7), receipt(1, 8)],
        _ => vec![],
    };
    let i = carrier[0] - 0xa0;
    assert_eq!(out.carrier, Some((carrier, 10 * i64::from(i))));
    assert_eq!(out.receipts, brought(i));

    let m = Params::DEFAULT.max_latency_us;
    // Provider 1: p99 sorted 10000(10) 11000(30) 12000(20) 50000(40), half of 100 reached
    // at 12000. Rates 0(10) 10000(20) 20000(30) 500000(40): 20000. p50 4000(10) 4500(30)
    // 5000(20) 20000(40): 5000. Validator 4 is far on both.
    let a1 = s.aggregate(&p(1)).unwrap().unwrap();
    assert_eq!(
        a1,
        pb::ProviderAggregate {
            provider: Address(p(1)).to_string(),
            height: H,
            p99_us: 12_000,
            failure_rate_ppm: 20_000,
            p50_us: 5_000,
            reporters: 4,
            reporting_power: 100,
            total_power: 100,
            reports: vec![
                vreport(1, 10, 100, 0, (4_000, 10_000, 11_000), 0, false),
                vreport(2, 20, 100, 1, (5_000, 12_000, 13_000), 10_000, false),
                vreport(3, 30, 100, 2, (4_500, 11_000, 12_000), 20_000, false),
                vreport(4, 40, 100, 50, (20_000, 50_000, 60_000), 500_000, true),
            ],
        }
    );
    // Provider 2: p99 20000(10) 21000(40) 25000(30) max(20): reaches 50 of 100 at 21000.
    // Rates 0(30) 0(40) 20000(10) 10⁶(20): 0. p50 9000(10) 9500(40): 9500.
    let a2 = s.aggregate(&p(2)).unwrap().unwrap();
    assert_eq!(
        a2,
        pb::ProviderAggregate {
            provider: Address(p(2)).to_string(),
            height: H,
            p99_us: 21_000,
            failure_rate_ppm: 0,
            p50_us: 9_500,
            reporters: 4,
            reporting_power: 100,
            total_power: 100,
            reports: vec![
                vreport(1, 10, 50, 1, (9_000, 20_000, 30_000), 20_000, false),
                vreport(2, 20, 10, 10, (m, m, m), 1_000_000, true),
                vreport(3, 30, 40, 0, (10_000, 25_000, 26_000), 0, false),
                vreport(4, 40, 30, 0, (9_500, 21_000, 22_000), 0, false),
            ],
        }
    );
    // Jailed and unknown providers: nothing.
    assert_eq!(s.aggregate(&p(4)).unwrap(), None);
    assert_eq!(s.aggregate(&p(5)).unwrap(), None);
    assert_eq!(s.epoch_accumulator(&p(4)).unwrap(), None);

    // Measurers: reports counted only for aggregated providers.
    let ms = s.measurers().unwrap();
    let counts: Vec<_> = ms
        .iter()
        .map(|m| {
            (
                m.validator.clone(),
                m.reports,
                m.outliers,
                m.epoch_reports,
                m.epoch_outliers,
                m.last_height,
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            (v_addr(1).to_vec(), 2, 0, 2, 0, H),
            (v_addr(2).to_vec(), 2, 1, 2, 1, H),
            (v_addr(3).to_vec(), 2, 0, 2, 0, H),
            (v_addr(4).to_vec(), 2, 1, 2, 1, H),
        ]
    );

    // Events: one aggregate per provider, one outlier event per validator with outliers,
    // each legacy event followed by its typed twin.
    let typed: Vec<_> = out
        .events
        .iter()
        .skip(1)
        .step_by(2)
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        typed,
        [
            "pol.latency.v1.EventLatencyAggregate",
            "pol.latency.v1.EventLatencyAggregate",
            "pol.latency.v1.EventLatencyOutlier",
            "pol.latency.v1.EventLatencyOutlier"
        ]
    );
    assert_eq!(
        out.events[1].attributes.iter().find(|(k, _)| k == "p99_us"),
        Some(&("p99_us".to_string(), "\"12000\"".to_string()))
    );
    out.events.retain(|e| !e.is_typed());
    let kinds: Vec<_> = out.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "latency_aggregate",
            "latency_aggregate",
            "latency_outlier",
            "latency_outlier"
        ]
    );
    let attrs = |i: usize| -> BTreeMap<String, String> {
        out.events[i].attributes.iter().cloned().collect()
    };
    assert_eq!(attrs(0)["provider"], Address(p(1)).to_string());
    assert_eq!(attrs(0)["p99_us"], "12000");
    assert_eq!(attrs(0)["failure_rate_ppm"], "20000");
    assert_eq!(attrs(0)["reporters"], "4");
    assert_eq!(attrs(0)["height"], H.to_string());
    assert_eq!(attrs(2)["validator"], hex::encode_upper(v_addr(2)));
    assert_eq!(attrs(2)["outliers"], "1");
    assert_eq!(attrs(2)["reports"], "2");
    assert_eq!(attrs(3)["validator"], hex::encode_upper(v_addr(4)));

    // Epoch accumulators hold this block.
    let acc = s.epoch_accumulator(&p(1)).unwrap().unwrap();
    assert_eq!(
        acc,
        pb::EpochAccumulator {
            provider: Address(p(1)).to_string(),
            blocks: 1,
            sum_p99_us: 12_000,
            sum_failure_rate_ppm: 20_000,
            max_p99_us: 12_000,
        }
    );
}

#[test]
fn apply_outlier_bounds_are_exact() {
    // Median p99 100000 (three validators of power 10 at 100000), threshold 100 %: a report
    // is an outlier when it is more than twice the median (above 200000) or less than half
    // of it (below 50000); 0 always is. Failure-rate bound 250000 ppm.
    let no_floor = Params {
        outlier_min_us: 0,
        ..by_distance()
    };
    let mut s = state_with(&no_floor, &[1], &[]);
    let probe = |s: &mut State, p99: u32, failures: u32, height: u64| -> bool {
        let mut votes: Vec<_> = (1..=3)
            .map(|i| vote(i, 10, vec![report(1, 100, 0, 1, 100_000, 100_000)], vec![]))
            .collect();
        votes.push(vote(
            9,
            1,
            vec![report(1, 100, failures, p99.min(1), p99, p99)],
            vec![],
        ));
        let c = VerifiedCommit {
            validators: Vec::new(),
            height,
            ignored: Vec::new(),
            total_power: 31,
            votes,
        };
        aggregate::apply(s, &c).unwrap();
        let a = s.aggregate(&p(1)).unwrap().unwrap();
        assert_eq!(a.p99_us, 100_000);
        assert_eq!(a.failure_rate_ppm, 0);
        a.reports[3].outlier
    };
    assert!(!probe(&mut s, 200_000, 0, 1));
    assert!(probe(&mut s, 200_001, 0, 2));
    assert!(!probe(&mut s, 50_000, 0, 3));
    assert!(probe(&mut s, 49_999, 0, 4));
    assert!(probe(&mut s, 0, 0, 5));
    assert!(!probe(&mut s, 100_000, 25, 6));
    assert!(probe(&mut s, 100_000, 26, 7));

    // A tighter threshold (10 %): above 110000, or below 100000 / 1.1 = 90909.09.
    let params = Params {
        outlier_threshold_ppm: 100_000,
        ..no_floor
    };
    s.put_latency_params(&params);
    assert!(!probe(&mut s, 110_000, 0, 8));
    assert!(probe(&mut s, 110_001, 0, 9));
    assert!(!probe(&mut s, 90_910, 0, 10));
    assert!(probe(&mut s, 90_909, 0, 11));
    // With an absolute floor of 20 ms, 110001 and 90909 (10 ms off) are noise again, and
    // 120001 / 79999 (20 ms off and beyond 10 %) still stand out.
    s.put_latency_params(&Params {
        outlier_min_us: 20_000,
        ..params
    });
    assert!(!probe(&mut s, 110_001, 0, 12));
    assert!(!probe(&mut s, 90_909, 0, 13));
    assert!(!probe(&mut s, 120_000, 0, 14));
    assert!(probe(&mut s, 120_001, 0, 15));
    assert!(probe(&mut s, 79_999, 0, 16));
    let m = s.measurer(&v_addr(9)).unwrap().unwrap();
    assert_eq!((m.reports, m.outliers), (16, 8));
}

#[test]
fn apply_min_samples_and_zero_power() {
    let params = Params {
        min_samples: 10,
        outlier_min_us: 0,
        ..by_distance()
    };
    let mut s = state_with(&params, &[1, 2, 3], &[]);
    // 9 of the 29 did not vote: the 20 reporting on provider 2 are more than 2/3.
    let c = VerifiedCommit {
        validators: Vec::new(),
        height: H,
        ignored: Vec::new(),
        total_power: 29,
        votes: vec![
            vote(
                1,
                10,
                vec![report(1, 9, 0, 1, 10, 10), report(2, 10, 0, 1, 20, 20)],
                vec![],
            ),
            vote(
                2,
                10,
                vec![report(1, 9, 0, 1, 10, 10), report(2, 11, 0, 1, 30, 30)],
                vec![],
            ),
            // Zero power: its report is kept in the aggregate but weighs nothing.
            vote(
                3,
                0,
                vec![report(2, 50, 0, 1, 999, 999), report(3, 50, 0, 1, 7, 7)],
                vec![],
            ),
        ],
    };
    let out = aggregate::apply(&mut s, &c).unwrap();
    assert_eq!(out.aggregates, 1);
    // Provider 1: every report below min_samples.
    assert_eq!(s.aggregate(&p(1)).unwrap(), None);
    // Provider 3: only a zero-power report, so no median.
    assert_eq!(s.aggregate(&p(3)).unwrap(), None);
    let a = s.aggregate(&p(2)).unwrap().unwrap();
    assert_eq!(a.p99_us, 20);
    assert_eq!(a.reporters, 3);
    assert_eq!(a.reporting_power, 20);
    assert!(a.reports[2].outlier);
    // Exactly min_samples counts.
    assert_eq!(a.reports[0].samples, 10);
    let counts: Vec<_> = s
        .measurers()
        .unwrap()
        .iter()
        .map(|m| (m.validator[0], m.reports, m.outliers))
        .collect();
    assert_eq!(counts, vec![(0xa1, 1, 0), (0xa2, 1, 0), (0xa3, 1, 1)]);
}

#[test]
fn apply_needs_more_than_two_thirds_of_the_power_reporting_on_a_provider() {
    let mut s = state_with(&Params::DEFAULT, &[1, 2, 3], &[]);
    let r = |b: u8| report(b, 50, 0, 1_000, 5_000, 6_000);
    // Powers 20, 20, 10, 10 (60). Provider 1: all four. Provider 2: 40 of 60, exactly
    // 2/3. Provider 3: one validator alone, claiming 900 ms.
    let c = VerifiedCommit {
        validators: Vec::new(),
        height: H,
        ignored: Vec::new(),
        total_power: 60,
        votes: vec![
            vote(1, 20, vec![r(1), r(2)], vec![]),
            vote(2, 20, vec![r(1), r(2)], vec![]),
            vote(3, 10, vec![r(1)], vec![]),
            vote(
                4,
                10,
                vec![r(1), report(3, 50, 0, 1_000, 900_000, 900_000)],
                vec![],
            ),
        ],
    };
    let out = aggregate::apply(&mut s, &c).unwrap();
    assert_eq!((out.aggregates, out.short_of_quorum), (1, 2));
    assert_eq!(s.aggregate(&p(1)).unwrap().unwrap().reporting_power, 60);
    assert_eq!(s.aggregate(&p(2)).unwrap(), None);
    assert_eq!(s.aggregate(&p(3)).unwrap(), None);
    assert_eq!(s.epoch_accumulator(&p(3)).unwrap(), None);
    // Measurers are counted only where there was an aggregate.
    let counts: Vec<_> = s
        .measurers()
        .unwrap()
        .iter()
        .map(|m| (m.validator[0], m.reports))
        .collect();
    assert_eq!(counts, vec![(0xa1, 1), (0xa2, 1), (0xa3, 1), (0xa4, 1)]);
    // One more unit of power on provider 2's side (41 of 61) is more than 2/3.
    let mut c = c;
    c.votes[0].power = 21;
    c.total_power = 61;
    let out = aggregate::apply(&mut s, &c).unwrap();
    assert_eq!((out.aggregates, out.short_of_quorum), (2, 1));
    assert_eq!(s.aggregate(&p(2)).unwrap().unwrap().reporting_power, 41);
}

fn one_provider_commit(height: u64, p99s: &[u32], failures: &[u32]) -> VerifiedCommit {
    VerifiedCommit {
        validators: Vec::new(),
        height,
        ignored: Vec::new(),
        total_power: 10 * p99s.len() as i64,
        votes: p99s
            .iter()
            .zip(failures)
            .enumerate()
            .map(|(i, (&p99, &f))| {
                vote(
                    i as u8 + 1,
                    10,
                    vec![report(1, 100, f, p99 / 2, p99, p99)],
                    vec![],
                )
            })
            .collect(),
    }
}

#[test]
fn apply_history_is_trimmed_and_newest_first() {
    let params = Params {
        history_len: 3,
        ..Params::DEFAULT
    };
    let mut s = state_with(&params, &[1], &[]);
    for h in 1..=7u64 {
        let p99 = 1_000 * h as u32;
        aggregate::apply(
            &mut s,
            &one_provider_commit(h, &[p99, p99, p99], &[0, 0, 0]),
        )
        .unwrap();
        let kept: Vec<u64> = pol_component::state::scan(&s, &state_key::history_of(&p(1)))
            .unwrap()
            .iter()
            .map(|(_, v)| pb::ProviderAggregate::decode(v.as_slice()).unwrap().height)
            .collect();
        let want: Vec<u64> = (h.saturating_sub(2).max(1)..=h).rev().collect();
        assert_eq!(kept, want, "after height {h}");
        assert_eq!(s.aggregate(&p(1)).unwrap().unwrap().height, h);
    }
    assert_eq!(s.aggregate(&p(1)).unwrap().unwrap().p99_us, 7_000);
}

#[test]
fn epoch_accumulates_and_take_epoch_resets() {
    let params = Params {
        epoch_blocks: 5,
        ..Params::DEFAULT
    };
    let mut s = state_with(&params, &[1, 2], &[]);
    // Provider 1 over three blocks: medians 10000, 30000, 20000; rates 0, 100000, 50000.
    aggregate::apply(&mut s, &one_provider_commit(1, &[10_000; 3], &[0; 3])).unwrap();
    aggregate::apply(
        &mut s,
        &one_provider_commit(2, &[30_000, 30_000, 90_000], &[10; 3]),
    )
    .unwrap();
    aggregate::apply(&mut s, &one_provider_commit(3, &[20_000; 3], &[5, 5, 5])).unwrap();
    // Provider 2 once.
    let c = VerifiedCommit {
        validators: Vec::new(),
        height: 4,
        ignored: Vec::new(),
        total_power: 10,
        votes: vec![vote(1, 10, vec![report(2, 10, 1, 3, 7, 9)], vec![])],
    };
    aggregate::apply(&mut s, &c).unwrap();

    let acc = s.epoch_accumulator(&p(1)).unwrap().unwrap();
    assert_eq!(
        (
            acc.blocks,
            acc.sum_p99_us,
            acc.sum_failure_rate_ppm,
            acc.max_p99_us
        ),
        (3, 60_000, 150_000, 30_000)
    );
    let summary = aggregate::take_epoch(&mut s, 5).unwrap();
    assert_eq!(
        summary,
        aggregate::EpochSummary {
            epoch: 1,
            providers: vec![
                aggregate::ProviderEpoch {
                    provider: p(1),
                    blocks: 3,
                    mean_p99_us: 20_000,
                    max_p99_us: 30_000,
                    mean_failure_rate_ppm: 50_000,
                },
                aggregate::ProviderEpoch {
                    provider: p(2),
                    blocks: 1,
                    mean_p99_us: 7,
                    max_p99_us: 7,
                    mean_failure_rate_ppm: 100_000,
                },
            ],
            // Validator 3 was an outlier once (90000 against 30000).
            measurers: vec![
                aggregate::MeasurerEpoch {
                    validator: v_addr(1),
                    reports: 4,
                    outliers: 0,
                    excused: false
                },
                aggregate::MeasurerEpoch {
                    validator: v_addr(2),
                    reports: 3,
                    outliers: 0,
                    excused: false
                },
                aggregate::MeasurerEpoch {
                    validator: v_addr(3),
                    reports: 3,
                    outliers: 1,
                    excused: false
                },
            ],
            served: vec![],
        }
    );
    assert!(s.epoch_accumulators().unwrap().is_empty());

    // A second take at once: no providers, measurers with zero counts; lifetime counts kept.
    let again = aggregate::take_epoch(&mut s, 10).unwrap();
    assert_eq!(again.epoch, 2);
    assert!(again.providers.is_empty());
    assert_eq!(
        again
            .measurers
            .iter()
            .map(|m| (m.validator, m.reports, m.outliers))
            .collect::<Vec<_>>(),
        vec![(v_addr(1), 0, 0), (v_addr(2), 0, 0), (v_addr(3), 0, 0)]
    );
    let m3 = s.measurer(&v_addr(3)).unwrap().unwrap();
    assert_eq!((m3.reports, m3.outliers, m3.last_height), (3, 1, 3));
    // History and latest aggregates are untouched by the epoch.
    assert_eq!(s.aggregate(&p(1)).unwrap().unwrap().height, 3);

    // The next epoch starts from zero.
    aggregate::apply(&mut s, &one_provider_commit(6, &[8_000; 3], &[0; 3])).unwrap();
    let acc = s.epoch_accumulator(&p(1)).unwrap().unwrap();
    assert_eq!(
        (acc.blocks, acc.sum_p99_us, acc.max_p99_us),
        (1, 8_000, 8_000)
    );
}

#[test]
fn apply_accepts_verified_commit_end_to_end() {
    // From signed extensions built by `build` through `verify` to `apply`.
    let v = vals(&[10, 20, 30, 40]);
    let mut s = state_with(&Params::DEFAULT, &[1, 2, 3], &[]);
    register(&mut s, &v);
    let votes = v
        .iter()
        .enumerate()
        .map(|(i, val)| {
            let i = i as u32;
            let e = extension::build(
                H,
                vec![
                    window(3, 40, 0, 2_000 + i, 6_000 + i, 7_000 + i),
                    window(1, 40, i, 1_000, 5_000 + 1_000 * i, 9_000),
                ],
                vec![receipt(1, u64::from(i))],
                &Params::DEFAULT,
                |_| true,
            );
            signed_vote(val, &val.key, 0, &e.encode_to_vec())
        })
        .collect();
    let info = ExtendedCommitInfo { round: 0, votes };
    let tx = commit::encode_injected(&info);
    let decided = commit::commit_info_of(&info);
    let checked = verify(&s, &commit::decode_injected(&tx).unwrap(), &decided).unwrap();
    let out = aggregate::apply(&mut s, &checked).unwrap();
    assert_eq!(out.aggregates, 2);
    // Only the carrier's receipt (each vote brought one).
    let carrier = probe_receipts::carrier(H, &checked.validators).unwrap();
    let i = v.iter().position(|val| val.address == carrier).unwrap();
    assert_eq!(out.carrier, Some((carrier, v[i].power)));
    assert_eq!(out.receipts, vec![receipt(1, i as u64)]);
    // p99 5000(10) 6000(20) 7000(30) 8000(40): 7000 at 60 of 100.
    assert_eq!(s.aggregate(&p(1)).unwrap().unwrap().p99_us, 7_000);
    assert_eq!(s.aggregate(&p(3)).unwrap().unwrap().p99_us, 6_002);
    assert_eq!(s.aggregate(&p(2)).unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// genesis
// ---------------------------------------------------------------------------------------

fn populated() -> State {
    let params = Params {
        history_len: 4,
        ..Params::DEFAULT
    };
    let mut s = state_with(&params, &[1, 2], &[]);
    register(&mut s, &vals(&[1, 2, 3]));
    for h in 1..=6 {
        aggregate::apply(
            &mut s,
            &one_provider_commit(h, &[1_000, 2_000 * h as u32, 3_000], &[0, 1, 2]),
        )
        .unwrap();
    }
    // Requester-side reports: one summarised at the epoch's end, one pending.
    open_channel(&mut s, CHANNEL, REQUESTER, 1, 1_000_000);
    let report = |s: &mut State, amount| {
        let m = served_msg(
            REQUESTER,
            paid_receipt(1, CHANNEL, amount, &worker_key(1)),
            40,
        );
        report_served(s, &m).unwrap()
    };
    report(&mut s, 200_000);
    aggregate::take_epoch(&mut s, 5).unwrap();
    report(&mut s, 300_000);
    aggregate::apply(&mut s, &scenario()).unwrap();
    s.put_last_block(&voted_block());
    probe_receipts::count(&mut s, &p(1), &v_addr(2)).unwrap();
    s
}

#[test]
fn genesis_export_then_init_reproduces_the_state() {
    let s = populated();
    let exported = GenesisState::export(&s).unwrap();
    assert_eq!(exported.validate(), Ok(()));
    assert_eq!(exported.consensus_keys.len(), 3);
    // Provider 1: heights 6, 5, 4, 77 kept (history_len 4); provider 2: 77.
    assert_eq!(exported.aggregates.len(), 5);
    assert_eq!(exported.measurers.len(), 4);
    assert_eq!(exported.epoch_accumulators.len(), 2);
    assert_eq!(
        (exported.served_reports.len(), exported.served.len()),
        (1, 1)
    );
    assert_eq!(exported.served_channels[0].reported, "300000");

    let json = serde_json::to_string_pretty(&exported).unwrap();
    let parsed: GenesisState = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, exported);
    // Bytes are hex in JSON.
    assert!(json.contains(&hex::encode(v_addr(1))));

    let mut fresh = State::new(MemState::default());
    parsed.init(&mut fresh, &Default::default()).unwrap();
    let before = latency_kv(&s);
    let after = latency_kv(&fresh);
    assert_eq!(before.len(), after.len());
    assert_eq!(before, after);
    assert_eq!(GenesisState::export(&fresh).unwrap(), exported);

    // The default genesis validates, round-trips and initializes to the params alone.
    let d = crate::genesis::default_genesis();
    assert_eq!(d.validate(), Ok(()));
    let back: GenesisState = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
    assert_eq!(back, d);
    let empty: GenesisState = serde_json::from_str("{}").unwrap();
    assert_eq!(empty, d);
    let mut fresh = State::new(MemState::default());
    d.init(&mut fresh, &Default::default()).unwrap();
    assert_eq!(latency_kv(&fresh).len(), 1);
    assert_eq!(fresh.latency_params().unwrap(), Params::DEFAULT);
    assert!(serde_json::from_str::<GenesisState>(r#"{"bogus": 1}"#).is_err());
    assert!(serde_json::from_str::<GenesisState>(r#"{"params": {"bogus": 1}}"#).is_err());
}

#[test]
fn genesis_validate_rejects_bad_records() {
    let good = GenesisState::export(&populated()).unwrap();
    let bad = |f: &dyn Fn(&mut GenesisState)| {
        let mut g = good.clone();
        f(&mut g);
        let e = g.validate().unwrap_err();
        assert!(e.starts_with("latency"), "{e}");
        let mut s = State::new(MemState::default());
        assert!(g.init(&mut s, &Default::default()).is_err());
        assert!(latency_kv(&s).is_empty(), "init wrote before failing");
        e
    };
    assert!(bad(&|g| g.params_mut().history_len = 0).contains("history_len"));
    assert!(bad(&|g| {
        let k = g.consensus_keys[0].clone();
        g.consensus_keys.push(k)
    })
    .contains("twice"));
    assert!(bad(&|g| {
        g.consensus_keys[1].address.pop();
    })
    .contains("20 bytes"));
    assert!(bad(&|g| g.consensus_keys[1].ed25519.push(0)).contains("32 bytes"));
    assert!(bad(&|g| {
        let a = g.aggregates[0].clone();
        g.aggregates.push(a)
    })
    .contains("twice"));
    assert!(bad(&|g| g.aggregates[0].provider = "cosmos1xyz".into()).contains("provider"));
    assert!(bad(&|g| g.aggregates[1].reports[0].validator.push(1)).contains("20 bytes"));
    assert!(bad(&|g| {
        let m = g.measurers[2].clone();
        g.measurers.push(m)
    })
    .contains("twice"));
    assert!(bad(&|g| g.measurers[0].validator = vec![1; 32]).contains("20 bytes"));
    assert!(bad(&|g| {
        let e = g.epoch_accumulators[0].clone();
        g.epoch_accumulators.push(e)
    })
    .contains("twice"));
    assert!(bad(&|g| g.epoch_accumulators[0].provider = String::new()).contains("provider"));
    let counted = |g: &mut GenesisState| {
        g.probe_receipts = vec![pb::ProbeReceipts {
            provider: p(1).to_vec(),
            recorded: 3,
            carriers: vec![
                pb::ProbeCarrier {
                    validator: v_addr(1).to_vec(),
                    recorded: 1,
                },
                pb::ProbeCarrier {
                    validator: v_addr(2).to_vec(),
                    recorded: 2,
                },
            ],
        }]
    };
    let mut g = good.clone();
    counted(&mut g);
    assert_eq!(g.validate(), Ok(()));
    assert!(bad(&|g| {
        counted(g);
        g.probe_receipts[0].recorded = 4;
    })
    .contains("add up"));
    assert!(bad(&|g| {
        counted(g);
        g.probe_receipts[0].carriers[1].validator = v_addr(1).to_vec();
    })
    .contains("twice"));
    assert!(bad(&|g| {
        counted(g);
        let r = g.probe_receipts[0].clone();
        g.probe_receipts.push(r);
    })
    .contains("twice"));
    assert!(bad(&|g| {
        counted(g);
        g.probe_receipts[0].provider.pop();
    })
    .contains("20 bytes"));
    assert!(bad(&|g| {
        let r = g.served_reports[0].clone();
        g.served_reports.push(r);
    })
    .contains("twice"));
    assert!(bad(&|g| g.served_reports[0].weight = "-1".into()).contains("not an amount"));
    assert!(bad(&|g| g.served_reports[0].failures = 1_000).contains("out of order"));
    assert!(bad(&|g| g.served_reports[0].requester = "pol1nope".into()).contains("pol1nope"));
    assert!(bad(&|g| g.served_reports[0].requests = 0).contains("out of order"));
    assert!(
        bad(&|g| g.served[0].provider = g.served[0].provider.to_uppercase())
            .contains("as the chain writes")
    );
    assert!(bad(&|g| {
        let c = g.served_channels[0].clone();
        g.served_channels.push(c);
    })
    .contains("twice"));
    assert!(bad(&|g| g.served[0].weight = "x".into()).contains("not an amount"));

    // The same provider at two heights is fine; the newest becomes the latest.
    let mut g = crate::genesis::default_genesis();
    let mut a = good.aggregates[0].clone();
    for h in [9, 3, 12] {
        a.height = h;
        g.aggregates.push(a.clone());
    }
    assert_eq!(g.validate(), Ok(()));
    let mut s = State::new(MemState::default());
    g.init(&mut s, &Default::default()).unwrap();
    let provider = Address::parse(&a.provider).unwrap().0;
    assert_eq!(s.aggregate(&provider).unwrap().unwrap().height, 12);
}

// ---------------------------------------------------------------------------------------
// queries over committed storage
// ---------------------------------------------------------------------------------------

/// Runs a future that never waits (the query service reads committed state synchronously).
fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("query future is not ready"),
    }
}

#[test]
fn queries_read_committed_state() {
    ready(queries())
}

async fn queries() {
    use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
    use pb::query_server::Query;
    use tonic::Request;

    let storage =
        pol_store::Storage::open_temporary(pol_store::StorageConfig { keep_recent: 0 }).unwrap();
    let s = populated();
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

    let params = q
        .params(Request::new(pb::QueryParamsRequest {}))
        .await
        .unwrap();
    assert_eq!(params.get_ref().params.as_ref().unwrap().history_len, 4);

    let provider = Address(p(1)).to_string();
    let latest = q
        .aggregate(Request::new(pb::QueryAggregateRequest {
            provider: provider.clone(),
        }))
        .await
        .unwrap();
    assert_eq!(latest.get_ref().aggregate.as_ref().unwrap().height, H);

    let history = q
        .history(Request::new(pb::QueryHistoryRequest {
            provider: provider.clone(),
            pagination: None,
        }))
        .await
        .unwrap();
    let heights: Vec<u64> = history
        .get_ref()
        .aggregates
        .iter()
        .map(|a| a.height)
        .collect();
    assert_eq!(heights, vec![H, 6, 5, 4], "newest first, history_len kept");

    // What requesters reported: provider 1's summary of epoch 1 and this epoch's report.
    let served = q
        .served(Request::new(pb::QueryServedRequest {
            provider: provider.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    let last = served.last_epoch.unwrap();
    assert_eq!(
        (last.epoch, last.weight.as_str(), last.p99_us),
        (1, "200000", 40_000)
    );
    assert_eq!(served.current.len(), 1);
    assert_eq!(served.current[0].weight, "100000");
    let none = q
        .served(Request::new(pb::QueryServedRequest {
            provider: Address(p(2)).to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(none.last_epoch.is_none() && none.current.is_empty());
    assert!(q
        .served(Request::new(pb::QueryServedRequest {
            provider: "nope".into(),
        }))
        .await
        .is_err());

    let page = q
        .history(Request::new(pb::QueryHistoryRequest {
            provider,
            pagination: Some(PageRequest {
                limit: 2,
                offset: 1,
                ..Default::default()
            }),
        }))
        .await
        .unwrap();
    let heights: Vec<u64> = page.get_ref().aggregates.iter().map(|a| a.height).collect();
    assert_eq!(heights, vec![6, 5]);

    let missing = q
        .aggregate(Request::new(pb::QueryAggregateRequest {
            provider: Address(p(9)).to_string(),
        }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let invalid = q
        .aggregate(Request::new(pb::QueryAggregateRequest {
            provider: "nope".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), tonic::Code::InvalidArgument);

    let measurers = q
        .measurers(Request::new(pb::QueryMeasurersRequest { pagination: None }))
        .await
        .unwrap();
    let ms: Vec<u8> = measurers
        .get_ref()
        .measurers
        .iter()
        .map(|m| m.validator[0])
        .collect();
    assert_eq!(ms, vec![0xa1, 0xa2, 0xa3, 0xa4]);
}

#[test]
fn state_keys_put_addresses_last() {
    let a = p(7);
    for k in [
        state_key::aggregate(&a),
        state_key::measurer(&a),
        state_key::epoch(&a),
        state_key::consensus_key(&a),
    ] {
        assert_eq!(state_key::trailing_address(&k), Some(a));
    }
    assert_eq!(state_key::trailing_address(&[1; 19]), None);
    // History keys sort newest first.
    assert!(state_key::history(&a, 10) < state_key::history(&a, 9));
    assert!(state_key::history(&a, u64::MAX) < state_key::history(&a, 0));
    assert!(state_key::history(&a, 5).starts_with(&state_key::history_of(&a)));
}

/// A genesis whose sla or reputation already judged the epoch the chain starts in would
/// halt every validator at that epoch's end: it is refused, with the bound in the message.
#[test]
fn genesis_refuses_epochs_judged_past_the_start() {
    use pol_component::genesis::ChainStart;
    use pol_component::AppState;
    let latency = crate::genesis::default_genesis();
    let blocks = latency.params().unwrap().epoch_blocks;
    let start = |h| ChainStart { initial_height: h };
    let mut app_state = AppState::default();
    app_state
        .edit(|g: &mut pol_sla::GenesisState| g.last_epoch = Some(3))
        .unwrap();
    // Heights in epoch 3 (or before) would judge epoch 3 again: refused.
    for h in [1, 3 * blocks] {
        let err = latency.validate_against(&app_state, &start(h)).unwrap_err();
        assert!(
            err.contains("sla.last_epoch is 3") && err.contains("halt"),
            "{err}"
        );
    }
    // A chain continuing in epoch 4 (an export at the end of epoch 3) is fine.
    latency
        .validate_against(&app_state, &start(3 * blocks + 1))
        .unwrap();

    let mut app_state = AppState::default();
    app_state
        .edit(|g: &mut pol_reputation::GenesisState| g.last_measurer_epoch = Some(1))
        .unwrap();
    let err = latency.validate_against(&app_state, &start(2)).unwrap_err();
    assert!(err.contains("reputation.last_measurer_epoch is 1"), "{err}");
    latency
        .validate_against(&app_state, &start(blocks + 1))
        .unwrap();
}

/// How the fifth validator of [`geography`] reports.
#[derive(Clone, Copy)]
enum Measurer {
    Honest,
    /// Every latency this much longer: a validator far from every provider.
    Far(u32),
    /// Every latency this many times what it measured.
    Scaled(u32),
    /// Values drawn at random below this bound, whatever it measured.
    Random(u32),
}

/// A hash-derived number below `bound`, the same in every run.
fn pseudo_random(height: u64, validator: u8, provider: u8, bound: u32) -> u32 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest([&height.to_be_bytes()[..], &[validator, provider]].concat());
    u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % bound.max(1)
}

/// Providers 1, 2 and 3 answer in 2, 30 and 200 ms. Validators 1 to 3 (near), 4 (50 ms
/// further from every provider, honest) and 5 (`fifth`) report on all of them for
/// `blocks` heights, each with up to 2 ms of noise. Returns each validator's
/// (reports, outliers), and checks every median against the honest reports.
fn geography(params: &Params, fifth: Measurer, blocks: u64) -> BTreeMap<u8, (u64, u64)> {
    let truth = [(1u8, 2_000u32), (2, 30_000), (3, 200_000)];
    let mut s = state_with(params, &[1, 2, 3], &[]);
    for height in 1..=blocks {
        let votes: Vec<VerifiedVote> = (1..=5u8)
            .map(|v| {
                let kind = match v {
                    4 => Measurer::Far(50_000),
                    5 => fifth,
                    _ => Measurer::Honest,
                };
                let reports = truth
                    .iter()
                    .map(|&(b, t)| {
                        let seen = t + pseudo_random(height, v, b, 2_000);
                        let p99 = match kind {
                            Measurer::Honest => seen,
                            Measurer::Far(extra) => seen + extra,
                            Measurer::Scaled(k) => seen * k,
                            Measurer::Random(bound) => pseudo_random(height, 99, b, bound),
                        };
                        report(b, 50, 0, p99 / 2, p99, p99)
                    })
                    .collect();
                VerifiedVote {
                    validator: v_addr(v),
                    power: 10,
                    extension: VoteExtension {
                        height,
                        reports,
                        receipts: vec![],
                        evidence: None,
                    },
                    unbacked: None,
                }
            })
            .collect();
        aggregate::apply(
            &mut s,
            &VerifiedCommit {
                validators: Vec::new(),
                height,
                votes,
                ignored: Vec::new(),
                total_power: 50,
            },
        )
        .unwrap();
        for (b, _) in truth {
            let a = s.aggregate(&p(b)).unwrap().unwrap();
            // What the honest validators reported, and would have from the reference
            // location (their offsets taken off): the median is one of those.
            let honest: Vec<i64> = a
                .reports
                .iter()
                .filter(|r| r.validator != v_addr(5))
                .flat_map(|r| [i64::from(r.p99_us), i64::from(r.p99_us) - r.offset_us])
                .collect();
            let (lo, hi) = (*honest.iter().min().unwrap(), *honest.iter().max().unwrap());
            assert!(
                (lo..=hi).contains(&i64::from(a.p99_us)),
                "provider {b} at {height}: median {} outside the honest {honest:?}",
                a.p99_us
            );
        }
    }
    s.measurers()
        .unwrap()
        .iter()
        .map(|m| (m.validator[0] - 0xa0, (m.reports, m.outliers)))
        .collect()
}

#[test]
fn a_far_validator_is_judged_by_its_consistency_and_keeps_a_clean_record() {
    let blocks = 20;
    let counts = geography(&Params::DEFAULT, Measurer::Honest, blocks);
    for v in 1..=5 {
        assert_eq!(counts[&v], (3 * blocks, 0), "validator {v}: {counts:?}");
    }
    // Its offset was learned and is what its reports were judged with.
    let s = {
        let mut s = state_with(&Params::DEFAULT, &[1, 2, 3], &[]);
        // Validator `v` at `height`, seeing providers 1 and 2 `extra` µs later than 2 and
        // 30 ms.
        let seen = |v: u8, height: u64, extra: u32| VerifiedVote {
            validator: v_addr(v),
            power: 10,
            extension: VoteExtension {
                height,
                reports: vec![
                    report(1, 50, 0, 1, 2_000 + extra, 2_000 + extra),
                    report(2, 50, 0, 1, 30_000 + extra, 30_000 + extra),
                ],
                receipts: vec![],
                evidence: None,
            },
            unbacked: None,
        };
        for height in 1..=3 {
            let near = |v| seen(v, height, 0);
            let far = |height| seen(4, height, 50_000);
            let c = VerifiedCommit {
                validators: Vec::new(),
                height,
                votes: vec![near(1), near(2), near(3), far(height)],
                ignored: Vec::new(),
                total_power: 40,
            };
            aggregate::apply(&mut s, &c).unwrap();
        }
        s
    };
    let m = s.measurer(&v_addr(4)).unwrap().unwrap();
    assert_eq!(
        (m.geo_offset_us, m.geo_offset_blocks, m.outliers),
        (50_000, 3, 0)
    );
    let a = s.aggregate(&p(1)).unwrap().unwrap();
    assert_eq!(a.p99_us, 2_000);
    assert_eq!(a.reports[3].offset_us, 50_000);
    assert!(!a.reports[3].outlier);
}

#[test]
fn judged_by_distance_alone_the_far_validator_would_be_flagged() {
    // What the offset fixes: with none, 50 ms on a 2 ms and a 30 ms provider is an
    // outlier every block.
    let blocks = 20;
    let counts = geography(&by_distance(), Measurer::Honest, blocks);
    assert_eq!(counts[&4], (3 * blocks, 2 * blocks), "{counts:?}");
    assert_eq!(counts[&1].1, 0);
}

#[test]
fn scaled_and_random_reports_are_still_flagged_and_move_no_median() {
    let blocks = 20;
    // ×5: its differences (8 ms, 120 ms, 800 ms) disagree; the 200 ms provider's 1 s is
    // also past the offset bound.
    let scaled = geography(&Params::DEFAULT, Measurer::Scaled(5), blocks);
    assert!(scaled[&5].1 * 3 >= scaled[&5].0 * 2, "{scaled:?}");
    // Random values below 1 s.
    let random = geography(&Params::DEFAULT, Measurer::Random(1_000_000), blocks);
    assert!(random[&5].1 * 3 >= random[&5].0 * 2, "{random:?}");
    for counts in [&scaled, &random] {
        for v in 1..=4 {
            assert_eq!(counts[&v].1, 0, "validator {v}: {counts:?}");
        }
    }
}

#[test]
fn an_offset_beyond_the_bound_is_not_geography() {
    let blocks = 10;
    let params = Params::DEFAULT;
    // 400 ms later than everyone on every provider: past the 300 ms bound, so 100 ms of it
    // remains, an outlier on the 2 ms and 30 ms providers.
    let counts = geography(&params, Measurer::Far(400_000), blocks);
    assert_eq!(counts[&5], (3 * blocks, 2 * blocks), "{counts:?}");
    // Within the bound, the same shape is taken for geography (the limit the README
    // states): 250 ms on every provider is not flagged.
    let counts = geography(&params, Measurer::Far(250_000), blocks);
    assert_eq!(counts[&5], (3 * blocks, 0), "{counts:?}");
}

#[test]
fn the_receipt_carrier_is_drawn_by_power_and_blanking_votes_cannot_choose_it() {
    let validators: Vec<([u8; 20], i64)> = vec![
        (v_addr(1), 10),
        (v_addr(2), 20),
        (v_addr(3), 30),
        (v_addr(4), 40),
        (v_addr(5), 0),
    ];
    let mut carried: BTreeMap<u8, u64> = BTreeMap::new();
    let heights = 20_000u64;
    for h in 1..=heights {
        let c = probe_receipts::carrier(h, &validators).unwrap();
        *carried.entry(c[0] - 0xa0).or_default() += 1;
        // The commit's order does not matter, and there is no other input.
        let mut reversed = validators.clone();
        reversed.reverse();
        assert_eq!(probe_receipts::carrier(h, &reversed), Some(c));
    }
    assert!(!carried.contains_key(&5), "zero power carried: {carried:?}");
    for (i, power) in [(1u8, 10u64), (2, 20), (3, 30), (4, 40)] {
        // Within 1.5 points of its power share.
        let share_permille = carried[&i] * 1000 / heights;
        assert!(
            share_permille.abs_diff(power * 10) <= 15,
            "validator {i}: {share_permille}‰ for {power} % of the power"
        );
    }
    assert_eq!(probe_receipts::carrier(1, &[(v_addr(1), 0)]), None);

    // A proposer that blanks the carrier's vote (it does not count) loses the height's
    // receipts; it cannot make another vote the carrier.
    let mut s = state_with(&Params::DEFAULT, &[1], &[]);
    let h = (1..)
        .find(|h| probe_receipts::carrier(*h, &validators) == Some(v_addr(4)))
        .unwrap();
    let with = |i: u8| VerifiedVote {
        validator: v_addr(i),
        power: 10 * i64::from(i),
        extension: VoteExtension {
            height: h,
            reports: vec![],
            receipts: vec![receipt(1, u64::from(i))],
            evidence: None,
        },
        unbacked: None,
    };
    let full = VerifiedCommit {
        height: h,
        votes: (1..=4).map(with).collect(),
        ignored: Vec::new(),
        total_power: 100,
        validators: validators.clone(),
    };
    let out = aggregate::apply(&mut s, &full).unwrap();
    assert_eq!(out.carrier, Some((v_addr(4), 40)));
    assert_eq!(out.receipts, vec![receipt(1, 4)]);
    let blanked = VerifiedCommit {
        votes: (1..=3).map(with).collect(),
        ..full
    };
    let out = aggregate::apply(&mut s, &blanked).unwrap();
    assert_eq!((out.carrier, out.receipts), (None, vec![]));
}

#[test]
fn a_validator_pushes_at_most_its_power_share_of_a_providers_probe_receipts() {
    assert_eq!(probe_receipts::share_of_budget(8, 10, 100), 1);
    assert_eq!(probe_receipts::share_of_budget(8, 30, 100), 3);
    assert_eq!(probe_receipts::share_of_budget(8, 26, 100), 3);
    assert_eq!(probe_receipts::share_of_budget(8, 100, 100), 8);
    assert_eq!(probe_receipts::share_of_budget(8, 0, 100), 0);
    assert_eq!(probe_receipts::share_of_budget(8, i64::MAX, i64::MAX), 8);
    assert_eq!(probe_receipts::share_of_budget(0, 10, 100), 0);

    // A validator holding 10 % of the power carries four receipts on provider 1 at every
    // height it carries; the budget (8 per provider per epoch) lets one of them through, and
    // an honest 90 % validator fills the rest.
    let params = Params::DEFAULT;
    let mut s = state_with(&params, &[1], &[]);
    let (attacker, honest) = (v_addr(1), v_addr(2));
    let mut recorded: BTreeMap<[u8; 20], u64> = BTreeMap::new();
    for _ in 0..4 {
        for (who, power) in [(attacker, 10), (honest, 90)] {
            for _ in 0..4 {
                if probe_receipts::admits(&s, &params, &p(1), &who, power, 100).unwrap() {
                    probe_receipts::count(&mut s, &p(1), &who).unwrap();
                    *recorded.entry(who).or_default() += 1;
                }
            }
        }
    }
    assert_eq!(recorded[&attacker], 1);
    assert_eq!(recorded[&honest], 7);
    let r = s.probe_receipts(&p(1)).unwrap();
    assert_eq!(r.recorded, 8);
    // The budget is per provider: another provider still has all of it.
    assert!(probe_receipts::admits(&s, &params, &p(2), &attacker, 10, 100).unwrap());
    // The epoch ends: counts start over (and are in genesis in between).
    let exported = crate::GenesisState::export(&s).unwrap();
    assert_eq!(exported.probe_receipts, vec![r]);
    aggregate::take_epoch(&mut s, params.epoch_blocks).unwrap();
    assert_eq!(s.probe_receipts(&p(1)).unwrap().recorded, 0);
    assert!(probe_receipts::admits(&s, &params, &p(1), &attacker, 10, 100).unwrap());
}

/// What [`stripping_run`] saw: each epoch's verdict per provider (breached its SLA), each
/// epoch's outliers of the honest validators 1–6, and every aggregate's p99 in height order.
struct StrippingRun {
    verdicts: Vec<Vec<bool>>,
    honest_outliers: Vec<Vec<u64>>,
    medians: Vec<u32>,
}

/// Ten validators (powers 14 … 6, 100 in all). Validators 1–6 (70) are honest: 1–3 near
/// every provider, 4 and 5 60 and 150 ms further, 6 2 ms nearer; each report has up to
/// 5 % + 2 ms of noise. Validators 7–10 (30) are Byzantine and report what would flip each
/// verdict: 2 s for providers within their SLA, 1 ms for those past it. Providers 1–6
/// answer in 5, 40, 120, 300, 800 and 2,000 ms against SLAs of 25, 30, 250, 200, 1,500 and
/// 1,500 ms. The proposer of each height is drawn by power; with `strip`, a Byzantine
/// proposer blanks honest votes holding just under 1/3 of the power, the near ones at
/// even heights and the far ones at odd heights.
fn stripping_run(params: &Params, strip: bool) -> StrippingRun {
    let powers: [i64; 10] = [14, 13, 12, 11, 10, 10, 9, 8, 7, 6];
    let offsets: [i64; 6] = [0, 0, 0, 60_000, 150_000, -2_000];
    let providers: [(u32, u64); 6] = [
        (5_000, 25_000),
        (40_000, 30_000),
        (120_000, 250_000),
        (300_000, 200_000),
        (800_000, 1_500_000),
        (2_000_000, 1_500_000),
    ];
    let epoch_blocks = params.epoch_blocks;
    let mut s = state_with(params, &[1, 2, 3, 4, 5, 6], &[]);
    let validators: Vec<([u8; 20], i64)> = (1..=10u8)
        .map(|i| (v_addr(i), powers[usize::from(i) - 1]))
        .collect();
    let mut rng = StdRng::seed_from_u64(4);
    let mut run = StrippingRun {
        verdicts: Vec::new(),
        honest_outliers: Vec::new(),
        medians: Vec::new(),
    };
    for height in 1..=5 * epoch_blocks {
        let mut point = rng.gen_range(0..100i64);
        let proposer = (1..=10u8)
            .find(|i| {
                point -= powers[usize::from(*i) - 1];
                point < 0
            })
            .unwrap();
        let blanked: &[u8] = match (strip && proposer >= 7, height % 2) {
            (false, _) => &[],
            // 14 + 13 = 27 of the near power; the far ones (4, 5) and 6 count.
            (true, 0) => &[1, 2],
            // 11 + 10 + 12 = 33: counted 67, just over 2/3.
            (true, _) => &[3, 4, 5],
        };
        let mut votes = Vec::new();
        let mut ignored = Vec::new();
        for i in 1..=10u8 {
            let reports = providers
                .iter()
                .enumerate()
                .map(|(j, &(truth, sla))| {
                    let b = j as u8 + 1;
                    let p99 = if i <= 6 {
                        let noise = pseudo_random(height, i, b, truth / 20 + 2_000);
                        u32::try_from(i64::from(truth + noise) + offsets[usize::from(i) - 1])
                            .unwrap()
                    } else if u64::from(truth) <= sla {
                        2_000_000
                    } else {
                        1_000
                    };
                    report(b, 50, 0, p99 / 2, p99, p99)
                })
                .collect();
            let vote = VerifiedVote {
                validator: v_addr(i),
                power: powers[usize::from(i) - 1],
                extension: VoteExtension {
                    height,
                    reports,
                    receipts: vec![],
                    evidence: None,
                },
                unbacked: None,
            };
            if blanked.contains(&i) {
                ignored.push(IgnoredVote {
                    index: usize::from(i) - 1,
                    validator: vote.validator,
                    power: vote.power,
                    fault: VoteFault::BadSignature,
                });
            } else {
                votes.push(vote);
            }
        }
        let commit = VerifiedCommit {
            height,
            votes,
            ignored,
            total_power: 100,
            validators: validators.clone(),
        };
        aggregate::apply(&mut s, &commit).unwrap();
        for b in 1..=6u8 {
            run.medians
                .push(s.aggregate(&p(b)).unwrap().unwrap().p99_us);
        }
        if params.is_epoch_end(height) {
            let summary = aggregate::take_epoch(&mut s, height).unwrap();
            run.verdicts.push(
                summary
                    .providers
                    .iter()
                    .zip(providers)
                    .map(|(e, (_, sla))| e.mean_p99_us > sla)
                    .collect(),
            );
            run.honest_outliers.push(
                summary
                    .measurers
                    .iter()
                    .filter(|m| m.validator[0] - 0xa0 <= 6)
                    .map(|m| m.outliers)
                    .collect(),
            );
        }
    }
    run
}

#[test]
fn a_byzantine_proposer_blanking_a_third_of_the_votes_changes_no_verdict_and_no_honest_flag() {
    let truth = vec![false, true, false, true, false, true];
    let fair = stripping_run(&Params::DEFAULT, false);
    let stripped = stripping_run(&Params::DEFAULT, true);
    // The blanking did move medians (within what honest validators see from the reference)…
    let moved = fair
        .medians
        .iter()
        .zip(&stripped.medians)
        .filter(|(a, b)| a != b)
        .count();
    assert!(moved > 0);
    // …but every epoch's verdict is the honest one, and the honest validators' flags are
    // the same: none, but for one report each at the chain's first height, when nobody's
    // offset is known yet and the Byzantine reports pull that one median (blanking or not).
    assert_eq!(stripped.honest_outliers, fair.honest_outliers);
    assert_eq!(fair.honest_outliers[0].iter().sum::<u64>(), 6);
    for run in [&fair, &stripped] {
        assert_eq!(run.verdicts.len(), 5);
        for v in &run.verdicts {
            assert_eq!(v, &truth);
        }
        for epoch in &run.honest_outliers[1..] {
            assert_eq!(epoch, &vec![0; 6]);
        }
    }

    // Without offsets (medians of the raw reports, judged by distance), the Byzantine
    // reports land the median on a far honest validator's value and turn a verdict in every
    // epoch, blanking or not, and the far validators are flagged.
    let raw = stripping_run(&by_distance(), true);
    let raw_fair = stripping_run(&by_distance(), false);
    for run in [&raw, &raw_fair] {
        assert_eq!(
            run.verdicts.iter().filter(|v| *v != &truth).count(),
            5,
            "{:?}",
            run.verdicts
        );
    }
    assert!(
        raw.verdicts.iter().any(|v| v != &truth),
        "{:?}",
        raw.verdicts
    );
    assert!(raw.honest_outliers[1..].iter().flatten().sum::<u64>() > 0);
}

/// The block the evidence tests vote on: its time is 100 s after the receipts' epoch.
const VOTED_MS: u64 = 1_700_000_100_000;

fn voted_block() -> pb::LastBlock {
    pb::LastBlock {
        height: H,
        hash: vec![7; 32],
        time_ms: VOTED_MS,
    }
}

/// A receipt of provider `b` for a probe with `nonce`, signed at `time_ms` by `key`.
fn probe_receipt(b: u8, nonce: u64, time_ms: u64, key: &SigningKey) -> Receipt {
    ReceiptBody::new(CHAIN, p(b), MODEL, &[1, -2, 3, 4], &[5, -6], nonce, time_ms)
        .sign(key)
        .unwrap()
        .to_proto()
}

/// Evidence of `validator`'s own probe of `b`, signed at `time_ms`.
fn evidence_of(validator: &[u8; 20], b: u8, time_ms: u64) -> pb::ProbeEvidence {
    let salt = 0x5a17;
    pb::ProbeEvidence {
        salt,
        receipt: Some(probe_receipt(
            b,
            evidence::probe_nonce(validator, salt),
            time_ms,
            &worker_key(b),
        )),
    }
}

/// A latest aggregate of provider `b` with this failure rate (what the challenge reads to
/// know whether the provider answers).
fn put_health(s: &mut State, b: u8, failure_rate_ppm: u32) {
    s.put_aggregate(
        &p(b),
        &pb::ProviderAggregate {
            provider: Address(p(b)).to_string(),
            height: H - 1,
            p99_us: 5_000,
            failure_rate_ppm,
            ..Default::default()
        },
        10,
    )
    .unwrap();
}

/// `evidence::check` of `me`'s extension `e` at height `H`, with `last` as the last block.
fn check_evidence(
    s: &State,
    params: &Params,
    last: Option<&pb::LastBlock>,
    me: &[u8; 20],
    e: &VoteExtension,
) -> Result<(), String> {
    let challenge = evidence::Challenge::at(s, params, last.cloned(), H).unwrap();
    evidence::check(s, CHAIN, params, &challenge, me, e)
}

/// A block hash at which `me`'s challenge among `candidates` falls on `want`.
fn hash_picking(me: &[u8; 20], candidates: &[[u8; 20]], want: [u8; 20]) -> Vec<u8> {
    (0u16..)
        .map(|i| Sha256::digest(i.to_be_bytes()).to_vec())
        .find(|h| evidence::challenged_provider(h, me, candidates) == Some(want))
        .unwrap()
}

#[test]
fn reports_are_backed_by_receipts_of_the_validators_own_probes() {
    let params = Params::DEFAULT;
    let mut s = state_with(&params, &[1, 2, 3], &[]);
    // Providers 1 and 2 answer; 3 fails most probes.
    put_health(&mut s, 1, 0);
    put_health(&mut s, 2, 100_000);
    put_health(&mut s, 3, 900_000);
    let me = v_addr(1);
    let candidates = evidence::candidates(&s, H).unwrap();
    assert_eq!(candidates, vec![p(1), p(2), p(3)]);
    let last = pb::LastBlock {
        hash: hash_picking(&me, &candidates, p(2)),
        ..voted_block()
    };
    let check = |s: &State, ext: &VoteExtension, last: Option<&pb::LastBlock>, params: &Params| {
        check_evidence(s, params, last, &me, ext)
    };
    // What the vote reports does not matter: the challenge is on provider 2 whether it is
    // reported, left out, or hidden among invented providers.
    let reported = ext(H, vec![report(2, 20, 0, 1_000, 9_000, 10_000)]);
    let silent = ext(H, vec![report(1, 20, 0, 1_000, 9_000, 10_000)]);
    let invented = ext(H, vec![report(7, 20, 0, 1_000, 9_000, 10_000)]);
    for e in [&reported, &silent, &invented] {
        assert!(check(&s, e, Some(&last), &params)
            .unwrap_err()
            .contains("no probe evidence"));
    }
    let mut e = silent.clone();
    // A receipt of our own probe of the challenged provider, signed within the window
    // before the block's time (both ends included).
    let window = u64::from(params.probe_evidence_window_ms);
    for at in [VOTED_MS, VOTED_MS - 1_000, VOTED_MS - window] {
        e.evidence = Some(evidence_of(&me, 2, at));
        assert_eq!(
            check(&s, &e, Some(&last), &params),
            Ok(()),
            "signed at {at}"
        );
    }
    // Signed after the block's time (a probe sent once the challenge was known), or
    // before the window.
    for at in [VOTED_MS + 1, VOTED_MS - window - 1] {
        e.evidence = Some(evidence_of(&me, 2, at));
        assert!(check(&s, &e, Some(&last), &params)
            .unwrap_err()
            .contains("outside"));
    }
    // Another validator's probe (its nonce does not derive from our address).
    e.evidence = Some(evidence_of(&v_addr(2), 2, VOTED_MS));
    assert!(check(&s, &e, Some(&last), &params)
        .unwrap_err()
        .contains("not for this validator"));
    // A receipt of a provider that was not challenged.
    e.evidence = Some(evidence_of(&me, 1, VOTED_MS));
    assert!(check(&s, &e, Some(&last), &params)
        .unwrap_err()
        .contains("another provider"));
    // A receipt the provider did not sign.
    let mut forged = evidence_of(&me, 2, VOTED_MS);
    forged.receipt = Some(probe_receipt(
        2,
        evidence::probe_nonce(&me, forged.salt),
        VOTED_MS,
        &worker_key(9),
    ));
    e.evidence = Some(forged);
    assert!(check(&s, &e, Some(&last), &params)
        .unwrap_err()
        .contains("did not register"));

    // Nothing is asked: the challenged provider fails most probes, no known block or
    // another one, or challenges switched off.
    let failing = pb::LastBlock {
        hash: hash_picking(&me, &candidates, p(3)),
        ..voted_block()
    };
    assert_eq!(check(&s, &silent, Some(&failing), &params), Ok(()));
    assert_eq!(check(&s, &silent, None, &params), Ok(()));
    let earlier = pb::LastBlock {
        height: H - 1,
        ..last.clone()
    };
    assert_eq!(check(&s, &silent, Some(&earlier), &params), Ok(()));
    let off = Params {
        probe_evidence_window_ms: 0,
        ..params
    };
    assert_eq!(check(&s, &silent, Some(&last), &off), Ok(()));

    // A provider registered at the height voted on is not a candidate yet.
    let mut newcomer = provider_record(4, ProviderStatus::Active);
    newcomer.registered_height = H;
    s.put_provider(&newcomer, None).unwrap();
    assert_eq!(evidence::candidates(&s, H).unwrap(), candidates);

    // The challenge moves with the block hash: over many blocks every provider is asked.
    let asked: BTreeSet<[u8; 20]> = (0..64u8)
        .filter_map(|i| evidence::challenged_provider(&[i; 32], &me, &candidates))
        .collect();
    assert_eq!(asked, BTreeSet::from([p(1), p(2), p(3)]));
}

#[test]
fn evidence_survives_a_provider_jailed_or_rekeyed_in_the_block_voted_on() {
    let params = Params::DEFAULT;
    let me = v_addr(1);
    // Provider 1 ranked first when the vote was cast; jailed in the block voted on, the
    // chain's pick is now another provider, and evidence of 1 still counts.
    let before = [p(1), p(2), p(3)];
    let last = pb::LastBlock {
        hash: hash_picking(&me, &before, p(1)),
        ..voted_block()
    };
    let mut s = state_with(&params, &[2, 3], &[(1, ProviderStatus::Jailed)]);
    for b in [1, 2, 3] {
        put_health(&mut s, b, 0);
    }
    let mut e = ext(H, vec![]);
    e.evidence = Some(evidence_of(&me, 1, VOTED_MS));
    assert_eq!(check_evidence(&s, &params, Some(&last), &me, &e), Ok(()));
    // But evidence of a provider that ranks after the chain's pick does not.
    let after_pick = evidence::challenged_provider(&last.hash, &me, &[p(2), p(3)]).unwrap();
    let other = if after_pick == p(2) { 3 } else { 2 };
    e.evidence = Some(evidence_of(&me, other, VOTED_MS));
    assert!(check_evidence(&s, &params, Some(&last), &me, &e).is_err());
    // Nor does an invented provider ranking first (nothing to check it against).
    let ghost = (10u8..)
        .find(|b| {
            evidence::challenge_rank(&last.hash, &me, &p(*b))
                < evidence::challenge_rank(&last.hash, &me, &after_pick)
        })
        .unwrap();
    e.evidence = Some(evidence_of(&me, ghost, VOTED_MS));
    assert!(check_evidence(&s, &params, Some(&last), &me, &e)
        .unwrap_err()
        .contains("unknown provider"));

    // Provider 2 changes its receipt key 100 ms before the block: a receipt signed with the
    // old key before the change still counts, one signed with it after does not.
    let mut s = state_with(&params, &[2], &[]);
    put_health(&mut s, 2, 0);
    let mut rekeyed = provider_record(2, ProviderStatus::Active);
    rekeyed.previous_receipt_pubkey = rekeyed.receipt_pubkey.clone();
    rekeyed.receipt_pubkey = worker_key(9).verifying_key().to_bytes().to_vec();
    rekeyed.receipt_key_changed_ms = VOTED_MS - 100;
    s.put_provider(&rekeyed, None).unwrap();
    let last = voted_block();
    e.evidence = Some(evidence_of(&me, 2, VOTED_MS - 500));
    assert_eq!(check_evidence(&s, &params, Some(&last), &me, &e), Ok(()));
    e.evidence = Some(evidence_of(&me, 2, VOTED_MS - 50));
    assert!(check_evidence(&s, &params, Some(&last), &me, &e)
        .unwrap_err()
        .contains("did not register"));
}

#[test]
fn a_copier_without_evidence_is_an_outlier_on_every_report_and_loses_pol_weight() {
    // Four validators report the same latencies; validator 3 (a copier of the published
    // aggregate) has no receipts of its own probes. Its extension still counts for the
    // medians, but every report in it is an outlier.
    let (mut s, v) = four();
    s.put_latency_params(&Params::DEFAULT);
    s.put_last_block(&voted_block());
    put_health(&mut s, 1, 0);
    put_health(&mut s, 2, 0);
    let candidates = evidence::candidates(&s, H).unwrap();
    let reports = vec![
        report(1, 20, 0, 1_000, 9_000, 10_000),
        report(2, 30, 0, 2_000, 4_000, 50_000),
    ];
    let votes: Vec<ExtendedVoteInfo> = v
        .iter()
        .enumerate()
        .map(|(i, val)| {
            let mut e = ext(H, reports.clone());
            if i != 3 {
                let c =
                    evidence::challenged_provider(&voted_block().hash, &val.address, &candidates)
                        .unwrap();
                e.evidence = Some(evidence_of(&val.address, c[0], VOTED_MS - 500));
            }
            signed_vote(val, &val.key, 0, &e.encode_to_vec())
        })
        .collect();
    let info = ExtendedCommitInfo { round: 0, votes };
    let checked = verify(&s, &info, &commit::commit_info_of(&info)).unwrap();
    let unbacked: Vec<bool> = checked.votes.iter().map(|v| v.unbacked.is_some()).collect();
    assert_eq!(unbacked, vec![false, false, false, true]);
    aggregate::apply(&mut s, &checked).unwrap();
    for b in [1, 2] {
        let a = s.aggregate(&p(b)).unwrap().unwrap();
        let flags: Vec<(bool, bool)> = a.reports.iter().map(|r| (r.outlier, r.unbacked)).collect();
        assert_eq!(
            flags,
            vec![(false, false), (false, false), (false, false), (true, true)]
        );
    }
    let copier = s.measurer(&v[3].address).unwrap().unwrap();
    assert_eq!(
        (copier.reports, copier.outliers, copier.unbacked_heights),
        (2, 2, 1)
    );
    let honest = s.measurer(&v[0].address).unwrap().unwrap();
    assert_eq!((honest.outliers, honest.unbacked_heights), (0, 0));
    // Measurer score (reputation's input to PoL weight): 0 for the copier, 10⁶ for the
    // others.
    assert_eq!(
        pol_reputation::measurer_score(copier.reports, copier.outliers),
        Some(0)
    );
    assert_eq!(
        pol_reputation::measurer_score(honest.reports, honest.outliers),
        Some(1_000_000)
    );

    // Without the challenge (window 0) the same copier is a model measurer: the median it
    // copies is never an outlier.
    let (mut s, _) = four();
    let off = Params {
        probe_evidence_window_ms: 0,
        ..Params::DEFAULT
    };
    s.put_latency_params(&off);
    s.put_last_block(&voted_block());
    let checked = verify_with(&s, &info, &commit::commit_info_of(&info), &off).unwrap();
    assert!(checked.votes.iter().all(|v| v.unbacked.is_none()));
    aggregate::apply(&mut s, &checked).unwrap();
    let copier = s.measurer(&v[3].address).unwrap().unwrap();
    assert_eq!(
        pol_reputation::measurer_score(copier.reports, copier.outliers),
        Some(1_000_000)
    );
}

// ---- Requester-side latency (`served`): probe discrimination ----

const REQUESTER: u8 = 0x31;
const CHANNEL: u64 = 7;

fn requester_key(b: u8) -> ed25519_dalek::SigningKey {
    SigningKey::from_bytes(&[b ^ 0x33; 32])
}

/// A channel of requester `r` with provider `b`, holding `deposit`.
fn open_channel(s: &mut State, id: u64, r: u8, b: u8, deposit: u128) {
    use pol_payments::PaymentsWrite;
    s.put_channel(
        &pol_payments::pb::Channel {
            id,
            requester: Address(p(r)).to_string(),
            provider: Address(p(b)).to_string(),
            model_id: MODEL.into(),
            signer: requester_key(r).verifying_key().to_bytes().to_vec(),
            denom: "upol".into(),
            deposit: deposit.to_string(),
            claimed: "0".into(),
            claimed_royalty: "0".into(),
            expiry_height: 10_000,
            state: 1,
            opened_height: 1,
            ..Default::default()
        },
        None,
    )
    .unwrap();
}

/// Provider `b`'s receipt for a request paid on `channel` up to the cumulative `amount`,
/// signed with `key`.
fn paid_receipt(b: u8, channel: u64, amount: u128, key: &SigningKey) -> Receipt {
    let mut body = ReceiptBody::new(CHAIN, p(b), MODEL, &[1, 2], &[3], amount as u64, 1_700_000);
    body.payment = pol_inference::receipt::ReceiptPayment {
        channel_id: channel,
        amount,
        price: 1,
        royalty: 0,
    };
    body.sign(key).unwrap().to_proto()
}

fn served_msg(r: u8, receipt: Receipt, p99_ms: u32) -> pb::MsgReportServedLatency {
    pb::MsgReportServedLatency {
        requester: Address(p(r)).to_string(),
        receipt: Some(receipt),
        requests: 100,
        failures: 0,
        p50_us: p99_ms * 800,
        p99_us: p99_ms * 1000,
    }
}

fn chain_ctx() -> pol_component::BlockContext {
    pol_component::BlockContext {
        chain_id: CHAIN.into(),
        height: 30,
        ..Default::default()
    }
}

fn report_served(
    s: &mut State,
    m: &pb::MsgReportServedLatency,
) -> Result<u128, pol_component::TxError> {
    crate::served::execute(s, &chain_ctx(), m).map(|(r, _)| r.weight.parse().unwrap())
}

fn served_state() -> State {
    let mut s = state_with(&Params::DEFAULT, &[1, 2], &[]);
    open_channel(&mut s, CHANNEL, REQUESTER, 1, 1_000_000);
    s
}

#[test]
fn a_served_report_weighs_what_the_providers_receipt_shows_was_paid_once() {
    let mut s = served_state();
    let w = report_served(
        &mut s,
        &served_msg(
            REQUESTER,
            paid_receipt(1, CHANNEL, 300_000, &worker_key(1)),
            300,
        ),
    );
    assert_eq!(w.unwrap(), 300_000);
    // The same receipt again (a replay) weighs nothing and is refused, changing nothing.
    let before = latency_kv(&s);
    let e = report_served(
        &mut s,
        &served_msg(
            REQUESTER,
            paid_receipt(1, CHANNEL, 300_000, &worker_key(1)),
            1,
        ),
    )
    .unwrap_err();
    assert!(e.log.contains("reported up to 300000"), "{}", e.log);
    assert_eq!(latency_kv(&s), before);
    // A later receipt weighs what was paid since; the requester's figures merge by weight.
    let w = report_served(
        &mut s,
        &served_msg(
            REQUESTER,
            paid_receipt(1, CHANNEL, 400_000, &worker_key(1)),
            100,
        ),
    );
    assert_eq!(w.unwrap(), 100_000);
    let merged: pb::ServedReport =
        pol_store::StateReadExt::get_proto(&s, &state_key::served_report(&p(1), &p(REQUESTER)))
            .unwrap()
            .unwrap();
    assert_eq!(merged.weight, "400000");
    assert_eq!(merged.requests, 200);
    assert_eq!(merged.p99_us, (300_000 * 3 + 100_000) / 4);
    assert_eq!(crate::served::reported_on(&s, CHANNEL).unwrap(), 400_000);
}

#[test]
fn served_reports_that_are_forged_or_not_the_senders_are_refused_and_change_nothing() {
    let mut s = served_state();
    open_channel(&mut s, 8, REQUESTER, 2, 1_000_000);
    let good = || {
        served_msg(
            REQUESTER,
            paid_receipt(1, CHANNEL, 300_000, &worker_key(1)),
            300,
        )
    };
    let cases: Vec<(&str, pb::MsgReportServedLatency)> = vec![
        // The requester signs its own "receipt": not the provider's registered key.
        (
            "current receipt key",
            served_msg(
                REQUESTER,
                paid_receipt(1, CHANNEL, 300_000, &requester_key(REQUESTER)),
                300,
            ),
        ),
        // Someone else's channel: the sender is not its requester.
        (
            "not the requester",
            pb::MsgReportServedLatency {
                requester: Address(p(0x44)).to_string(),
                ..good()
            },
        ),
        // A channel with another provider than the receipt's.
        (
            "is not with",
            served_msg(REQUESTER, paid_receipt(1, 8, 300_000, &worker_key(1)), 300),
        ),
        // An unpaid request weighs nothing.
        (
            "unpaid",
            served_msg(REQUESTER, paid_receipt(1, 0, 300_000, &worker_key(1)), 300),
        ),
        // More than the channel ever held.
        (
            "exceeds",
            served_msg(
                REQUESTER,
                paid_receipt(1, CHANNEL, 1_000_001, &worker_key(1)),
                300,
            ),
        ),
        (
            "no channel",
            served_msg(REQUESTER, paid_receipt(1, 99, 300_000, &worker_key(1)), 300),
        ),
        (
            "not a registered provider",
            served_msg(
                REQUESTER,
                paid_receipt(5, CHANNEL, 300_000, &worker_key(5)),
                300,
            ),
        ),
        (
            "failures",
            pb::MsgReportServedLatency {
                failures: 101,
                ..good()
            },
        ),
        // The receipt proves an answer: "all failed" cannot be, and at most as many
        // failures as paid answers can be claimed.
        (
            "all failed",
            pb::MsgReportServedLatency {
                failures: 100,
                p50_us: 0,
                p99_us: 0,
                ..good()
            },
        ),
        (
            "at most as many failures",
            pb::MsgReportServedLatency {
                failures: 51,
                ..good()
            },
        ),
        // More answered requests than the payment covers at the receipt's price.
        (
            "cost more than",
            pb::MsgReportServedLatency {
                requests: 300_001,
                ..good()
            },
        ),
        (
            "percentiles",
            pb::MsgReportServedLatency {
                p50_us: 400_000,
                ..good()
            },
        ),
        (
            "percentiles",
            pb::MsgReportServedLatency {
                p99_us: 60_000_001,
                ..good()
            },
        ),
        (
            "at least one request",
            pb::MsgReportServedLatency {
                requests: 0,
                failures: 0,
                ..good()
            },
        ),
        (
            "receipt is required",
            pb::MsgReportServedLatency {
                receipt: None,
                ..good()
            },
        ),
    ];
    let before = latency_kv(&s);
    for (why, m) in cases {
        let e = report_served(&mut s, &m).unwrap_err();
        assert!(e.log.contains(why), "{why}: {}", e.log);
        assert_eq!(latency_kv(&s), before, "{why}");
    }
    // A receipt of the provider's previous key (rotated out): not accepted, whatever time
    // it claims; whoever still holds that key could backdate receipts never paid for.
    let old_key = SigningKey::from_bytes(&[0x77; 32]);
    let before_rotation = pol_inference::InferenceRead::provider(&s, &Address(p(1)))
        .unwrap()
        .unwrap();
    let mut rotated = before_rotation.clone();
    rotated.previous_receipt_pubkey = old_key.verifying_key().to_bytes().to_vec();
    rotated.receipt_key_changed_ms = u64::MAX;
    s.put_provider(&rotated, Some(&before_rotation)).unwrap();
    let m = served_msg(REQUESTER, paid_receipt(1, CHANNEL, 300_000, &old_key), 300);
    let e = report_served(&mut s, &m).unwrap_err();
    assert!(e.log.contains("current receipt key"), "{}", e.log);
    assert_eq!(latency_kv(&s), before);
    // A tampered receipt (the amount raised after signing) fails its signature.
    let mut tampered = paid_receipt(1, CHANNEL, 300_000, &worker_key(1));
    tampered.payment_amount = "900000".into();
    let e = report_served(&mut s, &served_msg(REQUESTER, tampered, 300)).unwrap_err();
    assert!(e.log.contains("signature"), "{}", e.log);
    // Another chain's receipt.
    let mut other = ReceiptBody::new("other-chain", p(1), MODEL, &[1], &[2], 1, 1);
    other.payment.channel_id = CHANNEL;
    other.payment.amount = 10;
    let m = served_msg(REQUESTER, other.sign(&worker_key(1)).unwrap().to_proto(), 3);
    assert!(report_served(&mut s, &m)
        .unwrap_err()
        .log
        .contains("other-chain"));
    assert_eq!(latency_kv(&s), before);
    assert!(report_served(&mut s, &good()).is_ok());
}

#[test]
fn a_provider_paying_itself_cannot_report_its_way_under_what_paying_requesters_saw() {
    let params = Params::DEFAULT; // min_served_payment 100_000
    let report = |requester: u8, weight: u128, p99_ms: u32| pb::ServedReport {
        provider: Address(p(1)).to_string(),
        requester: Address(p(requester)).to_string(),
        weight: weight.to_string(),
        requests: 100,
        failures: 0,
        p50_us: p99_ms * 900,
        p99_us: p99_ms * 1000,
    };
    // Two real requesters saw ~320 ms; the provider's own channel pays it 100x as much and
    // reports 5 ms.
    let reports = vec![
        report(0x31, 60_000, 310),
        report(0x32, 60_000, 330),
        report(0x33, 12_000_000, 5),
    ];
    let s = crate::served::summarise("p", 3, &reports, &params).unwrap();
    assert!(s.counted);
    assert_eq!(
        s.p99_us, 310_000,
        "the worst figure with 100_000 upol behind it"
    );
    // A payment-weighted median, the obvious alternative, would have been bought.
    let median = crate::served::worst_with_weight(
        reports
            .iter()
            .map(|r| (r.p99_us, r.weight.parse().unwrap()))
            .collect(),
        (60_000 + 60_000 + 12_000_000) / 2,
    );
    assert_eq!(median, Some(5_000));
    // Too little payment behind the reports: nothing counts.
    let s = crate::served::summarise("p", 3, &reports[..1], &params).unwrap();
    assert!(!s.counted);
    // One requester paying less than min_served_payment cannot make a figure on its own.
    let cheap = vec![report(0x31, 99_999, 2_000), report(0x32, 200_000, 20)];
    let s = crate::served::summarise("p", 3, &cheap, &params).unwrap();
    assert_eq!(s.p99_us, 20_000);
}

#[test]
fn at_the_epoch_end_what_requesters_saw_goes_to_sla_beside_the_probes() {
    let mut s = served_state();
    open_channel(&mut s, 8, 0x32, 2, 1_000_000);
    // Probes saw both providers at 10 ms all epoch.
    for h in 1..=3 {
        for b in [1u8, 2] {
            let mut acc = s.epoch_accumulator(&p(b)).unwrap().unwrap_or_default();
            acc.provider = Address(p(b)).to_string();
            acc.blocks += 1;
            acc.sum_p99_us += 10_000;
            acc.max_p99_us = 10_000;
            let _ = h;
            s.put_epoch_accumulator(&p(b), &acc);
        }
    }
    // Requesters saw provider 1 at 320 ms and provider 2 at 12 ms.
    report_served(
        &mut s,
        &served_msg(
            REQUESTER,
            paid_receipt(1, CHANNEL, 150_000, &worker_key(1)),
            320,
        ),
    )
    .unwrap();
    report_served(
        &mut s,
        &served_msg(0x32, paid_receipt(2, 8, 150_000, &worker_key(2)), 12),
    )
    .unwrap();
    let epoch_end = Params::DEFAULT.epoch_blocks;
    let ctx = pol_component::BlockContext {
        height: epoch_end,
        ..chain_ctx()
    };
    let mut shared = pol_component::ExecEnv::default();
    let out = crate::end_block::end_block(&mut s, &ctx, &[0; 32], &mut shared).unwrap();
    let observed = shared.get::<pol_sla::EpochObservations>().unwrap();
    let by = |b: u8| {
        observed
            .providers
            .iter()
            .find(|o| o.provider == Address(p(b)))
            .copied()
            .unwrap()
    };
    // Less the 100 ms allowance for requesters' distance.
    assert_eq!(by(1).served, Some((220_000, 0)));
    assert_eq!(by(1).judged(), (220_000, 0));
    assert_eq!(
        by(2).judged(),
        (10_000, 0),
        "12 ms less the allowance is under the probes'"
    );
    assert!(out
        .events
        .iter()
        .any(|e| e.kind.ends_with("EventServedLatency")));
    // The reports are cleared for the next epoch; the summary stays for Route.
    assert!(
        pol_component::state::scan(&s, state_key::SERVED_REPORT_PREFIX)
            .unwrap()
            .is_empty()
    );
    let kept = crate::served::judged_p99(&s, &Params::DEFAULT, &p(1), 1..=1).unwrap();
    assert_eq!(kept, Some((220_000, 0)));
    // Channel 8's reported amount is kept while the channel lives; a settled channel's
    // (here: one that was never opened) is forgotten at the epoch's end.
    pol_store::StateWriteExt::put_proto(
        &mut s,
        state_key::served_channel(99),
        &pb::ServedChannel {
            channel_id: 99,
            reported: "5".into(),
        },
    );
    crate::served::take_epoch(&mut s, &Params::DEFAULT, 2).unwrap();
    assert_eq!(crate::served::reported_on(&s, 99).unwrap(), 0);
    assert_eq!(crate::served::reported_on(&s, 8).unwrap(), 150_000);
}

/// A provider cannot shut its requesters out by filling the report slots with channels of
/// its own (whose payments come back to it): when full, the mildest report gives way to a
/// worse one, so reports of good service are the first to go.
#[test]
fn a_provider_collects_reports_of_at_most_max_served_reporters_requesters_per_epoch() {
    let params = Params {
        max_served_reporters: 2,
        ..Params::DEFAULT
    };
    let mut s = state_with(&params, &[1], &[]);
    let p99s = |s: &State| -> BTreeSet<u32> {
        pol_component::state::scan_decoded::<pb::ServedReport, _>(
            s,
            state_key::SERVED_REPORT_PREFIX,
            "latency",
        )
        .unwrap()
        .iter()
        .map(|r| r.p99_us)
        .collect()
    };
    // The provider's own two channels, paying a lot and reporting 5 ms, fill the slots.
    for (i, r) in [0x31u8, 0x32].into_iter().enumerate() {
        open_channel(&mut s, 10 + i as u64, r, 1, 10_000_000);
        let m = served_msg(
            r,
            paid_receipt(1, 10 + i as u64, 5_000_000, &worker_key(1)),
            5,
        );
        assert!(report_served(&mut s, &m).is_ok());
    }
    // A real requester paying little and reporting 300 ms still gets in: it pushes out a
    // 5 ms report.
    open_channel(&mut s, 20, 0x34, 1, 1_000_000);
    let m = served_msg(0x34, paid_receipt(1, 20, 1_000, &worker_key(1)), 300);
    assert_eq!(report_served(&mut s, &m).unwrap(), 1_000);
    assert_eq!(p99s(&s), BTreeSet::from([5_000, 300_000]));
    // A requester already counted may still add to its report.
    let m = served_msg(0x34, paid_receipt(1, 20, 2_000, &worker_key(1)), 300);
    assert_eq!(report_served(&mut s, &m).unwrap(), 1_000);
    // Pushing out the 300 ms report takes a worse one; a milder newcomer is refused.
    open_channel(&mut s, 21, 0x35, 1, 1_000_000);
    let m = served_msg(0x35, paid_receipt(1, 21, 1_000, &worker_key(1)), 4);
    assert!(report_served(&mut s, &m)
        .unwrap_err()
        .log
        .contains("none milder"));
    let m = served_msg(0x35, paid_receipt(1, 21, 1_000, &worker_key(1)), 400);
    assert!(report_served(&mut s, &m).is_ok());
    assert_eq!(p99s(&s), BTreeSet::from([300_000, 400_000]));
}

/// A commit at `height` of `present` (validator, power, distance in µs) reporting providers
/// 1 (5 ms) and 2 (40 ms), with `absent` (validator, power) in the commit but not voting,
/// and `ignored` ones whose vote did not count (a proposer blanked it).
fn geo_commit(
    height: u64,
    present: &[(u8, i64, u32)],
    absent: &[(u8, i64)],
    ignored: &[(u8, i64)],
) -> VerifiedCommit {
    let mut validators: Vec<([u8; 20], i64)> = present
        .iter()
        .map(|&(i, power, _)| (v_addr(i), power))
        .chain(
            absent
                .iter()
                .chain(ignored)
                .map(|&(i, power)| (v_addr(i), power)),
        )
        .collect();
    validators.sort();
    VerifiedCommit {
        height,
        total_power: validators.iter().map(|v| v.1).sum(),
        validators,
        ignored: ignored
            .iter()
            .map(|&(i, power)| IgnoredVote {
                index: 0,
                validator: v_addr(i),
                power,
                fault: VoteFault::BadSignature,
            })
            .collect(),
        votes: present
            .iter()
            .map(|&(i, power, geo)| {
                let mut v = vote(
                    i,
                    power,
                    vec![
                        report(1, 50, 0, 2_500 + geo / 2, 5_000 + geo, 5_000 + geo),
                        report(2, 50, 0, 20_000 + geo / 2, 40_000 + geo, 40_000 + geo),
                    ],
                    vec![],
                );
                v.extension.height = height;
                v
            })
            .collect(),
    }
}

fn outliers_of(s: &State, i: u8) -> u64 {
    s.measurer(&v_addr(i)).unwrap().map_or(0, |m| m.outliers)
}

/// Offsets are relative to one another. Two ways they used to go stale, each of which
/// flagged an honest validator for a dozen blocks in the whole-app simulation:
/// * the anchor (where most of the power is) moved while a validator was not voting, and
///   the others' offsets were re-centred on it but not the absent one's;
/// * the whole set turned over while a validator was away, so its offset was relative to
///   nobody still there.
///
/// Near validators 1 and 2 see every provider as it is; far validators 3–6 see it 50 ms
/// later.
#[test]
fn offsets_stay_comparable_when_the_anchor_moves_or_the_set_turns_over() {
    let params = Params::DEFAULT;
    let mut s = state_with(&params, &[1, 2], &[]);
    let far = 50_000;
    // The near validators hold most of the power.
    for h in 1..=10 {
        let c = geo_commit(
            h,
            &[(1, 30, 0), (2, 30, 0), (3, 20, far), (4, 20, far)],
            &[],
            &[],
        );
        aggregate::apply(&mut s, &c).unwrap();
    }
    // The far ones gain most of it while validator 2 is offline…
    for h in 11..=14 {
        let c = geo_commit(
            h,
            &[(1, 10, 0), (3, 40, far), (4, 40, far)],
            &[(2, 10)],
            &[],
        );
        aggregate::apply(&mut s, &c).unwrap();
    }
    // …and it comes back: still judged as near, never an outlier.
    for h in 15..=17 {
        let c = geo_commit(
            h,
            &[(1, 10, 0), (2, 10, 0), (3, 40, far), (4, 40, far)],
            &[],
            &[],
        );
        aggregate::apply(&mut s, &c).unwrap();
    }
    assert_eq!(
        (1..=4).map(|i| outliers_of(&s, i)).collect::<Vec<_>>(),
        [0; 4]
    );

    // Everyone leaves but far newcomers 5 and 6, for longer than an epoch…
    let turned = 18 + params.epoch_blocks;
    for h in 18..turned {
        let c = geo_commit(h, &[(5, 50, far), (6, 50, far)], &[], &[]);
        aggregate::apply(&mut s, &c).unwrap();
    }
    // …and validator 2 returns among them: its offset is learned again, not flagged.
    for h in turned..turned + 3 {
        let c = geo_commit(h, &[(2, 20, 0), (5, 50, far), (6, 50, far)], &[], &[]);
        aggregate::apply(&mut s, &c).unwrap();
    }
    assert_eq!([2, 5, 6].map(|i| outliers_of(&s, i)), [0; 3]);
    let offset = |i: u8| s.measurer(&v_addr(i)).unwrap().unwrap().geo_offset_us;
    assert_eq!(offset(5) - offset(2), i64::from(far));
}

/// A validator none of whose reports counted in an epoch, because its votes were ignored
/// (blanked), is excused from the no-report judgement, up to a third of the epoch's blocks.
#[test]
fn ignored_votes_excuse_a_validator_with_no_report_up_to_a_third_of_the_epoch() {
    let params = Params::DEFAULT;
    let mut s = state_with(&params, &[1, 2], &[]);
    let third = params.epoch_blocks / 3;
    for h in 1..=params.epoch_blocks {
        // 2 is blanked twice; 3 at more than a third of the heights; 4 never votes.
        let mut ignored = vec![];
        if h <= 2 {
            ignored.push((2, 10));
        }
        if h <= third + 1 {
            ignored.push((3, 10));
        }
        let c = geo_commit(h, &[(1, 100, 0)], &[(4, 10)], &ignored);
        aggregate::apply(&mut s, &c).unwrap();
    }
    let summary = aggregate::take_epoch(&mut s, params.epoch_blocks).unwrap();
    let excused: Vec<(u8, u64, bool)> = summary
        .measurers
        .iter()
        .map(|m| (m.validator[0] - 0xa0, m.reports, m.excused))
        .collect();
    assert_eq!(
        excused,
        [
            (1, 2 * params.epoch_blocks, false),
            (2, 0, true),
            (3, 0, false)
        ]
    );
    // The counts start over with the next epoch.
    assert_eq!(
        s.measurer(&v_addr(2)).unwrap().unwrap().epoch_ignored_votes,
        0
    );
}

/// A newcomer holding most of the power, 50 ms further than the validators already
/// measuring, is placed in their frame before the medians are taken: nobody is flagged,
/// and its offset is 50 ms from theirs. The epoch's latencies stay where they were taken
/// from; the next epoch's are taken from where most of the power now is.
#[test]
fn a_newcomer_with_most_of_the_power_joins_the_frame_without_flagging_anyone() {
    let params = Params::DEFAULT;
    let mut s = state_with(&params, &[1, 2], &[]);
    let far = 50_000;
    for h in 1..=10 {
        let c = geo_commit(h, &[(1, 10, 0), (2, 10, 0)], &[], &[]);
        aggregate::apply(&mut s, &c).unwrap();
    }
    for h in 11..=16 {
        let c = geo_commit(h, &[(1, 10, 0), (2, 10, 0), (3, 60, far)], &[], &[]);
        aggregate::apply(&mut s, &c).unwrap();
    }
    assert_eq!([1, 2, 3].map(|i| outliers_of(&s, i)), [0; 3]);
    let offset = |s: &State, i: u8| s.measurer(&v_addr(i)).unwrap().unwrap().geo_offset_us;
    assert_eq!(offset(&s, 3) - offset(&s, 1), i64::from(far));
    assert_eq!(s.aggregate(&p(1)).unwrap().unwrap().p99_us, 5_000);
    for h in 17..=params.epoch_blocks + 1 {
        let c = geo_commit(h, &[(1, 10, 0), (2, 10, 0), (3, 60, far)], &[], &[]);
        aggregate::apply(&mut s, &c).unwrap();
    }
    assert_eq!([1, 2, 3].map(|i| outliers_of(&s, i)), [0; 3]);
    assert_eq!(s.aggregate(&p(1)).unwrap().unwrap().p99_us, 5_000 + far);
    assert_eq!(
        s.geo_frame().unwrap(),
        Some(pb::GeoFrame {
            epoch: 2,
            anchor_us: offset(&s, 3)
        })
    );
}
