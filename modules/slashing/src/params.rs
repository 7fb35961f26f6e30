//! Slashing's parameters: the SDK's `x/slashing` ones, with its defaults and its rules.

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use pol_component::Dec;
use serde::{Deserialize, Serialize};

use pol_component::time::{duration_from_proto, duration_string, duration_to_proto};

const NANOS_PER_SECOND: u64 = 1_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// How many of its latest blocks a validator's liveness is judged over.
    #[serde(with = "pol_component::json::u64_string")]
    pub signed_blocks_window: u64,
    /// Share of the window a validator must sign; missing more than the rest jails it.
    pub min_signed_per_window: Dec,
    /// How long a validator jailed for downtime waits before it may unjail, in nanoseconds
    /// of block time (JSON: the SDK's `"600s"`).
    #[serde(with = "duration_string")]
    pub downtime_jail_duration: u64,
    /// Share of the stake at the infraction taken for double-signing.
    pub slash_fraction_double_sign: Dec,
    /// Share of the stake taken for downtime.
    pub slash_fraction_downtime: Dec,
}

impl Default for Params {
    /// The SDK's defaults.
    fn default() -> Self {
        Params {
            signed_blocks_window: 100,
            min_signed_per_window: Dec::with_decimals(5, 1),
            downtime_jail_duration: 600 * NANOS_PER_SECOND,
            slash_fraction_double_sign: Dec::with_decimals(5, 2),
            slash_fraction_downtime: Dec::with_decimals(1, 2),
        }
    }
}

/// Windows longer than this would let a validator's bitmap grow without use (the SDK sets
/// no bound; a week of 1-second blocks is far beyond any deployment's window).
pub const MAX_SIGNED_BLOCKS_WINDOW: u64 = 1 << 20;

impl Params {
    pub fn validate(&self) -> Result<(), String> {
        if self.signed_blocks_window == 0 {
            return Err("slashing params: signed_blocks_window must be positive".into());
        }
        if self.signed_blocks_window > MAX_SIGNED_BLOCKS_WINDOW {
            return Err(format!(
                "slashing params: signed_blocks_window {} is above {MAX_SIGNED_BLOCKS_WINDOW}",
                self.signed_blocks_window
            ));
        }
        if self.downtime_jail_duration == 0 {
            return Err("slashing params: downtime_jail_duration must be positive".into());
        }
        for (name, d) in [
            ("min_signed_per_window", &self.min_signed_per_window),
            (
                "slash_fraction_double_sign",
                &self.slash_fraction_double_sign,
            ),
            ("slash_fraction_downtime", &self.slash_fraction_downtime),
        ] {
            if d.is_negative() || *d > Dec::one() {
                return Err(format!(
                    "slashing params: {name} must be in [0, 1], got {d}"
                ));
            }
        }
        Ok(())
    }

    /// `min_signed_per_window × signed_blocks_window`, rounded half to even (the SDK's
    /// `MinSignedPerWindow`).
    pub fn min_signed_blocks(&self) -> u64 {
        let product = self
            .min_signed_per_window
            .mul_int(self.signed_blocks_window)
            .unwrap_or_else(|_| Dec::zero());
        round_half_even(&product).min(self.signed_blocks_window)
    }

    /// Most blocks of the window a validator may miss and stay unjailed.
    pub fn max_missed_blocks(&self) -> u64 {
        self.signed_blocks_window - self.min_signed_blocks()
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            signed_blocks_window: i64::try_from(self.signed_blocks_window).unwrap_or(i64::MAX),
            min_signed_per_window: self.min_signed_per_window.atomics_string().into_bytes(),
            downtime_jail_duration: Some(duration_to_proto(self.downtime_jail_duration)),
            slash_fraction_double_sign: self
                .slash_fraction_double_sign
                .atomics_string()
                .into_bytes(),
            slash_fraction_downtime: self.slash_fraction_downtime.atomics_string().into_bytes(),
        }
    }

    pub fn from_proto(p: &pb::Params) -> Result<Self, String> {
        let dec = |name: &str, bytes: &[u8]| {
            std::str::from_utf8(bytes)
                .map_err(|e| e.to_string())
                .and_then(|s| Dec::from_atomics_str(s).map_err(|e| e.to_string()))
                .map_err(|e| format!("slashing params: {name}: {e}"))
        };
        Ok(Params {
            signed_blocks_window: u64::try_from(p.signed_blocks_window)
                .map_err(|_| "slashing params: signed_blocks_window is negative".to_string())?,
            min_signed_per_window: dec("min_signed_per_window", &p.min_signed_per_window)?,
            downtime_jail_duration: duration_from_proto(
                p.downtime_jail_duration.as_ref(),
                "slashing params: downtime_jail_duration",
            )?,
            slash_fraction_double_sign: dec(
                "slash_fraction_double_sign",
                &p.slash_fraction_double_sign,
            )?,
            slash_fraction_downtime: dec("slash_fraction_downtime", &p.slash_fraction_downtime)?,
        })
    }
}

/// A non-negative decimal rounded to the nearest integer, ties to even (`LegacyDec.RoundInt64`).
fn round_half_even(d: &Dec) -> u64 {
    let floor = d.truncate_u128().unwrap_or(0);
    let frac = d.sub(&Dec::from_int(floor)).unwrap_or_else(|_| Dec::zero());
    let half = Dec::with_decimals(5, 1);
    let up = frac > half || (frac == half && floor % 2 == 1);
    u64::try_from(floor + u128::from(up)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_sdks_and_valid() {
        let p = Params::default();
        p.validate().unwrap();
        assert_eq!(p.min_signed_blocks(), 50);
        assert_eq!(p.max_missed_blocks(), 50);
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "signed_blocks_window": "100",
                "min_signed_per_window": "0.500000000000000000",
                "downtime_jail_duration": "600s",
                "slash_fraction_double_sign": "0.050000000000000000",
                "slash_fraction_downtime": "0.010000000000000000",
            })
        );
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), p);
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
    }

    #[test]
    fn min_signed_rounds_half_to_even() {
        let mut p = Params {
            signed_blocks_window: 5,
            ..Params::default()
        };
        // 0.5 × 5 = 2.5 → 2; 0.7 × 5 = 3.5 → 4; 0.66 × 5 = 3.3 → 3.
        assert_eq!(p.min_signed_blocks(), 2);
        p.min_signed_per_window = Dec::with_decimals(7, 1);
        assert_eq!(p.min_signed_blocks(), 4);
        p.min_signed_per_window = Dec::with_decimals(66, 2);
        assert_eq!(p.min_signed_blocks(), 3);
        p.min_signed_per_window = Dec::one();
        assert_eq!(p.max_missed_blocks(), 0);
    }

    #[test]
    fn invalid_params_are_refused() {
        let bad = [
            Params {
                signed_blocks_window: 0,
                ..Params::default()
            },
            Params {
                signed_blocks_window: MAX_SIGNED_BLOCKS_WINDOW + 1,
                ..Params::default()
            },
            Params {
                downtime_jail_duration: 0,
                ..Params::default()
            },
            Params {
                min_signed_per_window: Dec::with_decimals(11, 1),
                ..Params::default()
            },
            Params {
                slash_fraction_double_sign: Dec::with_decimals(-1, 2),
                ..Params::default()
            },
            Params {
                slash_fraction_downtime: Dec::from_int(2),
                ..Params::default()
            },
        ];
        for p in bad {
            assert!(p.validate().is_err(), "{p:?} should be refused");
        }
    }
}
