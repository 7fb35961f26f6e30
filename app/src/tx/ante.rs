//! The ante handler: everything checked and charged before a transaction's messages run.
//! Its writes (fee, sequence, first public key) stay even when a message later fails.

use cosmos_sdk_proto::cosmos::tx::v1beta1::SignDoc;
use pol_auth::address_of_pubkey;
use pol_auth::{AuthRead, AuthWrite};
use pol_bank::BankWrite;
use pol_component::coins::coins_to_string;
use pol_component::{Address, BlockContext, Event, GasMeter, TxError};
use pol_store::StateWrite;
use prost::Message;

use super::decode::DecodedTx;
use pol_component::GasPrice;

use pol_auth::FEE_COLLECTOR;

pub fn run_ante<S: StateWrite>(
    state: &mut S,
    tx: &DecodedTx,
    ctx: &BlockContext,
    meter: &GasMeter,
    min_gas_price: Option<&GasPrice>,
    sig_check: super::verified::SigCheck,
) -> Result<Vec<Event>, TxError> {
    if tx.timeout_height != 0 && ctx.height > tx.timeout_height {
        return Err(TxError::TX_TIMEOUT_HEIGHT(format!(
            "block height {} is past the tx's timeout height {}",
            ctx.height, tx.timeout_height
        )));
    }
    let params = state.auth_params()?;
    meter.consume(params.tx_size_cost_per_byte.saturating_mul(tx.len as u64));

    if let Some(price) = min_gas_price {
        // Lower fees for reputation: an active provider's own transactions need less.
        let discount = provider_fee_discount_ppm(&*state, &tx.signer)?;
        let full = price.fee_for(tx.gas_limit).unwrap_or(u128::MAX);
        let need = full
            .saturating_mul(u128::from(1_000_000 - discount.min(1_000_000)))
            .div_ceil(1_000_000);
        let paid = tx
            .fee
            .iter()
            .filter(|c| c.denom == price.denom)
            .map(|c| c.amount)
            .max()
            .unwrap_or(0);
        if need > 0 && paid < need {
            return Err(TxError::INSUFFICIENT_FEE(format!(
                "insufficient fees; got: {} required: {}{}{}",
                if tx.fee.is_empty() {
                    "0".to_string()
                } else {
                    coins_to_string(&tx.fee)
                },
                need,
                price.denom,
                if discount > 0 {
                    format!(
                        " (a provider's {}% reputation discount applied)",
                        discount / 10_000
                    )
                } else {
                    String::new()
                }
            )));
        }
    }

    let mut account = state
        .account(&tx.signer)?
        .ok_or_else(|| TxError::UNKNOWN_ADDRESS(format!("account {} not found", tx.signer)))?;

    // The key that signs: the one on record, else the one the tx introduces.
    let recorded = match &account.pub_key {
        Some(any) => Some(
            cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(any.value.as_slice())
                .map_err(|e| TxError::INTERNAL(format!("stored public key does not decode: {e}")))?
                .key,
        ),
        None => None,
    };
    let pubkey = match (&recorded, &tx.pubkey) {
        (Some(rec), Some(given)) if rec != given => {
            return Err(TxError::INVALID_PUBKEY(
                "public key does not match the account's recorded key",
            ))
        }
        (Some(rec), _) => rec.clone(),
        (None, Some(given)) => {
            if address_of_pubkey(given)? != tx.signer {
                return Err(TxError::INVALID_PUBKEY(format!(
                    "public key does not belong to signer {}",
                    tx.signer
                )));
            }
            given.clone()
        }
        (None, None) => {
            return Err(TxError::INVALID_PUBKEY(format!(
                "account {} has no public key yet; the transaction must carry it",
                tx.signer
            )))
        }
    };

    if tx.sequence != account.sequence {
        return Err(TxError::WRONG_SEQUENCE(format!(
            "account sequence mismatch, expected {}, got {}: incorrect account sequence",
            account.sequence, tx.sequence
        )));
    }

    meter.consume(params.sig_verify_cost_secp256k1);
    let sign_doc = SignDoc {
        body_bytes: tx.body_bytes.clone(),
        auth_info_bytes: tx.auth_info_bytes.clone(),
        chain_id: ctx.chain_id.clone(),
        account_number: account.account_number,
    };
    let checked =
        super::verified::verify(sig_check, &pubkey, &sign_doc.encode_to_vec(), &tx.signature);
    if let Err(why) = checked {
        return Err(TxError::UNAUTHORIZED(format!(
            "signature verification failed ({why}); please verify account number ({}), sequence ({}) and chain-id ({}): unauthorized",
            account.account_number, account.sequence, ctx.chain_id
        )));
    }

    let mut events = Vec::new();
    if !tx.fee.is_empty() {
        state.send_coins(&tx.signer, &Address::module(FEE_COLLECTOR), &tx.fee)?;
        events.push(
            Event::new("tx")
                .attr("fee", coins_to_string(&tx.fee))
                .attr("fee_payer", tx.signer.to_string()),
        );
    }
    if recorded.is_none() {
        account.pub_key = Some(pol_auth::view::secp256k1_pubkey_any(&pubkey));
    }
    events.push(Event::new("tx").attr("acc_seq", format!("{}/{}", tx.signer, account.sequence)));
    account.sequence = account
        .sequence
        .checked_add(1)
        .ok_or_else(|| TxError::INTERNAL("account sequence exhausted"))?;
    state.put_account(&account)?;
    Ok(events)
}

/// The discount on the node's minimum fee (ppm) `signer` gets for its reputation: only an
/// active provider signing its own transaction, scaled by `reputation.params`.
pub fn provider_fee_discount_ppm<S: pol_store::StateRead + ?Sized>(
    state: &S,
    signer: &Address,
) -> Result<u32, TxError> {
    use pol_inference::InferenceRead;
    use pol_reputation::ReputationRead;
    let Some(p) = state.provider(signer)? else {
        return Ok(0);
    };
    if p.status != pol_inference::pb::ProviderStatus::Active as i32 {
        return Ok(0);
    }
    let params = state.reputation_params()?;
    Ok(params.fee_discount_ppm(state.provider_reputation_ppm(signer)?))
}
