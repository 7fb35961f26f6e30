//! Typed reads and writes of staking state through any state handle. `put_validator` and
//! the delegation/unbonding writers keep every index in step with the records.

use pol_component::{Address, TxError};
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, StoreError};

use crate::params::Params;
use crate::types::{BondStatus, Delegation, UnbondingEntry, Validator};
use crate::{math, pb, state_key};

pub use pol_component::state::{atomic, scan};

fn decode<M: prost::Message + Default>(what: &str, v: &[u8]) -> Result<M, StoreError> {
    pol_store::decode_record::<M>(v)
        .map_err(|e| StoreError::Corrupt(format!("staking {what}: {e}")))
}

fn addr_value(v: &[u8]) -> Result<Address, StoreError> {
    Address::from_slice(v).ok_or_else(|| StoreError::Corrupt("staking index: bad address".into()))
}

/// Read access to staking state; implemented for every [`StateRead`].
pub trait StakingRead: StateRead {
    fn staking_params(&self) -> Result<Params, StoreError> {
        match self.get_proto::<pb::Params>(state_key::PARAMS)? {
            None => Ok(Params::default()),
            Some(p) => Params::from_proto(&p).map_err(StoreError::Corrupt),
        }
    }

    fn validator(&self, op: &Address) -> Result<Option<Validator>, StoreError> {
        self.get_proto::<pb::Validator>(&state_key::validator(op))?
            .map(|p| Validator::from_proto(&p))
            .transpose()
    }

    fn validator_by_consensus(&self, cons: &[u8; 20]) -> Result<Option<Validator>, StoreError> {
        match self.get_raw(&state_key::validator_by_cons(cons))? {
            None => Ok(None),
            Some(v) => self.validator(&addr_value(&v)?),
        }
    }

    /// Every validator, in operator order.
    fn all_validators(&self) -> Result<Vec<Validator>, StoreError> {
        scan(self, state_key::VALIDATOR_PREFIX)?
            .iter()
            .map(|(_, v)| Validator::from_proto(&decode("validator", v)?))
            .collect()
    }

    /// Tokens of the BONDED validators (the mint module's bonded ratio is these over the
    /// bond denom's supply).
    fn bonded_tokens(&self) -> Result<u128, StoreError> {
        let prefix = state_key::validators_by_status(crate::types::BondStatus::Bonded as i32);
        let mut total: u128 = 0;
        for (_, v) in scan(self, &prefix)? {
            let op = addr_value(&v)?;
            let val = self.validator(&op)?.ok_or_else(|| {
                StoreError::Corrupt(format!("staking status index names unknown validator {op}"))
            })?;
            total = total
                .checked_add(val.tokens)
                .ok_or_else(|| StoreError::Corrupt("bonded tokens overflow u128".into()))?;
        }
        Ok(total)
    }

    /// Whether a consensus key is reserved (see [`state_key::RESERVED_CONSENSUS_PREFIX`]).
    fn consensus_key_reserved(&self, cons: &[u8; 20]) -> Result<bool, StoreError> {
        Ok(self
            .get_raw(&state_key::reserved_consensus(cons))?
            .is_some())
    }

    /// Every reserved consensus key, in address order.
    fn reserved_consensus_keys(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        scan(self, state_key::RESERVED_CONSENSUS_PREFIX)?
            .into_iter()
            .map(|(_, v)| {
                <[u8; 32]>::try_from(v.as_slice()).map_err(|_| {
                    StoreError::Corrupt("staking reserved consensus key is not 32 bytes".into())
                })
            })
            .collect()
    }

    /// Up to `limit` candidates for the active set, most tokens first.
    fn validators_by_power(&self, limit: usize) -> Result<Vec<Validator>, StoreError> {
        let mut out = Vec::new();
        for (_, v) in self.prefix_raw(state_key::POWER_INDEX_PREFIX, None, limit)? {
            let op = addr_value(&v)?;
            let val = self.validator(&op)?.ok_or_else(|| {
                StoreError::Corrupt(format!("staking power index names unknown validator {op}"))
            })?;
            out.push(val);
        }
        Ok(out)
    }

    fn delegation(
        &self,
        delegator: &Address,
        validator: &Address,
    ) -> Result<Option<Delegation>, StoreError> {
        self.get_proto::<pb::Delegation>(&state_key::delegation(delegator, validator))?
            .map(|p| Delegation::from_proto(&p))
            .transpose()
    }

    /// Every delegation (export, invariants), in (delegator, validator) order.
    /// Every delegation of `delegator`, in validator order (one prefix scan).
    fn delegations_of(&self, delegator: &Address) -> Result<Vec<Delegation>, StoreError> {
        scan(self, &state_key::delegations_of(delegator))?
            .iter()
            .map(|(_, v)| Delegation::from_proto(&decode("delegation", v)?))
            .collect()
    }

    fn all_delegations(&self) -> Result<Vec<Delegation>, StoreError> {
        scan(self, state_key::DELEGATION_PREFIX)?
            .iter()
            .map(|(_, v)| Delegation::from_proto(&decode("delegation", v)?))
            .collect()
    }

    /// Every delegation to `validator`, in delegator order.
    fn delegations_to(&self, validator: &Address) -> Result<Vec<Delegation>, StoreError> {
        let mut out = Vec::new();
        for (_, v) in scan(self, &state_key::delegations_to(validator))? {
            if let Some(d) = self.delegation(&addr_value(&v)?, validator)? {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// The tokens the operator's own delegation is worth (rounded down).
    fn self_bond(&self, val: &Validator) -> Result<u128, StoreError> {
        Ok(match self.delegation(&val.operator, &val.operator)? {
            None => 0,
            Some(d) => math::tokens_for_shares(d.shares, val.tokens, val.delegator_shares),
        })
    }

    fn unbonding_entry(
        &self,
        completion: u64,
        id: u64,
    ) -> Result<Option<UnbondingEntry>, StoreError> {
        self.get_proto::<pb::UnbondingEntry>(&state_key::unbonding(completion, id))?
            .map(|p| UnbondingEntry::from_proto(&p))
            .transpose()
    }

    /// Every pending unbonding entry, in completion order.
    fn all_unbondings(&self) -> Result<Vec<UnbondingEntry>, StoreError> {
        scan(self, state_key::UNBONDING_PREFIX)?
            .iter()
            .map(|(_, v)| UnbondingEntry::from_proto(&decode("unbonding", v)?))
            .collect()
    }

    /// Pending entries unbonding from `validator`, in completion order.
    fn unbondings_from(&self, validator: &Address) -> Result<Vec<UnbondingEntry>, StoreError> {
        let mut out = Vec::new();
        for (k, _) in scan(self, &state_key::unbondings_from(validator))? {
            let (h, id) = state_key::unbonding_suffix(&k)
                .ok_or_else(|| StoreError::Corrupt("staking unbonding index key".into()))?;
            if let Some(e) = self.unbonding_entry(h, id)? {
                out.push(e);
            }
        }
        Ok(out)
    }

    fn next_unbonding_id(&self) -> Result<u64, StoreError> {
        Ok(self
            .get_proto::<u64>(state_key::NEXT_UNBONDING_ID)?
            .unwrap_or(1))
    }

    /// The powers CometBFT was last given, in operator order.
    fn last_powers(&self) -> Result<Vec<(Address, i64)>, StoreError> {
        scan(self, state_key::LAST_POWER_PREFIX)?
            .iter()
            .map(|(k, v)| {
                let op = addr_value(&k[state_key::LAST_POWER_PREFIX.len()..])?;
                let p: pb::LastValidatorPower = decode("last power", v)?;
                Ok((op, p.power))
            })
            .collect()
    }

    /// A validator's PoL weight in ppm (10⁶ when never set).
    fn pol_weight_ppm(&self, op: &Address) -> Result<u32, StoreError> {
        match self.get_raw(&state_key::pol_weight(op))? {
            None => Ok(math::PPM),
            Some(v) => {
                let b: [u8; 4] = v
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("staking pol weight: not 4 bytes".into()))?;
                Ok(u32::from_be_bytes(b))
            }
        }
    }

    /// Every stored PoL weight (those below 10⁶), in operator order.
    fn all_pol_weights(&self) -> Result<Vec<(Address, u32)>, StoreError> {
        scan(self, state_key::POL_WEIGHT_PREFIX)?
            .iter()
            .map(|(k, v)| {
                let op = addr_value(&k[state_key::POL_WEIGHT_PREFIX.len()..])?;
                let b: [u8; 4] = v
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("staking pol weight: not 4 bytes".into()))?;
                Ok((op, u32::from_be_bytes(b)))
            })
            .collect()
    }

    /// The CometBFT voting power of `val`: its tokens at its PoL weight.
    fn voting_power(&self, val: &Validator) -> Result<i64, StoreError> {
        Ok(val.weighted_power(self.pol_weight_ppm(&val.operator)?))
    }

    /// The query form of `val`: consensus address, PoL weight and voting power filled in.
    fn validator_query_proto(&self, val: &Validator) -> Result<pb::Validator, StoreError> {
        Ok(val.to_query_proto(self.pol_weight_ppm(&val.operator)?))
    }
}
impl<S: StateRead + ?Sized> StakingRead for S {}

/// Writes to staking state; implemented for every [`StateWrite`].
pub trait StakingWrite: StateWrite + StakingRead {
    /// Reserve a consensus key no staking validator holds.
    fn reserve_consensus_key(&mut self, pubkey: &[u8; 32]) {
        let cons = crate::types::consensus_address(pubkey);
        self.put_raw(state_key::reserved_consensus(&cons), pubkey.to_vec());
    }

    fn put_staking_params(&mut self, params: &Params) {
        self.put_proto(state_key::PARAMS.to_vec(), &params.to_proto());
    }

    /// Store a validator and bring the consensus, status and power indexes up to date.
    fn put_validator(&mut self, val: &Validator) -> Result<(), StoreError> {
        let old = self.validator(&val.operator)?;
        let op = val.operator;
        if let Some(old) = &old {
            if old.status != val.status {
                self.delete(state_key::validator_by_status(old.status as i32, &op));
            }
            if old.is_candidate() && (!val.is_candidate() || old.tokens != val.tokens) {
                self.delete(state_key::power_index(old.tokens, &op));
            }
        }
        if old.is_none() {
            self.put_raw(
                state_key::validator_by_cons(&val.consensus_address()),
                op.as_bytes().to_vec(),
            );
        }
        if old.as_ref().map(|o| o.status) != Some(val.status) {
            self.put_raw(
                state_key::validator_by_status(val.status as i32, &op),
                op.as_bytes().to_vec(),
            );
        }
        if val.is_candidate() {
            self.put_raw(
                state_key::power_index(val.tokens, &op),
                op.as_bytes().to_vec(),
            );
        }
        self.put_proto(state_key::validator(&op), &val.to_proto());
        Ok(())
    }

    /// Store a delegation, or remove it (and its index) when its shares are zero.
    fn put_delegation(&mut self, d: &Delegation) {
        let key = state_key::delegation(&d.delegator, &d.validator);
        let idx = state_key::delegation_by_val(&d.validator, &d.delegator);
        if d.shares == 0 {
            self.delete(key);
            self.delete(idx);
        } else {
            self.put_proto(key, &d.to_proto());
            self.put_raw(idx, d.delegator.as_bytes().to_vec());
        }
    }

    /// Queue a new unbonding entry under a fresh id; returns the id.
    fn insert_unbonding(&mut self, mut e: UnbondingEntry) -> Result<UnbondingEntry, TxError> {
        let id = self.next_unbonding_id()?;
        let next = id
            .checked_add(1)
            .ok_or_else(|| TxError::INTERNAL("unbonding ids exhausted"))?;
        self.put_proto(state_key::NEXT_UNBONDING_ID.to_vec(), &next);
        e.id = id;
        self.put_unbonding(&e);
        Ok(e)
    }

    /// Store (or update) an entry and its indexes.
    fn put_unbonding(&mut self, e: &UnbondingEntry) {
        self.put_proto(
            state_key::unbonding(e.completion_height, e.id),
            &e.to_proto(),
        );
        self.put_raw(
            state_key::unbonding_by_del(&e.delegator, e.completion_height, e.id),
            vec![1],
        );
        self.put_raw(
            state_key::unbonding_by_val(&e.validator, e.completion_height, e.id),
            vec![1],
        );
    }

    fn remove_unbonding(&mut self, e: &UnbondingEntry) {
        self.delete(state_key::unbonding(e.completion_height, e.id));
        self.delete(state_key::unbonding_by_del(
            &e.delegator,
            e.completion_height,
            e.id,
        ));
        self.delete(state_key::unbonding_by_val(
            &e.validator,
            e.completion_height,
            e.id,
        ));
    }

    fn set_last_power(&mut self, op: &Address, power: i64) {
        let key = state_key::last_power(op);
        if power <= 0 {
            self.delete(key);
        } else {
            self.put_proto(
                key,
                &pb::LastValidatorPower {
                    operator_address: crate::types::valoper_string(op),
                    power,
                },
            );
        }
    }

    /// Set a validator's status, keeping the UNBONDING queue in step.
    fn set_validator_status(
        &mut self,
        val: &mut Validator,
        status: BondStatus,
        height: u64,
        unbonding_blocks: u64,
    ) -> Result<(), StoreError> {
        if val.status == status {
            return Ok(());
        }
        if val.status == BondStatus::Unbonding {
            self.delete(state_key::validator_queue(
                val.unbonding_completion_height,
                &val.operator,
            ));
        }
        if status == BondStatus::Unbonding {
            val.unbonding_height = height;
            val.unbonding_completion_height = height.saturating_add(unbonding_blocks);
            self.put_raw(
                state_key::validator_queue(val.unbonding_completion_height, &val.operator),
                val.operator.as_bytes().to_vec(),
            );
        }
        val.status = status;
        Ok(())
    }

    /// Set a validator's PoL weight (0..=10⁶ ppm; 10⁶ is stored as absent). Takes effect on
    /// CometBFT at the next `end_block` (`apply_validator_set` sends the changed power).
    fn set_pol_weight(&mut self, op: &Address, weight_ppm: u32) -> Result<(), TxError> {
        if weight_ppm > math::PPM {
            return Err(TxError::INVALID_REQUEST(format!(
                "pol weight {weight_ppm} ppm is above 1000000"
            )));
        }
        if self.validator(op)?.is_none() {
            return Err(TxError::INVALID_REQUEST(format!(
                "pol weight for unknown validator {}",
                crate::types::valoper_string(op)
            )));
        }
        let key = state_key::pol_weight(op);
        if weight_ppm == math::PPM {
            self.delete(key);
        } else {
            self.put_raw(key, weight_ppm.to_be_bytes().to_vec());
        }
        Ok(())
    }
}
impl<S: StateWrite + ?Sized> StakingWrite for S {}
