//! The inference module's errors (codespace `inference`): what a requester, a provider or
//! a model owner can tell apart without reading the log. Malformed coins, keys and
//! signatures answer in the shared `sdk` codespace, as in every Cosmos module.

pol_component::module_errors! {
    codespace = "inference";
    /// A model id outside 1-64 of a-z 0-9 . _ -, starting with a letter or digit.
    INVALID_MODEL_ID = 2,
    /// An endpoint that is not an http(s) URL with a host, or is too long.
    INVALID_ENDPOINT = 3,
    /// An SLA that is missing or out of range.
    INVALID_SLA = 4,
    /// A provider's model list that is empty, too long or repeats a model.
    INVALID_MODEL_LIST = 5,
    /// The model is not registered.
    UNKNOWN_MODEL = 6,
    /// The address is not a registered provider.
    UNKNOWN_PROVIDER = 7,
    /// The address is already a provider.
    PROVIDER_EXISTS = 8,
    /// The bond is below the minimum (the chain's, or one raised by SLA violations).
    BOND_TOO_LOW = 9,
    /// The provider has deregistered (its bond is unbonding).
    PROVIDER_DEREGISTERED = 10,
    /// The provider is not active (jailed): it cannot be paid for new receipts.
    PROVIDER_NOT_ACTIVE = 11,
    /// The provider does not serve the receipt's model.
    MODEL_NOT_SERVED = 12,
    /// The receipt does not decode or has no valid id.
    INVALID_RECEIPT = 13,
    /// The receipt was signed for another chain.
    WRONG_CHAIN = 14,
    /// The receipt is older than the chain accepts.
    RECEIPT_EXPIRED = 15,
    /// The receipt was already submitted.
    RECEIPT_DUPLICATE = 16,
    /// The architecture id is already registered.
    ARCHITECTURE_EXISTS = 17,
    /// The model id is already registered.
    MODEL_EXISTS = 18,
    /// The architecture is not registered.
    UNKNOWN_ARCHITECTURE = 19,
    /// The weight commitment is not a canonical BN254 field element of 32 bytes.
    INVALID_WEIGHT_COMMITMENT = 20,
    /// The obligation does not exist.
    UNKNOWN_OBLIGATION = 21,
    /// The obligation is already discharged or missed.
    OBLIGATION_SETTLED = 22,
    /// The obligation's deadline has passed.
    OBLIGATION_EXPIRED = 23,
    /// The attested input or output does not hash to the receipt's.
    ATTESTATION_MISMATCH = 24,
    /// The proof does not verify against the architecture's key.
    INVALID_PROOF = 25,
    /// A seeded or single-party key (or one that declares no setup) on a chain whose
    /// genesis does not allow them: keys must come from a ceremony.
    INSECURE_SETUP_NOT_ALLOWED = 26,
    /// A setup record that is malformed, or whose contributor signatures do not verify.
    INVALID_SETUP = 27,
    /// The architecture's setup cannot be attested: not a ceremony, already attested, or
    /// another transcript digest than the one named.
    SETUP_NOT_ATTESTABLE = 28,
}
