//! Plumbing shared by every module's gRPC `Query` service (also served on ABCI query paths).

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use pol_store::{Snapshot, StateRead, Storage};
use tonic::{Request, Status};

/// gRPC metadata key that selects the height of a query (the Cosmos SDK's name for it).
pub const HEIGHT_METADATA: &str = "x-cosmos-block-height";

/// Largest page a query returns, whatever the client asks for.
pub const MAX_PAGE: u64 = 1000;
/// Page size when the client gives none.
pub const DEFAULT_PAGE: u64 = 100;

/// The snapshot a query reads: the height in `x-cosmos-block-height`, or the latest.
pub fn snapshot_for<T>(storage: &Storage, request: &Request<T>) -> Result<Snapshot, Status> {
    let height = match request.metadata().get(HEIGHT_METADATA) {
        None => return Ok(storage.latest_snapshot()),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| {
                Status::invalid_argument(format!(
                    "{HEIGHT_METADATA} must be a non-negative integer"
                ))
            })?,
    };
    if height == 0 {
        return Ok(storage.latest_snapshot());
    }
    storage
        .snapshot(height)
        .map_err(|e| Status::not_found(format!("height {height} is not available: {e}")))
}

/// The values of a page of entries, decoded.
pub fn decode_all<M: prost::Message + Default>(
    entries: &[(Vec<u8>, Vec<u8>)],
) -> Result<Vec<M>, Status> {
    entries
        .iter()
        .map(|(_, v)| pol_store::decode_record::<M>(v).map_err(internal))
        .collect()
}

pub fn internal(e: impl std::fmt::Display) -> Status {
    Status::internal(format!("state error: {e}"))
}

/// The page size a request asks for (the default for 0, capped), once it is one pol serves:
/// forward only, by key or by offset.
pub fn page_limit(page: &PageRequest) -> Result<usize, Status> {
    if page.reverse {
        return Err(Status::invalid_argument(
            "reverse pagination is not supported",
        ));
    }
    if !page.key.is_empty() && page.offset > 0 {
        return Err(Status::invalid_argument(
            "pagination: give either key or offset, not both",
        ));
    }
    Ok(match page.limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    } as usize)
}

/// A raw state entry: (key, value).
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// One page of entries under `prefix`, following Cosmos pagination: `key` (the opaque
/// next_key of the previous page) or `offset`, `limit`, and `count_total`.
pub fn paginate<S: StateRead>(
    state: &S,
    prefix: &[u8],
    page: Option<&PageRequest>,
) -> Result<(Vec<KeyValue>, PageResponse), Status> {
    let default = PageRequest::default();
    let page = page.unwrap_or(&default);
    let limit = page_limit(page)?;

    let mut start_after: Option<Vec<u8>> = None;
    if !page.key.is_empty() {
        // next_key is the last key of the previous page, without the prefix.
        let mut k = prefix.to_vec();
        k.extend_from_slice(&page.key);
        start_after = Some(k);
    } else if page.offset > 0 {
        let skip = usize::try_from(page.offset)
            .map_err(|_| Status::invalid_argument("offset too large"))?;
        let skipped = state.prefix_raw(prefix, None, skip).map_err(internal)?;
        if skipped.len() < skip {
            let total = if page.count_total {
                skipped.len() as u64
            } else {
                0
            };
            return Ok((
                Vec::new(),
                PageResponse {
                    next_key: Vec::new(),
                    total,
                },
            ));
        }
        start_after = skipped.last().map(|(k, _)| k.clone());
    }

    // One extra entry tells whether there is a next page.
    let mut entries = state
        .prefix_raw(prefix, start_after.as_deref(), limit + 1)
        .map_err(internal)?;
    let next_key = if entries.len() > limit {
        entries.truncate(limit);
        entries
            .last()
            .map(|(k, _)| k[prefix.len()..].to_vec())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let total = if page.count_total {
        count(state, prefix)?
    } else {
        0
    };
    Ok((entries, PageResponse { next_key, total }))
}

fn count<S: StateRead>(state: &S, prefix: &[u8]) -> Result<u64, Status> {
    let mut total = 0u64;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let chunk = state
            .prefix_raw(prefix, after.as_deref(), 1024)
            .map_err(internal)?;
        total += chunk.len() as u64;
        match chunk.last() {
            Some((k, _)) if chunk.len() == 1024 => after = Some(k.clone()),
            _ => return Ok(total),
        }
    }
}
