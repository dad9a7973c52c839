//! Recording what running jobs did, in batches: every success that finished while the previous
//! batch was being written goes into one `complete_batch` statement (group commit), failures are
//! recorded one by one. Jobs that finish within a couple of milliseconds of each other share a
//! statement. A finished job's concurrency permit is released only once its outcome is
//! recorded, so a worker never has more jobs leased than it may run.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use hub_store::Job;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::Shared;
use crate::error::JobError;

/// One finished attempt on its way to the store.
pub(super) struct Finished {
    pub job: Job,
    pub result: Result<(), JobError>,
    /// Released (dropped) once the outcome is recorded.
    pub permit: OwnedSemaphorePermit,
}

/// How long the recorder waits for other running jobs to finish and join a batch.
const GATHER_FOR: Duration = Duration::from_millis(2);

/// Records outcomes until every sender is dropped, then returns.
pub(super) async fn record_outcomes(
    shared: Arc<Shared>,
    permits: Arc<Semaphore>,
    mut finished: mpsc::Receiver<Finished>,
) {
    let limit = shared.config.concurrency.max(1);
    let mut batch: Vec<Finished> = Vec::with_capacity(limit);
    while finished.recv_many(&mut batch, limit).await > 0 {
        // Jobs claimed together tend to finish together: give the rest a moment to join this batch.
        let deadline = tokio::time::Instant::now() + GATHER_FOR;
        while batch.len() < limit.saturating_sub(permits.available_permits()) {
            let room = limit - batch.len();
            match tokio::time::timeout_at(deadline, finished.recv_many(&mut batch, room)).await {
                Ok(received) if received > 0 => {}
                Ok(_) | Err(_) => break,
            }
        }
        let succeeded: Vec<_> = batch.iter().filter(|f| f.result.is_ok()).map(|f| f.job.id.clone()).collect();
        if !succeeded.is_empty() {
            match shared.queue.store().complete_batch(&shared.id, &succeeded).await {
                Ok(done) if done.len() < succeeded.len() => {
                    let done: HashSet<_> = done.into_iter().collect();
                    for id in succeeded.iter().filter(|id| !done.contains(id)) {
                        tracing::warn!(job_id = %id, "job finished after its lease was lost; not recorded");
                    }
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(
                    %error, jobs = succeeded.len(),
                    "recording completed jobs failed; they run again after their leases expire"
                ),
            }
        }
        for failed in &batch {
            if let Err(error) = &failed.result
                && let Err(store_error) = shared.record_failure(&failed.job, error).await
            {
                tracing::warn!(
                    job_id = %failed.job.id, error = %store_error,
                    "recording a failed attempt failed; the job runs again after its lease expires"
                );
            }
        }
        // Hand the permits back in one go, so the claim loop wakes to a batch, not to one permit.
        let mut released: Option<OwnedSemaphorePermit> = None;
        for done in batch.drain(..) {
            tracing::debug!(job_id = %done.job.id, kind = %done.job.kind, ok = done.result.is_ok(), "job attempt recorded");
            match &mut released {
                Some(all) => all.merge(done.permit),
                None => released = Some(done.permit),
            }
        }
        drop(released);
    }
}
