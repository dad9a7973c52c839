//! The long-running worker loop: claim as many due jobs as there are free permits, run each in a
//! task of its own, renew leases while they run, and wait for work without a busy poll: a local
//! enqueue wakes the loop at once, other nodes' work is found by a slower poll.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use hub_store::Job;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::in_flight::InFlight;
use super::outcome::{Finished, record_outcomes};
use super::{Shared, Worker, WorkerConfig, run_handler};
use crate::error::JobsError;
use crate::registry::JobContext;

impl Worker {
    /// Runs jobs until `shutdown` fires, then drains: stops claiming, lets running jobs finish
    /// (up to the drain timeout; the rest run again elsewhere after their leases expire), records
    /// their outcomes and returns.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), JobsError> {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let permits = Arc::new(Semaphore::new(config.concurrency));
        let in_flight = InFlight::default();
        let stop_heartbeat = CancellationToken::new();
        let heartbeat = tokio::spawn(keep_leases(Arc::clone(&shared), in_flight.clone(), stop_heartbeat.clone()));
        let (finished_tx, finished_rx) = mpsc::channel(config.concurrency);
        let recorder = tokio::spawn(record_outcomes(Arc::clone(&shared), Arc::clone(&permits), finished_rx));
        let mut tasks = JoinSet::new();
        let kinds: Vec<&str> = shared.kinds.iter().map(|kind| kind.as_str()).collect();
        tracing::info!(worker_id = %shared.id, ?kinds, concurrency = config.concurrency, "job worker started");

        loop {
            while tasks.try_join_next().is_some() {}
            let first = tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                permit = Arc::clone(&permits).acquire_owned() => permit.map_err(|_| JobsError::Config("worker semaphore closed".into()))?,
            };
            let mut held = gather_permits(&permits, first, config).await;
            // Registered before claiming, so an enqueue that lands after an empty claim still wakes us.
            let wake = shared.queue.wake().notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            let asked = u32::try_from(held.len()).unwrap_or(config.batch_size);
            let claimed = match shared.queue.store().claim(&shared.id, Some(&shared.kinds), asked, config.lease).await {
                Ok(jobs) => jobs,
                Err(error) => {
                    tracing::warn!(%error, "claiming jobs failed; trying again after the poll interval");
                    drop(held);
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(config.poll_interval) => continue,
                    }
                }
            };
            let idle = claimed.is_empty();
            for job in claimed {
                let Some(permit) = held.pop() else { break };
                let lease_lost = CancellationToken::new();
                if !in_flight.insert(job.id.clone(), lease_lost.clone()) {
                    // Our own lease ran out and we reclaimed the job; the running attempt finishes it.
                    tracing::warn!(job_id = %job.id, "reclaimed a job this worker is still running; not starting it twice");
                    continue;
                }
                let run = run_job(Arc::clone(&shared), job, lease_lost, in_flight.clone());
                let finished_tx = finished_tx.clone();
                tasks.spawn(async move {
                    let (job, result) = run.await;
                    // The recorder outlives every sender, so this only fails if it panicked.
                    let _ = finished_tx.send(Finished { job, result, permit }).await;
                });
            }
            drop(held);
            if idle {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = &mut wake => {}
                    _ = tokio::time::sleep(config.poll_interval) => {}
                }
            }
        }

        tracing::info!(worker_id = %shared.id, running = tasks.len(), "job worker draining");
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(config.drain_timeout, drain).await.is_err() {
            tracing::warn!(
                worker_id = %shared.id, abandoned = tasks.len(),
                "drain timed out; abandoned jobs run again after their leases expire"
            );
            tasks.shutdown().await;
        }
        drop(finished_tx);
        if recorder.await.is_err() {
            tracing::error!(worker_id = %shared.id, "the job outcome recorder panicked");
        }
        stop_heartbeat.cancel();
        let _ = heartbeat.await;
        tracing::info!(worker_id = %shared.id, "job worker stopped");
        Ok(())
    }
}

/// How long the claim loop waits for running jobs to hand back enough permits for a batch.
const GATHER_FOR: Duration = Duration::from_millis(5);

/// Takes up to a batch of free permits. While jobs are running and fewer than half a batch is
/// free, waits (briefly) for more, so one claim statement takes many jobs instead of each finished
/// job's permit triggering a claim of one.
async fn gather_permits(
    permits: &Arc<Semaphore>,
    first: OwnedSemaphorePermit,
    config: &WorkerConfig,
) -> Vec<OwnedSemaphorePermit> {
    let want = (config.batch_size as usize).min(config.concurrency);
    let low_water = want.div_ceil(2);
    let mut held = vec![first];
    let deadline = tokio::time::Instant::now() + GATHER_FOR;
    loop {
        while held.len() < want {
            match Arc::clone(permits).try_acquire_owned() {
                Ok(permit) => held.push(permit),
                Err(_) => break,
            }
        }
        let running = config.concurrency.saturating_sub(permits.available_permits() + held.len());
        if held.len() >= low_water || running == 0 {
            return held;
        }
        match tokio::time::timeout_at(deadline, Arc::clone(permits).acquire_owned()).await {
            Ok(Ok(permit)) => held.push(permit),
            Ok(Err(_)) | Err(_) => return held,
        }
    }
}

/// Runs one claimed job's handler and stops tracking it.
async fn run_job(
    shared: Arc<Shared>,
    job: Job,
    lease_lost: CancellationToken,
    in_flight: InFlight,
) -> (Job, Result<(), crate::JobError>) {
    let ctx = JobContext { worker_id: shared.id.clone(), attempt: job.attempts, lease_lost };
    let result = run_handler(&shared.registry, &job, &ctx).await;
    in_flight.remove(&job.id);
    (job, result)
}

/// Renews the leases of running jobs every heartbeat interval until `stop` fires; tells a job's
/// handler when its lease is found gone.
async fn keep_leases(shared: Arc<Shared>, in_flight: InFlight, stop: CancellationToken) {
    let every = shared.config.heartbeat_interval;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let ids = in_flight.ids();
        if ids.is_empty() {
            continue;
        }
        match shared.queue.store().heartbeat(&shared.id, &ids, shared.config.lease).await {
            Ok(held) => {
                let held: HashSet<_> = held.into_iter().collect();
                for id in ids.iter().filter(|id| !held.contains(*id)) {
                    if in_flight.lose(id) {
                        tracing::warn!(job_id = %id, "lost the lease on a running job");
                    }
                }
            }
            Err(error) => tracing::warn!(%error, jobs = ids.len(), "renewing job leases failed; will try again"),
        }
    }
}
