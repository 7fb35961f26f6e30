//! Coin amounts: u128 with checked arithmetic, parsed and validated the Cosmos way.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use crate::TxError;

/// One denomination and a non-negative amount.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Coin {
    pub denom: String,
    pub amount: u128,
}

impl Coin {
    pub fn new(denom: impl Into<String>, amount: u128) -> Self {
        Coin {
            denom: denom.into(),
            amount,
        }
    }

    pub fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }

    /// Decode and validate a protobuf coin (denom syntax, decimal amount that fits u128).
    pub fn from_proto(c: &ProtoCoin) -> Result<Self, TxError> {
        validate_denom(&c.denom)?;
        let amount = parse_amount(&c.amount).ok_or_else(|| {
            TxError::INVALID_COINS(format!("invalid amount {:?} of {}", c.amount, c.denom))
        })?;
        Ok(Coin {
            denom: c.denom.clone(),
            amount,
        })
    }
}

impl std::fmt::Display for Coin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// Decimal digits only, no sign, no leading '+', fits u128.
pub fn parse_amount(s: &str) -> Option<u128> {
    if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Cosmos denom syntax: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(denom: &str) -> Result<(), TxError> {
    let bytes = denom.as_bytes();
    let ok = (3..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"/:._-".contains(b));
    if ok {
        Ok(())
    } else {
        Err(TxError::INVALID_COINS(format!("invalid denom {denom:?}")))
    }
}

/// A list of coins as messages carry it: every amount positive, denoms sorted and unique.
pub fn parse_coins(coins: &[ProtoCoin]) -> Result<Vec<Coin>, TxError> {
    let mut out: Vec<Coin> = Vec::with_capacity(coins.len());
    for c in coins {
        let coin = Coin::from_proto(c)?;
        if coin.amount == 0 {
            return Err(TxError::INVALID_COINS(format!(
                "zero amount of {}",
                coin.denom
            )));
        }
        if let Some(prev) = out.last() {
            if prev.denom >= coin.denom {
                return Err(TxError::INVALID_COINS(format!(
                    "coins must be sorted by denom and unique: {} then {}",
                    prev.denom, coin.denom
                )));
            }
        }
        out.push(coin);
    }
    Ok(out)
}

/// Parse `"100upol"` or `"100upol,5uatom"` as typed on a command line.
pub fn parse_coins_str(s: &str) -> Result<Vec<Coin>, TxError> {
    let mut coins = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(part.len());
        let (amount, denom) = part.split_at(split);
        coins.push(ProtoCoin {
            denom: denom.to_string(),
            amount: amount.to_string(),
        });
    }
    coins.sort_by(|a, b| a.denom.cmp(&b.denom));
    parse_coins(&coins)
}

pub fn coins_to_string(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        assert_eq!(
            parse_coins_str("10upol").unwrap(),
            vec![Coin::new("upol", 10)]
        );
        assert_eq!(
            parse_coins_str("5upol,3uatom").unwrap(),
            vec![Coin::new("uatom", 3), Coin::new("upol", 5)]
        );
        assert!(parse_coins_str("0upol").is_err());
        assert!(parse_coins_str("-1upol").is_err());
        assert!(parse_coins_str("1u").is_err());
        assert!(parse_coins_str("1upol,2upol").is_err());
        assert!(parse_amount("340282366920938463463374607431768211456").is_none()); // u128::MAX + 1
        assert_eq!(
            parse_amount("340282366920938463463374607431768211455"),
            Some(u128::MAX)
        );
        let unsorted = [
            ProtoCoin {
                denom: "upol".into(),
                amount: "1".into(),
            },
            ProtoCoin {
                denom: "uatom".into(),
                amount: "1".into(),
            },
        ];
        assert_eq!(
            parse_coins(&unsorted).unwrap_err().code,
            crate::error::code::INVALID_COINS
        );
    }
}
