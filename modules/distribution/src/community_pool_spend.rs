//! `MsgCommunityPoolSpend`: a passed governance proposal pays from the community pool. The
//! authority must be the gov module account; the pool must cover the amount; module
//! accounts cannot be paid.

use cosmos_sdk_proto::cosmos::distribution::v1beta1::{
    MsgCommunityPoolSpend, MsgCommunityPoolSpendResponse,
};
use pol_bank::BankWrite;
use pol_component::authority::{authority_signer, check_authority};
use pol_component::coins::{coins_to_string, parse_coins};
use pol_component::module::{BlockedAccounts, MsgHandler};
use pol_component::{Address, BlockContext, DecCoins, Event, ExecEnv, TxError};
use pol_store::StateWrite;

use crate::view::{DistributionRead, DistributionWrite};

pub const MSG_COMMUNITY_POOL_SPEND: &str = "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend";

pub fn signer(m: &MsgCommunityPoolSpend) -> Result<Address, TxError> {
    authority_signer(&m.authority)
}

pub fn execute(
    mut state: &mut dyn StateWrite,
    _ctx: &BlockContext,
    env: &ExecEnv,
    m: &MsgCommunityPoolSpend,
) -> Result<(Vec<u8>, Vec<Event>), TxError> {
    check_authority(&m.authority)?;
    let to = Address::parse(&m.recipient)?;
    let coins = parse_coins(&m.amount)?;
    if coins.is_empty() {
        return Err(TxError::INVALID_COINS("amount must not be empty"));
    }
    let blocked = env.get::<BlockedAccounts>().ok_or_else(|| {
        TxError::INTERNAL("the app lent distribution no list of blocked accounts")
    })?;
    if blocked.0.contains(&to) {
        return Err(TxError::UNAUTHORIZED(format!(
            "{to} is a module account and is not allowed to receive funds"
        )));
    }
    let pool = state.community_pool()?;
    let left = pool.sub(&DecCoins::from_coins(&coins)).map_err(|_| {
        TxError::INSUFFICIENT_FUNDS(format!(
            "the community pool holds {}, less than {}",
            pool.to_proto()
                .iter()
                .map(|c| format!("{}{}", c.amount, c.denom))
                .collect::<Vec<_>>()
                .join(","),
            coins_to_string(&coins)
        ))
    })?;
    state.put_community_pool(&left);
    let events = (&mut state).send_coins(&crate::module_account(), &to, &coins)?;
    Ok((
        prost::Message::encode_to_vec(&MsgCommunityPoolSpendResponse {}),
        events,
    ))
}

pub static COMMUNITY_POOL_SPEND: MsgHandler<MsgCommunityPoolSpend> = MsgHandler {
    type_url: MSG_COMMUNITY_POOL_SPEND,
    response_type_url: "/cosmos.distribution.v1beta1.MsgCommunityPoolSpendResponse",
    signer,
    intrinsic_gas: pol_component::module::no_intrinsic_gas,
    execute,
};
