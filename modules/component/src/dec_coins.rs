//! `DecCoins`: amounts of several denominations as [`Dec`]s, the SDK's `DecCoins` (rewards
//! and commission accrue in fractions of a token; only whole tokens are ever paid out).
//! Kept sorted by denom with no zero entries, so equal values are equal structs and
//! iteration is deterministic.

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin as ProtoDecCoin;
use serde::{Deserialize, Serialize};

use crate::coins::Coin;
use crate::dec::{Dec, DecError};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecCoins(BTreeMap<String, Dec>);

impl DecCoins {
    pub fn zero() -> Self {
        DecCoins::default()
    }

    /// Whole coins as decimals.
    pub fn from_coins(coins: &[Coin]) -> Self {
        let mut out = DecCoins::zero();
        for c in coins.iter().filter(|c| c.amount > 0) {
            // Two u128 amounts in atomics stay under 190 bits: the sum cannot overflow.
            let sum = out.amount_of(&c.denom).add(&Dec::from_int(c.amount));
            out.set(&c.denom, sum.unwrap_or_default());
        }
        out
    }

    /// One denomination (zero when absent).
    pub fn of(denom: &str, amount: Dec) -> Self {
        let mut out = DecCoins::zero();
        out.set(denom, amount);
        out
    }

    fn set(&mut self, denom: &str, amount: Dec) {
        if amount.is_zero() {
            self.0.remove(denom);
        } else {
            self.0.insert(denom.to_string(), amount);
        }
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    pub fn amount_of(&self, denom: &str) -> Dec {
        self.0.get(denom).cloned().unwrap_or_default()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Dec)> {
        self.0.iter().map(|(d, a)| (d.as_str(), a))
    }

    pub fn add(&self, o: &DecCoins) -> Result<DecCoins, DecError> {
        let mut out = self.clone();
        for (d, a) in &o.0 {
            let sum = out.amount_of(d).add(a)?;
            out.set(d, sum);
        }
        Ok(out)
    }

    /// `self − o`; an error if any denomination would go negative.
    pub fn sub(&self, o: &DecCoins) -> Result<DecCoins, DecError> {
        let mut out = self.clone();
        for (d, a) in &o.0 {
            let diff = out.amount_of(d).sub(a)?;
            if diff.is_negative() {
                return Err(DecError::Negative);
            }
            out.set(d, diff);
        }
        Ok(out)
    }

    fn map(&self, f: impl Fn(&Dec) -> Result<Dec, DecError>) -> Result<DecCoins, DecError> {
        let mut out = DecCoins::zero();
        for (d, a) in &self.0 {
            out.set(d, f(a)?);
        }
        Ok(out)
    }

    pub fn mul_dec(&self, x: &Dec) -> Result<DecCoins, DecError> {
        self.map(|a| a.mul(x))
    }

    pub fn mul_dec_truncate(&self, x: &Dec) -> Result<DecCoins, DecError> {
        self.map(|a| a.mul_truncate(x))
    }

    pub fn quo_dec_truncate(&self, x: &Dec) -> Result<DecCoins, DecError> {
        self.map(|a| a.quo_truncate(x))
    }

    /// The smaller amount of each denomination held by both.
    pub fn intersect(&self, o: &DecCoins) -> DecCoins {
        let mut out = DecCoins::zero();
        for (d, a) in &self.0 {
            if let Some(b) = o.0.get(d) {
                out.set(d, a.clone().min(b.clone()));
            }
        }
        out
    }

    /// The whole tokens, and the fractions left over.
    pub fn truncate_decimal(&self) -> Result<(Vec<Coin>, DecCoins), DecError> {
        let mut whole = Vec::new();
        let mut rest = DecCoins::zero();
        for (d, a) in &self.0 {
            let n = a.truncate_u128()?;
            if n > 0 {
                whole.push(Coin::new(d.clone(), n));
            }
            rest.set(d, a.sub(&Dec::from_int(n))?);
        }
        Ok((whole, rest))
    }

    /// The protobuf form: amounts as atomics strings.
    pub fn to_proto(&self) -> Vec<ProtoDecCoin> {
        self.0
            .iter()
            .map(|(d, a)| ProtoDecCoin {
                denom: d.clone(),
                amount: a.atomics_string(),
            })
            .collect()
    }

    pub fn from_proto(coins: &[ProtoDecCoin]) -> Result<DecCoins, DecError> {
        let mut out = DecCoins::zero();
        for c in coins {
            let amount = Dec::from_atomics_str(&c.amount)?;
            if amount.is_negative() {
                return Err(DecError::Negative);
            }
            let sum = out.amount_of(&c.denom).add(&amount)?;
            out.set(&c.denom, sum);
        }
        Ok(out)
    }
}

/// JSON as the SDK writes it: `[{"denom": "upol", "amount": "1.500000000000000000"}]`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDecCoin {
    denom: String,
    amount: Dec,
}

impl Serialize for DecCoins {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let list: Vec<JsonDecCoin> = self
            .0
            .iter()
            .map(|(d, a)| JsonDecCoin {
                denom: d.clone(),
                amount: a.clone(),
            })
            .collect();
        list.serialize(s)
    }
}

impl<'de> Deserialize<'de> for DecCoins {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<JsonDecCoin>::deserialize(d)?;
        let mut out = DecCoins::zero();
        for c in list {
            if c.amount.is_negative() {
                return Err(serde::de::Error::custom(format!(
                    "negative amount of {}",
                    c.denom
                )));
            }
            crate::coins::validate_denom(&c.denom).map_err(|e| serde::de::Error::custom(e.log))?;
            if out.0.contains_key(&c.denom) {
                return Err(serde::de::Error::custom(format!(
                    "{} listed twice",
                    c.denom
                )));
            }
            out.set(&c.denom, c.amount);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        s.parse().unwrap()
    }

    #[test]
    fn arithmetic_keeps_no_zeros_and_refuses_negatives() {
        let a = DecCoins::of("upol", d("2.5"))
            .add(&DecCoins::of("uatom", d("1")))
            .unwrap();
        let b = DecCoins::of("upol", d("2.5"));
        let left = a.sub(&b).unwrap();
        assert_eq!(left, DecCoins::of("uatom", d("1")));
        assert_eq!(b.sub(&a), Err(DecError::Negative));
        assert_eq!(a.intersect(&b), b);
        let (whole, rest) = DecCoins::of("upol", d("7.25")).truncate_decimal().unwrap();
        assert_eq!(whole, vec![Coin::new("upol", 7)]);
        assert_eq!(rest, DecCoins::of("upol", d("0.25")));
        assert_eq!(
            DecCoins::of("upol", d("1"))
                .quo_dec_truncate(&d("3"))
                .unwrap(),
            DecCoins::of("upol", d("0.333333333333333333"))
        );
        assert!(DecCoins::of("upol", Dec::zero()).is_zero());
    }

    #[test]
    fn proto_and_json_are_the_sdks() {
        let a = DecCoins::of("upol", d("1.5"));
        assert_eq!(a.to_proto()[0].amount, "1500000000000000000");
        assert_eq!(DecCoins::from_proto(&a.to_proto()).unwrap(), a);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"[{"denom":"upol","amount":"1.500000000000000000"}]"#
        );
        assert_eq!(serde_json::from_str::<DecCoins>(&json).unwrap(), a);
        assert!(serde_json::from_str::<DecCoins>(r#"[{"denom":"upol","amount":"-1"}]"#).is_err());
        let twice = r#"[{"denom":"upol","amount":"1"},{"denom":"upol","amount":"2"}]"#;
        assert!(serde_json::from_str::<DecCoins>(twice).is_err());
    }
}
