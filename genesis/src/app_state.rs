//! `app_state`, checked against the app's modules: every entry must name a module (a typo
//! must not silently drop state), each module checks its own part, then the checks across
//! modules run.

pub use pol_component::genesis::ChainStart;
pub use pol_component::AppState;
use pol_component::Module;

/// Check `app_state` against `modules` (the app's module list), for a chain starting at
/// `chain.initial_height`.
pub fn validate(
    app_state: &AppState,
    modules: &[&dyn Module],
    chain: &ChainStart,
) -> Result<(), String> {
    for name in app_state.modules() {
        if !modules
            .iter()
            .any(|m| m.name() == name && m.genesis().is_some())
        {
            let known: Vec<_> = modules
                .iter()
                .filter(|m| m.genesis().is_some())
                .map(|m| m.name())
                .collect();
            return Err(format!(
                "app_state: unknown module `{name}` (modules with genesis: {})",
                known.join(", ")
            ));
        }
    }
    let handlers: Vec<_> = modules.iter().filter_map(|m| m.genesis()).collect();
    for g in &handlers {
        g.validate(app_state)?;
    }
    for g in &handlers {
        g.validate_against(app_state, chain)?;
    }
    Ok(())
}

/// Every module's default genesis (what `pold init` writes).
pub fn default_app_state(modules: &[&dyn Module]) -> Result<AppState, String> {
    let mut app_state = AppState::default();
    for m in modules {
        if let Some(g) = m.genesis() {
            app_state.insert_raw(m.name(), g.default_json()?);
        }
    }
    Ok(app_state)
}

/// Parse `app_state` bytes (as InitChain gets them) and check them.
pub fn parse(
    bytes: &[u8],
    modules: &[&dyn Module],
    chain: &ChainStart,
) -> Result<AppState, String> {
    let app_state = AppState::from_json(bytes)?;
    validate(&app_state, modules, chain)?;
    Ok(app_state)
}

#[cfg(test)]
mod tests {
    use super::*;

    static MODULES: &[&dyn Module] = &[
        &pol_auth::AuthModule,
        &pol_bank::BankModule,
        &pol_staking::StakingModule,
    ];

    #[test]
    fn rejects_typos_and_bad_values() {
        assert!(parse(b"", MODULES, &ChainStart::default()).unwrap() == AppState::default());
        let typo = parse(br#"{"bnak": {}}"#, MODULES, &ChainStart::default()).unwrap_err();
        assert!(typo.contains("unknown module `bnak`"), "{typo}");
        let typo = parse(
            br#"{"bank": {"balance": []}}"#,
            MODULES,
            &ChainStart::default(),
        )
        .unwrap_err();
        assert!(typo.contains("unknown field"), "{typo}");
        let bad_amount = br#"{"bank":{"balances":[{"address":"pol1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9","coins":[{"denom":"upol","amount":"-1"}]}]}}"#;
        assert!(parse(bad_amount, MODULES, &ChainStart::default()).is_err());
        // The defaults validate, and hold every module's part.
        let defaults = default_app_state(MODULES).unwrap();
        assert_eq!(
            defaults.modules().collect::<Vec<_>>(),
            ["auth", "bank", "staking"]
        );
        validate(&defaults, MODULES, &ChainStart::default()).unwrap();
    }

    #[test]
    fn exported_accounts_parse_cosmos_style() {
        let a = pol_auth::address_of_pubkey(&[2; 33]).unwrap().to_string();
        let json = format!(
            r#"{{"auth":{{"accounts":[{{"address":"{a}","account_number":4,"sequence":9,
            "pub_key":{{"@type":"/cosmos.crypto.secp256k1.PubKey",
            "key":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC"}}}}],"next_account_number":5}}}}"#
        );
        let state = parse(json.as_bytes(), MODULES, &ChainStart::default()).unwrap();
        let auth: pol_auth::GenesisState = state.get().unwrap();
        let acc = &auth.accounts[0];
        assert_eq!((acc.account_number, acc.sequence), (Some(4), 9));
        assert_eq!(acc.pub_key.as_ref().unwrap().key, vec![2u8; 33]);
        assert_eq!(auth.next_account_number, 5);
        // Written back the same way, and only the fields that are set.
        let out = serde_json::to_string(&auth).unwrap();
        assert!(
            out.contains(r#""@type":"/cosmos.crypto.secp256k1.PubKey""#),
            "{out}"
        );
        let plain =
            serde_json::to_string(&pol_auth::genesis::GenesisAccount::new(a.clone())).unwrap();
        assert!(
            !plain.contains("sequence") && !plain.contains("account_number"),
            "{plain}"
        );
        // A typo in an account field is an error, not a silently dropped sequence.
        let typo = json.replace("\"sequence\"", "\"sequense\"");
        assert!(parse(typo.as_bytes(), MODULES, &ChainStart::default())
            .unwrap_err()
            .contains("unknown field"));
        let overlap = json.replace("\"next_account_number\":5", "\"next_account_number\":4");
        assert!(parse(overlap.as_bytes(), MODULES, &ChainStart::default())
            .unwrap_err()
            .contains("not past"));
        // A recorded key must be the account's own.
        let other = json.replace(&a, &pol_component::Address([9; 20]).to_string());
        assert!(parse(other.as_bytes(), MODULES, &ChainStart::default())
            .unwrap_err()
            .contains("belongs to"));
    }

    #[test]
    fn gentx_operators_must_hold_their_self_bond() {
        let op = pol_component::Address([3; 20]);
        let mut state = AppState::default();
        let gentx = pol_staking::GenesisValidator::new(
            &op,
            // A valid ed25519 point: the public key of the all-sevens seed.
            &ed25519_dalek::SigningKey::from_bytes(&[7; 32])
                .verifying_key()
                .to_bytes(),
            "v",
            0,
            5_000_000,
        );
        state
            .edit(|s: &mut pol_staking::GenesisState| s.gentxs.push(gentx))
            .unwrap();
        let balance = |amount: &str| pol_bank::genesis::GenesisBalance {
            address: op.to_string(),
            coins: vec![pol_bank::genesis::JsonCoin {
                denom: "upol".into(),
                amount: amount.into(),
            }],
        };
        state
            .edit(|b: &mut pol_bank::GenesisState| b.balances = vec![balance("4999999")])
            .unwrap();
        let err = validate(&state, MODULES, &ChainStart::default()).unwrap_err();
        assert!(err.contains("holds 4999999upol"), "{err}");
        state
            .edit(|b: &mut pol_bank::GenesisState| b.balances = vec![balance("5000000")])
            .unwrap();
        assert_eq!(validate(&state, MODULES, &ChainStart::default()), Ok(()));
    }
}
