//! End block: every channel whose expiry height has come is settled (the unclaimed rest
//! back to its requester), so no deposit outlives its expiry by more than a block and no
//! requester has to come back for its money.

use pol_component::{BlockContext, Event, TxError};
use pol_store::{StateWrite, StoreError};

use crate::state_key;
use crate::view::PaymentsRead;

pub fn end_block<S: StateWrite>(state: &mut S, ctx: &BlockContext) -> Result<Vec<Event>, TxError> {
    let mut events = Vec::new();
    loop {
        // Re-read from the start each page: settling removes the entries just read.
        let page = state.prefix_raw(state_key::EXPIRY_PREFIX, None, 256)?;
        let due: Vec<u64> = page
            .iter()
            .map(|(k, _)| {
                let h = state_key::height_of_expiry_key(k)
                    .ok_or_else(|| StoreError::Corrupt("payments: expiry key".into()))?;
                let id = state_key::id_of_index_key(k)
                    .ok_or_else(|| StoreError::Corrupt("payments: expiry key".into()))?;
                Ok((h, id))
            })
            .collect::<Result<Vec<_>, StoreError>>()?
            .into_iter()
            .take_while(|(h, _)| *h <= ctx.height)
            .map(|(_, id)| id)
            .collect();
        if due.is_empty() {
            return Ok(events);
        }
        for id in due {
            let channel = state.channel(id)?.ok_or_else(|| {
                StoreError::Corrupt(format!("payments: expiry entry for missing channel {id}"))
            })?;
            events.extend(crate::msg::settle(state, &channel, "expired")?);
        }
    }
}
