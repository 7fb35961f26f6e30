//! `cosmos.bank.v1beta1.MsgSend`.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgSend, MsgSendResponse};
use pol_component::coins::parse_coins;
use pol_component::{Address, Event, TxError};
use pol_store::StateWrite;

use crate::BankWrite;

/// The signer a `MsgSend` needs: its sender.
pub fn send_signer(msg: &MsgSend) -> Result<Address, TxError> {
    Address::parse(&msg.from_address)
}

/// Stateless checks of a `MsgSend`.
pub fn validate_send(
    msg: &MsgSend,
) -> Result<(Address, Address, Vec<pol_component::coins::Coin>), TxError> {
    let from = Address::parse(&msg.from_address)?;
    let to = Address::parse(&msg.to_address)?;
    let coins = parse_coins(&msg.amount)?;
    if coins.is_empty() {
        return Err(TxError::INVALID_COINS("send amount must not be empty"));
    }
    Ok((from, to, coins))
}

/// Execute a `MsgSend` whose signer the ante handler has already checked.
pub fn execute_send<S: StateWrite>(
    state: &mut S,
    msg: &MsgSend,
) -> Result<(MsgSendResponse, Vec<Event>), TxError> {
    let (from, to, coins) = validate_send(msg)?;
    let events = state.send_coins(&from, &to, &coins)?;
    Ok((MsgSendResponse {}, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BankRead;
    use pol_component::coins::Coin;
    use pol_component::error::code;
    use pol_store::{StateDelta, Storage, StorageConfig};

    fn addr(b: u8) -> Address {
        Address([b; 20])
    }

    fn send(from: Address, to: Address, amount: &str, denom: &str) -> MsgSend {
        MsgSend {
            from_address: from.to_string(),
            to_address: to.to_string(),
            amount: vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                denom: denom.into(),
                amount: amount.into(),
            }],
        }
    }

    fn with_state(f: impl FnOnce(&mut StateDelta<pol_store::Snapshot>)) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), StorageConfig { keep_recent: 0 }).unwrap();
        let mut state = StateDelta::new(storage.latest_snapshot());
        state.mint(&addr(1), &[Coin::new("upol", 100)]).unwrap();
        f(&mut state);
    }

    #[test]
    fn send_moves_coins_and_keeps_supply() {
        with_state(|s| {
            let (_, events) = execute_send(s, &send(addr(1), addr(2), "40", "upol")).unwrap();
            assert_eq!(s.balance(&addr(1), "upol").unwrap(), 60);
            assert_eq!(s.balance(&addr(2), "upol").unwrap(), 40);
            assert_eq!(s.supply_of("upol").unwrap(), 100);
            assert!(events.iter().any(|e| e.kind == "transfer"));
            // The recipient's account came into being with the next number.
            assert_eq!(
                pol_auth::AuthRead::account(s, &addr(2))
                    .unwrap()
                    .unwrap()
                    .account_number,
                1
            );
        });
    }

    #[test]
    fn rejections_change_nothing() {
        with_state(|s| {
            let before = s.writes().clone();
            assert_eq!(
                execute_send(s, &send(addr(1), addr(2), "101", "upol"))
                    .unwrap_err()
                    .code,
                code::INSUFFICIENT_FUNDS
            );
            assert_eq!(
                execute_send(s, &send(addr(1), addr(2), "0", "upol"))
                    .unwrap_err()
                    .code,
                code::INVALID_COINS
            );
            assert_eq!(
                execute_send(s, &send(addr(1), addr(2), "-5", "upol"))
                    .unwrap_err()
                    .code,
                code::INVALID_COINS
            );
            let mut bad = send(addr(1), addr(2), "1", "upol");
            bad.to_address = "cosmos1xyz".into();
            assert_eq!(
                execute_send(s, &bad).unwrap_err().code,
                code::INVALID_ADDRESS
            );
            assert_eq!(s.writes(), &before);
        });
    }

    #[test]
    fn self_send_and_exact_balance() {
        with_state(|s| {
            execute_send(s, &send(addr(1), addr(1), "100", "upol")).unwrap();
            assert_eq!(s.balance(&addr(1), "upol").unwrap(), 100);
            execute_send(s, &send(addr(1), addr(3), "100", "upol")).unwrap();
            assert_eq!(s.balance(&addr(1), "upol").unwrap(), 0);
            assert!(s.all_balances(&addr(1)).unwrap().is_empty());
        });
    }
}
