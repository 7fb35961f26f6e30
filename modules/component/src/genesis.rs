//! Genesis, module by module: `app_state` holds each module's genesis under its name, as
//! in the Cosmos SDK. A module's genesis is one serde type ([`ModuleGenesis`]); the app
//! drives it through [`GenesisHandler`] (`Module::genesis`) without knowing the type, and
//! tools and tests read or edit one module's part by its type ([`AppState::get`],
//! [`AppState::edit`]).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use pol_store::{StateRead, StateWrite};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tendermint_proto::v0_38::abci::ValidatorUpdate;

use crate::{BlockContext, TxError};

/// One module's genesis: its `app_state` entry, how it is checked, loaded into state at
/// InitChain and read back out by `pold genesis export`. Export then init must recreate
/// exactly the exported keys and values (the export's app hash depends on it).
pub trait ModuleGenesis: Serialize + DeserializeOwned + Default + 'static {
    /// The module's name, its key in `app_state`.
    const MODULE: &'static str;

    /// The genesis `pold init` writes and a missing `app_state` entry stands for. A genesis
    /// generated from `genesis.proto` overrides it: its `Default` has no params.
    fn default_genesis() -> Self {
        Self::default()
    }

    /// Checks that need only this module's genesis.
    fn validate(&self) -> Result<(), String>;

    /// Checks against other modules' genesis (staking: gentx operators hold their
    /// self-bond in bank genesis) and against where the chain starts (`chain`: a record of
    /// an epoch the chain has not reached would halt it there). Run after every module's
    /// own [`validate`].
    ///
    /// [`validate`]: ModuleGenesis::validate
    fn validate_against(&self, _app_state: &AppState, _chain: &ChainStart) -> Result<(), String> {
        Ok(())
    }

    /// Write this genesis into `state`. Modules are initialised in the app's module order,
    /// so a module may read what earlier ones wrote (staking reads bank balances). Returns
    /// the validator set CometBFT starts with when this module decides it (staking), empty
    /// otherwise.
    fn init(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, TxError>;

    /// This module's genesis holding the state of `state`.
    fn export(state: &dyn StateRead) -> Result<Self, TxError>;
}

/// For a module whose genesis is generated from its `genesis.proto` (a `GenesisState` with
/// a `params` message field, and `Params::defaults()`): `default_genesis()`, the genesis
/// `pold init` writes (the generated `Default` has no params), and `params()` (which a genesis
/// must hold) and `params_mut()` (the defaults if there were none) on it.
/// `genesis_params!(GenesisState, Params, "sla")`.
#[macro_export]
macro_rules! genesis_params {
    ($genesis:ident, $params:ident, $module:literal) => {
        /// The default genesis: default params, no records.
        pub fn default_genesis() -> $genesis {
            $genesis {
                params: Some($params::defaults()),
                ..Default::default()
            }
        }

        impl $genesis {
            /// The params, which a genesis must hold.
            pub fn params(&self) -> Result<&$params, String> {
                self.params
                    .as_ref()
                    .ok_or_else(|| format!("{} genesis: params missing", $module))
            }

            /// The params to edit (the defaults if there were none).
            pub fn params_mut(&mut self) -> &mut $params {
                self.params.get_or_insert_with($params::defaults)
            }
        }
    };
}

/// Where a chain starts, from genesis.json outside `app_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainStart {
    /// `initial_height`: the first block's height (1, or an export's height + 1).
    pub initial_height: u64,
}

impl Default for ChainStart {
    fn default() -> Self {
        ChainStart { initial_height: 1 }
    }
}

/// The `app_state` object of genesis.json: each module's genesis as JSON, by module name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppState(BTreeMap<String, Value>);

impl AppState {
    /// Parse `app_state` bytes (empty or whitespace: no module has genesis). Only the
    /// shape is checked here; the modules check their parts (the app's `validate_genesis`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(AppState::default());
        }
        serde_json::from_slice(bytes).map_err(|e| format!("app_state: {e}"))
    }

    /// The genesis of `G`'s module: its default when `app_state` has none.
    pub fn get<G: ModuleGenesis>(&self) -> Result<G, String> {
        match self.0.get(G::MODULE) {
            None | Some(Value::Null) => Ok(G::default_genesis()),
            Some(v) => G::deserialize(v).map_err(|e| format!("app_state.{}: {e}", G::MODULE)),
        }
    }

    /// Replace the genesis of `G`'s module.
    pub fn set<G: ModuleGenesis>(&mut self, genesis: &G) -> Result<(), String> {
        let v =
            serde_json::to_value(genesis).map_err(|e| format!("app_state.{}: {e}", G::MODULE))?;
        self.0.insert(G::MODULE.to_string(), v);
        Ok(())
    }

    /// Change the genesis of `G`'s module in place.
    pub fn edit<G: ModuleGenesis, R>(&mut self, f: impl FnOnce(&mut G) -> R) -> Result<R, String> {
        let mut g = self.get::<G>()?;
        let out = f(&mut g);
        self.set(&g)?;
        Ok(out)
    }

    /// A module's entry as it is in the file.
    pub fn raw(&self, module: &str) -> Option<&Value> {
        self.0.get(module)
    }

    pub fn insert_raw(&mut self, module: &str, genesis: Value) {
        self.0.insert(module.to_string(), genesis);
    }

    /// The module names `app_state` has entries for.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// A module's genesis as the app drives it, without knowing its type.
pub trait GenesisHandler: Send + Sync {
    /// The module's default genesis (`pold init` writes it).
    fn default_json(&self) -> Result<Value, String>;
    /// Parse and check this module's part of `app_state` (own checks only).
    fn validate(&self, app_state: &AppState) -> Result<(), String>;
    /// The checks against other modules' parts and the chain's start.
    fn validate_against(&self, app_state: &AppState, chain: &ChainStart) -> Result<(), String>;
    /// Load this module's part of `app_state` into `state` (see [`ModuleGenesis::init`]).
    fn init(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        app_state: &AppState,
    ) -> Result<Vec<ValidatorUpdate>, String>;
    /// This module's part of an exported `app_state`.
    fn export(&self, state: &dyn StateRead) -> Result<Value, TxError>;
}

/// The [`GenesisHandler`] of a [`ModuleGenesis`] type: a module returns
/// `Some(&GenesisOf::<GenesisState>::HANDLER)` from `Module::genesis`.
pub struct GenesisOf<G>(PhantomData<fn() -> G>);

impl<G> GenesisOf<G> {
    pub const HANDLER: Self = GenesisOf(PhantomData);
}

impl<G: ModuleGenesis> GenesisHandler for GenesisOf<G> {
    fn default_json(&self) -> Result<Value, String> {
        serde_json::to_value(G::default_genesis())
            .map_err(|e| format!("{} default genesis: {e}", G::MODULE))
    }

    fn validate(&self, app_state: &AppState) -> Result<(), String> {
        app_state.get::<G>()?.validate()
    }

    fn validate_against(&self, app_state: &AppState, chain: &ChainStart) -> Result<(), String> {
        app_state.get::<G>()?.validate_against(app_state, chain)
    }

    fn init(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        app_state: &AppState,
    ) -> Result<Vec<ValidatorUpdate>, String> {
        app_state.get::<G>()?.init(state, ctx).map_err(|e| e.log)
    }

    fn export(&self, state: &dyn StateRead) -> Result<Value, TxError> {
        serde_json::to_value(G::export(state)?)
            .map_err(|e| TxError::INTERNAL(format!("{} genesis to JSON: {e}", G::MODULE)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Serialize, Deserialize, PartialEq, Debug)]
    #[serde(deny_unknown_fields, default)]
    struct Counter {
        start: u64,
    }

    impl ModuleGenesis for Counter {
        const MODULE: &'static str = "counter";
        fn validate(&self) -> Result<(), String> {
            (self.start < 100).then_some(()).ok_or("start ≥ 100".into())
        }
        fn init(
            &self,
            state: &mut dyn StateWrite,
            _: &BlockContext,
        ) -> Result<Vec<ValidatorUpdate>, TxError> {
            state.put_raw(b"counter".to_vec(), self.start.to_be_bytes().to_vec());
            Ok(Vec::new())
        }
        fn export(state: &dyn StateRead) -> Result<Self, TxError> {
            let raw = state.get_raw(b"counter")?.unwrap_or_default();
            let start = raw.try_into().map(u64::from_be_bytes).unwrap_or(0);
            Ok(Counter { start })
        }
    }

    #[test]
    fn typed_access_defaults_edits_and_rejects_typos() {
        let mut app = AppState::from_json(b"  ").unwrap();
        assert_eq!(app.get::<Counter>().unwrap(), Counter::default());
        app.edit(|c: &mut Counter| c.start = 7).unwrap();
        assert_eq!(app.raw("counter"), Some(&serde_json::json!({"start": 7})));
        let typo = AppState::from_json(br#"{"counter": {"strat": 1}}"#).unwrap();
        let err = GenesisOf::<Counter>::HANDLER.validate(&typo).unwrap_err();
        assert!(
            err.contains("app_state.counter") && err.contains("unknown field"),
            "{err}"
        );
        let big = AppState::from_json(br#"{"counter": {"start": 100}}"#).unwrap();
        assert_eq!(
            GenesisOf::<Counter>::HANDLER.validate(&big),
            Err("start ≥ 100".into())
        );
        assert!(AppState::from_json(b"[1]").is_err());
    }
}
