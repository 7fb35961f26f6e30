//! `cosmos.consensus.v1.MsgUpdateParams`: a passed proposal changes CometBFT's consensus
//! parameters (block size and gas, evidence age, validator key types). The handler checks
//! them as CometBFT would (a parameter CometBFT refuses halts the chain) plus pol's own
//! rules, updates the chain params pol reads in the next block, and leaves the update for
//! FinalizeBlock to hand CometBFT in `consensus_param_updates` (CometBFT applies it from
//! the next height, when pol's own reads switch too). The full parameters last set by
//! proposal are kept, so `pold genesis export` writes them.
//!
//! Not changed by proposal: `abci` (vote extensions run from genesis; CometBFT refuses to
//! move their enable height once reached) and `version`.

use crate::services::consensus::pb::{MsgUpdateParams, MsgUpdateParamsResponse};
use pol_component::authority::{authority_signer, check_authority};
use pol_component::module::{decode_msg_as, MsgHandler};
use pol_component::{Address, BlockContext, Event, Module, ModuleMsg, TxError};
use pol_store::{StateRead, StateReadExt, StateWrite, StateWriteExt, Storage, StoreError};
use tendermint_proto::google::protobuf::Any;
use tendermint_proto::types::ConsensusParams;
use tonic::service::RoutesBuilder;

use crate::app::params::{ChainParams, PARAMS_KEY};

pub const MSG_UPDATE_PARAMS: &str = "/cosmos.consensus.v1.MsgUpdateParams";
/// The update FinalizeBlock hands CometBFT at the end of this block (deleted there).
pub const PENDING_KEY: &[u8] = b"app/consensus_params_update";
/// The consensus parameters last set by proposal (absent: genesis.json's still hold).
pub const CURRENT_KEY: &[u8] = b"app/consensus_params";

/// CometBFT's bound on `block.max_bytes` (`types.MaxBlockSizeBytes`).
const MAX_BLOCK_SIZE_BYTES: i64 = 104_857_600;

/// The consensus parameters as the app registers them: their update message only.
pub struct ConsensusParamsModule;

impl Module for ConsensusParamsModule {
    fn name(&self) -> &'static str {
        "consensus"
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        (any.type_url == MSG_UPDATE_PARAMS).then(|| decode_msg_as(any, &UPDATE_PARAMS))
    }

    /// `cosmos.consensus.v1.Query` is served from CometBFT's own view (`services`).
    fn query_services(&self) -> &'static [&'static str] {
        &[]
    }

    fn register_queries(&self, _storage: &Storage, _routes: &mut RoutesBuilder) {}
}

static UPDATE_PARAMS: MsgHandler<MsgUpdateParams> = pol_component::msg_handler!(
    MSG_UPDATE_PARAMS,
    "/cosmos.consensus.v1.MsgUpdateParamsResponse",
    signer,
    execute
);

fn signer(m: &MsgUpdateParams) -> Result<Address, TxError> {
    authority_signer(&m.authority)
}

fn invalid(why: impl std::fmt::Display) -> TxError {
    TxError::INVALID_REQUEST(format!("consensus MsgUpdateParams: {why}"))
}

/// CometBFT's `ConsensusParams.ValidateBasic` for the parts a proposal sets, and pol's
/// rules: a finite block gas limit, ed25519 validator keys, and evidence that expires
/// before the stake behind it finishes unbonding.
pub fn check(m: &MsgUpdateParams, unbonding_blocks: u64) -> Result<ConsensusParams, TxError> {
    let (Some(block), Some(evidence), Some(validator)) = (&m.block, &m.evidence, &m.validator)
    else {
        return Err(invalid("block, evidence and validator must all be given"));
    };
    if m.abci.is_some() {
        return Err(invalid(
            "abci (the vote-extension height) does not change by proposal",
        ));
    }
    if block.max_bytes == 0 || block.max_bytes < -1 || block.max_bytes > MAX_BLOCK_SIZE_BYTES {
        return Err(invalid(format!(
            "block.max_bytes must be -1 or in 1..={MAX_BLOCK_SIZE_BYTES}, got {}",
            block.max_bytes
        )));
    }
    if block.max_gas <= 0 {
        return Err(invalid(format!(
            "block.max_gas must be positive (pol meters every block), got {}",
            block.max_gas
        )));
    }
    let duration = evidence
        .max_age_duration
        .as_ref()
        .map(|d| i128::from(d.seconds) * 1_000_000_000 + i128::from(d.nanos))
        .unwrap_or(0);
    if evidence.max_age_num_blocks <= 0 || duration <= 0 {
        return Err(invalid(
            "evidence.max_age_num_blocks and max_age_duration must be positive",
        ));
    }
    let block_bytes = if block.max_bytes == -1 {
        MAX_BLOCK_SIZE_BYTES
    } else {
        block.max_bytes
    };
    if evidence.max_bytes < 0 || evidence.max_bytes > block_bytes {
        return Err(invalid(format!(
            "evidence.max_bytes must be in 0..={block_bytes}, got {}",
            evidence.max_bytes
        )));
    }
    if (evidence.max_age_num_blocks as u64).saturating_add(2) > unbonding_blocks {
        return Err(invalid(format!(
            "evidence.max_age_num_blocks {} would let evidence arrive after the stake behind \
             it has unbonded ({unbonding_blocks} blocks); keep it at most {}",
            evidence.max_age_num_blocks,
            unbonding_blocks.saturating_sub(2)
        )));
    }
    if validator.pub_key_types != ["ed25519"] {
        return Err(invalid(format!(
            "validator.pub_key_types must be [\"ed25519\"] (pol's consensus keys), got {:?}",
            validator.pub_key_types
        )));
    }
    Ok(ConsensusParams {
        block: Some(*block),
        evidence: Some(*evidence),
        validator: Some(validator.clone()),
        version: None,
        abci: None,
    })
}

/// The chain params pol derives from consensus params (as InitChain derives them).
pub fn chain_params_of(p: &ConsensusParams) -> ChainParams {
    let block = p.block.unwrap_or_default();
    let evidence = p.evidence.unwrap_or_default();
    let nanos = evidence
        .max_age_duration
        .map(|d| {
            d.seconds
                .saturating_mul(1_000_000_000)
                .saturating_add(i64::from(d.nanos))
        })
        .unwrap_or(0);
    crate::export::chain_params_from_block(block.max_bytes, block.max_gas)
        .with_evidence(evidence.max_age_num_blocks, nanos)
        .with_evidence_bytes(evidence.max_bytes)
}

fn execute<S: StateWrite>(
    state: &mut S,
    _ctx: &BlockContext,
    m: &MsgUpdateParams,
) -> Result<(MsgUpdateParamsResponse, Vec<Event>), TxError> {
    check_authority(&m.authority)?;
    let unbonding = pol_staking::StakingRead::staking_params(state)?.unbonding_blocks;
    let params = check(m, unbonding)?;
    state.put_proto(PARAMS_KEY.to_vec(), &chain_params_of(&params));
    state.put_proto(PENDING_KEY.to_vec(), &params);
    state.put_proto(CURRENT_KEY.to_vec(), &params);
    Ok((
        MsgUpdateParamsResponse {},
        vec![pol_component::event::params_updated("consensus")],
    ))
}

/// The update to hand CometBFT at the end of this block, taken out of state.
pub fn take_pending<S: StateWrite>(state: &mut S) -> Result<Option<ConsensusParams>, StoreError> {
    let pending = state.get_proto::<ConsensusParams>(PENDING_KEY)?;
    if pending.is_some() {
        state.delete(PENDING_KEY.to_vec());
    }
    Ok(pending)
}

/// The consensus parameters last set by proposal, if any.
pub fn current<S: StateRead>(state: &S) -> Result<Option<ConsensusParams>, StoreError> {
    state.get_proto::<ConsensusParams>(CURRENT_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tendermint_proto::google::protobuf::Duration;
    use tendermint_proto::types::{AbciParams, BlockParams, EvidenceParams, ValidatorParams};

    fn msg() -> MsgUpdateParams {
        MsgUpdateParams {
            authority: pol_component::authority::gov_authority().to_string(),
            block: Some(BlockParams {
                max_bytes: 2_000_000,
                max_gas: 50_000_000,
            }),
            evidence: Some(EvidenceParams {
                max_age_num_blocks: 100,
                max_age_duration: Some(Duration {
                    seconds: 600,
                    nanos: 0,
                }),
                max_bytes: 100_000,
            }),
            validator: Some(ValidatorParams {
                pub_key_types: vec!["ed25519".into()],
            }),
            abci: None,
        }
    }

    #[test]
    fn what_cometbft_or_pol_would_refuse_is_refused() {
        let ok = check(&msg(), 1000).unwrap();
        let derived = chain_params_of(&ok);
        assert_eq!(derived.max_block_gas, 50_000_000);
        assert_eq!(derived.max_tx_bytes, 1 << 20);
        assert_eq!(derived.evidence_max_age_num_blocks, 100);
        type Edit = Box<dyn Fn(&mut MsgUpdateParams)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("no block", Box::new(|m| m.block = None)),
            (
                "zero bytes",
                Box::new(|m| m.block.as_mut().unwrap().max_bytes = 0),
            ),
            (
                "huge",
                Box::new(|m| m.block.as_mut().unwrap().max_bytes = 200_000_000),
            ),
            (
                "unmetered",
                Box::new(|m| m.block.as_mut().unwrap().max_gas = -1),
            ),
            (
                "no age",
                Box::new(|m| m.evidence.as_mut().unwrap().max_age_num_blocks = 0),
            ),
            (
                "evidence > block",
                Box::new(|m| m.evidence.as_mut().unwrap().max_bytes = 3_000_000),
            ),
            (
                "secp validators",
                Box::new(|m| {
                    m.validator.as_mut().unwrap().pub_key_types = vec!["secp256k1".into()]
                }),
            ),
            (
                "abci",
                Box::new(|m| {
                    m.abci = Some(AbciParams {
                        vote_extensions_enable_height: 5,
                    })
                }),
            ),
        ];
        for (why, edit) in cases {
            let mut m = msg();
            edit(&mut m);
            let e = check(&m, 1000).unwrap_err();
            assert_eq!(e.code, pol_component::error::code::INVALID_REQUEST, "{why}");
        }
        // Evidence that would outlive unbonding.
        let e = check(&msg(), 50).unwrap_err();
        assert!(e.log.contains("unbonded"), "{}", e.log);
    }
}
