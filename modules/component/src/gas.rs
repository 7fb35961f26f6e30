//! Deterministic gas: a fixed price per state read, write and byte.
//!
//! The meter counts; the app compares the count with the transaction's limit after each
//! message and drops the message's writes when it is over, so every validator charges the
//! same gas for the same transaction regardless of caching or timing.

use std::cell::Cell;

use pol_store::{StateRead, StateWrite, StoreError};

/// Gas prices of state access and transaction bytes (Cosmos SDK's KVStore schedule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasSchedule {
    pub read_flat: u64,
    pub read_per_byte: u64,
    pub write_flat: u64,
    pub write_per_byte: u64,
    pub delete: u64,
    pub iter_next_flat: u64,
}

impl Default for GasSchedule {
    fn default() -> Self {
        GasSchedule {
            read_flat: 1000,
            read_per_byte: 3,
            write_flat: 2000,
            write_per_byte: 30,
            delete: 1000,
            iter_next_flat: 30,
        }
    }
}

/// Gas used so far by one transaction.
#[derive(Debug, Default)]
pub struct GasMeter {
    used: Cell<u64>,
    pub limit: u64,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        GasMeter {
            used: Cell::new(0),
            limit,
        }
    }

    pub fn consume(&self, amount: u64) {
        self.used.set(self.used.get().saturating_add(amount));
    }

    pub fn used(&self) -> u64 {
        self.used.get()
    }

    pub fn is_over(&self) -> bool {
        self.used.get() > self.limit
    }
}

/// A state handle that charges gas for every access to the state under it.
pub struct Metered<'m, S> {
    inner: S,
    meter: &'m GasMeter,
    schedule: GasSchedule,
}

impl<'m, S> Metered<'m, S> {
    pub fn new(inner: S, meter: &'m GasMeter, schedule: GasSchedule) -> Self {
        Metered {
            inner,
            meter,
            schedule,
        }
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl<S: StateRead> StateRead for Metered<'_, S> {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let value = self.inner.get_raw(key)?;
        let bytes = len_u64(key.len() + value.as_ref().map_or(0, Vec::len));
        self.meter.consume(
            self.schedule
                .read_flat
                .saturating_add(self.schedule.read_per_byte.saturating_mul(bytes)),
        );
        Ok(value)
    }

    fn prefix_raw(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let entries = self.inner.prefix_raw(prefix, start_after, limit)?;
        let mut gas = self.schedule.read_flat;
        for (k, v) in &entries {
            let per = self.schedule.iter_next_flat.saturating_add(
                self.schedule
                    .read_per_byte
                    .saturating_mul(len_u64(k.len() + v.len())),
            );
            gas = gas.saturating_add(per);
        }
        self.meter.consume(gas);
        Ok(entries)
    }
}

impl<S: StateWrite> StateWrite for Metered<'_, S> {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        let bytes = len_u64(key.len() + value.len());
        self.meter.consume(
            self.schedule
                .write_flat
                .saturating_add(self.schedule.write_per_byte.saturating_mul(bytes)),
        );
        self.inner.put_raw(key, value)
    }

    fn delete(&mut self, key: Vec<u8>) {
        self.meter.consume(self.schedule.delete);
        self.inner.delete(key)
    }
}
