//! Reading and writing gov's records in their `cosmos.gov.v1` protobuf forms.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_store::{StateRead, StateWrite, StoreError};
use prost::Message;

use crate::params::Params;
use crate::state_key;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("gov {what}: {e}"))
}

fn decode<M: Message + Default>(what: &str, raw: &[u8]) -> Result<M, StoreError> {
    pol_store::decode_record::<M>(raw).map_err(|e| corrupt(what, e))
}

/// How many entries one prefix page reads.
const PAGE: usize = 512;

pub(crate) use pol_component::state::scan;

/// Ids in a time queue whose time is at or before `now_nanos`, in time order.
fn due<S: StateRead + ?Sized>(
    state: &S,
    prefix: &[u8],
    now_nanos: i128,
) -> Result<Vec<u64>, StoreError> {
    let now = u64::from_be_bytes(state_key::time_bytes(now_nanos));
    let mut ids = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = state.prefix_raw(prefix, after.as_deref(), PAGE)?;
        for (k, _) in &page {
            let t =
                state_key::queue_time(prefix, k).ok_or_else(|| corrupt("queue key", "short"))?;
            if t > now {
                return Ok(ids);
            }
            ids.push(state_key::queue_id(k).ok_or_else(|| corrupt("queue key", "short"))?);
        }
        if page.len() < PAGE {
            return Ok(ids);
        }
        after = page.last().map(|(k, _)| k.clone());
    }
}

pub trait GovRead: StateRead {
    fn gov_params(&self) -> Result<Params, StoreError> {
        let raw = self
            .get_raw(state_key::PARAMS)?
            .ok_or_else(|| corrupt("params", "missing"))?;
        Params::from_proto(&decode("params", &raw)?).map_err(|e| corrupt("params", e))
    }

    /// The id the next proposal gets.
    fn next_proposal_id(&self) -> Result<u64, StoreError> {
        match self.get_raw(state_key::NEXT_PROPOSAL_ID)? {
            None => Ok(1),
            Some(raw) => Ok(u64::from_be_bytes(
                raw.as_slice()
                    .try_into()
                    .map_err(|_| corrupt("next proposal id", "not 8 bytes"))?,
            )),
        }
    }

    fn constitution(&self) -> Result<String, StoreError> {
        Ok(self
            .get_raw(state_key::CONSTITUTION)?
            .map(|raw| String::from_utf8_lossy(&raw).into_owned())
            .unwrap_or_default())
    }

    fn proposal(&self, id: u64) -> Result<Option<pb::Proposal>, StoreError> {
        self.get_raw(&state_key::proposal(id))?
            .map(|raw| decode("proposal", &raw))
            .transpose()
    }

    /// Every proposal, by id.
    fn all_proposals(&self) -> Result<Vec<pb::Proposal>, StoreError> {
        scan(self, state_key::PROPOSAL_PREFIX)?
            .iter()
            .map(|(_, v)| decode("proposal", v))
            .collect()
    }

    fn deposit(&self, id: u64, depositor: &[u8; 20]) -> Result<Option<pb::Deposit>, StoreError> {
        self.get_raw(&state_key::deposit(id, depositor))?
            .map(|raw| decode("deposit", &raw))
            .transpose()
    }

    /// A proposal's deposits, by depositor address bytes.
    fn deposits(&self, id: u64) -> Result<Vec<pb::Deposit>, StoreError> {
        scan(self, &state_key::deposits_of(id))?
            .iter()
            .map(|(_, v)| decode("deposit", v))
            .collect()
    }

    fn vote(&self, id: u64, voter: &[u8; 20]) -> Result<Option<pb::Vote>, StoreError> {
        self.get_raw(&state_key::vote(id, voter))?
            .map(|raw| decode("vote", &raw))
            .transpose()
    }

    /// A proposal's votes, by voter address bytes.
    fn votes(&self, id: u64) -> Result<Vec<pb::Vote>, StoreError> {
        scan(self, &state_key::votes_of(id))?
            .iter()
            .map(|(_, v)| decode("vote", v))
            .collect()
    }

    /// Proposals whose deposit period ended at or before `now`.
    fn due_deposit_ends(&self, now_nanos: i128) -> Result<Vec<u64>, StoreError> {
        due(self, state_key::INACTIVE_PREFIX, now_nanos)
    }

    /// Proposals whose voting period ended at or before `now`.
    fn due_voting_ends(&self, now_nanos: i128) -> Result<Vec<u64>, StoreError> {
        due(self, state_key::ACTIVE_PREFIX, now_nanos)
    }
}

impl<T: StateRead + ?Sized> GovRead for T {}

pub trait GovWrite: StateWrite {
    fn put_gov_params(&mut self, params: &Params) {
        self.put_raw(
            state_key::PARAMS.to_vec(),
            params.to_proto().encode_to_vec(),
        );
    }

    fn set_next_proposal_id(&mut self, id: u64) {
        self.put_raw(
            state_key::NEXT_PROPOSAL_ID.to_vec(),
            id.to_be_bytes().to_vec(),
        );
    }

    fn set_constitution(&mut self, text: &str) {
        if text.is_empty() {
            self.delete(state_key::CONSTITUTION.to_vec());
        } else {
            self.put_raw(state_key::CONSTITUTION.to_vec(), text.as_bytes().to_vec());
        }
    }

    fn put_proposal(&mut self, p: &pb::Proposal) {
        self.put_raw(state_key::proposal(p.id), p.encode_to_vec());
    }

    fn delete_proposal(&mut self, id: u64) {
        self.delete(state_key::proposal(id));
    }

    fn put_deposit(&mut self, depositor: &[u8; 20], d: &pb::Deposit) {
        self.put_raw(
            state_key::deposit(d.proposal_id, depositor),
            d.encode_to_vec(),
        );
    }

    fn delete_deposit(&mut self, id: u64, depositor: &[u8; 20]) {
        self.delete(state_key::deposit(id, depositor));
    }

    fn put_vote(&mut self, voter: &[u8; 20], v: &pb::Vote) {
        self.put_raw(state_key::vote(v.proposal_id, voter), v.encode_to_vec());
    }

    fn delete_vote(&mut self, id: u64, voter: &[u8; 20]) {
        self.delete(state_key::vote(id, voter));
    }

    fn enqueue_deposit_end(&mut self, end_nanos: i128, id: u64) {
        self.put_raw(state_key::inactive(end_nanos, id), vec![1]);
    }

    fn dequeue_deposit_end(&mut self, end_nanos: i128, id: u64) {
        self.delete(state_key::inactive(end_nanos, id));
    }

    fn enqueue_voting_end(&mut self, end_nanos: i128, id: u64) {
        self.put_raw(state_key::active(end_nanos, id), vec![1]);
    }

    fn dequeue_voting_end(&mut self, end_nanos: i128, id: u64) {
        self.delete(state_key::active(end_nanos, id));
    }
}

impl<T: StateWrite + ?Sized> GovWrite for T {}
