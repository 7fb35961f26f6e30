//! The gov module as the app registers it.

use cosmos_sdk_proto::cosmos::gov::{v1 as pb, v1beta1 as legacy_pb};
use pol_bank::BankRead;
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, MsgHandler};
use pol_component::{Address, BlockContext, EndBlockOutcome, ExecEnv, Module, ModuleMsg, TxError};
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use tendermint_proto::google::protobuf::Any;
use tonic::service::RoutesBuilder;

use crate::proposal::{self, ProposalStatus};
use crate::{legacy, msg, GovRead};

/// Proposals, deposits and votes; `cosmos.gov.v1.Query` and `cosmos.gov.v1beta1.Query`.
pub struct GovModule;

pub const MSG_SUBMIT_PROPOSAL: &str = "/cosmos.gov.v1.MsgSubmitProposal";
pub const MSG_DEPOSIT: &str = "/cosmos.gov.v1.MsgDeposit";
pub const MSG_VOTE: &str = "/cosmos.gov.v1.MsgVote";
pub const MSG_VOTE_WEIGHTED: &str = "/cosmos.gov.v1.MsgVoteWeighted";
pub const MSG_CANCEL_PROPOSAL: &str = "/cosmos.gov.v1.MsgCancelProposal";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.gov.v1.MsgUpdateParams";
pub const LEGACY_MSG_SUBMIT_PROPOSAL: &str = "/cosmos.gov.v1beta1.MsgSubmitProposal";
pub const LEGACY_MSG_DEPOSIT: &str = "/cosmos.gov.v1beta1.MsgDeposit";
pub const LEGACY_MSG_VOTE: &str = "/cosmos.gov.v1beta1.MsgVote";
pub const LEGACY_MSG_VOTE_WEIGHTED: &str = "/cosmos.gov.v1beta1.MsgVoteWeighted";

impl Module for GovModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    fn end_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _block_hash: &[u8],
        shared: &mut ExecEnv,
    ) -> Result<EndBlockOutcome, TxError> {
        Ok(EndBlockOutcome {
            validator_updates: Vec::new(),
            events: crate::end_block::end_block(&mut state, ctx, shared)?,
        })
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        Some(match any.type_url.as_str() {
            MSG_SUBMIT_PROPOSAL => decode_msg_as(any, &SUBMIT_PROPOSAL),
            MSG_DEPOSIT => decode_msg_as(any, &DEPOSIT),
            MSG_VOTE => decode_msg_as(any, &VOTE),
            MSG_VOTE_WEIGHTED => decode_msg_as(any, &VOTE_WEIGHTED),
            MSG_CANCEL_PROPOSAL => decode_msg_as(any, &CANCEL_PROPOSAL),
            MSG_UPDATE_PARAMS => decode_msg_as(any, &UPDATE_PARAMS),
            legacy::MSG_EXEC_LEGACY_CONTENT => decode_msg_as(any, &EXEC_LEGACY_CONTENT),
            LEGACY_MSG_SUBMIT_PROPOSAL => decode_msg_as(any, &LEGACY_SUBMIT_PROPOSAL),
            LEGACY_MSG_DEPOSIT => decode_msg_as(any, &LEGACY_DEPOSIT),
            LEGACY_MSG_VOTE => decode_msg_as(any, &LEGACY_VOTE),
            LEGACY_MSG_VOTE_WEIGHTED => decode_msg_as(any, &LEGACY_VOTE_WEIGHTED),
            _ => return None,
        })
    }

    /// The gov account holds exactly the deposits of the live proposals; each live
    /// proposal's total is the sum of its deposits and it sits in the queue of its period.
    fn invariants(&self, state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
        let mut broken = Vec::new();
        let mut held = Vec::new();
        for p in state.all_proposals()? {
            let status = proposal::status(&p);
            let mut sum = Vec::new();
            for d in state.deposits(p.id)? {
                let coins: Vec<_> = d
                    .amount
                    .iter()
                    .filter_map(|c| pol_component::coins::Coin::from_proto(c).ok())
                    .collect();
                sum = proposal::add_coins(&sum, &coins).unwrap_or_default();
            }
            let live = matches!(
                status,
                ProposalStatus::DepositPeriod | ProposalStatus::VotingPeriod
            );
            let total = proposal::total_deposit(&p).unwrap_or_default();
            if live && sum != total {
                broken.push(format!(
                    "height {height}: proposal {} records a total deposit of {:?}, its deposits sum to {:?}",
                    p.id, total, sum
                ));
            }
            if !live && !sum.is_empty() {
                broken.push(format!(
                    "height {height}: ended proposal {} still holds deposits",
                    p.id
                ));
            }
            let queued = match status {
                ProposalStatus::DepositPeriod => state
                    .get_raw(&crate::state_key::inactive(
                        proposal::time(&p.deposit_end_time),
                        p.id,
                    ))?
                    .is_some(),
                ProposalStatus::VotingPeriod => state
                    .get_raw(&crate::state_key::active(
                        proposal::time(&p.voting_end_time),
                        p.id,
                    ))?
                    .is_some(),
                _ => true,
            };
            if !queued {
                broken.push(format!(
                    "height {height}: proposal {} is not in the queue of its period",
                    p.id
                ));
            }
            held = proposal::add_coins(&held, &sum).unwrap_or_default();
        }
        let balance = state.all_balances(&crate::module_account())?;
        if balance != held {
            broken.push(format!(
                "height {height}: the gov account holds {balance:?}, the deposits are {held:?}"
            ));
        }
        Ok(broken)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &["cosmos.gov.v1.Query", "cosmos.gov.v1beta1.Query"]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(pb::query_server::QueryServer::new(
            crate::query::GovQuery::new(storage.clone()),
        ));
        routes.add_service(legacy_pb::query_server::QueryServer::new(
            crate::query::LegacyGovQuery::new(storage.clone()),
        ));
    }

    /// Deposits sit in the gov account; a send into it would break the rule that it holds
    /// exactly the deposits.
    fn blocked_accounts(&self) -> Vec<Address> {
        vec![crate::module_account()]
    }
}

/// A handler whose execution needs the environment (the message router).
macro_rules! env_handler {
    ($url:expr, $response:expr, $signer:path, $execute:path) => {
        MsgHandler {
            type_url: $url,
            response_type_url: $response,
            signer: $signer,
            intrinsic_gas: pol_component::module::no_intrinsic_gas,
            execute: $execute,
        }
    };
}

static SUBMIT_PROPOSAL: MsgHandler<pb::MsgSubmitProposal> = env_handler!(
    MSG_SUBMIT_PROPOSAL,
    "/cosmos.gov.v1.MsgSubmitProposalResponse",
    msg::submit_signer,
    msg::submit::execute_submit
);
static LEGACY_SUBMIT_PROPOSAL: MsgHandler<legacy_pb::MsgSubmitProposal> = env_handler!(
    LEGACY_MSG_SUBMIT_PROPOSAL,
    "/cosmos.gov.v1beta1.MsgSubmitProposalResponse",
    legacy::submit_signer,
    legacy::execute_submit
);
static DEPOSIT: MsgHandler<pb::MsgDeposit> = pol_component::msg_handler!(
    MSG_DEPOSIT,
    "/cosmos.gov.v1.MsgDepositResponse",
    msg::deposit_signer,
    msg::deposit::execute_deposit
);
static VOTE: MsgHandler<pb::MsgVote> = pol_component::msg_handler!(
    MSG_VOTE,
    "/cosmos.gov.v1.MsgVoteResponse",
    msg::vote_signer,
    msg::vote::execute_vote
);
static VOTE_WEIGHTED: MsgHandler<pb::MsgVoteWeighted> = pol_component::msg_handler!(
    MSG_VOTE_WEIGHTED,
    "/cosmos.gov.v1.MsgVoteWeightedResponse",
    msg::vote_weighted_signer,
    msg::vote::execute_vote_weighted
);
static CANCEL_PROPOSAL: MsgHandler<pb::MsgCancelProposal> = pol_component::msg_handler!(
    MSG_CANCEL_PROPOSAL,
    "/cosmos.gov.v1.MsgCancelProposalResponse",
    msg::cancel_signer,
    msg::cancel::execute_cancel
);
static UPDATE_PARAMS: MsgHandler<pb::MsgUpdateParams> = pol_component::msg_handler!(
    MSG_UPDATE_PARAMS,
    "/cosmos.gov.v1.MsgUpdateParamsResponse",
    msg::params::update_params_signer,
    msg::params::execute_update_params
);
static EXEC_LEGACY_CONTENT: MsgHandler<pb::MsgExecLegacyContent> = pol_component::msg_handler!(
    legacy::MSG_EXEC_LEGACY_CONTENT,
    "/cosmos.gov.v1.MsgExecLegacyContentResponse",
    msg::params::exec_legacy_signer,
    msg::params::execute_exec_legacy
);
static LEGACY_DEPOSIT: MsgHandler<legacy_pb::MsgDeposit> = pol_component::msg_handler!(
    LEGACY_MSG_DEPOSIT,
    "/cosmos.gov.v1beta1.MsgDepositResponse",
    legacy::deposit_signer,
    legacy::execute_deposit
);
static LEGACY_VOTE: MsgHandler<legacy_pb::MsgVote> = pol_component::msg_handler!(
    LEGACY_MSG_VOTE,
    "/cosmos.gov.v1beta1.MsgVoteResponse",
    legacy::vote_signer,
    legacy::execute_vote
);
static LEGACY_VOTE_WEIGHTED: MsgHandler<legacy_pb::MsgVoteWeighted> = pol_component::msg_handler!(
    LEGACY_MSG_VOTE_WEIGHTED,
    "/cosmos.gov.v1beta1.MsgVoteWeightedResponse",
    legacy::vote_weighted_signer,
    legacy::execute_vote_weighted
);
