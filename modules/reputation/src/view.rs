//! Typed reads and writes of reputation state through any state handle.

use pol_component::state::scan;
use pol_component::Address;
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, StoreError};

use crate::params::Params;
use crate::{pb, state_key};

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("reputation: {what}"))
}

/// `polvalcons…` of a consensus address.
pub fn valcons_string(cons: &[u8; 20]) -> String {
    cosmrs::AccountId::new(pol_staking::VALCONS_PREFIX, cons)
        .map(|a| a.to_string())
        .unwrap_or_default()
}

/// Read access to reputation state; implemented for every [`StateRead`].
pub trait ReputationRead: StateRead {
    fn reputation_params(&self) -> Result<Params, StoreError> {
        let Some(p) = self.get_proto::<Params>(state_key::PARAMS)? else {
            return Ok(Params::defaults());
        };
        p.validate().map_err(StoreError::Corrupt)?;
        Ok(p)
    }

    fn provider_reputation(
        &self,
        addr: &Address,
    ) -> Result<Option<pb::ProviderReputation>, StoreError> {
        self.get_proto(&state_key::provider(addr))
    }

    /// A provider's reputation in ppm: the stored one, or `initial_ppm` if never judged
    /// (what routing should rank by).
    fn provider_reputation_ppm(&self, addr: &Address) -> Result<u32, StoreError> {
        Ok(match self.provider_reputation(addr)? {
            Some(r) => r.reputation_ppm,
            None => self.reputation_params()?.initial_ppm,
        })
    }

    /// A provider's history, newest first.
    fn provider_history(&self, addr: &Address) -> Result<Vec<pb::ReputationPoint>, StoreError> {
        scan(self, &state_key::history_of(addr))?
            .into_iter()
            .map(|(_, v)| {
                <pb::ReputationPoint as prost::Message>::decode(v.as_slice())
                    .map_err(|e| corrupt(&format!("history: {e}")))
            })
            .collect()
    }

    fn validator_reputation(
        &self,
        cons: &[u8; 20],
    ) -> Result<Option<pb::ValidatorReputation>, StoreError> {
        self.get_proto(&state_key::validator(cons))
    }

    fn last_measurer_epoch(&self) -> Result<Option<u64>, StoreError> {
        match self.get_raw(state_key::LAST_MEASURER_EPOCH)? {
            None => Ok(None),
            Some(v) => {
                let b: [u8; 8] = v
                    .as_slice()
                    .try_into()
                    .map_err(|_| corrupt("last measurer epoch"))?;
                Ok(Some(u64::from_be_bytes(b)))
            }
        }
    }
}
impl<S: StateRead + ?Sized> ReputationRead for S {}

/// Writes to reputation state; implemented for every [`StateWrite`].
pub trait ReputationWrite: StateWrite + ReputationRead {
    fn put_reputation_params(&mut self, p: &Params) {
        self.put_proto(state_key::PARAMS.to_vec(), p);
    }

    fn put_provider_reputation(&mut self, addr: &Address, r: &pb::ProviderReputation) {
        self.put_proto(state_key::provider(addr), r);
    }

    /// Add a history point and drop the oldest beyond `keep`.
    fn push_history(
        &mut self,
        addr: &Address,
        point: &pb::ReputationPoint,
        keep: u32,
    ) -> Result<(), StoreError> {
        self.put_proto(state_key::history(addr, point.epoch), point);
        let entries = scan(self, &state_key::history_of(addr))?;
        for (k, _) in entries.into_iter().skip(keep as usize) {
            self.delete(k);
        }
        Ok(())
    }

    fn put_validator_reputation(&mut self, cons: &[u8; 20], r: &pb::ValidatorReputation) {
        self.put_proto(state_key::validator(cons), r);
    }

    fn set_last_measurer_epoch(&mut self, epoch: u64) {
        self.put_raw(
            state_key::LAST_MEASURER_EPOCH.to_vec(),
            epoch.to_be_bytes().to_vec(),
        );
    }
}
impl<S: StateWrite + ?Sized> ReputationWrite for S {}
