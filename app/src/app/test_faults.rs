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

/// ExtendVote's extension, oversized when `[test_faults] oversized_vote_extension` is on.
pub fn extension<S: StateRead>(extension: Vec<u8>, state: &S, faults: &TestFaults) -> Vec<u8> {
    if faults.oversized_vote_extension {
        oversized_extension(state)
    } else {
        extension
    }
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
