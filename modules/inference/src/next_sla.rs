//! SLA changes wait for the epoch boundary. `MsgUpdateProvider` stores a new SLA in
//! `Provider.next_sla`; `sla`'s end block, right after judging the epoch that ended, calls
//! [`apply_next_slas`]. An epoch is thus judged against the SLA that held through all of it:
//! a provider about to miss cannot loosen its SLA in the epoch's last block.

use pol_component::state::scan;
use pol_component::{Address, Event, TxError};
use pol_store::{StateWrite, StoreError};

use crate::pb;
use crate::state_key;
use crate::view::{InferenceRead, InferenceWrite};
use crate::EVENTS;

/// Put every waiting SLA in force (in address order); returns their events.
pub fn apply_next_slas<S: StateWrite>(state: &mut S) -> Result<Vec<Event>, TxError> {
    let mut events = Vec::new();
    for (key, v) in scan(state, state_key::NEXT_SLA_PREFIX)? {
        let addr = Address::from_slice(&v)
            .ok_or_else(|| StoreError::Corrupt("inference: next_sla index value".into()))?;
        let Some(old) = state.provider(&addr)? else {
            state.delete(key);
            continue;
        };
        let mut p = old.clone();
        let Some(sla) = p.next_sla.take() else {
            state.delete(key);
            continue;
        };
        p.sla = Some(sla);
        state.put_provider(&p, Some(&old))?;
        events.extend(EVENTS.emit(&pb::EventSlaInForce {
            provider: p.address.clone(),
            max_p99_latency_us: sla.max_p99_latency_us,
            max_failure_rate_ppm: sla.max_failure_rate_ppm,
        })?);
    }
    Ok(events)
}
