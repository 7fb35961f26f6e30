//! The payments module's errors (codespace `payments`): what a requester's client or a
//! worker tells apart without reading the log. Malformed coins, addresses and keys answer
//! in the shared `sdk` codespace, as in every Cosmos module.

pol_component::module_errors! {
    codespace = "payments";
    /// No channel has this id (never opened, or already settled).
    UNKNOWN_CHANNEL = 2,
    /// The sender is not the channel's requester (fund, close) or provider (claim).
    NOT_CHANNEL_PARTY = 3,
    /// The provider is not registered, not active, or does not serve the model.
    PROVIDER_UNAVAILABLE = 4,
    /// The expiry is too soon, too far, or earlier than the channel's.
    INVALID_EXPIRY = 5,
    /// The deposit is below the minimum or in another denom.
    INVALID_DEPOSIT = 6,
    /// The payment's signature does not verify under the channel's signer key, or the
    /// payment does not decode.
    INVALID_PAYMENT = 7,
    /// The payment authorises more than the channel's deposit.
    PAYMENT_EXCEEDS_DEPOSIT = 8,
    /// The payment is not beyond what was already claimed (in total or in either share).
    STALE_PAYMENT = 9,
    /// The channel is closing: it cannot be funded or closed again.
    CHANNEL_CLOSING = 10,
}
