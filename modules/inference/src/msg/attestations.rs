//! Attestations: a zk proof that discharges a proof obligation and releases its escrow.

use pol_component::state::atomic;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_store::StateWrite;
use sha2::{Digest, Sha256};

use crate::error;
use crate::escrow_pool;
use crate::pb::{self, ObligationState};
use crate::verify::{statement_for, ProofVerifier};
use crate::view::{InferenceRead, InferenceWrite};
use crate::EVENTS;

use super::*;

pub fn execute_submit_attestation<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgSubmitAttestation,
    verifier: &dyn ProofVerifier,
) -> Result<(MsgSubmitAttestationResponse, Vec<Event>), TxError> {
    let submitter = Address::parse(&m.submitter)?;
    let params = state.inference_params()?;
    let (mut o, arch, statement) = statement_for(state, m, ctx.height)?;
    verifier
        .verify(&arch, &statement, &m.proof)
        .map_err(|why| {
            error::INVALID_PROOF(format!("attestation for obligation {}: {why}", o.id))
        })?;
    let provider_addr = crate::view::stored_address(&o.provider)?;
    let escrow = amount_of(&o.escrow)?;
    atomic(state, |s| {
        let mut events = transfer(
            s,
            &escrow_pool(),
            &provider_addr,
            &params.bond_denom,
            escrow,
        )?;
        let old_state = o.state;
        o.state = ObligationState::Discharged as i32;
        o.settled_height = ctx.height;
        s.put_obligation(&o, Some(old_state))?;
        if let Some(mut p) = s.provider(&provider_addr)? {
            p.attested = p.attested.saturating_add(1);
            let before = p.clone();
            s.put_provider(&p, Some(&before))?;
        }
        s.put_attestation(&pb::Attestation {
            obligation_id: o.id,
            provider: o.provider.clone(),
            submitter: submitter.to_string(),
            height: ctx.height,
            proof_hash: Sha256::digest(&m.proof).to_vec(),
        })?;
        events.extend(EVENTS.emit(&pb::EventAttestation {
            obligation_id: o.id,
            provider: o.provider.clone(),
            credited: format!("{escrow}{}", params.bond_denom),
        })?);
        Ok((MsgSubmitAttestationResponse {}, events))
    })
}
