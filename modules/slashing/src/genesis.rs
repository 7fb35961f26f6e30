//! `slashing` genesis, in the SDK's JSON shape. A new chain lists no records: InitChain
//! starts a record for every validator staking's genesis bonded. An export lists every
//! record and every missed block of the current windows, and InitChain loads them as they
//! are.

use std::collections::{BTreeMap, BTreeSet};

use pol_component::json::u64_string;
use pol_component::{BlockContext, ModuleGenesis, TxError};
use pol_staking::types::{parse_valcons, valcons_string};
use pol_staking::{BondStatus, StakingRead};
use pol_store::{StateRead, StateWrite};
use serde::{Deserialize, Serialize};
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::params::Params;
use crate::signing_info::SigningInfo;
use crate::time::timestamp_string;
use crate::{SlashingRead, SlashingWrite};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisState {
    pub params: Params,
    pub signing_infos: Vec<SigningInfoRecord>,
    pub missed_blocks: Vec<MissedBlocksRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningInfoRecord {
    pub address: String,
    pub validator_signing_info: SigningInfoJson,
}

/// `ValidatorSigningInfo` as the SDK's JSON writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningInfoJson {
    pub address: String,
    #[serde(with = "u64_string")]
    pub start_height: u64,
    #[serde(with = "u64_string")]
    pub index_offset: u64,
    #[serde(with = "timestamp_string")]
    pub jailed_until: i128,
    pub tombstoned: bool,
    #[serde(with = "u64_string")]
    pub missed_blocks_counter: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedBlocksRecord {
    pub address: String,
    pub missed_blocks: Vec<MissedBlock>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedBlock {
    #[serde(with = "u64_string")]
    pub index: u64,
    pub missed: bool,
}

impl SigningInfoJson {
    fn from_info(i: &SigningInfo) -> Self {
        SigningInfoJson {
            address: valcons_string(&i.address),
            start_height: i.start_height,
            index_offset: i.index_offset,
            jailed_until: i.jailed_until,
            tombstoned: i.tombstoned,
            missed_blocks_counter: i.missed_blocks_counter,
        }
    }

    fn to_info(&self) -> Result<SigningInfo, String> {
        Ok(SigningInfo {
            address: parse_valcons(&self.address).map_err(|e| err(e.log))?,
            start_height: self.start_height,
            index_offset: self.index_offset,
            jailed_until: self.jailed_until,
            tombstoned: self.tombstoned,
            missed_blocks_counter: self.missed_blocks_counter,
        })
    }
}

fn err(e: impl std::fmt::Display) -> String {
    format!("slashing genesis: {e}")
}

impl GenesisState {
    /// The records by consensus address, and the missed indices of each, checked.
    #[allow(clippy::type_complexity)]
    fn checked(&self) -> Result<(Vec<SigningInfo>, BTreeMap<[u8; 20], Vec<u64>>), String> {
        let window = self.params.signed_blocks_window;
        let mut infos = Vec::new();
        let mut seen = BTreeSet::new();
        for r in &self.signing_infos {
            let info = r.validator_signing_info.to_info()?;
            let address = parse_valcons(&r.address).map_err(|e| err(e.log))?;
            if address != info.address {
                return Err(err(format!(
                    "signing info listed under {} names {}",
                    r.address, r.validator_signing_info.address
                )));
            }
            if !seen.insert(address) {
                return Err(err(format!("two signing infos for {}", r.address)));
            }
            infos.push(info);
        }
        let mut missed: BTreeMap<[u8; 20], Vec<u64>> = BTreeMap::new();
        for r in &self.missed_blocks {
            let address = parse_valcons(&r.address).map_err(|e| err(e.log))?;
            if !seen.contains(&address) {
                return Err(err(format!(
                    "missed blocks of {} who has no signing info",
                    r.address
                )));
            }
            let list = missed.entry(address).or_default();
            if !list.is_empty() {
                return Err(err(format!("two missed-block lists for {}", r.address)));
            }
            let mut indices = BTreeSet::new();
            for b in &r.missed_blocks {
                if b.index >= window {
                    return Err(err(format!(
                        "{} missed block index {} is outside the window of {window}",
                        r.address, b.index
                    )));
                }
                if !indices.insert(b.index) {
                    return Err(err(format!(
                        "{} lists missed block index {} twice",
                        r.address, b.index
                    )));
                }
                if b.missed {
                    list.push(b.index);
                }
            }
        }
        for info in &infos {
            let count = missed.get(&info.address).map_or(0, Vec::len) as u64;
            if count != info.missed_blocks_counter {
                return Err(err(format!(
                    "{} counts {} missed blocks but lists {count}",
                    valcons_string(&info.address),
                    info.missed_blocks_counter
                )));
            }
        }
        Ok((infos, missed))
    }
}

impl ModuleGenesis for GenesisState {
    const MODULE: &'static str = crate::MODULE;

    fn validate(&self) -> Result<(), String> {
        self.params.validate()?;
        self.checked().map(|_| ())
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError> {
        let (infos, missed) = self.checked().map_err(TxError::INVALID_REQUEST)?;
        state.put_slashing_params(&self.params);
        for info in &infos {
            state.put_signing_info(info);
        }
        for (cons, indices) in &missed {
            for index in indices {
                state.set_missed_block(cons, *index, true);
            }
        }
        // Validators staking's genesis bonded start their record here (a new chain; an
        // export lists theirs).
        for v in state.all_validators()? {
            let cons = v.consensus_address();
            if v.status == BondStatus::Bonded && state.signing_info(&cons)?.is_none() {
                state.put_signing_info(&SigningInfo::new(cons, ctx.height));
            }
        }
        Ok(Vec::new())
    }

    fn export(state: &dyn StateRead) -> Result<Self, TxError> {
        let mut signing_infos = Vec::new();
        let mut missed_blocks = Vec::new();
        for info in state.signing_infos()? {
            let address = valcons_string(&info.address);
            let indices = state.missed_indices(&info.address)?;
            if !indices.is_empty() {
                missed_blocks.push(MissedBlocksRecord {
                    address: address.clone(),
                    missed_blocks: indices
                        .into_iter()
                        .map(|index| MissedBlock {
                            index,
                            missed: true,
                        })
                        .collect(),
                });
            }
            signing_infos.push(SigningInfoRecord {
                address,
                validator_signing_info: SigningInfoJson::from_info(&info),
            });
        }
        Ok(GenesisState {
            params: state.slashing_params()?,
            signing_infos,
            missed_blocks,
        })
    }
}
