//! At the begin block of the plan's height: migrate and go on when this binary knows the
//! upgrade, stop the node when it does not. Before that height, a binary that knows the
//! plan's upgrade stops too: it was started too early.

use pol_component::{BlockContext, Event, TxError};
use pol_store::StateWrite;

use crate::{KnownUpgrades, UpgradeRead, UpgradeWrite};

pub fn begin_block<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    known: &KnownUpgrades,
) -> Result<Vec<Event>, TxError> {
    let Some(plan) = state.plan()? else {
        return Ok(Vec::new());
    };
    let due = u64::try_from(plan.height).unwrap_or(0) <= ctx.height;
    match (due, known.get(&plan.name)) {
        (true, Some(upgrade)) => {
            tracing::info!(name = %plan.name, height = ctx.height, "applying upgrade");
            (upgrade.migrate)(state)?;
            state.set_applied(&plan.name, ctx.height);
            state.clear_plan();
            Ok(vec![Event::new("upgrade")
                .attr("name", plan.name)
                .attr("height", ctx.height.to_string())])
        }
        (true, None) => Err(TxError::INTERNAL(format!(
            "UPGRADE \"{}\" NEEDED at height {}: {}. This binary does not know the \
             upgrade; stop and run one that does (the state is untouched, and this block is \
             not committed)",
            plan.name, ctx.height, plan.info
        ))),
        (false, Some(_)) => Err(TxError::INTERNAL(format!(
            "BINARY UPDATED BEFORE TRIGGER! UPGRADE \"{}\" is planned for height {}, but this \
             binary applies it and the chain is at {}: run the previous binary until then",
            plan.name, plan.height, ctx.height
        ))),
        (false, None) => Ok(Vec::new()),
    }
}
