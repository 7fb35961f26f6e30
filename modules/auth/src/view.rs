//! Reading and writing accounts through any state handle.

use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use pol_component::{Address, TxError};
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, StoreError};
use tendermint_proto::google::protobuf::Any;

use crate::{state_key, Params};

/// Read access to accounts; implemented for every [`StateRead`].
pub trait AuthRead: StateRead {
    fn account(&self, addr: &Address) -> Result<Option<BaseAccount>, StoreError> {
        self.get_proto(&state_key::account(addr))
    }

    fn account_by_number(&self, number: u64) -> Result<Option<Address>, StoreError> {
        Ok(self
            .get_raw(&state_key::account_by_number(number))?
            .and_then(|b| Address::from_slice(&b)))
    }

    fn next_account_number(&self) -> Result<u64, StoreError> {
        Ok(self
            .get_proto::<u64>(state_key::NEXT_ACCOUNT_NUMBER)?
            .unwrap_or(0))
    }

    fn auth_params(&self) -> Result<Params, StoreError> {
        Ok(self
            .get_proto::<cosmos_sdk_proto::cosmos::auth::v1beta1::Params>(state_key::PARAMS)?
            .map(|p| Params::from_proto(&p))
            .unwrap_or_default())
    }
}
impl<S: StateRead + ?Sized> AuthRead for S {}

/// Writes to accounts; implemented for every [`StateWrite`].
pub trait AuthWrite: StateWrite + AuthRead {
    fn put_account(&mut self, account: &BaseAccount) -> Result<(), TxError> {
        let addr = Address::parse(&account.address)?;
        self.put_proto(state_key::account(&addr), account);
        self.put_raw(
            state_key::account_by_number(account.account_number),
            addr.as_bytes().to_vec(),
        );
        Ok(())
    }

    /// The account at `addr`, created with the next account number if it does not exist yet
    /// (accounts come into being when they first receive coins, as in the Cosmos SDK).
    fn ensure_account(&mut self, addr: &Address) -> Result<BaseAccount, TxError> {
        if let Some(acc) = self.account(addr)? {
            return Ok(acc);
        }
        let number = self.next_account_number()?;
        let next = number
            .checked_add(1)
            .ok_or_else(|| TxError::INTERNAL("account numbers exhausted"))?;
        self.put_proto(state_key::NEXT_ACCOUNT_NUMBER.to_vec(), &next);
        let acc = BaseAccount {
            address: addr.to_string(),
            pub_key: None,
            account_number: number,
            sequence: 0,
        };
        self.put_account(&acc)?;
        Ok(acc)
    }

    fn put_auth_params(&mut self, params: &Params) {
        self.put_proto(state_key::PARAMS.to_vec(), &params.to_proto());
    }
}
impl<S: StateWrite + ?Sized> AuthWrite for S {}

/// The `Any` a secp256k1 public key travels in.
pub fn secp256k1_pubkey_any(compressed: &[u8]) -> Any {
    use prost::Message;
    let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey {
        key: compressed.to_vec(),
    };
    Any {
        type_url: crate::SECP256K1_PUBKEY_TYPE_URL.to_string(),
        value: pk.encode_to_vec(),
    }
}
