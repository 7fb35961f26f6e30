//! Typed reads and writes of payments state through any state handle; the writers keep
//! every index in step with its record.

use pol_component::coins::parse_amount;
use pol_component::Address;
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, StoreError};

use crate::params::Params;
use crate::pb;
use crate::state_key;

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("payments: {what}"))
}

/// A stored channel's numbers, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amounts {
    pub deposit: u128,
    pub claimed: u128,
    pub claimed_royalty: u128,
}

impl Amounts {
    pub fn of(c: &pb::Channel) -> Result<Self, StoreError> {
        let amount = |s: &str| parse_amount(s).ok_or_else(|| corrupt(format!("amount {s:?}")));
        Ok(Amounts {
            deposit: amount(&c.deposit)?,
            claimed: amount(&c.claimed)?,
            claimed_royalty: amount(&c.claimed_royalty)?,
        })
    }

    /// What the escrow still holds for this channel.
    pub fn unclaimed(&self) -> u128 {
        self.deposit.saturating_sub(self.claimed)
    }
}

/// The parties of a stored channel.
pub fn parties(c: &pb::Channel) -> Result<(Address, Address), StoreError> {
    let parse = |s: &str| Address::parse(s).map_err(|_| corrupt("stored address"));
    Ok((parse(&c.requester)?, parse(&c.provider)?))
}

/// Read access to payments state; implemented for every [`StateRead`].
pub trait PaymentsRead: StateRead {
    fn payments_params(&self) -> Result<Params, StoreError> {
        match self.get_proto::<pb::Params>(state_key::PARAMS)? {
            None => Ok(Params::default()),
            Some(p) => Params::from_proto(&p).map_err(StoreError::Corrupt),
        }
    }

    fn channel(&self, id: u64) -> Result<Option<pb::Channel>, StoreError> {
        self.get_proto(&state_key::channel(id))
    }

    fn next_channel_id(&self) -> Result<u64, StoreError> {
        Ok(self
            .get_proto::<u64>(state_key::NEXT_CHANNEL_ID)?
            .unwrap_or(1))
    }
}
impl<S: StateRead + ?Sized> PaymentsRead for S {}

/// Writes; each keeps the indexes of its record in step.
pub trait PaymentsWrite: StateWrite + PaymentsRead {
    fn put_payments_params(&mut self, p: &Params) {
        self.put_proto(state_key::PARAMS.to_vec(), &p.to_proto());
    }

    fn put_next_channel_id(&mut self, id: u64) {
        self.put_proto(state_key::NEXT_CHANNEL_ID.to_vec(), &id);
    }

    /// Store `c`; `old_expiry` is the expiry its index entry has now (`None` for a new
    /// channel).
    fn put_channel(&mut self, c: &pb::Channel, old_expiry: Option<u64>) -> Result<(), StoreError> {
        let (requester, provider) = parties(c)?;
        match old_expiry {
            None => {
                self.put_raw(state_key::requester_channel(&requester, c.id), vec![1]);
                self.put_raw(state_key::provider_channel(&provider, c.id), vec![1]);
            }
            Some(h) if h != c.expiry_height => self.delete(state_key::expiry(h, c.id)),
            Some(_) => {}
        }
        self.put_raw(state_key::expiry(c.expiry_height, c.id), vec![1]);
        self.put_proto(state_key::channel(c.id), c);
        Ok(())
    }

    /// Remove `c` and every index entry of it.
    fn remove_channel(&mut self, c: &pb::Channel) -> Result<(), StoreError> {
        let (requester, provider) = parties(c)?;
        self.delete(state_key::requester_channel(&requester, c.id));
        self.delete(state_key::provider_channel(&provider, c.id));
        self.delete(state_key::expiry(c.expiry_height, c.id));
        self.delete(state_key::channel(c.id));
        Ok(())
    }
}
impl<S: StateWrite + ?Sized> PaymentsWrite for S {}
