//! `pold genesis export`: a CometBFT genesis.json holding the state of a committed height.
//!
//! Importing is InitChain on that file: a new chain started from it has, as its genesis app
//! hash, the app hash of the exported height. That holds because every module's export
//! carries its state exactly (auth: account numbers, sequences, public keys and the next
//! account number; bank: balances and supply; staking: records, next unbonding id and the
//! last validator powers; inference: every record and the receipts already seen) and its
//! `init` recreates the very same keys and values, and the app's own keys (`app/chain_id`,
//! `app/params`) come from the file's `chain_id` and `consensus_params`: the original
//! genesis', or those a consensus-params proposal set since (kept in `app/params`).
//! [`export_from_storage`] proves it each time unless told not to: it runs InitChain of the
//! export on an empty in-memory store and requires the exported height's root.
//!
//! The file: the original `genesis_time` and `chain_id`, the `consensus_params` in force,
//! `initial_height` = H + 1 (heights, unbonding completions and jail ends stay absolute),
//! `app_hash` = the app hash of H (for the operator to compare; CometBFT takes InitChain's),
//! `validators` empty (InitChain returns staking's last powers; a chain whose validators
//! came from genesis.json alone keeps that list), and `app_state` = every module's export.
//!
//! What does not carry over: block history (the new chain starts at H + 1; queries at
//! heights ≤ H have to go to an old node), and CometBFT's own state. In particular CometBFT
//! applies validator updates two blocks late, so at H + 1 the old chain still signed with
//! the set of H - 1 while the new one starts with staking's set of H; the two differ only if
//! the set changed in the last block before the export.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use pol_store::{Storage, StorageConfig, StoreError};
use serde_json::{json, Value};
use tendermint_proto::v0_38::abci::RequestInitChain;
use tendermint_proto::v0_38::types::{BlockParams, ConsensusParams};

use crate::app::{ChainParams, ConsensusState};
use crate::modules::Modules;

/// CometBFT's `DefaultBlockParams` (v0.38), which it fills in when genesis.json's
/// `consensus_params.block` leaves a field out.
const COMETBFT_DEFAULT_MAX_BYTES: i64 = 22_020_096;
const COMETBFT_DEFAULT_MAX_GAS: i64 = -1;

/// The chain params InitChain derives from `consensus_params.block`: the block gas limit
/// when positive, and transactions no larger than a block (nor than 1 MiB).
pub fn chain_params_from_block(max_bytes: i64, max_gas: i64) -> ChainParams {
    let mut params = ChainParams::DEFAULT;
    params.max_block_bytes = max_bytes;
    if max_gas > 0 {
        params.max_block_gas = max_gas as u64;
    }
    if max_bytes > 0 {
        params.max_tx_bytes = params.max_tx_bytes.min(max_bytes as u64);
    }
    params
}

/// `consensus_params.block.{max_bytes, max_gas}` of a genesis.json (strings or numbers, as
/// CometBFT writes them), CometBFT's defaults where absent.
pub fn block_params_of(genesis: &Value) -> anyhow::Result<(i64, i64)> {
    let block = &genesis["consensus_params"]["block"];
    let field = |name: &str, default: i64| -> anyhow::Result<i64> {
        match &block[name] {
            Value::Null => Ok(default),
            Value::String(s) => s
                .parse()
                .with_context(|| format!("consensus_params.block.{name} {s:?} is not an integer")),
            Value::Number(n) => n
                .as_i64()
                .with_context(|| format!("consensus_params.block.{name} {n} is not an integer")),
            other => bail!("consensus_params.block.{name} is {other}, not an integer"),
        }
    };
    Ok((
        field("max_bytes", COMETBFT_DEFAULT_MAX_BYTES)?,
        field("max_gas", COMETBFT_DEFAULT_MAX_GAS)?,
    ))
}

/// CometBFT's default evidence max age: 100,000 blocks and 48 h (in nanoseconds).
pub const COMETBFT_DEFAULT_EVIDENCE_MAX_AGE: (i64, i64) = (100_000, 172_800_000_000_000);

/// `consensus_params.evidence.{max_age_num_blocks, max_age_duration}` of a genesis.json
/// (CometBFT writes the duration in nanoseconds); CometBFT's defaults when the file has no
/// evidence section (CometBFT sends them at InitChain then).
pub fn evidence_params_of(genesis: &Value) -> anyhow::Result<Option<(i64, i64)>> {
    let evidence = &genesis["consensus_params"]["evidence"];
    if evidence.is_null() {
        return Ok(Some(COMETBFT_DEFAULT_EVIDENCE_MAX_AGE));
    }
    let field = |name: &str| -> anyhow::Result<i64> {
        match &evidence[name] {
            Value::String(s) => s.parse().with_context(|| {
                format!("consensus_params.evidence.{name} {s:?} is not an integer")
            }),
            Value::Number(n) => n
                .as_i64()
                .with_context(|| format!("consensus_params.evidence.{name} {n} is not an integer")),
            other => bail!("consensus_params.evidence.{name} is {other}, not an integer"),
        }
    };
    Ok(Some((
        field("max_age_num_blocks")?,
        field("max_age_duration")?,
    )))
}

/// CometBFT's default `consensus_params.evidence.max_bytes`.
pub const COMETBFT_DEFAULT_EVIDENCE_MAX_BYTES: i64 = 1_048_576;

/// `consensus_params.evidence.max_bytes` of a genesis.json; CometBFT's default when absent.
pub fn evidence_max_bytes_of(genesis: &Value) -> anyhow::Result<i64> {
    match &genesis["consensus_params"]["evidence"]["max_bytes"] {
        Value::Null => Ok(COMETBFT_DEFAULT_EVIDENCE_MAX_BYTES),
        Value::String(s) => s.parse().with_context(|| {
            format!("consensus_params.evidence.max_bytes {s:?} is not an integer")
        }),
        Value::Number(n) => n
            .as_i64()
            .with_context(|| format!("consensus_params.evidence.max_bytes {n} is not an integer")),
        other => bail!("consensus_params.evidence.max_bytes is {other}, not an integer"),
    }
}

/// The chain params InitChain stores for a genesis.json.
pub fn chain_params_of(genesis: &Value) -> anyhow::Result<ChainParams> {
    let (max_bytes, max_gas) = block_params_of(genesis)?;
    let params = chain_params_from_block(max_bytes, max_gas)
        .with_evidence_bytes(evidence_max_bytes_of(genesis)?);
    Ok(match evidence_params_of(genesis)? {
        Some((blocks, nanos)) => params.with_evidence(blocks, nanos),
        None => params,
    })
}

/// Write the consensus parameters a proposal set (kept in the chain params) into the
/// exported genesis.json, so its InitChain stores the same chain params.
fn write_consensus_params(genesis: &mut Value, p: &ChainParams) {
    let cp = &mut genesis["consensus_params"];
    cp["block"]["max_bytes"] = json!(p.max_block_bytes.to_string());
    cp["block"]["max_gas"] = json!(p.max_block_gas.to_string());
    cp["evidence"]["max_age_num_blocks"] = json!(p.evidence_max_age_num_blocks.to_string());
    cp["evidence"]["max_age_duration"] = json!(p.evidence_max_age_duration_nanos.to_string());
    cp["evidence"]["max_bytes"] = json!(p.evidence_max_bytes.to_string());
}

/// An exported genesis and what it was made from.
#[derive(Debug)]
pub struct Export {
    /// The exported height H (the file's `initial_height` is H + 1).
    pub height: u64,
    /// The app hash of H, which InitChain of `genesis` reproduces.
    pub app_hash: [u8; 32],
    /// The complete genesis.json document.
    pub genesis: Value,
    /// Whether the export was checked by running its InitChain (see [`ExportOptions`]).
    pub verified: bool,
    pub accounts: usize,
    pub validators: usize,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ExportOptions {
    /// The height to export; the latest committed one when `None`.
    pub height: Option<u64>,
    /// Skip the InitChain dry run (it rebuilds the whole state once more, in memory).
    pub skip_verify: bool,
    /// The modules whose state is exported (pol's by default).
    pub modules: Modules,
}

/// Export the state of `<home>/data/pol.db` at `height` (default: the latest committed)
/// as a genesis.json built on `<home>/config/genesis.json`. The node must be stopped:
/// the store is refused while a running `pold` holds it.
pub fn export_genesis(home: &Path, height: Option<u64>) -> anyhow::Result<Export> {
    export_genesis_with(
        home,
        ExportOptions {
            height,
            ..Default::default()
        },
    )
}

pub fn export_genesis_with(home: &Path, opts: ExportOptions) -> anyhow::Result<Export> {
    let genesis_path = home.join("config").join("genesis.json");
    let original: Value = serde_json::from_slice(
        &std::fs::read(&genesis_path)
            .with_context(|| format!("reading {}", genesis_path.display()))?,
    )
    .with_context(|| format!("{} is not valid JSON", genesis_path.display()))?;
    let db = crate::node::db_path(home);
    if !db.is_dir() {
        bail!(
            "no state at {}: this home has never run a chain (pold start)",
            db.display()
        );
    }
    let storage = open_store(&db)?;
    export_from_storage(&storage, &original, opts)
}

/// Open the store for reading; a store held by a running node is a clear error.
fn open_store(db: &Path) -> anyhow::Result<Storage> {
    // No commit ever happens through this handle, so retention (pruning) never runs.
    match Storage::open(db, StorageConfig { keep_recent: 0 }) {
        Ok(s) => Ok(s),
        Err(StoreError::Sled(e)) if e.to_string().contains("could not acquire lock") => bail!(
            "the state store {} is locked: a pold is running on this home. \
             Stop the node (pold and CometBFT) before exporting",
            db.display()
        ),
        Err(e) => Err(e).with_context(|| format!("opening the state store {}", db.display())),
    }
}

/// Export `storage` at `opts.height` as a genesis built on `original` (the chain's
/// genesis.json document).
pub fn export_from_storage(
    storage: &Storage,
    original: &Value,
    opts: ExportOptions,
) -> anyhow::Result<Export> {
    if !original.is_object() {
        bail!("the original genesis.json is not a JSON object");
    }
    let chain_id = original["chain_id"]
        .as_str()
        .filter(|c| !c.is_empty())
        .context("the original genesis.json has no chain_id")?
        .to_string();
    let latest = storage
        .latest_version()
        .context("the state store has no committed height yet: nothing to export")?;
    let height = opts.height.unwrap_or(latest);
    if height == 0 {
        bail!("height 0 is before the first block; export a committed height (1..={latest})");
    }
    let snapshot = storage.snapshot(height).map_err(|e| match e {
        StoreError::VersionPruned {
            requested,
            oldest_retained,
        } => anyhow::anyhow!(
            "height {requested} has been pruned: this node keeps heights \
             {oldest_retained}..={latest} (app.toml keep_recent_heights)"
        ),
        StoreError::VersionUnknown { requested, .. } => anyhow::anyhow!(
            "height {requested} was never committed here: the latest committed height is {latest}"
        ),
        other => anyhow::anyhow!("reading height {height}: {other}"),
    })?;
    let app_hash = snapshot.root_hash();

    // The app's own keys come from the file: make sure the file reproduces them.
    let stored_chain_id = crate::app::chain_id(&snapshot)?;
    if stored_chain_id != chain_id {
        bail!(
            "the state at height {height} belongs to chain {stored_chain_id:?}, \
             but genesis.json says {chain_id:?}"
        );
    }
    // A consensus-params proposal changes them after genesis: the export writes the ones
    // the chain runs with.
    let stored = ChainParams::load(&snapshot)?;
    let mut original = original.clone();
    if chain_params_of(&original)? != stored {
        write_consensus_params(&mut original, &stored);
    }
    let derived = chain_params_of(&original)?;
    if stored != derived {
        bail!(
            "the chain params stored at height {height} ({stored:?}) are not what \
             genesis.json's consensus_params give ({derived:?}); an import would differ"
        );
    }
    let original = &original;

    let app_state = opts
        .modules
        .export_genesis(&snapshot)
        .map_err(|e| anyhow::anyhow!("at height {height}: {e}"))?;
    let chain = pol_genesis::ChainStart {
        initial_height: height.saturating_add(1),
    };
    pol_genesis::validate(&app_state, opts.modules.list(), &chain)
        .map_err(|e| anyhow::anyhow!("the state at height {height} does not validate: {e}"))?;
    let staking: pol_staking::GenesisState = app_state.get().map_err(anyhow::Error::msg)?;
    let auth: pol_auth::GenesisState = app_state.get().map_err(anyhow::Error::msg)?;

    let mut genesis = original.clone();
    let doc = genesis.as_object_mut().expect("checked above");
    let next = height
        .checked_add(1)
        .context("height overflows the initial height")?;
    doc.insert("initial_height".into(), json!(next.to_string()));
    doc.insert("app_hash".into(), json!(hex::encode_upper(app_hash)));
    if !staking.last_powers.is_empty() {
        // InitChain returns staking's set; genesis.json must not list another.
        doc.insert("validators".into(), json!([]));
    } else if !staking.validators.is_empty() {
        tracing::warn!(
            "staking has validators but none bonded: the export keeps genesis.json's own \
             validator list"
        );
    }
    doc.insert("app_state".into(), serde_json::to_value(&app_state)?);

    let mut out = Export {
        height,
        app_hash,
        accounts: auth.accounts.len(),
        validators: staking.validators.len(),
        genesis,
        verified: false,
    };
    if !opts.skip_verify {
        let (root, _) = init_chain_root(&out.genesis, opts.modules)?;
        if root != app_hash {
            bail!(
                "InitChain of this export gives app hash {} but height {height} has {}: \
                 the export would not reproduce the state (a bug; please report it)",
                hex::encode_upper(root),
                hex::encode_upper(app_hash)
            );
        }
        out.verified = true;
    }
    Ok(out)
}

/// InitChain's request for a genesis.json document, as CometBFT sends it (the fields
/// pold reads: chain-id, initial height, block params, app state; `validators` is left
/// empty, which leaves the app hash alone).
pub fn init_chain_request(genesis: &Value) -> anyhow::Result<RequestInitChain> {
    let (max_bytes, max_gas) = block_params_of(genesis)?;
    let evidence = evidence_params_of(genesis)?.map(|(max_age_num_blocks, nanos)| {
        tendermint_proto::v0_38::types::EvidenceParams {
            max_age_num_blocks,
            max_age_duration: Some(tendermint_proto::google::protobuf::Duration {
                seconds: nanos.div_euclid(1_000_000_000),
                nanos: nanos.rem_euclid(1_000_000_000) as i32,
            }),
            max_bytes: 0,
        }
    });
    let evidence_max_bytes = evidence_max_bytes_of(genesis)?;
    let evidence = evidence.map(|mut e| {
        e.max_bytes = evidence_max_bytes;
        e
    });
    let initial_height = match &genesis["initial_height"] {
        Value::Null => 1,
        Value::String(s) => s.parse().context("initial_height is not an integer")?,
        Value::Number(n) => n.as_i64().context("initial_height is not an integer")?,
        other => bail!("initial_height is {other}"),
    };
    Ok(RequestInitChain {
        chain_id: genesis["chain_id"].as_str().unwrap_or_default().to_string(),
        initial_height,
        app_state_bytes: serde_json::to_vec(&genesis["app_state"])?.into(),
        consensus_params: Some(ConsensusParams {
            block: Some(BlockParams { max_bytes, max_gas }),
            evidence,
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// Run InitChain of `genesis` on an empty in-memory store: its app hash, and how long
/// building the state took.
pub fn init_chain_root(
    genesis: &Value,
    modules: Modules,
) -> anyhow::Result<([u8; 32], std::time::Duration)> {
    let started = Instant::now();
    let req = init_chain_request(genesis)?;
    let storage = Storage::open_temporary(StorageConfig { keep_recent: 0 })?;
    let mut consensus = ConsensusState::load(storage, modules)?;
    let (root, _) = consensus
        .try_init_chain(&req)
        .map_err(|e| anyhow::anyhow!("InitChain of the export fails: {e}"))?;
    Ok((root, started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_params_parse_strings_numbers_and_defaults() {
        let g = json!({"consensus_params": {"block": {"max_bytes": "1000", "max_gas": 5}}});
        assert_eq!(block_params_of(&g).unwrap(), (1000, 5));
        assert_eq!(
            block_params_of(&json!({})).unwrap(),
            (COMETBFT_DEFAULT_MAX_BYTES, COMETBFT_DEFAULT_MAX_GAS)
        );
        let bad = json!({"consensus_params": {"block": {"max_gas": "lots"}}});
        assert!(block_params_of(&bad)
            .unwrap_err()
            .to_string()
            .contains("max_gas"));
        assert_eq!(
            chain_params_from_block(1000, -1),
            ChainParams {
                max_tx_bytes: 1000,
                max_block_bytes: 1000,
                ..ChainParams::DEFAULT
            }
        );
    }

    #[test]
    fn evidence_params_parse_and_are_kept_only_when_whole() {
        let g = json!({"consensus_params": {"evidence": {
            "max_age_num_blocks": "5000", "max_age_duration": "172800000000000"}}});
        let p = chain_params_of(&g).unwrap();
        let age = p.evidence_max_age().unwrap();
        assert_eq!(
            (age.num_blocks, age.duration_nanos),
            (5_000, 172_800_000_000_000)
        );
        // No evidence section: CometBFT's defaults, which it sends at InitChain then.
        let default = chain_params_of(&json!({}))
            .unwrap()
            .evidence_max_age()
            .unwrap();
        assert_eq!(
            (default.num_blocks as i64, default.duration_nanos as i64),
            COMETBFT_DEFAULT_EVIDENCE_MAX_AGE
        );
        let zero = json!({"consensus_params": {"evidence": {
            "max_age_num_blocks": "0", "max_age_duration": "5"}}});
        assert_eq!(chain_params_of(&zero).unwrap().evidence_max_age(), None);
        let bad = json!({"consensus_params": {"evidence": {"max_age_num_blocks": "x"}}});
        assert!(chain_params_of(&bad).is_err());
    }
}
