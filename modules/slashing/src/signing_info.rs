//! A validator's liveness record (`cosmos.slashing.v1beta1.ValidatorSigningInfo`).

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use pol_staking::types::{parse_valcons, valcons_string};

use crate::time::{timestamp_from_proto, timestamp_to_proto};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningInfo {
    /// CometBFT consensus address.
    pub address: [u8; 20],
    /// Height from which its liveness counts (when it last entered the set).
    pub start_height: u64,
    /// Blocks of its commit seen since then; `index_offset % window` is the bitmap slot.
    pub index_offset: u64,
    /// Block time (Unix nanoseconds) before which it may not unjail.
    pub jailed_until: i128,
    /// Double-signed: it can never unjail.
    pub tombstoned: bool,
    /// Missed blocks in the current window (the bitmap's count).
    pub missed_blocks_counter: u64,
}

impl SigningInfo {
    /// A fresh record for a validator entering the set at `height`.
    pub fn new(address: [u8; 20], start_height: u64) -> Self {
        SigningInfo {
            address,
            start_height,
            index_offset: 0,
            jailed_until: 0,
            tombstoned: false,
            missed_blocks_counter: 0,
        }
    }

    pub fn to_proto(&self) -> pb::ValidatorSigningInfo {
        pb::ValidatorSigningInfo {
            address: valcons_string(&self.address),
            start_height: i64::try_from(self.start_height).unwrap_or(i64::MAX),
            index_offset: i64::try_from(self.index_offset).unwrap_or(i64::MAX),
            jailed_until: Some(timestamp_to_proto(self.jailed_until)),
            tombstoned: self.tombstoned,
            missed_blocks_counter: i64::try_from(self.missed_blocks_counter).unwrap_or(i64::MAX),
        }
    }

    pub fn from_proto(p: &pb::ValidatorSigningInfo) -> Result<Self, String> {
        let non_negative = |name: &str, v: i64| {
            u64::try_from(v).map_err(|_| format!("signing info {}: {name} is negative", p.address))
        };
        Ok(SigningInfo {
            address: parse_valcons(&p.address).map_err(|e| e.log)?,
            start_height: non_negative("start_height", p.start_height)?,
            index_offset: non_negative("index_offset", p.index_offset)?,
            jailed_until: timestamp_from_proto(p.jailed_until.as_ref()),
            tombstoned: p.tombstoned,
            missed_blocks_counter: non_negative("missed_blocks_counter", p.missed_blocks_counter)?,
        })
    }
}
