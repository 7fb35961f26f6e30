//! Whom to probe: the active providers, their endpoints, registered receipt keys and the
//! shapes of the models they serve. Pluggable, so tests can probe a fixed list.

use std::collections::BTreeSet;

use pol_component::state::scan;
use pol_inference::pb::{self, ProviderStatus};
use pol_inference::state_key;
use pol_inference::InferenceRead;
use pol_store::{StateRead, Storage, StoreError};

/// One model a provider serves, with the widths a probe needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeModel {
    pub id: String,
    /// Input width: the first layer's input.
    pub input_len: usize,
    /// Output width: the last layer's output.
    pub output_len: usize,
}

/// A provider to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub provider: [u8; 20],
    /// gRPC URL of its worker, e.g. `http://10.0.0.5:50051`.
    pub endpoint: String,
    /// The ed25519 key its receipts must be signed with (as registered).
    pub receipt_pubkey: [u8; 32],
    /// At least one.
    pub models: Vec<ProbeModel>,
    /// Probe only if the endpoint resolves to public addresses (the chain does not allow
    /// private endpoints; a registered DNS name may still point at a private address).
    pub public_only: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("reading state: {0}")]
    Store(#[from] StoreError),
}

/// Where the probe task gets its provider list; called off the consensus path (from a
/// blocking thread), every `refresh_ms`.
pub trait TargetSource: Send + Sync {
    fn targets(&self) -> Result<Vec<Target>, TargetError>;

    /// The chain's probe rate and timeout in milliseconds, where the source knows them.
    fn chain_timing(&self) -> Option<(u64, u64)> {
        None
    }
}

/// A fixed list (tests, or probing providers that are not on chain).
pub struct StaticTargets(pub Vec<Target>);

impl TargetSource for StaticTargets {
    fn targets(&self) -> Result<Vec<Target>, TargetError> {
        Ok(self.0.clone())
    }
}

/// The active providers in the last committed state.
pub struct ChainTargets {
    storage: Storage,
}

impl ChainTargets {
    pub fn new(storage: Storage) -> Self {
        ChainTargets { storage }
    }
}

impl TargetSource for ChainTargets {
    fn targets(&self) -> Result<Vec<Target>, TargetError> {
        Ok(active_targets(&self.storage.latest_snapshot())?)
    }

    fn chain_timing(&self) -> Option<(u64, u64)> {
        use pol_latency::LatencyRead;
        let p = self.storage.latest_snapshot().latency_params().ok()?;
        Some((p.probe_interval_ms.into(), p.probe_timeout_ms.into()))
    }
}

/// Every active provider of `state` that can be probed, sorted by address. A provider whose
/// record cannot be probed (no model with a known architecture, a key of the wrong length)
/// is left out with a warning: the chain validates these on registration, so this only
/// guards against a corrupt or foreign state.
pub fn active_targets<S: StateRead + ?Sized>(state: &S) -> Result<Vec<Target>, StoreError> {
    let public_only = !state.inference_params()?.allow_private_endpoints;
    let mut out = Vec::new();
    for (_, v) in scan(state, state_key::PROVIDER_PREFIX)? {
        let p = <pb::Provider as prost::Message>::decode(v.as_slice())
            .map_err(|e| StoreError::Corrupt(format!("inference: provider record: {e}")))?;
        if p.status != ProviderStatus::Active as i32 {
            continue;
        }
        match target_of(state, &p)? {
            Ok(t) => out.push(Target { public_only, ..t }),
            Err(why) => tracing::warn!(provider = %p.address, "not probing: {why}"),
        }
    }
    out.sort_by_key(|t| t.provider);
    Ok(out)
}

fn target_of<S: StateRead + ?Sized>(
    state: &S,
    p: &pb::Provider,
) -> Result<Result<Target, String>, StoreError> {
    let provider = match pol_inference::receipt::parse_address(&p.address) {
        Ok(a) => a,
        Err(e) => return Ok(Err(format!("address: {e}"))),
    };
    let Ok(receipt_pubkey) = <[u8; 32]>::try_from(p.receipt_pubkey.as_slice()) else {
        return Ok(Err(format!(
            "receipt key is {} bytes",
            p.receipt_pubkey.len()
        )));
    };
    if p.endpoint.is_empty() {
        return Ok(Err("no endpoint".into()));
    }
    let mut models = Vec::new();
    let mut seen = BTreeSet::new();
    for id in &p.models {
        if !seen.insert(id) {
            continue;
        }
        let Some(m) = state.model(id)? else { continue };
        let Some(a) = state.architecture(&m.architecture_id)? else {
            continue;
        };
        let (Some(first), Some(last)) = (a.layers.first(), a.layers.last()) else {
            continue;
        };
        if first.input == 0 || last.output == 0 {
            continue;
        }
        models.push(ProbeModel {
            id: id.clone(),
            input_len: first.input as usize,
            output_len: last.output as usize,
        });
    }
    if models.is_empty() {
        return Ok(Err("no registered model with a known architecture".into()));
    }
    Ok(Ok(Target {
        provider,
        endpoint: p.endpoint.clone(),
        receipt_pubkey,
        models,
        public_only: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pol_inference::InferenceWrite;
    use pol_store::{MemState, StateDelta};

    fn addr(b: u8) -> String {
        pol_inference::receipt::format_address(&[b; 20])
    }

    fn provider(b: u8, status: ProviderStatus, models: &[&str]) -> pb::Provider {
        pb::Provider {
            address: addr(b),
            endpoint: format!("http://127.0.0.1:{}", 5000 + u32::from(b)),
            models: models.iter().map(|m| m.to_string()).collect(),
            receipt_pubkey: vec![b; 32],
            status: status as i32,
            ..Default::default()
        }
    }

    #[test]
    fn lists_active_providers_with_model_widths() {
        let mut s = StateDelta::new(MemState::default());
        s.put_architecture(&pb::Architecture {
            id: "arch".into(),
            layers: vec![
                pb::Layer {
                    input: 64,
                    output: 32,
                    shift: 7,
                },
                pb::Layer {
                    input: 32,
                    output: 10,
                    shift: 0,
                },
            ],
            ..Default::default()
        });
        s.put_model(&pb::Model {
            id: "digits".into(),
            architecture_id: "arch".into(),
            ..Default::default()
        });
        s.put_provider(&provider(2, ProviderStatus::Active, &["digits"]), None)
            .unwrap();
        s.put_provider(&provider(1, ProviderStatus::Jailed, &["digits"]), None)
            .unwrap();
        s.put_provider(&provider(3, ProviderStatus::Active, &["unknown"]), None)
            .unwrap();
        let mut short_key = provider(4, ProviderStatus::Active, &["digits"]);
        short_key.receipt_pubkey.pop();
        s.put_provider(&short_key, None).unwrap();
        let t = active_targets(&s).unwrap();
        assert_eq!(
            t,
            vec![Target {
                provider: [2; 20],
                endpoint: "http://127.0.0.1:5002".into(),
                receipt_pubkey: [2; 32],
                models: vec![ProbeModel {
                    id: "digits".into(),
                    input_len: 64,
                    output_len: 10,
                }],
                public_only: true,
            }]
        );
    }
}
