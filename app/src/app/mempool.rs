//! CheckTx: transactions are run against an overlay on the last committed state, so a
//! sender can queue several transactions with consecutive sequences within one block.

use pol_component::gas::GasSchedule;
use pol_component::BlockContext;
use pol_store::{Snapshot, StateDelta, Storage};
use tendermint_proto::v0_38::abci::ResponseCheckTx;

use super::consensus::{tx_limits, ConsensusState};
use super::NodeSettings;
use crate::tx::{execute_tx, ExecMode};

pub struct MempoolState {
    state: StateDelta<Snapshot>,
    ctx: BlockContext,
}

impl MempoolState {
    pub fn new(storage: &Storage, consensus: &ConsensusState) -> Self {
        let snapshot = storage.latest_snapshot();
        let next_height = snapshot.version().unwrap_or(0).saturating_add(1);
        MempoolState {
            state: StateDelta::new(snapshot),
            ctx: BlockContext {
                chain_id: consensus.chain_id().to_string(),
                height: next_height,
                // The last block's time (0, "unknown", right after a restart): the next
                // block's is later, so what is refused against it would be in the block too.
                time_unix_nanos: consensus.last_block_time(),
            },
        }
    }

    pub fn check_tx(
        &mut self,
        tx: &[u8],
        modules: crate::modules::Modules,
        recheck: bool,
        settings: &NodeSettings,
        schedule: GasSchedule,
        env: &pol_component::ExecEnv,
    ) -> ResponseCheckTx {
        if let Some(refused) = super::latency::refuse_in_mempool(tx) {
            return refused;
        }
        let limits = match tx_limits(&self.state) {
            Ok(l) => l,
            Err(e) => {
                return ResponseCheckTx {
                    code: 1,
                    codespace: "sdk".into(),
                    log: format!("state error: {e}"),
                    ..Default::default()
                }
            }
        };
        let mode = ExecMode::Check {
            min_gas_price: settings.min_gas_price.clone(),
            recheck,
        };
        let out = execute_tx(
            &mut self.state,
            &self.ctx,
            tx,
            &limits,
            modules,
            &mode,
            schedule,
            env,
        );
        ResponseCheckTx {
            code: out.code,
            data: Vec::new().into(),
            log: out.log,
            info: String::new(),
            gas_wanted: i64::try_from(out.gas_wanted).unwrap_or(i64::MAX),
            gas_used: i64::try_from(out.gas_used).unwrap_or(i64::MAX),
            events: Vec::new(),
            codespace: out.codespace,
        }
    }
}
