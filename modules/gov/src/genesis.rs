//! `gov` genesis in the SDK's v1 JSON shape. A new chain lists params only (and perhaps a
//! `starting_proposal_id` and a `constitution`); an export lists every proposal, deposit
//! and vote, and InitChain rebuilds the two queues from them. One difference from the SDK:
//! a proposal's messages are written as `{"type_url", "value" (base64)}`, since gov cannot
//! render every module's messages as JSON.

use std::collections::BTreeSet;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_bank::BankRead;
use pol_component::coins::{coins_to_string, Coin};
use pol_component::json::{base64_bytes, u64_string};
use pol_component::time::{rfc3339, timestamp_from_proto, timestamp_to_proto};
use pol_component::{Address, BlockContext, Dec, ModuleGenesis, TxError};
use pol_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};
use tendermint_proto::google::protobuf::{Any, Timestamp};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::params::Params;
use crate::proposal::{add_coins, time, ProposalStatus};
use crate::{module_account, GovRead, GovWrite};

fn err(s: impl std::fmt::Display) -> String {
    format!("gov genesis: {s}")
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    #[serde(with = "u64_string")]
    pub starting_proposal_id: u64,
    pub deposits: Vec<DepositJson>,
    pub votes: Vec<VoteJson>,
    pub proposals: Vec<ProposalJson>,
    /// The SDK's deprecated v1beta1-era params: accepted only when null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposit_params: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voting_params: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tally_params: Option<serde_json::Value>,
    pub params: Params,
    pub constitution: String,
}

impl Default for GenesisState {
    fn default() -> Self {
        GenesisState {
            starting_proposal_id: 1,
            deposits: Vec::new(),
            votes: Vec::new(),
            proposals: Vec::new(),
            deposit_params: None,
            voting_params: None,
            tally_params: None,
            params: Params::default(),
            constitution: String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositJson {
    #[serde(with = "u64_string")]
    pub proposal_id: u64,
    pub depositor: String,
    #[serde(with = "pol_component::json::coins")]
    pub amount: Vec<Coin>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteOptionJson {
    pub option: String,
    pub weight: Dec,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteJson {
    #[serde(with = "u64_string")]
    pub proposal_id: u64,
    pub voter: String,
    pub options: Vec<VoteOptionJson>,
    #[serde(default)]
    pub metadata: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnyJson {
    pub type_url: String,
    #[serde(with = "base64_bytes")]
    pub value: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyJson {
    pub yes_count: String,
    pub abstain_count: String,
    pub no_count: String,
    pub no_with_veto_count: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalJson {
    #[serde(with = "u64_string")]
    pub id: u64,
    pub messages: Vec<AnyJson>,
    pub status: String,
    pub final_tally_result: Option<TallyJson>,
    pub submit_time: Option<String>,
    pub deposit_end_time: Option<String>,
    #[serde(with = "pol_component::json::coins")]
    pub total_deposit: Vec<Coin>,
    pub voting_start_time: Option<String>,
    pub voting_end_time: Option<String>,
    #[serde(default)]
    pub metadata: String,
    pub title: String,
    pub summary: String,
    pub proposer: String,
    #[serde(default)]
    pub expedited: bool,
    #[serde(default)]
    pub failed_reason: String,
}

fn time_json(t: &Option<Timestamp>) -> Option<String> {
    t.as_ref().map(|t| rfc3339(timestamp_from_proto(Some(t))))
}

fn time_proto(s: &Option<String>, what: &str) -> Result<Option<Timestamp>, String> {
    s.as_ref()
        .map(|text| {
            pol_component::time::parse_rfc3339(text)
                .map(timestamp_to_proto)
                .map_err(|e| err(format!("{what}: {e}")))
        })
        .transpose()
}

fn coins_proto(c: &[Coin]) -> Vec<ProtoCoin> {
    c.iter().map(Coin::to_proto).collect()
}

fn coins_json(c: &[ProtoCoin]) -> Result<Vec<Coin>, TxError> {
    c.iter().map(Coin::from_proto).collect()
}

impl ProposalJson {
    pub fn to_proto(&self) -> Result<pb::Proposal, String> {
        let status = ProposalStatus::from_str_name(&self.status).ok_or_else(|| {
            err(format!(
                "proposal {}: unknown status {:?}",
                self.id, self.status
            ))
        })?;
        Ok(pb::Proposal {
            id: self.id,
            messages: self
                .messages
                .iter()
                .map(|m| Any {
                    type_url: m.type_url.clone(),
                    value: m.value.clone(),
                })
                .collect(),
            status: status as i32,
            final_tally_result: self.final_tally_result.as_ref().map(|t| pb::TallyResult {
                yes_count: t.yes_count.clone(),
                abstain_count: t.abstain_count.clone(),
                no_count: t.no_count.clone(),
                no_with_veto_count: t.no_with_veto_count.clone(),
            }),
            submit_time: time_proto(&self.submit_time, "submit_time")?,
            deposit_end_time: time_proto(&self.deposit_end_time, "deposit_end_time")?,
            total_deposit: coins_proto(&self.total_deposit),
            voting_start_time: time_proto(&self.voting_start_time, "voting_start_time")?,
            voting_end_time: time_proto(&self.voting_end_time, "voting_end_time")?,
            metadata: self.metadata.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            proposer: self.proposer.clone(),
            expedited: self.expedited,
            failed_reason: self.failed_reason.clone(),
        })
    }

    pub fn of(p: &pb::Proposal) -> Result<Self, TxError> {
        Ok(ProposalJson {
            id: p.id,
            messages: p
                .messages
                .iter()
                .map(|m| AnyJson {
                    type_url: m.type_url.clone(),
                    value: m.value.clone(),
                })
                .collect(),
            status: crate::proposal::status(p).as_str_name().to_string(),
            final_tally_result: p.final_tally_result.as_ref().map(|t| TallyJson {
                yes_count: t.yes_count.clone(),
                abstain_count: t.abstain_count.clone(),
                no_count: t.no_count.clone(),
                no_with_veto_count: t.no_with_veto_count.clone(),
            }),
            submit_time: time_json(&p.submit_time),
            deposit_end_time: time_json(&p.deposit_end_time),
            total_deposit: coins_json(&p.total_deposit)?,
            voting_start_time: time_json(&p.voting_start_time),
            voting_end_time: time_json(&p.voting_end_time),
            metadata: p.metadata.clone(),
            title: p.title.clone(),
            summary: p.summary.clone(),
            proposer: p.proposer.clone(),
            expedited: p.expedited,
            failed_reason: p.failed_reason.clone(),
        })
    }
}

impl GenesisState {
    /// What the gov account must hold: every deposit.
    fn deposits_total(&self) -> Result<Vec<Coin>, String> {
        self.deposits.iter().try_fold(Vec::new(), |sum, d| {
            add_coins(&sum, &d.amount).map_err(|e| err(e.log))
        })
    }
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = crate::MODULE;

    fn validate(&self) -> Result<(), String> {
        self.params.validate().map_err(err)?;
        if self.starting_proposal_id == 0 {
            return Err(err("starting_proposal_id must be positive"));
        }
        for (name, v) in [
            ("deposit_params", &self.deposit_params),
            ("voting_params", &self.voting_params),
            ("tally_params", &self.tally_params),
        ] {
            if v.as_ref().is_some_and(|v| !v.is_null()) {
                return Err(err(format!("{name} is deprecated; set gov.params instead")));
            }
        }
        let mut ids = BTreeSet::new();
        for p in &self.proposals {
            let what = |s: &str| err(format!("proposal {}: {s}", p.id));
            if p.id == 0 || !ids.insert(p.id) {
                return Err(what("ids are positive and unique"));
            }
            if p.id >= self.starting_proposal_id {
                return Err(what("id is not below starting_proposal_id"));
            }
            let proto = p.to_proto()?;
            Address::parse(&p.proposer).map_err(|e| what(&e.log))?;
            let status = crate::proposal::status(&proto);
            if status == ProposalStatus::Unspecified {
                return Err(what("status must be set"));
            }
            let live = matches!(
                status,
                ProposalStatus::DepositPeriod | ProposalStatus::VotingPeriod
            );
            if status == ProposalStatus::DepositPeriod && proto.deposit_end_time.is_none() {
                return Err(what(
                    "a proposal in its deposit period needs deposit_end_time",
                ));
            }
            if status == ProposalStatus::VotingPeriod && proto.voting_end_time.is_none() {
                return Err(what(
                    "a proposal in its voting period needs voting_end_time",
                ));
            }
            // Deposits and votes are only kept while a proposal lives.
            let deposits: Vec<&DepositJson> = self
                .deposits
                .iter()
                .filter(|d| d.proposal_id == p.id)
                .collect();
            let sum = deposits.iter().try_fold(Vec::new(), |s, d| {
                add_coins(&s, &d.amount).map_err(|e| what(&e.log))
            })?;
            if live && sum != p.total_deposit {
                return Err(what(&format!(
                    "total_deposit {} is not the sum of its deposits {}",
                    coins_to_string(&p.total_deposit),
                    coins_to_string(&sum)
                )));
            }
            if !live && !deposits.is_empty() {
                return Err(what("an ended proposal keeps no deposits"));
            }
        }
        let mut seen = BTreeSet::new();
        for d in &self.deposits {
            let addr = Address::parse(&d.depositor).map_err(|e| err(e.log))?;
            if !ids.contains(&d.proposal_id) || !seen.insert((d.proposal_id, addr)) {
                return Err(err(format!(
                    "deposit by {} on proposal {}: unknown proposal or listed twice",
                    d.depositor, d.proposal_id
                )));
            }
        }
        let mut seen = BTreeSet::new();
        for v in &self.votes {
            let addr = Address::parse(&v.voter).map_err(|e| err(e.log))?;
            let voting = self.proposals.iter().any(|p| {
                p.id == v.proposal_id && p.status == ProposalStatus::VotingPeriod.as_str_name()
            });
            if !voting || !seen.insert((v.proposal_id, addr)) {
                return Err(err(format!(
                    "vote by {} on proposal {}: not a proposal in its voting period, or listed twice",
                    v.voter, v.proposal_id
                )));
            }
            let options = v
                .options
                .iter()
                .map(|o| {
                    pb::VoteOption::from_str_name(&o.option)
                        .map(|opt| (opt as i32, o.weight.clone()))
                        .ok_or_else(|| err(format!("unknown vote option {:?}", o.option)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            crate::msg::vote::check_options(&options).map_err(|e| err(e.log))?;
        }
        self.deposits_total()?;
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        state.put_gov_params(&self.params);
        state.set_next_proposal_id(self.starting_proposal_id);
        state.set_constitution(&self.constitution);
        for p in &self.proposals {
            let proto = p.to_proto().map_err(TxError::INVALID_REQUEST)?;
            match crate::proposal::status(&proto) {
                ProposalStatus::DepositPeriod => {
                    state.enqueue_deposit_end(time(&proto.deposit_end_time), proto.id)
                }
                ProposalStatus::VotingPeriod => {
                    state.enqueue_voting_end(time(&proto.voting_end_time), proto.id)
                }
                _ => {}
            }
            state.put_proposal(&proto);
        }
        for d in &self.deposits {
            let depositor = Address::parse(&d.depositor)?;
            state.put_deposit(
                depositor.as_bytes(),
                &pb::Deposit {
                    proposal_id: d.proposal_id,
                    depositor: depositor.to_string(),
                    amount: coins_proto(&d.amount),
                },
            );
        }
        for v in &self.votes {
            let voter = Address::parse(&v.voter)?;
            state.put_vote(
                voter.as_bytes(),
                &pb::Vote {
                    proposal_id: v.proposal_id,
                    voter: voter.to_string(),
                    options: v
                        .options
                        .iter()
                        .map(|o| pb::WeightedVoteOption {
                            option: pb::VoteOption::from_str_name(&o.option)
                                .map_or(0, |x| x as i32),
                            weight: o.weight.to_string(),
                        })
                        .collect(),
                    metadata: v.metadata.clone(),
                },
            );
        }
        // The gov account holds exactly the deposits (bank's genesis came first).
        let need = self.deposits_total().map_err(TxError::INVALID_REQUEST)?;
        let have = state.all_balances(&module_account())?;
        if have != need {
            return Err(TxError::INVALID_REQUEST(err(format!(
                "the gov account {} holds {}, its deposits need {}",
                module_account(),
                coins_to_string(&have),
                coins_to_string(&need)
            ))));
        }
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        let proposals = state.all_proposals()?;
        let mut deposits = Vec::new();
        let mut votes = Vec::new();
        for p in &proposals {
            for d in state.deposits(p.id)? {
                deposits.push(DepositJson {
                    proposal_id: d.proposal_id,
                    depositor: d.depositor.clone(),
                    amount: coins_json(&d.amount)?,
                });
            }
            for v in state.votes(p.id)? {
                votes.push(VoteJson {
                    proposal_id: v.proposal_id,
                    voter: v.voter.clone(),
                    options: v
                        .options
                        .iter()
                        .map(|o| {
                            Ok(VoteOptionJson {
                                option: pb::VoteOption::try_from(o.option)
                                    .unwrap_or(pb::VoteOption::Unspecified)
                                    .as_str_name()
                                    .to_string(),
                                weight: o.weight.parse::<Dec>().map_err(|e| {
                                    TxError::INTERNAL(format!("stored vote weight: {e}"))
                                })?,
                            })
                        })
                        .collect::<Result<_, TxError>>()?,
                    metadata: v.metadata.clone(),
                });
            }
        }
        Ok(GenesisState {
            starting_proposal_id: state.next_proposal_id()?,
            deposits,
            votes,
            proposals: proposals
                .iter()
                .map(ProposalJson::of)
                .collect::<Result<_, _>>()?,
            deposit_params: None,
            voting_params: None,
            tally_params: None,
            params: state.gov_params()?,
            constitution: state.constitution()?,
        })
    }
}
