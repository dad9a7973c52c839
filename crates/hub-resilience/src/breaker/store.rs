//! Where breaker records live: in this process's memory, because every call reads and writes
//! them and cannot wait on SQL. Sharing between nodes is layered on top (see [`crate::shared`]):
//! a client built with `ResilientClient::with_shared_state` publishes transitions (state,
//! `opened_at`, `last_error`, the wall-clock end of the cool-down) and folds other nodes'
//! transitions into these records every refresh; rolling windows stay per node.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use super::BreakerKey;
use super::record::BreakerRecord;
use crate::limiter::lock;

/// Keeps breaker records. Methods are synchronous: they run on every call and must be quick.
pub trait BreakerStateStore: Send + Sync + fmt::Debug {
    /// Runs `change` on the record for `key` (a closed, empty record when there is none),
    /// atomically with respect to other updates of the same key.
    fn update(&self, key: &BreakerKey, change: &mut dyn FnMut(&mut BreakerRecord));

    /// A copy of the record for `key`, when there is one.
    fn get(&self, key: &BreakerKey) -> Option<BreakerRecord>;

    /// Every record, for metrics and admin pages.
    fn all(&self) -> Vec<(BreakerKey, BreakerRecord)>;
}

/// Breaker records in this process's memory.
#[derive(Debug, Default)]
pub struct InMemoryBreakerStore {
    records: Mutex<HashMap<BreakerKey, BreakerRecord>>,
}

impl InMemoryBreakerStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl BreakerStateStore for InMemoryBreakerStore {
    fn update(&self, key: &BreakerKey, change: &mut dyn FnMut(&mut BreakerRecord)) {
        let mut records = lock(&self.records);
        change(records.entry(key.clone()).or_default());
    }

    fn get(&self, key: &BreakerKey) -> Option<BreakerRecord> {
        lock(&self.records).get(key).cloned()
    }

    fn all(&self) -> Vec<(BreakerKey, BreakerRecord)> {
        lock(&self.records).iter().map(|(key, record)| (key.clone(), record.clone())).collect()
    }
}
