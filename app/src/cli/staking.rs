//! `pold tx staking …` and `pold query staking …`.

use std::path::Path;

use anyhow::Context;
use pol_client::keyring::Keyring;
use pol_client::RpcClient;
use pol_staking::msg::{MsgCreateValidator, MsgDelegate, MsgUndelegate};
use pol_staking::pb;
use pol_staking::types::valoper_string;
use serde_json::{json, Value};

use super::query::{fetch_all, QueryOpts};
use super::tx::{any, broadcast, coin, TxOpts};

use super::module_cli::{verbs, ModuleCli};

/// `pold tx staking …` and `pold query staking …`.
pub static CLI: ModuleCli = ModuleCli {
    module: "staking",
    tx: Some(verbs!("Validators and delegations", StakingTx, tx)),
    query: Some(verbs!(
        "Validators, delegations, unbonding and Proof-of-Latency weights",
        StakingQuery,
        query query
    )),
};

#[derive(clap::Subcommand)]
pub enum StakingTx {
    /// Become a validator: bond `amount` from the operator key, with this node's consensus
    /// key (config/priv_validator_key.json) unless --pubkey gives another.
    CreateValidator {
        from: String,
        amount: String,
        #[arg(long)]
        moniker: String,
        /// Commission in basis points (500 = 5 %).
        #[arg(long, default_value_t = 500)]
        commission_bps: u32,
        /// base64 ed25519 consensus public key.
        #[arg(long)]
        pubkey: Option<String>,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Bond coins to a validator: `pold tx staking delegate <from> polvaloper1… 1000upol`.
    Delegate {
        from: String,
        validator: String,
        amount: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Change a validator's description, commission or minimum self-delegation
    /// (cosmos.staking.v1beta1.MsgEditValidator, as `simd tx staking edit-validator`): what
    /// is not given stays. The commission moves at most once in 24 hours, within the max
    /// rate and max change its creation set.
    EditValidator {
        from: String,
        #[arg(long = "new-moniker", alias = "moniker")]
        new_moniker: Option<String>,
        #[arg(long)]
        identity: Option<String>,
        #[arg(long)]
        website: Option<String>,
        #[arg(long)]
        security_contact: Option<String>,
        #[arg(long)]
        details: Option<String>,
        /// The new rate as a decimal: 0.06 is 6 %.
        #[arg(long)]
        commission_rate: Option<String>,
        /// At most the chain's min_self_bond, which pol enforces for every validator.
        #[arg(long)]
        min_self_delegation: Option<String>,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Take back (part of) an unbonding and bond it to the validator again
    /// (cosmos.staking.v1beta1.MsgCancelUnbondingDelegation, as `simd tx staking
    /// cancel-unbond`): the entry is the one begun at `creation_height` (`pold query staking
    /// unbondings` lists them).
    CancelUnbond {
        from: String,
        validator: String,
        amount: String,
        creation_height: i64,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Start unbonding: the coins come back after the unbonding period.
    Unbond {
        from: String,
        validator: String,
        amount: String,
        #[command(flatten)]
        opts: TxOpts,
    },
}

#[derive(clap::Subcommand)]
pub enum StakingQuery {
    /// All validators, or those in one status (bonded, unbonding, unbonded).
    Validators {
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Validator {
        validator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// One delegation and what it is worth.
    Delegation {
        delegator: String,
        validator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Every delegation of a delegator.
    Delegations {
        delegator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Every delegation to a validator.
    ValidatorDelegations {
        validator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// A delegator's pending unbondings.
    Unbondings {
        delegator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Tokens bonded and unbonding.
    Pool {
        #[command(flatten)]
        opts: QueryOpts,
    },
}

fn read_consensus_pubkey(home: &Path) -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    let path = home.join("config").join("priv_validator_key.json");
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    Ok(base64::engine::general_purpose::STANDARD
        .decode(v["pub_key"]["value"].as_str().unwrap_or_default())?)
}

pub async fn tx(home: &Path, cmd: StakingTx) -> anyhow::Result<()> {
    let keyring = Keyring::open(home);
    let (from, message, opts) = match cmd {
        StakingTx::CreateValidator {
            from,
            amount,
            moniker,
            commission_bps,
            pubkey,
            opts,
        } => {
            use base64::Engine as _;
            let signer = keyring.find(&from)?.signer()?;
            let consensus_pubkey = match pubkey {
                Some(p) => base64::engine::general_purpose::STANDARD
                    .decode(p.trim())
                    .context("--pubkey is not base64")?,
                None => read_consensus_pubkey(home)?,
            };
            let msg = MsgCreateValidator {
                validator_address: valoper_string(&signer.address()),
                consensus_pubkey,
                moniker,
                commission_bps,
                self_bond: Some(coin(&amount)?),
            };
            (
                from,
                any(pol_staking::MSG_CREATE_VALIDATOR_TYPE_URL, &msg),
                opts,
            )
        }
        StakingTx::Delegate {
            from,
            validator,
            amount,
            opts,
        } => {
            let delegator = keyring.find(&from)?.address;
            let msg = MsgDelegate {
                delegator_address: delegator,
                validator_address: validator,
                amount: Some(coin(&amount)?),
            };
            (from, any(pol_staking::MSG_DELEGATE_TYPE_URL, &msg), opts)
        }
        StakingTx::EditValidator {
            from,
            new_moniker,
            identity,
            website,
            security_contact,
            details,
            commission_rate,
            min_self_delegation,
            opts,
        } => {
            use cosmos_sdk_proto::cosmos::staking::v1beta1 as sdk;
            use pol_staking::cosmos_msg::{COSMOS_MSG_EDIT_VALIDATOR, DO_NOT_MODIFY};
            let signer = keyring.find(&from)?.signer()?;
            let given = [
                &new_moniker,
                &identity,
                &website,
                &security_contact,
                &details,
            ];
            let description = given.iter().any(|f| f.is_some()).then(|| {
                let field = |f: Option<String>| f.unwrap_or_else(|| DO_NOT_MODIFY.to_string());
                sdk::Description {
                    moniker: field(new_moniker),
                    identity: field(identity),
                    website: field(website),
                    security_contact: field(security_contact),
                    details: field(details),
                }
            });
            let commission_rate = match commission_rate {
                Some(r) => r
                    .parse::<pol_component::Dec>()
                    .map_err(|e| anyhow::anyhow!("--commission-rate {r:?}: {e}"))?
                    .atomics_string(),
                None => String::new(),
            };
            let msg = sdk::MsgEditValidator {
                description,
                validator_address: valoper_string(&signer.address()),
                commission_rate,
                min_self_delegation: min_self_delegation.unwrap_or_default(),
            };
            (from, any(COSMOS_MSG_EDIT_VALIDATOR, &msg), opts)
        }
        StakingTx::CancelUnbond {
            from,
            validator,
            amount,
            creation_height,
            opts,
        } => {
            use cosmos_sdk_proto::cosmos::staking::v1beta1 as sdk;
            let msg = sdk::MsgCancelUnbondingDelegation {
                delegator_address: keyring.find(&from)?.address,
                validator_address: validator,
                amount: Some(coin(&amount)?),
                creation_height,
            };
            let url = pol_staking::cosmos_msg::COSMOS_MSG_CANCEL_UNBONDING;
            (from, any(url, &msg), opts)
        }
        StakingTx::Unbond {
            from,
            validator,
            amount,
            opts,
        } => {
            let delegator = keyring.find(&from)?.address;
            let msg = MsgUndelegate {
                delegator_address: delegator,
                validator_address: validator,
                amount: Some(coin(&amount)?),
            };
            (from, any(pol_staking::MSG_UNDELEGATE_TYPE_URL, &msg), opts)
        }
    };
    let signer = keyring.find(&from)?.signer()?;
    broadcast(&signer, vec![message], opts).await
}

fn status_name(status: i32) -> &'static str {
    match pb::BondStatus::try_from(status) {
        Ok(pb::BondStatus::Bonded) => "bonded",
        Ok(pb::BondStatus::Unbonding) => "unbonding",
        Ok(pb::BondStatus::Unbonded) => "unbonded",
        _ => "unspecified",
    }
}

fn validator_json(v: &pb::Validator) -> Value {
    use base64::Engine as _;
    json!({
        "operator_address": v.operator_address,
        "consensus_pubkey": base64::engine::general_purpose::STANDARD.encode(&v.consensus_pubkey),
        "consensus_address": v.consensus_address,
        "moniker": v.moniker,
        "commission_bps": v.commission_bps,
        "tokens": v.tokens,
        "delegator_shares": v.delegator_shares,
        "jailed": v.jailed,
        "jailed_until_height": v.jailed_until_height.to_string(),
        "status": status_name(v.status),
        "unbonding_height": v.unbonding_height.to_string(),
        "unbonding_completion_height": v.unbonding_completion_height.to_string(),
        "details": v.details.as_ref().map(|d| json!({
            "identity": d.identity,
            "website": d.website,
            "security_contact": d.security_contact,
            "details": d.details,
            "max_commission_bps": d.max_commission_bps,
            "max_commission_change_bps": d.max_commission_change_bps,
            "commission_update_time_unix_nanos": d.commission_update_time_unix_nanos.map(|t| t.to_string()),
        })),
    })
}

fn delegation_json(d: &pb::Delegation) -> Value {
    json!({"delegator_address": d.delegator_address, "validator_address": d.validator_address, "shares": d.shares})
}

fn unbonding_json(u: &pb::UnbondingEntry) -> Value {
    json!({
        "id": u.id.to_string(),
        "delegator_address": u.delegator_address,
        "validator_address": u.validator_address,
        "amount": u.amount,
        "initial_amount": u.initial_amount,
        "creation_height": u.creation_height.to_string(),
        "completion_height": u.completion_height.to_string(),
    })
}

fn print(v: Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

pub async fn query(cmd: StakingQuery) -> anyhow::Result<()> {
    const Q: &str = "/pol.staking.v1.Query/";
    match cmd {
        StakingQuery::Validators { status, opts } => {
            let status = match status.as_deref() {
                None => pb::BondStatus::Unspecified,
                Some("bonded") => pb::BondStatus::Bonded,
                Some("unbonding") => pb::BondStatus::Unbonding,
                Some("unbonded") => pb::BondStatus::Unbonded,
                Some(other) => anyhow::bail!("status {other:?}: bonded, unbonding or unbonded"),
            };
            let pages = fetch_all(
                &opts,
                &format!("{Q}Validators"),
                |p| pb::QueryValidatorsRequest {
                    status: status as i32,
                    pagination: Some(p),
                },
                |r: &pb::QueryValidatorsResponse| r.pagination.clone(),
            )
            .await?;
            let vals: Vec<Value> = pages
                .iter()
                .flat_map(|r| r.validators.iter().map(validator_json))
                .collect();
            print(json!({ "validators": vals }))
        }
        StakingQuery::Validator { validator, opts } => {
            let r: pb::QueryValidatorResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}Validator"),
                    &pb::QueryValidatorRequest {
                        validator_address: validator,
                    },
                    opts.height,
                )
                .await?;
            print(
                r.validator
                    .as_ref()
                    .map(validator_json)
                    .unwrap_or(Value::Null),
            )
        }
        StakingQuery::Delegation {
            delegator,
            validator,
            opts,
        } => {
            let r: pb::QueryDelegationResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}Delegation"),
                    &pb::QueryDelegationRequest {
                        delegator_address: delegator,
                        validator_address: validator,
                    },
                    opts.height,
                )
                .await?;
            print(json!({
                "delegation": r.delegation.as_ref().map(delegation_json),
                "balance": r.balance,
            }))
        }
        StakingQuery::Delegations { delegator, opts } => {
            let pages = fetch_all(
                &opts,
                &format!("{Q}DelegatorDelegations"),
                |p| pb::QueryDelegatorDelegationsRequest {
                    delegator_address: delegator.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryDelegatorDelegationsResponse| r.pagination.clone(),
            )
            .await?;
            let ds: Vec<Value> = pages
                .iter()
                .flat_map(|r| r.delegations.iter().map(delegation_json))
                .collect();
            print(json!({ "delegations": ds }))
        }
        StakingQuery::ValidatorDelegations { validator, opts } => {
            let pages = fetch_all(
                &opts,
                &format!("{Q}ValidatorDelegations"),
                |p| pb::QueryValidatorDelegationsRequest {
                    validator_address: validator.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryValidatorDelegationsResponse| r.pagination.clone(),
            )
            .await?;
            let ds: Vec<Value> = pages
                .iter()
                .flat_map(|r| r.delegations.iter().map(delegation_json))
                .collect();
            print(json!({ "delegations": ds }))
        }
        StakingQuery::Unbondings { delegator, opts } => {
            let pages = fetch_all(
                &opts,
                &format!("{Q}UnbondingDelegations"),
                |p| pb::QueryUnbondingDelegationsRequest {
                    delegator_address: delegator.clone(),
                    pagination: Some(p),
                },
                |r: &pb::QueryUnbondingDelegationsResponse| r.pagination.clone(),
            )
            .await?;
            let es: Vec<Value> = pages
                .iter()
                .flat_map(|r| r.entries.iter().map(unbonding_json))
                .collect();
            print(json!({ "unbondings": es }))
        }
        StakingQuery::Params { opts } => {
            let r: pb::QueryParamsResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}Params"),
                    &pb::QueryParamsRequest {},
                    opts.height,
                )
                .await?;
            let p = r.params.unwrap_or_default();
            print(json!({
                "unbonding_blocks": p.unbonding_blocks.to_string(),
                "max_validators": p.max_validators,
                "min_self_bond": p.min_self_bond,
                "bond_denom": p.bond_denom,
                "slash_destination": match pb::SlashDestination::try_from(p.slash_destination) {
                    Ok(pb::SlashDestination::CommunityPool) => "community_pool",
                    Ok(pb::SlashDestination::Burn) => "burn",
                    _ => "unspecified",
                },
            }))
        }
        StakingQuery::Pool { opts } => {
            let r: pb::QueryPoolResponse = RpcClient::new(&opts.node)
                .query(&format!("{Q}Pool"), &pb::QueryPoolRequest {}, opts.height)
                .await?;
            let p = r.pool.unwrap_or_default();
            print(
                json!({"bonded_tokens": p.bonded_tokens, "not_bonded_tokens": p.not_bonded_tokens}),
            )
        }
    }
}
