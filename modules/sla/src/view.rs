//! Typed reads and writes of sla state through any state handle.

use pol_component::state::scan;
use pol_component::Address;
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, StoreError};

use crate::params::Params;
use crate::{pb, state_key};

/// Read access to sla state; implemented for every [`StateRead`].
pub trait SlaRead: StateRead {
    fn sla_params(&self) -> Result<Params, StoreError> {
        let Some(p) = self.get_proto::<Params>(state_key::PARAMS)? else {
            return Ok(Params::defaults());
        };
        p.validate().map_err(StoreError::Corrupt)?;
        Ok(p)
    }

    fn sla_record(&self, addr: &Address) -> Result<Option<pb::ProviderRecord>, StoreError> {
        self.get_proto(&state_key::record(addr))
    }

    /// A provider's violations, newest first.
    fn sla_violations(&self, addr: &Address) -> Result<Vec<pb::SlaViolation>, StoreError> {
        scan(self, &state_key::violations_of(addr))?
            .into_iter()
            .map(|(_, v)| {
                <pb::SlaViolation as prost::Message>::decode(v.as_slice())
                    .map_err(|e| StoreError::Corrupt(format!("sla violation: {e}")))
            })
            .collect()
    }

    fn sla_last_epoch(&self) -> Result<Option<u64>, StoreError> {
        match self.get_raw(state_key::LAST_EPOCH)? {
            None => Ok(None),
            Some(v) => {
                let b: [u8; 8] = v
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("sla last epoch".into()))?;
                Ok(Some(u64::from_be_bytes(b)))
            }
        }
    }
}
impl<S: StateRead + ?Sized> SlaRead for S {}

/// Writes to sla state; implemented for every [`StateWrite`].
pub trait SlaWrite: StateWrite + SlaRead {
    fn put_sla_params(&mut self, p: &Params) {
        self.put_proto(state_key::PARAMS.to_vec(), p);
    }

    fn put_sla_record(&mut self, addr: &Address, r: &pb::ProviderRecord) {
        self.put_proto(state_key::record(addr), r);
    }

    /// Store a violation and drop the oldest beyond `keep`.
    fn push_violation(
        &mut self,
        addr: &Address,
        v: &pb::SlaViolation,
        keep: u32,
    ) -> Result<(), StoreError> {
        self.put_proto(state_key::violation(addr, v.epoch), v);
        for (k, _) in scan(self, &state_key::violations_of(addr))?
            .into_iter()
            .skip(keep as usize)
        {
            self.delete(k);
        }
        Ok(())
    }

    fn set_sla_last_epoch(&mut self, epoch: u64) {
        self.put_raw(state_key::LAST_EPOCH.to_vec(), epoch.to_be_bytes().to_vec());
    }
}
impl<S: StateWrite + ?Sized> SlaWrite for S {}
