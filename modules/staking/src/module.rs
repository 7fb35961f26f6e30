//! The staking module as the app registers it.

use crate::msg::{self, MsgCreateValidator, MsgDelegate, MsgUndelegate};
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, no_intrinsic_gas, MsgHandler};
use prost::Message as _;

use crate::hooks::StakingHookList;
use pol_component::{Address, BlockContext, EndBlockOutcome, ExecEnv, Module, ModuleMsg, TxError};
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use tendermint_proto::google::protobuf::Any;
use tendermint_proto::v0_38::abci::ValidatorUpdate;
use tonic::service::RoutesBuilder;

/// Validators, delegations and PoL weights; `pol.staking.v1.Query`.
pub struct StakingModule;

impl Module for StakingModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn end_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _block_hash: &[u8],
        shared: &mut ExecEnv,
    ) -> Result<EndBlockOutcome, TxError> {
        crate::end_block::end_block_with(&mut state, ctx, &StakingHookList::of(shared))
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        Some(match any.type_url.as_str() {
            crate::MSG_CREATE_VALIDATOR_TYPE_URL => decode_msg_as(any, &CREATE_VALIDATOR),
            crate::MSG_DELEGATE_TYPE_URL => decode_msg_as(any, &DELEGATE),
            crate::MSG_UNDELEGATE_TYPE_URL => decode_msg_as(any, &UNDELEGATE),
            COSMOS_MSG_DELEGATE => decode_msg_as(any, &COSMOS_DELEGATE),
            COSMOS_MSG_UNDELEGATE => decode_msg_as(any, &COSMOS_UNDELEGATE),
            crate::cosmos_msg::COSMOS_MSG_CREATE_VALIDATOR => {
                decode_msg_as(any, &COSMOS_CREATE_VALIDATOR)
            }
            crate::cosmos_msg::COSMOS_MSG_EDIT_VALIDATOR => {
                decode_msg_as(any, &COSMOS_EDIT_VALIDATOR)
            }
            crate::cosmos_msg::COSMOS_MSG_CANCEL_UNBONDING => {
                decode_msg_as(any, &COSMOS_CANCEL_UNBONDING)
            }
            crate::update_params::MSG_UPDATE_PARAMS => {
                decode_msg_as(any, &crate::update_params::UPDATE_PARAMS)
            }
            _ => return None,
        })
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    /// A key CometBFT validates with that no staking validator holds (genesis.json's own
    /// validators, when no gentx made them) is reserved, so nobody can create a validator
    /// with it and take its place in the set.
    fn validator_set_updated(
        &self,
        mut state: &mut dyn StateWrite,
        updates: &[ValidatorUpdate],
    ) -> Result<(), TxError> {
        crate::end_block::reserve_unknown_keys(&mut state, updates)
    }

    fn invariants(&self, state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
        crate::invariants::invariants(state, height)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &[crate::QUERY_SERVICE, crate::COSMOS_QUERY_SERVICE]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(crate::StakingQuery::server(storage.clone()));
        routes.add_service(crate::CosmosStakingQuery::server(storage.clone()));
    }

    fn file_descriptor_sets(&self) -> &'static [&'static [u8]] {
        &[crate::FILE_DESCRIPTOR_SET]
    }

    fn blocked_accounts(&self) -> Vec<Address> {
        vec![
            crate::bonded_pool(),
            crate::not_bonded_pool(),
            crate::community_pool(),
        ]
    }
}

static CREATE_VALIDATOR: MsgHandler<MsgCreateValidator> = MsgHandler {
    type_url: crate::MSG_CREATE_VALIDATOR_TYPE_URL,
    response_type_url: "/pol.staking.v1.MsgCreateValidatorResponse",
    signer: msg::create_validator_signer,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, env, m| {
        let (response, events) =
            msg::execute_create_validator(&mut state, ctx, &StakingHookList::of(env), m)?;
        Ok((response.encode_to_vec(), events))
    },
};

static DELEGATE: MsgHandler<MsgDelegate> = MsgHandler {
    type_url: crate::MSG_DELEGATE_TYPE_URL,
    response_type_url: "/pol.staking.v1.MsgDelegateResponse",
    signer: msg::delegate_signer,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, env, m| {
        let (response, events) =
            msg::execute_delegate(&mut state, ctx, &StakingHookList::of(env), m)?;
        Ok((response.encode_to_vec(), events))
    },
};

static UNDELEGATE: MsgHandler<MsgUndelegate> = MsgHandler {
    type_url: crate::MSG_UNDELEGATE_TYPE_URL,
    response_type_url: "/pol.staking.v1.MsgUndelegateResponse",
    signer: msg::undelegate_signer,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, env, m| {
        let (response, events) =
            msg::execute_undelegate(&mut state, ctx, &StakingHookList::of(env), m)?;
        Ok((response.encode_to_vec(), events))
    },
};

// `cosmos.staking.v1beta1.MsgDelegate` / `MsgUndelegate`, unchanged, so wallets
// (cosmjs's `delegateTokens` / `undelegateTokens`, Keplr) stake with no custom code. They
// run pol's delegate and undelegate. `MsgUndelegateResponse.completion_time` is left
// empty: pol's unbonding ends at a height (`completion_height` in pol's own response and
// in the unbonding queries), not at a time.

/// Type URL of the SDK's `MsgDelegate`.
pub const COSMOS_MSG_DELEGATE: &str = "/cosmos.staking.v1beta1.MsgDelegate";
/// Type URL of the SDK's `MsgUndelegate`.
pub const COSMOS_MSG_UNDELEGATE: &str = "/cosmos.staking.v1beta1.MsgUndelegate";

use cosmos_sdk_proto::cosmos::staking::v1beta1 as sdk;

fn sdk_delegator(m: &sdk::MsgDelegate) -> Result<Address, TxError> {
    Address::parse(&m.delegator_address)
}

fn sdk_undelegator(m: &sdk::MsgUndelegate) -> Result<Address, TxError> {
    Address::parse(&m.delegator_address)
}

static COSMOS_DELEGATE: MsgHandler<sdk::MsgDelegate> = MsgHandler {
    type_url: COSMOS_MSG_DELEGATE,
    response_type_url: "/cosmos.staking.v1beta1.MsgDelegateResponse",
    signer: sdk_delegator,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, env, m| {
        let msg = MsgDelegate {
            delegator_address: m.delegator_address.clone(),
            validator_address: m.validator_address.clone(),
            amount: m.amount.clone(),
        };
        let (_, events) = msg::execute_delegate(&mut state, ctx, &StakingHookList::of(env), &msg)?;
        Ok((sdk::MsgDelegateResponse {}.encode_to_vec(), events))
    },
};

static COSMOS_UNDELEGATE: MsgHandler<sdk::MsgUndelegate> = MsgHandler {
    type_url: COSMOS_MSG_UNDELEGATE,
    response_type_url: "/cosmos.staking.v1beta1.MsgUndelegateResponse",
    signer: sdk_undelegator,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, env, m| {
        let msg = MsgUndelegate {
            delegator_address: m.delegator_address.clone(),
            validator_address: m.validator_address.clone(),
            amount: m.amount.clone(),
        };
        let (response, events) =
            msg::execute_undelegate(&mut state, ctx, &StakingHookList::of(env), &msg)?;
        let response = sdk::MsgUndelegateResponse {
            completion_time: None,
            amount: response.amount,
        };
        Ok((response.encode_to_vec(), events))
    },
};

static COSMOS_CREATE_VALIDATOR: MsgHandler<sdk::MsgCreateValidator> = MsgHandler {
    type_url: crate::cosmos_msg::COSMOS_MSG_CREATE_VALIDATOR,
    response_type_url: "/cosmos.staking.v1beta1.MsgCreateValidatorResponse",
    signer: crate::cosmos_msg::create_signer,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, env, m| {
        let events = crate::cosmos_msg::execute_create_validator(
            &mut state,
            ctx,
            &StakingHookList::of(env),
            m,
        )?;
        Ok((sdk::MsgCreateValidatorResponse {}.encode_to_vec(), events))
    },
};

static COSMOS_EDIT_VALIDATOR: MsgHandler<sdk::MsgEditValidator> = MsgHandler {
    type_url: crate::cosmos_msg::COSMOS_MSG_EDIT_VALIDATOR,
    response_type_url: "/cosmos.staking.v1beta1.MsgEditValidatorResponse",
    signer: crate::cosmos_msg::edit_signer,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, _env, m| {
        let events = crate::cosmos_msg::execute_edit_validator(&mut state, ctx, m)?;
        Ok((sdk::MsgEditValidatorResponse {}.encode_to_vec(), events))
    },
};

static COSMOS_CANCEL_UNBONDING: MsgHandler<sdk::MsgCancelUnbondingDelegation> = MsgHandler {
    type_url: crate::cosmos_msg::COSMOS_MSG_CANCEL_UNBONDING,
    response_type_url: "/cosmos.staking.v1beta1.MsgCancelUnbondingDelegationResponse",
    signer: crate::cosmos_msg::cancel_signer,
    intrinsic_gas: no_intrinsic_gas,
    execute: |mut state, ctx, env, m| {
        let events = crate::cosmos_msg::execute_cancel_unbonding(
            &mut state,
            ctx,
            &StakingHookList::of(env),
            m,
        )?;
        Ok((
            sdk::MsgCancelUnbondingDelegationResponse {}.encode_to_vec(),
            events,
        ))
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Cosmos staking message a wallet sends is one the module decodes and routes.
    #[test]
    fn the_cosmos_staking_messages_route_to_the_module() {
        let any = |type_url: &str, value: Vec<u8>| Any {
            type_url: type_url.into(),
            value,
        };
        let msgs = [
            any(
                COSMOS_MSG_DELEGATE,
                sdk::MsgDelegate::default().encode_to_vec(),
            ),
            any(
                COSMOS_MSG_UNDELEGATE,
                sdk::MsgUndelegate::default().encode_to_vec(),
            ),
            any(
                crate::cosmos_msg::COSMOS_MSG_CREATE_VALIDATOR,
                sdk::MsgCreateValidator::default().encode_to_vec(),
            ),
            any(
                crate::cosmos_msg::COSMOS_MSG_EDIT_VALIDATOR,
                sdk::MsgEditValidator::default().encode_to_vec(),
            ),
            any(
                crate::cosmos_msg::COSMOS_MSG_CANCEL_UNBONDING,
                sdk::MsgCancelUnbondingDelegation::default().encode_to_vec(),
            ),
        ];
        for m in &msgs {
            let decoded = StakingModule.decode_msg(m);
            assert!(
                matches!(decoded, Some(Ok(_))),
                "{} is not routed",
                m.type_url
            );
        }
        // The one the SDK has and pol does not yet is not claimed.
        let redelegate = any("/cosmos.staking.v1beta1.MsgBeginRedelegate", Vec::new());
        assert!(StakingModule.decode_msg(&redelegate).is_none());
    }
}
