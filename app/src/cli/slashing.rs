//! `pold tx slashing unjail` and `pold query slashing params|signing-info|signing-infos`,
//! as `simd` has them.

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use pol_client::keyring::Keyring;
use pol_client::RpcClient;
use pol_slashing::module::MSG_UNJAIL;
use pol_slashing::time::rfc3339;
use pol_slashing::SigningInfo;
use pol_staking::types::{
    consensus_address, parse_valcons, parse_valoper, valcons_string, valoper_string,
};
use serde_json::{json, Value};

use super::query::{fetch_all, QueryOpts};
use super::tx::{any, broadcast, TxOpts};

use super::module_cli::{verbs, ModuleCli};

/// `pold tx slashing unjail` and `pold query slashing …`.
pub static CLI: ModuleCli = ModuleCli {
    module: "slashing",
    tx: Some(verbs!("Unjail a validator", SlashingTx, tx)),
    query: Some(verbs!(
        "Liveness records and the slashing parameters",
        SlashingQuery,
        query query
    )),
};

#[derive(clap::Subcommand)]
pub enum SlashingTx {
    /// Bring the operator's jailed validator back once its jail time is over (never after
    /// a double-sign).
    Unjail {
        from: String,
        #[command(flatten)]
        opts: TxOpts,
    },
}

#[derive(clap::Subcommand)]
pub enum SlashingQuery {
    /// A validator's liveness record: by `polvalcons1…`, or by operator (`polvaloper1…`).
    SigningInfo {
        validator: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Every validator's liveness record.
    SigningInfos {
        #[command(flatten)]
        opts: QueryOpts,
    },
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
}

pub async fn tx(home: &std::path::Path, cmd: SlashingTx) -> anyhow::Result<()> {
    let keyring = Keyring::open(home);
    match cmd {
        SlashingTx::Unjail { from, opts } => {
            let signer = keyring.find(&from)?.signer()?;
            let msg = pb::MsgUnjail {
                validator_addr: valoper_string(&signer.address()),
            };
            broadcast(&signer, vec![any(MSG_UNJAIL, &msg)], opts).await
        }
    }
}

fn info_json(p: &pb::ValidatorSigningInfo) -> anyhow::Result<Value> {
    let i = SigningInfo::from_proto(p).map_err(anyhow::Error::msg)?;
    Ok(json!({
        "address": valcons_string(&i.address),
        "start_height": i.start_height.to_string(),
        "index_offset": i.index_offset.to_string(),
        "jailed_until": rfc3339(i.jailed_until),
        "tombstoned": i.tombstoned,
        "missed_blocks_counter": i.missed_blocks_counter.to_string(),
    }))
}

/// The consensus address of `validator`: itself, or the operator's validator's.
async fn consensus_of(validator: &str, opts: &QueryOpts) -> anyhow::Result<String> {
    if parse_valcons(validator).is_ok() {
        return Ok(validator.to_string());
    }
    let op = parse_valoper(validator)
        .map_err(|e| anyhow::anyhow!("{}; give a polvalcons1… or polvaloper1… address", e.log))?;
    let r: pol_staking::pb::QueryValidatorResponse = RpcClient::new(&opts.node)
        .query(
            "/pol.staking.v1.Query/Validator",
            &pol_staking::pb::QueryValidatorRequest {
                validator_address: valoper_string(&op),
            },
            opts.height,
        )
        .await?;
    let v = r
        .validator
        .ok_or_else(|| anyhow::anyhow!("no validator {validator}"))?;
    let key: [u8; 32] = v
        .consensus_pubkey
        .as_slice()
        .try_into()
        .map_err(|_| anyhow::anyhow!("validator {validator} has a malformed consensus key"))?;
    Ok(valcons_string(&consensus_address(&key)))
}

pub async fn query(cmd: SlashingQuery) -> anyhow::Result<()> {
    const Q: &str = "/cosmos.slashing.v1beta1.Query/";
    let out = match cmd {
        SlashingQuery::SigningInfo { validator, opts } => {
            let cons_address = consensus_of(&validator, &opts).await?;
            let r: pb::QuerySigningInfoResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}SigningInfo"),
                    &pb::QuerySigningInfoRequest { cons_address },
                    opts.height,
                )
                .await?;
            info_json(&r.val_signing_info.unwrap_or_default())?
        }
        SlashingQuery::SigningInfos { opts } => {
            let pages: Vec<pb::QuerySigningInfosResponse> = fetch_all(
                &opts,
                &format!("{Q}SigningInfos"),
                |p| pb::QuerySigningInfosRequest {
                    pagination: Some(p),
                },
                |r: &pb::QuerySigningInfosResponse| r.pagination.clone(),
            )
            .await?;
            let list = pages
                .iter()
                .flat_map(|r| &r.info)
                .map(info_json)
                .collect::<anyhow::Result<Vec<_>>>()?;
            json!({ "info": list })
        }
        SlashingQuery::Params { opts } => {
            let r: pb::QueryParamsResponse = RpcClient::new(&opts.node)
                .query(
                    &format!("{Q}Params"),
                    &pb::QueryParamsRequest {},
                    opts.height,
                )
                .await?;
            let p = pol_slashing::Params::from_proto(&r.params.unwrap_or_default())
                .map_err(anyhow::Error::msg)?;
            serde_json::to_value(p)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
