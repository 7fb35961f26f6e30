//! The one ordered list of pol's modules, and what the app derives from it: the query
//! services gRPC and ABCI serve, their ABCI paths, the descriptors reflection serves and
//! the accounts that may not receive sends. Adding a module is its crate and a line here.

use std::collections::BTreeSet;

use pol_component::module::BlockedAccounts;
use pol_component::{Address, BlockContext, ExecEnv, Module, ModuleMsg};
use pol_store::{StateRead, Storage, StoreError};
use prost::Message;
use tonic::service::RoutesBuilder;

/// Every module, in the order the app drives them.
pub static MODULES: &[&dyn Module] = &[
    &pol_auth::AuthModule,
    &pol_bank::BankModule,
    &pol_staking::StakingModule,
    &pol_inference::InferenceModule,
    &pol_latency::LatencyModule,
    &pol_sla::SlaModule,
    &pol_reputation::ReputationModule,
];

/// Every module's query services, reading `storage`.
pub fn query_routes(storage: &Storage) -> RoutesBuilder {
    let mut routes = RoutesBuilder::default();
    for m in MODULES {
        m.register_queries(storage, &mut routes);
    }
    routes
}

/// The descriptor sets gRPC reflection serves: the Cosmos and CometBFT declarations of the
/// shared `proto/` root, then each module's own (each once).
pub fn file_descriptor_sets() -> Vec<&'static [u8]> {
    let mut sets: Vec<&'static [u8]> = vec![crate::services::reflection::FILE_DESCRIPTOR_SET];
    for set in MODULES.iter().flat_map(|m| m.file_descriptor_sets()) {
        if !sets.iter().any(|s| std::ptr::eq(*s, *set)) {
            sets.push(set);
        }
    }
    sets
}

/// `/<service>/<Method>` for every method of every module's query services, read from the
/// descriptors (so a method added to a `.proto` is served on ABCI with nothing else to do).
pub fn query_paths() -> BTreeSet<String> {
    let wanted: BTreeSet<&str> = MODULES
        .iter()
        .flat_map(|m| m.query_services().iter().copied())
        .collect();
    let mut paths = BTreeSet::new();
    for set in file_descriptor_sets() {
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

/// Module accounts that cannot receive sends (every module's, in list order).
pub fn blocked_accounts() -> Vec<Address> {
    MODULES.iter().flat_map(|m| m.blocked_accounts()).collect()
}

/// What every message handler is lent, in a block or in the mempool.
fn base_env() -> ExecEnv {
    let mut env = ExecEnv::default();
    env.insert(BlockedAccounts(blocked_accounts()));
    env
}

/// The mempool's environment (CheckTx and simulation), built once per node.
pub fn mempool_env() -> ExecEnv {
    let mut env = base_env();
    for m in MODULES {
        m.mempool_env(&mut env);
    }
    env
}

/// A block's environment: every module's begin-block hook sees the block's messages on
/// the state the block starts from (the inference module batch-verifies attestations).
pub fn block_env(state: &dyn StateRead, ctx: &BlockContext, msgs: &[&dyn ModuleMsg]) -> ExecEnv {
    let mut env = base_env();
    for m in MODULES {
        m.begin_block_msgs(state, ctx, msgs, &mut env);
    }
    env
}

/// The per-block budgets modules keep (attestations per block), and what a block has used.
pub struct BlockBudgets {
    /// (module, most units a block may use, units used so far)
    budgets: Vec<(&'static dyn Module, u32, u32)>,
}

impl BlockBudgets {
    pub fn load(state: &dyn StateRead) -> Result<Self, StoreError> {
        let mut budgets = Vec::new();
        for m in MODULES {
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
