//! `distribution` genesis, in the SDK's JSON shape. A new chain lists no validator records:
//! InitChain then starts the accounting of every validator and delegation staking's genesis
//! made (distribution comes after staking in the module list). An export lists every
//! record, and InitChain loads them as they are.

use pol_component::genesis::ChainStart;
use pol_component::json::u64_string;
use pol_component::{Address, AppState, BlockContext, Dec, DecCoins, ModuleGenesis, TxError};
use pol_staking::types::{parse_valoper, valoper_string};
use pol_staking::StakingRead;
use pol_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::f1::{increment_validator_period, initialize_delegation, initialize_validator};
use crate::state_key;
use crate::view::{DistributionRead, DistributionWrite, Params, SlashEvent, StartingInfo};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    pub fee_pool: FeePool,
    pub delegator_withdraw_infos: Vec<WithdrawInfo>,
    /// Kept for the SDK's shape; pol pays no proposer bonus, so it stays empty.
    pub previous_proposer: String,
    pub outstanding_rewards: Vec<OutstandingRecord>,
    pub validator_accumulated_commissions: Vec<CommissionRecord>,
    pub validator_historical_rewards: Vec<HistoricalRecord>,
    pub validator_current_rewards: Vec<CurrentRecord>,
    pub delegator_starting_infos: Vec<StartingInfoRecord>,
    pub validator_slash_events: Vec<SlashEventRecord>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeePool {
    pub community_pool: DecCoins,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInfo {
    pub delegator_address: String,
    pub withdraw_address: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutstandingRecord {
    pub validator_address: String,
    pub outstanding_rewards: DecCoins,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionRecord {
    pub validator_address: String,
    pub accumulated: Commission,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commission {
    pub commission: DecCoins,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoricalRecord {
    pub validator_address: String,
    #[serde(with = "u64_string")]
    pub period: u64,
    pub rewards: Historical,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Historical {
    pub cumulative_reward_ratio: DecCoins,
    pub reference_count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrentRecord {
    pub validator_address: String,
    pub rewards: Current,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Current {
    pub rewards: DecCoins,
    #[serde(with = "u64_string")]
    pub period: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingInfoRecord {
    pub delegator_address: String,
    pub validator_address: String,
    pub starting_info: StartingInfoJson,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingInfoJson {
    #[serde(with = "u64_string")]
    pub previous_period: u64,
    pub stake: Dec,
    #[serde(with = "u64_string")]
    pub height: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashEventRecord {
    pub validator_address: String,
    #[serde(with = "u64_string")]
    pub height: u64,
    #[serde(with = "u64_string")]
    pub period: u64,
    pub validator_slash_event: SlashEventJson,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashEventJson {
    #[serde(with = "u64_string")]
    pub validator_period: u64,
    pub fraction: Dec,
}

fn err(what: impl std::fmt::Display) -> String {
    format!("distribution genesis: {what}")
}

fn valoper(s: &str) -> Result<Address, String> {
    parse_valoper(s).map_err(|e| err(e.log))
}

fn account(s: &str) -> Result<Address, String> {
    Address::parse(s).map_err(|e| err(e.log))
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = crate::MODULE;

    fn validate(&self) -> Result<(), String> {
        self.params.validate()?;
        for w in &self.delegator_withdraw_infos {
            account(&w.delegator_address)?;
            account(&w.withdraw_address)?;
        }
        for r in &self.outstanding_rewards {
            valoper(&r.validator_address)?;
        }
        for r in &self.validator_accumulated_commissions {
            valoper(&r.validator_address)?;
        }
        for r in &self.validator_historical_rewards {
            valoper(&r.validator_address)?;
            if r.rewards.reference_count == 0 || r.rewards.reference_count > 3 {
                return Err(err(format!(
                    "historical rewards of {} period {} have reference count {}",
                    r.validator_address, r.period, r.rewards.reference_count
                )));
            }
        }
        for r in &self.validator_current_rewards {
            valoper(&r.validator_address)?;
            if r.rewards.period == 0 {
                return Err(err(format!(
                    "current period of {} is 0",
                    r.validator_address
                )));
            }
        }
        for r in &self.delegator_starting_infos {
            account(&r.delegator_address)?;
            valoper(&r.validator_address)?;
            if r.starting_info.stake.is_negative() {
                return Err(err("negative starting stake"));
            }
        }
        for r in &self.validator_slash_events {
            valoper(&r.validator_address)?;
            let f = &r.validator_slash_event.fraction;
            if f.is_negative() || *f > Dec::one() {
                return Err(err(format!("slash fraction {f} outside [0, 1]")));
            }
        }
        Ok(())
    }

    /// The module account must hold exactly what the records owe (the outstanding rewards
    /// and the community pool), as the invariant requires from the first block. Every
    /// staking validator must have its records when any are listed (an export); a list that
    /// misses one would halt the chain at its first reward (validators that gentxs add are
    /// given records at InitChain).
    fn validate_against(&self, app_state: &AppState, _chain: &ChainStart) -> Result<(), String> {
        let mut owed = self.fee_pool.community_pool.clone();
        for r in &self.outstanding_rewards {
            owed = owed.add(&r.outstanding_rewards).map_err(err)?;
        }
        let (whole, fraction) = owed.truncate_decimal().map_err(err)?;
        if !fraction.is_zero() {
            return Err(err(
                "outstanding rewards and the community pool sum to a fraction",
            ));
        }
        let bank: pol_bank::GenesisState = app_state.get()?;
        let account = crate::module_account().to_string();
        let mut held: Vec<(String, u128)> = bank
            .balances
            .iter()
            .filter(|b| b.address == account)
            .flat_map(|b| b.coins.iter())
            .map(|c| (c.denom.clone(), c.amount.parse::<u128>().unwrap_or(0)))
            .filter(|(_, a)| *a > 0)
            .collect();
        held.sort();
        let want: Vec<(String, u128)> = whole.into_iter().map(|c| (c.denom, c.amount)).collect();
        if held != want {
            return Err(err(format!(
                "the distribution account holds {held:?} in bank genesis, the records owe {want:?}"
            )));
        }
        if self.validator_current_rewards.is_empty() {
            return Ok(());
        }
        let staking: pol_staking::GenesisState = app_state.get()?;
        for v in &staking.validators {
            let named = |a: &String| *a == v.operator_address;
            if !self
                .validator_current_rewards
                .iter()
                .map(|r| &r.validator_address)
                .any(named)
                || !self
                    .outstanding_rewards
                    .iter()
                    .map(|r| &r.validator_address)
                    .any(named)
                || !self
                    .validator_accumulated_commissions
                    .iter()
                    .map(|r| &r.validator_address)
                    .any(named)
            {
                return Err(err(format!(
                    "validator {} has no reward records",
                    v.operator_address
                )));
            }
        }
        Ok(())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        let parse = |r: Result<Address, String>| r.map_err(TxError::INVALID_REQUEST);
        state.put_distribution_params(&self.params);
        state.put_community_pool(&self.fee_pool.community_pool);
        for w in &self.delegator_withdraw_infos {
            state.put_withdraw_address(
                &parse(account(&w.delegator_address))?,
                &parse(account(&w.withdraw_address))?,
            );
        }
        if self.validator_current_rewards.is_empty() {
            // A new chain: start the accounting of what staking's genesis made.
            for val in state.all_validators()? {
                initialize_validator(state, &val.operator);
            }
            for d in state.all_delegations()? {
                let val = state.validator(&d.validator)?.ok_or_else(|| {
                    TxError::INVALID_REQUEST(format!(
                        "delegation to unknown validator {}",
                        d.validator
                    ))
                })?;
                // As the SDK's gentxs do through the hooks: each delegation closes a period
                // of its own and starts after it.
                increment_validator_period(state, &val)?;
                initialize_delegation(state, ctx, &val, &d)?;
            }
            return Ok(Vec::new());
        }
        for r in &self.outstanding_rewards {
            state.put_outstanding_rewards(
                &parse(valoper(&r.validator_address))?,
                &r.outstanding_rewards,
            );
        }
        for r in &self.validator_accumulated_commissions {
            state.put_accumulated_commission(
                &parse(valoper(&r.validator_address))?,
                &r.accumulated.commission,
            );
        }
        for r in &self.validator_historical_rewards {
            state.put_historical_rewards(
                &parse(valoper(&r.validator_address))?,
                r.period,
                &r.rewards.cumulative_reward_ratio,
                r.rewards.reference_count,
            );
        }
        for r in &self.validator_current_rewards {
            state.put_current_rewards(
                &parse(valoper(&r.validator_address))?,
                &r.rewards.rewards,
                r.rewards.period,
            );
        }
        for r in &self.delegator_starting_infos {
            state.put_starting_info(
                &parse(valoper(&r.validator_address))?,
                &parse(account(&r.delegator_address))?,
                &StartingInfo {
                    previous_period: r.starting_info.previous_period,
                    stake: r.starting_info.stake.clone(),
                    height: r.starting_info.height,
                },
            );
        }
        // Validators and delegations the export does not cover (gentxs added to it) start
        // their accounting now, as on a new chain.
        for val in state.all_validators()? {
            if state.current_rewards(&val.operator)?.is_none() {
                initialize_validator(state, &val.operator);
            }
        }
        for d in state.all_delegations()? {
            if state.starting_info(&d.validator, &d.delegator)?.is_none() {
                let val = state.validator(&d.validator)?.ok_or_else(|| {
                    TxError::INVALID_REQUEST(format!(
                        "delegation to unknown validator {}",
                        d.validator
                    ))
                })?;
                increment_validator_period(state, &val)?;
                initialize_delegation(state, ctx, &val, &d)?;
            }
        }
        for r in &self.validator_slash_events {
            state.put_slash_event(
                &parse(valoper(&r.validator_address))?,
                &SlashEvent {
                    height: r.height,
                    validator_period: r.validator_slash_event.validator_period,
                    fraction: r.validator_slash_event.fraction.clone(),
                },
            );
        }
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        let mut g = GenesisState {
            params: state.distribution_params()?,
            fee_pool: FeePool {
                community_pool: state.community_pool()?,
            },
            ..Default::default()
        };
        let addr_at = |k: &[u8], at: usize| {
            k.get(at..at + 20)
                .and_then(Address::from_slice)
                .ok_or_else(|| TxError::INTERNAL("distribution key holds no address"))
        };
        let u64_at = |k: &[u8], at: usize| {
            k.get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| TxError::INTERNAL("distribution key holds no number"))
        };
        let scan = |prefix: &[u8]| pol_component::state::scan(state, prefix);
        for (k, v) in scan(state_key::WITHDRAW_ADDR_PREFIX)? {
            let to =
                Address::from_slice(&v).ok_or_else(|| TxError::INTERNAL("bad withdraw address"))?;
            g.delegator_withdraw_infos.push(WithdrawInfo {
                delegator_address: addr_at(&k, state_key::WITHDRAW_ADDR_PREFIX.len())?.to_string(),
                withdraw_address: to.to_string(),
            });
        }
        for val in state.all_validators()? {
            let op = val.operator;
            let name = valoper_string(&op);
            let missing = || {
                TxError::INTERNAL(format!(
                    "distribution: validator {op} has no reward records"
                ))
            };
            g.outstanding_rewards.push(OutstandingRecord {
                validator_address: name.clone(),
                outstanding_rewards: state.outstanding_rewards(&op)?.ok_or_else(missing)?,
            });
            g.validator_accumulated_commissions.push(CommissionRecord {
                validator_address: name.clone(),
                accumulated: Commission {
                    commission: state.accumulated_commission(&op)?.ok_or_else(missing)?,
                },
            });
            let (rewards, period) = state.current_rewards(&op)?.ok_or_else(missing)?;
            g.validator_current_rewards.push(CurrentRecord {
                validator_address: name.clone(),
                rewards: Current { rewards, period },
            });
            let prefix = state_key::historical_of(&op);
            for (k, _) in scan(&prefix)? {
                let period = u64_at(&k, prefix.len())?;
                let (ratio, count) = state.historical_rewards(&op, period)?.ok_or_else(missing)?;
                g.validator_historical_rewards.push(HistoricalRecord {
                    validator_address: name.clone(),
                    period,
                    rewards: Historical {
                        cumulative_reward_ratio: ratio,
                        reference_count: count,
                    },
                });
            }
            for e in state.slash_events(&op, 0, u64::MAX)? {
                g.validator_slash_events.push(SlashEventRecord {
                    validator_address: name.clone(),
                    height: e.height,
                    period: e.validator_period,
                    validator_slash_event: SlashEventJson {
                        validator_period: e.validator_period,
                        fraction: e.fraction,
                    },
                });
            }
            for d in state.delegations_to(&op)? {
                let info = state
                    .starting_info(&op, &d.delegator)?
                    .ok_or_else(missing)?;
                g.delegator_starting_infos.push(StartingInfoRecord {
                    delegator_address: d.delegator.to_string(),
                    validator_address: name.clone(),
                    starting_info: StartingInfoJson {
                        previous_period: info.previous_period,
                        stake: info.stake,
                        height: info.height,
                    },
                });
            }
        }
        Ok(g)
    }
}
