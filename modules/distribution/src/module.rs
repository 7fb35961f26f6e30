//! The distribution module as the app registers it.

use cosmos_sdk_proto::cosmos::distribution::v1beta1::{
    MsgFundCommunityPool, MsgSetWithdrawAddress, MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
};
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, no_intrinsic_gas, MsgHandler};
use pol_component::{Address, BlockContext, BlockInfo, Event, ExecEnv, Module, ModuleMsg, TxError};
use pol_staking::StakingHookList;
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use prost::Message as _;
use tendermint_proto::google::protobuf::Any;
use tonic::service::RoutesBuilder;

use crate::msg;

/// Rewards and the community pool; `cosmos.distribution.v1beta1.Query`.
pub struct DistributionModule;

pub const MSG_WITHDRAW_DELEGATOR_REWARD: &str =
    "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward";
pub const MSG_WITHDRAW_VALIDATOR_COMMISSION: &str =
    "/cosmos.distribution.v1beta1.MsgWithdrawValidatorCommission";
pub const MSG_SET_WITHDRAW_ADDRESS: &str = "/cosmos.distribution.v1beta1.MsgSetWithdrawAddress";
pub const MSG_FUND_COMMUNITY_POOL: &str = "/cosmos.distribution.v1beta1.MsgFundCommunityPool";

impl Module for DistributionModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    /// Staking calls distribution's hooks whenever a delegation changes or a validator is
    /// slashed.
    fn lend(&self, env: &mut ExecEnv) {
        StakingHookList::lend(env, &crate::DistributionHooks);
    }

    fn begin_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        block: &BlockInfo,
        _shared: &mut ExecEnv,
    ) -> Result<Vec<Event>, TxError> {
        crate::allocate::begin_block(&mut state, ctx, block)
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        Some(match any.type_url.as_str() {
            MSG_WITHDRAW_DELEGATOR_REWARD => decode_msg_as(any, &WITHDRAW_DELEGATOR_REWARD),
            MSG_WITHDRAW_VALIDATOR_COMMISSION => decode_msg_as(any, &WITHDRAW_VALIDATOR_COMMISSION),
            MSG_SET_WITHDRAW_ADDRESS => decode_msg_as(any, &SET_WITHDRAW_ADDRESS),
            MSG_FUND_COMMUNITY_POOL => decode_msg_as(any, &FUND_COMMUNITY_POOL),
            crate::update_params::MSG_UPDATE_PARAMS => {
                decode_msg_as(any, &crate::update_params::UPDATE_PARAMS)
            }
            crate::community_pool_spend::MSG_COMMUNITY_POOL_SPEND => {
                decode_msg_as(any, &crate::community_pool_spend::COMMUNITY_POOL_SPEND)
            }
            _ => return None,
        })
    }

    fn invariants(&self, state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
        crate::invariants::invariants(state, height)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &["cosmos.distribution.v1beta1.Query"]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(
            cosmos_sdk_proto::cosmos::distribution::v1beta1::query_server::QueryServer::new(
                crate::query::DistributionQuery::new(storage.clone()),
            ),
        );
    }

    fn blocked_accounts(&self) -> Vec<Address> {
        vec![crate::module_account()]
    }
}

static WITHDRAW_DELEGATOR_REWARD: MsgHandler<MsgWithdrawDelegatorReward> = pol_component::msg_handler!(
    MSG_WITHDRAW_DELEGATOR_REWARD,
    "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorRewardResponse",
    msg::withdraw_delegator_reward_signer,
    msg::execute_withdraw_delegator_reward
);

static WITHDRAW_VALIDATOR_COMMISSION: MsgHandler<MsgWithdrawValidatorCommission> = pol_component::msg_handler!(
    MSG_WITHDRAW_VALIDATOR_COMMISSION,
    "/cosmos.distribution.v1beta1.MsgWithdrawValidatorCommissionResponse",
    msg::withdraw_validator_commission_signer,
    msg::execute_withdraw_validator_commission
);

static SET_WITHDRAW_ADDRESS: MsgHandler<MsgSetWithdrawAddress> = MsgHandler {
    type_url: MSG_SET_WITHDRAW_ADDRESS,
    response_type_url: "/cosmos.distribution.v1beta1.MsgSetWithdrawAddressResponse",
    signer: msg::set_withdraw_address_signer,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, env, m| {
        let (response, events) = msg::execute_set_withdraw_address(&mut state, ctx, env, m)?;
        Ok((response.encode_to_vec(), events))
    },
};

static FUND_COMMUNITY_POOL: MsgHandler<MsgFundCommunityPool> = pol_component::msg_handler!(
    MSG_FUND_COMMUNITY_POOL,
    "/cosmos.distribution.v1beta1.MsgFundCommunityPoolResponse",
    msg::fund_community_pool_signer,
    msg::execute_fund_community_pool
);
