//! Who may change a module's parameters: the gov module account, as in the Cosmos SDK
//! (every `MsgUpdateParams` names it as `authority`). Nobody holds its key, so only a
//! passed proposal can send such a message; the handler checks the address as well, so a
//! message that names another authority fails even inside a proposal.

use crate::{Address, TxError};

/// The gov module's name, whose module account is the authority.
pub const GOV_MODULE: &str = "gov";

/// The gov module account: `Address::module("gov")`.
pub fn gov_authority() -> Address {
    Address::module(GOV_MODULE)
}

/// The signer of a message with an `authority` field (`MsgUpdateParams` and the like).
pub fn authority_signer(authority: &str) -> Result<Address, TxError> {
    Address::parse(authority)
}

/// `authority` is the gov module account; otherwise the SDK's `gov` code 13 ("expected gov
/// account as only signer for proposal message"), which every SDK module answers.
pub fn check_authority(authority: &str) -> Result<(), TxError> {
    let expected = gov_authority();
    if Address::parse(authority).ok() != Some(expected) {
        return Err(TxError {
            codespace: GOV_MODULE,
            code: 13,
            log: format!("invalid authority; expected {expected}, got {authority}"),
        });
    }
    Ok(())
}

/// The body of every `MsgUpdateParams`: the authority is the gov account, the params are
/// present and `parse` (decode and validate) accepts them; any refusal writes nothing.
pub fn checked_params<P, T>(
    authority: &str,
    params: Option<&P>,
    module: &str,
    parse: impl FnOnce(&P) -> Result<T, String>,
) -> Result<T, TxError> {
    check_authority(authority)?;
    let params = params.ok_or_else(|| {
        TxError::INVALID_REQUEST(format!("{module} MsgUpdateParams: params are missing"))
    })?;
    parse(params).map_err(|e| TxError::INVALID_REQUEST(format!("{module} MsgUpdateParams: {e}")))
}

/// Declares a module's `MsgUpdateParams` handler beside its `execute`: `MSG_UPDATE_PARAMS`,
/// `signer` (the message's `authority`) and `UPDATE_PARAMS`, whose response type URL is the
/// message's with `Response` appended.
#[macro_export]
macro_rules! update_params_handler {
    ($type_url:literal, $msg:ty, $execute:path) => {
        pub const MSG_UPDATE_PARAMS: &str = $type_url;

        pub fn signer(m: &$msg) -> Result<$crate::Address, $crate::TxError> {
            $crate::authority::authority_signer(&m.authority)
        }

        pub static UPDATE_PARAMS: $crate::module::MsgHandler<$msg> = $crate::msg_handler!(
            MSG_UPDATE_PARAMS,
            concat!($type_url, "Response"),
            signer,
            $execute
        );
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_gov_account_is_the_authority() {
        assert!(check_authority(&gov_authority().to_string()).is_ok());
        let other = Address::module("distribution").to_string();
        let e = check_authority(&other).unwrap_err();
        assert_eq!((e.codespace, e.code), ("gov", 13));
        assert!(check_authority("not an address").is_err());
    }
}
