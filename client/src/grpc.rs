//! pold's gRPC API: typed query clients on one lazily connected channel, and a [`Chain`].

use std::time::Duration;

use cosmos_sdk_proto::cosmos::auth::v1beta1::query_client::QueryClient as AuthQueryClient;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountRequest};
use cosmos_sdk_proto::cosmos::bank::v1beta1::query_client::QueryClient as BankQueryClient;
use cosmos_sdk_proto::cosmos::tx::v1beta1::service_client::ServiceClient as TxServiceClient;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{BroadcastMode, BroadcastTxRequest, GetTxRequest};
use pol_component::Address;
use pol_inference::pb::query_client::QueryClient as InferenceQueryClient;
use pol_payments::pb::query_client::QueryClient as PaymentsQueryClient;
use tonic::transport::Channel;

use crate::chain::{base_account, BroadcastResult, Chain, TxResult};
use crate::ClientError;

/// A pold gRPC endpoint (`http://host:9090`). Cheap to clone: clients share the channel.
#[derive(Clone, Debug)]
pub struct GrpcClient {
    channel: Channel,
}

impl GrpcClient {
    /// Connects on first use, so a worker can start before its node does.
    pub fn connect_lazy(addr: &str) -> Result<Self, ClientError> {
        let channel = Channel::from_shared(addr.to_string())
            .map_err(|e| ClientError::Address {
                addr: addr.into(),
                why: e.to_string(),
            })?
            .connect_timeout(Duration::from_secs(5))
            .connect_lazy();
        Ok(GrpcClient { channel })
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn auth(&self) -> AuthQueryClient<Channel> {
        AuthQueryClient::new(self.channel.clone())
    }

    pub fn bank(&self) -> BankQueryClient<Channel> {
        BankQueryClient::new(self.channel.clone())
    }

    pub fn tx(&self) -> TxServiceClient<Channel> {
        TxServiceClient::new(self.channel.clone())
    }

    pub fn inference(&self) -> InferenceQueryClient<Channel> {
        InferenceQueryClient::new(self.channel.clone())
    }

    pub fn payments(&self) -> PaymentsQueryClient<Channel> {
        PaymentsQueryClient::new(self.channel.clone())
    }
}

impl Chain for GrpcClient {
    async fn account(&self, address: &Address) -> Result<BaseAccount, ClientError> {
        match self
            .auth()
            .account(QueryAccountRequest {
                address: address.to_string(),
            })
            .await
        {
            Ok(r) => base_account(address, r.into_inner().account),
            Err(s) if s.code() == tonic::Code::NotFound => {
                Err(ClientError::NoAccount(address.to_string()))
            }
            Err(s) => Err(s.into()),
        }
    }

    async fn broadcast_sync(&self, tx: &[u8]) -> Result<BroadcastResult, ClientError> {
        let r = self
            .tx()
            .broadcast_tx(BroadcastTxRequest {
                tx_bytes: tx.to_vec(),
                mode: BroadcastMode::Sync as i32,
            })
            .await?
            .into_inner()
            .tx_response
            .ok_or_else(|| ClientError::Decode("broadcast returned no tx_response".into()))?;
        Ok(BroadcastResult {
            code: r.code,
            codespace: r.codespace,
            log: r.raw_log,
            hash: r.txhash,
        })
    }

    async fn committed(&self, hash: &str) -> Result<Option<TxResult>, ClientError> {
        match self
            .tx()
            .get_tx(GetTxRequest {
                hash: hash.to_string(),
            })
            .await
        {
            Ok(r) => Ok(r.into_inner().tx_response.map(|t| TxResult {
                height: u64::try_from(t.height).unwrap_or(0),
                code: t.code,
                codespace: t.codespace,
                log: t.raw_log,
                gas_used: u64::try_from(t.gas_used).unwrap_or(0),
                data: hex::decode(&t.data).unwrap_or_default(),
            })),
            Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
            Err(s) => Err(s.into()),
        }
    }
}
