//! The ABCI application: one consensus driver, a mempool view, and queries.
//!
//! * Consensus calls (InitChain … Commit) go through one `Mutex<ConsensusState>`; CometBFT
//!   sends them on one connection, in order, so the lock is never contended by them.
//! * CheckTx runs against its own overlay on the last committed snapshot (reset at Commit),
//!   so the mempool never waits for a block to finish.
//! * Query reads committed snapshots from storage and takes no lock at all.

mod consensus;
mod latency;
mod mempool;
pub mod params;
#[cfg(feature = "test-faults")]
mod test_faults;

use std::sync::Arc;

use parking_lot::Mutex;
use pol_component::gas::GasSchedule;
use pol_store::Storage;
use tendermint_abci::Application;
use tendermint_proto::v0_38::abci::*;

pub(crate) use consensus::tx_limits;
pub use consensus::ConsensusState;
pub use params::{chain_id, ChainParams, CHAIN_ID_KEY};

use crate::modules::Modules;
use crate::query::QueryRouter;
use pol_component::GasPrice;

/// Node-local settings: they shape CheckTx and this validator's vote extensions, never
/// how a block is judged.
#[derive(Clone, Default)]
pub struct NodeSettings {
    pub min_gas_price: Option<GasPrice>,
    /// This validator's probe results, summarized into its vote extensions; `None` (a node
    /// that does not probe) extends its votes with an empty report.
    pub probes: Option<Arc<dyn ProbeSource>>,
    /// Test-only Byzantine behaviour (app.toml `[test_faults]`).
    pub test_faults: crate::config::TestFaults,
}

impl std::fmt::Debug for NodeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeSettings")
            .field("min_gas_price", &self.min_gas_price)
            .field("probes", &self.probes.is_some())
            .field("test_faults", &self.test_faults)
            .finish()
    }
}

/// Where ExtendVote reads what this validator's probes measured (pold's probe task).
/// Called on the consensus path: implementations return at once from what they hold.
pub trait ProbeSource: Send + Sync {
    /// The current probe window of every provider probed, in any order.
    fn windows(&self) -> Vec<pol_latency::ProviderWindow>;
    /// Up to `max` verified probe receipts not handed out before.
    fn take_receipts(&self, max: usize) -> Vec<pol_inference::pb::Receipt>;
    /// This validator's consensus address, which its probe nonces derive from (`None`: no
    /// evidence of probing is kept).
    fn identity(&self) -> Option<[u8; 20]> {
        None
    }
    /// A receipt of this validator's own probe of `provider`, signed within
    /// `[not_before_ms, not_after_ms]`, with its nonce's salt.
    fn evidence(
        &self,
        _provider: &[u8; 20],
        _not_before_ms: u64,
        _not_after_ms: u64,
    ) -> Option<pol_latency::pb::ProbeEvidence> {
        None
    }
}

/// The pol ABCI application; cheap to clone (one per ABCI connection).
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Storage,
    consensus: Mutex<ConsensusState>,
    mempool: Mutex<mempool::MempoolState>,
    settings: NodeSettings,
    schedule: GasSchedule,
    queries: QueryRouter,
    modules: Modules,
    /// What the modules lend their message handlers in the mempool.
    mempool_env: pol_component::ExecEnv,
}

impl App {
    /// The app over `storage`, running `modules` (`queries` must serve the same modules).
    pub fn new(
        storage: Storage,
        modules: Modules,
        settings: NodeSettings,
        queries: QueryRouter,
    ) -> Result<App, pol_store::StoreError> {
        let consensus = ConsensusState::load(storage.clone(), modules)?;
        let mempool = mempool::MempoolState::new(&storage, &consensus);
        Ok(App {
            inner: Arc::new(Inner {
                storage,
                consensus: Mutex::new(consensus),
                mempool: Mutex::new(mempool),
                settings,
                schedule: GasSchedule::default(),
                queries,
                mempool_env: modules.mempool_env(),
                modules,
            }),
        })
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }
}

pub const APP_VERSION: u64 = 1;

impl Application for App {
    fn info(&self, _request: RequestInfo) -> ResponseInfo {
        let snapshot = self.inner.storage.latest_snapshot();
        let height = snapshot.version().unwrap_or(0);
        ResponseInfo {
            data: "pol".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: APP_VERSION,
            last_block_height: i64::try_from(height).unwrap_or(i64::MAX),
            last_block_app_hash: if height == 0 {
                Vec::new().into()
            } else {
                snapshot.root_hash().to_vec().into()
            },
        }
    }

    fn init_chain(&self, request: RequestInitChain) -> ResponseInitChain {
        self.inner.consensus.lock().init_chain(request)
    }

    fn query(&self, request: RequestQuery) -> ResponseQuery {
        self.inner.queries.handle(&self.inner.storage, request)
    }

    fn check_tx(&self, request: RequestCheckTx) -> ResponseCheckTx {
        let mut mempool = self.inner.mempool.lock();
        let recheck = request.r#type == CheckTxType::Recheck as i32;
        mempool.check_tx(
            &request.tx,
            self.inner.modules,
            recheck,
            &self.inner.settings,
            self.inner.schedule,
            &self.inner.mempool_env,
        )
    }

    fn commit(&self) -> ResponseCommit {
        let mut consensus = self.inner.consensus.lock();
        let response = consensus.commit();
        // New committed state: the mempool's view starts over from it (CometBFT rechecks).
        *self.inner.mempool.lock() = mempool::MempoolState::new(&self.inner.storage, &consensus);
        response
    }

    fn prepare_proposal(&self, request: RequestPrepareProposal) -> ResponsePrepareProposal {
        let response = self.inner.consensus.lock().prepare_proposal(request);
        #[cfg(feature = "test-faults")]
        let response = test_faults::prepared(response, &self.inner.settings.test_faults);
        response
    }

    fn process_proposal(&self, request: RequestProcessProposal) -> ResponseProcessProposal {
        self.inner.consensus.lock().process_proposal(request)
    }

    fn extend_vote(&self, request: RequestExtendVote) -> ResponseExtendVote {
        // Committed state H−1 (genesis at the first height), the state every validator
        // verifies this extension against.
        let snapshot = self.inner.consensus.lock().block_state();
        let height = u64::try_from(request.height).unwrap_or(0);
        let extension = latency::extend_vote(
            &snapshot,
            &params::chain_id(&snapshot).unwrap_or_default(),
            height,
            latency::VotedBlock {
                hash: &request.hash,
                time_ms: u64::try_from(consensus::block_time_nanos(&request.time) / 1_000_000)
                    .unwrap_or(0),
            },
            self.inner.settings.probes.as_deref(),
        );
        #[cfg(feature = "test-faults")]
        let extension = test_faults::extension(
            extension,
            height,
            &snapshot,
            &self.inner.settings.test_faults,
        );
        ResponseExtendVote {
            vote_extension: extension.into(),
        }
    }

    fn verify_vote_extension(
        &self,
        request: RequestVerifyVoteExtension,
    ) -> ResponseVerifyVoteExtension {
        use response_verify_vote_extension::VerifyStatus;
        let snapshot = self.inner.consensus.lock().block_state();
        let height = u64::try_from(request.height).unwrap_or(0);
        let status = match latency::verify_vote_extension(
            &snapshot,
            &params::chain_id(&snapshot).unwrap_or_default(),
            height,
            &request.vote_extension,
        ) {
            Ok(()) => VerifyStatus::Accept,
            Err(why) => {
                tracing::warn!(
                    height,
                    validator = %hex::encode_upper(&request.validator_address),
                    "rejecting vote extension: {why}"
                );
                metrics::counter!("pol_vote_extensions_rejected_total").increment(1);
                VerifyStatus::Reject
            }
        };
        ResponseVerifyVoteExtension {
            status: status as i32,
        }
    }

    fn finalize_block(&self, request: RequestFinalizeBlock) -> ResponseFinalizeBlock {
        self.inner
            .consensus
            .lock()
            .finalize_block(request, self.inner.schedule)
    }
}

#[cfg(test)]
mod tests;
