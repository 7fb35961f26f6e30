//! The inference module as the app registers it.

use crate::msg::{
    self, MsgDeregisterProvider, MsgRegisterArchitecture, MsgRegisterModel, MsgRegisterProvider,
    MsgSubmitAttestation, MsgSubmitReceipt, MsgUpdateProvider,
};
use crate::verify::{BlockVerdicts, CheckCache, VerifyingKeys};
use crate::view::InferenceRead;
use pol_component::genesis::{GenesisHandler, GenesisOf};
use pol_component::module::{decode_msg_as, MsgHandler};
use pol_component::{
    Address, BlockContext, EndBlockOutcome, Event, ExecEnv, Module, ModuleMsg, TxError,
};
use pol_store::{StateRead, StateWrite, Storage, StoreError};
use prost::Message;
use tendermint_proto::google::protobuf::Any;
use tonic::service::RoutesBuilder;

/// Architectures, models, providers, receipts and attestations; `pol.inference.v1.Query`.
pub struct InferenceModule;

impl Module for InferenceModule {
    fn name(&self) -> &'static str {
        crate::MODULE
    }

    fn decode_msg(&self, any: &Any) -> Option<Result<Box<dyn ModuleMsg>, TxError>> {
        Some(match any.type_url.as_str() {
            crate::MSG_REGISTER_ARCHITECTURE_TYPE_URL => decode_msg_as(any, &REGISTER_ARCHITECTURE),
            crate::MSG_REGISTER_MODEL_TYPE_URL => decode_msg_as(any, &REGISTER_MODEL),
            crate::MSG_REGISTER_PROVIDER_TYPE_URL => decode_msg_as(any, &REGISTER_PROVIDER),
            crate::MSG_UPDATE_PROVIDER_TYPE_URL => decode_msg_as(any, &UPDATE_PROVIDER),
            crate::MSG_DEREGISTER_PROVIDER_TYPE_URL => decode_msg_as(any, &DEREGISTER_PROVIDER),
            crate::MSG_SUBMIT_RECEIPT_TYPE_URL => decode_msg_as(any, &SUBMIT_RECEIPT),
            crate::MSG_SUBMIT_ATTESTATION_TYPE_URL => decode_msg_as(any, &SUBMIT_ATTESTATION),
            crate::MSG_ATTEST_SETUP_TYPE_URL => decode_msg_as(any, &ATTEST_SETUP),
            crate::update_params::MSG_UPDATE_PARAMS => {
                decode_msg_as(any, &crate::update_params::UPDATE_PARAMS)
            }
            _ => return None,
        })
    }

    fn begin_block_msgs(
        &self,
        state: &dyn StateRead,
        ctx: &BlockContext,
        msgs: &[&dyn ModuleMsg],
        env: &mut ExecEnv,
    ) {
        // Every attestation of the block, verified up front in one batch per architecture
        // against the state the block starts from; the handlers read the verdicts.
        let attestations: Vec<&MsgSubmitAttestation> = msgs
            .iter()
            .filter_map(|m| m.as_any().downcast_ref())
            .collect();
        let verdicts = BlockVerdicts::precompute(&shared().0, state, ctx.height, &attestations);
        if verdicts.batched > 0 {
            metrics::counter!("pol_attestations_batch_verified_total")
                .increment(verdicts.batched as u64);
        }
        env.insert(verdicts);
    }

    fn mempool_env(&self, env: &mut ExecEnv) {
        // A tx rechecked after every block, or broadcast twice, is verified once.
        env.insert::<&'static CheckCache>(&shared().1);
    }

    fn block_budget(&self, state: &dyn StateRead) -> Result<Option<u32>, StoreError> {
        Ok(Some(state.inference_params()?.max_attestations_per_block))
    }

    fn block_cost(&self, msgs: &[&dyn ModuleMsg]) -> u32 {
        let n = msgs
            .iter()
            .filter(|m| m.as_any().is::<MsgSubmitAttestation>())
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn end_block(
        &self,
        mut state: &mut dyn StateWrite,
        ctx: &BlockContext,
        block_hash: &[u8],
        _shared: &mut ExecEnv,
    ) -> Result<EndBlockOutcome, TxError> {
        Ok(EndBlockOutcome {
            events: crate::end_block::end_block(&mut state, ctx, block_hash)?,
            ..Default::default()
        })
    }

    fn genesis(&self) -> Option<&'static dyn GenesisHandler> {
        Some(&GenesisOf::<crate::GenesisState>::HANDLER)
    }

    fn invariants(&self, state: &dyn StateRead, height: u64) -> Result<Vec<String>, StoreError> {
        crate::invariants::invariants(state, height)
    }

    fn query_services(&self) -> &'static [&'static str] {
        &[crate::QUERY_SERVICE]
    }

    fn register_queries(&self, storage: &Storage, routes: &mut RoutesBuilder) {
        routes.add_service(crate::InferenceQuery::server(storage.clone()));
    }

    fn file_descriptor_sets(&self) -> &'static [&'static [u8]] {
        &[crate::FILE_DESCRIPTOR_SET]
    }

    fn blocked_accounts(&self) -> Vec<Address> {
        vec![crate::bond_pool(), crate::escrow_pool()]
    }
}

static REGISTER_ARCHITECTURE: MsgHandler<MsgRegisterArchitecture> = pol_component::msg_handler!(
    crate::MSG_REGISTER_ARCHITECTURE_TYPE_URL,
    "/pol.inference.v1.MsgRegisterArchitectureResponse",
    msg::register_architecture_signer,
    msg::execute_register_architecture,
    |_: &dyn StateRead, m: &MsgRegisterArchitecture| Ok(crate::setup::record_gas(m.setup.as_ref()))
);

static ATTEST_SETUP: MsgHandler<crate::pb::MsgAttestSetup> = pol_component::msg_handler!(
    crate::MSG_ATTEST_SETUP_TYPE_URL,
    "/pol.inference.v1.MsgAttestSetupResponse",
    crate::setup::attest_setup_signer,
    crate::setup::execute_attest_setup,
    |_: &dyn StateRead, m: &crate::pb::MsgAttestSetup| Ok(crate::setup::record_gas(
        m.setup.as_ref()
    ))
);

static REGISTER_MODEL: MsgHandler<MsgRegisterModel> = pol_component::msg_handler!(
    crate::MSG_REGISTER_MODEL_TYPE_URL,
    "/pol.inference.v1.MsgRegisterModelResponse",
    msg::register_model_signer,
    msg::execute_register_model
);

static REGISTER_PROVIDER: MsgHandler<MsgRegisterProvider> = pol_component::msg_handler!(
    crate::MSG_REGISTER_PROVIDER_TYPE_URL,
    "/pol.inference.v1.MsgRegisterProviderResponse",
    msg::register_provider_signer,
    msg::execute_register_provider
);

static UPDATE_PROVIDER: MsgHandler<MsgUpdateProvider> = pol_component::msg_handler!(
    crate::MSG_UPDATE_PROVIDER_TYPE_URL,
    "/pol.inference.v1.MsgUpdateProviderResponse",
    msg::update_provider_signer,
    msg::execute_update_provider
);

static DEREGISTER_PROVIDER: MsgHandler<MsgDeregisterProvider> = pol_component::msg_handler!(
    crate::MSG_DEREGISTER_PROVIDER_TYPE_URL,
    "/pol.inference.v1.MsgDeregisterProviderResponse",
    msg::deregister_provider_signer,
    msg::execute_deregister_provider
);

static SUBMIT_RECEIPT: MsgHandler<MsgSubmitReceipt> = pol_component::msg_handler!(
    crate::MSG_SUBMIT_RECEIPT_TYPE_URL,
    "/pol.inference.v1.MsgSubmitReceiptResponse",
    msg::submit_receipt_signer,
    msg::execute_submit_receipt,
    receipt_gas
);

fn exec_submit_attestation(
    mut state: &mut dyn StateWrite,
    ctx: &BlockContext,
    env: &ExecEnv,
    m: &MsgSubmitAttestation,
) -> Result<(Vec<u8>, Vec<Event>), TxError> {
    let (response, events) =
        msg::execute_submit_attestation(&mut state, ctx, m, crate::verify::lent_verifier(env)?)?;
    Ok((response.encode_to_vec(), events))
}

static SUBMIT_ATTESTATION: MsgHandler<MsgSubmitAttestation> = MsgHandler {
    type_url: crate::MSG_SUBMIT_ATTESTATION_TYPE_URL,
    response_type_url: "/pol.inference.v1.MsgSubmitAttestationResponse",
    signer: msg::submit_attestation_signer,
    intrinsic_gas: attestation_gas,
    execute: exec_submit_attestation,
};

/// Verdicts CheckTx remembers.
const CHECK_PROOF_CACHE: usize = 4096;

/// Prepared verifying keys and CheckTx's verdict cache. Both are content-addressed (by
/// architecture id, statement and proof), so one of each serves every chain in the process.
fn shared() -> &'static (VerifyingKeys, CheckCache) {
    static SHARED: std::sync::OnceLock<(VerifyingKeys, CheckCache)> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let keys = VerifyingKeys::new();
        let cache = CheckCache::new(keys.clone(), CHECK_PROOF_CACHE);
        (keys, cache)
    })
}

fn receipt_gas(_: &dyn StateRead, _: &MsgSubmitReceipt) -> Result<u64, TxError> {
    Ok(msg::RECEIPT_SIGNATURE_GAS)
}

fn attestation_gas(state: &dyn StateRead, _: &MsgSubmitAttestation) -> Result<u64, TxError> {
    Ok(state.inference_params()?.attestation_gas)
}
