//! The module trait: what a module registers with the app, once. The app drives every
//! module from one ordered list (`pol_app::modules::MODULES`), so adding a module is its
//! crate and one line there.
//!
//! Registered through it: the module's name; its messages (decoded by type URL into
//! [`ModuleMsg`]s that carry their signer, gas and handler); its block hooks around the
//! messages (a batch check of a block's messages, a per-block budget); its `Query` services
//! (served on gRPC, on their ABCI query paths and through reflection from the one
//! registration); the module accounts that may not receive sends; its genesis (validate,
//! init, export); and its end-block hook. The list's order is the order of InitChain and
//! of end block. And its invariants, which the simulation checks after every block.

use std::any::Any as StdAny;
use std::fmt::Debug;

use pol_store::{StateRead, StateWrite, Storage, StoreError};
use prost::Message;
use tendermint_proto::google::protobuf::Any;
use tonic::service::RoutesBuilder;

use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::genesis::GenesisHandler;
use crate::{Address, BlockContext, BlockInfo, Event, TxError};

/// A pol module, as the app sees it.
pub trait Module: Send + Sync {
    /// The module's name: its state-key prefix, its `app_state` key, the `module` of its
    /// `message` events.
    fn name(&self) -> &'static str;

    /// The module's genesis (`Some(&GenesisOf::<GenesisState>::HANDLER)`), `None` when it
    /// keeps no state of its own.
    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        None
    }

    /// At the start of every block, before its transactions, in module-list order (mint
    /// mints, distribution pays out the previous block's fees). `block` is what CometBFT
    /// decided about the block's proposer, the previous commit and misbehaviour; `shared`
    /// works as in [`Module::end_block`]. Its events are the block's. An error means corrupt
    /// state: the node stops.
    fn begin_block(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _block: &BlockInfo,
        _shared: &mut ExecEnv,
    ) -> Result<Vec<Event>, TxError> {
        Ok(Vec::new())
    }

    /// At the end of every block, after its transactions, in module-list order. `shared`
    /// carries what an earlier module's hook hands to a later one in the same block (the
    /// latency module's epoch measurements to sla and reputation). An error means corrupt
    /// state: the node stops.
    fn end_block(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _block_hash: &[u8],
        _shared: &mut ExecEnv,
    ) -> Result<EndBlockOutcome, TxError> {
        Ok(EndBlockOutcome::default())
    }

    /// The validator set CometBFT will use changed (InitChain's set, or an end block's
    /// updates): modules that follow the set's keys record them.
    fn validator_set_updated(
        &self,
        _state: &mut dyn StateWrite,
        _updates: &[ValidatorUpdate],
    ) -> Result<(), TxError> {
        Ok(())
    }

    /// The module's invariants on the state committed at `height` (a pool equals the records
    /// it backs, a supply equals its balances): one line per broken invariant, none when all
    /// hold. The seeded simulation checks every module's after every block; a broken one is
    /// a bug that moves money, never bad input.
    fn invariants(&self, _state: &dyn StateRead, _height: u64) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }

    /// Decode `any` if it is one of this module's messages; `None` if it is not.
    fn decode_msg(&self, _any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        None
    }

    /// Before a block's transactions run (FinalizeBlock), with every message of the block
    /// decoded and the state the block starts from: set up what this module's handlers
    /// need in `env` (the inference module verifies all the block's attestations at once).
    fn begin_block_msgs(
        &self,
        _state: &dyn StateRead,
        _ctx: &BlockContext,
        _msgs: &[&dyn ModuleMsg],
        _env: &mut ExecEnv,
    ) {
    }

    /// Values this module lends every other module's handlers and hooks, in the mempool,
    /// in blocks and in begin/end block (distribution lends staking the hooks it must call
    /// when delegations change).
    fn lend(&self, _env: &mut ExecEnv) {}

    /// What this module's handlers need in the mempool (CheckTx, simulation).
    fn mempool_env(&self, _env: &mut ExecEnv) {}

    /// The most units of this module's per-block budget a block may use (the inference
    /// module's attestations per block), `None` when it has none. Proposers leave out, and
    /// validators refuse blocks with, what would exceed it.
    fn block_budget(&self, _state: &dyn StateRead) -> Result<Option<u32>, StoreError> {
        Ok(None)
    }

    /// Units of the block budget these messages (one tx's) use.
    fn block_cost(&self, _msgs: &[&dyn ModuleMsg]) -> u32 {
        0
    }

    /// Fully qualified names of the `Query` services [`register_queries`] adds
    /// (`cosmos.bank.v1beta1.Query`, `pol.latency.v1.Query`): what reflection must list
    /// and what the ABCI query paths `/<service>/<Method>` are derived from.
    ///
    /// [`register_queries`]: Module::register_queries
    fn query_services(&self) -> &'static [&'static str];

    /// Add the module's `Query` services, reading `storage`. The app serves what is added
    /// here on gRPC and, through the very same service, on the ABCI query paths.
    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder);

    /// Encoded `FileDescriptorSet`s describing the services and the types they use, for
    /// gRPC reflection. Modules that serve Cosmos SDK services unchanged return none: the
    /// app registers the Cosmos descriptors itself.
    fn file_descriptor_sets(&self) -> &'static [&'static [u8]] {
        &[]
    }

    /// Module accounts whose balance is the module's bookkeeping (bonds, escrow, pools): a
    /// plain send to one would break that accounting, so, as the Cosmos SDK's blocked
    /// addresses, they cannot receive sends.
    fn blocked_accounts(&self) -> Vec<Address> {
        Vec::new()
    }
}

/// What an end-block hook produced: its events, and validator-set changes for CometBFT
/// (at most one module, staking, makes those).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EndBlockOutcome {
    pub validator_updates: Vec<ValidatorUpdate>,
    pub events: Vec<Event>,
}

/// One decoded message: what the tx pipeline needs to check, charge and run it.
pub trait ModuleMsg: Send + Sync + Debug {
    fn type_url(&self) -> &'static str;
    /// The account that must sign it.
    fn signer(&self) -> Result<Address, TxError>;
    /// Gas for work that is not storage (a signature check, a pairing), charged before the
    /// message runs, so a tx that cannot afford the work never gets it.
    fn intrinsic_gas(&self, state: &dyn StateRead) -> Result<u64, TxError>;
    /// Run it: its response packed as `Any` (for `TxMsgData`) and its events.
    fn execute(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        env: &ExecEnv,
    ) -> Result<(Any, Vec<Event>), TxError>;
    /// The message itself, for a module's hooks to find its own among a block's.
    fn as_any(&self) -> &dyn StdAny;
}

/// What a block, or the mempool, lends message handlers besides state: values the app and
/// the modules' hooks put in, found by type (the accounts that cannot receive sends, the
/// inference module's proof verdicts).
#[derive(Default)]
pub struct ExecEnv {
    values: Vec<Box<dyn StdAny + Send + Sync>>,
}

impl ExecEnv {
    /// Put `value` in, replacing one of the same type.
    pub fn insert<T: StdAny + Send + Sync>(&mut self, value: T) {
        self.values.retain(|v| !v.is::<T>());
        self.values.push(Box::new(value));
    }

    pub fn get<T: StdAny>(&self) -> Option<&T> {
        self.values.iter().find_map(|v| v.downcast_ref::<T>())
    }
}

impl Debug for ExecEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExecEnv({} values)", self.values.len())
    }
}

/// Decodes any message the app routes, as the app lends it to hooks that run messages they
/// did not receive in a transaction (gov's passed proposals).
#[derive(Clone)]
pub struct MsgRouter(
    #[allow(clippy::type_complexity)]
    pub  std::sync::Arc<dyn Fn(&Any) -> Result<Box<dyn ModuleMsg>, TxError> + Send + Sync>,
);

impl MsgRouter {
    pub fn decode(&self, any: &Any) -> Result<Box<dyn ModuleMsg>, TxError> {
        (self.0)(any)
    }
}

impl Debug for MsgRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MsgRouter")
    }
}

/// The module accounts that cannot receive sends, as the app lends them to handlers.
#[derive(Clone, Debug, Default)]
pub struct BlockedAccounts(pub Vec<Address>);

/// How a module handles one message type: plain functions, so a module declares each
/// message as one `static` and [`decode_msg_as`] does the rest.
pub struct MsgHandler<M: 'static> {
    pub type_url: &'static str,
    /// Type URL of the response message (`TxMsgData.msg_responses`).
    pub response_type_url: &'static str,
    pub signer: fn(&M) -> Result<Address, TxError>,
    pub intrinsic_gas: fn(&dyn StateRead, &M) -> Result<u64, TxError>,
    /// Runs the message; returns its encoded response and its events.
    #[allow(clippy::type_complexity)]
    pub execute: fn(
        &mut dyn StateWrite,
        &BlockContext,
        &ExecEnv,
        &M,
    ) -> Result<(Vec<u8>, Vec<Event>), TxError>,
}

/// A [`MsgHandler`] from a module's message functions: `signer(&M)`, and
/// `execute(&mut state, &BlockContext, &M) -> (Response, Vec<Event>)` (generic over the
/// state), optionally with an intrinsic-gas function (default: none).
#[macro_export]
macro_rules! msg_handler {
    ($type_url:expr, $response_type_url:expr, $signer:path, $execute:path $(,)?) => {
        $crate::msg_handler!(
            $type_url,
            $response_type_url,
            $signer,
            $execute,
            $crate::module::no_intrinsic_gas
        )
    };
    ($type_url:expr, $response_type_url:expr, $signer:path, $execute:path, $gas:expr $(,)?) => {
        $crate::module::MsgHandler {
            type_url: $type_url,
            response_type_url: $response_type_url,
            signer: $signer,
            intrinsic_gas: $gas,
            execute: |mut state, ctx, _env, m| {
                let (response, events) = $execute(&mut state, ctx, m)?;
                Ok((::prost::Message::encode_to_vec(&response), events))
            },
        }
    };
}

/// No work but storage: no gas up front.
pub fn no_intrinsic_gas<M>(_: &dyn StateRead, _: &M) -> Result<u64, TxError> {
    Ok(0)
}

/// A decoded message with its handler.
pub struct Handled<M: 'static> {
    pub msg: M,
    pub handler: &'static MsgHandler<M>,
}

impl<M: Debug> Debug for Handled<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.msg.fmt(f)
    }
}

/// Decode `any` as an `M` handled by `handler`.
pub fn decode_msg_as<M: Message + Default + Send + Sync + 'static>(
    any: &Any,
    handler: &'static MsgHandler<M>,
) -> Result<Box<dyn ModuleMsg>, TxError> {
    M::decode(any.value.as_slice())
        .map(|msg| Box::new(Handled { msg, handler }) as Box<dyn ModuleMsg>)
        .map_err(|e| TxError::TX_DECODE(format!("{}: {e}", any.type_url)))
}

impl<M: Message + Send + Sync + 'static> ModuleMsg for Handled<M> {
    fn type_url(&self) -> &'static str {
        self.handler.type_url
    }

    fn signer(&self) -> Result<Address, TxError> {
        (self.handler.signer)(&self.msg)
    }

    fn intrinsic_gas(&self, state: &dyn StateRead) -> Result<u64, TxError> {
        (self.handler.intrinsic_gas)(state, &self.msg)
    }

    fn execute(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        env: &ExecEnv,
    ) -> Result<(Any, Vec<Event>), TxError> {
        let (response, events) = (self.handler.execute)(state, ctx, env, &self.msg)?;
        Ok((
            Any {
                type_url: self.handler.response_type_url.to_string(),
                value: response,
            },
            events,
        ))
    }

    fn as_any(&self) -> &dyn StdAny {
        &self.msg
    }
}
