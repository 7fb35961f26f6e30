//! `staking` genesis: params, validators, delegations and unbonding entries as exported, plus
//! `gentxs`: validators to create at genesis (`pold genesis gentx` writes one entry,
//! `collect-gentxs` appends them here), whose self-bond moves from the operator's bank
//! balance exactly as `MsgCreateValidator` does.
//!
//! [`GenesisState::init`] returns the initial validator set for `ResponseInitChain`.
//! Order matters: bank genesis must be initialised first (pool balances of exported state,
//! operators' funds for gentxs).
//!
//! Export and import are exact: [`GenesisState::export`] writes every record, the next
//! unbonding id and the last validator powers, and `init` of that export recreates the same
//! state keys and values (the indexes follow from the records), so a chain started from an
//! export has the app hash of the exported height. CometBFT starts with `last_powers`.

use pol_component::genesis::ChainStart;
use pol_component::{AppState, ModuleGenesis};
use std::collections::{BTreeMap, BTreeSet};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use base64::Engine as _;
use pol_bank::BankRead;
use pol_component::{Address, BlockContext, TxError};
use pol_store::{StateRead, StateWrite, StateWriteExt};
use serde::{Deserialize, Serialize};

use crate::end_block::MAX_VALIDATOR_POWER;
use crate::params::{u128_string, Params, MAX_MAX_VALIDATORS};
use crate::types::{
    consensus_address, parse_consensus_pubkey, parse_valoper, valoper_string, BondStatus,
    Delegation, UnbondingEntry, Validator,
};
use crate::view::{StakingRead, StakingWrite};
use crate::{bonded_pool, end_block, msg, not_bonded_pool, state_key};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    /// Existing validators (export); their tokens are already in `bonded_pool`.
    pub validators: Vec<GenesisValidatorRecord>,
    pub delegations: Vec<GenesisDelegation>,
    /// Pending unbonding entries; their tokens are already in `not_bonded_pool`.
    pub unbondings: Vec<GenesisUnbonding>,
    /// Next unbonding id; 0 means one past the largest id in `unbondings`.
    pub next_unbonding_id: u64,
    /// The set CometBFT was last given (export): the stored last powers. When present,
    /// every BONDED validator is listed and nothing else; InitChain stores them and starts
    /// CometBFT with exactly this set (plus what gentxs change). Empty: the set is computed
    /// from the validators' tokens, as for a new chain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub last_powers: Vec<GenesisLastPower>,
    /// Validators to create at genesis (from gentxs).
    pub gentxs: Vec<GenesisValidator>,
    /// Proof-of-Latency weights below 10⁶ ppm (export); a validator not listed has full
    /// weight. Loaded before the initial validator set is computed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pol_weights: Vec<GenesisPolWeight>,
    /// base64 ed25519 keys CometBFT validates with that no validator here holds
    /// (genesis.json's own validators; export): nobody may create a validator with one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reserved_consensus_keys: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPolWeight {
    /// `polvaloper…` (or the operator's `pol…` account).
    pub operator_address: String,
    /// 0..=1000000.
    pub weight_ppm: u32,
}

/// A create-validator at genesis, as `pold genesis gentx` writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// `pol…` operator account (funded in bank genesis).
    pub operator: String,
    /// base64 of the 32-byte ed25519 key (`pub_key.value` in priv_validator_key.json).
    pub consensus_pubkey: String,
    pub moniker: String,
    pub commission_bps: u32,
    #[serde(with = "u128_string")]
    pub self_bond: u128,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidatorRecord {
    /// `polvaloper…`
    pub operator_address: String,
    /// base64 ed25519 key.
    pub consensus_pubkey: String,
    pub moniker: String,
    pub commission_bps: u32,
    #[serde(with = "u128_string")]
    pub tokens: u128,
    #[serde(with = "u128_string")]
    pub delegator_shares: u128,
    pub jailed: bool,
    /// A string in JSON (a bare number or a string is read): a tombstoned validator's is
    /// `u64::MAX`, which tools that read numbers as doubles would round.
    #[serde(with = "pol_component::json::u64_string")]
    pub jailed_until_height: u64,
    /// `"bonded"`, `"unbonding"` or `"unbonded"`.
    pub status: String,
    pub unbonding_height: u64,
    pub unbonding_completion_height: u64,
    /// Description and commission limits, when cosmos.staking.v1beta1 messages set them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<crate::pb::ValidatorDetails>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisLastPower {
    /// `polvaloper…`
    pub operator_address: String,
    pub power: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDelegation {
    pub delegator_address: String,
    pub validator_address: String,
    #[serde(with = "u128_string")]
    pub shares: u128,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisUnbonding {
    pub id: u64,
    pub delegator_address: String,
    pub validator_address: String,
    #[serde(with = "u128_string")]
    pub amount: u128,
    #[serde(with = "u128_string")]
    pub initial_amount: u128,
    pub creation_height: u64,
    pub completion_height: u64,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn parse_b64_key(s: &str) -> Result<[u8; 32], TxError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| TxError::INVALID_PUBKEY(format!("consensus pubkey is not base64: {e}")))?;
    parse_consensus_pubkey(&bytes)
}

fn status_name(s: BondStatus) -> &'static str {
    match s {
        BondStatus::Bonded => "bonded",
        BondStatus::Unbonding => "unbonding",
        BondStatus::Unbonded => "unbonded",
        BondStatus::Unspecified => "unspecified",
    }
}

fn parse_status(s: &str) -> Result<BondStatus, TxError> {
    match s {
        "bonded" => Ok(BondStatus::Bonded),
        "unbonding" => Ok(BondStatus::Unbonding),
        "unbonded" => Ok(BondStatus::Unbonded),
        other => Err(TxError::INVALID_REQUEST(format!(
            "validator status {other:?}: want bonded, unbonding or unbonded"
        ))),
    }
}

impl GenesisValidator {
    /// The entry for a gentx (what `pold genesis gentx` writes).
    pub fn new(
        operator: &Address,
        consensus_pubkey: &[u8; 32],
        moniker: &str,
        commission_bps: u32,
        self_bond: u128,
    ) -> Self {
        GenesisValidator {
            operator: operator.to_string(),
            consensus_pubkey: b64(consensus_pubkey),
            moniker: moniker.to_string(),
            commission_bps,
            self_bond,
        }
    }

    fn parse(&self) -> Result<(Address, [u8; 32]), TxError> {
        Ok((
            parse_valoper(&self.operator)?,
            parse_b64_key(&self.consensus_pubkey)?,
        ))
    }
}

impl GenesisValidatorRecord {
    fn to_validator(&self) -> Result<Validator, TxError> {
        Ok(Validator {
            operator: parse_valoper(&self.operator_address)?,
            consensus_pubkey: parse_b64_key(&self.consensus_pubkey)?,
            moniker: self.moniker.clone(),
            commission_bps: self.commission_bps,
            tokens: self.tokens,
            delegator_shares: self.delegator_shares,
            jailed: self.jailed,
            jailed_until_height: self.jailed_until_height,
            status: parse_status(&self.status)?,
            unbonding_height: self.unbonding_height,
            unbonding_completion_height: self.unbonding_completion_height,
            details: self.details.clone(),
        })
    }

    fn from_validator(v: &Validator) -> Self {
        GenesisValidatorRecord {
            operator_address: valoper_string(&v.operator),
            consensus_pubkey: b64(&v.consensus_pubkey),
            moniker: v.moniker.clone(),
            commission_bps: v.commission_bps,
            tokens: v.tokens,
            delegator_shares: v.delegator_shares,
            jailed: v.jailed,
            jailed_until_height: v.jailed_until_height,
            status: status_name(v.status).to_string(),
            unbonding_height: v.unbonding_height,
            unbonding_completion_height: v.unbonding_completion_height,
            details: v.details.clone(),
        }
    }
}

impl GenesisDelegation {
    fn to_delegation(&self) -> Result<Delegation, TxError> {
        Ok(Delegation {
            delegator: Address::parse(&self.delegator_address)?,
            validator: parse_valoper(&self.validator_address)?,
            shares: self.shares,
        })
    }
}

impl GenesisUnbonding {
    fn to_entry(&self) -> Result<UnbondingEntry, TxError> {
        Ok(UnbondingEntry {
            id: self.id,
            delegator: Address::parse(&self.delegator_address)?,
            validator: parse_valoper(&self.validator_address)?,
            amount: self.amount,
            initial_amount: self.initial_amount,
            creation_height: self.creation_height,
            completion_height: self.completion_height,
        })
    }
}

fn err(e: TxError) -> String {
    format!("staking genesis: {}", e.log)
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = "staking";

    /// Everything that can be checked without the bank: addresses, keys, uniqueness, that
    /// delegations add up to each validator's shares, and gentx self-bonds.
    fn validate(&self) -> Result<(), String> {
        self.params.validate()?;
        let mut ops = BTreeSet::new();
        let mut keys = BTreeSet::new();
        let mut shares: BTreeMap<Address, u128> = BTreeMap::new();
        for r in &self.validators {
            let v = r.to_validator().map_err(err)?;
            if !ops.insert(v.operator) {
                return Err(format!(
                    "staking genesis: duplicate validator {}",
                    r.operator_address
                ));
            }
            if !keys.insert(consensus_address(&v.consensus_pubkey)) {
                return Err(format!(
                    "staking genesis: consensus key of {} is used twice",
                    r.operator_address
                ));
            }
            if v.commission_bps > msg::MAX_COMMISSION_BPS {
                return Err(format!(
                    "staking genesis: commission of {} above 100%",
                    r.operator_address
                ));
            }
            if let Some(d) = &v.details {
                crate::cosmos_msg::check_genesis_details(v.commission_bps, d)
                    .map_err(|e| format!("staking genesis: {}: {}", r.operator_address, e.log))?;
            }
            if v.status == BondStatus::Unspecified {
                return Err(format!(
                    "staking genesis: status of {} unspecified",
                    r.operator_address
                ));
            }
            shares.insert(v.operator, 0);
        }
        let mut pairs = BTreeSet::new();
        for d in &self.delegations {
            let d = d.to_delegation().map_err(err)?;
            if d.shares == 0 {
                return Err(format!(
                    "staking genesis: zero-share delegation of {}",
                    d.delegator
                ));
            }
            if !pairs.insert((d.delegator, d.validator)) {
                return Err(format!(
                    "staking genesis: duplicate delegation {} → {}",
                    d.delegator,
                    valoper_string(&d.validator)
                ));
            }
            let total = shares.get_mut(&d.validator).ok_or_else(|| {
                format!(
                    "staking genesis: delegation to unknown validator {}",
                    valoper_string(&d.validator)
                )
            })?;
            *total = total
                .checked_add(d.shares)
                .ok_or("staking genesis: delegation shares overflow")?;
        }
        for r in &self.validators {
            let v = r.to_validator().map_err(err)?;
            if shares.get(&v.operator) != Some(&v.delegator_shares) {
                return Err(format!(
                    "staking genesis: delegations to {} hold {:?} shares, the validator says {}",
                    r.operator_address,
                    shares.get(&v.operator),
                    v.delegator_shares
                ));
            }
        }
        let mut ids = BTreeSet::new();
        for u in &self.unbondings {
            let e = u.to_entry().map_err(err)?;
            if !ids.insert(e.id) || e.id == 0 {
                return Err(format!(
                    "staking genesis: unbonding id {} zero or repeated",
                    e.id
                ));
            }
            if !ops.contains(&e.validator) {
                return Err(format!(
                    "staking genesis: unbonding from unknown validator {}",
                    u.validator_address
                ));
            }
            if e.amount > e.initial_amount {
                return Err(format!(
                    "staking genesis: unbonding {} grew past its initial amount",
                    e.id
                ));
            }
        }
        if self.next_unbonding_id != 0 && ids.iter().any(|id| *id >= self.next_unbonding_id) {
            return Err("staking genesis: next_unbonding_id is not past every unbonding id".into());
        }
        self.validate_last_powers()?;
        let mut known_ops = ops.clone();
        for g in &self.gentxs {
            // Checked in full below; the pol weights may name gentx validators.
            if let Ok((op, _)) = g.parse() {
                known_ops.insert(op);
            }
        }
        let mut weighted = BTreeSet::new();
        let mut reserved = BTreeSet::new();
        for k in &self.reserved_consensus_keys {
            let key = decode_consensus_key(k)?;
            if !reserved.insert(key) {
                return Err(format!(
                    "staking genesis: reserved consensus key {k} listed twice"
                ));
            }
            let cons = consensus_address(&key);
            let held = self.validators.iter().any(|v| {
                decode_consensus_key(&v.consensus_pubkey)
                    .is_ok_and(|p| consensus_address(&p) == cons)
            }) || self.gentxs.iter().any(|g| {
                decode_consensus_key(&g.consensus_pubkey)
                    .is_ok_and(|p| consensus_address(&p) == cons)
            });
            if held {
                return Err(format!(
                    "staking genesis: reserved consensus key {k} is a validator's own key"
                ));
            }
        }
        for w in &self.pol_weights {
            let op = parse_valoper(&w.operator_address).map_err(err)?;
            if !known_ops.contains(&op) {
                return Err(format!(
                    "staking genesis: pol weight for unknown validator {}",
                    w.operator_address
                ));
            }
            if !weighted.insert(op) {
                return Err(format!(
                    "staking genesis: pol weight of {} listed twice",
                    w.operator_address
                ));
            }
            if w.weight_ppm > crate::math::PPM {
                return Err(format!(
                    "staking genesis: pol weight {} of {} is above 1000000",
                    w.weight_ppm, w.operator_address
                ));
            }
        }
        for g in &self.gentxs {
            let (op, key) = g.parse().map_err(err)?;
            if !ops.insert(op) {
                return Err(format!(
                    "staking genesis: validator {} created twice",
                    g.operator
                ));
            }
            if !keys.insert(consensus_address(&key)) {
                return Err(format!(
                    "staking genesis: consensus key of gentx {} is already used",
                    g.operator
                ));
            }
            if g.self_bond < self.params.min_self_bond {
                return Err(format!(
                    "staking genesis: gentx {} self-bond {} below min_self_bond {}",
                    g.operator, g.self_bond, self.params.min_self_bond
                ));
            }
            if g.commission_bps > msg::MAX_COMMISSION_BPS {
                return Err(format!(
                    "staking genesis: gentx {} commission above 100%",
                    g.operator
                ));
            }
        }
        Ok(())
    }

    /// Every gentx operator must hold its self-bond in bank genesis (InitChain would fail
    /// otherwise; saying so here catches it at `collect-gentxs` and `genesis validate`).
    /// Exported pools are checked by InitChain against the imported records.
    fn validate_against(&self, app_state: &AppState, _chain: &ChainStart) -> Result<(), String> {
        let bank = app_state.get::<pol_bank::GenesisState>()?;
        let denom = &self.params.bond_denom;
        let mut need: BTreeMap<&str, u128> = BTreeMap::new();
        for g in &self.gentxs {
            let n = need.entry(g.operator.as_str()).or_default();
            *n = n
                .checked_add(g.self_bond)
                .ok_or("staking genesis: gentx self-bonds overflow")?;
        }
        for (operator, need) in need {
            let have: u128 = bank
                .balances
                .iter()
                .filter(|b| b.address == operator)
                .flat_map(|b| b.coins.iter())
                .filter(|c| &c.denom == denom)
                .map(|c| c.amount.parse::<u128>().unwrap_or(0))
                .fold(0u128, u128::saturating_add);
            if have < need {
                return Err(format!(
                    "staking genesis: gentx operator {operator} self-bonds {need}{denom} \
                     but holds {have}{denom} in bank genesis"
                ));
            }
        }
        Ok(())
    }

    /// Load the state, create the gentx validators (moving their self-bonds from bank
    /// balances), and return the initial validator set for `ResponseInitChain` (empty when
    /// no validator has power, in which case CometBFT keeps genesis.json's validators).
    fn init(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        self.validate().map_err(TxError::INVALID_REQUEST)?;
        state.put_staking_params(&self.params);
        let mut bonded: u128 = 0;
        let mut imported_bonded = Vec::new();
        for r in &self.validators {
            let v = r.to_validator()?;
            bonded = bonded
                .checked_add(v.tokens)
                .ok_or_else(|| TxError::INVALID_REQUEST("validator tokens overflow"))?;
            match v.status {
                BondStatus::Unbonding => state.put_raw(
                    state_key::validator_queue(v.unbonding_completion_height, &v.operator),
                    v.operator.as_bytes().to_vec(),
                ),
                BondStatus::Bonded => imported_bonded.push(v.operator),
                _ => {}
            }
            state.put_validator(&v)?;
        }
        for d in &self.delegations {
            state.put_delegation(&d.to_delegation()?);
        }
        let mut unbonding: u128 = 0;
        let mut max_id = 0;
        for u in &self.unbondings {
            let e = u.to_entry()?;
            unbonding = unbonding
                .checked_add(e.amount)
                .ok_or_else(|| TxError::INVALID_REQUEST("unbonding amounts overflow"))?;
            max_id = max_id.max(e.id);
            state.put_unbonding(&e);
        }
        let next = if self.next_unbonding_id != 0 {
            self.next_unbonding_id
        } else {
            max_id.saturating_add(1)
        };
        state.put_proto(state_key::NEXT_UNBONDING_ID.to_vec(), &next);
        for lp in &self.last_powers {
            state.set_last_power(&parse_valoper(&lp.operator_address)?, lp.power);
        }

        let denom = &self.params.bond_denom;
        let have_bonded = state.balance(&bonded_pool(), denom)?;
        let have_unbonding = state.balance(&not_bonded_pool(), denom)?;
        if have_bonded != bonded || have_unbonding != unbonding {
            return Err(TxError::INVALID_REQUEST(format!(
                "staking genesis: pools hold {have_bonded}{denom} bonded and {have_unbonding}{denom} \
                 not bonded, validators and unbondings need {bonded}{denom} and {unbonding}{denom}"
            )));
        }

        for g in &self.gentxs {
            let (op, key) = g.parse()?;
            // No hooks: modules that follow delegations (distribution) come after staking
            // in the module list and initialise what staking's genesis made.
            let hooks = &crate::hooks::NoHooks;
            let mut state = &mut *state;
            msg::create_validator(
                &mut state,
                ctx,
                hooks,
                op,
                key,
                &g.moniker,
                g.commission_bps,
                g.self_bond,
            )
            .map_err(|e| TxError {
                log: format!("staking genesis: gentx {}: {}", g.operator, e.log),
                ..e
            })?;
        }

        for w in &self.pol_weights {
            state.set_pol_weight(&parse_valoper(&w.operator_address)?, w.weight_ppm)?;
        }
        for k in &self.reserved_consensus_keys {
            state
                .reserve_consensus_key(&decode_consensus_key(k).map_err(TxError::INVALID_REQUEST)?);
        }

        // Genesis bonds without hooks: the listening modules' genesis covers these.
        end_block::apply_validator_set(&mut &mut *state, ctx, &crate::hooks::NoHooks)?;
        // Imported BONDED validators that did not make the set start unbonding now (only
        // possible without `last_powers`, which lists exactly the bonded ones).
        for op in imported_bonded {
            if state.last_powers()?.iter().all(|(o, _)| *o != op) {
                if let Some(mut v) = state.validator(&op)? {
                    state.set_validator_status(
                        &mut v,
                        BondStatus::Unbonding,
                        ctx.height,
                        self.params.unbonding_blocks,
                    )?;
                    state.put_validator(&v)?;
                }
            }
        }
        // CometBFT starts with the whole stored set: the imported last powers as updated
        // above, or (new chain) what apply_validator_set just chose.
        let mut set = Vec::new();
        for (op, power) in state.last_powers()? {
            let v = state.validator(&op)?.ok_or_else(|| {
                TxError::INTERNAL(format!(
                    "last power of unknown validator {}",
                    valoper_string(&op)
                ))
            })?;
            set.push(end_block::validator_update(&v.consensus_pubkey, power));
        }
        Ok(set)
    }

    /// The staking part of an exported genesis (gentxs are already applied, so none).
    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        Ok(GenesisState {
            params: state.staking_params()?,
            validators: state
                .all_validators()?
                .iter()
                .map(GenesisValidatorRecord::from_validator)
                .collect(),
            delegations: state
                .all_delegations()?
                .iter()
                .map(|d| GenesisDelegation {
                    delegator_address: d.delegator.to_string(),
                    validator_address: valoper_string(&d.validator),
                    shares: d.shares,
                })
                .collect(),
            unbondings: state
                .all_unbondings()?
                .iter()
                .map(|e| GenesisUnbonding {
                    id: e.id,
                    delegator_address: e.delegator.to_string(),
                    validator_address: valoper_string(&e.validator),
                    amount: e.amount,
                    initial_amount: e.initial_amount,
                    creation_height: e.creation_height,
                    completion_height: e.completion_height,
                })
                .collect(),
            next_unbonding_id: state.next_unbonding_id()?,
            last_powers: state
                .last_powers()?
                .into_iter()
                .map(|(op, power)| GenesisLastPower {
                    operator_address: valoper_string(&op),
                    power,
                })
                .collect(),
            gentxs: Vec::new(),
            pol_weights: state
                .all_pol_weights()?
                .into_iter()
                .map(|(op, weight_ppm)| GenesisPolWeight {
                    operator_address: valoper_string(&op),
                    weight_ppm,
                })
                .collect(),
            reserved_consensus_keys: state
                .reserved_consensus_keys()?
                .iter()
                .map(|k| base64::engine::general_purpose::STANDARD.encode(k))
                .collect(),
        })
    }
}

impl GenesisState {
    /// `last_powers`: known validators, each once, with a power CometBFT accepts, and
    /// exactly the BONDED ones (end-of-block keeps the two in step).
    fn validate_last_powers(&self) -> Result<(), String> {
        if self.last_powers.is_empty() {
            return Ok(());
        }
        if self.last_powers.len() > MAX_MAX_VALIDATORS as usize {
            return Err(format!(
                "staking genesis: {} last powers, at most {MAX_MAX_VALIDATORS}",
                self.last_powers.len()
            ));
        }
        let mut bonded: BTreeSet<Address> = BTreeSet::new();
        for r in &self.validators {
            let v = r.to_validator().map_err(err)?;
            if v.status == BondStatus::Bonded {
                bonded.insert(v.operator);
            }
        }
        let mut listed = BTreeSet::new();
        for lp in &self.last_powers {
            let op = parse_valoper(&lp.operator_address).map_err(err)?;
            if !listed.insert(op) {
                return Err(format!(
                    "staking genesis: last power of {} listed twice",
                    lp.operator_address
                ));
            }
            if lp.power <= 0 || lp.power > MAX_VALIDATOR_POWER {
                return Err(format!(
                    "staking genesis: last power {} of {} outside 1..={MAX_VALIDATOR_POWER}",
                    lp.power, lp.operator_address
                ));
            }
            if !bonded.contains(&op) {
                return Err(format!(
                    "staking genesis: last power for {}, which is not a bonded validator",
                    lp.operator_address
                ));
            }
        }
        if let Some(missing) = bonded.difference(&listed).next() {
            return Err(format!(
                "staking genesis: bonded validator {} has no last power",
                valoper_string(missing)
            ));
        }
        Ok(())
    }
}

/// A base64 ed25519 consensus key, checked as a curve point.
fn decode_consensus_key(s: &str) -> Result<[u8; 32], String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("staking genesis: consensus key {s:?} is not base64: {e}"))?;
    parse_consensus_pubkey(&bytes)
        .map_err(|e| format!("staking genesis: consensus key {s:?}: {}", e.log))
}

#[cfg(test)]
mod tests {
    use pol_auth::AuthWrite;
    use pol_store::{MemState, StateDelta};

    use super::*;
    use crate::slashing::{Slashing, ValidatorRef};
    use crate::tests::{addr, create, ctx, delegate, pubkey, setup, undelegate, State, M};

    fn all(state: &impl StateRead) -> Vec<(Vec<u8>, Vec<u8>)> {
        pol_component::state::scan(state, b"").unwrap()
    }

    /// Export auth, bank and staking, import them into an empty state as InitChain does,
    /// and require the very same keys and values. Returns the initial validator set.
    fn round_trip(s: &State, height: u64) -> Vec<ValidatorUpdate> {
        let auth = pol_auth::GenesisState::export(s).unwrap();
        let bank = pol_bank::GenesisState::export(s).unwrap();
        let staking = GenesisState::export(s).unwrap();
        staking.validate().unwrap();
        let json = serde_json::to_string(&staking).unwrap();
        let staking: GenesisState = serde_json::from_str(&json).unwrap();
        let mut fresh = StateDelta::new(MemState::default());
        auth.init(&mut fresh, &Default::default()).unwrap();
        bank.init(&mut fresh, &Default::default()).unwrap();
        let set = staking.init(&mut fresh, &ctx(height + 1)).unwrap();
        let (want, got) = (all(s), all(&fresh));
        for (k, v) in &want {
            let other = got.iter().find(|(k2, _)| k2 == k).map(|(_, v)| v);
            assert_eq!(
                other,
                Some(v),
                "key {} differs after import",
                String::from_utf8_lossy(k)
            );
        }
        let extra: Vec<_> = got
            .iter()
            .filter(|(k, _)| want.iter().all(|(k2, _)| k2 != k))
            .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
            .collect();
        assert!(extra.is_empty(), "import wrote extra keys {extra:?}");
        set
    }

    fn powers(set: &[ValidatorUpdate]) -> Vec<i64> {
        set.iter().map(|u| u.power).collect()
    }

    #[test]
    fn export_import_recreates_every_key() {
        let mut s = setup(100 * M);
        s.put_auth_params(&pol_auth::Params::default());
        // Four validators for three seats, delegations, an unbonding, a jailing.
        for op in 1..=4 {
            create(&mut s, op, op, (op as u128 + 1) * M).unwrap();
        }
        end_block::end_block(&mut s, &ctx(1)).unwrap();
        delegate(&mut s, 5, 1, 7 * M).unwrap();
        delegate(&mut s, 6, 3, 3 * M + 17).unwrap();
        undelegate(&mut s, 2, 6, 3, M).unwrap();
        s.slash(
            &ctx(2),
            &crate::NoHooks,
            ValidatorRef::Operator(addr(1)),
            1_000,
            "t",
        )
        .unwrap();
        s.jail(&ctx(2), ValidatorRef::Operator(addr(2)), 50, "t")
            .unwrap();
        end_block::end_block(&mut s, &ctx(2)).unwrap();
        assert_eq!(
            s.validator(&addr(2)).unwrap().unwrap().status,
            BondStatus::Unbonding
        );
        let exported = GenesisState::export(&s).unwrap();
        assert_eq!(exported.last_powers.len(), 3);
        let set = round_trip(&s, 2);
        // CometBFT starts with the stored set, in operator order.
        let stored: Vec<i64> = s.last_powers().unwrap().iter().map(|(_, p)| *p).collect();
        assert_eq!(powers(&set), stored);
        assert_eq!(set[0], end_block::validator_update(&pubkey(1), stored[0]));
    }

    #[test]
    fn a_kept_set_of_jailed_validators_round_trips() {
        // With no candidate left, end-block keeps the last set; so does the import, where
        // recomputing the set would find none and leave CometBFT without validators.
        // Built the way a chain is: genesis with a gentx (which also stores the next
        // unbonding id), then blocks.
        let mut s = setup(100 * M);
        s.put_auth_params(&pol_auth::Params::default());
        let genesis = GenesisState {
            params: crate::tests::test_params(),
            gentxs: vec![GenesisValidator::new(
                &addr(1),
                &pubkey(1),
                "one",
                0,
                10 * M,
            )],
            ..Default::default()
        };
        assert_eq!(
            genesis.init(&mut s, &ctx(1)).unwrap(),
            vec![end_block::validator_update(&pubkey(1), 10)]
        );
        end_block::end_block(&mut s, &ctx(1)).unwrap();
        s.jail(&ctx(2), ValidatorRef::Operator(addr(1)), 5, "t")
            .unwrap();
        end_block::end_block(&mut s, &ctx(2)).unwrap();
        let set = round_trip(&s, 2);
        assert_eq!(set, vec![end_block::validator_update(&pubkey(1), 10)]);
    }

    #[test]
    fn last_powers_must_match_the_bonded_validators() {
        let mut s = setup(100 * M);
        create(&mut s, 1, 1, 10 * M).unwrap();
        create(&mut s, 2, 2, 5 * M).unwrap();
        end_block::end_block(&mut s, &ctx(1)).unwrap();
        let good = GenesisState::export(&s).unwrap();
        good.validate().unwrap();
        let mut g = good.clone();
        g.last_powers.pop();
        assert!(g.validate().unwrap_err().contains("has no last power"));
        let mut g = good.clone();
        g.last_powers[0].power = 0;
        assert!(g.validate().unwrap_err().contains("outside"));
        let mut g = good.clone();
        g.last_powers.push(g.last_powers[0].clone());
        assert!(g.validate().unwrap_err().contains("twice"));
        let mut g = good.clone();
        g.validators[1].status = "unbonded".into();
        assert!(g.validate().unwrap_err().contains("not a bonded validator"));
        let mut g = good;
        g.last_powers[1].operator_address = valoper_string(&addr(9));
        assert!(g.validate().is_err());
    }
}
