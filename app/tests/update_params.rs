//! Every module's `MsgUpdateParams` through the real module list: the gov account is its
//! only signer; another authority is refused with the SDK's gov code 13 and invalid
//! parameters with sdk code 18, both writing nothing; valid ones take effect; the
//! parameters that cannot change by proposal (denominations, the epoch length) are refused.

use pol_app::modules::Modules;
use pol_component::{Address, BlockContext, Dec, TxError};
use pol_genesis::ChainStart;
use pol_store::{MemState, StateDelta};
use prost::Message;
use tendermint_proto::google::protobuf::Any;

use pol_auth::AuthRead;
use pol_distribution::DistributionRead;
use pol_gov::GovRead;
use pol_inference::InferenceRead;
use pol_latency::LatencyRead;
use pol_mint::MintRead;
use pol_payments::view::PaymentsRead;
use pol_reputation::ReputationRead;
use pol_sla::SlaRead;
use pol_slashing::SlashingRead;
use pol_staking::StakingRead;

type State = StateDelta<MemState>;

fn ctx() -> BlockContext {
    BlockContext {
        chain_id: "pol-params-1".into(),
        height: 5,
        time_unix_nanos: 5_000_000_000,
    }
}

fn genesis() -> State {
    let modules = Modules::pol();
    let app_state = modules
        .parse_genesis(b"{}", &ChainStart::default())
        .unwrap();
    let mut s = StateDelta::new(MemState::default());
    modules.init_genesis(&mut s, &ctx(), &app_state).unwrap();
    s
}

fn pack<M: Message>(type_url: &str, m: &M) -> Any {
    Any {
        type_url: type_url.into(),
        value: m.encode_to_vec(),
    }
}

/// Run `any` as a tx would: writes kept only on success.
fn deliver(s: &mut State, any: &Any) -> Result<(), TxError> {
    let modules = Modules::pol();
    let (_, msg) = modules.decode_msg(any)?;
    assert_eq!(
        msg.signer()?.to_string(),
        authority_of(any),
        "{}",
        any.type_url
    );
    let env = modules.mempool_env();
    let mut tx = StateDelta::new(&*s);
    msg.execute(&mut tx, &ctx(), &env)?;
    let writes = tx.into_writes();
    s.apply(writes);
    Ok(())
}

/// The `authority` field (field 1 of every MsgUpdateParams).
fn authority_of(any: &Any) -> String {
    #[derive(Message)]
    struct Authority {
        #[prost(string, tag = "1")]
        authority: String,
    }
    Authority::decode(any.value.as_slice()).unwrap().authority
}

/// One module's case: the message with `authority` and the params changed by `change`
/// (`valid` or not), and the value a successful change shows.
struct Case {
    module: &'static str,
    build: fn(&State, &str, bool) -> Any,
    probe: fn(&State) -> String,
    changed: &'static str,
}

fn gov() -> String {
    pol_gov::gov_authority().to_string()
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            module: "auth",
            build: |s, a, valid| {
                let mut p = s.auth_params().unwrap();
                p.max_memo_characters = if valid { 300 } else { 0 };
                pack(
                    "/cosmos.auth.v1beta1.MsgUpdateParams",
                    &cosmos_sdk_proto::cosmos::auth::v1beta1::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p.to_proto()),
                    },
                )
            },
            probe: |s| s.auth_params().unwrap().max_memo_characters.to_string(),
            changed: "300",
        },
        Case {
            module: "mint",
            build: |s, a, valid| {
                let mut p = s.mint_params().unwrap();
                p.blocks_per_year = 1_000_000;
                if !valid {
                    p.goal_bonded = Dec::zero();
                }
                pack(
                    "/cosmos.mint.v1beta1.MsgUpdateParams",
                    &cosmos_sdk_proto::cosmos::mint::v1beta1::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p.to_proto()),
                    },
                )
            },
            probe: |s| s.mint_params().unwrap().blocks_per_year.to_string(),
            changed: "1000000",
        },
        Case {
            module: "distribution",
            build: |s, a, valid| {
                let mut p = s.distribution_params().unwrap();
                p.community_tax = if valid {
                    Dec::with_decimals(5, 2)
                } else {
                    Dec::with_decimals(2, 0)
                };
                pack(
                    "/cosmos.distribution.v1beta1.MsgUpdateParams",
                    &cosmos_sdk_proto::cosmos::distribution::v1beta1::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p.to_proto()),
                    },
                )
            },
            probe: |s| s.distribution_params().unwrap().community_tax.to_string(),
            changed: "0.050000000000000000",
        },
        Case {
            module: "slashing",
            build: |s, a, valid| {
                let mut p = s.slashing_params().unwrap();
                p.signed_blocks_window = if valid { 200 } else { 0 };
                pack(
                    "/cosmos.slashing.v1beta1.MsgUpdateParams",
                    &cosmos_sdk_proto::cosmos::slashing::v1beta1::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p.to_proto()),
                    },
                )
            },
            probe: |s| {
                s.slashing_params()
                    .unwrap()
                    .signed_blocks_window
                    .to_string()
            },
            changed: "200",
        },
        Case {
            module: "gov",
            build: |s, a, valid| {
                let mut p = s.gov_params().unwrap();
                p.quorum = if valid {
                    Dec::with_decimals(4, 1)
                } else {
                    Dec::with_decimals(2, 0)
                };
                pack(
                    "/cosmos.gov.v1.MsgUpdateParams",
                    &cosmos_sdk_proto::cosmos::gov::v1::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p.to_proto()),
                    },
                )
            },
            probe: |s| s.gov_params().unwrap().quorum.to_string(),
            changed: "0.400000000000000000",
        },
        Case {
            module: "staking",
            build: |s, a, valid| {
                let mut p = s.staking_params().unwrap();
                p.max_validators = if valid { 7 } else { 0 };
                pack(
                    "/pol.staking.v1.MsgUpdateParams",
                    &pol_staking::pb::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p.to_proto()),
                    },
                )
            },
            probe: |s| s.staking_params().unwrap().max_validators.to_string(),
            changed: "7",
        },
        Case {
            module: "inference",
            build: |s, a, valid| {
                let mut p = s.inference_params().unwrap();
                p.sample_rate_ppm = if valid { 1234 } else { 2_000_000 };
                pack(
                    "/pol.inference.v1.MsgUpdateParams",
                    &pol_inference::pb::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p.to_proto()),
                    },
                )
            },
            probe: |s| s.inference_params().unwrap().sample_rate_ppm.to_string(),
            changed: "1234",
        },
        Case {
            module: "payments",
            build: |s, a, valid| {
                let mut p = s.payments_params().unwrap();
                p.min_deposit = if valid { 5000 } else { 0 };
                pack(
                    "/pol.payments.v1.MsgUpdateParams",
                    &pol_payments::pb::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p.to_proto()),
                    },
                )
            },
            probe: |s| s.payments_params().unwrap().min_deposit.to_string(),
            changed: "5000",
        },
        Case {
            module: "latency",
            build: |s, a, valid| {
                let mut p = s.latency_params().unwrap();
                p.outlier_threshold_ppm = 500_000;
                if !valid {
                    p.max_extension_bytes = 10;
                }
                pack(
                    "/pol.latency.v1.MsgUpdateParams",
                    &pol_latency::pb::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p),
                    },
                )
            },
            probe: |s| {
                s.latency_params()
                    .unwrap()
                    .outlier_threshold_ppm
                    .to_string()
            },
            changed: "500000",
        },
        Case {
            module: "sla",
            build: |s, a, valid| {
                let mut p = s.sla_params().unwrap();
                p.jail_after_misses = if valid { 5 } else { 0 };
                pack(
                    "/pol.sla.v1.MsgUpdateParams",
                    &pol_sla::pb::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p),
                    },
                )
            },
            probe: |s| s.sla_params().unwrap().jail_after_misses.to_string(),
            changed: "5",
        },
        Case {
            module: "reputation",
            build: |s, a, valid| {
                let mut p = s.reputation_params().unwrap();
                p.alpha_ppm = if valid { 250_000 } else { 0 };
                pack(
                    "/pol.reputation.v1.MsgUpdateParams",
                    &pol_reputation::pb::MsgUpdateParams {
                        authority: a.into(),
                        params: Some(p),
                    },
                )
            },
            probe: |s| s.reputation_params().unwrap().alpha_ppm.to_string(),
            changed: "250000",
        },
    ]
}

#[test]
fn every_module_takes_new_params_from_the_gov_account_only() {
    let modules = Modules::pol();
    let covered: Vec<&str> = cases().iter().map(|c| c.module).collect();
    // Every module with parameters is covered (bank and upgrade have none in pol; the
    // consensus params' message is tested with the app's consensus_params).
    for m in modules.list() {
        assert!(
            covered.contains(&m.name()) || ["bank", "upgrade", "consensus"].contains(&m.name()),
            "module {} has no MsgUpdateParams case",
            m.name()
        );
    }
    for case in cases() {
        let mut s = genesis();
        let before = (case.probe)(&s);
        let writes = s.writes().clone();
        let someone = Address([7; 20]).to_string();
        let msg = (case.build)(&s, &someone, true);
        let e = deliver(&mut s, &msg).unwrap_err();
        assert_eq!(
            (e.codespace, e.code),
            ("gov", 13),
            "{}: {}",
            case.module,
            e.log
        );
        let msg = (case.build)(&s, &gov(), false);
        let e = deliver(&mut s, &msg).unwrap_err();
        assert_eq!(
            (e.codespace, e.code),
            ("sdk", 18),
            "{}: {}",
            case.module,
            e.log
        );
        assert_eq!(s.writes(), &writes, "{}: a refusal wrote", case.module);
        assert_eq!((case.probe)(&s), before);
        let msg = (case.build)(&s, &gov(), true);
        deliver(&mut s, &msg).unwrap_or_else(|e| panic!("{}: {}", case.module, e.log));
        assert_eq!((case.probe)(&s), case.changed, "{}", case.module);
        let broken = modules.invariants(&s, 5).unwrap();
        assert!(broken.is_empty(), "{}: {broken:?}", case.module);
    }
}

#[test]
fn denominations_and_the_epoch_length_do_not_change_by_proposal() {
    let mut s = genesis();
    let mut p = s.staking_params().unwrap();
    p.bond_denom = "uatom".into();
    let e = deliver(
        &mut s,
        &pack(
            "/pol.staking.v1.MsgUpdateParams",
            &pol_staking::pb::MsgUpdateParams {
                authority: gov(),
                params: Some(p.to_proto()),
            },
        ),
    )
    .unwrap_err();
    assert!(e.log.contains("bond_denom cannot change"), "{}", e.log);
    let mut p = s.inference_params().unwrap();
    p.bond_denom = "uatom".into();
    let e = deliver(
        &mut s,
        &pack(
            "/pol.inference.v1.MsgUpdateParams",
            &pol_inference::pb::MsgUpdateParams {
                authority: gov(),
                params: Some(p.to_proto()),
            },
        ),
    )
    .unwrap_err();
    assert!(e.log.contains("bond_denom cannot change"), "{}", e.log);
    let mut p = s.payments_params().unwrap();
    p.denom = "uatom".into();
    let e = deliver(
        &mut s,
        &pack(
            "/pol.payments.v1.MsgUpdateParams",
            &pol_payments::pb::MsgUpdateParams {
                authority: gov(),
                params: Some(p.to_proto()),
            },
        ),
    )
    .unwrap_err();
    assert!(e.log.contains("denom cannot change"), "{}", e.log);
    let mut p = s.latency_params().unwrap();
    p.epoch_blocks += 1;
    let e = deliver(
        &mut s,
        &pack(
            "/pol.latency.v1.MsgUpdateParams",
            &pol_latency::pb::MsgUpdateParams {
                authority: gov(),
                params: Some(p),
            },
        ),
    )
    .unwrap_err();
    assert!(e.log.contains("epoch_blocks cannot change"), "{}", e.log);
}

#[test]
fn the_community_pool_pays_by_proposal_only_what_it_holds() {
    use pol_bank::{BankRead, BankWrite};
    use pol_distribution::DistributionWrite;
    let mut s = genesis();
    // 100 upol in the pool (and in the distribution account that holds it).
    s.mint(
        &pol_distribution::module_account(),
        &[pol_component::coins::Coin::new("upol", 100)],
    )
    .unwrap();
    s.put_community_pool(&pol_component::DecCoins::from_coins(&[
        pol_component::coins::Coin::new("upol", 100),
    ]));
    let to = Address([8; 20]);
    let spend = |authority: String, amount: u128, recipient: Address| {
        pack(
            "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend",
            &cosmos_sdk_proto::cosmos::distribution::v1beta1::MsgCommunityPoolSpend {
                authority,
                recipient: recipient.to_string(),
                amount: vec![pol_component::coins::Coin::new("upol", amount).to_proto()],
            },
        )
    };
    let e = deliver(&mut s, &spend(Address([7; 20]).to_string(), 10, to)).unwrap_err();
    assert_eq!((e.codespace, e.code), ("gov", 13));
    let e = deliver(&mut s, &spend(gov(), 101, to)).unwrap_err();
    assert_eq!(e.code, pol_component::error::code::INSUFFICIENT_FUNDS);
    let e = deliver(&mut s, &spend(gov(), 10, pol_gov::module_account())).unwrap_err();
    assert_eq!(e.code, pol_component::error::code::UNAUTHORIZED);
    deliver(&mut s, &spend(gov(), 60, to)).unwrap();
    assert_eq!(s.balance(&to, "upol").unwrap(), 60);
    assert_eq!(
        s.community_pool().unwrap().amount_of("upol"),
        Dec::from(40u128)
    );
}
