//! The injected latency report: the proposer of H+1 places the extended commit info of H
//! (every validator's vote extension and its signature) in the block's first transaction,
//! and every validator checks it before accepting the block.
//!
//! The transaction is [`INJECTED_TX_PREFIX`] followed by the protobuf encoding of
//! `tendermint.abci.ExtendedCommitInfo`. The prefix cannot begin a Cosmos `TxRaw` (its
//! first byte, `p` = 0x70, is field 14 with wire type 0, which TxRaw does not have, and
//! CheckTx refuses any tx that starts with it), so nobody can slip one in through the mempool.
//!
//! Checked against the commit CometBFT itself decided on (`proposed_last_commit` in
//! ProcessProposal, `decided_last_commit` in FinalizeBlock): the same validators with the
//! same powers and flags in the same order and the same round, or the whole report is
//! refused. Each commit vote then counts only if its extension signature verifies (strict
//! ed25519) with the key the chain gave CometBFT for that address, over CometBFT's
//! canonical sign bytes, and its extension passes [`crate::extension::check_structure`];
//! a vote that fails is *ignored*, not fatal, and the votes that count must hold more than
//! 2/3 of the power.
//!
//! Why ignore rather than refuse: CometBFT 0.38 adds a precommit that arrives during
//! `timeout_commit` to the last commit without asking the app's VerifyVoteExtension, and
//! it verifies extension signatures with ZIP-215 rules, looser than strict ed25519. A
//! single Byzantine validator could otherwise put a vote into every honest proposer's
//! extended commit that makes the whole report invalid, and no latency would ever be
//! measured. Ignoring is safe: a proposer can drop votes only by failing them (it cannot
//! forge one), and with more than 2/3 of the power counted and Byzantine validators below
//! 1/3, honest power outweighs Byzantine power among the counted votes, which is what the
//! weighted median needs.

use ed25519_dalek::{Signature, VerifyingKey};
use pol_store::{StateRead, StoreError};
use prost::Message;
use tendermint_proto::v0_38::abci::{CommitInfo, ExtendedCommitInfo};
use tendermint_proto::v0_38::types::{BlockIdFlag, CanonicalVoteExtension};

use crate::extension::{check_structure, ExtensionError};
use crate::pb::{Params, VoteExtension};
use crate::view::LatencyRead;

/// Marks the injected transaction.
pub const INJECTED_TX_PREFIX: &[u8] = b"pol/latency-report/v1\0";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CommitError {
    #[error("injected report does not decode: {0}")]
    Decode(String),
    #[error("injected report is for round {found}, the commit is of round {expected}")]
    Round { found: i32, expected: i32 },
    #[error("injected report has {found} votes, the commit {expected}")]
    VoteCount { found: usize, expected: usize },
    #[error("vote {0}: validator, power or flag differ from the commit")]
    VoteMismatch(usize),
    #[error("injected report is not canonically encoded")]
    NotCanonical,
    #[error("vote {0}: validator address must be 20 bytes")]
    Address(usize),
    #[error("vote {0}: a vote that is not for the block carries an extension")]
    StrayExtension(usize),
    #[error("power of the counted votes {signed} of {total} is not more than 2/3")]
    NotEnoughPower { signed: i64, total: i64 },
    #[error("state: {0}")]
    State(String),
}

impl From<StoreError> for CommitError {
    fn from(e: StoreError) -> Self {
        CommitError::State(e.to_string())
    }
}

/// Why a commit vote's extension does not count.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VoteFault {
    #[error("no consensus key is known for this validator")]
    UnknownValidator,
    #[error("invalid consensus key")]
    BadKey,
    #[error("extension signature does not verify")]
    BadSignature,
    #[error("{0}")]
    Extension(ExtensionError),
}

/// A commit vote whose extension was ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredVote {
    /// Position in the commit.
    pub index: usize,
    pub validator: [u8; 20],
    pub power: i64,
    pub fault: VoteFault,
}

/// One validator's checked vote extension.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedVote {
    pub validator: [u8; 20],
    pub power: i64,
    pub extension: VoteExtension,
    /// Why the extension failed its probing challenge ([`crate::evidence`]), if it did: it
    /// counts, but every report in it is an outlier.
    pub unbacked: Option<String>,
}

/// The checked content of an injected report.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedCommit {
    /// The height the votes were cast at.
    pub height: u64,
    /// Votes for the block whose extension counts, in commit order.
    pub votes: Vec<VerifiedVote>,
    /// Votes for the block whose extension failed its checks, in commit order.
    pub ignored: Vec<IgnoredVote>,
    /// Power of every validator in the commit, voting or not.
    pub total_power: i64,
    /// Every validator of the commit (address, power) in commit order, voting or not: what
    /// a proposer cannot change by blanking or leaving out votes.
    pub validators: Vec<([u8; 20], i64)>,
}

pub fn is_injected(tx: &[u8]) -> bool {
    tx.starts_with(INJECTED_TX_PREFIX)
}

pub fn encode_injected(info: &ExtendedCommitInfo) -> Vec<u8> {
    let mut tx = INJECTED_TX_PREFIX.to_vec();
    info.encode(&mut tx).expect("a Vec grows as needed");
    tx
}

pub fn decode_injected(tx: &[u8]) -> Result<ExtendedCommitInfo, CommitError> {
    let body = tx
        .strip_prefix(INJECTED_TX_PREFIX)
        .ok_or_else(|| CommitError::Decode("missing prefix".into()))?;
    let info = ExtendedCommitInfo::decode(body).map_err(|e| CommitError::Decode(e.to_string()))?;
    // One encoding per report: a proposer may not pad it or change its tx hash.
    if info.encoded_len() != body.len() || info.encode_to_vec() != body {
        return Err(CommitError::NotCanonical);
    }
    Ok(info)
}

/// The report a proposer injects: `info` with the extension and signature of every ignored
/// vote emptied (they would not count anyway; an oversized one would only cost block
/// space). The votes, flags and powers stay those of the decided commit.
pub fn strip_ignored(info: &ExtendedCommitInfo, ignored: &[IgnoredVote]) -> ExtendedCommitInfo {
    let mut info = info.clone();
    for i in ignored {
        if let Some(vote) = info.votes.get_mut(i.index) {
            vote.vote_extension = Default::default();
            vote.extension_signature = Default::default();
        }
    }
    info
}

/// CometBFT's bytes a validator signs for its vote extension: the length-delimited
/// `CanonicalVoteExtension` (types/vote.go `VoteExtensionSignBytes`).
pub fn vote_extension_sign_bytes(
    chain_id: &str,
    height: u64,
    round: i32,
    extension: &[u8],
) -> Vec<u8> {
    CanonicalVoteExtension {
        extension: extension.to_vec(),
        height: i64::try_from(height).unwrap_or(i64::MAX),
        round: i64::from(round),
        chain_id: chain_id.to_string(),
    }
    .encode_length_delimited_to_vec()
}

/// The commit info CometBFT would report for an extended commit: what a proposer checks
/// its own injection against.
pub fn commit_info_of(info: &ExtendedCommitInfo) -> CommitInfo {
    CommitInfo {
        round: info.round,
        votes: info
            .votes
            .iter()
            .map(|v| tendermint_proto::v0_38::abci::VoteInfo {
                validator: v.validator.clone(),
                block_id_flag: v.block_id_flag,
            })
            .collect(),
    }
}

/// Checks an injected extended commit for the votes of `vote_height`; see the module
/// comment for what is checked.
pub fn verify<S: StateRead>(
    state: &S,
    chain_id: &str,
    vote_height: u64,
    info: &ExtendedCommitInfo,
    decided: &CommitInfo,
    params: &Params,
) -> Result<VerifiedCommit, CommitError> {
    if info.round != decided.round {
        return Err(CommitError::Round {
            found: info.round,
            expected: decided.round,
        });
    }
    if info.votes.len() != decided.votes.len() {
        return Err(CommitError::VoteCount {
            found: info.votes.len(),
            expected: decided.votes.len(),
        });
    }
    let challenge =
        crate::evidence::Challenge::at(state, params, state.last_block()?, vote_height)?;
    let mut total: i64 = 0;
    let mut signed: i64 = 0;
    let mut votes = Vec::new();
    let mut ignored = Vec::new();
    let mut validators = Vec::with_capacity(info.votes.len());
    for (index, (vote, expected)) in info.votes.iter().zip(&decided.votes).enumerate() {
        if vote.validator != expected.validator || vote.block_id_flag != expected.block_id_flag {
            return Err(CommitError::VoteMismatch(index));
        }
        let validator = vote.validator.as_ref().ok_or(CommitError::Address(index))?;
        let address: [u8; 20] = validator
            .address
            .as_ref()
            .try_into()
            .map_err(|_| CommitError::Address(index))?;
        let power = validator.power.max(0);
        total = total.saturating_add(power);
        validators.push((address, power));
        if vote.block_id_flag != BlockIdFlag::Commit as i32 {
            if !vote.vote_extension.is_empty() || !vote.extension_signature.is_empty() {
                return Err(CommitError::StrayExtension(index));
            }
            continue;
        }
        match check_vote(
            state,
            chain_id,
            vote_height,
            info.round,
            &address,
            vote,
            params,
        )? {
            Ok(extension) => {
                signed = signed.saturating_add(power);
                let unbacked = crate::evidence::check(
                    state, chain_id, params, &challenge, &address, &extension,
                )
                .err();
                votes.push(VerifiedVote {
                    validator: address,
                    power,
                    extension,
                    unbacked,
                });
            }
            Err(fault) => ignored.push(IgnoredVote {
                index,
                validator: address,
                power,
                fault,
            }),
        }
    }
    // More than 2/3, in i128 so the products cannot overflow.
    if i128::from(signed) * 3 <= i128::from(total) * 2 {
        return Err(CommitError::NotEnoughPower { signed, total });
    }
    Ok(VerifiedCommit {
        height: vote_height,
        votes,
        ignored,
        total_power: total,
        validators,
    })
}

/// The checks of one commit vote's extension: `Ok(Err(fault))` when it does not count,
/// `Err` only when state cannot be read.
fn check_vote<S: StateRead>(
    state: &S,
    chain_id: &str,
    vote_height: u64,
    round: i32,
    address: &[u8; 20],
    vote: &tendermint_proto::v0_38::abci::ExtendedVoteInfo,
    params: &Params,
) -> Result<Result<VoteExtension, VoteFault>, CommitError> {
    let Some(key) = state.consensus_key(address)? else {
        return Ok(Err(VoteFault::UnknownValidator));
    };
    let Ok(key) = VerifyingKey::from_bytes(&key) else {
        return Ok(Err(VoteFault::BadKey));
    };
    let Ok(signature) = Signature::from_slice(&vote.extension_signature) else {
        return Ok(Err(VoteFault::BadSignature));
    };
    let message = vote_extension_sign_bytes(chain_id, vote_height, round, &vote.vote_extension);
    if key.verify_strict(&message, &signature).is_err() {
        return Ok(Err(VoteFault::BadSignature));
    }
    Ok(check_structure(&vote.vote_extension, vote_height, params).map_err(VoteFault::Extension))
}
