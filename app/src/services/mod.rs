//! gRPC services beside the modules' `Query` services, so that standard Cosmos clients
//! (cosmpy, cosmjs, grpcurl, explorers) work against pold unchanged:
//!
//! * `cosmos.tx.v1beta1.Service` ([`tx`]): BroadcastTx and GetTx through CometBFT's RPC,
//!   Simulate through the real tx pipeline on a throwaway overlay of the latest state,
//!   TxDecode/TxEncode.
//! * `cosmos.consensus.v1.Query` ([`consensus`]): the consensus params CometBFT runs with
//!   (clients read `block.max_gas` to clip their gas estimates).
//! * [`reflection`]: the descriptor set of everything pold serves, for gRPC server reflection.
//!
//! The services that need CometBFT talk to its JSON-RPC, whose address pold reads from
//! `<home>/config/config.toml` (`[rpc] laddr`).

pub mod consensus;
pub mod reflection;
pub mod tx;

use std::path::Path;

use anyhow::Context;
use tonic::Status;

use pol_client::{RpcClient, RpcError};

/// CometBFT's RPC address for the node in `home`: `[rpc] laddr` of `config/config.toml`,
/// as an `http://` URL a client can dial (a wildcard listen address becomes loopback).
pub fn cometbft_rpc_url(home: &Path) -> anyhow::Result<String> {
    let path = home.join("config").join("config.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let doc: toml::Value =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let laddr = doc
        .get("rpc")
        .and_then(|r| r.get("laddr"))
        .and_then(|l| l.as_str())
        .with_context(|| format!("{} has no [rpc] laddr", path.display()))?;
    rpc_url_from_laddr(laddr)
}

/// `tcp://0.0.0.0:26657` → `http://127.0.0.1:26657`; unix sockets are refused.
pub fn rpc_url_from_laddr(laddr: &str) -> anyhow::Result<String> {
    let rest = laddr
        .strip_prefix("tcp://")
        .or_else(|| laddr.strip_prefix("http://"))
        .unwrap_or(laddr);
    if laddr.starts_with("unix://") {
        anyhow::bail!("CometBFT RPC on a unix socket ({laddr}) is not supported");
    }
    let (host, port) = rest
        .rsplit_once(':')
        .with_context(|| format!("RPC laddr {laddr:?} has no port"))?;
    let host = match host {
        "" | "0.0.0.0" => "127.0.0.1",
        "[::]" => "[::1]",
        h => h,
    };
    Ok(format!("http://{host}:{port}"))
}

/// A CometBFT RPC failure as a gRPC status: unreachable node → Unavailable.
pub(crate) fn rpc_status(e: RpcError) -> Status {
    match e {
        RpcError::Http { .. } | RpcError::Timeout(_) => Status::unavailable(e.to_string()),
        RpcError::Rpc { .. } => Status::unknown(e.to_string()),
        _ => Status::internal(e.to_string()),
    }
}

/// Shared by the services that need CometBFT.
#[derive(Clone)]
pub struct CometRpc(pub RpcClient);

impl CometRpc {
    pub fn new(url: &str) -> Self {
        CometRpc(RpcClient::new(url))
    }
}

/// JSON numbers CometBFT sends as strings.
pub(crate) fn json_i64(v: &serde_json::Value) -> i64 {
    match v {
        serde_json::Value::String(s) => s.parse().unwrap_or(0),
        serde_json::Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laddr_becomes_a_dialable_url() {
        assert_eq!(
            rpc_url_from_laddr("tcp://127.0.0.1:26657").unwrap(),
            "http://127.0.0.1:26657"
        );
        assert_eq!(
            rpc_url_from_laddr("tcp://0.0.0.0:1234").unwrap(),
            "http://127.0.0.1:1234"
        );
        assert!(rpc_url_from_laddr("unix:///tmp/rpc.sock").is_err());
    }

    #[test]
    fn reads_rpc_laddr_from_config_toml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/config.toml"),
            "moniker = \"x\"\n[rpc]\nladdr = \"tcp://127.0.0.1:36657\"\n",
        )
        .unwrap();
        assert_eq!(
            cometbft_rpc_url(dir.path()).unwrap(),
            "http://127.0.0.1:36657"
        );
    }
}
