//! Transaction and message failures as ABCI result codes.
//!
//! Codes reuse the Cosmos SDK's `sdk` codespace numbering so that cosmjs, cosmpy and wallets
//! that inspect `code`/`codespace` read pol's answers the way they read any Cosmos chain's:
//! the ante handler, tx decoding and the checks every module shares (coins, addresses, keys,
//! signatures) answer in `sdk`. What only one module can say ("provider jailed", "obligation
//! expired") has that module's codespace, declared with [`module_errors!`] as the Cosmos
//! SDK's `errors.Register(ModuleName, code, ...)`: codespace = the module's name, stable
//! numbered codes from 2 (1 is reserved for internal errors).

use std::fmt;

/// The `sdk` codespace of the Cosmos SDK (`types/errors`).
pub const SDK_CODESPACE: &str = "sdk";

/// A rejected transaction or message: a non-zero ABCI code with a log that says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TxError {
    pub codespace: &'static str,
    pub code: u32,
    pub log: String,
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (codespace {}, code {})",
            self.log, self.codespace, self.code
        )
    }
}

macro_rules! sdk_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal),* $(,)?) => {
        /// Cosmos SDK `sdk` codespace codes used by pol.
        pub mod code {
            $($(#[$doc])* pub const $name: u32 = $code;)*
        }
        impl TxError {
            $(
                #[allow(non_snake_case)]
                $(#[$doc])*
                pub fn $name(log: impl Into<String>) -> Self {
                    TxError { codespace: SDK_CODESPACE, code: $code, log: log.into() }
                }
            )*
        }
    };
}

sdk_codes! {
    /// The transaction bytes do not decode.
    TX_DECODE = 2,
    /// The signature does not verify (wrong key, account number or chain-id).
    UNAUTHORIZED = 4,
    /// Not enough balance for the fee or the transfer.
    INSUFFICIENT_FUNDS = 5,
    /// The message type is not routed by this chain.
    UNKNOWN_REQUEST = 6,
    /// A malformed or wrongly prefixed address.
    INVALID_ADDRESS = 7,
    /// A malformed public key, or one that does not match the signer.
    INVALID_PUBKEY = 8,
    /// The account does not exist.
    UNKNOWN_ADDRESS = 9,
    /// Malformed, unsorted, duplicate, zero or unknown coins.
    INVALID_COINS = 10,
    /// The transaction used more gas than its limit.
    OUT_OF_GAS = 11,
    /// The memo is longer than the chain allows.
    MEMO_TOO_LARGE = 12,
    /// The fee is below the gas price floor.
    INSUFFICIENT_FEE = 13,
    /// More signatures than signers allow.
    TOO_MANY_SIGNATURES = 14,
    /// No signatures at all.
    NO_SIGNATURES = 15,
    /// A request that is well-formed but not acceptable.
    INVALID_REQUEST = 18,
    /// The mempool already holds this transaction.
    TX_IN_MEMPOOL_CACHE = 19,
    /// The transaction is larger than the chain allows.
    TX_TOO_LARGE = 21,
    /// The transaction's timeout height has passed.
    TX_TIMEOUT_HEIGHT = 30,
    /// Extension options are not supported.
    UNKNOWN_EXTENSION_OPTIONS = 31,
    /// The signer's sequence is not the account's next sequence (a replay or a gap).
    WRONG_SEQUENCE = 32,
    /// State could not be read; the node's fault, never the sender's.
    INTERNAL = 1,
    /// The gas limit is zero or above the block's.
    INVALID_GAS_LIMIT = 41,
}

/// A module's error codes: `module_errors! { codespace = "inference"; /// doc
/// UNKNOWN_PROVIDER = 2, ... }` declares `CODESPACE`, one constructor function per error
/// (`UNKNOWN_PROVIDER(log) -> TxError`), `code::UNKNOWN_PROVIDER` and `ALL` (every name and
/// code). Codes must be unique and at least 2; the build fails otherwise. Codes are part of
/// the chain's interface: never renumber one, only add.
#[macro_export]
macro_rules! module_errors {
    (codespace = $codespace:literal; $($(#[$doc:meta])* $name:ident = $code:literal),* $(,)?) => {
        /// The codespace of this module's errors (the module's name).
        pub const CODESPACE: &str = $codespace;

        $(
            #[allow(non_snake_case)]
            $(#[$doc])*
            pub fn $name(log: impl Into<String>) -> $crate::TxError {
                $crate::TxError { codespace: $codespace, code: $code, log: log.into() }
            }
        )*

        /// The numbers of this module's errors.
        pub mod code {
            $($(#[$doc])* pub const $name: u32 = $code;)*
        }

        /// Every error of this module: name and code.
        pub const ALL: &[(&str, u32)] = &[$((stringify!($name), $code)),*];

        const _: () = {
            let mut i = 0;
            while i < ALL.len() {
                assert!(ALL[i].1 >= 2, "module error codes start at 2");
                let mut j = i + 1;
                while j < ALL.len() {
                    assert!(ALL[i].1 != ALL[j].1, "two module errors share a code");
                    j += 1;
                }
                i += 1;
            }
        };
    };
}

impl From<pol_store::StoreError> for TxError {
    fn from(e: pol_store::StoreError) -> Self {
        TxError::INTERNAL(format!("state error: {e}"))
    }
}
