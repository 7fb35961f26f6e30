//! `cosmos.staking.v1beta1.Query`, unchanged, over pol's staking state: what cosmjs's
//! staking extension, Keplr, Leap and Ping.pub read. The PoL weight and the CometBFT power
//! it yields stay in `pol.staking.v1.Query` beside it.
//!
//! How pol's state reads in the SDK's types:
//! - shares are whole numbers in pol; on the wire they are LegacyDec atomics (× 10^18), and
//!   a commission of `commission_bps` is the rate `bps / 10^4`. A validator created with
//!   pol's own message declared no maximum: its current rate reads as its max rate (it may
//!   not raise above it) and its max change as 1; one created with the SDK's message has
//!   the ones it set.
//! - pol unbonds by height (`unbonding_blocks`), not by time: `unbonding_time` and
//!   `completion_time` are absent (the heights are in `pol.staking.v1`), as are redelegations
//!   and historical info, which pol does not keep (`historical_entries` = 0).
//!
//! Lists follow Cosmos pagination (key or offset, limit, count_total). Unbonding entries are
//! grouped per (delegator, validator) as the SDK's `UnbondingDelegation`; those pages are cut
//! in memory, the next key being the last group's 20-byte address.

// tonic::Status is large; it is what every gRPC handler returns anyway (as in bank, auth).
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey;
use cosmos_sdk_proto::cosmos::staking::v1beta1::{self as sdk, query_server::Query};
use pol_component::query::{internal, paginate, snapshot_for};
use pol_component::state::scan;
use pol_component::{Address, Dec};
use pol_store::{Snapshot, Storage};
use prost::Message;
use tendermint_proto::google::protobuf::{Any, Timestamp};
use tonic::{Request, Response, Status};

use crate::query::{account, delegation_at, validator_at, valoper};
use crate::types::{valoper_string, Delegation, UnbondingEntry, Validator};
use crate::view::StakingRead;
use crate::{math, state_key, Params};

/// Fully qualified name of the service.
pub const COSMOS_QUERY_SERVICE: &str = "cosmos.staking.v1beta1.Query";

/// The Cosmos staking query service over committed state.
#[derive(Clone)]
pub struct CosmosStakingQuery {
    storage: Storage,
}

impl CosmosStakingQuery {
    /// The tonic server to add to pold's gRPC router.
    pub fn server(storage: Storage) -> sdk::query_server::QueryServer<CosmosStakingQuery> {
        sdk::query_server::QueryServer::new(CosmosStakingQuery { storage })
    }
}

/// A whole number as LegacyDec atomics.
fn dec(n: u128) -> String {
    Dec::from_int(n).atomics_string()
}

/// Basis points as a LegacyDec rate.
fn rate(bps: u32) -> String {
    Dec::with_decimals(i128::from(bps), 4).atomics_string()
}

/// The SDK's zero time (`time.Unix(0, 0)`), what it writes for "never".
fn never() -> Option<Timestamp> {
    Some(Timestamp {
        seconds: 0,
        nanos: 0,
    })
}

fn sdk_validator(v: &Validator, params: &Params) -> sdk::Validator {
    let details = v.details.clone().unwrap_or_default();
    sdk::Validator {
        operator_address: valoper_string(&v.operator),
        consensus_pubkey: Some(Any {
            type_url: "/cosmos.crypto.ed25519.PubKey".into(),
            value: PubKey {
                key: v.consensus_pubkey.to_vec(),
            }
            .encode_to_vec(),
        }),
        jailed: v.jailed,
        // pol.staking.v1.BondStatus numbers its statuses as the SDK does.
        status: v.status as i32,
        tokens: v.tokens.to_string(),
        delegator_shares: dec(v.delegator_shares),
        description: Some(sdk::Description {
            moniker: v.moniker.clone(),
            identity: details.identity.clone(),
            website: details.website.clone(),
            security_contact: details.security_contact.clone(),
            details: details.details.clone(),
        }),
        unbonding_height: i64::try_from(v.unbonding_height).unwrap_or(i64::MAX),
        unbonding_time: never(),
        commission: Some(sdk::Commission {
            commission_rates: Some(sdk::CommissionRates {
                rate: rate(v.commission_bps),
                // Undeclared: the current rate is the max (see cosmos_msg), any change.
                max_rate: rate(details.max_commission_bps.unwrap_or(v.commission_bps)),
                max_change_rate: rate(details.max_commission_change_bps.unwrap_or(10_000)),
            }),
            update_time: Some(details.commission_update_time_unix_nanos.map_or(
                Timestamp {
                    seconds: 0,
                    nanos: 0,
                },
                |ns| Timestamp {
                    seconds: i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX),
                    nanos: i32::try_from(ns % 1_000_000_000).unwrap_or(0),
                },
            )),
        }),
        min_self_delegation: params.min_self_bond.to_string(),
        unbonding_on_hold_ref_count: 0,
        unbonding_ids: Vec::new(),
    }
}

fn params(snapshot: &Snapshot) -> Result<Params, Status> {
    snapshot.staking_params().map_err(internal)
}

/// A delegation with its balance: its shares' tokens, in the bond denom.
fn delegation_response(
    snapshot: &Snapshot,
    d: &Delegation,
    bond_denom: &str,
) -> Result<sdk::DelegationResponse, Status> {
    let val = validator_at(snapshot, &d.validator)?;
    let tokens = math::tokens_for_shares(d.shares, val.tokens, val.delegator_shares);
    Ok(sdk::DelegationResponse {
        delegation: Some(sdk::Delegation {
            delegator_address: d.delegator.to_string(),
            validator_address: valoper_string(&d.validator),
            shares: dec(d.shares),
        }),
        balance: Some(Coin {
            denom: bond_denom.to_string(),
            amount: tokens.to_string(),
        }),
    })
}

/// Every unbonding entry under an index prefix (by delegator or by validator).
fn unbondings_under(snapshot: &Snapshot, prefix: &[u8]) -> Result<Vec<UnbondingEntry>, Status> {
    let mut out = Vec::new();
    for (k, _) in scan(snapshot, prefix).map_err(internal)? {
        let (h, id) =
            state_key::unbonding_suffix(&k).ok_or_else(|| internal("bad unbonding index"))?;
        if let Some(e) = snapshot.unbonding_entry(h, id).map_err(internal)? {
            out.push(e);
        }
    }
    Ok(out)
}

fn sdk_unbonding(
    delegator: &Address,
    validator: &Address,
    entries: &[UnbondingEntry],
) -> sdk::UnbondingDelegation {
    sdk::UnbondingDelegation {
        delegator_address: delegator.to_string(),
        validator_address: valoper_string(validator),
        entries: entries
            .iter()
            .map(|e| sdk::UnbondingDelegationEntry {
                creation_height: i64::try_from(e.creation_height).unwrap_or(i64::MAX),
                completion_time: None,
                initial_balance: e.initial_amount.to_string(),
                balance: e.amount.to_string(),
                unbonding_id: e.id,
                unbonding_on_hold_ref_count: 0,
            })
            .collect(),
    }
}

/// One page of `groups` (ordered by their 20-byte key), with the Cosmos page semantics of
/// [`paginate`]: the next key is the last group's key.
fn page_of<T>(
    groups: BTreeMap<Address, T>,
    page: Option<&PageRequest>,
) -> Result<(Vec<T>, PageResponse), Status> {
    let default = PageRequest::default();
    let page = page.unwrap_or(&default);
    let limit = pol_component::query::page_limit(page)?;
    let total = if page.count_total {
        groups.len() as u64
    } else {
        0
    };
    let after = if page.key.is_empty() {
        None
    } else {
        Some(
            Address::from_slice(&page.key)
                .ok_or_else(|| Status::invalid_argument("pagination key is not 20 bytes"))?,
        )
    };
    let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let mut rest = groups
        .into_iter()
        .filter(|(k, _)| after.is_none_or(|a| *k > a))
        .skip(skip);
    let items: Vec<(Address, T)> = rest.by_ref().take(limit).collect();
    let next_key = match (items.last(), rest.next()) {
        (Some((k, _)), Some(_)) => k.as_bytes().to_vec(),
        _ => Vec::new(),
    };
    Ok((
        items.into_iter().map(|(_, v)| v).collect(),
        PageResponse { next_key, total },
    ))
}

#[tonic::async_trait]
impl Query for CosmosStakingQuery {
    async fn validators(
        &self,
        request: Request<sdk::QueryValidatorsRequest>,
    ) -> Result<Response<sdk::QueryValidatorsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let params = params(&snapshot)?;
        let status = match r.status.as_str() {
            "" => None,
            s => Some(
                sdk::BondStatus::from_str_name(s)
                    .filter(|s| *s != sdk::BondStatus::Unspecified)
                    .ok_or_else(|| {
                        Status::invalid_argument(format!("invalid validator status {s}"))
                    })?,
            ),
        };
        let (entries, page) = match status {
            None => paginate(
                &snapshot,
                state_key::VALIDATOR_PREFIX,
                r.pagination.as_ref(),
            )?,
            Some(s) => paginate(
                &snapshot,
                &state_key::validators_by_status(s as i32),
                r.pagination.as_ref(),
            )?,
        };
        let validators = entries
            .iter()
            .map(|(_, v)| {
                let val = match status {
                    None => Validator::from_proto(
                        &crate::pb::Validator::decode(v.as_slice()).map_err(internal)?,
                    )
                    .map_err(internal)?,
                    // The status index holds operator addresses.
                    Some(_) => validator_at(
                        &snapshot,
                        &Address::from_slice(v).ok_or_else(|| internal("bad validator index"))?,
                    )?,
                };
                Ok(sdk_validator(&val, &params))
            })
            .collect::<Result<Vec<_>, Status>>()?;
        Ok(Response::new(sdk::QueryValidatorsResponse {
            validators,
            pagination: Some(page),
        }))
    }

    async fn validator(
        &self,
        request: Request<sdk::QueryValidatorRequest>,
    ) -> Result<Response<sdk::QueryValidatorResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let op = valoper(&request.get_ref().validator_addr)?;
        let val = validator_at(&snapshot, &op)?;
        Ok(Response::new(sdk::QueryValidatorResponse {
            validator: Some(sdk_validator(&val, &params(&snapshot)?)),
        }))
    }

    async fn validator_delegations(
        &self,
        request: Request<sdk::QueryValidatorDelegationsRequest>,
    ) -> Result<Response<sdk::QueryValidatorDelegationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let op = valoper(&r.validator_addr)?;
        validator_at(&snapshot, &op)?;
        let denom = params(&snapshot)?.bond_denom;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::delegations_to(&op),
            r.pagination.as_ref(),
        )?;
        let mut delegation_responses = Vec::with_capacity(entries.len());
        for (_, v) in &entries {
            let delegator =
                Address::from_slice(v).ok_or_else(|| internal("bad delegation index"))?;
            if let Some(d) = snapshot.delegation(&delegator, &op).map_err(internal)? {
                delegation_responses.push(delegation_response(&snapshot, &d, &denom)?);
            }
        }
        Ok(Response::new(sdk::QueryValidatorDelegationsResponse {
            delegation_responses,
            pagination: Some(page),
        }))
    }

    async fn validator_unbonding_delegations(
        &self,
        request: Request<sdk::QueryValidatorUnbondingDelegationsRequest>,
    ) -> Result<Response<sdk::QueryValidatorUnbondingDelegationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let op = valoper(&r.validator_addr)?;
        validator_at(&snapshot, &op)?;
        let mut by_delegator: BTreeMap<Address, Vec<UnbondingEntry>> = BTreeMap::new();
        for e in unbondings_under(&snapshot, &state_key::unbondings_from(&op))? {
            by_delegator.entry(e.delegator).or_default().push(e);
        }
        let groups = by_delegator
            .into_iter()
            .map(|(d, entries)| (d, sdk_unbonding(&d, &op, &entries)))
            .collect();
        let (unbonding_responses, page) = page_of(groups, r.pagination.as_ref())?;
        Ok(Response::new(
            sdk::QueryValidatorUnbondingDelegationsResponse {
                unbonding_responses,
                pagination: Some(page),
            },
        ))
    }

    async fn delegation(
        &self,
        request: Request<sdk::QueryDelegationRequest>,
    ) -> Result<Response<sdk::QueryDelegationResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_addr)?;
        let op = valoper(&r.validator_addr)?;
        let d = delegation_at(&snapshot, &delegator, &op)?;
        let denom = params(&snapshot)?.bond_denom;
        Ok(Response::new(sdk::QueryDelegationResponse {
            delegation_response: Some(delegation_response(&snapshot, &d, &denom)?),
        }))
    }

    async fn unbonding_delegation(
        &self,
        request: Request<sdk::QueryUnbondingDelegationRequest>,
    ) -> Result<Response<sdk::QueryUnbondingDelegationResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_addr)?;
        let op = valoper(&r.validator_addr)?;
        let entries: Vec<UnbondingEntry> =
            unbondings_under(&snapshot, &state_key::unbondings_of(&delegator))?
                .into_iter()
                .filter(|e| e.validator == op)
                .collect();
        if entries.is_empty() {
            return Err(Status::not_found(format!(
                "unbonding delegation with delegator {delegator} not found for validator {}",
                valoper_string(&op)
            )));
        }
        Ok(Response::new(sdk::QueryUnbondingDelegationResponse {
            unbond: Some(sdk_unbonding(&delegator, &op, &entries)),
        }))
    }

    async fn delegator_delegations(
        &self,
        request: Request<sdk::QueryDelegatorDelegationsRequest>,
    ) -> Result<Response<sdk::QueryDelegatorDelegationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_addr)?;
        let denom = params(&snapshot)?.bond_denom;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::delegations_of(&delegator),
            r.pagination.as_ref(),
        )?;
        let delegation_responses = entries
            .iter()
            .map(|(_, v)| {
                let p = crate::pb::Delegation::decode(v.as_slice()).map_err(internal)?;
                let d = Delegation::from_proto(&p).map_err(internal)?;
                delegation_response(&snapshot, &d, &denom)
            })
            .collect::<Result<Vec<_>, Status>>()?;
        Ok(Response::new(sdk::QueryDelegatorDelegationsResponse {
            delegation_responses,
            pagination: Some(page),
        }))
    }

    async fn delegator_unbonding_delegations(
        &self,
        request: Request<sdk::QueryDelegatorUnbondingDelegationsRequest>,
    ) -> Result<Response<sdk::QueryDelegatorUnbondingDelegationsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_addr)?;
        let mut by_validator: BTreeMap<Address, Vec<UnbondingEntry>> = BTreeMap::new();
        for e in unbondings_under(&snapshot, &state_key::unbondings_of(&delegator))? {
            by_validator.entry(e.validator).or_default().push(e);
        }
        let groups = by_validator
            .into_iter()
            .map(|(v, entries)| (v, sdk_unbonding(&delegator, &v, &entries)))
            .collect();
        let (unbonding_responses, page) = page_of(groups, r.pagination.as_ref())?;
        Ok(Response::new(
            sdk::QueryDelegatorUnbondingDelegationsResponse {
                unbonding_responses,
                pagination: Some(page),
            },
        ))
    }

    /// pol has no redelegation (yet): every query of them is an empty list, once the
    /// addresses given are valid.
    async fn redelegations(
        &self,
        request: Request<sdk::QueryRedelegationsRequest>,
    ) -> Result<Response<sdk::QueryRedelegationsResponse>, Status> {
        let r = request.get_ref();
        if !r.delegator_addr.is_empty() {
            account(&r.delegator_addr)?;
        }
        for v in [&r.src_validator_addr, &r.dst_validator_addr] {
            if !v.is_empty() {
                valoper(v)?;
            }
        }
        Ok(Response::new(sdk::QueryRedelegationsResponse {
            redelegation_responses: Vec::new(),
            pagination: Some(PageResponse::default()),
        }))
    }

    async fn delegator_validators(
        &self,
        request: Request<sdk::QueryDelegatorValidatorsRequest>,
    ) -> Result<Response<sdk::QueryDelegatorValidatorsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_addr)?;
        let params = params(&snapshot)?;
        let (entries, page) = paginate(
            &snapshot,
            &state_key::delegations_of(&delegator),
            r.pagination.as_ref(),
        )?;
        let validators = entries
            .iter()
            .map(|(_, v)| {
                let p = crate::pb::Delegation::decode(v.as_slice()).map_err(internal)?;
                let d = Delegation::from_proto(&p).map_err(internal)?;
                Ok(sdk_validator(
                    &validator_at(&snapshot, &d.validator)?,
                    &params,
                ))
            })
            .collect::<Result<Vec<_>, Status>>()?;
        Ok(Response::new(sdk::QueryDelegatorValidatorsResponse {
            validators,
            pagination: Some(page),
        }))
    }

    async fn delegator_validator(
        &self,
        request: Request<sdk::QueryDelegatorValidatorRequest>,
    ) -> Result<Response<sdk::QueryDelegatorValidatorResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let delegator = account(&r.delegator_addr)?;
        let op = valoper(&r.validator_addr)?;
        if snapshot
            .delegation(&delegator, &op)
            .map_err(internal)?
            .is_none()
        {
            return Err(Status::not_found(format!(
                "{delegator} does not delegate to {}",
                valoper_string(&op)
            )));
        }
        Ok(Response::new(sdk::QueryDelegatorValidatorResponse {
            validator: Some(sdk_validator(
                &validator_at(&snapshot, &op)?,
                &params(&snapshot)?,
            )),
        }))
    }

    async fn historical_info(
        &self,
        request: Request<sdk::QueryHistoricalInfoRequest>,
    ) -> Result<Response<sdk::QueryHistoricalInfoResponse>, Status> {
        let height = request.get_ref().height;
        if height < 0 {
            return Err(Status::invalid_argument("height cannot be negative"));
        }
        Err(Status::not_found(format!(
            "historical info for height {height} not found: pol keeps none (historical_entries = 0)"
        )))
    }

    async fn pool(
        &self,
        request: Request<sdk::QueryPoolRequest>,
    ) -> Result<Response<sdk::QueryPoolResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let pool = crate::query::pool(&snapshot).map_err(internal)?;
        Ok(Response::new(sdk::QueryPoolResponse {
            pool: Some(sdk::Pool {
                not_bonded_tokens: pool.not_bonded_tokens,
                bonded_tokens: pool.bonded_tokens,
            }),
        }))
    }

    async fn params(
        &self,
        request: Request<sdk::QueryParamsRequest>,
    ) -> Result<Response<sdk::QueryParamsResponse>, Status> {
        let snapshot = snapshot_for(&self.storage, &request)?;
        let p = params(&snapshot)?;
        Ok(Response::new(sdk::QueryParamsResponse {
            params: Some(sdk::Params {
                // pol unbonds after `unbonding_blocks` blocks, not after a duration.
                unbonding_time: None,
                max_validators: p.max_validators,
                // pol keeps no cap on entries per delegator and validator.
                max_entries: u32::MAX,
                historical_entries: 0,
                bond_denom: p.bond_denom,
                min_commission_rate: rate(0),
            }),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::tests::{addr, page, pubkey, storage, M};
    use tonic::Code;

    const E18: u128 = 1_000_000_000_000_000_000;

    fn q(dir: &std::path::Path) -> CosmosStakingQuery {
        CosmosStakingQuery {
            storage: storage(dir),
        }
    }

    fn valoper_of(b: u8) -> String {
        valoper_string(&addr(b))
    }

    #[tokio::test]
    async fn validators_read_as_the_sdk_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        let q = q(dir.path());

        // All four, one per page, in key order.
        let mut seen = Vec::new();
        let mut key = Vec::new();
        loop {
            let r = q
                .validators(Request::new(sdk::QueryValidatorsRequest {
                    status: String::new(),
                    pagination: page(key, 1),
                }))
                .await
                .unwrap()
                .into_inner();
            let p = r.pagination.unwrap();
            assert_eq!(p.total, 4);
            seen.extend(r.validators);
            if p.next_key.is_empty() {
                break;
            }
            key = p.next_key;
        }
        let ops: Vec<_> = seen.iter().map(|v| v.operator_address.clone()).collect();
        assert_eq!(ops, (1..=4).map(valoper_of).collect::<Vec<_>>());

        // Validator 2: self-bond 2M and 9's M, shares as LegacyDec atomics, its ed25519 key
        // in an Any, the commission as a rate, the moniker in the description.
        let v2 = &seen[1];
        assert_eq!(v2.tokens, (3 * M).to_string());
        assert_eq!(v2.delegator_shares, (3 * M * E18).to_string());
        let key = v2.consensus_pubkey.as_ref().unwrap();
        assert_eq!(key.type_url, "/cosmos.crypto.ed25519.PubKey");
        assert_eq!(PubKey::decode(key.value.as_slice()).unwrap().key, pubkey(2));
        assert_eq!(v2.description.as_ref().unwrap().moniker, "v2");
        let rates = v2
            .commission
            .as_ref()
            .unwrap()
            .commission_rates
            .as_ref()
            .unwrap();
        assert_eq!(rates.rate, "0");
        // Made by pol's own message: its rate is its max.
        assert_eq!(rates.max_rate, "0");
        assert_eq!(rates.max_change_rate, E18.to_string());

        // With max_validators 2 the two largest are bonded, the others not.
        let bonded = q
            .validators(Request::new(sdk::QueryValidatorsRequest {
                status: "BOND_STATUS_BONDED".into(),
                pagination: None,
            }))
            .await
            .unwrap()
            .into_inner()
            .validators;
        let mut bonded: Vec<_> = bonded.into_iter().map(|v| v.operator_address).collect();
        bonded.sort();
        let mut want = vec![valoper_of(3), valoper_of(4)];
        want.sort();
        assert_eq!(bonded, want);
        assert!(seen
            .iter()
            .filter(|v| v.status == sdk::BondStatus::Bonded as i32)
            .all(|v| want.contains(&v.operator_address)));

        for bad in ["BOND_STATUS_UNSPECIFIED", "bonded", "BOND_STATUS_NOPE"] {
            let e = q
                .validators(Request::new(sdk::QueryValidatorsRequest {
                    status: bad.into(),
                    pagination: None,
                }))
                .await
                .unwrap_err();
            assert_eq!(e.code(), Code::InvalidArgument, "{bad}");
        }
        let one = q
            .validator(Request::new(sdk::QueryValidatorRequest {
                validator_addr: valoper_of(4),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(one.validator.unwrap().tokens, (5 * M).to_string());
        let missing = q
            .validator(Request::new(sdk::QueryValidatorRequest {
                validator_addr: valoper_of(7),
            }))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), Code::NotFound);
    }

    #[tokio::test]
    async fn delegations_and_unbondings_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let q = q(dir.path());
        let delegator = addr(9).to_string();

        let d = q
            .delegation(Request::new(sdk::QueryDelegationRequest {
                delegator_addr: delegator.clone(),
                validator_addr: valoper_of(2),
            }))
            .await
            .unwrap()
            .into_inner()
            .delegation_response
            .unwrap();
        assert_eq!(d.delegation.unwrap().shares, (M * E18).to_string());
        assert_eq!(d.balance.unwrap().amount, M.to_string());

        // 9 delegates to all four; to validator 1 half was undelegated.
        let all = q
            .delegator_delegations(Request::new(sdk::QueryDelegatorDelegationsRequest {
                delegator_addr: delegator.clone(),
                pagination: page(Vec::new(), 0),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.pagination.unwrap().total, 4);
        let to_v1 = all
            .delegation_responses
            .iter()
            .find(|r| r.delegation.as_ref().unwrap().validator_address == valoper_of(1))
            .unwrap();
        assert_eq!(to_v1.balance.as_ref().unwrap().amount, (M / 2).to_string());

        let of_v3 = q
            .validator_delegations(Request::new(sdk::QueryValidatorDelegationsRequest {
                validator_addr: valoper_of(3),
                pagination: None,
            }))
            .await
            .unwrap()
            .into_inner()
            .delegation_responses;
        let mut delegators: Vec<_> = of_v3
            .iter()
            .map(|r| r.delegation.as_ref().unwrap().delegator_address.clone())
            .collect();
        delegators.sort();
        let mut want = vec![addr(3).to_string(), delegator.clone()];
        want.sort();
        assert_eq!(delegators, want);

        // The unbonding, grouped per (delegator, validator), seen from both sides.
        let ubd = q
            .unbonding_delegation(Request::new(sdk::QueryUnbondingDelegationRequest {
                delegator_addr: delegator.clone(),
                validator_addr: valoper_of(1),
            }))
            .await
            .unwrap()
            .into_inner()
            .unbond
            .unwrap();
        assert_eq!(ubd.entries.len(), 1);
        assert_eq!(ubd.entries[0].balance, (M / 2).to_string());
        assert_eq!(ubd.entries[0].initial_balance, (M / 2).to_string());
        assert_eq!(ubd.entries[0].creation_height, 1);
        let by_delegator = q
            .delegator_unbonding_delegations(Request::new(
                sdk::QueryDelegatorUnbondingDelegationsRequest {
                    delegator_addr: delegator.clone(),
                    pagination: page(Vec::new(), 0),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_delegator.unbonding_responses, vec![ubd.clone()]);
        assert_eq!(by_delegator.pagination.unwrap().total, 1);
        let by_validator = q
            .validator_unbonding_delegations(Request::new(
                sdk::QueryValidatorUnbondingDelegationsRequest {
                    validator_addr: valoper_of(1),
                    pagination: None,
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_validator.unbonding_responses, vec![ubd]);
        let none = q
            .unbonding_delegation(Request::new(sdk::QueryUnbondingDelegationRequest {
                delegator_addr: delegator.clone(),
                validator_addr: valoper_of(2),
            }))
            .await
            .unwrap_err();
        assert_eq!(none.code(), Code::NotFound);

        // The validators 9 delegates to, and one it does not.
        let vals = q
            .delegator_validators(Request::new(sdk::QueryDelegatorValidatorsRequest {
                delegator_addr: delegator.clone(),
                pagination: None,
            }))
            .await
            .unwrap()
            .into_inner()
            .validators;
        assert_eq!(vals.len(), 4);
        let not = q
            .delegator_validator(Request::new(sdk::QueryDelegatorValidatorRequest {
                delegator_addr: addr(1).to_string(),
                validator_addr: valoper_of(2),
            }))
            .await
            .unwrap_err();
        assert_eq!(not.code(), Code::NotFound);

        // Bad addresses are refused, not answered empty.
        let bad = q
            .delegator_delegations(Request::new(sdk::QueryDelegatorDelegationsRequest {
                delegator_addr: "pol1nope".into(),
                pagination: None,
            }))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let empty = q
            .delegation(Request::new(sdk::QueryDelegationRequest {
                delegator_addr: String::new(),
                validator_addr: valoper_of(1),
            }))
            .await
            .unwrap_err();
        assert_eq!(empty.code(), Code::InvalidArgument);
    }

    #[tokio::test]
    async fn pool_params_and_what_pol_does_not_keep() {
        let dir = tempfile::tempdir().unwrap();
        let q = q(dir.path());
        let pool = q
            .pool(Request::new(sdk::QueryPoolRequest {}))
            .await
            .unwrap()
            .into_inner()
            .pool
            .unwrap();
        // Tokens 1.5 + 3 + 4 + 5 (M) bonded; the half M unbonding is not.
        assert_eq!(pool.bonded_tokens, (M * 27 / 2).to_string());
        assert_eq!(pool.not_bonded_tokens, (M / 2).to_string());

        let params = q
            .params(Request::new(sdk::QueryParamsRequest {}))
            .await
            .unwrap()
            .into_inner()
            .params
            .unwrap();
        assert_eq!(params.bond_denom, "upol");
        assert_eq!(params.max_validators, 2);
        assert_eq!(params.historical_entries, 0);
        assert_eq!(params.unbonding_time, None);

        let r = q
            .redelegations(Request::new(sdk::QueryRedelegationsRequest {
                delegator_addr: addr(9).to_string(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(r.redelegation_responses.is_empty());
        let bad = q
            .redelegations(Request::new(sdk::QueryRedelegationsRequest {
                src_validator_addr: "polvaloper1nope".into(),
                ..Default::default()
            }))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);

        let h = q
            .historical_info(Request::new(sdk::QueryHistoricalInfoRequest { height: 1 }))
            .await
            .unwrap_err();
        assert_eq!(h.code(), Code::NotFound);
        let neg = q
            .historical_info(Request::new(sdk::QueryHistoricalInfoRequest { height: -1 }))
            .await
            .unwrap_err();
        assert_eq!(neg.code(), Code::InvalidArgument);
    }

    #[test]
    fn grouped_pages_follow_cosmos_pagination() {
        let groups = || -> BTreeMap<Address, u8> { (1..=5u8).map(|b| (addr(b), b)).collect() };
        let mut got = Vec::new();
        let mut key = Vec::new();
        loop {
            let (items, p) = page_of(groups(), page(key, 2).as_ref()).unwrap();
            assert_eq!(p.total, 5);
            got.extend(items);
            if p.next_key.is_empty() {
                break;
            }
            key = p.next_key;
        }
        assert_eq!(got, vec![1, 2, 3, 4, 5]);
        let by_offset = PageRequest {
            offset: 3,
            limit: 10,
            ..Default::default()
        };
        let (items, p) = page_of(groups(), Some(&by_offset)).unwrap();
        assert_eq!((items, p.next_key), (vec![4, 5], Vec::new()));
        for bad in [
            PageRequest {
                key: addr(1).as_bytes().to_vec(),
                offset: 1,
                ..Default::default()
            },
            PageRequest {
                key: vec![1, 2, 3],
                ..Default::default()
            },
            PageRequest {
                reverse: true,
                ..Default::default()
            },
        ] {
            assert_eq!(
                page_of(groups(), Some(&bad)).unwrap_err().code(),
                tonic::Code::InvalidArgument
            );
        }
    }
}
