//! `Dec`: a signed decimal with 18 fractional digits and the Cosmos SDK's `LegacyDec`
//! semantics, so that inflation, rewards and fractions computed here equal the SDK's to
//! the last digit and wallets read them as they read a Cosmos chain's.
//!
//! The value is an integer count of 10⁻¹⁸ ("atomics") on a big integer, as the SDK's
//! `big.Int`. The SDK's rules, kept exactly:
//! * `mul` and `quo` round half to even ("banker's rounding"); `mul_truncate`,
//!   `quo_truncate`, `quo_int` and `truncate_int` round toward zero;
//! * a result wider than 315 bits (256 + the 59 bits a truncation by 10¹⁸ always removes,
//!   `cosmossdk.io/math` v1's bound) is an error (the SDK panics);
//! * `Display` always prints 18 decimals (`0.130000000000000000`), as SDK JSON does; on the
//!   protobuf wire a `LegacyDec` is its atomics as a decimal string (`130000000000000000`),
//!   which [`Dec::atomics_string`] and [`Dec::from_atomics_str`] give.
//!
//! No floats anywhere: consensus code may use it freely.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use num_bigint::{BigInt, Sign};
use num_integer::Integer as _;
use num_traits::{Signed as _, ToPrimitive as _, Zero as _};

/// Decimal places.
pub const PRECISION: u32 = 18;
/// The widest atomics the SDK accepts (`cosmossdk.io/math` v1's `maxDecBitLen`).
const MAX_BITS: u64 = 256 + 59;

fn precision_multiplier() -> BigInt {
    BigInt::from(10u64.pow(PRECISION))
}

/// Why a decimal operation has no result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecError {
    #[error("decimal out of range (more than {MAX_BITS} bits)")]
    Overflow,
    #[error("division by zero")]
    DivisionByZero,
    #[error("invalid decimal {0:?}: {1}")]
    Parse(String, &'static str),
    #[error("negative amount where none may be")]
    Negative,
}

#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Dec(BigInt);

impl Dec {
    pub fn zero() -> Self {
        Dec(BigInt::zero())
    }

    pub fn one() -> Self {
        Dec(precision_multiplier())
    }

    /// The whole number `n`.
    pub fn from_int(n: impl Into<BigInt>) -> Self {
        Dec(n.into() * precision_multiplier())
    }

    /// `numerator / 10^decimals` exactly (`decimals` ≤ 18): `Dec::with_decimals(13, 2)` is 0.13.
    pub fn with_decimals(numerator: i128, decimals: u32) -> Self {
        let decimals = decimals.min(PRECISION);
        Dec(BigInt::from(numerator) * BigInt::from(10u64.pow(PRECISION - decimals)))
    }

    /// The value whose atomics (units of 10⁻¹⁸) are `atomics`.
    pub fn from_atomics(atomics: impl Into<BigInt>) -> Result<Self, DecError> {
        checked(atomics.into())
    }

    /// Parse the protobuf wire form: the atomics as a decimal integer string.
    pub fn from_atomics_str(s: &str) -> Result<Self, DecError> {
        if s.is_empty() {
            return Ok(Dec::zero()); // an unset LegacyDec field
        }
        let digits = s.strip_prefix('-').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DecError::Parse(s.to_string(), "not an integer of atomics"));
        }
        let i =
            BigInt::from_str(s).map_err(|_| DecError::Parse(s.to_string(), "not an integer"))?;
        checked(i)
    }

    /// The protobuf wire form: the atomics as a decimal integer string.
    pub fn atomics_string(&self) -> String {
        self.0.to_string()
    }

    pub fn atomics(&self) -> &BigInt {
        &self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.0.is_negative()
    }

    pub fn is_positive(&self) -> bool {
        self.0.is_positive()
    }

    pub fn add(&self, o: &Dec) -> Result<Dec, DecError> {
        checked(&self.0 + &o.0)
    }

    pub fn sub(&self, o: &Dec) -> Result<Dec, DecError> {
        checked(&self.0 - &o.0)
    }

    pub fn neg(&self) -> Dec {
        Dec(-&self.0)
    }

    /// Product, rounded half to even.
    pub fn mul(&self, o: &Dec) -> Result<Dec, DecError> {
        checked(chop_round(&self.0 * &o.0))
    }

    /// Product, rounded toward zero.
    pub fn mul_truncate(&self, o: &Dec) -> Result<Dec, DecError> {
        checked(chop_truncate(&self.0 * &o.0))
    }

    /// Product with a whole number (exact).
    pub fn mul_int(&self, n: impl Into<BigInt>) -> Result<Dec, DecError> {
        checked(&self.0 * n.into())
    }

    /// Quotient, rounded half to even.
    pub fn quo(&self, o: &Dec) -> Result<Dec, DecError> {
        if o.0.is_zero() {
            return Err(DecError::DivisionByZero);
        }
        let p = precision_multiplier();
        let scaled = &self.0 * &p * &p;
        checked(chop_round(scaled / &o.0))
    }

    /// Quotient, rounded toward zero.
    pub fn quo_truncate(&self, o: &Dec) -> Result<Dec, DecError> {
        if o.0.is_zero() {
            return Err(DecError::DivisionByZero);
        }
        checked(&self.0 * precision_multiplier() / &o.0)
    }

    /// Quotient rounded up, exactly as the SDK's `QuoRoundUp`: the quotient to 36 decimals
    /// (truncated), then its last 18 dropped, a positive value rounded up and a negative one
    /// toward zero.
    pub fn quo_round_up(&self, o: &Dec) -> Result<Dec, DecError> {
        if o.0.is_zero() {
            return Err(DecError::DivisionByZero);
        }
        let p = precision_multiplier();
        let q = &self.0 * &p * &p / &o.0;
        if q.is_negative() {
            return checked(chop_truncate(q));
        }
        let (whole, rem) = q.div_rem(&p);
        checked(if rem.is_zero() { whole } else { whole + 1 })
    }

    /// Quotient by a whole number, rounded toward zero.
    pub fn quo_int(&self, n: impl Into<BigInt>) -> Result<Dec, DecError> {
        let n = n.into();
        if n.is_zero() {
            return Err(DecError::DivisionByZero);
        }
        checked(&self.0 / n)
    }

    /// The whole part, rounded toward zero.
    pub fn truncate_int(&self) -> BigInt {
        chop_truncate(self.0.clone())
    }

    /// The whole part of a value that may not be negative, as a token amount.
    pub fn truncate_u128(&self) -> Result<u128, DecError> {
        if self.is_negative() {
            return Err(DecError::Negative);
        }
        self.truncate_int().to_u128().ok_or(DecError::Overflow)
    }

    /// The whole part as a `Dec` (the fraction dropped, toward zero).
    pub fn truncate(&self) -> Dec {
        Dec(self.truncate_int() * precision_multiplier())
    }

    pub fn min(self, o: Dec) -> Dec {
        std::cmp::min(self, o)
    }

    pub fn max(self, o: Dec) -> Dec {
        std::cmp::max(self, o)
    }
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl From<u128> for Dec {
    fn from(n: u128) -> Self {
        Dec::from_int(n)
    }
}

fn checked(i: BigInt) -> Result<Dec, DecError> {
    if i.bits() > MAX_BITS {
        Err(DecError::Overflow)
    } else {
        Ok(Dec(i))
    }
}

/// Drop the 18 extra digits of a product, rounding half to even (the SDK's
/// `chopPrecisionAndRound`, applied to the magnitude).
fn chop_round(i: BigInt) -> BigInt {
    let negative = i.is_negative();
    let (quo, rem) = i.abs().div_rem(&precision_multiplier());
    let half = precision_multiplier() / 2;
    let rounded = match rem.cmp(&half) {
        Ordering::Less => quo,
        Ordering::Greater => quo + 1,
        Ordering::Equal if quo.is_even() => quo,
        Ordering::Equal => quo + 1,
    };
    if negative {
        -rounded
    } else {
        rounded
    }
}

/// Drop the 18 extra digits, toward zero.
fn chop_truncate(i: BigInt) -> BigInt {
    i / precision_multiplier()
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = self.0.abs().div_rem(&precision_multiplier());
        let sign = if self.0.sign() == Sign::Minus {
            "-"
        } else {
            ""
        };
        write!(f, "{sign}{whole}.{frac:0>18}")
    }
}

impl fmt::Debug for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dec({self})")
    }
}

/// Parse the SDK's JSON form: `"0.13"`, `"1"`, `"-2.5"`, at most 18 decimals.
impl FromStr for Dec {
    type Err = DecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| DecError::Parse(s.to_string(), why);
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        if whole.is_empty() && frac.is_empty() {
            return Err(err("empty"));
        }
        if body.ends_with('.') || body.starts_with('.') {
            return Err(err("a point needs digits on both sides"));
        }
        if !whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return Err(err("only digits and one point"));
        }
        if frac.len() > PRECISION as usize {
            return Err(err("more than 18 decimals"));
        }
        let digits = format!("{whole}{frac:0<18}");
        let magnitude = BigInt::from_str(&digits).map_err(|_| err("not a number"))?;
        checked(if negative { -magnitude } else { magnitude })
    }
}

/// JSON as the SDK writes it: a string with 18 decimals.
impl serde::Serialize for Dec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Dec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_prints_as_the_sdk() {
        assert_eq!(d("0.13").to_string(), "0.130000000000000000");
        assert_eq!(d("1").to_string(), "1.000000000000000000");
        assert_eq!(d("-2.5").to_string(), "-2.500000000000000000");
        assert_eq!(d("0.000000000000000001").atomics_string(), "1");
        assert_eq!(d("0.13").atomics_string(), "130000000000000000");
        assert_eq!(
            Dec::from_atomics_str("130000000000000000").unwrap(),
            d("0.13")
        );
        assert_eq!(Dec::from_atomics_str("").unwrap(), Dec::zero());
        for bad in [
            "",
            ".",
            "1.",
            ".5",
            "1.2.3",
            "0x10",
            "1e5",
            "0.0000000000000000001",
            "- 1",
        ] {
            assert!(bad.parse::<Dec>().is_err(), "{bad:?} parsed");
        }
        assert!(Dec::from_atomics_str("12a").is_err());
        assert!(Dec::from_atomics_str("-").is_err());
    }

    #[test]
    fn multiplication_rounds_half_to_even_and_truncation_toward_zero() {
        // 0.5e-18 ties: 1e-18 × 0.5 = 0.5e-18 → 0 (even); 3e-18 × 0.5 = 1.5e-18 → 2e-18.
        let half = d("0.5");
        assert_eq!(d("0.000000000000000001").mul(&half).unwrap(), Dec::zero());
        assert_eq!(
            d("0.000000000000000003")
                .mul(&half)
                .unwrap()
                .atomics_string(),
            "2"
        );
        assert_eq!(
            d("0.000000000000000003")
                .mul_truncate(&half)
                .unwrap()
                .atomics_string(),
            "1"
        );
        assert_eq!(
            d("-0.000000000000000003")
                .mul(&half)
                .unwrap()
                .atomics_string(),
            "-2"
        );
        assert_eq!(
            d("-0.000000000000000003")
                .mul_truncate(&half)
                .unwrap()
                .atomics_string(),
            "-1"
        );
        assert_eq!(d("1.5").mul(&d("2")).unwrap(), d("3"));
    }

    #[test]
    fn division_matches_the_sdk() {
        assert_eq!(
            d("1").quo_round_up(&d("3")).unwrap().to_string(),
            "0.333333333333333334"
        );
        assert_eq!(
            d("-1").quo_round_up(&d("3")).unwrap().to_string(),
            "-0.333333333333333333"
        );
        assert_eq!(d("1").quo_round_up(&d("4")).unwrap(), d("0.25"));
        assert_eq!(
            d("1").quo_round_up(&Dec::zero()),
            Err(DecError::DivisionByZero)
        );
        // 2/3 rounds up in the last digit; truncation does not.
        assert_eq!(
            d("2").quo(&d("3")).unwrap().to_string(),
            "0.666666666666666667"
        );
        assert_eq!(
            d("2").quo_truncate(&d("3")).unwrap().to_string(),
            "0.666666666666666666"
        );
        assert_eq!(
            d("-2").quo(&d("3")).unwrap().to_string(),
            "-0.666666666666666667"
        );
        assert_eq!(
            d("1").quo_int(3).unwrap().to_string(),
            "0.333333333333333333"
        );
        assert_eq!(d("1").quo(&Dec::zero()), Err(DecError::DivisionByZero));
        assert_eq!(d("1").quo_int(0), Err(DecError::DivisionByZero));
        assert_eq!(d("7.9").truncate_int(), BigInt::from(7));
        assert_eq!(d("-7.9").truncate_int(), BigInt::from(-7));
        assert_eq!(d("7.9").truncate_u128().unwrap(), 7);
        assert_eq!(d("-7.9").truncate_u128(), Err(DecError::Negative));
    }

    #[test]
    fn values_wider_than_the_sdk_allows_are_errors() {
        let big = Dec::from_atomics(BigInt::from(2u8).pow(313)).unwrap();
        let twice = big.add(&big).unwrap(); // 2^314 still fits in 315 bits
        assert_eq!(twice.add(&twice), Err(DecError::Overflow));
        assert_eq!(twice.mul_int(4), Err(DecError::Overflow));
        assert!(Dec::from_atomics(BigInt::from(2u8).pow(315)).is_err());
    }

    #[test]
    fn json_is_the_sdk_string() {
        let v = serde_json::to_string(&d("0.07")).unwrap();
        assert_eq!(v, "\"0.070000000000000000\"");
        assert_eq!(serde_json::from_str::<Dec>(&v).unwrap(), d("0.07"));
        assert!(serde_json::from_str::<Dec>("\"abc\"").is_err());
    }
}
