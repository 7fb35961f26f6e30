//! A small CometBFT JSON-RPC client (HTTP on loopback or wherever `--node` points).

use std::time::Duration;

use base64::Engine as _;
use prost::Message;
use serde_json::{json, Value};

use crate::chain::{base_account, BroadcastResult, Chain, TxResult};
use crate::ClientError;

#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    #[error("cannot reach CometBFT RPC at {url}: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("RPC {method} failed: {msg}")]
    Rpc { method: String, msg: String },
    #[error("RPC {method}: unexpected answer: {msg}")]
    Shape { method: String, msg: String },
    #[error("query {path} failed with code {code}: {log}")]
    Query {
        path: String,
        code: u32,
        log: String,
    },
    #[error("timed out waiting for {0}")]
    Timeout(String),
}

/// Result of an `abci_query`.
#[derive(Clone, Debug, Default)]
pub struct AbciQueryResult {
    pub code: u32,
    pub log: String,
    pub value: Vec<u8>,
    pub height: u64,
    /// (type, key, data) of each proof op.
    pub proof_ops: Vec<(String, Vec<u8>, Vec<u8>)>,
}

#[derive(Clone)]
pub struct RpcClient {
    url: String,
    http: reqwest::Client,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}

fn as_u64(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

impl RpcClient {
    /// `node` as Cosmos CLIs take it: `tcp://host:port` or `http://host:port`.
    pub fn new(node: &str) -> Self {
        let url = node.replacen("tcp://", "http://", 1);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        RpcClient { url, http }
    }

    pub async fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let resp = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|source| RpcError::Http {
                url: self.url.clone(),
                source,
            })?;
        let v: Value = resp.json().await.map_err(|source| RpcError::Http {
            url: self.url.clone(),
            source,
        })?;
        if let Some(err) = v.get("error") {
            let msg = format!(
                "{} {}",
                err.get("message").and_then(Value::as_str).unwrap_or(""),
                err.get("data").and_then(Value::as_str).unwrap_or("")
            );
            return Err(RpcError::Rpc {
                method: method.into(),
                msg: msg.trim().into(),
            });
        }
        v.get("result").cloned().ok_or_else(|| RpcError::Shape {
            method: method.into(),
            msg: v.to_string(),
        })
    }

    pub async fn status(&self) -> Result<Value, RpcError> {
        self.call("status", json!({})).await
    }

    pub async fn latest_height(&self) -> Result<u64, RpcError> {
        Ok(as_u64(
            &self.status().await?["sync_info"]["latest_block_height"],
        ))
    }

    pub async fn chain_id(&self) -> Result<String, RpcError> {
        let s = self.status().await?;
        s["node_info"]["network"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| RpcError::Shape {
                method: "status".into(),
                msg: "no node_info.network".into(),
            })
    }

    /// The app hash in the header of block `height`.
    pub async fn app_hash_at(&self, height: u64) -> Result<Vec<u8>, RpcError> {
        let b = self
            .call("block", json!({"height": height.to_string()}))
            .await?;
        let h = b["block"]["header"]["app_hash"]
            .as_str()
            .unwrap_or_default();
        hex::decode(h).map_err(|e| RpcError::Shape {
            method: "block".into(),
            msg: e.to_string(),
        })
    }

    /// The app hash this node's own app returned from FinalizeBlock at `height` (CometBFT
    /// keeps it in the block results): unlike a header's, it is not agreed by consensus, so
    /// comparing it across nodes shows whether each app computed the same state.
    pub async fn finalized_app_hash(&self, height: u64) -> Result<Vec<u8>, RpcError> {
        let r = self
            .call("block_results", json!({"height": height.to_string()}))
            .await?;
        let h = r["app_hash"].as_str().unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .decode(h)
            .map_err(|e| RpcError::Shape {
                method: "block_results".into(),
                msg: format!("app_hash {h:?}: {e}"),
            })
    }

    /// The raw txs of block `height`, in block order (from the block store, which survives
    /// a crash even where CometBFT's tx indexer may not have caught up).
    pub async fn block_txs(&self, height: u64) -> Result<Vec<Vec<u8>>, RpcError> {
        let b = self
            .call("block", json!({"height": height.to_string()}))
            .await?;
        Ok(b["block"]["data"]["txs"]
            .as_array()
            .map(|txs| {
                txs.iter()
                    .map(|t| unb64(t.as_str().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The result code of every tx of block `height`, in block order.
    pub async fn block_tx_codes(&self, height: u64) -> Result<Vec<u32>, RpcError> {
        let r = self
            .call("block_results", json!({"height": height.to_string()}))
            .await?;
        Ok(r["txs_results"]
            .as_array()
            .map(|rs| rs.iter().map(|t| as_u64(&t["code"]) as u32).collect())
            .unwrap_or_default())
    }

    pub async fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: u64,
        prove: bool,
    ) -> Result<AbciQueryResult, RpcError> {
        let r = self
            .call(
                "abci_query",
                json!({"path": path, "data": hex::encode(data), "height": height.to_string(), "prove": prove}),
            )
            .await?;
        let resp = &r["response"];
        let proof_ops = resp["proofOps"]["ops"]
            .as_array()
            .map(|ops| {
                ops.iter()
                    .map(|op| {
                        (
                            op["type"].as_str().unwrap_or_default().to_string(),
                            unb64(op["key"].as_str().unwrap_or_default()),
                            unb64(op["data"].as_str().unwrap_or_default()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(AbciQueryResult {
            code: as_u64(&resp["code"]) as u32,
            log: resp["log"].as_str().unwrap_or_default().to_string(),
            value: unb64(resp["value"].as_str().unwrap_or_default()),
            height: as_u64(&resp["height"]),
            proof_ops,
        })
    }

    /// Call a gRPC query method through `abci_query`, decoding the answer.
    pub async fn query<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        req: &Req,
        height: u64,
    ) -> Result<Resp, RpcError> {
        let r = self
            .abci_query(path, &req.encode_to_vec(), height, false)
            .await?;
        if r.code != 0 {
            return Err(RpcError::Query {
                path: path.into(),
                code: r.code,
                log: r.log,
            });
        }
        Resp::decode(r.value.as_slice()).map_err(|e| RpcError::Shape {
            method: path.into(),
            msg: e.to_string(),
        })
    }

    pub async fn broadcast_tx_sync(&self, tx: &[u8]) -> Result<BroadcastResult, RpcError> {
        let r = self
            .call("broadcast_tx_sync", json!({"tx": b64(tx)}))
            .await?;
        Ok(BroadcastResult {
            code: as_u64(&r["code"]) as u32,
            codespace: r["codespace"].as_str().unwrap_or_default().to_string(),
            log: r["log"].as_str().unwrap_or_default().to_string(),
            hash: r["hash"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// The committed result of a tx, if it has been included.
    pub async fn tx(&self, hash_hex: &str) -> Result<Option<TxResult>, RpcError> {
        let hash = hex::decode(hash_hex).map_err(|e| RpcError::Shape {
            method: "tx".into(),
            msg: e.to_string(),
        })?;
        match self
            .call("tx", json!({"hash": b64(&hash), "prove": false}))
            .await
        {
            Ok(r) => Ok(Some(TxResult {
                height: as_u64(&r["height"]),
                code: as_u64(&r["tx_result"]["code"]) as u32,
                codespace: r["tx_result"]["codespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                log: r["tx_result"]["log"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                gas_used: as_u64(&r["tx_result"]["gas_used"]),
                data: r["tx_result"]["data"]
                    .as_str()
                    .and_then(|d| {
                        use base64::Engine as _;
                        base64::engine::general_purpose::STANDARD.decode(d).ok()
                    })
                    .unwrap_or_default(),
            })),
            Err(RpcError::Rpc { msg, .. }) if msg.contains("not found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Wait until the tx with this hash is committed.
    pub async fn wait_for_tx(
        &self,
        hash_hex: &str,
        timeout: Duration,
    ) -> Result<TxResult, ClientError> {
        crate::sender::wait_for(self, hash_hex, timeout).await
    }

    pub async fn wait_for_height(&self, height: u64, timeout: Duration) -> Result<u64, RpcError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok(h) = self.latest_height().await {
                if h >= height {
                    return Ok(h);
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(RpcError::Timeout(format!("height {height}")));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Chain for RpcClient {
    async fn account(
        &self,
        address: &pol_component::Address,
    ) -> Result<cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount, ClientError> {
        use cosmos_sdk_proto::cosmos::auth::v1beta1::{QueryAccountRequest, QueryAccountResponse};
        let r: Result<QueryAccountResponse, _> = self
            .query(
                "/cosmos.auth.v1beta1.Query/Account",
                &QueryAccountRequest {
                    address: address.to_string(),
                },
                0,
            )
            .await;
        match r {
            Ok(r) => base_account(address, r.account),
            // NotFound, as the ABCI query path reports it (the SDK's ErrKeyNotFound, 38).
            Err(RpcError::Query { code: 38, .. }) => {
                Err(ClientError::NoAccount(address.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn broadcast_sync(&self, tx: &[u8]) -> Result<BroadcastResult, ClientError> {
        Ok(self.broadcast_tx_sync(tx).await?)
    }

    async fn committed(&self, hash: &str) -> Result<Option<TxResult>, ClientError> {
        Ok(self.tx(hash).await?)
    }
}
