//! The minter, its parameters and the Cosmos SDK's formulas (`x/mint` `Minter` methods),
//! on SDK-exact decimals. Genesis JSON writes decimals as the SDK does (`"0.130000000000000000"`),
//! the protobuf forms (state, queries) as their atomics.

use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;
use pol_component::coins::validate_denom;
use pol_component::dec::DecError;
use pol_component::Dec;
use serde::{Deserialize, Serialize};

/// How the inflation rate may move and where the new tokens go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Denomination minted.
    pub mint_denom: String,
    /// Most the inflation rate moves in a year (when the bonded ratio is 0 or twice the goal).
    pub inflation_rate_change: Dec,
    pub inflation_max: Dec,
    pub inflation_min: Dec,
    /// Bonded ratio the rate steers toward: below it inflation rises, above it falls.
    pub goal_bonded: Dec,
    /// Expected blocks per year (proto3 JSON writes a uint64 as a string).
    #[serde(with = "pol_component::json::u64_string")]
    pub blocks_per_year: u64,
}

impl Default for Params {
    /// The SDK's defaults, with pol's denom and 6-second blocks (a year of 8,766 hours).
    fn default() -> Self {
        Params {
            mint_denom: "upol".into(),
            inflation_rate_change: Dec::with_decimals(13, 2),
            inflation_max: Dec::with_decimals(20, 2),
            inflation_min: Dec::with_decimals(7, 2),
            goal_bonded: Dec::with_decimals(67, 2),
            blocks_per_year: 60 * 60 * 8766 / 6,
        }
    }
}

impl Params {
    /// The SDK's checks (`x/mint` `Params.Validate`).
    pub fn validate(&self) -> Result<(), String> {
        validate_denom(&self.mint_denom).map_err(|e| format!("mint params: {}", e.log))?;
        let one = Dec::one();
        for (name, v) in [
            ("inflation_rate_change", &self.inflation_rate_change),
            ("inflation_max", &self.inflation_max),
            ("inflation_min", &self.inflation_min),
        ] {
            if v.is_negative() || *v > one {
                return Err(format!("mint params: {name} must be in [0, 1], got {v}"));
            }
        }
        if self.inflation_max < self.inflation_min {
            return Err(format!(
                "mint params: inflation_max ({}) is below inflation_min ({})",
                self.inflation_max, self.inflation_min
            ));
        }
        if !self.goal_bonded.is_positive() || self.goal_bonded > one {
            return Err(format!(
                "mint params: goal_bonded must be in (0, 1], got {}",
                self.goal_bonded
            ));
        }
        if self.blocks_per_year == 0 {
            return Err("mint params: blocks_per_year must be positive".into());
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            mint_denom: self.mint_denom.clone(),
            inflation_rate_change: self.inflation_rate_change.atomics_string(),
            inflation_max: self.inflation_max.atomics_string(),
            inflation_min: self.inflation_min.atomics_string(),
            goal_bonded: self.goal_bonded.atomics_string(),
            blocks_per_year: self.blocks_per_year,
        }
    }

    pub fn from_proto(p: &pb::Params) -> Result<Self, DecError> {
        Ok(Params {
            mint_denom: p.mint_denom.clone(),
            inflation_rate_change: Dec::from_atomics_str(&p.inflation_rate_change)?,
            inflation_max: Dec::from_atomics_str(&p.inflation_max)?,
            inflation_min: Dec::from_atomics_str(&p.inflation_min)?,
            goal_bonded: Dec::from_atomics_str(&p.goal_bonded)?,
            blocks_per_year: p.blocks_per_year,
        })
    }
}

/// The current inflation rate and the annual provisions it gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Minter {
    pub inflation: Dec,
    pub annual_provisions: Dec,
}

impl Default for Minter {
    /// The SDK's initial minter: 13 % and nothing provisioned yet.
    fn default() -> Self {
        Minter {
            inflation: Dec::with_decimals(13, 2),
            annual_provisions: Dec::zero(),
        }
    }
}

impl Minter {
    pub fn validate(&self) -> Result<(), String> {
        if self.inflation.is_negative() {
            return Err(format!(
                "mint minter: inflation is negative ({})",
                self.inflation
            ));
        }
        if self.annual_provisions.is_negative() {
            return Err(format!(
                "mint minter: annual_provisions is negative ({})",
                self.annual_provisions
            ));
        }
        Ok(())
    }

    /// The rate for the next block: it moves by
    /// `(1 − bonded_ratio / goal_bonded) × inflation_rate_change / blocks_per_year`
    /// and stays within `[inflation_min, inflation_max]`.
    pub fn next_inflation_rate(
        &self,
        params: &Params,
        bonded_ratio: &Dec,
    ) -> Result<Dec, DecError> {
        let per_year = Dec::one()
            .sub(&bonded_ratio.quo(&params.goal_bonded)?)?
            .mul(&params.inflation_rate_change)?;
        let change = per_year.quo(&Dec::from_int(params.blocks_per_year))?;
        let inflation = self.inflation.add(&change)?;
        Ok(inflation
            .min(params.inflation_max.clone())
            .max(params.inflation_min.clone()))
    }

    /// Annual provisions at this rate on `total_supply` of the staking token.
    pub fn next_annual_provisions(&self, total_supply: u128) -> Result<Dec, DecError> {
        self.inflation.mul_int(total_supply)
    }

    /// Tokens minted in one block: the annual provisions over the blocks in a year, the
    /// fraction dropped.
    pub fn block_provision(&self, params: &Params) -> Result<u128, DecError> {
        self.annual_provisions
            .quo_int(params.blocks_per_year)?
            .truncate_u128()
    }

    pub fn to_proto(&self) -> pb::Minter {
        pb::Minter {
            inflation: self.inflation.atomics_string(),
            annual_provisions: self.annual_provisions.atomics_string(),
        }
    }

    pub fn from_proto(m: &pb::Minter) -> Result<Self, DecError> {
        Ok(Minter {
            inflation: Dec::from_atomics_str(&m.inflation)?,
            annual_provisions: Dec::from_atomics_str(&m.annual_provisions)?,
        })
    }
}

/// The bonded ratio the SDK steers by: bonded tokens over the staking token's supply
/// (truncated), zero without supply.
pub fn bonded_ratio(bonded: u128, supply: u128) -> Result<Dec, DecError> {
    if supply == 0 {
        return Ok(Dec::zero());
    }
    Dec::from_int(bonded).quo_int(supply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        s.parse().unwrap()
    }

    fn sdk_params() -> Params {
        // The SDK's own defaults (5-second blocks), so the figures below are the SDK's.
        Params {
            mint_denom: "stake".into(),
            blocks_per_year: 6_311_520,
            ..Params::default()
        }
    }

    #[test]
    fn the_rate_moves_toward_the_goal_and_stays_in_bounds() {
        let params = sdk_params();
        let minter = Minter::default(); // 13 %
                                        // Below the goal the rate rises, above it falls, at the goal it holds.
        let up = minter.next_inflation_rate(&params, &Dec::zero()).unwrap();
        let held = minter.next_inflation_rate(&params, &d("0.67")).unwrap();
        let down = minter.next_inflation_rate(&params, &d("1")).unwrap();
        assert!(up > minter.inflation && down < minter.inflation);
        assert_eq!(held, minter.inflation);
        // At bonded ratio 0 the yearly change is the whole 13 %: 0.13 / 6,311,520 per block,
        // rounded half to even in the 18th decimal as the SDK does.
        assert_eq!(up, d("0.130000020597257079"));
        // Above the goal by half the goal: (1 − 1.5)·0.13 / 6,311,520.
        let over = minter.next_inflation_rate(&params, &d("1.005")).unwrap();
        assert_eq!(over, d("0.129999989701371460"));
        // Bounds.
        let at_max = Minter {
            inflation: d("0.2"),
            ..Minter::default()
        };
        assert_eq!(
            at_max.next_inflation_rate(&params, &Dec::zero()).unwrap(),
            d("0.2")
        );
        let at_min = Minter {
            inflation: d("0.07"),
            ..Minter::default()
        };
        assert_eq!(
            at_min.next_inflation_rate(&params, &d("1")).unwrap(),
            d("0.07")
        );
    }

    #[test]
    fn provisions_are_the_rate_on_supply_spread_over_the_year() {
        let params = sdk_params();
        let minter = Minter {
            inflation: d("0.13"),
            annual_provisions: Dec::zero(),
        };
        let provisions = minter.next_annual_provisions(1_000_000_000_000).unwrap();
        assert_eq!(provisions, d("130000000000"));
        let minter = Minter {
            annual_provisions: provisions,
            ..minter
        };
        // 130,000,000,000 / 6,311,520 = 20,597.26… → 20,597 whole tokens.
        assert_eq!(minter.block_provision(&params).unwrap(), 20_597);
    }

    #[test]
    fn bonded_ratio_truncates_and_is_zero_without_supply() {
        assert_eq!(bonded_ratio(2, 3).unwrap(), d("0.666666666666666666"));
        assert_eq!(bonded_ratio(5, 0).unwrap(), Dec::zero());
    }

    #[test]
    fn invalid_params_are_refused() {
        let ok = Params::default();
        ok.validate().unwrap();
        let cases: Vec<(Params, &str)> = vec![
            (
                Params {
                    mint_denom: "".into(),
                    ..ok.clone()
                },
                "denom",
            ),
            (
                Params {
                    inflation_max: d("1.5"),
                    ..ok.clone()
                },
                "inflation_max",
            ),
            (
                Params {
                    inflation_min: d("-0.1"),
                    ..ok.clone()
                },
                "inflation_min",
            ),
            (
                Params {
                    inflation_min: d("0.3"),
                    ..ok.clone()
                },
                "below",
            ),
            (
                Params {
                    goal_bonded: Dec::zero(),
                    ..ok.clone()
                },
                "goal_bonded",
            ),
            (
                Params {
                    blocks_per_year: 0,
                    ..ok.clone()
                },
                "blocks_per_year",
            ),
        ];
        for (p, want) in cases {
            let err = p.validate().unwrap_err();
            assert!(err.contains(want), "{err} should mention {want}");
        }
        assert!(Minter {
            inflation: d("-0.01"),
            ..Minter::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn json_and_proto_forms_are_the_sdks() {
        let json = serde_json::to_value(Params::default()).unwrap();
        assert_eq!(json["inflation_rate_change"], "0.130000000000000000");
        assert_eq!(json["blocks_per_year"], "5259600");
        let back: Params = serde_json::from_value(json).unwrap();
        assert_eq!(back, Params::default());
        let proto = Params::default().to_proto();
        assert_eq!(proto.goal_bonded, "670000000000000000");
        assert_eq!(Params::from_proto(&proto).unwrap(), Params::default());
        let m = Minter::default();
        assert_eq!(Minter::from_proto(&m.to_proto()).unwrap(), m);
    }
}
