//! What other modules learn from staking the moment it happens: a validator created, a
//! delegation about to change or changed, a slash about to be applied. Distribution's lazy
//! F1 reward accounting needs each before or after the write, as the SDK's staking hooks.
//!
//! Staking cannot name the modules that listen (they depend on it), so listeners lend their
//! hooks through the block's and the mempool's [`ExecEnv`] (`Module::lend`), and every
//! staking function that changes a delegation or slashes takes the hooks as an argument:
//! a path that forgets them does not compile.

use pol_component::{Address, BlockContext, Dec, Event, ExecEnv, TxError};
use pol_store::StateWrite;

use crate::types::{Delegation, Validator};

/// Callbacks around staking's writes. Each may write state and returns its events (they
/// join the message's); an error aborts the message (the whole message writes nothing).
pub trait StakingHooks: Send + Sync {
    /// A validator was created (before its self-delegation).
    fn after_validator_created(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _validator: &Validator,
    ) -> Result<Vec<Event>, TxError> {
        Ok(Vec::new())
    }

    /// A delegation is about to be created; the validator in state is still unchanged.
    fn before_delegation_created(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _validator: &Address,
        _delegator: &Address,
    ) -> Result<Vec<Event>, TxError> {
        Ok(Vec::new())
    }

    /// An existing delegation's shares are about to change (or it is about to go); the
    /// validator and the delegation in state are still unchanged.
    fn before_delegation_shares_modified(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _validator: &Address,
        _delegator: &Address,
    ) -> Result<Vec<Event>, TxError> {
        Ok(Vec::new())
    }

    /// A delegation was created or changed and is written, as is its validator.
    fn after_delegation_modified(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _validator: &Validator,
        _delegation: &Delegation,
    ) -> Result<Vec<Event>, TxError> {
        Ok(Vec::new())
    }

    /// The validator is about to lose `fraction` of its tokens (the validator in state is
    /// still unslashed).
    fn before_validator_slashed(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _validator: &Validator,
        _fraction: &Dec,
    ) -> Result<Vec<Event>, TxError> {
        Ok(Vec::new())
    }

    /// The validator entered the active set (it is written BONDED). Not called for the
    /// validators genesis bonds: a module's genesis covers those.
    fn after_validator_bonded(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _validator: &Validator,
    ) -> Result<Vec<Event>, TxError> {
        Ok(Vec::new())
    }
}

/// No listener: staking's own tests, and genesis (distribution's genesis initialises the
/// validators and delegations staking's genesis made).
pub struct NoHooks;
impl StakingHooks for NoHooks {}

/// The listeners a block or the mempool lends staking, in module order.
#[derive(Clone, Default)]
pub struct StakingHookList(pub Vec<&'static dyn StakingHooks>);

impl StakingHookList {
    /// The hooks `env` carries (none when no module lent any).
    pub fn of(env: &ExecEnv) -> StakingHookList {
        env.get::<StakingHookList>().cloned().unwrap_or_default()
    }

    /// Add `hooks` to those `env` carries (what a listening module's `Module::lend` does).
    pub fn lend(env: &mut ExecEnv, hooks: &'static dyn StakingHooks) {
        let mut list = Self::of(env);
        list.0.push(hooks);
        env.insert(list);
    }
}

macro_rules! each {
    ($self:ident, $method:ident($($arg:expr),*)) => {{
        let mut events = Vec::new();
        for h in &$self.0 {
            events.extend(h.$method($($arg),*)?);
        }
        Ok(events)
    }};
}

impl StakingHooks for StakingHookList {
    fn after_validator_created(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Validator,
    ) -> Result<Vec<Event>, TxError> {
        each!(self, after_validator_created(state, ctx, validator))
    }

    fn before_delegation_created(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Address,
        delegator: &Address,
    ) -> Result<Vec<Event>, TxError> {
        each!(
            self,
            before_delegation_created(state, ctx, validator, delegator)
        )
    }

    fn before_delegation_shares_modified(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Address,
        delegator: &Address,
    ) -> Result<Vec<Event>, TxError> {
        each!(
            self,
            before_delegation_shares_modified(state, ctx, validator, delegator)
        )
    }

    fn after_delegation_modified(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Validator,
        delegation: &Delegation,
    ) -> Result<Vec<Event>, TxError> {
        each!(
            self,
            after_delegation_modified(state, ctx, validator, delegation)
        )
    }

    fn before_validator_slashed(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Validator,
        fraction: &Dec,
    ) -> Result<Vec<Event>, TxError> {
        each!(
            self,
            before_validator_slashed(state, ctx, validator, fraction)
        )
    }

    fn after_validator_bonded(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Validator,
    ) -> Result<Vec<Event>, TxError> {
        each!(self, after_validator_bonded(state, ctx, validator))
    }
}
