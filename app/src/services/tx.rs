//! `cosmos.tx.v1beta1.Service`: what cosmpy, Keplr-style wallets and explorers call to
//! estimate, broadcast and look up transactions.
//!
//! * `BroadcastTx` → CometBFT `broadcast_tx_sync` (or `_async`); CheckTx's verdict comes
//!   back as `TxResponse.code`/`raw_log`, exactly as in the Cosmos SDK.
//! * `GetTx` → CometBFT `tx`, converted to `GetTxResponse`.
//! * `Simulate` → the real pipeline ([`crate::tx::execute_tx`]) on a throwaway overlay of
//!   the latest committed state; nothing it writes is ever kept.
//! * `TxDecode`/`TxEncode` → protobuf conversions between `TxRaw` bytes and `Tx`.

use crate::modules::Modules;
use base64::Engine as _;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult, TxResponse};
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_server::Service;
use cosmos_sdk_proto::cosmos::tx::v1beta1::*;
use pol_auth::{AuthRead, AuthWrite};
use pol_component::gas::GasSchedule;
use pol_component::BlockContext;
use pol_store::{StateDelta, Storage};
use prost::Message;
use serde_json::{json, Value};
use tendermint_proto::abci::{Event, EventAttribute};
use tendermint_proto::google::protobuf::Any;
use tonic::{Request, Response, Status};

use super::{json_i64, rpc_status, CometRpc};
use crate::tx::router::Msg;
use crate::tx::{execute_tx, ExecMode};
use pol_auth::verify_secp256k1;
use pol_client::SignerKey;

/// Type URL of `Tx` inside `TxResponse.tx`.
pub const TX_TYPE_URL: &str = "/cosmos.tx.v1beta1.Tx";
/// Denomination of the stand-in fee when a client simulates without one (the fee denom).
const PLACEHOLDER_FEE_DENOM: &str = "upol";

pub struct TxService {
    storage: Storage,
    rpc: Option<CometRpc>,
    schedule: GasSchedule,
    modules: Modules,
}

impl TxService {
    pub fn new(storage: Storage, rpc: CometRpc, modules: Modules) -> Self {
        TxService {
            storage,
            rpc: Some(rpc),
            schedule: GasSchedule::default(),
            modules,
        }
    }

    /// The state-only part (Simulate, TxDecode, TxEncode), for ABCI query paths: BroadcastTx
    /// and GetTx answer Unavailable.
    pub fn state_only(storage: Storage, modules: Modules) -> Self {
        TxService {
            storage,
            rpc: None,
            schedule: GasSchedule::default(),
            modules,
        }
    }

    fn rpc(&self) -> Result<&pol_client::RpcClient, Status> {
        self.rpc.as_ref().map(|r| &r.0).ok_or_else(|| {
            Status::unavailable("this endpoint has no CometBFT RPC: use pold's gRPC server")
        })
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Result<Vec<u8>, Status> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| Status::internal(format!("CometBFT sent bad base64: {e}")))
}

/// TxRaw bytes → `Tx` with decoded body and auth info.
pub fn tx_from_bytes(bytes: &[u8]) -> Result<Tx, Status> {
    let raw = TxRaw::decode(bytes)
        .map_err(|e| Status::invalid_argument(format!("tx parse error: {e}")))?;
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| Status::invalid_argument(format!("tx body parse error: {e}")))?;
    let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| Status::invalid_argument(format!("tx auth_info parse error: {e}")))?;
    Ok(Tx {
        body: Some(body),
        auth_info: Some(auth_info),
        signatures: raw.signatures,
    })
}

/// `Tx` → TxRaw (body and auth info re-encoded canonically).
pub fn tx_to_raw(tx: &Tx) -> TxRaw {
    TxRaw {
        body_bytes: tx
            .body
            .as_ref()
            .map(Message::encode_to_vec)
            .unwrap_or_default(),
        auth_info_bytes: tx
            .auth_info
            .as_ref()
            .map(Message::encode_to_vec)
            .unwrap_or_default(),
        signatures: tx.signatures.clone(),
    }
}

/// `tx_result.events` of CometBFT's JSON → ABCI events.
fn events_from_json(v: &Value) -> Vec<Event> {
    v.as_array()
        .map(|evs| {
            evs.iter()
                .map(|e| Event {
                    r#type: e["type"].as_str().unwrap_or_default().to_string(),
                    attributes: e["attributes"]
                        .as_array()
                        .map(|attrs| {
                            attrs
                                .iter()
                                .map(|a| EventAttribute {
                                    key: a["key"].as_str().unwrap_or_default().to_string(),
                                    value: a["value"].as_str().unwrap_or_default().to_string(),
                                    index: a["index"].as_bool().unwrap_or(false),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A 32-byte tx hash given as hex (either case).
fn parse_hash(hash: &str) -> Result<Vec<u8>, Status> {
    let hash = hash.trim();
    let bytes = hex::decode(hash)
        .map_err(|_| Status::invalid_argument(format!("tx hash {hash:?} is not hex")))?;
    if bytes.len() != 32 {
        return Err(Status::invalid_argument(format!(
            "tx hash must be 32 bytes (64 hex characters), got {}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

#[tonic::async_trait]
impl Service for TxService {
    async fn simulate(
        &self,
        request: Request<SimulateRequest>,
    ) -> Result<Response<SimulateResponse>, Status> {
        let req = request.into_inner();
        #[allow(deprecated)]
        let raw = if !req.tx_bytes.is_empty() {
            TxRaw::decode(req.tx_bytes.as_slice())
                .map_err(|e| Status::invalid_argument(format!("tx parse error: {e}")))?
        } else if let Some(tx) = &req.tx {
            tx_to_raw(tx)
        } else {
            return Err(Status::invalid_argument("empty tx: set tx_bytes"));
        };
        let storage = self.storage.clone();
        let (schedule, modules) = (self.schedule, self.modules);
        let resp = tokio::task::spawn_blocking(move || simulate(&storage, modules, schedule, raw))
            .await
            .map_err(|e| Status::internal(format!("simulation task: {e}")))??;
        Ok(Response::new(resp))
    }

    async fn get_tx(
        &self,
        request: Request<GetTxRequest>,
    ) -> Result<Response<GetTxResponse>, Status> {
        let hash_hex = request.into_inner().hash;
        let hash = parse_hash(&hash_hex)?;
        let r = match self
            .rpc()?
            .call("tx", json!({"hash": b64(&hash), "prove": false}))
            .await
        {
            Ok(r) => r,
            Err(pol_client::RpcError::Rpc { msg, .. }) if msg.contains("not found") => {
                return Err(Status::not_found(format!(
                    "tx not found: {}",
                    hex::encode_upper(&hash)
                )))
            }
            Err(e) => return Err(rpc_status(e)),
        };
        let tx_bytes = unb64(r["tx"].as_str().unwrap_or_default())?;
        let tx = tx_from_bytes(&tx_bytes).ok();
        let height = json_i64(&r["height"]);
        // The block's time, as Cosmos' TxResponse.timestamp (RFC 3339).
        let timestamp = match self
            .rpc()?
            .call("header", json!({"height": height.to_string()}))
            .await
        {
            Ok(h) => h["header"]["time"].as_str().unwrap_or_default().to_string(),
            Err(_) => String::new(),
        };
        let res = &r["tx_result"];
        let data = unb64(res["data"].as_str().unwrap_or_default())?;
        let tx_response = TxResponse {
            height,
            txhash: hex::encode_upper(&hash),
            codespace: res["codespace"].as_str().unwrap_or_default().to_string(),
            code: u32::try_from(json_i64(&res["code"])).unwrap_or(u32::MAX),
            data: hex::encode_upper(&data),
            raw_log: res["log"].as_str().unwrap_or_default().to_string(),
            logs: Vec::new(),
            info: res["info"].as_str().unwrap_or_default().to_string(),
            gas_wanted: json_i64(&res["gas_wanted"]),
            gas_used: json_i64(&res["gas_used"]),
            tx: tx.as_ref().map(|t| Any {
                type_url: TX_TYPE_URL.into(),
                value: t.encode_to_vec(),
            }),
            timestamp,
            events: events_from_json(&res["events"]),
        };
        Ok(Response::new(GetTxResponse {
            tx,
            tx_response: Some(tx_response),
        }))
    }

    async fn broadcast_tx(
        &self,
        request: Request<BroadcastTxRequest>,
    ) -> Result<Response<BroadcastTxResponse>, Status> {
        let req = request.into_inner();
        if req.tx_bytes.is_empty() {
            return Err(Status::invalid_argument("invalid empty tx"));
        }
        // Refuse what is not a transaction at all; CheckTx judges the rest.
        TxRaw::decode(req.tx_bytes.as_slice())
            .map_err(|e| Status::invalid_argument(format!("tx parse error: {e}")))?;
        let method = match BroadcastMode::try_from(req.mode) {
            Ok(BroadcastMode::Sync) | Ok(BroadcastMode::Unspecified) => "broadcast_tx_sync",
            Ok(BroadcastMode::Async) => "broadcast_tx_async",
            Ok(BroadcastMode::Block) => return Err(Status::invalid_argument(
                "BROADCAST_MODE_BLOCK is not supported (as in Cosmos SDK 0.50): use SYNC and GetTx",
            )),
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "unknown broadcast mode {}",
                    req.mode
                )))
            }
        };
        let r = self
            .rpc()?
            .call(method, json!({"tx": b64(&req.tx_bytes)}))
            .await
            .map_err(rpc_status)?;
        let hash = r["hash"].as_str().unwrap_or_default().to_uppercase();
        Ok(Response::new(BroadcastTxResponse {
            tx_response: Some(TxResponse {
                txhash: hash,
                codespace: r["codespace"].as_str().unwrap_or_default().to_string(),
                code: u32::try_from(json_i64(&r["code"])).unwrap_or(u32::MAX),
                data: hex::encode_upper(unb64(r["data"].as_str().unwrap_or_default())?),
                raw_log: r["log"].as_str().unwrap_or_default().to_string(),
                ..Default::default()
            }),
        }))
    }

    async fn get_txs_event(
        &self,
        _request: Request<GetTxsEventRequest>,
    ) -> Result<Response<GetTxsEventResponse>, Status> {
        Err(Status::unimplemented(
            "GetTxsEvent is not served by pold; use CometBFT's tx_search",
        ))
    }

    async fn get_block_with_txs(
        &self,
        _request: Request<GetBlockWithTxsRequest>,
    ) -> Result<Response<GetBlockWithTxsResponse>, Status> {
        Err(Status::unimplemented(
            "GetBlockWithTxs is not served by pold; use CometBFT's block RPC",
        ))
    }

    async fn tx_decode(
        &self,
        request: Request<TxDecodeRequest>,
    ) -> Result<Response<TxDecodeResponse>, Status> {
        let tx = tx_from_bytes(&request.into_inner().tx_bytes)?;
        Ok(Response::new(TxDecodeResponse { tx: Some(tx) }))
    }

    async fn tx_encode(
        &self,
        request: Request<TxEncodeRequest>,
    ) -> Result<Response<TxEncodeResponse>, Status> {
        let tx = request
            .into_inner()
            .tx
            .ok_or_else(|| Status::invalid_argument("invalid empty tx"))?;
        Ok(Response::new(TxEncodeResponse {
            tx_bytes: tx_to_raw(&tx).encode_to_vec(),
        }))
    }

    async fn tx_encode_amino(
        &self,
        _request: Request<TxEncodeAminoRequest>,
    ) -> Result<Response<TxEncodeAminoResponse>, Status> {
        Err(Status::unimplemented(
            "pol transactions are SIGN_MODE_DIRECT protobuf only; amino is not supported",
        ))
    }

    async fn tx_decode_amino(
        &self,
        _request: Request<TxDecodeAminoRequest>,
    ) -> Result<Response<TxDecodeAminoResponse>, Status> {
        Err(Status::unimplemented(
            "pol transactions are SIGN_MODE_DIRECT protobuf only; amino is not supported",
        ))
    }
}

fn store_status(e: impl std::fmt::Display) -> Status {
    Status::internal(format!("state error: {e}"))
}

/// Run `raw` against the latest committed state and report its gas, without keeping anything.
///
/// Clients simulate before they know the gas limit (cosmpy signs a tx with gas limit 0,
/// cosmjs sends an empty signature), so the signed tx cannot run as is. Instead:
/// 1. the client's signature, when present, is verified exactly as the ante handler does
///    (strict low-S secp256k1 over the SIGN_MODE_DIRECT sign doc with the chain-id and the
///    account number on record); an empty signature is accepted as the Cosmos SDK does in
///    simulation mode;
/// 2. the same tx, with its gas limit raised to the block's max gas, is re-signed by a
///    throwaway key that the throwaway overlay records as the account's key, and runs
///    through the real pipeline ([`execute_tx`]): ante (size gas, sequence, signature
///    check and its gas, fee) and messages, all metered by the real gas schedule;
/// 3. the size gas of the bytes the rewrite added is taken back out.
///
/// The modules' begin block runs first on the overlay, as the next block will run it.
///
/// A tx simulated without a fee gets a stand-in fee of 1upol, so the fee transfer's gas
/// (which the real tx pays) is part of the estimate.
pub fn simulate(
    storage: &Storage,
    modules: Modules,
    schedule: GasSchedule,
    raw: TxRaw,
) -> Result<SimulateResponse, Status> {
    let snapshot = storage.latest_snapshot();
    let height = snapshot.version().unwrap_or(0).saturating_add(1);
    let chain_id = crate::app::chain_id(&snapshot).map_err(store_status)?;
    // The bounds CheckTx and blocks apply.
    let limits = crate::app::tx_limits(&snapshot).map_err(store_status)?;
    let auth_params = snapshot.auth_params().map_err(store_status)?;

    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| Status::invalid_argument(format!("tx body parse error: {e}")))?;
    let mut auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| Status::invalid_argument(format!("tx auth_info parse error: {e}")))?;
    let first = body
        .messages
        .first()
        .ok_or_else(|| Status::invalid_argument("must contain at least one message"))?;
    let signer = Msg::decode(modules, first)
        .and_then(|m| m.signer())
        .map_err(|e| Status::invalid_argument(e.log))?;
    if auth_info.signer_infos.len() != 1 || raw.signatures.len() != 1 {
        return Err(Status::invalid_argument(format!(
            "wrong number of signers; expected 1, got {} signer infos and {} signatures",
            auth_info.signer_infos.len(),
            raw.signatures.len()
        )));
    }
    let mut account = snapshot
        .account(&signer)
        .map_err(store_status)?
        .ok_or_else(|| Status::not_found(format!("account {signer} not found")))?;

    // 1. The client's own signature.
    let signature = &raw.signatures[0];
    if !signature.is_empty() {
        let direct = matches!(
            auth_info.signer_infos[0].mode_info.as_ref().and_then(|m| m.sum.as_ref()),
            Some(mode_info::Sum::Single(s)) if s.mode == SignMode::Direct as i32
        );
        if !direct {
            return Err(Status::invalid_argument(
                "only SIGN_MODE_DIRECT single signatures are supported",
            ));
        }
        let given = auth_info.signer_infos[0].public_key.as_ref();
        let key_any = account.pub_key.as_ref().or(given).ok_or_else(|| {
            Status::invalid_argument(format!(
                "account {signer} has no public key yet; the transaction must carry it"
            ))
        })?;
        let key =
            cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(key_any.value.as_slice())
                .map_err(|e| Status::invalid_argument(format!("public key does not decode: {e}")))?
                .key;
        if account.pub_key.is_none()
            && pol_auth::address_of_pubkey(&key).map_err(|e| Status::invalid_argument(e.log))?
                != signer
        {
            return Err(Status::invalid_argument(format!(
                "public key does not belong to signer {signer}"
            )));
        }
        let sign_doc = SignDoc {
            body_bytes: raw.body_bytes.clone(),
            auth_info_bytes: raw.auth_info_bytes.clone(),
            chain_id: chain_id.clone(),
            account_number: account.account_number,
        };
        if let Err(why) = verify_secp256k1(&key, &sign_doc.encode_to_vec(), signature) {
            return Err(Status::invalid_argument(format!(
                "signature verification failed ({why}); please verify account number ({}), sequence ({}) and chain-id ({chain_id}): unauthorized",
                account.account_number, account.sequence
            )));
        }
    }

    // 2. The same tx, room for any gas, signed by a key only this overlay knows.
    let stand_in = SignerKey::random();
    let stand_in_any = pol_auth::view::secp256k1_pubkey_any(&stand_in.public_key());
    let gas_wanted = auth_info.fee.as_ref().map_or(0, |f| f.gas_limit);
    let fee = auth_info.fee.get_or_insert_with(Default::default);
    fee.gas_limit = limits.max_gas;
    // Clients simulate with no fee but will pay one: charge the fee transfer's gas too.
    if fee.amount.is_empty() {
        fee.amount = vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: PLACEHOLDER_FEE_DENOM.into(),
            amount: "1".into(),
        }];
    }
    if auth_info.signer_infos[0].public_key.is_some() {
        auth_info.signer_infos[0].public_key = Some(stand_in_any.clone());
    }
    // cosmjs simulates with SIGN_MODE_UNSPECIFIED and no signature; the stand-in signs DIRECT.
    auth_info.signer_infos[0].mode_info = Some(ModeInfo {
        sum: Some(mode_info::Sum::Single(mode_info::Single {
            mode: SignMode::Direct as i32,
        })),
    });
    let auth_info_bytes = auth_info.encode_to_vec();
    let rewritten_auth_info = auth_info_bytes.clone();
    let sign_doc = SignDoc {
        body_bytes: raw.body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: chain_id.clone(),
        account_number: account.account_number,
    };
    let rewritten = TxRaw {
        body_bytes: raw.body_bytes.clone(),
        auth_info_bytes,
        signatures: vec![stand_in.sign(&sign_doc.encode_to_vec())],
    }
    .encode_to_vec();

    let mut state = StateDelta::new(snapshot);
    account.pub_key = Some(stand_in_any);
    state
        .put_account(&account)
        .map_err(|e| Status::internal(e.log))?;
    let ctx = BlockContext {
        chain_id,
        height,
        time_unix_nanos: 0,
    };
    // The next block starts before its txs run (mint mints, distribution empties the fee
    // collector): run it here too, so the tx is metered on the state it will meet.
    modules
        .begin_block(&mut state, &ctx, &pol_component::BlockInfo::default())
        .map_err(Status::internal)?;
    let out = execute_tx(
        &mut state,
        &ctx,
        &rewritten,
        &limits,
        modules,
        &ExecMode::Deliver,
        schedule,
        // Simulation judges proofs exactly as a block would (the mempool's verdict cache).
        &modules.mempool_env(),
    );
    drop(state);
    if out.code != 0 {
        return Err(Status::invalid_argument(format!(
            "simulation failed with code {} (codespace {}): {}",
            out.code, out.codespace, out.log
        )));
    }

    // 3. Charge for the size of the tx the client will send (with its signature, its fee
    //    and a gas limit near what it used), not for our larger gas limit.
    let client_gas = if gas_wanted > 0 {
        gas_wanted
    } else {
        out.gas_used
    };
    let mut client_auth = AuthInfo::decode(rewritten_auth_info.as_slice())
        .map_err(|e| Status::internal(e.to_string()))?;
    if let Some(f) = client_auth.fee.as_mut() {
        f.gas_limit = client_gas;
    }
    let client_len = TxRaw {
        body_bytes: raw.body_bytes.clone(),
        auth_info_bytes: client_auth.encode_to_vec(),
        signatures: vec![vec![0; 64]],
    }
    .encoded_len();
    let extra = rewritten.len().saturating_sub(client_len) as u64;
    let gas_used = out
        .gas_used
        .saturating_sub(extra.saturating_mul(auth_params.tx_size_cost_per_byte));

    let msg_responses = TxMsgData::decode(out.data.as_slice())
        .map(|d| d.msg_responses)
        .unwrap_or_default();
    #[allow(deprecated)]
    let result = AbciResult {
        data: out.data,
        log: out.log,
        events: out.events.into_iter().map(Into::into).collect(),
        msg_responses,
    };
    Ok(SimulateResponse {
        gas_info: Some(GasInfo {
            gas_wanted,
            gas_used,
        }),
        result: Some(result),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_checked() {
        assert!(parse_hash("zz").is_err());
        assert!(parse_hash("abcd").is_err());
        assert!(parse_hash(&"AB".repeat(32)).is_ok());
    }

    #[test]
    fn tx_round_trips_through_encode_and_decode() {
        let raw = TxRaw {
            body_bytes: TxBody {
                memo: "hi".into(),
                ..Default::default()
            }
            .encode_to_vec(),
            auth_info_bytes: AuthInfo::default().encode_to_vec(),
            signatures: vec![vec![1, 2, 3]],
        };
        let tx = tx_from_bytes(&raw.encode_to_vec()).unwrap();
        assert_eq!(tx_to_raw(&tx), raw);
        assert!(tx_from_bytes(b"\xff\xff").is_err());
    }
}
