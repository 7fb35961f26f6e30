use serde::{Deserialize, Serialize};

/// Every module's genesis, keyed by module name as in Cosmos' `app_state`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppState {
    pub auth: pol_auth::GenesisState,
    pub bank: pol_bank::GenesisState,
}

impl AppState {
    /// Parse `app_state` JSON; unknown fields are errors so a typo can't silently drop state.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(AppState::default());
        }
        let state: AppState =
            serde_json::from_slice(bytes).map_err(|e| format!("app_state: {e}"))?;
        state.validate()?;
        Ok(state)
    }

    pub fn validate(&self) -> Result<(), String> {
        self.auth.validate()?;
        self.bank.validate()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_typos_and_bad_values() {
        assert!(AppState::from_json(b"").unwrap() == AppState::default());
        assert!(AppState::from_json(br#"{"bnak": {}}"#)
            .unwrap_err()
            .contains("unknown field"));
        let bad_amount = br#"{"bank":{"balances":[{"address":"pol1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9","coins":[{"denom":"upol","amount":"-1"}]}]}}"#;
        assert!(AppState::from_json(bad_amount).is_err());
    }
}
