/// What a module may know about the block it runs in. Everything here comes from the block
/// header, so it is identical on every validator (no wall clock on the consensus path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockContext {
    pub chain_id: String,
    pub height: u64,
    /// Block time from the header, in nanoseconds since the Unix epoch. In CheckTx, the
    /// last block's time; 0 where no block time is known (simulation, CheckTx right after a
    /// restart): time-dependent rules then leave the verdict to the block.
    pub time_unix_nanos: i128,
}

/// What CometBFT tells FinalizeBlock besides the block's transactions, for modules' begin-
/// block hooks: who proposed the block, who voted on the previous one with what power, and
/// the evidence of misbehaviour it carries. All of it is in the decided block, so it is the
/// same on every validator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockInfo {
    /// Consensus address of the proposer (20 bytes).
    pub proposer_address: Vec<u8>,
    /// The votes of the previous block's validator set (`decided_last_commit`), in
    /// CometBFT's order.
    pub last_commit: Vec<CommitVote>,
    pub misbehavior: Vec<Misbehavior>,
    /// The consensus parameters' evidence max age, when the chain knows it: evidence older
    /// than both bounds is ignored (CometBFT does not commit such evidence; this is the
    /// SDK's second check).
    pub evidence_max_age: Option<EvidenceMaxAge>,
}

/// `consensus_params.evidence.{max_age_num_blocks, max_age_duration}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvidenceMaxAge {
    pub num_blocks: u64,
    pub duration_nanos: u64,
}

/// One validator's entry in the previous block's commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitVote {
    /// Consensus address (20 bytes).
    pub validator_address: Vec<u8>,
    /// Its CometBFT voting power in that block.
    pub power: i64,
    /// It signed (for the block or nil); `false` when its vote is absent.
    pub signed: bool,
}

/// Evidence that a validator misbehaved, as CometBFT reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misbehavior {
    pub kind: MisbehaviorKind,
    pub validator_address: Vec<u8>,
    pub power: i64,
    /// Height of the infraction.
    pub height: u64,
    pub time_unix_nanos: i128,
    pub total_voting_power: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MisbehaviorKind {
    Unknown,
    DuplicateVote,
    LightClientAttack,
}
