//! Architectures (their verifying keys) and models (their weight commitments and prices).

use pol_component::{Address, BlockContext, Event, TxError};
use pol_proofs::commitment::Commitment;
use pol_store::StateWrite;

use crate::error;
use crate::pb::{self};
use crate::verify::decode_verifying_key;
use crate::view::{InferenceRead, InferenceWrite};
use crate::EVENTS;

use super::*;

pub fn execute_register_architecture<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgRegisterArchitecture,
) -> Result<(MsgRegisterArchitectureResponse, Vec<Event>), TxError> {
    let sender = Address::parse(&m.sender)?;
    let (id, vk) = decode_verifying_key(&m.verifying_key).map_err(invalid)?;
    if state.architecture(&id)?.is_some() {
        return Err(error::ARCHITECTURE_EXISTS(format!(
            "architecture {id} is already registered"
        )));
    }
    let setup = crate::setup::check_registered(m.setup.as_ref(), &state.inference_params()?)?;
    let arch = pb::Architecture {
        id: id.clone(),
        layers: vk
            .arch
            .layers
            .iter()
            .map(|l| pb::Layer {
                input: l.input,
                output: l.output,
                shift: u32::from(l.shift),
            })
            .collect(),
        // Canonical re-encoding: the id is its hash.
        verifying_key: vk.to_bytes(),
        registrant: sender.to_string(),
        registered_height: ctx.height,
        setup: Some(setup),
    };
    state.put_architecture(&arch);
    Ok((
        MsgRegisterArchitectureResponse { id: id.clone() },
        EVENTS
            .emit(&pb::EventRegisterArchitecture {
                id,
                layers: vk.arch.to_string(),
                registrant: sender.to_string(),
                setup: crate::setup::describe(arch.setup.as_ref()),
            })?
            .to_vec(),
    ))
}

pub fn execute_register_model<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgRegisterModel,
) -> Result<(MsgRegisterModelResponse, Vec<Event>), TxError> {
    let owner = Address::parse(&m.owner)?;
    validate_model_id(&m.model_id)?;
    if state.model(&m.model_id)?.is_some() {
        return Err(error::MODEL_EXISTS(format!(
            "model {} is already registered",
            m.model_id
        )));
    }
    if state.architecture(&m.architecture_id)?.is_none() {
        return Err(error::UNKNOWN_ARCHITECTURE(format!(
            "architecture {} is not registered",
            m.architecture_id
        )));
    }
    let commitment: [u8; 32] = m
        .weight_commitment
        .as_slice()
        .try_into()
        .map_err(|_| error::INVALID_WEIGHT_COMMITMENT("weight_commitment must be 32 bytes"))?;
    if Commitment(commitment).to_field().is_none() {
        return Err(error::INVALID_WEIGHT_COMMITMENT(
            "weight_commitment is not a canonical BN254 field element",
        ));
    }
    let price = price(&m.price_per_inference, "price_per_inference")?;
    state.put_model(&pb::Model {
        id: m.model_id.clone(),
        architecture_id: m.architecture_id.clone(),
        weight_commitment: commitment.to_vec(),
        owner: owner.to_string(),
        price_per_inference: price.to_string(),
        registered_height: ctx.height,
    });
    Ok((
        MsgRegisterModelResponse {},
        EVENTS
            .emit(&pb::EventRegisterModel {
                model_id: m.model_id.clone(),
                architecture_id: m.architecture_id.clone(),
                owner: owner.to_string(),
            })?
            .to_vec(),
    ))
}
