//! Chain-wide bounds kept in state (set at genesis), read on the consensus path.

use pol_store::{StateRead, StateReadExt, StoreError};
use serde::{Deserialize, Serialize};

pub const PARAMS_KEY: &[u8] = b"app/params";
pub const CHAIN_ID_KEY: &[u8] = b"app/chain_id";

/// Per-transaction and per-block bounds.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct ChainParams {
    /// Largest transaction accepted, in bytes.
    #[prost(uint64, tag = "1")]
    pub max_tx_bytes: u64,
    /// Largest total gas limit of the transactions in one block.
    #[prost(uint64, tag = "2")]
    pub max_block_gas: u64,
    /// `consensus_params.evidence.max_age_num_blocks` (0: not known).
    #[prost(uint64, tag = "3")]
    #[serde(default)]
    pub evidence_max_age_num_blocks: u64,
    /// `consensus_params.evidence.max_age_duration`, in nanoseconds (0: not known).
    #[prost(uint64, tag = "4")]
    #[serde(default)]
    pub evidence_max_age_duration_nanos: u64,
    /// `consensus_params.block.max_bytes` (0: not known), kept so that an export after a
    /// consensus-params proposal writes what the chain runs with.
    #[prost(int64, tag = "5")]
    #[serde(default)]
    pub max_block_bytes: i64,
    /// `consensus_params.evidence.max_bytes` (0: not known).
    #[prost(int64, tag = "6")]
    #[serde(default)]
    pub evidence_max_bytes: i64,
}

impl ChainParams {
    pub const DEFAULT: ChainParams = ChainParams {
        max_tx_bytes: 1 << 20,
        max_block_gas: 100_000_000,
        evidence_max_age_num_blocks: 0,
        evidence_max_age_duration_nanos: 0,
        max_block_bytes: 0,
        evidence_max_bytes: 0,
    };

    /// With the consensus parameters' evidence max age (ignored unless both are positive).
    pub fn with_evidence(mut self, max_age_num_blocks: i64, max_age_duration_nanos: i64) -> Self {
        if max_age_num_blocks > 0 && max_age_duration_nanos > 0 {
            self.evidence_max_age_num_blocks = max_age_num_blocks as u64;
            self.evidence_max_age_duration_nanos = max_age_duration_nanos as u64;
        }
        self
    }

    /// With the consensus parameters' evidence max bytes.
    pub fn with_evidence_bytes(mut self, max_bytes: i64) -> Self {
        self.evidence_max_bytes = max_bytes.max(0);
        self
    }

    /// The evidence max age slashing checks evidence against, when known.
    pub fn evidence_max_age(&self) -> Option<pol_component::context::EvidenceMaxAge> {
        (self.evidence_max_age_num_blocks > 0 && self.evidence_max_age_duration_nanos > 0)
            .then_some(pol_component::context::EvidenceMaxAge {
                num_blocks: self.evidence_max_age_num_blocks,
                duration_nanos: self.evidence_max_age_duration_nanos,
            })
    }

    pub fn load<S: StateRead>(state: &S) -> Result<ChainParams, StoreError> {
        Ok(state
            .get_proto::<ChainParams>(PARAMS_KEY)?
            .unwrap_or(ChainParams::DEFAULT))
    }
}

pub fn chain_id<S: StateRead>(state: &S) -> Result<String, StoreError> {
    Ok(state
        .get_raw(CHAIN_ID_KEY)?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default())
}
