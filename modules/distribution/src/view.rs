//! Reading and writing distribution's records in their SDK protobuf forms.

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;
use pol_component::dec::DecError;
use pol_component::{Address, Dec, DecCoins};
use pol_store::{StateRead, StateWrite, StateWriteExt, StoreError};
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::state_key;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("distribution {what}: {e}"))
}

fn decode<M: Message + Default>(what: &str, raw: &[u8]) -> Result<M, StoreError> {
    pol_store::decode_record(raw).map_err(|e| corrupt(what, e))
}

fn dec_coins(
    what: &str,
    c: &[cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin],
) -> Result<DecCoins, StoreError> {
    DecCoins::from_proto(c).map_err(|e| corrupt(what, e))
}

/// Distribution's parameters (the SDK's; the proposer rewards it keeps for wire
/// compatibility are always zero, as in the SDK since v0.47).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Share of every block's fees and mint that goes to the community pool.
    pub community_tax: Dec,
    #[serde(default)]
    pub base_proposer_reward: Dec,
    #[serde(default)]
    pub bonus_proposer_reward: Dec,
    /// Whether delegators may send their rewards elsewhere (`MsgSetWithdrawAddress`).
    pub withdraw_addr_enabled: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            community_tax: Dec::with_decimals(2, 2),
            base_proposer_reward: Dec::zero(),
            bonus_proposer_reward: Dec::zero(),
            withdraw_addr_enabled: true,
        }
    }
}

impl Params {
    pub fn validate(&self) -> Result<(), String> {
        if self.community_tax.is_negative() || self.community_tax > Dec::one() {
            return Err(format!(
                "distribution params: community_tax must be in [0, 1], got {}",
                self.community_tax
            ));
        }
        if !self.base_proposer_reward.is_zero() || !self.bonus_proposer_reward.is_zero() {
            return Err(
                "distribution params: proposer rewards are not used and must be zero".into(),
            );
        }
        Ok(())
    }

    #[allow(deprecated)] // the SDK keeps the proposer rewards on the wire, at zero
    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            community_tax: self.community_tax.atomics_string(),
            base_proposer_reward: self.base_proposer_reward.atomics_string(),
            bonus_proposer_reward: self.bonus_proposer_reward.atomics_string(),
            withdraw_addr_enabled: self.withdraw_addr_enabled,
        }
    }

    #[allow(deprecated)]
    pub fn from_proto(p: &pb::Params) -> Result<Self, DecError> {
        Ok(Params {
            community_tax: Dec::from_atomics_str(&p.community_tax)?,
            base_proposer_reward: Dec::from_atomics_str(&p.base_proposer_reward)?,
            bonus_proposer_reward: Dec::from_atomics_str(&p.bonus_proposer_reward)?,
            withdraw_addr_enabled: p.withdraw_addr_enabled,
        })
    }
}

/// Where a delegation's reward accounting starts: the validator period before it, its
/// stake then, and the height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartingInfo {
    pub previous_period: u64,
    pub stake: Dec,
    pub height: u64,
}

/// A slash as distribution records it: the period it closed and the fraction taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlashEvent {
    pub height: u64,
    pub validator_period: u64,
    pub fraction: Dec,
}

pub trait DistributionRead: StateRead {
    fn distribution_params(&self) -> Result<Params, StoreError> {
        let raw = self
            .get_raw(state_key::PARAMS)?
            .ok_or_else(|| corrupt("params", "missing"))?;
        Params::from_proto(&decode("params", &raw)?).map_err(|e| corrupt("params", e))
    }

    /// The community pool.
    fn community_pool(&self) -> Result<DecCoins, StoreError> {
        match self.get_raw(state_key::FEE_POOL)? {
            None => Ok(DecCoins::zero()),
            Some(raw) => dec_coins(
                "fee pool",
                &decode::<pb::FeePool>("fee pool", &raw)?.community_pool,
            ),
        }
    }

    /// Where `delegator`'s rewards go (itself unless it set another address).
    fn withdraw_address(&self, delegator: &Address) -> Result<Address, StoreError> {
        match self.get_raw(&state_key::withdraw_addr(delegator))? {
            None => Ok(*delegator),
            Some(raw) => {
                Address::from_slice(&raw).ok_or_else(|| corrupt("withdraw address", "not 20 bytes"))
            }
        }
    }

    fn outstanding_rewards(&self, val: &Address) -> Result<Option<DecCoins>, StoreError> {
        self.get_raw(&state_key::outstanding(val))?
            .map(|raw| {
                dec_coins(
                    "outstanding",
                    &decode::<pb::ValidatorOutstandingRewards>("outstanding", &raw)?.rewards,
                )
            })
            .transpose()
    }

    fn accumulated_commission(&self, val: &Address) -> Result<Option<DecCoins>, StoreError> {
        self.get_raw(&state_key::commission(val))?
            .map(|raw| {
                dec_coins(
                    "commission",
                    &decode::<pb::ValidatorAccumulatedCommission>("commission", &raw)?.commission,
                )
            })
            .transpose()
    }

    /// The current period's accrued rewards and its number.
    fn current_rewards(&self, val: &Address) -> Result<Option<(DecCoins, u64)>, StoreError> {
        self.get_raw(&state_key::current(val))?
            .map(|raw| {
                let c: pb::ValidatorCurrentRewards = decode("current rewards", &raw)?;
                Ok((dec_coins("current rewards", &c.rewards)?, c.period))
            })
            .transpose()
    }

    /// A closed period's cumulative reward ratio and reference count.
    fn historical_rewards(
        &self,
        val: &Address,
        period: u64,
    ) -> Result<Option<(DecCoins, u32)>, StoreError> {
        self.get_raw(&state_key::historical(val, period))?
            .map(|raw| {
                let h: pb::ValidatorHistoricalRewards = decode("historical rewards", &raw)?;
                Ok((
                    dec_coins("historical rewards", &h.cumulative_reward_ratio)?,
                    h.reference_count,
                ))
            })
            .transpose()
    }

    fn starting_info(
        &self,
        val: &Address,
        delegator: &Address,
    ) -> Result<Option<StartingInfo>, StoreError> {
        self.get_raw(&state_key::starting(val, delegator))?
            .map(|raw| {
                let s: pb::DelegatorStartingInfo = decode("starting info", &raw)?;
                Ok(StartingInfo {
                    previous_period: s.previous_period,
                    stake: Dec::from_atomics_str(&s.stake)
                        .map_err(|e| corrupt("starting info", e))?,
                    height: s.height,
                })
            })
            .transpose()
    }

    /// The validator's slash events at heights `from..=to`, in height then period order.
    fn slash_events(
        &self,
        val: &Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<SlashEvent>, StoreError> {
        let prefix = state_key::slashes_of(val);
        let mut out = Vec::new();
        for (k, v) in pol_component::state::scan(self, &prefix)? {
            let rest = &k[prefix.len()..];
            let height = rest
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| corrupt("slash event key", "short"))?;
            if height < from || height > to {
                continue;
            }
            let e: pb::ValidatorSlashEvent = decode("slash event", &v)?;
            out.push(SlashEvent {
                height,
                validator_period: e.validator_period,
                fraction: Dec::from_atomics_str(&e.fraction)
                    .map_err(|e| corrupt("slash event", e))?,
            });
        }
        Ok(out)
    }
}
impl<S: StateRead + ?Sized> DistributionRead for S {}

pub trait DistributionWrite: StateWrite {
    fn put_distribution_params(&mut self, p: &Params) {
        self.put_raw(state_key::PARAMS.to_vec(), p.to_proto().encode_to_vec());
    }

    fn put_community_pool(&mut self, pool: &DecCoins) {
        let fp = pb::FeePool {
            community_pool: pool.to_proto(),
        };
        self.put_proto(state_key::FEE_POOL.to_vec(), &fp);
    }

    /// Set (or, for the delegator itself, clear) where its rewards go.
    fn put_withdraw_address(&mut self, delegator: &Address, to: &Address) {
        if to == delegator {
            self.delete(state_key::withdraw_addr(delegator));
        } else {
            self.put_raw(state_key::withdraw_addr(delegator), to.as_bytes().to_vec());
        }
    }

    fn put_outstanding_rewards(&mut self, val: &Address, r: &DecCoins) {
        let m = pb::ValidatorOutstandingRewards {
            rewards: r.to_proto(),
        };
        self.put_proto(state_key::outstanding(val), &m);
    }

    fn put_accumulated_commission(&mut self, val: &Address, c: &DecCoins) {
        let m = pb::ValidatorAccumulatedCommission {
            commission: c.to_proto(),
        };
        self.put_proto(state_key::commission(val), &m);
    }

    fn put_current_rewards(&mut self, val: &Address, rewards: &DecCoins, period: u64) {
        let m = pb::ValidatorCurrentRewards {
            rewards: rewards.to_proto(),
            period,
        };
        self.put_proto(state_key::current(val), &m);
    }

    fn put_historical_rewards(
        &mut self,
        val: &Address,
        period: u64,
        ratio: &DecCoins,
        reference_count: u32,
    ) {
        let key = state_key::historical(val, period);
        if reference_count == 0 {
            self.delete(key);
        } else {
            let m = pb::ValidatorHistoricalRewards {
                cumulative_reward_ratio: ratio.to_proto(),
                reference_count,
            };
            self.put_proto(key, &m);
        }
    }

    fn put_starting_info(&mut self, val: &Address, delegator: &Address, info: &StartingInfo) {
        let m = pb::DelegatorStartingInfo {
            previous_period: info.previous_period,
            stake: info.stake.atomics_string(),
            height: info.height,
        };
        self.put_raw(state_key::starting(val, delegator), m.encode_to_vec());
    }

    fn delete_starting_info(&mut self, val: &Address, delegator: &Address) {
        self.delete(state_key::starting(val, delegator));
    }

    fn put_slash_event(&mut self, val: &Address, e: &SlashEvent) {
        let m = pb::ValidatorSlashEvent {
            validator_period: e.validator_period,
            fraction: e.fraction.atomics_string(),
        };
        self.put_raw(
            state_key::slash(val, e.height, e.validator_period),
            m.encode_to_vec(),
        );
    }
}
impl<S: StateWrite + ?Sized> DistributionWrite for S {}
