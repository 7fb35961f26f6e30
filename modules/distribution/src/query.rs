//! `cosmos.distribution.v1beta1.Query`, unchanged. Rewards are computed as the SDK
//! computes them for a query: the validator's period is closed on a throw-away overlay of
//! the committed state, then the delegation's rewards are read up to it.

use cosmos_sdk_proto::cosmos::distribution::v1beta1::{self as pb, query_server::Query};
use pol_component::query::{internal, paginate, snapshot_for};
use pol_component::{Address, BlockContext, DecCoins, TxError};
use pol_staking::types::{parse_valoper, valoper_string};
use pol_staking::{StakingRead, Validator};
use pol_store::{StateDelta, StateRead, Storage};
use tonic::{Request, Response, Status};

use crate::f1::{delegation_rewards, increment_validator_period};
use crate::view::DistributionRead;

#[derive(Clone)]
pub struct DistributionQuery {
    storage: Storage,
}

impl DistributionQuery {
    pub fn new(storage: Storage) -> Self {
        DistributionQuery { storage }
    }
}

fn bad(e: TxError) -> Status {
    Status::invalid_argument(e.log)
}

fn account(s: &str) -> Result<Address, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument("empty delegator address"));
    }
    Address::parse(s).map_err(bad)
}

fn validator<S: StakingRead + ?Sized>(state: &S, s: &str) -> Result<Validator, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument("empty validator address"));
    }
    let op = parse_valoper(s).map_err(bad)?;
    state
        .validator(&op)
        .map_err(internal)?
        .ok_or_else(|| Status::not_found(format!("validator {s} does not exist")))
}

fn tx_status(e: TxError) -> Status {
    Status::internal(e.log)
}

/// A delegation's rewards now, on an overlay of `state` at `height`.
fn rewards_of<S: StateRead>(
    state: &S,
    height: u64,
    val: &Validator,
    delegator: &Address,
) -> Result<DecCoins, Status> {
    let delegation = state
        .delegation(delegator, &val.operator)
        .map_err(internal)?
        .ok_or_else(|| {
            Status::not_found(format!(
                "delegation with delegator {delegator} not found for validator {}",
                valoper_string(&val.operator)
            ))
        })?;
    let mut overlay = StateDelta::new(state);
    let end = increment_validator_period(&mut overlay, val).map_err(tx_status)?;
    let ctx = BlockContext {
        height,
        ..Default::default()
    };
    delegation_rewards(&overlay, &ctx, val, &delegation, end).map_err(tx_status)
}

#[tonic::async_trait]
impl Query for DistributionQuery {
    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(s.distribution_params().map_err(internal)?.to_proto()),
        }))
    }

    async fn validator_distribution_info(
        &self,
        request: Request<pb::QueryValidatorDistributionInfoRequest>,
    ) -> Result<Response<pb::QueryValidatorDistributionInfoResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let val = validator(&s, &request.get_ref().validator_address)?;
        let self_bond_rewards = rewards_of(&s, s.version().unwrap_or(0), &val, &val.operator)?;
        let commission = s
            .accumulated_commission(&val.operator)
            .map_err(internal)?
            .unwrap_or_default();
        Ok(Response::new(pb::QueryValidatorDistributionInfoResponse {
            operator_address: val.operator.to_string(),
            self_bond_rewards: self_bond_rewards.to_proto(),
            commission: commission.to_proto(),
        }))
    }

    async fn validator_outstanding_rewards(
        &self,
        request: Request<pb::QueryValidatorOutstandingRewardsRequest>,
    ) -> Result<Response<pb::QueryValidatorOutstandingRewardsResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let val = validator(&s, &request.get_ref().validator_address)?;
        let rewards = s
            .outstanding_rewards(&val.operator)
            .map_err(internal)?
            .unwrap_or_default();
        Ok(Response::new(
            pb::QueryValidatorOutstandingRewardsResponse {
                rewards: Some(pb::ValidatorOutstandingRewards {
                    rewards: rewards.to_proto(),
                }),
            },
        ))
    }

    async fn validator_commission(
        &self,
        request: Request<pb::QueryValidatorCommissionRequest>,
    ) -> Result<Response<pb::QueryValidatorCommissionResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let val = validator(&s, &request.get_ref().validator_address)?;
        let c = s
            .accumulated_commission(&val.operator)
            .map_err(internal)?
            .unwrap_or_default();
        Ok(Response::new(pb::QueryValidatorCommissionResponse {
            commission: Some(pb::ValidatorAccumulatedCommission {
                commission: c.to_proto(),
            }),
        }))
    }

    async fn validator_slashes(
        &self,
        request: Request<pb::QueryValidatorSlashesRequest>,
    ) -> Result<Response<pb::QueryValidatorSlashesResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let val = validator(&s, &r.validator_address)?;
        if r.ending_height < r.starting_height {
            return Err(Status::invalid_argument(
                "starting height greater than ending height",
            ));
        }
        let (entries, page) = paginate(
            &s,
            &crate::state_key::slashes_of(&val.operator),
            r.pagination.as_ref(),
        )?;
        let mut slashes = Vec::new();
        for (k, v) in entries {
            let prefix_len = crate::state_key::slashes_of(&val.operator).len();
            let height = k
                .get(prefix_len..prefix_len + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| Status::internal("bad slash event key"))?;
            if height < r.starting_height || (r.ending_height > 0 && height > r.ending_height) {
                continue;
            }
            slashes.push(
                <pb::ValidatorSlashEvent as prost::Message>::decode(v.as_slice())
                    .map_err(internal)?,
            );
        }
        Ok(Response::new(pb::QueryValidatorSlashesResponse {
            slashes,
            pagination: Some(page),
        }))
    }

    async fn delegation_rewards(
        &self,
        request: Request<pb::QueryDelegationRewardsRequest>,
    ) -> Result<Response<pb::QueryDelegationRewardsResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_address)?;
        let val = validator(&s, &r.validator_address)?;
        let rewards = rewards_of(&s, s.version().unwrap_or(0), &val, &delegator)?;
        Ok(Response::new(pb::QueryDelegationRewardsResponse {
            rewards: rewards.to_proto(),
        }))
    }

    async fn delegation_total_rewards(
        &self,
        request: Request<pb::QueryDelegationTotalRewardsRequest>,
    ) -> Result<Response<pb::QueryDelegationTotalRewardsResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let delegator = account(&request.get_ref().delegator_address)?;
        let mut rewards = Vec::new();
        let mut total = DecCoins::zero();
        for d in s.delegations_of(&delegator).map_err(internal)?.into_iter() {
            let val = validator(&s, &valoper_string(&d.validator))?;
            let r = rewards_of(&s, s.version().unwrap_or(0), &val, &delegator)?;
            total = total.add(&r).map_err(|e| Status::internal(e.to_string()))?;
            rewards.push(pb::DelegationDelegatorReward {
                validator_address: valoper_string(&d.validator),
                reward: r.to_proto(),
            });
        }
        Ok(Response::new(pb::QueryDelegationTotalRewardsResponse {
            rewards,
            total: total.to_proto(),
        }))
    }

    async fn delegator_validators(
        &self,
        request: Request<pb::QueryDelegatorValidatorsRequest>,
    ) -> Result<Response<pb::QueryDelegatorValidatorsResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let delegator = account(&request.get_ref().delegator_address)?;
        let validators = s
            .delegations_of(&delegator)
            .map_err(internal)?
            .into_iter()
            .map(|d| valoper_string(&d.validator))
            .collect();
        Ok(Response::new(pb::QueryDelegatorValidatorsResponse {
            validators,
        }))
    }

    async fn delegator_withdraw_address(
        &self,
        request: Request<pb::QueryDelegatorWithdrawAddressRequest>,
    ) -> Result<Response<pb::QueryDelegatorWithdrawAddressResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let delegator = account(&request.get_ref().delegator_address)?;
        Ok(Response::new(pb::QueryDelegatorWithdrawAddressResponse {
            withdraw_address: s
                .withdraw_address(&delegator)
                .map_err(internal)?
                .to_string(),
        }))
    }

    async fn community_pool(
        &self,
        request: Request<pb::QueryCommunityPoolRequest>,
    ) -> Result<Response<pb::QueryCommunityPoolResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryCommunityPoolResponse {
            pool: s.community_pool().map_err(internal)?.to_proto(),
        }))
    }
}
