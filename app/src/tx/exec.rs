//! One transaction from bytes to result: decode, ante, messages, with gas and rollback.

use crate::modules::Modules;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use pol_component::gas::GasSchedule;
use pol_component::{BlockContext, Event, ExecEnv, GasMeter, Metered, TxError};
use pol_store::{StateDelta, StateRead};
use prost::Message;

use super::ante::run_ante;
use super::decode::{decode_tx, DecodedTx, TxLimits};
use pol_component::GasPrice;

/// CheckTx applies the node's gas price floor; FinalizeBlock never does (it is not consensus).
#[derive(Clone, Debug)]
pub enum ExecMode {
    /// `recheck`: CometBFT re-running a mempool tx after a block. Its signature was verified
    /// when it entered the mempool and cannot have become invalid (it covers the tx bytes,
    /// chain-id and an account number that never changes), so it is not verified again —
    /// as in the Cosmos SDK. Sequence, fee and balances are checked again.
    Check {
        min_gas_price: Option<GasPrice>,
        recheck: bool,
    },
    Deliver,
}

/// The result of one transaction, ready to become an `ExecTxResult` or `ResponseCheckTx`.
#[derive(Clone, Debug, Default)]
pub struct TxOutcome {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
    pub data: Vec<u8>,
}

impl TxOutcome {
    pub fn failed(e: TxError, gas_wanted: u64, gas_used: u64) -> Self {
        TxOutcome {
            code: e.code,
            codespace: e.codespace.to_string(),
            log: e.log,
            gas_wanted,
            gas_used,
            ..Default::default()
        }
    }
}

fn out_of_gas(meter: &GasMeter, phase: &str) -> TxError {
    TxError::OUT_OF_GAS(format!(
        "out of gas in {phase}; gasWanted: {}, gasUsed: {}: out of gas",
        meter.limit,
        meter.used()
    ))
}

/// Execute `bytes` on top of `block`. On success the tx's writes are merged into `block`.
/// When a message fails, Deliver keeps only the ante writes (fee and sequence), as in
/// Cosmos; Check keeps nothing.
#[allow(clippy::too_many_arguments)] // decode's two inputs, then execute_decoded's
pub fn execute_tx<S: StateRead>(
    block: &mut StateDelta<S>,
    ctx: &BlockContext,
    bytes: &[u8],
    limits: &TxLimits,
    modules: Modules,
    mode: &ExecMode,
    schedule: GasSchedule,
    env: &ExecEnv,
) -> TxOutcome {
    match decode_tx(bytes, limits, modules) {
        Ok(tx) => execute_decoded(block, ctx, &tx, mode, schedule, env),
        Err(e) => TxOutcome::failed(e, 0, 0),
    }
}

/// [`execute_tx`] for a tx already decoded (FinalizeBlock decodes a block's txs once, so
/// the modules' begin-block hooks see every message before any runs).
pub fn execute_decoded<S: StateRead>(
    block: &mut StateDelta<S>,
    ctx: &BlockContext,
    tx: &DecodedTx,
    mode: &ExecMode,
    schedule: GasSchedule,
    env: &ExecEnv,
) -> TxOutcome {
    let meter = GasMeter::new(tx.gas_limit);
    use super::verified::SigCheck;
    let (min_price, sig_check) = match mode {
        ExecMode::Check {
            min_gas_price,
            recheck: true,
        } => (min_gas_price.as_ref(), SigCheck::Skip),
        ExecMode::Check {
            min_gas_price,
            recheck: false,
        } => (min_gas_price.as_ref(), SigCheck::VerifyAndRemember),
        ExecMode::Deliver => (None, SigCheck::Remembered),
    };

    // Ante: checked and charged in its own overlay, dropped whole on failure.
    let ante = {
        let mut overlay = StateDelta::new(&*block);
        let result = {
            let mut metered = Metered::new(&mut overlay, &meter, schedule);
            run_ante(&mut metered, tx, ctx, &meter, min_price, sig_check)
        };
        match result {
            Ok(_) if meter.is_over() => Err(out_of_gas(&meter, "ante")),
            Ok(events) => Ok((events, overlay.into_writes())),
            Err(e) => Err(e),
        }
    };
    let (mut events, ante_writes) = match ante {
        Ok(ok) => ok,
        Err(e) => return TxOutcome::failed(e, tx.gas_limit, meter.used()),
    };
    // In a block, the fee and sequence stick even if a message fails (as in Cosmos). In the
    // mempool, a tx whose messages fail is refused whole, so it must leave no trace there.
    let deliver = matches!(mode, ExecMode::Deliver);
    let pending_ante = if deliver {
        block.apply(ante_writes);
        None
    } else {
        Some(ante_writes)
    };

    // Messages: all or nothing.
    let mut overlay = StateDelta::new(&*block);
    if let Some(writes) = pending_ante {
        overlay.apply(writes);
    }
    let mut responses = Vec::with_capacity(tx.msgs.len());
    let mut msg_events = Vec::new();
    for (i, msg) in tx.msgs.iter().enumerate() {
        // Work that is not storage (signature checks, pairings) is paid for up front, so
        // a tx that cannot afford a proof check never gets one.
        match msg.intrinsic_gas(&overlay) {
            Ok(gas) => meter.consume(gas),
            Err(e) => return TxOutcome::failed(e, tx.gas_limit, meter.used()),
        }
        if meter.is_over() {
            return TxOutcome::failed(
                out_of_gas(&meter, &format!("message {i}")),
                tx.gas_limit,
                meter.used(),
            );
        }
        let result = {
            let mut metered = Metered::new(&mut overlay, &meter, schedule);
            msg.execute(&mut metered, ctx, env)
        };
        match result {
            Ok(_) if meter.is_over() => {
                return TxOutcome::failed(
                    out_of_gas(&meter, &format!("message {i}")),
                    tx.gas_limit,
                    meter.used(),
                )
            }
            Ok((resp, evs)) => {
                msg_events.push(
                    Event::new("message")
                        .attr("action", msg.type_url())
                        .attr("sender", tx.signer.to_string())
                        .attr("module", msg.module)
                        .attr("msg_index", i.to_string()),
                );
                msg_events.extend(evs.into_iter().map(|e| e.attr("msg_index", i.to_string())));
                responses.push(resp);
            }
            Err(e) => {
                let e = TxError {
                    log: format!("failed to execute message; message index: {i}: {}", e.log),
                    ..e
                };
                return TxOutcome::failed(e, tx.gas_limit, meter.used());
            }
        }
    }
    let writes = overlay.into_writes();
    block.apply(writes);
    events.extend(msg_events);
    TxOutcome {
        code: 0,
        codespace: String::new(),
        log: String::new(),
        gas_wanted: tx.gas_limit,
        gas_used: meter.used(),
        events,
        #[allow(deprecated)]
        data: TxMsgData {
            data: Vec::new(),
            msg_responses: responses,
        }
        .encode_to_vec(),
    }
}
