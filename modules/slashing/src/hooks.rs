//! Staking tells slashing when a validator enters the active set: its liveness is counted
//! from then on (a fresh record, or the old one with a new start, which gives a validator
//! that comes back a full window before it can be jailed again), as the SDK's
//! `AfterValidatorBonded`.

use pol_component::{BlockContext, Event, TxError};
use pol_staking::{StakingHooks, Validator};
use pol_store::StateWrite;

use crate::signing_info::SigningInfo;
use crate::{SlashingRead, SlashingWrite};

pub struct SlashingHooks;

impl StakingHooks for SlashingHooks {
    fn after_validator_bonded(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        validator: &Validator,
    ) -> Result<Vec<Event>, TxError> {
        let cons = validator.consensus_address();
        let info = match state.signing_info(&cons)? {
            Some(mut info) => {
                info.start_height = ctx.height;
                info
            }
            None => SigningInfo::new(cons, ctx.height),
        };
        state.put_signing_info(&info);
        Ok(Vec::new())
    }
}
