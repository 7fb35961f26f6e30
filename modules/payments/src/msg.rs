//! The four messages. Each `execute_*` runs on an overlay and writes nothing unless it
//! succeeds; `*_signer` names the account the ante handler checks. Malformed addresses,
//! coins and keys answer in the `sdk` codespace, the rest in `payments` (see `error`).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use pol_bank::BankWrite;
use pol_component::coins::{parse_amount, validate_denom, Coin};
use pol_component::state::atomic;
use pol_component::{Address, BlockContext, Event, TxError};
use pol_inference::pb::ProviderStatus;
use pol_inference::InferenceRead;
use pol_store::StateWrite;

use crate::error;
use crate::params::Params;
use crate::payment::{parse_signer, SignedPayment};
use crate::pb::{self, ChannelState};
use crate::view::{Amounts, PaymentsRead, PaymentsWrite};
use crate::{escrow_account, EVENTS};

pub use crate::pb::{
    MsgClaimPayment, MsgClaimPaymentResponse, MsgCloseChannel, MsgCloseChannelResponse,
    MsgFundChannel, MsgFundChannelResponse, MsgOpenChannel, MsgOpenChannelResponse,
};

/// Gas for checking a payment's ed25519 signature (on top of storage gas).
pub const PAYMENT_SIGNATURE_GAS: u64 = 1_000;
/// The gas limit a claimer asks for a transaction of claims: this much per transaction,
/// and [`CLAIM_GAS_EACH`] per claim (storage, two sends, a signature), with room to spare.
pub const CLAIM_GAS_BASE: u64 = 100_000;
pub const CLAIM_GAS_EACH: u64 = 80_000;

/// Claims a claimer puts in one transaction (the worker, and `pold tx payments claim`):
/// [`claim_gas`] of it stays well inside a block.
pub const CLAIMS_PER_TX: usize = 100;

/// The gas limit for a transaction of `claims` claims.
pub fn claim_gas(claims: usize) -> u64 {
    CLAIM_GAS_BASE.saturating_add(CLAIM_GAS_EACH.saturating_mul(claims as u64))
}

pub fn open_channel_signer(m: &MsgOpenChannel) -> Result<Address, TxError> {
    Address::parse(&m.requester)
}
pub fn fund_channel_signer(m: &MsgFundChannel) -> Result<Address, TxError> {
    Address::parse(&m.requester)
}
pub fn claim_payment_signer(m: &MsgClaimPayment) -> Result<Address, TxError> {
    Address::parse(&m.provider)
}
pub fn close_channel_signer(m: &MsgCloseChannel) -> Result<Address, TxError> {
    Address::parse(&m.requester)
}

fn stored(e: pol_store::StoreError) -> TxError {
    TxError::from(e)
}

/// A positive coin in the params' denom (`what` names it in errors); zero allowed when
/// `allow_zero`, an absent coin then counting as zero.
fn deposit_coin(
    c: Option<&ProtoCoin>,
    params: &Params,
    what: &str,
    allow_zero: bool,
) -> Result<u128, TxError> {
    let Some(c) = c else {
        return if allow_zero {
            Ok(0)
        } else {
            Err(TxError::INVALID_COINS(format!("{what} is required")))
        };
    };
    if allow_zero && c.denom.is_empty() && (c.amount.is_empty() || c.amount == "0") {
        return Ok(0);
    }
    validate_denom(&c.denom)?;
    if c.denom != params.denom {
        return Err(error::INVALID_DEPOSIT(format!(
            "{what} must be in {}, got {}",
            params.denom, c.denom
        )));
    }
    let amount = parse_amount(&c.amount)
        .ok_or_else(|| TxError::INVALID_COINS(format!("{what} amount {:?}", c.amount)))?;
    if amount == 0 && !allow_zero {
        return Err(TxError::INVALID_COINS(format!("{what} must be positive")));
    }
    Ok(amount)
}

/// An expiry `height` must be within the params' duration window from `now`.
fn check_duration(expiry: u64, now: u64, params: &Params) -> Result<(), TxError> {
    let earliest = now.saturating_add(params.min_duration_blocks);
    let latest = now.saturating_add(params.max_duration_blocks);
    if expiry < earliest || expiry > latest {
        return Err(error::INVALID_EXPIRY(format!(
            "expiry height {expiry} must be between {earliest} and {latest} \
             ({}..={} blocks from height {now})",
            params.min_duration_blocks, params.max_duration_blocks
        )));
    }
    Ok(())
}

fn channel_of<S: PaymentsRead + ?Sized>(state: &S, id: u64) -> Result<pb::Channel, TxError> {
    state.channel(id)?.ok_or_else(|| {
        error::UNKNOWN_CHANNEL(format!(
            "channel {id} does not exist (never opened, or settled)"
        ))
    })
}

/// Channel `id`, which `requester` funds and which is not closing.
fn open_channel_of<S: PaymentsRead + ?Sized>(
    state: &S,
    id: u64,
    requester: &Address,
) -> Result<pb::Channel, TxError> {
    let channel = channel_of(state, id)?;
    if channel.requester != requester.to_string() {
        return Err(error::NOT_CHANNEL_PARTY(format!(
            "{requester} is not the requester of channel {id}"
        )));
    }
    if channel.state != ChannelState::Open as i32 {
        return Err(error::CHANNEL_CLOSING(format!(
            "channel {id} is closing; it settles at the end of height {}",
            channel.expiry_height
        )));
    }
    Ok(channel)
}

/// `e` with what to do about it appended to its log.
fn with_hint(mut e: TxError, hint: &str) -> TxError {
    e.log = format!("{}; {hint}", e.log);
    e
}

fn send<S: StateWrite + ?Sized>(
    s: &mut S,
    from: &Address,
    to: &Address,
    denom: &str,
    amount: u128,
) -> Result<Vec<Event>, TxError> {
    if amount == 0 {
        return Ok(Vec::new());
    }
    s.send_coins(from, to, &[Coin::new(denom, amount)])
}

pub fn execute_open_channel<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgOpenChannel,
) -> Result<(MsgOpenChannelResponse, Vec<Event>), TxError> {
    let requester = Address::parse(&m.requester)?;
    let provider_addr = Address::parse(&m.provider)?;
    let params = state.payments_params()?;
    parse_signer(&m.signer).map_err(|_| {
        TxError::INVALID_PUBKEY("signer must be a 32-byte ed25519 key of large order")
    })?;
    let provider = state.provider(&provider_addr)?.ok_or_else(|| {
        error::PROVIDER_UNAVAILABLE(format!("{provider_addr} is not a registered provider"))
    })?;
    if provider.status != ProviderStatus::Active as i32 {
        return Err(error::PROVIDER_UNAVAILABLE(format!(
            "provider {provider_addr} is not active"
        )));
    }
    if !provider.models.contains(&m.model_id) {
        return Err(error::PROVIDER_UNAVAILABLE(format!(
            "provider {provider_addr} does not serve model {:?}",
            m.model_id
        )));
    }
    let deposit = deposit_coin(m.deposit.as_ref(), &params, "deposit", false)?;
    if deposit < params.min_deposit {
        return Err(error::INVALID_DEPOSIT(format!(
            "deposit {deposit}{} is below the minimum {}{}",
            params.denom, params.min_deposit, params.denom
        )));
    }
    check_duration(m.expiry_height, ctx.height, &params)?;
    atomic(state, |s| {
        let id = s.next_channel_id()?;
        s.put_next_channel_id(
            id.checked_add(1)
                .ok_or_else(|| TxError::INTERNAL("channel ids exhausted"))?,
        );
        let mut events = send(s, &requester, &escrow_account(), &params.denom, deposit)?;
        let channel = pb::Channel {
            id,
            requester: requester.to_string(),
            provider: provider_addr.to_string(),
            model_id: m.model_id.clone(),
            signer: m.signer.clone(),
            denom: params.denom.clone(),
            deposit: deposit.to_string(),
            claimed: "0".into(),
            claimed_royalty: "0".into(),
            expiry_height: m.expiry_height,
            state: ChannelState::Open as i32,
            opened_height: ctx.height,
            close_requested_height: 0,
        };
        s.put_channel(&channel, None).map_err(stored)?;
        events.extend(EVENTS.emit(&pb::EventChannelOpened {
            channel_id: id,
            requester: channel.requester.clone(),
            provider: channel.provider.clone(),
            model_id: channel.model_id.clone(),
            deposit: channel.deposit.clone(),
            expiry_height: channel.expiry_height,
        })?);
        Ok((MsgOpenChannelResponse { channel_id: id }, events))
    })
}

pub fn execute_fund_channel<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgFundChannel,
) -> Result<(MsgFundChannelResponse, Vec<Event>), TxError> {
    let requester = Address::parse(&m.requester)?;
    let params = state.payments_params()?;
    let mut channel = open_channel_of(state, m.channel_id, &requester).map_err(|e| {
        if e.code == error::code::CHANNEL_CLOSING {
            with_hint(e, "open a new channel instead")
        } else {
            e
        }
    })?;
    let added = deposit_coin(m.amount.as_ref(), &params, "amount", true)?;
    if added > 0 && channel.denom != params.denom {
        return Err(error::INVALID_DEPOSIT(format!(
            "channel {} is funded in {}",
            channel.id, channel.denom
        )));
    }
    let old_expiry = channel.expiry_height;
    if m.expiry_height != 0 {
        if m.expiry_height < old_expiry {
            return Err(error::INVALID_EXPIRY(format!(
                "expiry height {} is before the channel's {old_expiry}: an expiry only moves later",
                m.expiry_height
            )));
        }
        check_duration(m.expiry_height, ctx.height, &params)?;
        channel.expiry_height = m.expiry_height;
    }
    if added == 0 && channel.expiry_height == old_expiry {
        return Err(TxError::INVALID_REQUEST(
            "nothing to do: give an amount, a later expiry height, or both",
        ));
    }
    let amounts = Amounts::of(&channel)?;
    let deposit = amounts
        .deposit
        .checked_add(added)
        .ok_or_else(|| TxError::INVALID_COINS("deposit overflows"))?;
    channel.deposit = deposit.to_string();
    atomic(state, |s| {
        let mut events = send(s, &requester, &escrow_account(), &channel.denom, added)?;
        s.put_channel(&channel, Some(old_expiry)).map_err(stored)?;
        events.extend(EVENTS.emit(&pb::EventChannelFunded {
            channel_id: channel.id,
            added: added.to_string(),
            deposit: channel.deposit.clone(),
            expiry_height: channel.expiry_height,
        })?);
        Ok((MsgFundChannelResponse {}, events))
    })
}

/// Gas up front for the claim's signature check.
pub fn claim_payment_gas(
    _: &dyn pol_store::StateRead,
    _: &MsgClaimPayment,
) -> Result<u64, TxError> {
    Ok(PAYMENT_SIGNATURE_GAS)
}

pub fn execute_claim_payment<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgClaimPayment,
) -> Result<(MsgClaimPaymentResponse, Vec<Event>), TxError> {
    let provider = Address::parse(&m.provider)?;
    let proto = m
        .payment
        .as_ref()
        .ok_or_else(|| error::INVALID_PAYMENT("payment is required"))?;
    let payment =
        SignedPayment::from_proto(proto).map_err(|e| error::INVALID_PAYMENT(e.to_string()))?;
    let mut channel = channel_of(state, payment.channel_id)?;
    if channel.provider != provider.to_string() {
        return Err(error::NOT_CHANNEL_PARTY(format!(
            "{provider} is not the provider of channel {}",
            channel.id
        )));
    }
    let signer = parse_signer(&channel.signer)
        .map_err(|_| TxError::INTERNAL(format!("channel {} has a bad signer key", channel.id)))?;
    payment
        .verify(&ctx.chain_id, &signer)
        .map_err(|e| error::INVALID_PAYMENT(e.to_string()))?;
    let amounts = Amounts::of(&channel)?;
    if payment.amount > amounts.deposit {
        return Err(error::PAYMENT_EXCEEDS_DEPOSIT(format!(
            "payment of {} exceeds channel {}'s deposit of {}",
            payment.amount, channel.id, amounts.deposit
        )));
    }
    // Both shares only grow: a payment that would move money from the owner to the
    // provider (or back) against an earlier claim is stale.
    let claimed_provider = amounts.claimed.saturating_sub(amounts.claimed_royalty);
    if payment.amount < amounts.claimed
        || payment.royalty < amounts.claimed_royalty
        || payment.provider_share() < claimed_provider
        || (payment.amount == amounts.claimed && !m.close)
    {
        return Err(error::STALE_PAYMENT(format!(
            "channel {} has paid out {} ({} royalty); this payment is for {} ({} royalty)",
            channel.id, amounts.claimed, amounts.claimed_royalty, payment.amount, payment.royalty
        )));
    }
    let paid_royalty = payment.royalty - amounts.claimed_royalty;
    let paid_provider = payment.provider_share() - claimed_provider;
    // The royalty goes to the model's owner; a model record is never removed, but if it
    // were, its share would stay with the provider rather than lock.
    let owner = match state.model(&channel.model_id)? {
        Some(model) => Address::parse(&model.owner)
            .map_err(|_| TxError::INTERNAL("stored model owner does not parse"))?,
        None => provider,
    };
    channel.claimed = payment.amount.to_string();
    channel.claimed_royalty = payment.royalty.to_string();
    atomic(state, |s| {
        let denom = channel.denom.clone();
        let mut events = send(s, &escrow_account(), &provider, &denom, paid_provider)?;
        events.extend(send(s, &escrow_account(), &owner, &denom, paid_royalty)?);
        events.extend(EVENTS.emit(&pb::EventPaymentClaimed {
            channel_id: channel.id,
            provider: provider.to_string(),
            paid_provider: paid_provider.to_string(),
            model_owner: owner.to_string(),
            paid_royalty: paid_royalty.to_string(),
            claimed: channel.claimed.clone(),
        })?);
        if m.close {
            events.extend(settle(s, &channel, "closed")?);
        } else {
            s.put_channel(&channel, Some(channel.expiry_height))
                .map_err(stored)?;
        }
        Ok((
            MsgClaimPaymentResponse {
                paid_provider: paid_provider.to_string(),
                paid_royalty: paid_royalty.to_string(),
            },
            events,
        ))
    })
}

pub fn execute_close_channel<S: StateWrite>(
    state: &mut S,
    ctx: &BlockContext,
    m: &MsgCloseChannel,
) -> Result<(MsgCloseChannelResponse, Vec<Event>), TxError> {
    let requester = Address::parse(&m.requester)?;
    let params = state.payments_params()?;
    let mut channel = open_channel_of(state, m.channel_id, &requester)?;
    let old_expiry = channel.expiry_height;
    channel.expiry_height = old_expiry.min(ctx.height.saturating_add(params.close_grace_blocks));
    channel.state = ChannelState::Closing as i32;
    channel.close_requested_height = ctx.height;
    atomic(state, |s| {
        s.put_channel(&channel, Some(old_expiry)).map_err(stored)?;
        let events = EVENTS.emit(&pb::EventChannelCloseRequested {
            channel_id: channel.id,
            expiry_height: channel.expiry_height,
        })?;
        Ok((
            MsgCloseChannelResponse {
                expiry_height: channel.expiry_height,
            },
            events.to_vec(),
        ))
    })
}

/// End `channel`: what its escrow still holds goes back to the requester, and the channel
/// and its indexes are removed. `reason` is "expired" or "closed".
pub fn settle<S: StateWrite + ?Sized>(
    s: &mut S,
    channel: &pb::Channel,
    reason: &str,
) -> Result<Vec<Event>, TxError> {
    let (requester, _) = crate::view::parties(channel)?;
    let refund = Amounts::of(channel)?.unclaimed();
    let mut events = send(s, &escrow_account(), &requester, &channel.denom, refund)?;
    s.remove_channel(channel)?;
    events.extend(EVENTS.emit(&pb::EventChannelSettled {
        channel_id: channel.id,
        requester: channel.requester.clone(),
        refunded: refund.to_string(),
        reason: reason.into(),
    })?);
    Ok(events)
}
