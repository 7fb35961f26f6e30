//! Reading and writing the minter and the parameters.

use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;
use pol_store::{StateRead, StateWrite, StoreError};
use prost::Message;

use crate::minter::{Minter, Params};
use crate::state_key;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("mint {what}: {e}"))
}

pub trait MintRead: StateRead {
    fn mint_params(&self) -> Result<Params, StoreError> {
        let raw = self
            .get_raw(state_key::PARAMS)?
            .ok_or_else(|| corrupt("params", "missing"))?;
        let p = pb::Params::decode(raw.as_slice()).map_err(|e| corrupt("params", e))?;
        Params::from_proto(&p).map_err(|e| corrupt("params", e))
    }

    fn minter(&self) -> Result<Minter, StoreError> {
        let raw = self
            .get_raw(state_key::MINTER)?
            .ok_or_else(|| corrupt("minter", "missing"))?;
        let m = pb::Minter::decode(raw.as_slice()).map_err(|e| corrupt("minter", e))?;
        Minter::from_proto(&m).map_err(|e| corrupt("minter", e))
    }
}
impl<S: StateRead + ?Sized> MintRead for S {}

pub trait MintWrite: StateWrite {
    fn put_mint_params(&mut self, params: &Params) {
        self.put_raw(
            state_key::PARAMS.to_vec(),
            params.to_proto().encode_to_vec(),
        );
    }

    fn put_minter(&mut self, minter: &Minter) {
        self.put_raw(
            state_key::MINTER.to_vec(),
            minter.to_proto().encode_to_vec(),
        );
    }
}
impl<S: StateWrite + ?Sized> MintWrite for S {}
