//! The SDK's four distribution messages, unchanged:
//!
//! | message | signer | refused with |
//! |---|---|---|
//! | `MsgWithdrawDelegatorReward` | delegator | INVALID_ADDRESS, UNKNOWN_ADDRESS (no validator), INVALID_REQUEST (no delegation) |
//! | `MsgWithdrawValidatorCommission` | operator | INVALID_ADDRESS, UNKNOWN_ADDRESS, INVALID_REQUEST (no commission to withdraw) |
//! | `MsgSetWithdrawAddress` | delegator | INVALID_ADDRESS, UNAUTHORIZED (withdraw addresses disabled, or a module account) |
//! | `MsgFundCommunityPool` | depositor | INVALID_ADDRESS, INVALID_COINS, INSUFFICIENT_FUNDS |

use cosmos_sdk_proto::cosmos::distribution::v1beta1::{
    MsgFundCommunityPool, MsgFundCommunityPoolResponse, MsgSetWithdrawAddress,
    MsgSetWithdrawAddressResponse, MsgWithdrawDelegatorReward, MsgWithdrawDelegatorRewardResponse,
    MsgWithdrawValidatorCommission, MsgWithdrawValidatorCommissionResponse,
};
use pol_bank::BankWrite;
use pol_component::coins::{coins_to_string, parse_coins, Coin};
use pol_component::module::BlockedAccounts;
use pol_component::state::atomic;
use pol_component::{Address, BlockContext, DecCoins, Event, ExecEnv, TxError};
use pol_staking::types::{parse_valoper, valoper_string};
use pol_staking::{StakingRead, Validator};
use pol_store::StateWrite;

use crate::f1::{dec_err, initialize_delegation, withdraw_delegation_rewards};
use crate::view::{DistributionRead, DistributionWrite};

pub fn withdraw_delegator_reward_signer(
    m: &MsgWithdrawDelegatorReward,
) -> Result<Address, TxError> {
    Address::parse(&m.delegator_address)
}
pub fn withdraw_validator_commission_signer(
    m: &MsgWithdrawValidatorCommission,
) -> Result<Address, TxError> {
    parse_valoper(&m.validator_address)
}
pub fn set_withdraw_address_signer(m: &MsgSetWithdrawAddress) -> Result<Address, TxError> {
    Address::parse(&m.delegator_address)
}
pub fn fund_community_pool_signer(m: &MsgFundCommunityPool) -> Result<Address, TxError> {
    Address::parse(&m.depositor)
}

fn validator<S: StakingRead + ?Sized>(state: &S, s: &str) -> Result<Validator, TxError> {
    let op = parse_valoper(s)?;
    state.validator(&op)?.ok_or_else(|| {
        TxError::UNKNOWN_ADDRESS(format!("validator {} does not exist", valoper_string(&op)))
    })
}

/// Pay out a delegation's rewards; its accounting restarts at the current period.
pub fn execute_withdraw_delegator_reward<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgWithdrawDelegatorReward,
) -> Result<(MsgWithdrawDelegatorRewardResponse, Vec<Event>), TxError> {
    let delegator = Address::parse(&m.delegator_address)?;
    atomic(state, |s| {
        let val = validator(s, &m.validator_address)?;
        let delegation = s.delegation(&delegator, &val.operator)?.ok_or_else(|| {
            TxError::INVALID_REQUEST(format!(
                "{delegator} has no delegation to {}",
                valoper_string(&val.operator)
            ))
        })?;
        let (coins, events) = withdraw_delegation_rewards(s, ctx, &val, &delegation)?;
        initialize_delegation(s, ctx, &val, &delegation)?;
        Ok((
            MsgWithdrawDelegatorRewardResponse {
                amount: coins.iter().map(Coin::to_proto).collect(),
            },
            events,
        ))
    })
}

/// Pay out the whole tokens of a validator's accumulated commission.
pub fn execute_withdraw_validator_commission<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgWithdrawValidatorCommission,
) -> Result<(MsgWithdrawValidatorCommissionResponse, Vec<Event>), TxError> {
    atomic(state, |s| {
        let val = validator(s, &m.validator_address)?;
        let op = val.operator;
        let missing = || {
            TxError::INTERNAL(format!(
                "distribution: validator {op} has no reward records"
            ))
        };
        let accumulated = s.accumulated_commission(&op)?.ok_or_else(missing)?;
        let (coins, remainder) = accumulated.truncate_decimal().map_err(dec_err)?;
        if coins.is_empty() {
            return Err(TxError::INVALID_REQUEST(
                "no validator commission to withdraw",
            ));
        }
        s.put_accumulated_commission(&op, &remainder);
        let outstanding = s.outstanding_rewards(&op)?.ok_or_else(missing)?;
        let paid = DecCoins::from_coins(&coins);
        s.put_outstanding_rewards(&op, &outstanding.sub(&paid).map_err(dec_err)?);
        let to = s.withdraw_address(&op)?;
        let mut events = s.send_coins(&crate::module_account(), &to, &coins)?;
        events.push(
            Event::new("withdraw_commission")
                .attr("amount", coins_to_string(&coins))
                .attr("validator", valoper_string(&op)),
        );
        Ok((
            MsgWithdrawValidatorCommissionResponse {
                amount: coins.iter().map(Coin::to_proto).collect(),
            },
            events,
        ))
    })
}

/// Send future rewards elsewhere (not to a module account: their balances are bookkeeping).
pub fn execute_set_withdraw_address<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    env: &ExecEnv,
    m: &MsgSetWithdrawAddress,
) -> Result<(MsgSetWithdrawAddressResponse, Vec<Event>), TxError> {
    let delegator = Address::parse(&m.delegator_address)?;
    let to = Address::parse(&m.withdraw_address)?;
    if !state.distribution_params()?.withdraw_addr_enabled {
        return Err(TxError::UNAUTHORIZED("set withdraw address disabled"));
    }
    let blocked = env.get::<BlockedAccounts>().ok_or_else(|| {
        TxError::INTERNAL("the app lent distribution no list of blocked accounts")
    })?;
    if blocked.0.contains(&to) {
        return Err(TxError::UNAUTHORIZED(format!(
            "{to} is a module account and is not allowed to receive funds"
        )));
    }
    state.put_withdraw_address(&delegator, &to);
    Ok((
        MsgSetWithdrawAddressResponse {},
        vec![Event::new("set_withdraw_address")
            .attr("withdraw_address", to.to_string())
            .attr("delegator", delegator.to_string())],
    ))
}

/// Give coins to the community pool.
pub fn execute_fund_community_pool<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgFundCommunityPool,
) -> Result<(MsgFundCommunityPoolResponse, Vec<Event>), TxError> {
    let depositor = Address::parse(&m.depositor)?;
    let coins = parse_coins(&m.amount)?;
    if coins.is_empty() {
        return Err(TxError::INVALID_COINS("amount must not be empty"));
    }
    atomic(state, |s| {
        let events = s.send_coins(&depositor, &crate::module_account(), &coins)?;
        let pool = s
            .community_pool()?
            .add(&DecCoins::from_coins(&coins))
            .map_err(dec_err)?;
        s.put_community_pool(&pool);
        Ok((MsgFundCommunityPoolResponse {}, events))
    })
}
