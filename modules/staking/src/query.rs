//! `pol.staking.v1.Query` over committed state (gRPC, and ABCI paths through the app's
//! query router). Lists are paginated with `cosmos.base.query.v1beta1.PageRequest`
//! (key or offset, limit, count_total) in key order.

use pol_bank::BankRead;
use pol_component::query::{internal, paginate, snapshot_for};
use pol_component::Address;
use pol_store::{Snapshot, StateRead, Storage};
use prost::Message;
use tonic::{Request, Response, Status};

use crate::pb::{self, query_server::Query};
use crate::types::{parse_valoper, BondStatus, Delegation, UnbondingEntry, Validator};
use crate::view::StakingRead;
use crate::{bonded_pool, math, not_bonded_pool, state_key};

/// The staking query service over committed state.
#[derive(Clone)]
pub struct StakingQuery {
    storage: Storage,
}

impl StakingQuery {
    pub fn new(storage: Storage) -> Self {
        StakingQuery { storage }
    }

    /// The tonic server to add to pold's gRPC router.
    pub fn server(storage: Storage) -> pb::query_server::QueryServer<StakingQuery> {
        pb::query_server::QueryServer::new(StakingQuery::new(storage))
    }
}

fn account(s: &str) -> Result<Address, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument(
            "empty address string is not allowed",
        ));
    }
    Address::parse(s).map_err(|e| Status::invalid_argument(e.log))
}

fn valoper(s: &str) -> Result<Address, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument(
            "empty validator address is not allowed",
        ));
    }
    parse_valoper(s).map_err(|e| Status::invalid_argument(e.log))
}

fn validator_at(snapshot: &Snapshot, op: &Address) -> Result<Validator, Status> {
    snapshot.validator(op).map_err(internal)?.ok_or_else(|| {
        Status::not_found(format!(
            "validator {} not found",
            crate::types::valoper_string(op)
        ))
    })
}

/// Entries of an index page whose values are operator addresses → validators.
fn validators_from_index(
    snapshot: &Snapshot,
    entries: &[(Vec<u8>, Vec<u8>)],
) -> Result<Vec<pb::Validator>, Status> {
    entries
        .iter()
        .map(|(_, v)| {
            let op = Address::from_slice(v).ok_or_else(|| internal("bad validator index"))?;
            Ok(validator_at(snapshot, &op)?.to_query_proto())
        })
        .collect()
}

#[tonic::async_trait]
impl Query for StakingQuery {
    async fn validator(
        &self,
        request: Request<pb::QueryValidatorRequest>,
    ) -> Result<Response<pb::QueryValidatorResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let op = valoper(&request.get_ref().validator_address)?;
        Ok(Response::new(pb::QueryValidatorResponse {
            validator: Some(validator_at(&snapshot, &op)?.to_query_proto()),
        }))
    }

    async fn validators(
        &self,
        request: Request<pb::QueryValidatorsRequest>,
    ) -> Result<Response<pb::QueryValidatorsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let status = BondStatus::try_from(r.status)
            .map_err(|_| Status::invalid_argument(format!("unknown status {}", r.status)))?;
        let (validators, page) = if status == BondStatus::Unspecified {
            let (entries, page) = paginate(
                &snapshot,
                state_key::VALIDATOR_PREFIX,
                r.pagination.as_ref(),
            )?;
            let vals = entries
                .iter()
                .map(|(_, v)| {
                    let p = pb::Validator::decode(v.as_slice()).map_err(internal)?;
                    Ok(Validator::from_proto(&p)
                        .map_err(internal)?
                        .to_query_proto())
                })
                .collect::<Result<Vec<_>, Status>>()?;
            (vals, page)
        } else {
            let prefix = state_key::validators_by_status(status as i32);
            let (entries, page) = paginate(&snapshot, &prefix, r.pagination.as_ref())?;
            (validators_from_index(&snapshot, &entries)?, page)
        };
        Ok(Response::new(pb::QueryValidatorsResponse {
            validators,
            pagination: Some(page),
        }))
    }

    async fn delegation(
        &self,
        request: Request<pb::QueryDelegationRequest>,
    ) -> Result<Response<pb::QueryDelegationResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_address)?;
        let op = valoper(&r.validator_address)?;
        let d = snapshot
            .delegation(&delegator, &op)
            .map_err(internal)?
            .ok_or_else(|| {
                Status::not_found(format!(
                    "delegation with delegator {delegator} not found for validator {}",
                    crate::types::valoper_string(&op)
                ))
            })?;
        let val = validator_at(&snapshot, &op)?;
        let balance = math::tokens_for_shares(d.shares, val.tokens, val.delegator_shares);
        Ok(Response::new(pb::QueryDelegationResponse {
            delegation: Some(d.to_proto()),
            balance: balance.to_string(),
        }))
    }

    async fn delegator_delegations(
        &self,
        request: Request<pb::QueryDelegatorDelegationsRequest>,
    ) -> Result<Response<pb::QueryDelegatorDelegationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_address)?;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::delegations_of(&delegator),
            r.pagination.as_ref(),
        )?;
        let delegations = entries
            .iter()
            .map(|(_, v)| {
                let p = pb::Delegation::decode(v.as_slice()).map_err(internal)?;
                Ok(Delegation::from_proto(&p).map_err(internal)?.to_proto())
            })
            .collect::<Result<Vec<_>, Status>>()?;
        Ok(Response::new(pb::QueryDelegatorDelegationsResponse {
            delegations,
            pagination: Some(page),
        }))
    }

    async fn validator_delegations(
        &self,
        request: Request<pb::QueryValidatorDelegationsRequest>,
    ) -> Result<Response<pb::QueryValidatorDelegationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let op = valoper(&r.validator_address)?;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::delegations_to(&op),
            r.pagination.as_ref(),
        )?;
        let mut delegations = Vec::with_capacity(entries.len());
        for (_, v) in &entries {
            let delegator =
                Address::from_slice(v).ok_or_else(|| internal("bad delegation index"))?;
            if let Some(d) = snapshot.delegation(&delegator, &op).map_err(internal)? {
                delegations.push(d.to_proto());
            }
        }
        Ok(Response::new(pb::QueryValidatorDelegationsResponse {
            delegations,
            pagination: Some(page),
        }))
    }

    async fn unbonding_delegations(
        &self,
        request: Request<pb::QueryUnbondingDelegationsRequest>,
    ) -> Result<Response<pb::QueryUnbondingDelegationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_address)?;
        let (keys, page) = paginate(
            &snapshot,
            &state_key::unbondings_of(&delegator),
            r.pagination.as_ref(),
        )?;
        let mut entries = Vec::with_capacity(keys.len());
        for (k, _) in &keys {
            let (h, id) =
                state_key::unbonding_suffix(k).ok_or_else(|| internal("bad unbonding index"))?;
            if let Some(e) = snapshot.unbonding_entry(h, id).map_err(internal)? {
                entries.push(UnbondingEntry::to_proto(&e));
            }
        }
        Ok(Response::new(pb::QueryUnbondingDelegationsResponse {
            entries,
            pagination: Some(page),
        }))
    }

    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let params = snapshot.staking_params().map_err(internal)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(params.to_proto()),
        }))
    }

    async fn pool(
        &self,
        request: Request<pb::QueryPoolRequest>,
    ) -> Result<Response<pb::QueryPoolResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryPoolResponse {
            pool: Some(pool(&snapshot).map_err(internal)?),
        }))
    }
}

/// The two pools' balances in the bond denom.
pub fn pool<S: StateRead>(state: &S) -> Result<pb::Pool, pol_store::StoreError> {
    let denom = state.staking_params()?.bond_denom;
    Ok(pb::Pool {
        bonded_tokens: state.balance(&bonded_pool(), &denom)?.to_string(),
        not_bonded_tokens: state.balance(&not_bonded_pool(), &denom)?.to_string(),
    })
}
