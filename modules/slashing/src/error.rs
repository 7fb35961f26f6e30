//! Slashing's errors (codespace `slashing`), numbered as the SDK's `x/slashing` numbers
//! them, so a client that knows the SDK's codes reads pol's.

pol_component::module_errors! {
    codespace = "slashing";
    /// No validator has this operator address.
    NO_VALIDATOR_FOR_ADDRESS = 2,
    /// The validator is jailed and its jail time is not over, or it is tombstoned (the
    /// SDK's `Unjail` answers both with this code; the log says which).
    VALIDATOR_JAILED = 4,
    /// The validator is not jailed.
    VALIDATOR_NOT_JAILED = 5,
    /// The operator has no self-delegation.
    MISSING_SELF_DELEGATION = 6,
    /// The operator's self-delegation is below the minimum to unjail.
    SELF_DELEGATION_TOO_LOW_TO_UNJAIL = 7,
    /// No signing info for this consensus address.
    NO_SIGNING_INFO_FOUND = 8,
}
