//! The handle application code enqueues through: the store, plus an in-process wake-up so local
//! workers start a new job at once instead of at their next poll.

use std::sync::Arc;

use hub_core::id::JobId;
use hub_store::{Enqueued, JobStore, NewJob};
use tokio::sync::Notify;

use crate::error::JobsError;

/// The job queue of one process. Clones share the store and the wake-up; workers and schedulers
/// made from it are woken by its enqueues. Workers on other nodes find new jobs by polling.
#[derive(Clone)]
pub struct JobQueue {
    store: Arc<dyn JobStore>,
    wake: Arc<Notify>,
}

impl JobQueue {
    /// A queue over `store` (an `Arc<dyn Store>` coerces to `Arc<dyn JobStore>`).
    pub fn new(store: Arc<dyn JobStore>) -> Self {
        Self { store, wake: Arc::new(Notify::new()) }
    }

    /// The store beneath, for reads and operator changes.
    pub fn store(&self) -> &Arc<dyn JobStore> {
        &self.store
    }

    /// Enqueues one job (see [`JobStore::enqueue`]) and wakes idle local workers.
    pub async fn enqueue(&self, new: NewJob) -> Result<Enqueued, JobsError> {
        let enqueued = self.store.enqueue(new).await?;
        if enqueued.is_new() {
            self.wake_workers();
        }
        Ok(enqueued)
    }

    /// Enqueues many jobs in few statements (see [`JobStore::enqueue_batch`]) and wakes idle local
    /// workers.
    pub async fn enqueue_batch(&self, jobs: Vec<NewJob>) -> Result<Vec<JobId>, JobsError> {
        let added = self.store.enqueue_batch(jobs).await?;
        if !added.is_empty() {
            self.wake_workers();
        }
        Ok(added)
    }

    /// Wakes every local worker waiting for work (after a retry, a schedule firing, …).
    pub fn wake_workers(&self) {
        self.wake.notify_waiters();
    }

    /// The wake-up workers wait on.
    pub(crate) fn wake(&self) -> &Notify {
        &self.wake
    }
}
