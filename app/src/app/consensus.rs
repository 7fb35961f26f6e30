//! The consensus driver: InitChain, PrepareProposal, ProcessProposal, FinalizeBlock, Commit.
//!
//! Deterministic by construction: inputs are the request and committed state; block time
//! comes from the header; state maps are BTreeMaps; amounts use checked math.

use std::collections::BTreeMap;
use std::time::Instant;

use pol_component::gas::GasSchedule;
use pol_component::{BlockContext, BlockInfo, ModuleMsg};
use pol_store::{Changeset, PreparedCommit, StateDelta, StateWrite, StateWriteExt, Storage};
use prost::Message as _;
use tendermint_proto::v0_38::abci::*;

use super::params::{chain_id, ChainParams, CHAIN_ID_KEY, PARAMS_KEY};
use crate::modules::{BlockBudgets, Modules};
use crate::tx::exec::execute_decoded;
use crate::tx::{decode_tx, ExecMode, TxLimits, TxOutcome};

pub struct ConsensusState {
    storage: Storage,
    modules: Modules,
    chain_id: String,
    /// Genesis writes from InitChain, committed together with the first block.
    pending_genesis: Option<BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
    /// The block FinalizeBlock computed and Commit will persist.
    prepared: Option<PreparedCommit>,
    /// The time of the last finalized block (Unix nanoseconds; 0 until this process has
    /// finalized one): CheckTx judges time-dependent rules against it, as the SDK's
    /// CheckTx does against the last header.
    last_block_time: i128,
}

pub(super) fn block_time_nanos(t: &Option<tendermint_proto::google::protobuf::Timestamp>) -> i128 {
    t.as_ref().map_or(0, |t| {
        i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos)
    })
}

pub(crate) fn tx_limits<S: pol_store::StateRead>(
    state: &S,
) -> Result<TxLimits, pol_store::StoreError> {
    let params = ChainParams::load(state)?;
    let auth = pol_auth::AuthRead::auth_params(state)?;
    Ok(TxLimits {
        max_tx_bytes: usize::try_from(params.max_tx_bytes).unwrap_or(usize::MAX),
        max_memo_characters: auth.max_memo_characters,
        max_gas: params.max_block_gas,
    })
}

impl ConsensusState {
    pub fn load(storage: Storage, modules: Modules) -> Result<Self, pol_store::StoreError> {
        let chain_id = chain_id(&storage.latest_snapshot())?;
        Ok(ConsensusState {
            storage,
            modules,
            chain_id,
            pending_genesis: None,
            prepared: None,
            last_block_time: 0,
        })
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// See [`ConsensusState::last_block_time`]'s field.
    pub fn last_block_time(&self) -> i128 {
        self.last_block_time
    }

    /// The state a block builds on: last committed, plus genesis before the first block.
    /// Also what vote extensions of the coming height are made and checked against.
    pub fn block_state(&self) -> StateDelta<pol_store::Snapshot> {
        let mut state = StateDelta::new(self.storage.latest_snapshot());
        if let Some(genesis) = &self.pending_genesis {
            state.apply(genesis.clone());
        }
        state
    }

    pub fn init_chain(&mut self, req: RequestInitChain) -> ResponseInitChain {
        match self.try_init_chain(&req) {
            Ok((app_hash, validators)) => ResponseInitChain {
                consensus_params: None,
                validators,
                app_hash: app_hash.to_vec().into(),
            },
            Err(e) => {
                // A bad genesis is an operator error the node cannot run past: say so loudly.
                // CometBFT stops on the empty app hash mismatch with this log to read.
                tracing::error!("InitChain: invalid genesis: {e}");
                eprintln!("pold: invalid genesis: {e}");
                std::process::exit(1);
            }
        }
    }

    /// Returns the genesis app hash and the initial validator set: staking's (from gentxs or
    /// imported validators), or genesis.json's when staking has none (a chain bootstrapped
    /// with `pold init` alone, whose validator staking does not know).
    ///
    /// An exported genesis (`pold genesis export`) recreates the exported state exactly, so
    /// the hash returned is the app hash of the exported height.
    pub(crate) fn try_init_chain(
        &mut self,
        req: &RequestInitChain,
    ) -> Result<([u8; 32], Vec<ValidatorUpdate>), String> {
        if self.storage.latest_version().is_some() {
            return Err("InitChain on a node that already has committed state".into());
        }
        let initial = u64::try_from(req.initial_height).unwrap_or(1).max(1);
        let chain = pol_genesis::ChainStart {
            initial_height: initial,
        };
        let app_state = self.modules.parse_genesis(&req.app_state_bytes, &chain)?;
        let mut state = StateDelta::new(self.storage.latest_snapshot());
        state.put_raw(CHAIN_ID_KEY.to_vec(), req.chain_id.as_bytes().to_vec());
        let consensus_params = req.consensus_params.as_ref();
        let mut params = match consensus_params.and_then(|p| p.block.as_ref()) {
            Some(block) => crate::export::chain_params_from_block(block.max_bytes, block.max_gas),
            None => ChainParams::DEFAULT,
        };
        // CometBFT always sends the evidence parameters; a request without them (tests)
        // gets CometBFT's defaults, as a genesis.json without them does.
        let (blocks, nanos) = match consensus_params.and_then(|p| p.evidence.as_ref()) {
            Some(evidence) => (
                evidence.max_age_num_blocks,
                evidence
                    .max_age_duration
                    .as_ref()
                    .map(|d| {
                        d.seconds
                            .saturating_mul(1_000_000_000)
                            .saturating_add(i64::from(d.nanos))
                    })
                    .unwrap_or(0),
            ),
            None => crate::export::COMETBFT_DEFAULT_EVIDENCE_MAX_AGE,
        };
        params = params.with_evidence(blocks, nanos).with_evidence_bytes(
            consensus_params
                .and_then(|p| p.evidence.as_ref())
                .map_or(crate::export::COMETBFT_DEFAULT_EVIDENCE_MAX_BYTES, |e| {
                    e.max_bytes
                }),
        );
        state.put_proto(PARAMS_KEY.to_vec(), &params);
        let ctx = BlockContext {
            chain_id: req.chain_id.clone(),
            height: initial,
            time_unix_nanos: block_time_nanos(&req.time),
        };
        let staking_set = self.modules.init_genesis(&mut state, &ctx, &app_state)?;
        if let Ok(staking) = pol_staking::StakingRead::staking_params(&state) {
            if params.evidence_max_age_num_blocks.saturating_add(2) > staking.unbonding_blocks {
                tracing::warn!(
                    evidence_max_age_num_blocks = params.evidence_max_age_num_blocks,
                    unbonding_blocks = staking.unbonding_blocks,
                    "evidence may be committed after the stake behind it has unbonded: keep \
                     consensus_params.evidence.max_age_num_blocks below unbonding_blocks - 1 \
                     and max_age_duration below the unbonding period (pold init does)"
                );
            }
        }
        let from_staking = !staking_set.is_empty();
        let validators = initial_validators(&req.validators, staking_set)?;
        if !from_staking {
            // Validators that enter through genesis.json alone: nobody may create a staking
            // validator with one of their consensus keys.
            reserve_genesis_json_keys(&mut state, &validators)?;
        }
        self.modules
            .validator_set_updated(&mut state, &validators)?;
        let writes = state.into_writes();
        let root = self
            .storage
            .prepare(
                initial,
                Changeset {
                    writes: writes.clone(),
                    local_meta: BTreeMap::new(),
                },
            )
            .map_err(|e| e.to_string())?
            .root();
        self.chain_id = req.chain_id.clone();
        self.pending_genesis = Some(writes);
        tracing::info!(
            chain_id = %req.chain_id,
            app_hash = %hex::encode(root),
            validators = validators.len(),
            "InitChain"
        );
        Ok((root, validators))
    }

    pub fn prepare_proposal(&mut self, req: RequestPrepareProposal) -> ResponsePrepareProposal {
        let state = self.block_state();
        // State we cannot read: propose an empty block rather than guess.
        let (Ok(limits), Ok(mut budgets)) =
            (tx_limits(&state), BlockBudgets::load(self.modules, &state))
        else {
            return ResponsePrepareProposal { txs: Vec::new() };
        };
        let max_bytes = u64::try_from(req.max_tx_bytes).unwrap_or(0);
        let (mut bytes, mut gas) = (0u64, 0u64);
        let mut txs = Vec::with_capacity(req.txs.len() + 1);
        let height = u64::try_from(req.height).unwrap_or(0);
        if let Some(report) = super::latency::inject(
            &state,
            &self.chain_id,
            height,
            req.local_last_commit.as_ref(),
            max_bytes,
        ) {
            bytes = report.len() as u64;
            txs.push(report.into());
        }
        for tx in req.txs {
            // Drop what cannot decode (an injected report among them: only the proposer's
            // own, first, is valid); stop at the first tx that would overflow a bound.
            if super::latency::is_report(&tx) {
                continue;
            }
            let Ok(decoded) = decode_tx(&tx, &limits, self.modules) else {
                continue;
            };
            let next_bytes = bytes.saturating_add(tx.len() as u64);
            let next_gas = gas.saturating_add(decoded.gas_limit);
            if next_bytes > max_bytes || next_gas > limits.max_gas {
                break;
            }
            // A tx that would overflow a module's block budget (attestations) waits for the
            // next block.
            if budgets.take(&msgs_of(&decoded)).is_err() {
                continue;
            }
            bytes = next_bytes;
            gas = next_gas;
            txs.push(tx);
        }
        ResponsePrepareProposal { txs }
    }

    pub fn process_proposal(&mut self, req: RequestProcessProposal) -> ResponseProcessProposal {
        use response_process_proposal::ProposalStatus;
        let state = self.block_state();
        let verdict = (|| {
            let limits = tx_limits(&state).map_err(|e| e.to_string())?;
            let mut budgets =
                BlockBudgets::load(self.modules, &state).map_err(|e| e.to_string())?;
            let mut gas = 0u64;
            let height = u64::try_from(req.height).unwrap_or(0);
            let skip = super::latency::check_proposed(
                &state,
                &self.chain_id,
                height,
                &req.txs,
                req.proposed_last_commit.as_ref(),
            )?;
            for (i, tx) in req.txs.iter().enumerate().skip(skip) {
                let decoded = decode_tx(tx, &limits, self.modules)
                    .map_err(|e| format!("tx {i}: {}", e.log))?;
                gas = gas.saturating_add(decoded.gas_limit);
                budgets
                    .take(&msgs_of(&decoded))
                    .map_err(|e| format!("tx {i}: {e}"))?;
            }
            if gas > limits.max_gas {
                return Err(format!("block gas {gas} exceeds {}", limits.max_gas));
            }
            Ok(())
        })();
        let status = match verdict {
            Ok(()) => ProposalStatus::Accept,
            Err(why) => {
                tracing::warn!(height = req.height, "rejecting proposal: {why}");
                ProposalStatus::Reject
            }
        };
        ResponseProcessProposal {
            status: status as i32,
        }
    }

    pub fn finalize_block(
        &mut self,
        req: RequestFinalizeBlock,
        schedule: GasSchedule,
    ) -> ResponseFinalizeBlock {
        let started = Instant::now(); // metrics only; never read by state logic
        let height = u64::try_from(req.height).unwrap_or(0);
        let ctx = BlockContext {
            chain_id: self.chain_id.clone(),
            height,
            time_unix_nanos: block_time_nanos(&req.time),
        };
        self.last_block_time = ctx.time_unix_nanos;
        let mut state = self.block_state();
        let limits = match tx_limits(&state) {
            Ok(l) => l,
            Err(e) => return fatal(&format!("reading chain params: {e}")),
        };
        let evidence_max_age = match ChainParams::load(&state) {
            Ok(p) => p.evidence_max_age(),
            Err(e) => return fatal(&format!("reading chain params: {e}")),
        };

        // Begin block: every module's hook before the block's txs (mint, then distribution
        // of the previous block's fees).
        let begin_events =
            match self
                .modules
                .begin_block(&mut state, &ctx, &block_info(&req, evidence_max_age))
            {
                Ok(events) => events,
                Err(e) => return fatal(&format!("at height {height}: {e}")),
            };

        // The latency report, if the proposer injected one, is the first tx.
        let report = super::latency::check_decided(
            &state,
            &self.chain_id,
            height,
            &req.txs,
            req.decided_last_commit.as_ref(),
        );
        let skip = usize::from(report.is_some());

        // The block's txs, decoded once; every module's begin-block hook sees all their
        // messages on the state the block starts from (attestations are verified here, in
        // one batch per architecture).
        let decoded: Vec<_> = req.txs[skip..]
            .iter()
            .map(|tx| decode_tx(tx, &limits, self.modules))
            .collect();
        let msgs: Vec<&dyn ModuleMsg> = decoded.iter().flatten().flat_map(msgs_of).collect();
        let env = self.modules.block_env(&state, &ctx, &msgs);

        let mut tx_results = Vec::with_capacity(req.txs.len());
        if let Some(report) = report {
            let out = match super::latency::apply_decided(&mut state, &ctx, report) {
                Ok(Ok(events)) => TxOutcome {
                    events,
                    ..Default::default()
                },
                Ok(Err(refused)) => TxOutcome::failed(refused, 0, 0),
                Err(fatal_error) => return fatal(&fatal_error),
            };
            tx_results.push(exec_result(out));
        }
        for tx in &decoded {
            let out = match tx {
                Ok(tx) => execute_decoded(&mut state, &ctx, tx, &ExecMode::Deliver, schedule, &env),
                Err(e) => TxOutcome::failed(e.clone(), 0, 0),
            };
            metrics::counter!("pol_txs_total", "code" => out.code.to_string()).increment(1);
            tx_results.push(exec_result(out));
        }

        let end = match self.modules.end_block(&mut state, &ctx, &req.hash) {
            Ok(out) => out,
            Err(e) => return fatal(&format!("at height {height}: {e}")),
        };
        let consensus_param_updates = match crate::consensus_params::take_pending(&mut state) {
            Ok(update) => update,
            Err(e) => return fatal(&format!("reading the consensus params update: {e}")),
        };
        if let Some(update) = &consensus_param_updates {
            tracing::info!(
                height,
                ?update,
                "consensus params change from the next height"
            );
        }
        if !end.validator_updates.is_empty() {
            tracing::info!(
                height,
                updates = end.validator_updates.len(),
                "validator set changes"
            );
            if let Err(e) = self
                .modules
                .validator_set_updated(&mut state, &end.validator_updates)
            {
                return fatal(&format!("at height {height}: {e}"));
            }
        }

        let prepared = match self.storage.prepare(
            height,
            Changeset {
                writes: state.into_writes(),
                local_meta: BTreeMap::new(),
            },
        ) {
            Ok(p) => p,
            Err(e) => return fatal(&format!("computing the app hash of block {height}: {e}")),
        };
        let app_hash = prepared.root();
        self.prepared = Some(prepared);

        metrics::histogram!("pol_finalize_block_seconds").record(started.elapsed().as_secs_f64());
        metrics::gauge!("pol_block_txs").set(req.txs.len() as f64);
        ResponseFinalizeBlock {
            events: begin_events
                .into_iter()
                .chain(end.events)
                .map(Into::into)
                .collect(),
            tx_results,
            validator_updates: end.validator_updates,
            consensus_param_updates,
            app_hash: app_hash.to_vec().into(),
        }
    }

    pub fn commit(&mut self) -> ResponseCommit {
        let Some(prepared) = self.prepared.take() else {
            tracing::error!("Commit without a finalized block");
            return ResponseCommit { retain_height: 0 };
        };
        let height = prepared.version();
        match self.storage.commit(prepared) {
            Ok(root) => {
                self.pending_genesis = None;
                metrics::gauge!("pol_block_height").set(height as f64);
                tracing::debug!(height, app_hash = %hex::encode(root), "committed");
            }
            Err(e) => {
                // Committed state is the one thing we cannot lose: stop rather than diverge.
                // CometBFT replays the block on restart.
                tracing::error!(height, "commit failed: {e}");
                eprintln!("pold: commit of block {height} failed: {e}");
                std::process::exit(1);
            }
        }
        ResponseCommit { retain_height: 0 }
    }
}

fn exec_result(out: TxOutcome) -> ExecTxResult {
    ExecTxResult {
        code: out.code,
        data: out.data.into(),
        log: out.log,
        info: String::new(),
        gas_wanted: i64::try_from(out.gas_wanted).unwrap_or(i64::MAX),
        gas_used: i64::try_from(out.gas_used).unwrap_or(i64::MAX),
        events: out.events.into_iter().map(Into::into).collect(),
        codespace: out.codespace,
    }
}

/// What the modules' begin-block hooks learn from FinalizeBlock besides the txs.
fn block_info(
    req: &RequestFinalizeBlock,
    evidence_max_age: Option<pol_component::context::EvidenceMaxAge>,
) -> BlockInfo {
    use pol_component::context::{CommitVote, Misbehavior, MisbehaviorKind};
    use tendermint_proto::v0_38::abci::MisbehaviorType;
    use tendermint_proto::v0_38::types::BlockIdFlag;
    let last_commit = req
        .decided_last_commit
        .iter()
        .flat_map(|c| &c.votes)
        .filter_map(|v| {
            let validator = v.validator.as_ref()?;
            Some(CommitVote {
                validator_address: validator.address.to_vec(),
                power: validator.power,
                signed: v.block_id_flag == BlockIdFlag::Commit as i32
                    || v.block_id_flag == BlockIdFlag::Nil as i32,
            })
        })
        .collect();
    let misbehavior = req
        .misbehavior
        .iter()
        .filter_map(|m| {
            let validator = m.validator.as_ref()?;
            Some(Misbehavior {
                kind: match MisbehaviorType::try_from(m.r#type) {
                    Ok(MisbehaviorType::DuplicateVote) => MisbehaviorKind::DuplicateVote,
                    Ok(MisbehaviorType::LightClientAttack) => MisbehaviorKind::LightClientAttack,
                    _ => MisbehaviorKind::Unknown,
                },
                validator_address: validator.address.to_vec(),
                power: validator.power,
                height: u64::try_from(m.height).unwrap_or(0),
                time_unix_nanos: block_time_nanos(&m.time),
                total_voting_power: m.total_voting_power,
            })
        })
        .collect();
    BlockInfo {
        proposer_address: req.proposer_address.to_vec(),
        last_commit,
        misbehavior,
        evidence_max_age,
    }
}

/// A tx's messages as the modules see them.
fn msgs_of(tx: &crate::tx::DecodedTx) -> Vec<&dyn ModuleMsg> {
    tx.msgs.iter().map(|m| &**m).collect()
}

/// The set CometBFT starts with. When staking has validators, genesis.json's list must be
/// empty (as `collect-gentxs` leaves it) or the very same set, so the two never disagree.
pub(super) fn initial_validators(
    from_genesis_json: &[ValidatorUpdate],
    from_staking: Vec<ValidatorUpdate>,
) -> Result<Vec<ValidatorUpdate>, String> {
    if from_staking.is_empty() {
        return Ok(from_genesis_json.to_vec());
    }
    if !from_genesis_json.is_empty() {
        let key = |v: &ValidatorUpdate| (v.pub_key.clone().map(|k| k.encode_to_vec()), v.power);
        let mut a: Vec<_> = from_genesis_json.iter().map(key).collect();
        let mut b: Vec<_> = from_staking.iter().map(key).collect();
        a.sort();
        b.sort();
        if a != b {
            return Err(format!(
                "genesis.json lists {} validators that differ from the {} staking creates; \
                 empty genesis.json's validators (collect-gentxs does) or make them match",
                a.len(),
                b.len()
            ));
        }
    }
    Ok(from_staking)
}

/// Reserve the ed25519 consensus keys of validators staking does not know.
fn reserve_genesis_json_keys<S: StateWrite>(
    state: &mut S,
    validators: &[ValidatorUpdate],
) -> Result<(), String> {
    use pol_staking::StakingWrite;
    use tendermint_proto::v0_38::crypto::public_key::Sum;
    for v in validators {
        match v.pub_key.as_ref().and_then(|k| k.sum.as_ref()) {
            Some(Sum::Ed25519(key)) => {
                let key: [u8; 32] = key.as_slice().try_into().map_err(|_| {
                    format!("genesis.json validator key of {} bytes, not 32", key.len())
                })?;
                state.reserve_consensus_key(&key);
            }
            _ => return Err("genesis.json validators must have ed25519 keys".into()),
        }
    }
    Ok(())
}

/// A failure of our own storage on the consensus path: the node must stop, not guess.
fn fatal(msg: &str) -> ResponseFinalizeBlock {
    tracing::error!("FinalizeBlock: {msg}");
    eprintln!("pold: {msg}");
    std::process::exit(1)
}
