//! Gov's parameters: the SDK's `x/gov` v1 ones (v0.50), with its defaults (in `upol`) and
//! its validation. Stored as `cosmos.gov.v1.Params`; durations are block time.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_component::coins::{parse_coins, Coin};
use pol_component::time::{duration_from_proto, duration_string, duration_to_proto};
use pol_component::{Address, Dec};
use serde::{Deserialize, Serialize};

const SECOND: u64 = 1_000_000_000;

/// Longest proposal or vote metadata, title (the SDK's `MaxMetadataLen` default) and
/// summary; messages per proposal (pol's bound: each runs in one end block).
pub const MAX_METADATA_LEN: usize = 255;
pub const MAX_TITLE_LEN: usize = 255;
pub const MAX_SUMMARY_LEN: usize = 10_200;
pub const MAX_PROPOSAL_MSGS: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The deposit that starts the voting period.
    #[serde(with = "pol_component::json::coins")]
    pub min_deposit: Vec<Coin>,
    /// How long a proposal may wait for its deposit, in block-time nanoseconds.
    #[serde(with = "duration_string")]
    pub max_deposit_period: u64,
    #[serde(with = "duration_string")]
    pub voting_period: u64,
    /// Share of the bonded stake that must vote.
    pub quorum: Dec,
    /// Share of the non-abstaining power that must vote yes.
    pub threshold: Dec,
    /// Share of all power voting no-with-veto that rejects and (with `burn_vote_veto`)
    /// burns the deposit.
    pub veto_threshold: Dec,
    /// Share of `min_deposit` a proposal must bring when submitted.
    pub min_initial_deposit_ratio: Dec,
    /// Share of the deposits burned (or sent to `proposal_cancel_dest`) on cancellation.
    pub proposal_cancel_ratio: Dec,
    /// Where cancelled deposits' share goes: empty burns it.
    pub proposal_cancel_dest: String,
    #[serde(with = "duration_string")]
    pub expedited_voting_period: u64,
    pub expedited_threshold: Dec,
    #[serde(with = "pol_component::json::coins")]
    pub expedited_min_deposit: Vec<Coin>,
    pub burn_vote_quorum: bool,
    pub burn_proposal_deposit_prevote: bool,
    pub burn_vote_veto: bool,
    /// Smallest single deposit, as a share of `min_deposit` (anti-spam).
    pub min_deposit_ratio: Dec,
}

impl Default for Params {
    /// The SDK's defaults, in `upol`.
    fn default() -> Self {
        Params {
            min_deposit: vec![Coin::new("upol", 10_000_000)],
            max_deposit_period: 172_800 * SECOND,
            voting_period: 172_800 * SECOND,
            quorum: Dec::with_decimals(334, 3),
            threshold: Dec::with_decimals(5, 1),
            veto_threshold: Dec::with_decimals(334, 3),
            min_initial_deposit_ratio: Dec::zero(),
            proposal_cancel_ratio: Dec::with_decimals(5, 1),
            proposal_cancel_dest: String::new(),
            expedited_voting_period: 86_400 * SECOND,
            expedited_threshold: Dec::with_decimals(667, 3),
            expedited_min_deposit: vec![Coin::new("upol", 50_000_000)],
            burn_vote_quorum: false,
            burn_proposal_deposit_prevote: false,
            burn_vote_veto: true,
            min_deposit_ratio: Dec::with_decimals(1, 2),
        }
    }
}

fn in_unit(name: &str, d: &Dec, positive: bool) -> Result<(), String> {
    if d.is_negative() || (positive && d.is_zero()) || *d > Dec::one() {
        let range = if positive { "(0, 1]" } else { "[0, 1]" };
        return Err(format!("gov params: {name} must be in {range}, got {d}"));
    }
    Ok(())
}

fn coins_valid(name: &str, coins: &[Coin]) -> Result<(), String> {
    if coins.is_empty() {
        return Err(format!("gov params: {name} must not be empty"));
    }
    let proto: Vec<_> = coins.iter().map(Coin::to_proto).collect();
    parse_coins(&proto).map_err(|e| format!("gov params: {name}: {}", e.log))?;
    Ok(())
}

/// Amount of `denom` in `coins` (0 when absent).
pub fn amount_of(coins: &[Coin], denom: &str) -> u128 {
    coins
        .iter()
        .find(|c| c.denom == denom)
        .map_or(0, |c| c.amount)
}

impl Params {
    /// The SDK's `Params.ValidateBasic`.
    pub fn validate(&self) -> Result<(), String> {
        coins_valid("min_deposit", &self.min_deposit)?;
        coins_valid("expedited_min_deposit", &self.expedited_min_deposit)?;
        // Expedited proposals must cost more than regular ones, in every denomination.
        if self
            .min_deposit
            .iter()
            .any(|c| amount_of(&self.expedited_min_deposit, &c.denom) <= c.amount)
        {
            return Err(format!(
                "gov params: expedited_min_deposit {} must be greater than min_deposit {} in every denomination",
                pol_component::coins::coins_to_string(&self.expedited_min_deposit),
                pol_component::coins::coins_to_string(&self.min_deposit)
            ));
        }
        in_unit("quorum", &self.quorum, false)?;
        in_unit("threshold", &self.threshold, true)?;
        in_unit("expedited_threshold", &self.expedited_threshold, true)?;
        if self.expedited_threshold <= self.threshold {
            return Err(format!(
                "gov params: expedited_threshold {} must be greater than threshold {}",
                self.expedited_threshold, self.threshold
            ));
        }
        in_unit("veto_threshold", &self.veto_threshold, true)?;
        in_unit(
            "min_initial_deposit_ratio",
            &self.min_initial_deposit_ratio,
            false,
        )?;
        in_unit("proposal_cancel_ratio", &self.proposal_cancel_ratio, false)?;
        in_unit("min_deposit_ratio", &self.min_deposit_ratio, false)?;
        if !self.proposal_cancel_dest.is_empty() {
            Address::parse(&self.proposal_cancel_dest)
                .map_err(|e| format!("gov params: proposal_cancel_dest: {}", e.log))?;
        }
        if self.max_deposit_period == 0 {
            return Err("gov params: max_deposit_period must be positive".into());
        }
        if self.voting_period == 0 {
            return Err("gov params: voting_period must be positive".into());
        }
        if self.expedited_voting_period == 0 || self.expedited_voting_period >= self.voting_period {
            return Err(format!(
                "gov params: expedited_voting_period must be positive and shorter than voting_period ({}s)",
                self.voting_period / SECOND
            ));
        }
        Ok(())
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            min_deposit: self.min_deposit.iter().map(Coin::to_proto).collect(),
            max_deposit_period: Some(duration_to_proto(self.max_deposit_period)),
            voting_period: Some(duration_to_proto(self.voting_period)),
            quorum: self.quorum.to_string(),
            threshold: self.threshold.to_string(),
            veto_threshold: self.veto_threshold.to_string(),
            min_initial_deposit_ratio: self.min_initial_deposit_ratio.to_string(),
            proposal_cancel_ratio: self.proposal_cancel_ratio.to_string(),
            proposal_cancel_dest: self.proposal_cancel_dest.clone(),
            expedited_voting_period: Some(duration_to_proto(self.expedited_voting_period)),
            expedited_threshold: self.expedited_threshold.to_string(),
            expedited_min_deposit: self
                .expedited_min_deposit
                .iter()
                .map(Coin::to_proto)
                .collect(),
            burn_vote_quorum: self.burn_vote_quorum,
            burn_proposal_deposit_prevote: self.burn_proposal_deposit_prevote,
            burn_vote_veto: self.burn_vote_veto,
            min_deposit_ratio: self.min_deposit_ratio.to_string(),
        }
    }

    /// Decode and validate (a `MsgUpdateParams`' params, or stored ones).
    pub fn from_proto(p: &pb::Params) -> Result<Self, String> {
        let dec = |name: &str, s: &str| -> Result<Dec, String> {
            s.parse::<Dec>()
                .map_err(|e| format!("gov params: {name} {s:?}: {e}"))
        };
        let coins = |name: &str, c: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin]| {
            parse_coins(c).map_err(|e| format!("gov params: {name}: {}", e.log))
        };
        let params = Params {
            min_deposit: coins("min_deposit", &p.min_deposit)?,
            max_deposit_period: duration_from_proto(
                p.max_deposit_period.as_ref(),
                "gov params: max_deposit_period",
            )?,
            voting_period: duration_from_proto(
                p.voting_period.as_ref(),
                "gov params: voting_period",
            )?,
            quorum: dec("quorum", &p.quorum)?,
            threshold: dec("threshold", &p.threshold)?,
            veto_threshold: dec("veto_threshold", &p.veto_threshold)?,
            min_initial_deposit_ratio: dec(
                "min_initial_deposit_ratio",
                &p.min_initial_deposit_ratio,
            )?,
            proposal_cancel_ratio: dec("proposal_cancel_ratio", &p.proposal_cancel_ratio)?,
            proposal_cancel_dest: p.proposal_cancel_dest.clone(),
            expedited_voting_period: duration_from_proto(
                p.expedited_voting_period.as_ref(),
                "gov params: expedited_voting_period",
            )?,
            expedited_threshold: dec("expedited_threshold", &p.expedited_threshold)?,
            expedited_min_deposit: coins("expedited_min_deposit", &p.expedited_min_deposit)?,
            burn_vote_quorum: p.burn_vote_quorum,
            burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
            burn_vote_veto: p.burn_vote_veto,
            min_deposit_ratio: dec("min_deposit_ratio", &p.min_deposit_ratio)?,
        };
        params.validate()?;
        Ok(params)
    }

    /// The deposit that starts voting for a proposal of this kind.
    pub fn min_deposit_for(&self, expedited: bool) -> &[Coin] {
        if expedited {
            &self.expedited_min_deposit
        } else {
            &self.min_deposit
        }
    }

    pub fn voting_period_for(&self, expedited: bool) -> u64 {
        if expedited {
            self.expedited_voting_period
        } else {
            self.voting_period
        }
    }

    pub fn threshold_for(&self, expedited: bool) -> &Dec {
        if expedited {
            &self.expedited_threshold
        } else {
            &self.threshold
        }
    }
}
