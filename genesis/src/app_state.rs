use serde::{Deserialize, Serialize};

/// Every module's genesis, keyed by module name as in Cosmos' `app_state`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppState {
    pub auth: pol_auth::GenesisState,
    pub bank: pol_bank::GenesisState,
    pub staking: pol_staking::GenesisState,
    pub inference: pol_inference::GenesisState,
    pub latency: pol_latency::GenesisState,
    pub sla: pol_sla::GenesisState,
    pub reputation: pol_reputation::GenesisState,
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
        self.staking.validate()?;
        self.inference.validate()?;
        self.latency.validate()?;
        self.sla.validate()?;
        self.reputation.validate()?;
        self.check_gentx_funds()?;
        Ok(())
    }

    /// Every gentx operator must hold its self-bond in bank genesis (InitChain would fail
    /// otherwise; saying so here catches it at `collect-gentxs` and `genesis validate`).
    fn check_gentx_funds(&self) -> Result<(), String> {
        let denom = &self.staking.params.bond_denom;
        // Exported pools are checked by InitChain against the imported records.
        let mut need: std::collections::BTreeMap<&str, u128> = Default::default();
        for g in &self.staking.gentxs {
            let n = need.entry(g.operator.as_str()).or_default();
            *n = n
                .checked_add(g.self_bond)
                .ok_or("gentx self-bonds overflow")?;
        }
        for (operator, need) in need {
            let have: u128 = self
                .bank
                .balances
                .iter()
                .filter(|b| b.address == operator)
                .flat_map(|b| b.coins.iter())
                .filter(|c| &c.denom == denom)
                .map(|c| c.amount.parse::<u128>().unwrap_or(0))
                .fold(0u128, u128::saturating_add);
            if have < need {
                return Err(format!(
                    "staking genesis: gentx operator {operator} self-bonds {need}{denom} \
                     but holds {have}{denom} in bank genesis"
                ));
            }
        }
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

    #[test]
    fn exported_accounts_parse_cosmos_style() {
        let a = pol_component::Address([1; 20]).to_string();
        let json = format!(
            r#"{{"auth":{{"accounts":[{{"address":"{a}","account_number":4,"sequence":9,
            "pub_key":{{"@type":"/cosmos.crypto.secp256k1.PubKey",
            "key":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC"}}}}],"next_account_number":5}}}}"#
        );
        let state = AppState::from_json(json.as_bytes()).unwrap();
        let acc = &state.auth.accounts[0];
        assert_eq!((acc.account_number, acc.sequence), (Some(4), 9));
        assert_eq!(acc.pub_key.as_ref().unwrap().key, vec![2u8; 33]);
        assert_eq!(state.auth.next_account_number, 5);
        // Written back the same way, and only the fields that are set.
        let out = serde_json::to_string(&state.auth).unwrap();
        assert!(
            out.contains(r#""@type":"/cosmos.crypto.secp256k1.PubKey""#),
            "{out}"
        );
        let plain = serde_json::to_string(&pol_auth::genesis::GenesisAccount::new(a)).unwrap();
        assert!(
            !plain.contains("sequence") && !plain.contains("account_number"),
            "{plain}"
        );
        // A typo in an account field is an error, not a silently dropped sequence.
        let typo = json.replace("\"sequence\"", "\"sequense\"");
        assert!(AppState::from_json(typo.as_bytes())
            .unwrap_err()
            .contains("unknown field"));
        let overlap = json.replace("\"next_account_number\":5", "\"next_account_number\":4");
        assert!(AppState::from_json(overlap.as_bytes())
            .unwrap_err()
            .contains("not past"));
    }

    #[test]
    fn gentx_operators_must_hold_their_self_bond() {
        let op = pol_component::Address([3; 20]);
        let mut state = AppState::default();
        state
            .staking
            .gentxs
            .push(pol_staking::GenesisValidator::new(
                &op,
                // A valid ed25519 point: the public key of the all-sevens seed.
                &ed25519_dalek::SigningKey::from_bytes(&[7; 32])
                    .verifying_key()
                    .to_bytes(),
                "v",
                0,
                5_000_000,
            ));
        state.bank.balances.push(pol_bank::genesis::GenesisBalance {
            address: op.to_string(),
            coins: vec![pol_bank::genesis::JsonCoin {
                denom: "upol".into(),
                amount: "4999999".into(),
            }],
        });
        let err = state.validate().unwrap_err();
        assert!(err.contains("holds 4999999upol"), "{err}");
        state.bank.balances[0].coins[0].amount = "5000000".into();
        assert_eq!(state.validate(), Ok(()));
    }
}
