//! `pold tx gov submit-proposal|deposit|vote|weighted-vote|cancel-proposal` and `pold
//! query gov …`, as `simd` has them. A proposal file is simd's (v0.50) JSON:
//!
//! ```json
//! { "messages": [{ "@type": "/pol.latency.v1.MsgUpdateParams", "params": { … } }],
//!   "metadata": "", "deposit": "10000000upol", "title": "…", "summary": "…",
//!   "expedited": false }
//! ```
//!
//! Each message is in the protobuf JSON mapping; an `authority` left out is filled with
//! the gov account's address (`pold query gov authority` prints it). Decimals of the
//! SDK's v1beta1 modules (mint, slashing, distribution params) travel as their wire form,
//! the 18-decimal atomics (`"130000000000000000"` for 0.13), as in a signed tx.

use anyhow::{bail, Context};
use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use pol_app::modules::Modules;
use pol_client::keyring::Keyring;
use pol_component::Dec;
use pol_gov::module::{
    MSG_CANCEL_PROPOSAL, MSG_DEPOSIT, MSG_SUBMIT_PROPOSAL, MSG_VOTE, MSG_VOTE_WEIGHTED,
};
use serde::Deserialize;
use serde_json::{json, Value};
use tendermint_proto::google::protobuf::Any;

use super::query::QueryOpts;
use super::tx::{any, broadcast, broadcast_then, coins, TxOpts};

use super::module_cli::{verbs, ModuleCli};

/// `pold tx gov …` and `pold query gov …`.
pub static CLI: ModuleCli = ModuleCli {
    module: "gov",
    tx: Some(verbs!("Proposals, deposits and votes", GovTx, tx)),
    query: Some(verbs!(
        "Proposals, votes, deposits, tallies and the governance parameters",
        GovQuery,
        query query
    )),
};

#[derive(clap::Subcommand)]
pub enum GovTx {
    /// Submit a proposal from a JSON file (simd's format; see `pold tx gov --help`).
    SubmitProposal {
        from: String,
        /// The proposal file.
        file: std::path::PathBuf,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Add to a proposal's deposit: `pold tx gov deposit alice 1 10000000upol`.
    Deposit {
        from: String,
        proposal_id: u64,
        amount: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Vote yes, no, abstain or no_with_veto.
    Vote {
        from: String,
        proposal_id: u64,
        option: String,
        #[arg(long, default_value = "")]
        metadata: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Split one's vote: `yes=0.6,no=0.4` (weights summing to 1).
    WeightedVote {
        from: String,
        proposal_id: u64,
        options: String,
        #[arg(long, default_value = "")]
        metadata: String,
        #[command(flatten)]
        opts: TxOpts,
    },
    /// Withdraw one's own proposal before its vote ends (a share of the deposit is lost).
    CancelProposal {
        from: String,
        proposal_id: u64,
        #[command(flatten)]
        opts: TxOpts,
    },
}

#[derive(clap::Subcommand)]
pub enum GovQuery {
    Proposal {
        proposal_id: u64,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// Proposals, optionally by status (deposit_period, voting_period, passed, rejected,
    /// failed), voter or depositor.
    Proposals {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        voter: Option<String>,
        #[arg(long)]
        depositor: Option<String>,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Vote {
        proposal_id: u64,
        voter: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Votes {
        proposal_id: u64,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Deposit {
        proposal_id: u64,
        depositor: String,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Deposits {
        proposal_id: u64,
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// The tally: final once voting ended, as it stands during the voting period.
    Tally {
        proposal_id: u64,
        #[command(flatten)]
        opts: QueryOpts,
    },
    Params {
        #[command(flatten)]
        opts: QueryOpts,
    },
    Constitution {
        #[command(flatten)]
        opts: QueryOpts,
    },
    /// The gov module account: the `authority` of every `MsgUpdateParams`.
    Authority,
}

/// simd's proposal file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalFile {
    #[serde(default)]
    pub messages: Vec<Value>,
    #[serde(default)]
    pub metadata: String,
    #[serde(default)]
    pub deposit: String,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub expedited: bool,
}

/// One proposal message from its JSON (`@type` plus fields), packed; a missing
/// `authority` is the gov account.
pub fn message_any(value: &Value) -> anyhow::Result<Any> {
    let Value::Object(fields) = value else {
        bail!("a proposal message must be a JSON object with an \"@type\"");
    };
    let mut fields = fields.clone();
    let type_url = fields
        .remove("@type")
        .and_then(|t| t.as_str().map(str::to_string))
        .context("a proposal message needs \"@type\": \"/pkg.Msg…\"")?;
    let name = type_url.trim_start_matches('/');
    let pool = super::call::pool(Modules::pol())?;
    let desc = pool
        .get_message_by_name(name)
        .with_context(|| format!("no module declares a message {name}"))?;
    if desc.get_field_by_name("authority").is_some() && !fields.contains_key("authority") {
        fields.insert(
            "authority".into(),
            Value::String(pol_gov::gov_authority().to_string()),
        );
    }
    let value = super::call::encode_json(&desc, &Value::Object(fields).to_string())?;
    Ok(Any {
        type_url: format!("/{name}"),
        value,
    })
}

/// The submit message of a proposal file.
pub fn submit_msg(file: &ProposalFile, proposer: &str) -> anyhow::Result<pb::MsgSubmitProposal> {
    let messages = file
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| message_any(m).with_context(|| format!("message {i}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(pb::MsgSubmitProposal {
        messages,
        initial_deposit: if file.deposit.is_empty() {
            Vec::new()
        } else {
            coins(&file.deposit).context("deposit")?
        },
        proposer: proposer.to_string(),
        metadata: file.metadata.clone(),
        title: file.title.clone(),
        summary: file.summary.clone(),
        expedited: file.expedited,
    })
}

/// `yes`, `no`, `abstain`, `no_with_veto` (or the enum's full names).
pub fn vote_option(s: &str) -> anyhow::Result<pb::VoteOption> {
    let upper = s.trim().to_ascii_uppercase();
    let full = if upper.starts_with("VOTE_OPTION_") {
        upper
    } else {
        format!("VOTE_OPTION_{upper}")
    };
    match pb::VoteOption::from_str_name(&full) {
        Some(pb::VoteOption::Unspecified) | None => {
            bail!("vote option {s:?}: give yes, no, abstain or no_with_veto")
        }
        Some(o) => Ok(o),
    }
}

/// `yes=0.6,no=0.4`.
pub fn weighted_options(s: &str) -> anyhow::Result<Vec<pb::WeightedVoteOption>> {
    s.split(',')
        .map(|part| {
            let (option, weight) = part
                .split_once('=')
                .with_context(|| format!("{part:?}: write option=weight"))?;
            let weight: Dec = weight
                .trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("weight {weight:?}: {e}"))?;
            Ok(pb::WeightedVoteOption {
                option: vote_option(option)? as i32,
                weight: weight.to_string(),
            })
        })
        .collect()
}

pub async fn tx(home: &std::path::Path, cmd: GovTx) -> anyhow::Result<()> {
    let keyring = Keyring::open(home);
    match cmd {
        GovTx::SubmitProposal { from, file, opts } => {
            let signer = keyring.find(&from)?.signer()?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let parsed: ProposalFile = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a proposal file", file.display()))?;
            let msg = submit_msg(&parsed, &signer.address().to_string())?;
            broadcast_then(
                &signer,
                vec![any(MSG_SUBMIT_PROPOSAL, &msg)],
                opts,
                serde_json::Map::new(),
                |res| {
                    let r: pb::MsgSubmitProposalResponse = res
                        .msg_response(0)
                        .context("the chain's answer has no proposal id")?;
                    let mut out = serde_json::Map::new();
                    out.insert("proposal_id".into(), json!(r.proposal_id.to_string()));
                    Ok(out)
                },
            )
            .await
            .map(drop)
        }
        GovTx::Deposit {
            from,
            proposal_id,
            amount,
            opts,
        } => {
            let signer = keyring.find(&from)?.signer()?;
            let msg = pb::MsgDeposit {
                proposal_id,
                depositor: signer.address().to_string(),
                amount: coins(&amount)?,
            };
            broadcast(&signer, vec![any(MSG_DEPOSIT, &msg)], opts).await
        }
        GovTx::Vote {
            from,
            proposal_id,
            option,
            metadata,
            opts,
        } => {
            let signer = keyring.find(&from)?.signer()?;
            let msg = pb::MsgVote {
                proposal_id,
                voter: signer.address().to_string(),
                option: vote_option(&option)? as i32,
                metadata,
            };
            broadcast(&signer, vec![any(MSG_VOTE, &msg)], opts).await
        }
        GovTx::WeightedVote {
            from,
            proposal_id,
            options,
            metadata,
            opts,
        } => {
            let signer = keyring.find(&from)?.signer()?;
            let msg = pb::MsgVoteWeighted {
                proposal_id,
                voter: signer.address().to_string(),
                options: weighted_options(&options)?,
                metadata,
            };
            broadcast(&signer, vec![any(MSG_VOTE_WEIGHTED, &msg)], opts).await
        }
        GovTx::CancelProposal {
            from,
            proposal_id,
            opts,
        } => {
            let signer = keyring.find(&from)?.signer()?;
            let msg = pb::MsgCancelProposal {
                proposal_id,
                proposer: signer.address().to_string(),
            };
            broadcast(&signer, vec![any(MSG_CANCEL_PROPOSAL, &msg)], opts).await
        }
    }
}

fn status_name(s: &str) -> anyhow::Result<String> {
    let upper = s.trim().to_ascii_uppercase();
    let full = if upper.starts_with("PROPOSAL_STATUS_") {
        upper
    } else {
        format!("PROPOSAL_STATUS_{upper}")
    };
    if pb::ProposalStatus::from_str_name(&full).is_none() {
        bail!("status {s:?}: give deposit_period, voting_period, passed, rejected or failed");
    }
    Ok(full)
}

pub async fn query(cmd: GovQuery) -> anyhow::Result<()> {
    const Q: &str = "cosmos.gov.v1.Query";
    let (method, request, opts) = match cmd {
        GovQuery::Authority => {
            println!("{}", pol_gov::gov_authority());
            return Ok(());
        }
        GovQuery::Proposal { proposal_id, opts } => (
            "Proposal",
            json!({ "proposalId": proposal_id.to_string() }),
            opts,
        ),
        GovQuery::Proposals {
            status,
            voter,
            depositor,
            opts,
        } => {
            let mut r = json!({});
            if let Some(s) = status {
                r["proposalStatus"] = json!(status_name(&s)?);
            }
            if let Some(v) = voter {
                r["voter"] = json!(v);
            }
            if let Some(d) = depositor {
                r["depositor"] = json!(d);
            }
            ("Proposals", r, opts)
        }
        GovQuery::Vote {
            proposal_id,
            voter,
            opts,
        } => (
            "Vote",
            json!({ "proposalId": proposal_id.to_string(), "voter": voter }),
            opts,
        ),
        GovQuery::Votes { proposal_id, opts } => (
            "Votes",
            json!({ "proposalId": proposal_id.to_string() }),
            opts,
        ),
        GovQuery::Deposit {
            proposal_id,
            depositor,
            opts,
        } => (
            "Deposit",
            json!({ "proposalId": proposal_id.to_string(), "depositor": depositor }),
            opts,
        ),
        GovQuery::Deposits { proposal_id, opts } => (
            "Deposits",
            json!({ "proposalId": proposal_id.to_string() }),
            opts,
        ),
        GovQuery::Tally { proposal_id, opts } => (
            "TallyResult",
            json!({ "proposalId": proposal_id.to_string() }),
            opts,
        ),
        GovQuery::Params { opts } => ("Params", json!({}), opts),
        GovQuery::Constitution { opts } => ("Constitution", json!({}), opts),
    };
    super::call::call(Q, method, Some(&request.to_string()), &opts).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn a_proposal_file_becomes_a_submit_message() {
        let file: ProposalFile = serde_json::from_value(json!({
            "messages": [{
                "@type": "/pol.latency.v1.MsgUpdateParams",
                "params": { "maxExtensionBytes": 4096, "epochBlocks": "20", "minSamples": 3 }
            }],
            "deposit": "10000000upol",
            "title": "Smaller extensions",
            "summary": "4 KiB is enough",
        }))
        .unwrap();
        let msg = submit_msg(&file, "pol1proposer").unwrap();
        assert_eq!(msg.messages.len(), 1);
        assert_eq!(msg.messages[0].type_url, "/pol.latency.v1.MsgUpdateParams");
        let inner =
            pol_latency::pb::MsgUpdateParams::decode(msg.messages[0].value.as_slice()).unwrap();
        // The authority was filled in with the gov account.
        assert_eq!(inner.authority, pol_gov::gov_authority().to_string());
        let params = inner.params.unwrap();
        assert_eq!(
            (params.max_extension_bytes, params.epoch_blocks),
            (4096, 20)
        );
        assert_eq!(msg.initial_deposit[0].amount, "10000000");
        // Unknown messages and fields are clear errors.
        let e = message_any(&json!({"@type": "/pol.nope.v1.MsgX"})).unwrap_err();
        assert!(format!("{e:#}").contains("pol.nope.v1.MsgX"), "{e:#}");
        assert!(message_any(&json!({"@type": "/cosmos.gov.v1.MsgVote", "bogus": 1})).is_err());
        assert!(message_any(&json!({"params": {}})).is_err());
    }

    #[test]
    fn vote_options_parse_as_simd_writes_them() {
        assert_eq!(vote_option("yes").unwrap(), pb::VoteOption::Yes);
        assert_eq!(
            vote_option("No_With_Veto").unwrap(),
            pb::VoteOption::NoWithVeto
        );
        assert!(vote_option("maybe").is_err());
        assert!(vote_option("unspecified").is_err());
        let w = weighted_options("yes=0.6,no=0.4").unwrap();
        assert_eq!(w[0].weight, "0.600000000000000000");
        assert_eq!(w[1].option, pb::VoteOption::No as i32);
        assert!(weighted_options("yes").is_err());
    }
}
