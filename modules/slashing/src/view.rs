//! Reading and writing slashing's records in their SDK protobuf forms.

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use pol_store::{StateRead, StateWrite, StoreError};
use prost::Message;

use crate::params::Params;
use crate::signing_info::SigningInfo;
use crate::state_key;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("slashing {what}: {e}"))
}

/// How many entries one prefix page reads.
const PAGE: usize = 512;

pub trait SlashingRead: StateRead {
    fn slashing_params(&self) -> Result<Params, StoreError> {
        let raw = self
            .get_raw(state_key::PARAMS)?
            .ok_or_else(|| corrupt("params", "missing"))?;
        let p = pb::Params::decode(raw.as_slice()).map_err(|e| corrupt("params", e))?;
        Params::from_proto(&p).map_err(|e| corrupt("params", e))
    }

    fn signing_info(&self, cons: &[u8; 20]) -> Result<Option<SigningInfo>, StoreError> {
        self.get_raw(&state_key::signing_info(cons))?
            .map(|raw| decode_info(&raw))
            .transpose()
    }

    /// Every signing info, in consensus-address order.
    fn signing_infos(&self) -> Result<Vec<SigningInfo>, StoreError> {
        let mut out = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.prefix_raw(state_key::SIGNING_INFO_PREFIX, after.as_deref(), PAGE)?;
            for (_, v) in &page {
                out.push(decode_info(v)?);
            }
            match page.last() {
                Some((k, _)) if page.len() == PAGE => after = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    /// Whether the validator missed the block at `index` of its window.
    fn missed_block(&self, cons: &[u8; 20], index: u64) -> Result<bool, StoreError> {
        Ok(self.get_raw(&state_key::missed(cons, index))?.is_some())
    }

    /// The window indices at which the validator missed its block, ascending.
    fn missed_indices(&self, cons: &[u8; 20]) -> Result<Vec<u64>, StoreError> {
        let prefix = state_key::missed_of(cons);
        let mut out = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.prefix_raw(&prefix, after.as_deref(), PAGE)?;
            for (k, _) in &page {
                let index: [u8; 8] = k[prefix.len()..]
                    .try_into()
                    .map_err(|_| corrupt("missed-block key", "index is not 8 bytes"))?;
                out.push(u64::from_be_bytes(index));
            }
            match page.last() {
                Some((k, _)) if page.len() == PAGE => after = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }
}
impl<S: StateRead + ?Sized> SlashingRead for S {}

fn decode_info(raw: &[u8]) -> Result<SigningInfo, StoreError> {
    let p = pb::ValidatorSigningInfo::decode(raw).map_err(|e| corrupt("signing info", e))?;
    SigningInfo::from_proto(&p).map_err(|e| corrupt("signing info", e))
}

pub trait SlashingWrite: StateWrite {
    fn put_slashing_params(&mut self, params: &Params) {
        self.put_raw(
            state_key::PARAMS.to_vec(),
            params.to_proto().encode_to_vec(),
        );
    }

    fn put_signing_info(&mut self, info: &SigningInfo) {
        self.put_raw(
            state_key::signing_info(&info.address),
            info.to_proto().encode_to_vec(),
        );
    }

    fn set_missed_block(&mut self, cons: &[u8; 20], index: u64, missed: bool) {
        let key = state_key::missed(cons, index);
        if missed {
            self.put_raw(key, vec![1]);
        } else {
            self.delete(key);
        }
    }

    /// Forget the validator's whole window (after a downtime jail, as the SDK does, so it
    /// is not jailed again the moment it rejoins).
    fn clear_missed_blocks(&mut self, cons: &[u8; 20]) -> Result<(), StoreError> {
        for index in self.missed_indices(cons)? {
            self.set_missed_block(cons, index, false);
        }
        Ok(())
    }
}
impl<S: StateWrite + ?Sized> SlashingWrite for S {}
