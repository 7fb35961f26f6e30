//! State helpers every module uses: whole-prefix scans and all-or-nothing updates.

use pol_store::{StateRead, StateWrite, StoreError};

use crate::TxError;

/// Every entry under `prefix`, in key order (read a page at a time).
#[allow(clippy::type_complexity)]
pub fn scan<S: StateRead + ?Sized>(
    state: &S,
    prefix: &[u8],
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
    const PAGE: usize = 1024;
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = state.prefix_raw(prefix, after.as_deref(), PAGE)?;
        let full = page.len() == PAGE;
        after = page.last().map(|(k, _)| k.clone());
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

/// Run `f` on an overlay of `state` and apply its writes only if it succeeds, so a
/// rejected message or a failed penalty leaves the state exactly as it was.
pub fn atomic<S, T>(
    state: &mut S,
    f: impl FnOnce(&mut pol_store::StateDelta<&S>) -> Result<T, TxError>,
) -> Result<T, TxError>
where
    S: StateWrite + ?Sized,
{
    let mut overlay = pol_store::StateDelta::new(&*state);
    let out = f(&mut overlay)?;
    let writes = overlay.into_writes();
    for (k, v) in writes {
        match v {
            Some(v) => state.put_raw(k, v),
            None => state.delete(k),
        }
    }
    Ok(out)
}

/// Every record under `prefix`, decoded, in key order (genesis export reads whole tables
/// this way). A value that does not decode is corrupt state, named after `module`.
pub fn scan_decoded<M, S>(state: &S, prefix: &[u8], module: &str) -> Result<Vec<M>, TxError>
where
    M: prost::Message + Default,
    S: StateRead + ?Sized,
{
    scan(state, prefix)?
        .into_iter()
        .map(|(_, v)| {
            pol_store::decode_record::<M>(&v)
                .map_err(|e| TxError::INTERNAL(format!("{module}: stored record: {e}")))
        })
        .collect()
}
