//! Reading and moving coins through any state handle. Every amount uses checked math:
//! an overflow is an error, never a wrap.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_auth::AuthWrite;
use pol_component::coins::{coins_to_string, parse_amount, Coin};
use pol_component::{Address, Event, TxError};
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, StoreError};

use crate::state_key;

fn decode_amount(c: Option<ProtoCoin>, what: &str) -> Result<u128, StoreError> {
    match c {
        None => Ok(0),
        Some(c) => parse_amount(&c.amount)
            .ok_or_else(|| StoreError::Corrupt(format!("{what}: bad amount {:?}", c.amount))),
    }
}

/// Read access to balances and supply; implemented for every [`StateRead`].
pub trait BankRead: StateRead {
    fn balance(&self, addr: &Address, denom: &str) -> Result<u128, StoreError> {
        decode_amount(self.get_proto(&state_key::balance(addr, denom))?, "balance")
    }

    /// Every non-zero balance of `addr`, sorted by denom.
    fn all_balances(&self, addr: &Address) -> Result<Vec<Coin>, StoreError> {
        let prefix = state_key::balances_of(addr);
        let mut out = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.prefix_raw(&prefix, after.as_deref(), 256)?;
            for (k, v) in &page {
                let denom = String::from_utf8(k[prefix.len()..].to_vec())
                    .map_err(|_| StoreError::Corrupt("non-utf8 denom in balance key".into()))?;
                let amount = decode_amount(
                    Some(
                        prost::Message::decode(v.as_slice())
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    ),
                    "balance",
                )?;
                out.push(Coin { denom, amount });
            }
            match page.last() {
                Some((k, _)) if page.len() == 256 => after = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    fn supply_of(&self, denom: &str) -> Result<u128, StoreError> {
        decode_amount(self.get_proto(&state_key::supply(denom))?, "supply")
    }
}
impl<S: StateRead + ?Sized> BankRead for S {}

/// Moving, minting and burning coins; implemented for every [`StateWrite`].
pub trait BankWrite: StateWrite + BankRead {
    fn set_balance(&mut self, addr: &Address, denom: &str, amount: u128) {
        let key = state_key::balance(addr, denom);
        if amount == 0 {
            // Zero balances are not stored, so AllBalances lists only what is held.
            self.delete(key);
        } else {
            self.put_proto(key, &Coin::new(denom, amount).to_proto());
        }
    }

    fn set_supply(&mut self, denom: &str, amount: u128) {
        let key = state_key::supply(denom);
        if amount == 0 {
            self.delete(key);
        } else {
            self.put_proto(key, &Coin::new(denom, amount).to_proto());
        }
    }

    /// Take `coins` from `addr`; fails without writing if any balance is short.
    fn sub_coins(&mut self, addr: &Address, coins: &[Coin]) -> Result<(), TxError> {
        let mut new = Vec::with_capacity(coins.len());
        for c in coins {
            let have = self.balance(addr, &c.denom)?;
            let left = have.checked_sub(c.amount).ok_or_else(|| {
                TxError::INSUFFICIENT_FUNDS(format!(
                    "spendable balance {have}{} is smaller than {}: insufficient funds",
                    c.denom, c
                ))
            })?;
            new.push(left);
        }
        for (c, left) in coins.iter().zip(new) {
            self.set_balance(addr, &c.denom, left);
        }
        Ok(())
    }

    /// Give `coins` to `addr`, creating its account if it has none.
    fn add_coins(&mut self, addr: &Address, coins: &[Coin]) -> Result<(), TxError>
    where
        Self: AuthWrite,
    {
        self.ensure_account(addr)?;
        for c in coins {
            let have = self.balance(addr, &c.denom)?;
            let total = have.checked_add(c.amount).ok_or_else(|| {
                TxError::INVALID_COINS(format!("balance overflow of {}", c.denom))
            })?;
            self.set_balance(addr, &c.denom, total);
        }
        Ok(())
    }

    /// Move coins between accounts, with the Cosmos SDK's transfer events.
    fn send_coins(
        &mut self,
        from: &Address,
        to: &Address,
        coins: &[Coin],
    ) -> Result<Vec<Event>, TxError>
    where
        Self: AuthWrite,
    {
        self.sub_coins(from, coins)?;
        self.add_coins(to, coins)?;
        let amount = coins_to_string(coins);
        Ok(vec![
            Event::new("coin_spent")
                .attr("spender", from.to_string())
                .attr("amount", amount.clone()),
            Event::new("coin_received")
                .attr("receiver", to.to_string())
                .attr("amount", amount.clone()),
            Event::new("transfer")
                .attr("recipient", to.to_string())
                .attr("sender", from.to_string())
                .attr("amount", amount),
        ])
    }

    /// Create coins (genesis and protocol rewards only); supply grows with them.
    fn mint(&mut self, to: &Address, coins: &[Coin]) -> Result<(), TxError>
    where
        Self: AuthWrite,
    {
        for c in coins {
            let supply = self
                .supply_of(&c.denom)?
                .checked_add(c.amount)
                .ok_or_else(|| TxError::INVALID_COINS(format!("supply overflow of {}", c.denom)))?;
            self.set_supply(&c.denom, supply);
        }
        self.add_coins(to, coins)
    }

    /// Destroy coins held by `from` (slashing); supply shrinks with them.
    fn burn(&mut self, from: &Address, coins: &[Coin]) -> Result<(), TxError> {
        self.sub_coins(from, coins)?;
        for c in coins {
            let supply = self
                .supply_of(&c.denom)?
                .checked_sub(c.amount)
                .ok_or_else(|| {
                    TxError::INTERNAL(format!("burning {c} exceeds the supply of {}", c.denom))
                })?;
            self.set_supply(&c.denom, supply);
        }
        Ok(())
    }
}
impl<S: StateWrite + ?Sized> BankWrite for S {}
