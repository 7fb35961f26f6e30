//! `latency` genesis: parameters, and on export every record, so a chain started from an
//! export has the same state (and app hash) as the one exported.

use pol_component::genesis::ChainStart;
use pol_component::{AppState, ModuleGenesis};
use std::collections::BTreeSet;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use pol_component::state::scan_decoded;
use pol_component::{Address, BlockContext, TxError};
use pol_store::{StateRead, StateWrite, StateWriteExt};

use crate::pb::Params;
use crate::state_key;
use crate::view::LatencyWrite;

/// The generated `pol.latency.v1.GenesisState` (`genesis.proto`): genesis JSON is it
/// through serde.
pub use crate::pb::GenesisState;

pol_component::genesis_params!(GenesisState, Params, "latency");

/// Bytes as lower-case hex in genesis JSON.
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(&s).map_err(serde::de::Error::custom)
    }
}

fn err(what: impl std::fmt::Display) -> String {
    format!("latency genesis: {what}")
}

fn address20(bytes: &[u8], what: &str) -> Result<[u8; 20], String> {
    bytes
        .try_into()
        .map_err(|_| err(format!("{what} must be 20 bytes")))
}

fn provider20(s: &str) -> Result<[u8; 20], String> {
    Address::parse(s)
        .map(|a| a.0)
        .map_err(|e| err(format!("provider {s:?}: {}", e.log)))
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = "latency";

    fn default_genesis() -> Self {
        default_genesis()
    }

    fn validate(&self) -> Result<(), String> {
        self.params()?.validate()?;
        let mut keys = BTreeSet::new();
        for k in &self.consensus_keys {
            let a = address20(&k.address, "consensus key address")?;
            if k.ed25519.len() != 32 {
                return Err(err("consensus key must be 32 bytes"));
            }
            if !keys.insert(a) {
                return Err(err("consensus key listed twice"));
            }
        }
        let mut seen = BTreeSet::new();
        for a in &self.aggregates {
            let p = provider20(&a.provider)?;
            if !seen.insert((p, a.height)) {
                return Err(err(format!(
                    "aggregate {} at {} twice",
                    a.provider, a.height
                )));
            }
            for r in &a.reports {
                address20(&r.validator, "report validator")?;
            }
        }
        let mut measurers = BTreeSet::new();
        for m in &self.measurers {
            if !measurers.insert(address20(&m.validator, "measurer")?) {
                return Err(err("measurer listed twice"));
            }
        }
        let mut epochs = BTreeSet::new();
        for e in &self.epoch_accumulators {
            if !epochs.insert(provider20(&e.provider)?) {
                return Err(err(format!("epoch accumulator {} twice", e.provider)));
            }
        }
        if let Some(b) = &self.last_block {
            if b.hash.len() > 64 {
                return Err(err("last_block.hash is longer than 64 bytes"));
            }
        }
        let mut counted = BTreeSet::new();
        for r in &self.probe_receipts {
            if !counted.insert(address20(&r.provider, "probe receipts provider")?) {
                return Err(err("probe receipts of a provider listed twice"));
            }
            let mut carriers = BTreeSet::new();
            let mut sum: u64 = 0;
            for c in &r.carriers {
                if !carriers.insert(address20(&c.validator, "probe receipts carrier")?) {
                    return Err(err("a probe receipt carrier listed twice"));
                }
                sum = sum.saturating_add(c.recorded);
            }
            if sum != r.recorded {
                return Err(err("probe receipts: carriers do not add up to the total"));
            }
        }
        let amount = |s: &str, what: &str| {
            pol_component::coins::parse_amount(s)
                .ok_or_else(|| err(format!("{what} {s:?} is not an amount")))
        };
        // Addresses as the chain writes them: reports are grouped by the stored string.
        let canonical = |s: &str| -> Result<[u8; 20], String> {
            let a = provider20(s)?;
            if Address(a).to_string() != s {
                return Err(err(format!(
                    "{s:?} is not written as the chain writes addresses"
                )));
            }
            Ok(a)
        };
        let mut reports = BTreeSet::new();
        for r in &self.served_reports {
            let key = (canonical(&r.provider)?, canonical(&r.requester)?);
            if !reports.insert(key) {
                return Err(err(
                    "a requester's served report on a provider listed twice",
                ));
            }
            amount(&r.weight, "served report weight")?;
            if r.requests == 0 || r.failures > r.requests || r.p50_us > r.p99_us {
                return Err(err(format!(
                    "served report {}: figures out of order",
                    r.provider
                )));
            }
        }
        let mut served = BTreeSet::new();
        for s in &self.served {
            if !served.insert(canonical(&s.provider)?) {
                return Err(err(format!("served latency of {} twice", s.provider)));
            }
            amount(&s.weight, "served weight")?;
        }
        let mut channels = BTreeSet::new();
        for c in &self.served_channels {
            if !channels.insert(c.channel_id) {
                return Err(err(format!("served channel {} twice", c.channel_id)));
            }
            amount(&c.reported, "served channel amount")?;
        }
        Ok(())
    }

    /// The epoch the chain starts in must not be judged already: sla and reputation stop
    /// the chain (every validator at once) at an epoch end whose epoch is not after their
    /// last one. An export at height H starts at H + 1 and always passes.
    fn validate_against(&self, app_state: &AppState, chain: &ChainStart) -> Result<(), String> {
        let first = self.params()?.epoch_of(chain.initial_height);
        let sla: pol_sla::GenesisState = app_state.get()?;
        if let Some(last) = sla.last_epoch.filter(|&last| last >= first) {
            return Err(format!(
                "sla.last_epoch is {last}, but the chain starts at height {} in epoch {first}: \
                 the first epoch end would be refused and halt the chain (it must be below {first})",
                chain.initial_height
            ));
        }
        let reputation: pol_reputation::GenesisState = app_state.get()?;
        if let Some(last) = reputation.last_measurer_epoch.filter(|&last| last >= first) {
            return Err(format!(
                "reputation.last_measurer_epoch is {last}, but the chain starts at height {} in \
                 epoch {first}: the first epoch end would be refused and halt the chain (it must \
                 be below {first})",
                chain.initial_height
            ));
        }
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        let params = self.params().map_err(TxError::INVALID_REQUEST)?;
        state.put_latency_params(params);
        for k in &self.consensus_keys {
            let a = address20(&k.address, "").map_err(TxError::INVALID_REQUEST)?;
            let key: [u8; 32] = k.ed25519.as_slice().try_into().unwrap_or([0; 32]);
            state.put_consensus_key(&a, &key);
        }
        // Oldest first, so each provider's newest ends up as its latest.
        let mut aggregates = self.aggregates.clone();
        aggregates.sort_by_key(|a| a.height);
        for a in &aggregates {
            let p = provider20(&a.provider).map_err(TxError::INVALID_REQUEST)?;
            state.put_aggregate(&p, a, params.history_len)?;
        }
        for m in &self.measurers {
            state.put_measurer(m)?;
        }
        for e in &self.epoch_accumulators {
            let p = provider20(&e.provider).map_err(TxError::INVALID_REQUEST)?;
            state.put_epoch_accumulator(&p, e);
        }
        if let Some(f) = &self.geo_frame {
            state.put_geo_frame(f);
        }
        if let Some(b) = &self.last_block {
            state.put_last_block(b);
        }
        for r in &self.probe_receipts {
            let mut r = r.clone();
            r.carriers.sort_by(|a, b| a.validator.cmp(&b.validator));
            state.put_probe_receipts(&r)?;
        }
        let bad = TxError::INVALID_REQUEST;
        for r in &self.served_reports {
            let key = state_key::served_report(
                &provider20(&r.provider).map_err(bad)?,
                &provider20(&r.requester).map_err(bad)?,
            );
            state.put_proto(key, r);
        }
        for s in &self.served {
            state.put_proto(state_key::served(&provider20(&s.provider).map_err(bad)?), s);
        }
        for c in &self.served_channels {
            state.put_proto(state_key::served_channel(c.channel_id), c);
        }
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        use crate::view::LatencyRead;
        Ok(GenesisState {
            params: Some(state.latency_params()?),
            consensus_keys: scan_decoded(state, state_key::CONSENSUS_KEY_PREFIX, "latency")?,
            aggregates: scan_decoded(state, b"latency/history/", "latency")?,
            measurers: scan_decoded(state, state_key::MEASURER_PREFIX, "latency")?,
            epoch_accumulators: scan_decoded(state, state_key::EPOCH_PREFIX, "latency")?,
            probe_receipts: scan_decoded(state, state_key::PROBE_RECEIPTS_PREFIX, "latency")?,
            last_block: state.last_block()?,
            geo_frame: state.geo_frame()?,
            served_reports: scan_decoded(state, state_key::SERVED_REPORT_PREFIX, "latency")?,
            served: scan_decoded(state, state_key::SERVED_PREFIX, "latency")?,
            served_channels: scan_decoded(state, state_key::SERVED_CHANNEL_PREFIX, "latency")?,
        })
    }
}
