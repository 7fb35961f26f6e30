//! Test-only Byzantine behaviour (app.toml `[test_faults]`), compiled only with the
//! `test-faults` feature: the integration tests run a validator that misbehaves in one
//! precise way and watch the others refuse it.

use pol_latency::commit;
use pol_latency::LatencyRead;
use pol_store::StateRead;
use tendermint_proto::v0_38::abci::ResponsePrepareProposal;

use crate::config::TestFaults;

/// PrepareProposal's answer, forged when `[test_faults] forge_latency_report` is on.
pub fn prepared(
    mut response: ResponsePrepareProposal,
    faults: &TestFaults,
) -> ResponsePrepareProposal {
    if faults.forge_latency_report {
        forge_report(&mut response.txs);
    }
    response
}

/// ExtendVote's extension at `height`: oversized when `[test_faults]
/// oversized_vote_extension` is on, copied from the published aggregates when
/// `copy_latency_aggregates` is.
pub fn extension<S: StateRead>(
    extension: Vec<u8>,
    height: u64,
    state: &S,
    faults: &TestFaults,
) -> Vec<u8> {
    if faults.oversized_vote_extension {
        oversized_extension(state)
    } else if faults.copy_latency_aggregates {
        copied_extension(height, state)
    } else {
        extension
    }
}

/// Test fault: a validator that does not probe and reports every active provider's latest
/// published aggregate as its own measurement (a copier: never an outlier by distance, and
/// without receipts of its own probes).
fn copied_extension<S: StateRead>(height: u64, state: &S) -> Vec<u8> {
    use prost::Message;
    let Ok(params) = state.latency_params() else {
        return Vec::new();
    };
    let latest = pol_component::state::scan(state, pol_latency::state_key::AGGREGATE_PREFIX)
        .unwrap_or_default();
    let windows: Vec<pol_latency::ProviderWindow> = latest
        .iter()
        .filter_map(|(key, value)| {
            let address = pol_latency::state_key::trailing_address(key)?;
            let a: pol_latency::pb::ProviderAggregate = pol_store::decode_record(value).ok()?;
            let samples = 20u32;
            let failures = u32::try_from(u64::from(a.failure_rate_ppm) * 20 / 1_000_000)
                .unwrap_or(samples)
                .min(samples);
            Some(pol_latency::ProviderWindow {
                provider: address,
                samples,
                failures,
                p50_us: a.p50_us.min(a.p99_us),
                p99_us: a.p99_us,
                max_us: a.p99_us,
            })
        })
        .collect();
    tracing::warn!(
        "TEST FAULT: extending the vote with {} copied aggregates",
        windows.len()
    );
    pol_latency::extension::build(height, windows, Vec::new(), &params, |p| {
        pol_latency::extension::is_active_provider(state, p).unwrap_or(false)
    })
    .encode_to_vec()
}

/// Test fault: an extension one byte over the bound (every other validator must refuse it).
fn oversized_extension<S: StateRead>(state: &S) -> Vec<u8> {
    let max = state
        .latency_params()
        .map(|p| p.max_extension_bytes)
        .unwrap_or(pol_latency::pb::Params::DEFAULT.max_extension_bytes);
    tracing::warn!("TEST FAULT: extending the vote with {} bytes", max + 1);
    vec![0; max as usize + 1]
}

/// Test fault: flips a bit of the first vote-extension signature of the injected report
/// (every other validator must refuse the proposal).
fn forge_report(txs: &mut [prost::bytes::Bytes]) {
    let Some(first) = txs.first_mut().filter(|t| pol_latency::is_injected(t)) else {
        return;
    };
    let Ok(mut info) = commit::decode_injected(first) else {
        return;
    };
    if let Some(vote) = info
        .votes
        .iter_mut()
        .find(|v| !v.extension_signature.is_empty())
    {
        let mut sig = vote.extension_signature.to_vec();
        sig[0] ^= 1;
        vote.extension_signature = sig.into();
        tracing::warn!("TEST FAULT: proposing a forged latency report");
    }
    *first = commit::encode_injected(&info).into();
}
