//! The one ordered list of pol's modules, and what the app derives from it: genesis
//! (validate, init, export), the end-block hooks, the invariants, the query services gRPC
//! and ABCI serve, their ABCI paths, the descriptors reflection serves (and the CLI reads)
//! and the accounts that may not receive sends. Adding a module is its crate, its
//! dependency lines and a line here.

use std::collections::BTreeSet;
use std::time::Instant;

use pol_component::module::{BlockedAccounts, MsgRouter};
use pol_component::{
    Address, AppState, BlockContext, BlockInfo, EndBlockOutcome, Event, ExecEnv, Module, ModuleMsg,
    TxError,
};
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use prost::Message;
use tendermint_proto::google::protobuf::Any;
use tendermint_proto::v0_38::abci::ValidatorUpdate;
use tonic::service::RoutesBuilder;

/// Every module, in the order the app drives them: InitChain initialises their genesis in
/// this order (a module may read what an earlier one wrote: staking moves self-bonds out
/// of bank balances), begin block runs their hooks in this order (mint mints into the fee
/// collector before anything pays out of it), and end block runs theirs in this order (latency hands the
/// epoch that ends to sla and reputation; staking, last, turns the PoL weights reputation
/// set into the validator updates for CometBFT). Distribution comes after staking: its
/// genesis starts the reward accounting of the validators staking's genesis made. Slashing
/// comes after distribution: a block's rewards are paid for the previous commit before
/// that commit's absentees are judged (the SDK's order), and its genesis starts a liveness
/// record for each validator staking's genesis bonded.
pub static MODULES: &[&dyn Module] = &[
    // First: an upgrade migrates state before any other module runs at its height.
    &pol_upgrade::UpgradeModule,
    &pol_auth::AuthModule,
    &pol_bank::BankModule,
    &pol_mint::MintModule,
    &pol_inference::InferenceModule,
    &pol_payments::PaymentsModule,
    &pol_latency::LatencyModule,
    &pol_sla::SlaModule,
    &pol_reputation::ReputationModule,
    &pol_staking::StakingModule,
    &pol_distribution::DistributionModule,
    &pol_slashing::SlashingModule,
    &pol_gov::GovModule,
    &crate::consensus_params::ConsensusParamsModule,
];

/// `pol_module_hook_seconds{module, hook}`: what each module's block hook costs, for
/// operators (which module makes blocks slow) and `benches/finalize_block.rs`. Simulations
/// run the begin-block hooks too, and count.
fn hook_seconds(module: &'static str, hook: &'static str, started: Instant) {
    metrics::histogram!("pol_module_hook_seconds", "module" => module, "hook" => hook)
        .record(started.elapsed().as_secs_f64());
}

/// The modules an app runs, in order: pol's ([`Modules::pol`]), or, in tests, pol's and
/// more ([`Modules::with`]). Everything the app does per module goes through this.
#[derive(Clone, Copy)]
pub struct Modules {
    list: &'static [&'static dyn Module],
}

impl Default for Modules {
    fn default() -> Self {
        Modules::pol()
    }
}

impl std::fmt::Debug for Modules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|m| m.name()))
            .finish()
    }
}

impl Modules {
    /// pol's modules ([`MODULES`]).
    pub const fn pol() -> Self {
        Modules { list: MODULES }
    }

    /// These modules, then `extra`: how a test plugs a module of its own into a real app.
    /// The list is leaked (once per app built: tests only build a few).
    pub fn with(self, extra: &'static dyn Module) -> Self {
        let mut list = self.list.to_vec();
        list.push(extra);
        Modules {
            list: Vec::leak(list),
        }
    }

    pub fn list(&self) -> &'static [&'static dyn Module] {
        self.list
    }

    /// Decode `any` with the module whose message it is.
    pub fn decode_msg(&self, any: &Any) -> Result<(&'static str, Box<dyn ModuleMsg>), TxError> {
        for m in self.list {
            if let Some(decoded) = m.decode_msg(any) {
                return decoded.map(|msg| (m.name(), msg));
            }
        }
        Err(TxError::UNKNOWN_REQUEST(format!(
            "unrecognized message type: {}",
            any.type_url
        )))
    }

    /// Parse and check `app_state` bytes (InitChain's, `pold genesis validate`'s).
    pub fn parse_genesis(
        &self,
        bytes: &[u8],
        chain: &pol_genesis::ChainStart,
    ) -> Result<AppState, String> {
        pol_genesis::app_state::parse(bytes, self.list, chain)
    }

    /// InitChain: every module's genesis, in list order. Returns the validator set the one
    /// module that decides it (staking) chose; empty when none did.
    pub fn init_genesis(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        app_state: &AppState,
    ) -> Result<Vec<ValidatorUpdate>, String> {
        let mut set: Option<(&str, Vec<ValidatorUpdate>)> = None;
        for m in self.list {
            let Some(genesis) = m.genesis() else { continue };
            let updates = genesis.init(state, ctx, app_state)?;
            if updates.is_empty() {
                continue;
            }
            if let Some((other, _)) = &set {
                return Err(format!(
                    "both the {other} and the {} module set the initial validators",
                    m.name()
                ));
            }
            set = Some((m.name(), updates));
        }
        Ok(set.map(|(_, updates)| updates).unwrap_or_default())
    }

    /// Every module's genesis holding the state of `state` (`pold genesis export`).
    pub fn export_genesis(&self, state: &dyn StateRead) -> Result<AppState, String> {
        let mut app_state = AppState::default();
        for m in self.list {
            if let Some(genesis) = m.genesis() {
                let json = genesis
                    .export(state)
                    .map_err(|e| format!("exporting {}: {}", m.name(), e.log))?;
                app_state.insert_raw(m.name(), json);
            }
        }
        Ok(app_state)
    }

    /// Every module's begin-block hook, in list order: their events in that order. An error
    /// is corrupt state.
    pub fn begin_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        block: &BlockInfo,
    ) -> Result<Vec<Event>, String> {
        let mut shared = self.base_env();
        let mut events = Vec::new();
        for m in self.list {
            let started = Instant::now(); // metrics only; never read by state logic
            let done = m
                .begin_block(state, ctx, block, &mut shared)
                .map_err(|e| format!("{} begin-block: {}", m.name(), e.log))?;
            hook_seconds(m.name(), "begin_block", started);
            events.extend(done);
        }
        Ok(events)
    }

    /// Every module's end-block hook, in list order: their events in that order, and the
    /// validator updates (from at most one module). An error is corrupt state.
    pub fn end_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        block_hash: &[u8],
    ) -> Result<EndBlockOutcome, String> {
        let mut shared = self.base_env();
        let mut out = EndBlockOutcome::default();
        for m in self.list {
            let started = Instant::now(); // metrics only; never read by state logic
            let done = m
                .end_block(state, ctx, block_hash, &mut shared)
                .map_err(|e| format!("{} end-block: {}", m.name(), e.log))?;
            hook_seconds(m.name(), "end_block", started);
            out.events.extend(done.events);
            if !done.validator_updates.is_empty() {
                if !out.validator_updates.is_empty() {
                    return Err(format!(
                        "{} end-block: another module already changed the validator set",
                        m.name()
                    ));
                }
                out.validator_updates = done.validator_updates;
            }
        }
        Ok(out)
    }

    /// Tell every module the validator set CometBFT will use changed.
    pub fn validator_set_updated(
        &self,
        state: &mut dyn StateWrite,
        updates: &[ValidatorUpdate],
    ) -> Result<(), String> {
        for m in self.list {
            m.validator_set_updated(state, updates)
                .map_err(|e| format!("{} on the validator-set change: {}", m.name(), e.log))?;
        }
        Ok(())
    }

    /// Every module's query services, reading `storage`.
    pub fn query_routes(&self, storage: &Storage) -> RoutesBuilder {
        let mut routes = RoutesBuilder::default();
        for m in self.list {
            m.register_queries(storage, &mut routes);
        }
        routes
    }

    /// The descriptor sets gRPC reflection serves: the Cosmos and CometBFT declarations of the
    /// shared `proto/` root, then each module's own (each once).
    pub fn file_descriptor_sets(&self) -> Vec<&'static [u8]> {
        let mut sets: Vec<&'static [u8]> = vec![crate::services::reflection::FILE_DESCRIPTOR_SET];
        for set in self.list.iter().flat_map(|m| m.file_descriptor_sets()) {
            if !sets.iter().any(|s| std::ptr::eq(*s, *set)) {
                sets.push(set);
            }
        }
        sets
    }

    /// `/<service>/<Method>` for every method of every module's query services, read from the
    /// descriptors (so a method added to a `.proto` is served on ABCI with nothing else to do).
    pub fn query_paths(&self) -> BTreeSet<String> {
        let wanted: BTreeSet<&str> = self
            .list
            .iter()
            .flat_map(|m| m.query_services().iter().copied())
            .collect();
        let mut paths = BTreeSet::new();
        for set in self.file_descriptor_sets() {
            // Descriptor sets are compiled into the binary by build scripts; they always decode.
            let Ok(set) = prost_types::FileDescriptorSet::decode(set) else {
                continue;
            };
            for file in &set.file {
                for svc in &file.service {
                    let full = format!("{}.{}", file.package(), svc.name());
                    if wanted.contains(full.as_str()) {
                        paths.extend(svc.method.iter().map(|m| format!("/{full}/{}", m.name())));
                    }
                }
            }
        }
        paths
    }

    /// Every module's broken invariants on the state committed at `height`, as
    /// `module: what`; empty when all hold.
    pub fn invariants(
        &self,
        state: &dyn StateRead,
        height: u64,
    ) -> Result<Vec<String>, StoreError> {
        let mut broken = Vec::new();
        for m in self.list {
            broken.extend(
                m.invariants(state, height)?
                    .into_iter()
                    .map(|b| format!("{}: {b}", m.name())),
            );
        }
        Ok(broken)
    }

    /// Module accounts that cannot receive sends (every module's, in list order).
    pub fn blocked_accounts(&self) -> Vec<Address> {
        self.list
            .iter()
            .flat_map(|m| m.blocked_accounts())
            .collect()
    }

    /// What every message handler is lent, in a block or in the mempool.
    fn base_env(&self) -> ExecEnv {
        let mut env = ExecEnv::default();
        env.insert(BlockedAccounts(self.blocked_accounts()));
        env.insert(crate::upgrades::known());
        let modules = *self;
        env.insert(MsgRouter(std::sync::Arc::new(move |any: &Any| {
            modules.decode_msg(any).map(|(_, msg)| msg)
        })));
        for m in self.list {
            m.lend(&mut env);
        }
        env
    }

    /// The mempool's environment (CheckTx and simulation), built once per node.
    pub fn mempool_env(&self) -> ExecEnv {
        let mut env = self.base_env();
        for m in self.list {
            m.mempool_env(&mut env);
        }
        env
    }

    /// A block's environment: every module's begin-block hook sees the block's messages on
    /// the state the block starts from (the inference module batch-verifies attestations).
    pub fn block_env(
        &self,
        state: &dyn StateRead,
        ctx: &BlockContext,
        msgs: &[&dyn ModuleMsg],
    ) -> ExecEnv {
        let mut env = self.base_env();
        for m in self.list {
            m.begin_block_msgs(state, ctx, msgs, &mut env);
        }
        env
    }
}

/// The per-block budgets modules keep (attestations per block), and what a block has used.
pub struct BlockBudgets {
    /// (module, most units a block may use, units used so far)
    budgets: Vec<(&'static dyn Module, u32, u32)>,
}

impl BlockBudgets {
    pub fn load(modules: Modules, state: &dyn StateRead) -> Result<Self, StoreError> {
        let mut budgets = Vec::new();
        for m in modules.list {
            if let Some(max) = m.block_budget(state)? {
                budgets.push((*m, max, 0));
            }
        }
        Ok(BlockBudgets { budgets })
    }

    /// Take one tx's messages; `Err` (and nothing taken) when that would exceed a budget.
    pub fn take(&mut self, msgs: &[&dyn ModuleMsg]) -> Result<(), String> {
        let costs: Vec<u32> = self
            .budgets
            .iter()
            .map(|(m, ..)| m.block_cost(msgs))
            .collect();
        for ((m, max, used), cost) in self.budgets.iter().zip(&costs) {
            if used.saturating_add(*cost) > *max {
                return Err(format!(
                    "the {} module's block budget is {max}, {} would be used",
                    m.name(),
                    used.saturating_add(*cost)
                ));
            }
        }
        for ((_, _, used), cost) in self.budgets.iter_mut().zip(costs) {
            *used = used.saturating_add(cost);
        }
        Ok(())
    }
}
