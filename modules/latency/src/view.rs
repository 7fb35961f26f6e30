//! Typed reads and writes of `latency` state through any state handle.

use pol_component::state::scan;
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, StoreError};
use prost::Message;

use crate::pb::{self, Params};
use crate::state_key;

fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> Result<M, StoreError> {
    pol_store::decode_record::<M>(bytes)
        .map_err(|e| StoreError::Corrupt(format!("latency: {what}: {e}")))
}

/// Read access to latency state; implemented for every [`StateRead`].
pub trait LatencyRead: StateRead {
    fn latency_params(&self) -> Result<Params, StoreError> {
        Ok(self
            .get_proto::<Params>(state_key::PARAMS)?
            .unwrap_or(Params::DEFAULT))
    }

    /// The ed25519 key behind a consensus address, if the chain ever gave it to CometBFT.
    fn consensus_key(&self, address: &[u8; 20]) -> Result<Option<[u8; 32]>, StoreError> {
        let Some(k) = self.get_proto::<pb::ConsensusKey>(&state_key::consensus_key(address))?
        else {
            return Ok(None);
        };
        k.ed25519
            .as_slice()
            .try_into()
            .map(Some)
            .map_err(|_| StoreError::Corrupt("latency: consensus key is not 32 bytes".into()))
    }

    fn aggregate(&self, provider: &[u8; 20]) -> Result<Option<pb::ProviderAggregate>, StoreError> {
        self.get_proto(&state_key::aggregate(provider))
    }

    fn measurer(&self, validator: &[u8; 20]) -> Result<Option<pb::MeasurerScore>, StoreError> {
        self.get_proto(&state_key::measurer(validator))
    }

    fn epoch_accumulator(
        &self,
        provider: &[u8; 20],
    ) -> Result<Option<pb::EpochAccumulator>, StoreError> {
        self.get_proto(&state_key::epoch(provider))
    }

    /// Every provider's accumulator for the current epoch, by provider address.
    fn epoch_accumulators(&self) -> Result<Vec<([u8; 20], pb::EpochAccumulator)>, StoreError> {
        scan(self, state_key::EPOCH_PREFIX)?
            .into_iter()
            .map(|(k, v)| {
                let addr = state_key::trailing_address(&k)
                    .ok_or_else(|| StoreError::Corrupt("latency: epoch key".into()))?;
                Ok((addr, decode(&v, "epoch accumulator")?))
            })
            .collect()
    }

    /// The last block finalized (its hash challenges the extensions voted on it).
    fn last_block(&self) -> Result<Option<pb::LastBlock>, StoreError> {
        self.get_proto(state_key::LAST_BLOCK)
    }

    fn geo_frame(&self) -> Result<Option<pb::GeoFrame>, StoreError> {
        self.get_proto(state_key::GEO_FRAME)
    }

    /// Probe receipts recorded for a provider in the current epoch.
    fn probe_receipts(&self, provider: &[u8; 20]) -> Result<pb::ProbeReceipts, StoreError> {
        Ok(self
            .get_proto(&state_key::probe_receipts(provider))?
            .unwrap_or_else(|| pb::ProbeReceipts {
                provider: provider.to_vec(),
                ..Default::default()
            }))
    }

    /// Every measurer record, by consensus address.
    fn measurers(&self) -> Result<Vec<pb::MeasurerScore>, StoreError> {
        scan(self, state_key::MEASURER_PREFIX)?
            .into_iter()
            .map(|(_, v)| decode(&v, "measurer"))
            .collect()
    }
}

impl<S: StateRead + ?Sized> LatencyRead for S {}

/// Write access to latency state; implemented for every [`StateWrite`].
pub trait LatencyWrite: StateWrite {
    fn put_latency_params(&mut self, p: &Params) {
        self.put_proto(state_key::PARAMS.to_vec(), p);
    }

    fn put_consensus_key(&mut self, address: &[u8; 20], ed25519: &[u8; 32]) {
        self.put_proto(
            state_key::consensus_key(address),
            &pb::ConsensusKey {
                address: address.to_vec(),
                ed25519: ed25519.to_vec(),
            },
        );
    }

    /// The latest aggregate of a provider, and its place in the history; history older
    /// than `history_len` entries is dropped.
    fn put_aggregate(
        &mut self,
        provider: &[u8; 20],
        aggregate: &pb::ProviderAggregate,
        history_len: u32,
    ) -> Result<(), StoreError> {
        self.put_proto(state_key::aggregate(provider), aggregate);
        self.put_proto(state_key::history(provider, aggregate.height), aggregate);
        // Newest first: everything past the first `history_len` keys goes.
        let keep = usize::try_from(history_len).unwrap_or(usize::MAX);
        let prefix = state_key::history_of(provider);
        let old = self.prefix_raw(&prefix, None, keep.saturating_add(2))?;
        for (k, _) in old.into_iter().skip(keep) {
            self.delete(k);
        }
        Ok(())
    }

    fn put_measurer(&mut self, m: &pb::MeasurerScore) -> Result<(), StoreError> {
        let addr: [u8; 20] = m
            .validator
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("latency: measurer address".into()))?;
        self.put_proto(state_key::measurer(&addr), m);
        Ok(())
    }

    fn put_epoch_accumulator(&mut self, provider: &[u8; 20], a: &pb::EpochAccumulator) {
        self.put_proto(state_key::epoch(provider), a);
    }

    fn delete_epoch_accumulator(&mut self, provider: &[u8; 20]) {
        self.delete(state_key::epoch(provider));
    }

    fn put_last_block(&mut self, b: &pb::LastBlock) {
        self.put_proto(state_key::LAST_BLOCK.to_vec(), b);
    }

    fn put_geo_frame(&mut self, f: &pb::GeoFrame) {
        self.put_proto(state_key::GEO_FRAME.to_vec(), f);
    }

    fn put_probe_receipts(&mut self, r: &pb::ProbeReceipts) -> Result<(), StoreError> {
        let provider: [u8; 20] = r
            .provider
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt("latency: probe receipts provider".into()))?;
        self.put_proto(state_key::probe_receipts(&provider), r);
        Ok(())
    }
}

impl<S: StateWrite + ?Sized> LatencyWrite for S {}
