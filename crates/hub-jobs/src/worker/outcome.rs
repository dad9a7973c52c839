//! What became of finished attempts, on their way to the store: failures are recorded one by one
//! (each has its own retry time or reason), successes are handed back to the worker loop, which
//! completes them together, in the statement that also claims the next jobs.

use std::collections::HashSet;

use hub_core::id::JobId;
use hub_store::Job;
use tokio::sync::OwnedSemaphorePermit;

use super::Shared;
use crate::error::JobError;

/// One finished attempt on its way to the store.
pub(super) struct Finished {
    pub job: Job,
    pub result: Result<(), JobError>,
    /// Released (dropped) once the outcome is recorded.
    pub permit: OwnedSemaphorePermit,
}

/// Records the failed attempts among `finished` one by one (successes are left to the caller).
pub(super) async fn record_failures(shared: &Shared, finished: &[Finished]) {
    for done in finished {
        let Err(error) = &done.result else { continue };
        if let Err(store_error) = shared.record_failure(&done.job, error).await {
            tracing::warn!(
                job_id = %done.job.id, error = %store_error,
                "recording a failed attempt failed; the job runs again after its lease expires"
            );
        }
    }
}

/// Warns about the jobs of `succeeded` the store did not complete: their lease was lost.
pub(super) fn warn_unrecorded(succeeded: &[JobId], completed: &[JobId]) {
    if completed.len() == succeeded.len() {
        return;
    }
    let completed: HashSet<_> = completed.iter().collect();
    for id in succeeded.iter().filter(|id| !completed.contains(id)) {
        tracing::warn!(job_id = %id, "job finished after its lease was lost; not recorded");
    }
}
