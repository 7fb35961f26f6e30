//! Domain types (u128 amounts, byte addresses) and their protobuf forms.

use pol_component::coins::parse_amount;
use pol_component::{Address, TxError};
use pol_store::StoreError;
use sha2::Digest as _;

use crate::pb;
use crate::{VALCONS_PREFIX, VALOPER_PREFIX};

pub use crate::pb::{BondStatus, SlashDestination};

/// `polvaloper…` of an operator.
pub fn valoper_string(addr: &Address) -> String {
    bech32(VALOPER_PREFIX, addr.as_bytes())
}

/// `polvalcons…` of a consensus address.
pub fn valcons_string(cons: &[u8; 20]) -> String {
    bech32(VALCONS_PREFIX, cons)
}

fn bech32(prefix: &str, bytes: &[u8]) -> String {
    cosmrs::AccountId::new(prefix, bytes)
        .map(|a| a.to_string())
        .unwrap_or_else(|_| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Parse a validator operator address: `polvaloper…`, or the operator's `pol…` account.
pub fn parse_valoper(s: &str) -> Result<Address, TxError> {
    let id: cosmrs::AccountId = s
        .parse()
        .map_err(|e| TxError::INVALID_ADDRESS(format!("invalid validator address {s:?}: {e}")))?;
    if id.prefix() != VALOPER_PREFIX && id.prefix() != pol_component::ADDRESS_PREFIX {
        return Err(TxError::INVALID_ADDRESS(format!(
            "invalid validator address {s:?}: prefix {:?}, want {VALOPER_PREFIX:?}",
            id.prefix()
        )));
    }
    Address::from_slice(&id.to_bytes()).ok_or_else(|| {
        TxError::INVALID_ADDRESS(format!("invalid validator address {s:?}: must be 20 bytes"))
    })
}

/// Parse a `polvalcons…` consensus address.
pub fn parse_valcons(s: &str) -> Result<[u8; 20], TxError> {
    let id: cosmrs::AccountId = s
        .parse()
        .map_err(|e| TxError::INVALID_ADDRESS(format!("invalid consensus address {s:?}: {e}")))?;
    if id.prefix() != VALCONS_PREFIX {
        return Err(TxError::INVALID_ADDRESS(format!(
            "invalid consensus address {s:?}: prefix {:?}, want {VALCONS_PREFIX:?}",
            id.prefix()
        )));
    }
    id.to_bytes().as_slice().try_into().map_err(|_| {
        TxError::INVALID_ADDRESS(format!("invalid consensus address {s:?}: must be 20 bytes"))
    })
}

/// CometBFT's address of an ed25519 key: the first 20 bytes of its SHA-256.
pub fn consensus_address(pubkey: &[u8; 32]) -> [u8; 20] {
    let d = sha2::Sha256::digest(pubkey);
    let mut out = [0u8; 20];
    out.copy_from_slice(&d[..20]);
    out
}

/// A 32-byte ed25519 public key that is a valid curve point (CometBFT halts on bad ones).
pub fn parse_consensus_pubkey(bytes: &[u8]) -> Result<[u8; 32], TxError> {
    let key: [u8; 32] = bytes.try_into().map_err(|_| {
        TxError::INVALID_PUBKEY(format!(
            "consensus pubkey must be a 32-byte ed25519 key, got {} bytes",
            bytes.len()
        ))
    })?;
    ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| {
        TxError::INVALID_PUBKEY("consensus pubkey is not a valid ed25519 point".to_string())
    })?;
    Ok(key)
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("staking {what}: {e}"))
}

fn amount(what: &str, s: &str) -> Result<u128, StoreError> {
    parse_amount(s).ok_or_else(|| corrupt(what, format!("bad amount {s:?}")))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validator {
    pub operator: Address,
    pub consensus_pubkey: [u8; 32],
    pub moniker: String,
    pub commission_bps: u32,
    pub tokens: u128,
    pub delegator_shares: u128,
    pub jailed: bool,
    pub jailed_until_height: u64,
    pub status: BondStatus,
    pub unbonding_height: u64,
    pub unbonding_completion_height: u64,
    /// Description and commission limits from cosmos.staking.v1beta1 messages.
    pub details: Option<pb::ValidatorDetails>,
}

impl Validator {
    pub fn consensus_address(&self) -> [u8; 20] {
        consensus_address(&self.consensus_pubkey)
    }

    /// Power at full PoL weight: tokens / 10⁶, capped so the total stays under CometBFT's
    /// bound. CometBFT gets [`Validator::weighted_power`] (see `StakingRead::voting_power`).
    pub fn power(&self) -> i64 {
        crate::math::weighted_power(self.tokens, crate::math::PPM)
    }

    /// CometBFT voting power at PoL weight `weight_ppm`:
    /// `tokens × weight_ppm / 10⁶ / POWER_REDUCTION`, floored, capped.
    pub fn weighted_power(&self, weight_ppm: u32) -> i64 {
        crate::math::weighted_power(self.tokens, weight_ppm)
    }

    /// In the power index: may be chosen for the active set.
    pub fn is_candidate(&self) -> bool {
        !self.jailed && self.tokens >= crate::POWER_REDUCTION
    }

    pub fn to_proto(&self) -> pb::Validator {
        pb::Validator {
            operator_address: valoper_string(&self.operator),
            consensus_pubkey: self.consensus_pubkey.to_vec(),
            moniker: self.moniker.clone(),
            commission_bps: self.commission_bps,
            tokens: self.tokens.to_string(),
            delegator_shares: self.delegator_shares.to_string(),
            jailed: self.jailed,
            jailed_until_height: self.jailed_until_height,
            status: self.status as i32,
            unbonding_height: self.unbonding_height,
            unbonding_completion_height: self.unbonding_completion_height,
            consensus_address: String::new(),
            pol_weight_ppm: 0,
            voting_power: 0,
            details: self.details.clone(),
        }
    }

    /// The proto form with the `polvalcons` address, the PoL weight and the voting power
    /// that weight gives filled in (queries).
    pub fn to_query_proto(&self, weight_ppm: u32) -> pb::Validator {
        let mut p = self.to_proto();
        p.consensus_address = valcons_string(&self.consensus_address());
        p.pol_weight_ppm = weight_ppm;
        p.voting_power = self.weighted_power(weight_ppm);
        p
    }

    pub fn from_proto(p: &pb::Validator) -> Result<Self, StoreError> {
        Ok(Validator {
            operator: parse_valoper(&p.operator_address).map_err(|e| corrupt("validator", e))?,
            consensus_pubkey: p
                .consensus_pubkey
                .as_slice()
                .try_into()
                .map_err(|_| corrupt("validator", "consensus pubkey is not 32 bytes"))?,
            moniker: p.moniker.clone(),
            commission_bps: p.commission_bps,
            tokens: amount("validator tokens", &p.tokens)?,
            delegator_shares: amount("validator shares", &p.delegator_shares)?,
            jailed: p.jailed,
            jailed_until_height: p.jailed_until_height,
            status: BondStatus::try_from(p.status).map_err(|e| corrupt("validator status", e))?,
            unbonding_height: p.unbonding_height,
            unbonding_completion_height: p.unbonding_completion_height,
            details: p.details.clone(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delegation {
    pub delegator: Address,
    pub validator: Address,
    pub shares: u128,
}

impl Delegation {
    pub fn to_proto(&self) -> pb::Delegation {
        pb::Delegation {
            delegator_address: self.delegator.to_string(),
            validator_address: valoper_string(&self.validator),
            shares: self.shares.to_string(),
        }
    }

    pub fn from_proto(p: &pb::Delegation) -> Result<Self, StoreError> {
        Ok(Delegation {
            delegator: Address::parse(&p.delegator_address)
                .map_err(|e| corrupt("delegation", e))?,
            validator: parse_valoper(&p.validator_address).map_err(|e| corrupt("delegation", e))?,
            shares: amount("delegation shares", &p.shares)?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnbondingEntry {
    pub id: u64,
    pub delegator: Address,
    pub validator: Address,
    pub amount: u128,
    pub initial_amount: u128,
    pub creation_height: u64,
    pub completion_height: u64,
}

impl UnbondingEntry {
    pub fn to_proto(&self) -> pb::UnbondingEntry {
        pb::UnbondingEntry {
            id: self.id,
            delegator_address: self.delegator.to_string(),
            validator_address: valoper_string(&self.validator),
            amount: self.amount.to_string(),
            initial_amount: self.initial_amount.to_string(),
            creation_height: self.creation_height,
            completion_height: self.completion_height,
        }
    }

    pub fn from_proto(p: &pb::UnbondingEntry) -> Result<Self, StoreError> {
        Ok(UnbondingEntry {
            id: p.id,
            delegator: Address::parse(&p.delegator_address).map_err(|e| corrupt("unbonding", e))?,
            validator: parse_valoper(&p.validator_address).map_err(|e| corrupt("unbonding", e))?,
            amount: amount("unbonding amount", &p.amount)?,
            initial_amount: amount("unbonding initial amount", &p.initial_amount)?,
            creation_height: p.creation_height,
            completion_height: p.completion_height,
        })
    }
}
