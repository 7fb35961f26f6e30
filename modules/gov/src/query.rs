//! `cosmos.gov.v1.Query` and the legacy `cosmos.gov.v1beta1.Query`, unchanged, both read
//! from the same records. The tally of a proposal still in its voting period is counted on
//! a throw-away overlay, as the SDK counts it on a cache.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::gov::{v1 as pb, v1beta1 as legacy_pb};
use pol_component::query::{internal, paginate, snapshot_for, DEFAULT_PAGE, MAX_PAGE};
use pol_component::Address;
use pol_store::{Snapshot, StateDelta, Storage};
use prost::Message;
use tonic::{Request, Response, Status};

use crate::proposal::{self, ProposalStatus};
use crate::{legacy, state_key, GovRead};

#[derive(Clone)]
pub struct GovQuery {
    storage: Storage,
}

impl GovQuery {
    pub fn new(storage: Storage) -> Self {
        GovQuery { storage }
    }
}

fn addr(field: &str, s: &str) -> Result<Address, Status> {
    if s.is_empty() {
        return Err(Status::invalid_argument(format!("{field} is required")));
    }
    Address::parse(s).map_err(|e| Status::invalid_argument(format!("{field}: {}", e.log)))
}

fn id_required(id: u64) -> Result<u64, Status> {
    if id == 0 {
        return Err(Status::invalid_argument("proposal id can not be 0"));
    }
    Ok(id)
}

fn proposal_of(s: &Snapshot, id: u64) -> Result<pb::Proposal, Status> {
    s.proposal(id_required(id)?)
        .map_err(internal)?
        .ok_or_else(|| Status::not_found(format!("proposal {id} doesn't exist")))
}

/// Proposals filtered by status, voter and depositor, one page of them (by id; `key` is
/// the last id of the previous page).
fn proposals_page(
    s: &Snapshot,
    status: i32,
    voter: &str,
    depositor: &str,
    page: Option<&PageRequest>,
) -> Result<(Vec<pb::Proposal>, PageResponse), Status> {
    let voter = (!voter.is_empty())
        .then(|| addr("voter", voter))
        .transpose()?;
    let depositor = (!depositor.is_empty())
        .then(|| addr("depositor", depositor))
        .transpose()?;
    let mut matching = Vec::new();
    for p in s.all_proposals().map_err(internal)? {
        if status != 0 && p.status != status {
            continue;
        }
        if let Some(v) = &voter {
            if s.vote(p.id, v.as_bytes()).map_err(internal)?.is_none() {
                continue;
            }
        }
        if let Some(d) = &depositor {
            if s.deposit(p.id, d.as_bytes()).map_err(internal)?.is_none() {
                continue;
            }
        }
        matching.push(p);
    }
    let default = PageRequest::default();
    let page = page.unwrap_or(&default);
    if page.reverse {
        return Err(Status::invalid_argument(
            "reverse pagination is not supported",
        ));
    }
    let total = if page.count_total {
        matching.len() as u64
    } else {
        0
    };
    let limit = match page.limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    } as usize;
    let start = if !page.key.is_empty() {
        let after: [u8; 8] = page
            .key
            .as_slice()
            .try_into()
            .map_err(|_| Status::invalid_argument("pagination key is not a proposal id"))?;
        let after = u64::from_be_bytes(after);
        matching.iter().take_while(|p| p.id <= after).count()
    } else {
        usize::try_from(page.offset).unwrap_or(usize::MAX)
    };
    let rest: Vec<pb::Proposal> = matching.into_iter().skip(start).collect();
    let next_key = if rest.len() > limit {
        rest[limit - 1].id.to_be_bytes().to_vec()
    } else {
        Vec::new()
    };
    let proposals = rest.into_iter().take(limit).collect();
    Ok((proposals, PageResponse { next_key, total }))
}

/// The tally as it stands: final for an ended proposal, counted now in the voting period.
fn tally_of(s: &Snapshot, p: &pb::Proposal) -> Result<pb::TallyResult, Status> {
    match proposal::status(p) {
        ProposalStatus::VotingPeriod => {
            let params = s.gov_params().map_err(internal)?;
            let mut scratch = StateDelta::new(s);
            crate::tally::tally(&mut scratch, p, &params)
                .map(|o| o.tally)
                .map_err(|e| internal(e.log))
        }
        ProposalStatus::DepositPeriod => Ok(crate::tally::empty_tally()),
        _ => Ok(p
            .final_tally_result
            .clone()
            .unwrap_or_else(crate::tally::empty_tally)),
    }
}

fn vote_record(s: &Snapshot, id: u64, voter: &str) -> Result<pb::Vote, Status> {
    let who = addr("voter", voter)?;
    s.vote(id_required(id)?, who.as_bytes())
        .map_err(internal)?
        .ok_or_else(|| Status::not_found(format!("voter: {voter} not found for proposal: {id}")))
}

fn deposit_record(s: &Snapshot, id: u64, depositor: &str) -> Result<pb::Deposit, Status> {
    let who = addr("depositor", depositor)?;
    s.deposit(id_required(id)?, who.as_bytes())
        .map_err(internal)?
        .ok_or_else(|| {
            Status::not_found(format!(
                "depositor: {depositor} not found for proposal: {id}"
            ))
        })
}

/// One page of the records under `prefix` of proposal `id` (its votes or its deposits).
fn records_page<M: Message + Default>(
    s: &Snapshot,
    prefix: fn(u64) -> Vec<u8>,
    id: u64,
    page: Option<&PageRequest>,
) -> Result<(Vec<M>, PageResponse), Status> {
    let (entries, page) = paginate(s, &prefix(id_required(id)?), page)?;
    Ok((decode_page(&entries)?, page))
}

fn decode_page<M: Message + Default>(entries: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<M>, Status> {
    pol_component::query::decode_all(entries)
}

#[tonic::async_trait]
impl pb::query_server::Query for GovQuery {
    async fn constitution(
        &self,
        request: Request<pb::QueryConstitutionRequest>,
    ) -> Result<Response<pb::QueryConstitutionResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryConstitutionResponse {
            constitution: s.constitution().map_err(internal)?,
        }))
    }

    async fn proposal(
        &self,
        request: Request<pb::QueryProposalRequest>,
    ) -> Result<Response<pb::QueryProposalResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        Ok(Response::new(pb::QueryProposalResponse {
            proposal: Some(proposal_of(&s, request.get_ref().proposal_id)?),
        }))
    }

    async fn proposals(
        &self,
        request: Request<pb::QueryProposalsRequest>,
    ) -> Result<Response<pb::QueryProposalsResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let (proposals, page) = proposals_page(
            &s,
            r.proposal_status,
            &r.voter,
            &r.depositor,
            r.pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryProposalsResponse {
            proposals,
            pagination: Some(page),
        }))
    }

    async fn vote(
        &self,
        request: Request<pb::QueryVoteRequest>,
    ) -> Result<Response<pb::QueryVoteResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let vote = vote_record(&s, r.proposal_id, &r.voter)?;
        Ok(Response::new(pb::QueryVoteResponse { vote: Some(vote) }))
    }

    async fn votes(
        &self,
        request: Request<pb::QueryVotesRequest>,
    ) -> Result<Response<pb::QueryVotesResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let (votes, page) = records_page(
            &s,
            state_key::votes_of,
            r.proposal_id,
            r.pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryVotesResponse {
            votes,
            pagination: Some(page),
        }))
    }

    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let params = s.gov_params().map_err(internal)?.to_proto();
        // The deprecated per-kind params, filled as the SDK still fills them.
        #[allow(deprecated)]
        let response = pb::QueryParamsResponse {
            voting_params: Some(pb::VotingParams {
                voting_period: params.voting_period,
            }),
            deposit_params: Some(pb::DepositParams {
                min_deposit: params.min_deposit.clone(),
                max_deposit_period: params.max_deposit_period,
            }),
            tally_params: Some(pb::TallyParams {
                quorum: params.quorum.clone(),
                threshold: params.threshold.clone(),
                veto_threshold: params.veto_threshold.clone(),
            }),
            params: Some(params),
        };
        Ok(Response::new(response))
    }

    async fn deposit(
        &self,
        request: Request<pb::QueryDepositRequest>,
    ) -> Result<Response<pb::QueryDepositResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let deposit = deposit_record(&s, r.proposal_id, &r.depositor)?;
        Ok(Response::new(pb::QueryDepositResponse {
            deposit: Some(deposit),
        }))
    }

    async fn deposits(
        &self,
        request: Request<pb::QueryDepositsRequest>,
    ) -> Result<Response<pb::QueryDepositsResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let r = request.get_ref();
        let (deposits, page) = records_page(
            &s,
            state_key::deposits_of,
            r.proposal_id,
            r.pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryDepositsResponse {
            deposits,
            pagination: Some(page),
        }))
    }

    async fn tally_result(
        &self,
        request: Request<pb::QueryTallyResultRequest>,
    ) -> Result<Response<pb::QueryTallyResultResponse>, Status> {
        let s = snapshot_for(&self.storage, &request)?;
        let p = proposal_of(&s, request.get_ref().proposal_id)?;
        Ok(Response::new(pb::QueryTallyResultResponse {
            tally: Some(tally_of(&s, &p)?),
        }))
    }
}

/// `cosmos.gov.v1beta1.Query`: the same records in their legacy forms.
#[derive(Clone)]
pub struct LegacyGovQuery(GovQuery);

impl LegacyGovQuery {
    pub fn new(storage: Storage) -> Self {
        LegacyGovQuery(GovQuery::new(storage))
    }
}

/// A decimal as `LegacyDec` bytes on the wire: its atomics in ASCII.
fn legacy_dec_bytes(d: &str) -> Vec<u8> {
    d.parse::<pol_component::Dec>()
        .map(|d| d.atomics_string().into_bytes())
        .unwrap_or_default()
}

#[tonic::async_trait]
impl legacy_pb::query_server::Query for LegacyGovQuery {
    async fn proposal(
        &self,
        request: Request<legacy_pb::QueryProposalRequest>,
    ) -> Result<Response<legacy_pb::QueryProposalResponse>, Status> {
        let s = snapshot_for(&self.0.storage, &request)?;
        let p = proposal_of(&s, request.get_ref().proposal_id)?;
        Ok(Response::new(legacy_pb::QueryProposalResponse {
            proposal: Some(legacy::proposal(&p)),
        }))
    }

    async fn proposals(
        &self,
        request: Request<legacy_pb::QueryProposalsRequest>,
    ) -> Result<Response<legacy_pb::QueryProposalsResponse>, Status> {
        let s = snapshot_for(&self.0.storage, &request)?;
        let r = request.get_ref();
        let (proposals, page) = proposals_page(
            &s,
            r.proposal_status,
            &r.voter,
            &r.depositor,
            r.pagination.as_ref(),
        )?;
        Ok(Response::new(legacy_pb::QueryProposalsResponse {
            proposals: proposals.iter().map(legacy::proposal).collect(),
            pagination: Some(page),
        }))
    }

    async fn vote(
        &self,
        request: Request<legacy_pb::QueryVoteRequest>,
    ) -> Result<Response<legacy_pb::QueryVoteResponse>, Status> {
        let s = snapshot_for(&self.0.storage, &request)?;
        let r = request.get_ref();
        let vote = vote_record(&s, r.proposal_id, &r.voter)?;
        Ok(Response::new(legacy_pb::QueryVoteResponse {
            vote: Some(legacy::vote_of(&vote)),
        }))
    }

    async fn votes(
        &self,
        request: Request<legacy_pb::QueryVotesRequest>,
    ) -> Result<Response<legacy_pb::QueryVotesResponse>, Status> {
        let s = snapshot_for(&self.0.storage, &request)?;
        let r = request.get_ref();
        let (votes, page): (Vec<pb::Vote>, _) = records_page(
            &s,
            state_key::votes_of,
            r.proposal_id,
            r.pagination.as_ref(),
        )?;
        Ok(Response::new(legacy_pb::QueryVotesResponse {
            votes: votes.iter().map(legacy::vote_of).collect(),
            pagination: Some(page),
        }))
    }

    /// `params_type` is `voting`, `deposit` or `tallying`, as in the SDK; the other two
    /// parts are empty.
    async fn params(
        &self,
        request: Request<legacy_pb::QueryParamsRequest>,
    ) -> Result<Response<legacy_pb::QueryParamsResponse>, Status> {
        let s = snapshot_for(&self.0.storage, &request)?;
        let p = s.gov_params().map_err(internal)?.to_proto();
        let mut out = legacy_pb::QueryParamsResponse {
            voting_params: Some(legacy_pb::VotingParams {
                voting_period: None,
            }),
            deposit_params: Some(legacy_pb::DepositParams {
                min_deposit: Vec::new(),
                max_deposit_period: None,
            }),
            tally_params: Some(legacy_pb::TallyParams {
                quorum: Vec::new(),
                threshold: Vec::new(),
                veto_threshold: Vec::new(),
            }),
        };
        match request.get_ref().params_type.as_str() {
            "voting" => {
                out.voting_params = Some(legacy_pb::VotingParams {
                    voting_period: p.voting_period,
                })
            }
            "deposit" => {
                out.deposit_params = Some(legacy_pb::DepositParams {
                    min_deposit: p.min_deposit,
                    max_deposit_period: p.max_deposit_period,
                })
            }
            "tallying" => {
                out.tally_params = Some(legacy_pb::TallyParams {
                    quorum: legacy_dec_bytes(&p.quorum),
                    threshold: legacy_dec_bytes(&p.threshold),
                    veto_threshold: legacy_dec_bytes(&p.veto_threshold),
                })
            }
            other => {
                return Err(Status::invalid_argument(format!(
                    "{other:?} is not a valid parameter type (voting, deposit or tallying)"
                )))
            }
        }
        Ok(Response::new(out))
    }

    async fn deposit(
        &self,
        request: Request<legacy_pb::QueryDepositRequest>,
    ) -> Result<Response<legacy_pb::QueryDepositResponse>, Status> {
        let s = snapshot_for(&self.0.storage, &request)?;
        let r = request.get_ref();
        let deposit = deposit_record(&s, r.proposal_id, &r.depositor)?;
        Ok(Response::new(legacy_pb::QueryDepositResponse {
            deposit: Some(legacy::deposit_of(&deposit)),
        }))
    }

    async fn deposits(
        &self,
        request: Request<legacy_pb::QueryDepositsRequest>,
    ) -> Result<Response<legacy_pb::QueryDepositsResponse>, Status> {
        let s = snapshot_for(&self.0.storage, &request)?;
        let r = request.get_ref();
        let (deposits, page): (Vec<pb::Deposit>, _) = records_page(
            &s,
            state_key::deposits_of,
            r.proposal_id,
            r.pagination.as_ref(),
        )?;
        Ok(Response::new(legacy_pb::QueryDepositsResponse {
            deposits: deposits.iter().map(legacy::deposit_of).collect(),
            pagination: Some(page),
        }))
    }

    async fn tally_result(
        &self,
        request: Request<legacy_pb::QueryTallyResultRequest>,
    ) -> Result<Response<legacy_pb::QueryTallyResultResponse>, Status> {
        let s = snapshot_for(&self.0.storage, &request)?;
        let p = proposal_of(&s, request.get_ref().proposal_id)?;
        Ok(Response::new(legacy_pb::QueryTallyResultResponse {
            tally: Some(legacy::tally_result(&tally_of(&s, &p)?)),
        }))
    }
}
