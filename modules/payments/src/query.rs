//! `pol.payments.v1.Query`: params, one channel, and channels (all, by requester, by
//! provider), paginated, at any retained height.

use pol_component::query::{decode_all, internal, paginate, snapshot_for};
use pol_component::Address;
use pol_store::{StateReadExt, Storage};
use tonic::{Request, Response, Status};

use crate::pb::{self, query_server::Query};
use crate::state_key;
use crate::view::PaymentsRead;

pub struct PaymentsQuery {
    storage: Storage,
}

impl PaymentsQuery {
    pub fn new(storage: Storage) -> Self {
        PaymentsQuery { storage }
    }

    pub fn server(storage: Storage) -> pb::query_server::QueryServer<Self> {
        pb::query_server::QueryServer::new(Self::new(storage))
    }

    /// A page of channels through an index whose keys end in channel ids.
    fn through_index<T>(
        &self,
        request: &Request<T>,
        prefix: &[u8],
        page: Option<&cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest>,
    ) -> Result<pb::QueryChannelsResponse, Status> {
        let snap = snapshot_for(&self.storage, request)?;
        let (entries, pagination) = paginate(&snap, prefix, page)?;
        let mut channels = Vec::with_capacity(entries.len());
        for (k, _) in entries {
            let id = state_key::id_of_index_key(&k)
                .ok_or_else(|| Status::internal("payments: index key"))?;
            let c = snap.channel(id).map_err(internal)?.ok_or_else(|| {
                Status::internal(format!("payments: index names missing channel {id}"))
            })?;
            channels.push(c);
        }
        Ok(pb::QueryChannelsResponse {
            channels,
            pagination: Some(pagination),
            height: snap.version().unwrap_or(0),
        })
    }
}

fn address(s: &str, what: &str) -> Result<Address, Status> {
    Address::parse(s).map_err(|e| Status::invalid_argument(format!("{what}: {}", e.log)))
}

#[tonic::async_trait]
impl Query for PaymentsQuery {
    async fn params(
        &self,
        request: Request<pb::QueryParamsRequest>,
    ) -> Result<Response<pb::QueryParamsResponse>, Status> {
        let snap = snapshot_for(&self.storage, &request)?;
        let params = snap.payments_params().map_err(internal)?;
        Ok(Response::new(pb::QueryParamsResponse {
            params: Some(params.to_proto()),
        }))
    }

    async fn channel(
        &self,
        request: Request<pb::QueryChannelRequest>,
    ) -> Result<Response<pb::QueryChannelResponse>, Status> {
        let snap = snapshot_for(&self.storage, &request)?;
        let id = request.get_ref().channel_id;
        let channel = snap
            .get_proto::<pb::Channel>(&state_key::channel(id))
            .map_err(internal)?
            .ok_or_else(|| {
                Status::not_found(format!(
                    "channel {id} does not exist (never opened, or settled)"
                ))
            })?;
        Ok(Response::new(pb::QueryChannelResponse {
            channel: Some(channel),
            height: snap.version().unwrap_or(0),
        }))
    }

    async fn channels(
        &self,
        request: Request<pb::QueryChannelsRequest>,
    ) -> Result<Response<pb::QueryChannelsResponse>, Status> {
        let snap = snapshot_for(&self.storage, &request)?;
        let (entries, pagination) = paginate(
            &snap,
            state_key::CHANNEL_PREFIX,
            request.get_ref().pagination.as_ref(),
        )?;
        Ok(Response::new(pb::QueryChannelsResponse {
            channels: decode_all(&entries)?,
            pagination: Some(pagination),
            height: snap.version().unwrap_or(0),
        }))
    }

    async fn channels_by_requester(
        &self,
        request: Request<pb::QueryChannelsByRequesterRequest>,
    ) -> Result<Response<pb::QueryChannelsResponse>, Status> {
        let r = request.get_ref();
        let who = address(&r.requester, "requester")?;
        let prefix = state_key::by_requester(&who);
        self.through_index(&request, &prefix, r.pagination.as_ref())
            .map(Response::new)
    }

    async fn channels_by_provider(
        &self,
        request: Request<pb::QueryChannelsByProviderRequest>,
    ) -> Result<Response<pb::QueryChannelsResponse>, Status> {
        let r = request.get_ref();
        let who = address(&r.provider, "provider")?;
        let prefix = state_key::by_provider(&who);
        self.through_index(&request, &prefix, r.pagination.as_ref())
            .map(Response::new)
    }
}
