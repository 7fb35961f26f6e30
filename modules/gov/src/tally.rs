//! The vote count, as the SDK's `x/gov` `Tally`: power is bonded stake. A validator votes
//! with the shares delegated to it, less the shares of delegators who voted themselves;
//! each delegator who voted votes with its own delegations to bonded validators. Votes are
//! deleted as they are counted.

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_component::{Address, Dec, TxError};
use pol_staking::{BondStatus, StakingRead};
use pol_store::StateWrite;

use crate::params::Params;
use crate::{GovRead, GovWrite};

pub fn empty_tally() -> pb::TallyResult {
    pb::TallyResult {
        yes_count: "0".into(),
        abstain_count: "0".into(),
        no_count: "0".into(),
        no_with_veto_count: "0".into(),
    }
}

/// Power per option (yes, abstain, no, no-with-veto), in tokens with 18 decimals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub yes: Dec,
    pub abstain: Dec,
    pub no: Dec,
    pub veto: Dec,
}

impl Counts {
    fn add(&mut self, option: i32, power: &Dec) -> Result<(), TxError> {
        let slot = match pb::VoteOption::try_from(option) {
            Ok(pb::VoteOption::Yes) => &mut self.yes,
            Ok(pb::VoteOption::Abstain) => &mut self.abstain,
            Ok(pb::VoteOption::No) => &mut self.no,
            Ok(pb::VoteOption::NoWithVeto) => &mut self.veto,
            _ => return Err(TxError::INTERNAL(format!("stored vote option {option}"))),
        };
        *slot = slot.add(power).map_err(dec_err)?;
        Ok(())
    }

    pub fn to_proto(&self) -> pb::TallyResult {
        pb::TallyResult {
            yes_count: self.yes.truncate_int().to_string(),
            abstain_count: self.abstain.truncate_int().to_string(),
            no_count: self.no.truncate_int().to_string(),
            no_with_veto_count: self.veto.truncate_int().to_string(),
        }
    }
}

fn dec_err(e: impl std::fmt::Display) -> TxError {
    TxError::INTERNAL(format!("gov tally: {e}"))
}

/// What the count decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub passes: bool,
    /// The deposits are burned (a veto, or a missed quorum, when the params say so).
    pub burn_deposits: bool,
    pub tally: pb::TallyResult,
    pub counts: Counts,
    /// Why it did not pass, for the proposal's log.
    pub reason: &'static str,
}

struct Bonded {
    tokens: u128,
    shares: u128,
    deducted: u128,
    vote: Option<Vec<(i32, Dec)>>,
}

fn options_of(v: &pb::Vote) -> Result<Vec<(i32, Dec)>, TxError> {
    v.options
        .iter()
        .map(|o| Ok((o.option, o.weight.parse::<Dec>().map_err(dec_err)?)))
        .collect()
}

/// `shares × tokens / total shares` (the SDK's `Mul(tokens).Quo(shares)`).
fn power(shares: u128, tokens: u128, total_shares: u128) -> Result<Dec, TxError> {
    if total_shares == 0 {
        return Ok(Dec::zero());
    }
    Dec::from(shares)
        .mul_int(tokens)
        .and_then(|d| d.quo(&Dec::from(total_shares)))
        .map_err(dec_err)
}

/// Count proposal `prop`'s votes against the bonded stake and delete them.
pub fn tally<S: StateWrite + ?Sized>(
    state: &mut S,
    prop: &pb::Proposal,
    params: &Params,
) -> Result<Outcome, TxError> {
    let mut bonded: BTreeMap<Address, Bonded> = BTreeMap::new();
    for v in state.all_validators()? {
        if v.status == BondStatus::Bonded {
            bonded.insert(
                v.operator,
                Bonded {
                    tokens: v.tokens,
                    shares: v.delegator_shares,
                    deducted: 0,
                    vote: None,
                },
            );
        }
    }
    let mut counts = Counts::default();
    let mut total = Dec::zero();
    for vote in state.votes(prop.id)? {
        let voter = Address::parse(&vote.voter)
            .map_err(|e| TxError::INTERNAL(format!("stored vote: {}", e.log)))?;
        let options = options_of(&vote)?;
        if let Some(val) = bonded.get_mut(&voter) {
            val.vote = Some(options.clone());
        }
        for d in state.delegations_of(&voter)? {
            let Some(val) = bonded.get_mut(&d.validator) else {
                continue;
            };
            val.deducted = val.deducted.saturating_add(d.shares);
            let p = power(d.shares, val.tokens, val.shares)?;
            for (option, weight) in &options {
                counts.add(*option, &p.mul(weight).map_err(dec_err)?)?;
            }
            total = total.add(&p).map_err(dec_err)?;
        }
        state.delete_vote(prop.id, voter.as_bytes());
    }
    for val in bonded.values() {
        let Some(options) = &val.vote else { continue };
        let p = power(
            val.shares.saturating_sub(val.deducted),
            val.tokens,
            val.shares,
        )?;
        for (option, weight) in options {
            counts.add(*option, &p.mul(weight).map_err(dec_err)?)?;
        }
        total = total.add(&p).map_err(dec_err)?;
    }
    let tally = counts.to_proto();
    let decided = |passes, burn_deposits, reason| Outcome {
        passes,
        burn_deposits,
        tally: tally.clone(),
        counts: counts.clone(),
        reason,
    };
    let total_bonded = state.bonded_tokens()?;
    if total_bonded == 0 {
        return Ok(decided(false, false, "no bonded stake"));
    }
    let turnout = total.quo(&Dec::from(total_bonded)).map_err(dec_err)?;
    if turnout < params.quorum {
        return Ok(decided(
            false,
            params.burn_vote_quorum,
            "quorum not reached",
        ));
    }
    let non_abstain = total.sub(&counts.abstain).map_err(dec_err)?;
    if !non_abstain.is_positive() {
        return Ok(decided(false, false, "every vote abstained"));
    }
    if counts.veto.quo(&total).map_err(dec_err)? > params.veto_threshold {
        return Ok(decided(false, params.burn_vote_veto, "vetoed"));
    }
    if counts.yes.quo(&non_abstain).map_err(dec_err)? > *params.threshold_for(prop.expedited) {
        return Ok(decided(true, false, ""));
    }
    Ok(decided(false, false, "threshold not reached"))
}
