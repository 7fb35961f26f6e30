//! `pold tx distribution …`, `pold query distribution …` and `pold query mint …`, as `simd`
//! has them. Decimal amounts print as the SDK's JSON writes them (`"12.500000000000000000"`).

use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as dpb;
use cosmos_sdk_proto::cosmos::mint::v1beta1 as mpb;
use pol_client::keyring::Keyring;
use pol_client::RpcClient;
use pol_component::Dec;
use pol_distribution::module::{
    MSG_FUND_COMMUNITY_POOL, MSG_SET_WITHDRAW_ADDRESS, MSG_WITHDRAW_DELEGATOR_REWARD,
    MSG_WITHDRAW_VALIDATOR_COMMISSION,
};
use pol_staking::types::valoper_string;
use prost::Message;
use serde_json::{json, Value};

use super::query::QueryOpts;
use super::tx::{any, broadcast, coins, TxOpts};

use super::module_cli::{verbs, ModuleCli};

/// `pold tx distribution …` and `pold query distribution …`.
pub static CLI: ModuleCli = ModuleCli {
    module: "distribution",
    tx: Some(verbs!(
        "Rewards, commission, withdraw address, community pool",
        DistributionTx,
        tx
    )),
    query: Some(verbs!(
        "Rewards, commission, slashes, withdraw addresses, the community pool",
        DistributionQuery,
        query query
    )),
};

/// `pold query mint …`.
pub static MINT_CLI: ModuleCli = ModuleCli {
    module: "mint",
    tx: None,
    query: Some(verbs!("Inflation and provisions", MintQuery, query mint)),
};

#[derive(clap::Subcommand)]
pub enum DistributionTx {
    /// Take a delegation's rewards: `pold tx distribution withdraw-rewards <from>
    /// polvaloper1…`; `--commission` also takes the validator's commission (the operator).
    WithdrawRewards {
        from: String,
        validator: String,
        #[arg(long)]
        commission: bool,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Take the rewards of every delegation of `from`, in one transaction.
    WithdrawAllRewards {
        from: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Send future rewards of `from` to another address.
    SetWithdrawAddr {
        from: String,
        address: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Give coins to the community pool.
    FundCommunityPool {
        from: String,
        amount: String,
        #[command(flatten)]
        opts: TxOpts,
    },
}

#[derive(clap::Subcommand)]
pub enum DistributionQuery {
    /// A delegator's rewards: from one validator, or from each and in total.
    Rewards {
        delegator: String,
        validator: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A validator's accumulated commission.
    Commission {
        validator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Everything allocated to a validator and not paid out yet.
    ValidatorOutstandingRewards {
        validator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A validator's slash events.
    Slashes {
        validator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Where a delegator's rewards go.
    WithdrawAddr {
        delegator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    CommunityPool {
        #[command(flatten)]
        opts: QueryOpts,
    },
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
}

#[derive(clap::Subcommand)]
pub enum MintQuery {
    /// The current inflation rate.
    Inflation {
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// What the current rate mints in a year.
    AnnualProvisions {
        #[command(flatten)]
        opts: QueryOpts,
    },
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
}

pub async fn tx(home: &std::path::Path, cmd: DistributionTx) -> anyhow::Result<()> {
    let keyring = Keyring::open(home);
    let (from, messages, opts) = match cmd {
        DistributionTx::WithdrawRewards {
            from,
            validator,
            commission,
            opts,
        } => {
            let delegator = keyring.find(&from)?.address;
            let mut messages = vec![any(
                MSG_WITHDRAW_DELEGATOR_REWARD,
                &dpb::MsgWithdrawDelegatorReward {
                    delegator_address: delegator,
                    validator_address: validator.clone(),
                },
            )];
            if commission {
                messages.push(any(
                    MSG_WITHDRAW_VALIDATOR_COMMISSION,
                    &dpb::MsgWithdrawValidatorCommission {
                        validator_address: validator,
                    },
                ));
            }
            (from, messages, opts)
        }
        DistributionTx::WithdrawAllRewards { from, opts } => {
            let delegator = keyring.find(&from)?.address;
            let r: dpb::QueryDelegatorValidatorsResponse = RpcClient::new(opts.node())
                .query(
                    "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
                    &dpb::QueryDelegatorValidatorsRequest {
                        delegator_address: delegator.clone(),
                    },
                    0,
                )
                .await?;
            if r.validators.is_empty() {
                anyhow::bail!("{delegator} has no delegations: nothing to withdraw");
            }
            let messages = r
                .validators
                .into_iter()
                .map(|validator_address| {
                    any(
                        MSG_WITHDRAW_DELEGATOR_REWARD,
                        &dpb::MsgWithdrawDelegatorReward {
                            delegator_address: delegator.clone(),
                            validator_address,
                        },
                    )
                })
                .collect();
            (from, messages, opts)
        }
        DistributionTx::SetWithdrawAddr {
            from,
            address,
            opts,
        } => {
            let delegator = keyring.find(&from)?.address;
            let msg = dpb::MsgSetWithdrawAddress {
                delegator_address: delegator,
                withdraw_address: address,
            };
            (from, vec![any(MSG_SET_WITHDRAW_ADDRESS, &msg)], opts)
        }
        DistributionTx::FundCommunityPool { from, amount, opts } => {
            let depositor = keyring.find(&from)?.address;
            let msg = dpb::MsgFundCommunityPool {
                amount: coins(&amount)?,
                depositor,
            };
            (from, vec![any(MSG_FUND_COMMUNITY_POOL, &msg)], opts)
        }
    };
    let signer = keyring.find(&from)?.signer()?;
    broadcast(&signer, messages, opts).await
}

/// SDK JSON for a protobuf LegacyDec (atomics) string.
fn dec(atomics: &str) -> anyhow::Result<String> {
    Ok(Dec::from_atomics_str(atomics)
        .map_err(|e| anyhow::anyhow!("decimal {atomics:?}: {e}"))?
        .to_string())
}

fn dec_coins(coins: &[DecCoin]) -> anyhow::Result<Value> {
    coins
        .iter()
        .map(|c| Ok(json!({"denom": c.denom, "amount": dec(&c.amount)?})))
        .collect::<anyhow::Result<Vec<Value>>>()
        .map(Value::Array)
}

async fn one<Req: Message, Resp: Message + Default>(
    opts: &QueryOpts,
    method: &str,
    req: Req,
) -> anyhow::Result<Resp> {
    Ok(RpcClient::new(&opts.node)
        .query(
            &format!("/cosmos.distribution.v1beta1.Query/{method}"),
            &req,
            opts.height,
        )
        .await?)
}

/// A validator given as `polvaloper…` or as the operator's `pol…` account.
fn valoper(s: &str) -> anyhow::Result<String> {
    let op = pol_staking::types::parse_valoper(s).map_err(|e| anyhow::anyhow!(e.log))?;
    Ok(valoper_string(&op))
}

pub async fn query(cmd: DistributionQuery) -> anyhow::Result<()> {
    let out = match cmd {
        DistributionQuery::Rewards {
            delegator,
            validator: Some(validator),
            opts,
        } => {
            let r: dpb::QueryDelegationRewardsResponse = one(
                &opts,
                "DelegationRewards",
                dpb::QueryDelegationRewardsRequest {
                    delegator_address: delegator,
                    validator_address: valoper(&validator)?,
                },
            )
            .await?;
            json!({"rewards": dec_coins(&r.rewards)?})
        }
        DistributionQuery::Rewards {
            delegator,
            validator: None,
            opts,
        } => {
            let r: dpb::QueryDelegationTotalRewardsResponse = one(
                &opts,
                "DelegationTotalRewards",
                dpb::QueryDelegationTotalRewardsRequest {
                    delegator_address: delegator,
                },
            )
            .await?;
            let rewards = r
                .rewards
                .iter()
                .map(|d| Ok(json!({"validator_address": d.validator_address, "reward": dec_coins(&d.reward)?})))
                .collect::<anyhow::Result<Vec<Value>>>()?;
            json!({"rewards": rewards, "total": dec_coins(&r.total)?})
        }
        DistributionQuery::Commission { validator, opts } => {
            let r: dpb::QueryValidatorCommissionResponse = one(
                &opts,
                "ValidatorCommission",
                dpb::QueryValidatorCommissionRequest {
                    validator_address: valoper(&validator)?,
                },
            )
            .await?;
            json!({"commission": dec_coins(&r.commission.unwrap_or_default().commission)?})
        }
        DistributionQuery::ValidatorOutstandingRewards { validator, opts } => {
            let r: dpb::QueryValidatorOutstandingRewardsResponse = one(
                &opts,
                "ValidatorOutstandingRewards",
                dpb::QueryValidatorOutstandingRewardsRequest {
                    validator_address: valoper(&validator)?,
                },
            )
            .await?;
            json!({"rewards": dec_coins(&r.rewards.unwrap_or_default().rewards)?})
        }
        DistributionQuery::Slashes { validator, opts } => {
            let r: dpb::QueryValidatorSlashesResponse = one(
                &opts,
                "ValidatorSlashes",
                dpb::QueryValidatorSlashesRequest {
                    validator_address: valoper(&validator)?,
                    starting_height: 0,
                    ending_height: 0,
                    pagination: None,
                },
            )
            .await?;
            let slashes = r
                .slashes
                .iter()
                .map(|e| Ok(json!({"validator_period": e.validator_period.to_string(), "fraction": dec(&e.fraction)?})))
                .collect::<anyhow::Result<Vec<Value>>>()?;
            json!({"slashes": slashes})
        }
        DistributionQuery::WithdrawAddr { delegator, opts } => {
            let r: dpb::QueryDelegatorWithdrawAddressResponse = one(
                &opts,
                "DelegatorWithdrawAddress",
                dpb::QueryDelegatorWithdrawAddressRequest {
                    delegator_address: delegator,
                },
            )
            .await?;
            json!({"withdraw_address": r.withdraw_address})
        }
        DistributionQuery::CommunityPool { opts } => {
            let r: dpb::QueryCommunityPoolResponse =
                one(&opts, "CommunityPool", dpb::QueryCommunityPoolRequest {}).await?;
            json!({"pool": dec_coins(&r.pool)?})
        }
        DistributionQuery::Params { opts } => {
            let r: dpb::QueryParamsResponse =
                one(&opts, "Params", dpb::QueryParamsRequest {}).await?;
            let p = pol_distribution::Params::from_proto(&r.params.unwrap_or_default())?;
            serde_json::to_value(p)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

pub async fn mint(cmd: MintQuery) -> anyhow::Result<()> {
    const Q: &str = "/cosmos.mint.v1beta1.Query/";
    let out = match cmd {
        MintQuery::Inflation { opts } => {
            let r: mpb::QueryInflationResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}Inflation"),
                    &mpb::QueryInflationRequest {},
                    opts.height,
                )
                .await?;
            let v = dec(&String::from_utf8_lossy(&r.inflation))?;
            json!({"inflation": v})
        }
        MintQuery::AnnualProvisions { opts } => {
            let r: mpb::QueryAnnualProvisionsResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}AnnualProvisions"),
                    &mpb::QueryAnnualProvisionsRequest {},
                    opts.height,
                )
                .await?;
            let v = dec(&String::from_utf8_lossy(&r.annual_provisions))?;
            json!({"annual_provisions": v})
        }
        MintQuery::Params { opts } => {
            let r: mpb::QueryParamsResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}Params"),
                    &mpb::QueryParamsRequest {},
                    opts.height,
                )
                .await?;
            let p = pol_mint::Params::from_proto(&r.params.unwrap_or_default())?;
            serde_json::to_value(p)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
