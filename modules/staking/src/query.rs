//! `pol.staking.v1.Query` over committed state (gRPC, and ABCI paths through the app's
//! query router). Lists are paginated with `cosmos.base.query.v1beta1.PageRequest`
//! (key or offset, limit, count_total) in key order.

// tonic::Status is large; it is what every gRPC handler returns anyway (as in bank, auth).
#![allow(clippy::result_large_err)]

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

pub(crate) fn account(s: &str) -> Result<Address, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument(
            "empty address string is not allowed",
        ));
    }
    Address::parse(s).map_err(|e| Status::invalid_argument(e.log))
}

pub(crate) fn valoper(s: &str) -> Result<Address, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument(
            "empty validator address is not allowed",
        ));
    }
    parse_valoper(s).map_err(|e| Status::invalid_argument(e.log))
}

pub(crate) fn validator_at(snapshot: &Snapshot, op: &Address) -> Result<Validator, Status> {
    snapshot.validator(op).map_err(internal)?.ok_or_else(|| {
        Status::not_found(format!(
            "validator {} not found",
            crate::types::valoper_string(op)
        ))
    })
}

/// The delegation of `delegator` to `op`, or NotFound.
pub(crate) fn delegation_at(
    snapshot: &Snapshot,
    delegator: &Address,
    op: &Address,
) -> Result<Delegation, Status> {
    snapshot
        .delegation(delegator, op)
        .map_err(internal)?
        .ok_or_else(|| {
            Status::not_found(format!(
                "delegation with delegator {delegator} not found for validator {}",
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
            snapshot
                .validator_query_proto(&validator_at(snapshot, &op)?)
                .map_err(internal)
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
            validator: Some(
                snapshot
                    .validator_query_proto(&validator_at(&snapshot, &op)?)
                    .map_err(internal)?,
            ),
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
                    let v = Validator::from_proto(&p).map_err(internal)?;
                    snapshot.validator_query_proto(&v).map_err(internal)
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
        let d = delegation_at(&snapshot, &delegator, &op)?;
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::msg::{execute_create_validator, execute_delegate, execute_undelegate};
    use crate::types::valoper_string;
    use crate::view::StakingWrite;
    use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
    use pol_bank::BankWrite;
    use pol_component::coins::Coin;
    use pol_component::BlockContext;
    use pol_store::{Changeset, StateDelta, StorageConfig};

    pub(crate) const M: u128 = crate::POWER_REDUCTION;

    pub(crate) fn addr(b: u8) -> Address {
        Address([b; 20])
    }

    pub(crate) fn pubkey(seed: u8) -> Vec<u8> {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
            .verifying_key()
            .to_bytes()
            .to_vec()
    }

    fn coin(a: u128) -> Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
        Some(Coin::new("upol", a).to_proto())
    }

    /// Validators 1..=4 (2 in the set with max_validators 2), delegations from 9, an
    /// unbonding entry, committed at height 1.
    pub(crate) fn storage(dir: &std::path::Path) -> Storage {
        let storage = Storage::open(dir, StorageConfig { keep_recent: 0 }).unwrap();
        let mut s = StateDelta::new(storage.latest_snapshot());
        s.put_staking_params(&crate::Params {
            max_validators: 2,
            ..Default::default()
        });
        let ctx = BlockContext {
            chain_id: "t".into(),
            height: 1,
            time_unix_nanos: 0,
        };
        for b in [1, 2, 3, 4, 9] {
            s.mint(&addr(b), &[Coin::new("upol", 100 * M)]).unwrap();
        }
        for b in 1..=4u8 {
            execute_create_validator(
                &mut s,
                &ctx,
                &crate::NoHooks,
                &pb::MsgCreateValidator {
                    validator_address: valoper_string(&addr(b)),
                    consensus_pubkey: pubkey(b),
                    moniker: format!("v{b}"),
                    commission_bps: 0,
                    self_bond: coin(u128::from(b) * M),
                },
            )
            .unwrap();
            execute_delegate(
                &mut s,
                &ctx,
                &crate::NoHooks,
                &pb::MsgDelegate {
                    delegator_address: addr(9).to_string(),
                    validator_address: valoper_string(&addr(b)),
                    amount: coin(M),
                },
            )
            .unwrap();
        }
        execute_undelegate(
            &mut s,
            &ctx,
            &crate::NoHooks,
            &pb::MsgUndelegate {
                delegator_address: addr(9).to_string(),
                validator_address: valoper_string(&addr(1)),
                amount: coin(M / 2),
            },
        )
        .unwrap();
        crate::end_block(&mut s, &ctx).unwrap();
        let prepared = storage
            .prepare(
                1,
                Changeset {
                    writes: s.into_writes(),
                    ..Default::default()
                },
            )
            .unwrap();
        storage.commit(prepared).unwrap();
        storage
    }

    pub(crate) fn page(key: Vec<u8>, limit: u64) -> Option<PageRequest> {
        Some(PageRequest {
            key,
            offset: 0,
            limit,
            count_total: true,
            reverse: false,
        })
    }

    #[tokio::test]
    async fn queries_answer_and_paginate() {
        let dir = tempfile::tempdir().unwrap();
        let q = StakingQuery::new(storage(dir.path()));

        // Every validator, one per page.
        let mut seen = Vec::new();
        let mut key = Vec::new();
        loop {
            let r = q
                .validators(Request::new(pb::QueryValidatorsRequest {
                    status: 0,
                    pagination: page(key, 1),
                }))
                .await
                .unwrap()
                .into_inner();
            let p = r.pagination.unwrap();
            assert_eq!(p.total, 4);
            seen.extend(r.validators.into_iter().map(|v| v.moniker));
            if p.next_key.is_empty() {
                break;
            }
            key = p.next_key;
        }
        assert_eq!(seen, ["v1", "v2", "v3", "v4"]);

        // By status: 3 and 4 are bonded (most tokens), 1 and 2 unbonded.
        let bonded = q
            .validators(Request::new(pb::QueryValidatorsRequest {
                status: BondStatus::Bonded as i32,
                pagination: None,
            }))
            .await
            .unwrap()
            .into_inner();
        let names: Vec<_> = bonded
            .validators
            .iter()
            .map(|v| v.moniker.as_str())
            .collect();
        assert_eq!(names, ["v3", "v4"]);
        assert!(bonded.validators[0]
            .operator_address
            .starts_with("polvaloper1"));
        assert!(bonded.validators[0]
            .consensus_address
            .starts_with("polvalcons1"));
        let unbonded = q
            .validators(Request::new(pb::QueryValidatorsRequest {
                status: BondStatus::Unbonded as i32,
                pagination: page(Vec::new(), 1),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(unbonded.validators[0].moniker, "v1");
        assert_eq!(unbonded.pagination.unwrap().total, 2);

        let v = q
            .validator(Request::new(pb::QueryValidatorRequest {
                validator_address: addr(2).to_string(),
            }))
            .await
            .unwrap()
            .into_inner()
            .validator
            .unwrap();
        assert_eq!(v.tokens, (3 * M).to_string());
        let e = q
            .validator(Request::new(pb::QueryValidatorRequest {
                validator_address: valoper_string(&addr(7)),
            }))
            .await
            .unwrap_err();
        assert_eq!(e.code(), tonic::Code::NotFound);
        let e = q
            .validator(Request::new(pb::QueryValidatorRequest {
                validator_address: "nonsense".into(),
            }))
            .await
            .unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);

        let d = q
            .delegation(Request::new(pb::QueryDelegationRequest {
                delegator_address: addr(9).to_string(),
                validator_address: valoper_string(&addr(1)),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(d.balance, (M / 2).to_string());

        let dd = q
            .delegator_delegations(Request::new(pb::QueryDelegatorDelegationsRequest {
                delegator_address: addr(9).to_string(),
                pagination: page(Vec::new(), 3),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(dd.delegations.len(), 3);
        assert_eq!(dd.pagination.unwrap().total, 4);

        let vd = q
            .validator_delegations(Request::new(pb::QueryValidatorDelegationsRequest {
                validator_address: valoper_string(&addr(4)),
                pagination: None,
            }))
            .await
            .unwrap()
            .into_inner();
        let dels: Vec<_> = vd
            .delegations
            .iter()
            .map(|d| d.delegator_address.clone())
            .collect();
        assert_eq!(dels, [addr(4).to_string(), addr(9).to_string()]);

        let ub = q
            .unbonding_delegations(Request::new(pb::QueryUnbondingDelegationsRequest {
                delegator_address: addr(9).to_string(),
                pagination: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(ub.entries.len(), 1);
        assert_eq!(ub.entries[0].amount, (M / 2).to_string());

        let params = q
            .params(Request::new(pb::QueryParamsRequest {}))
            .await
            .unwrap()
            .into_inner()
            .params
            .unwrap();
        assert_eq!(params.max_validators, 2);
        assert_eq!(params.bond_denom, "upol");

        let pool = q
            .pool(Request::new(pb::QueryPoolRequest {}))
            .await
            .unwrap()
            .into_inner()
            .pool
            .unwrap();
        assert_eq!(pool.bonded_tokens, (14 * M - M / 2).to_string());
        assert_eq!(pool.not_bonded_tokens, (M / 2).to_string());
    }

    #[test]
    fn descriptor_set_has_the_service() {
        use prost::Message as _;
        let set = prost_types_lite::decode(crate::FILE_DESCRIPTOR_SET);
        assert!(
            set.contains(&"pol/staking/v1/query.proto".to_string()),
            "{set:?}"
        );
        assert!(set.contains(&"cosmos/base/query/v1beta1/pagination.proto".to_string()));
        let _ = pb::Pool::default().encode_to_vec();
    }

    /// File names in an encoded FileDescriptorSet (field 1 of the set, field 1 of each
    /// file), without pulling in prost-types.
    mod prost_types_lite {
        #[derive(Clone, PartialEq, prost::Message)]
        struct File {
            #[prost(string, optional, tag = "1")]
            name: Option<String>,
        }
        #[derive(Clone, PartialEq, prost::Message)]
        struct Set {
            #[prost(message, repeated, tag = "1")]
            file: Vec<File>,
        }
        pub fn decode(bytes: &[u8]) -> Vec<String> {
            use prost::Message as _;
            Set::decode(bytes)
                .unwrap()
                .file
                .into_iter()
                .filter_map(|f| f.name)
                .collect()
        }
    }
}
