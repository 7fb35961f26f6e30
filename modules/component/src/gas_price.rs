//! Gas prices such as `0.025upol`: what a client pays per unit of gas, and the node's
//! minimum (a mempool filter set in app.toml, as in the Cosmos SDK; it is not consensus, so
//! FinalizeBlock never applies it).

use std::fmt;
use std::str::FromStr;

use crate::coins::{validate_denom, Coin};

/// Fixed-point scale of gas prices: 18 decimals.
const SCALE: u128 = 1_000_000_000_000_000_000;

/// A decimal price per unit of gas in one denom, e.g. `0.025upol`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub denom: String,
    /// Price × 10^18.
    pub scaled: u128,
}

impl GasPrice {
    /// The smallest fee in this denom that pays for `gas` (rounded up).
    pub fn fee_for(&self, gas: u64) -> Option<u128> {
        let total = self.scaled.checked_mul(u128::from(gas))?;
        Some(total.div_ceil(SCALE))
    }

    /// Whether `fee` pays for `gas` at this price.
    pub fn is_paid_by(&self, fee: &[Coin], gas: u64) -> bool {
        let need = match self.fee_for(gas) {
            Some(n) => n,
            None => return false,
        };
        need == 0
            || fee
                .iter()
                .any(|c| c.denom == self.denom && c.amount >= need)
    }
}

impl FromStr for GasPrice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("gas price {s:?} has no denom"))?;
        let (num, denom) = s.split_at(split);
        validate_denom(denom).map_err(|e| e.log)?;
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() && frac.is_empty()
            || frac.len() > 18
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(format!(
                "gas price {s:?} is not a decimal with at most 18 fractional digits"
            ));
        }
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse()
                .map_err(|_| format!("gas price {s:?} is too large"))?
        };
        let frac_scaled: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse::<u128>().map_err(|e| e.to_string())? * 10u128.pow(18 - frac.len() as u32)
        };
        let scaled = int
            .checked_mul(SCALE)
            .and_then(|v| v.checked_add(frac_scaled))
            .ok_or_else(|| format!("gas price {s:?} is too large"))?;
        Ok(GasPrice {
            denom: denom.to_string(),
            scaled,
        })
    }
}

impl fmt::Display for GasPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.scaled / SCALE;
        let frac = self.scaled % SCALE;
        if frac == 0 {
            write!(f, "{int}{}", self.denom)
        } else {
            let digits = format!("{frac:018}");
            write!(f, "{int}.{}{}", digits.trim_end_matches('0'), self.denom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prices() {
        let p: GasPrice = "0.025upol".parse().unwrap();
        assert_eq!(p.to_string(), "0.025upol");
        assert_eq!(p.fee_for(200_000), Some(5000));
        assert_eq!(p.fee_for(1), Some(1)); // rounds up
        assert!(p.is_paid_by(&[Coin::new("upol", 5000)], 200_000));
        assert!(!p.is_paid_by(&[Coin::new("upol", 4999)], 200_000));
        assert!(!p.is_paid_by(&[Coin::new("uatom", 9999)], 200_000));
        let zero: GasPrice = "0upol".parse().unwrap();
        assert!(zero.is_paid_by(&[], 1_000_000));
        assert!("upol".parse::<GasPrice>().is_err());
        assert!("1.2.3upol".parse::<GasPrice>().is_err());
        assert!("0.0000000000000000001upol".parse::<GasPrice>().is_err());
    }
}
