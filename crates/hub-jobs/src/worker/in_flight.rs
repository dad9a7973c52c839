//! The jobs a worker is running right now, each with the token that tells its handler the lease
//! was lost. Shared by the claim loop, the job tasks and the heartbeat; the lock is never held
//! across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hub_core::id::JobId;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Default)]
pub(super) struct InFlight(Arc<Mutex<HashMap<JobId, CancellationToken>>>);

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, HashMap<JobId, CancellationToken>> {
        // A panic while holding this lock leaves the map consistent (single inserts and removes).
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tracks a job; `false` if it is already running here (this worker reclaimed its own job).
    pub(super) fn insert(&self, id: JobId, lease_lost: CancellationToken) -> bool {
        let mut jobs = self.lock();
        if jobs.contains_key(&id) {
            return false;
        }
        jobs.insert(id, lease_lost);
        true
    }

    pub(super) fn remove(&self, id: &JobId) {
        self.lock().remove(id);
    }

    pub(super) fn ids(&self) -> Vec<JobId> {
        self.lock().keys().cloned().collect()
    }

    /// Tells a still-running job's handler its lease is gone; `false` if it already finished.
    pub(super) fn lose(&self, id: &JobId) -> bool {
        match self.lock().get(id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}
