//! Where `staking` keeps its state. Values are protobuf; index values are never empty
//! (the store cannot prove empty leaves), so they hold the operator's 20 bytes or a `1`.

use pol_component::Address;

/// `pol.staking.v1.Params`.
pub const PARAMS: &[u8] = b"staking/params";

/// `staking/validator/<operator 20>` → `pol.staking.v1.Validator`.
pub const VALIDATOR_PREFIX: &[u8] = b"staking/validator/";
pub fn validator(op: &Address) -> Vec<u8> {
    [VALIDATOR_PREFIX, op.as_bytes()].concat()
}

/// `staking/validator_by_cons/<consensus address 20>` → operator 20 bytes.
pub const VALIDATOR_BY_CONS_PREFIX: &[u8] = b"staking/validator_by_cons/";
pub fn validator_by_cons(cons: &[u8; 20]) -> Vec<u8> {
    [VALIDATOR_BY_CONS_PREFIX, &cons[..]].concat()
}

/// `staking/validator_by_status/<status u8>/<operator 20>` → operator 20 bytes.
pub const VALIDATOR_BY_STATUS_PREFIX: &[u8] = b"staking/validator_by_status/";
pub fn validators_by_status(status: i32) -> Vec<u8> {
    [VALIDATOR_BY_STATUS_PREFIX, &[status as u8, b'/'][..]].concat()
}
pub fn validator_by_status(status: i32, op: &Address) -> Vec<u8> {
    [&validators_by_status(status)[..], op.as_bytes()].concat()
}

/// `staking/power/<(u128::MAX - tokens) 16 BE><operator 20>` → operator 20 bytes: every
/// candidate (not jailed, at least one unit of power), most tokens first, ties by operator
/// address ascending. The active set is the first `max_validators` entries.
pub const POWER_INDEX_PREFIX: &[u8] = b"staking/power/";
pub fn power_index(tokens: u128, op: &Address) -> Vec<u8> {
    [
        POWER_INDEX_PREFIX,
        &(u128::MAX - tokens).to_be_bytes()[..],
        op.as_bytes(),
    ]
    .concat()
}

/// `staking/delegation/<delegator 20><validator 20>` → `pol.staking.v1.Delegation`.
pub const DELEGATION_PREFIX: &[u8] = b"staking/delegation/";
pub fn delegations_of(delegator: &Address) -> Vec<u8> {
    [DELEGATION_PREFIX, delegator.as_bytes()].concat()
}
pub fn delegation(delegator: &Address, validator: &Address) -> Vec<u8> {
    [
        DELEGATION_PREFIX,
        delegator.as_bytes(),
        validator.as_bytes(),
    ]
    .concat()
}

/// `staking/delegation_by_val/<validator 20><delegator 20>` → delegator 20 bytes.
pub const DELEGATION_BY_VAL_PREFIX: &[u8] = b"staking/delegation_by_val/";
pub fn delegations_to(validator: &Address) -> Vec<u8> {
    [DELEGATION_BY_VAL_PREFIX, validator.as_bytes()].concat()
}
pub fn delegation_by_val(validator: &Address, delegator: &Address) -> Vec<u8> {
    [
        DELEGATION_BY_VAL_PREFIX,
        validator.as_bytes(),
        delegator.as_bytes(),
    ]
    .concat()
}

/// `staking/unbonding/<completion height 8 BE><id 8 BE>` → `pol.staking.v1.UnbondingEntry`:
/// the queue; maturing is an in-order prefix scan that stops past the current height.
pub const UNBONDING_PREFIX: &[u8] = b"staking/unbonding/";
pub fn unbonding(completion_height: u64, id: u64) -> Vec<u8> {
    [
        UNBONDING_PREFIX,
        &completion_height.to_be_bytes()[..],
        &id.to_be_bytes()[..],
    ]
    .concat()
}

/// `staking/unbonding_by_del/<delegator 20><completion 8><id 8>` → `1`.
pub const UNBONDING_BY_DEL_PREFIX: &[u8] = b"staking/unbonding_by_del/";
pub fn unbondings_of(delegator: &Address) -> Vec<u8> {
    [UNBONDING_BY_DEL_PREFIX, delegator.as_bytes()].concat()
}
pub fn unbonding_by_del(delegator: &Address, completion_height: u64, id: u64) -> Vec<u8> {
    [
        &unbondings_of(delegator)[..],
        &completion_height.to_be_bytes()[..],
        &id.to_be_bytes()[..],
    ]
    .concat()
}

/// `staking/unbonding_by_val/<validator 20><completion 8><id 8>` → `1` (for slashing).
pub const UNBONDING_BY_VAL_PREFIX: &[u8] = b"staking/unbonding_by_val/";
pub fn unbondings_from(validator: &Address) -> Vec<u8> {
    [UNBONDING_BY_VAL_PREFIX, validator.as_bytes()].concat()
}
pub fn unbonding_by_val(validator: &Address, completion_height: u64, id: u64) -> Vec<u8> {
    [
        &unbondings_from(validator)[..],
        &completion_height.to_be_bytes()[..],
        &id.to_be_bytes()[..],
    ]
    .concat()
}

/// The last 16 bytes of an `unbonding_by_*` key: (completion height, id).
pub fn unbonding_suffix(key: &[u8]) -> Option<(u64, u64)> {
    let n = key.len();
    if n < 16 {
        return None;
    }
    let h = u64::from_be_bytes(key[n - 16..n - 8].try_into().ok()?);
    let id = u64::from_be_bytes(key[n - 8..].try_into().ok()?);
    Some((h, id))
}

/// Next unbonding entry id, a u64.
pub const NEXT_UNBONDING_ID: &[u8] = b"staking/next_unbonding_id";

/// `staking/validator_queue/<completion 8 BE><operator 20>` → operator: UNBONDING
/// validators by the height at which they become UNBONDED.
pub const VALIDATOR_QUEUE_PREFIX: &[u8] = b"staking/validator_queue/";
pub fn validator_queue(completion_height: u64, op: &Address) -> Vec<u8> {
    [
        VALIDATOR_QUEUE_PREFIX,
        &completion_height.to_be_bytes()[..],
        op.as_bytes(),
    ]
    .concat()
}

/// `staking/last_power/<operator 20>` → `pol.staking.v1.LastValidatorPower` (power > 0):
/// the set CometBFT was last told about.
pub const LAST_POWER_PREFIX: &[u8] = b"staking/last_power/";
pub fn last_power(op: &Address) -> Vec<u8> {
    [LAST_POWER_PREFIX, op.as_bytes()].concat()
}

/// `staking/pol_weight/<operator 20>` → u32 big-endian, parts per million: the validator's
/// Proof-of-Latency weight (its measurer reputation, written by `reputation` at epoch
/// ends). Absent = 1_000_000 (full weight); a weight of 10⁶ is stored as absent.
pub const POL_WEIGHT_PREFIX: &[u8] = b"staking/pol_weight/";
pub fn pol_weight(op: &Address) -> Vec<u8> {
    [POL_WEIGHT_PREFIX, op.as_bytes()].concat()
}

/// `staking/reserved_consensus/<consensus address 20>` → the 32-byte ed25519 key: a key
/// CometBFT validates with that no staking validator holds (genesis.json's own validators,
/// when no gentx made them). Nobody may create a validator with it.
pub const RESERVED_CONSENSUS_PREFIX: &[u8] = b"staking/reserved_consensus/";
pub fn reserved_consensus(cons: &[u8; 20]) -> Vec<u8> {
    [RESERVED_CONSENSUS_PREFIX, cons].concat()
}
