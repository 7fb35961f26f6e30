//! Typed reads and writes of inference state through any state handle; the writers keep
//! every index in step with its record.

use pol_component::state::scan;
use pol_component::Address;
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, StoreError};

use crate::params::Params;
use crate::pb::{self, ObligationState};
use crate::state_key;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("inference: {what}"))
}

/// The address a stored record names (records are validated on the way in).
pub fn stored_address(s: &str) -> Result<Address, StoreError> {
    Address::parse(s).map_err(|_| corrupt("stored address does not parse"))
}

/// Read access to inference state; implemented for every [`StateRead`].
pub trait InferenceRead: StateRead {
    fn inference_params(&self) -> Result<Params, StoreError> {
        match self.get_proto::<pb::Params>(state_key::PARAMS)? {
            None => Ok(Params::default()),
            Some(p) => Params::from_proto(&p).map_err(StoreError::Corrupt),
        }
    }

    fn architecture(&self, id: &str) -> Result<Option<pb::Architecture>, StoreError> {
        self.get_proto(&state_key::architecture(id))
    }

    fn model(&self, id: &str) -> Result<Option<pb::Model>, StoreError> {
        self.get_proto(&state_key::model(id))
    }

    fn provider(&self, addr: &Address) -> Result<Option<pb::Provider>, StoreError> {
        self.get_proto(&state_key::provider(addr))
    }

    /// What is kept of `addr`'s earlier life as a provider, if it left.
    fn provider_record(&self, addr: &Address) -> Result<Option<pb::ProviderRecord>, StoreError> {
        self.get_proto(&state_key::provider_record(addr))
    }

    fn obligation(&self, id: u64) -> Result<Option<pb::Obligation>, StoreError> {
        self.get_proto(&state_key::obligation(id))
    }

    fn receipt_seen(&self, id: &[u8; 32]) -> Result<bool, StoreError> {
        Ok(self.get_raw(&state_key::receipt(id))?.is_some())
    }

    fn next_obligation_id(&self) -> Result<u64, StoreError> {
        Ok(self
            .get_proto::<u64>(state_key::NEXT_OBLIGATION_ID)?
            .unwrap_or(1))
    }

    /// Ids of pending obligations whose deadline is at or before `height`, ascending.
    fn obligations_due(&self, height: u64) -> Result<Vec<u64>, StoreError> {
        let mut due = Vec::new();
        for (k, _) in scan(self, state_key::DEADLINE_PREFIX)? {
            let at = k
                .get(state_key::DEADLINE_PREFIX.len()..state_key::DEADLINE_PREFIX.len() + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| corrupt("deadline key"))?;
            if at > height {
                break;
            }
            due.push(state_key::trailing_u64(&k).ok_or_else(|| corrupt("deadline key"))?);
        }
        Ok(due)
    }

    /// Draft obligations submitted this block, in receipt-id order.
    fn pending_receipts(&self) -> Result<Vec<([u8; 32], pb::Obligation)>, StoreError> {
        scan(self, state_key::PENDING_RECEIPT_PREFIX)?
            .into_iter()
            .map(|(k, v)| {
                let id: [u8; 32] = k[state_key::PENDING_RECEIPT_PREFIX.len()..]
                    .try_into()
                    .map_err(|_| corrupt("pending receipt key"))?;
                let o = <pb::Obligation as prost::Message>::decode(v.as_slice())
                    .map_err(|e| corrupt(&format!("pending receipt: {e}")))?;
                Ok((id, o))
            })
            .collect()
    }

    /// Providers whose unbonding completes at or before `height`.
    fn providers_unbonded_by(&self, height: u64) -> Result<Vec<(Vec<u8>, Address)>, StoreError> {
        let mut out = Vec::new();
        for (k, v) in scan(self, state_key::PROVIDER_UNBONDING_PREFIX)? {
            let p = state_key::PROVIDER_UNBONDING_PREFIX.len();
            let at = k
                .get(p..p + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| corrupt("provider unbonding key"))?;
            if at > height {
                break;
            }
            let addr = Address::from_slice(&v).ok_or_else(|| corrupt("provider unbonding"))?;
            out.push((k, addr));
        }
        Ok(out)
    }
}
impl<S: StateRead + ?Sized> InferenceRead for S {}

/// Writes; each keeps the indexes of its record in step.
pub trait InferenceWrite: StateWrite + InferenceRead {
    fn put_inference_params(&mut self, p: &Params) {
        self.put_proto(state_key::PARAMS.to_vec(), &p.to_proto());
    }

    fn put_architecture(&mut self, a: &pb::Architecture) {
        self.put_proto(state_key::architecture(&a.id), a);
    }

    fn put_model(&mut self, m: &pb::Model) {
        self.put_proto(state_key::model(&m.id), m);
    }

    /// Store `p`, moving its by-model index entries from `old` (the previous record). Only
    /// providers that have not deregistered are indexed by model.
    fn put_provider(
        &mut self,
        p: &pb::Provider,
        old: Option<&pb::Provider>,
    ) -> Result<(), StoreError> {
        let addr = stored_address(&p.address)?;
        let indexed = |p: &pb::Provider| -> Vec<String> {
            if p.status == pb::ProviderStatus::Unbonding as i32 {
                Vec::new()
            } else {
                p.models.clone()
            }
        };
        let now = indexed(p);
        if let Some(old) = old {
            for m in indexed(old) {
                if !now.contains(&m) {
                    self.delete(state_key::provider_by_model(&m, &addr));
                }
            }
        }
        for m in &now {
            self.put_raw(
                state_key::provider_by_model(m, &addr),
                addr.as_bytes().to_vec(),
            );
        }
        if p.next_sla.is_some() {
            self.put_raw(state_key::next_sla(&addr), addr.as_bytes().to_vec());
        } else if old.is_some_and(|o| o.next_sla.is_some()) {
            self.delete(state_key::next_sla(&addr));
        }
        self.put_proto(state_key::provider(&addr), p);
        Ok(())
    }

    /// Remove a provider whose unbonding completed, keeping its penalties and track record
    /// as a `ProviderRecord` for when the account registers again.
    fn retire_provider(&mut self, p: &pb::Provider, height: u64) -> Result<(), StoreError> {
        let addr = stored_address(&p.address)?;
        for m in &p.models {
            self.delete(state_key::provider_by_model(m, &addr));
        }
        self.delete(state_key::provider(&addr));
        self.delete(state_key::next_sla(&addr));
        self.put_provider_record(&pb::ProviderRecord {
            address: p.address.clone(),
            attested: p.attested,
            faults: p.faults,
            min_bond: p.min_bond.clone(),
            jailed_until_height: p.jailed_until_height,
            departed_height: height,
        })
    }

    fn put_provider_record(&mut self, r: &pb::ProviderRecord) -> Result<(), StoreError> {
        let addr = stored_address(&r.address)?;
        self.put_proto(state_key::provider_record(&addr), r);
        Ok(())
    }

    fn mark_receipt_seen(&mut self, id: &[u8; 32], height: u64) {
        self.put_proto(state_key::receipt(id), &height.max(1));
    }

    fn take_obligation_id(&mut self) -> Result<u64, StoreError> {
        let id = self.next_obligation_id()?;
        let next = id
            .checked_add(1)
            .ok_or_else(|| corrupt("obligation ids exhausted"))?;
        self.put_proto(state_key::NEXT_OBLIGATION_ID.to_vec(), &next);
        Ok(id)
    }

    /// Store an obligation, moving its state index (and deadline entry) from `old_state`.
    fn put_obligation(
        &mut self,
        o: &pb::Obligation,
        old_state: Option<i32>,
    ) -> Result<(), StoreError> {
        let addr = stored_address(&o.provider)?;
        if let Some(old) = old_state {
            if old != o.state {
                self.delete(state_key::obligation_by_state(old, o.id));
                self.delete(state_key::obligation_by_provider_state(&addr, old, o.id));
            }
            if old == ObligationState::Pending as i32 && o.state != old {
                self.delete(state_key::deadline(o.deadline_height, o.id));
            }
        }
        if o.state == ObligationState::Pending as i32 {
            self.put_raw(state_key::deadline(o.deadline_height, o.id), vec![1]);
        }
        self.put_raw(state_key::obligation_by_state(o.state, o.id), vec![1]);
        self.put_raw(state_key::obligation_by_provider(&addr, o.id), vec![1]);
        self.put_raw(
            state_key::obligation_by_provider_state(&addr, o.state, o.id),
            vec![1],
        );
        self.put_proto(state_key::obligation(o.id), o);
        Ok(())
    }

    fn put_attestation(&mut self, a: &pb::Attestation) -> Result<(), StoreError> {
        let addr = stored_address(&a.provider)?;
        self.put_raw(
            state_key::attestation_by_provider(&addr, a.obligation_id),
            vec![1],
        );
        self.put_proto(state_key::attestation(a.obligation_id), a);
        Ok(())
    }

    fn put_fault(&mut self, f: &pb::CorrectnessFault) -> Result<(), StoreError> {
        let addr = stored_address(&f.provider)?;
        self.put_proto(state_key::fault(&addr, f.obligation_id), f);
        Ok(())
    }
}
impl<S: StateWrite + ?Sized> InferenceWrite for S {}
