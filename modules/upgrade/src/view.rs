//! Reading and writing the plan and the applied upgrades.

use cosmos_sdk_proto::cosmos::upgrade::v1beta1::Plan;
use pol_store::{StateRead, StateWrite, StoreError};
use prost::Message;

use crate::state_key;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("upgrade {what}: {e}"))
}

pub trait UpgradeRead: StateRead {
    fn plan(&self) -> Result<Option<Plan>, StoreError> {
        self.get_raw(state_key::PLAN)?
            .map(|raw| Plan::decode(raw.as_slice()).map_err(|e| corrupt("plan", e)))
            .transpose()
    }

    /// The height `name` was applied at, if it was.
    fn applied(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.get_raw(&state_key::done(name))?
            .map(|raw| {
                raw.as_slice()
                    .try_into()
                    .map(u64::from_be_bytes)
                    .map_err(|_| corrupt("applied height", "not 8 bytes"))
            })
            .transpose()
    }

    /// Every applied upgrade, by name.
    fn all_applied(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut out = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.prefix_raw(state_key::DONE_PREFIX, after.as_deref(), 256)?;
            for (k, v) in &page {
                let name = String::from_utf8(k[state_key::DONE_PREFIX.len()..].to_vec())
                    .map_err(|e| corrupt("applied name", e))?;
                let height: [u8; 8] = v
                    .as_slice()
                    .try_into()
                    .map_err(|_| corrupt("applied height", "not 8 bytes"))?;
                out.push((name, u64::from_be_bytes(height)));
            }
            if page.len() < 256 {
                return Ok(out);
            }
            after = page.last().map(|(k, _)| k.clone());
        }
    }
}

impl<T: StateRead + ?Sized> UpgradeRead for T {}

pub trait UpgradeWrite: StateWrite {
    fn put_plan(&mut self, plan: &Plan) {
        self.put_raw(state_key::PLAN.to_vec(), plan.encode_to_vec());
    }

    fn clear_plan(&mut self) {
        self.delete(state_key::PLAN.to_vec());
    }

    fn set_applied(&mut self, name: &str, height: u64) {
        self.put_raw(state_key::done(name), height.to_be_bytes().to_vec());
    }
}

impl<T: StateWrite + ?Sized> UpgradeWrite for T {}
