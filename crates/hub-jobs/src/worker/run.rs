//! The long-running worker loop. One loop records what finished and claims what to run next, in
//! one statement when it can ([`hub_store::JobStore::complete_and_claim`]): a busy worker's
//! completions and its next claim share one round trip and one commit. Each job runs in a task
//! of its own under a semaphore permit, which goes back only once the job's outcome is recorded,
//! so a worker never holds more leases than it may run. An idle worker waits without a busy
//! poll: a local enqueue wakes it at once, other nodes' work is found by a slower poll.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use hub_core::id::JobId;
use hub_store::Job;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::in_flight::InFlight;
use super::outcome::{Finished, record_failures, warn_unrecorded};
use super::{Shared, Worker, run_handler};
use crate::error::JobsError;
use crate::registry::JobContext;

/// How long the loop waits for other running jobs to finish and join a batch: jobs claimed
/// together tend to finish together, and then share one statement.
const GATHER_FOR: Duration = Duration::from_millis(2);

impl Worker {
    /// Runs jobs until `shutdown` fires, then drains: stops claiming, lets running jobs finish
    /// (up to the drain timeout; the rest run again elsewhere after their leases expire), records
    /// their outcomes and returns.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), JobsError> {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let in_flight = InFlight::default();
        let stop_heartbeat = CancellationToken::new();
        let heartbeat = tokio::spawn(keep_leases(Arc::clone(&shared), in_flight.clone(), stop_heartbeat.clone()));
        let kinds: Vec<&str> = shared.kinds.iter().map(|kind| kind.as_str()).collect();
        tracing::info!(worker_id = %shared.id, ?kinds, concurrency = config.concurrency, "job worker started");

        let mut runner = Runner::new(Arc::clone(&shared), in_flight);
        let result = runner.run_until(&shutdown).await;

        tracing::info!(worker_id = %shared.id, running = runner.tasks.len(), "job worker draining");
        if tokio::time::timeout(config.drain_timeout, runner.drain()).await.is_err() {
            tracing::warn!(
                worker_id = %shared.id, abandoned = runner.tasks.len(),
                "drain timed out; abandoned jobs run again after their leases expire"
            );
            runner.tasks.shutdown().await;
            runner.record_what_finished().await;
        }
        stop_heartbeat.cancel();
        let _ = heartbeat.await;
        tracing::info!(worker_id = %shared.id, "job worker stopped");
        result
    }
}

/// The loop's state: the permits, the running tasks and the outcomes on their way back.
struct Runner {
    shared: Arc<Shared>,
    in_flight: InFlight,
    permits: Arc<Semaphore>,
    tasks: JoinSet<()>,
    finished_tx: mpsc::Sender<Finished>,
    finished_rx: mpsc::Receiver<Finished>,
    /// Outcomes received and not yet recorded.
    finished: Vec<Finished>,
    /// The last claim found fewer due jobs than it asked for: wait for a wake-up or the poll
    /// before claiming again (finishing jobs still claim as they complete).
    idle: bool,
}

impl Runner {
    fn new(shared: Arc<Shared>, in_flight: InFlight) -> Self {
        let concurrency = shared.config.concurrency;
        let (finished_tx, finished_rx) = mpsc::channel(concurrency);
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            shared,
            in_flight,
            tasks: JoinSet::new(),
            finished_tx,
            finished_rx,
            finished: Vec::with_capacity(concurrency),
            idle: false,
        }
    }

    /// Jobs spawned whose outcome is not recorded yet.
    fn running(&self) -> usize {
        self.shared.config.concurrency - self.permits.available_permits()
    }

    async fn run_until(&mut self, shutdown: &CancellationToken) -> Result<(), JobsError> {
        let shared = Arc::clone(&self.shared);
        let (concurrency, poll_interval) = (shared.config.concurrency, shared.config.poll_interval);
        // Re-armed before every claim, so an enqueue that lands after an empty claim still wakes us.
        let mut wake = Box::pin(shared.queue.wake().notified());
        loop {
            while self.tasks.try_join_next().is_some() {}
            let room = self.permits.available_permits() > 0;
            if self.finished.is_empty() && (self.idle || !room) {
                let idle = self.idle;
                tokio::select! {
                    biased;
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = self.finished_rx.recv_many(&mut self.finished, concurrency) => {}
                    _ = &mut wake, if idle => self.idle = false,
                    _ = tokio::time::sleep(poll_interval), if idle => self.idle = false,
                }
            }
            if shutdown.is_cancelled() {
                return Ok(());
            }
            self.gather().await;
            let claim = !self.idle || !self.finished.is_empty();
            if claim {
                wake.set(shared.queue.wake().notified());
                wake.as_mut().enable();
            }
            if let Err(error) = self.record_and_claim(claim).await {
                tracing::warn!(%error, "claiming jobs failed; trying again after the poll interval");
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(poll_interval) => {}
                }
            }
        }
    }

    /// With outcomes in hand and other jobs still running, waits a moment for those to finish too.
    async fn gather(&mut self) {
        if self.finished.is_empty() {
            return;
        }
        let deadline = tokio::time::Instant::now() + GATHER_FOR;
        while self.finished.len() < self.running() {
            let room = self.running() - self.finished.len();
            match tokio::time::timeout_at(deadline, self.finished_rx.recv_many(&mut self.finished, room)).await {
                Ok(received) if received > 0 => {}
                Ok(_) | Err(_) => break,
            }
        }
    }

    /// Records the outcomes in hand and, when `claim` is set, claims as many jobs as there will be
    /// free permits, in one statement with the completions; starts the claimed jobs. When that
    /// statement fails, the successes stay in hand (with their permits) for the next attempt.
    async fn record_and_claim(&mut self, claim: bool) -> Result<(), JobsError> {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let (succeeded, failed): (Vec<Finished>, Vec<Finished>) =
            std::mem::take(&mut self.finished).into_iter().partition(|done| done.result.is_ok());
        record_failures(&shared, &failed).await;
        // A finished job's permit stays held until its outcome is in the store; the claim reuses
        // those permits (and free ones) for the jobs it takes.
        let mut permits: Vec<OwnedSemaphorePermit> = failed.into_iter().map(|done| done.permit).collect();
        let want = (config.batch_size as usize).min(config.concurrency);
        if claim {
            while permits.len() + succeeded.len() < want {
                match Arc::clone(&self.permits).try_acquire_owned() {
                    Ok(permit) => permits.push(permit),
                    Err(_) => break,
                }
            }
        }
        let asked = if claim { (permits.len() + succeeded.len()).min(want) } else { 0 };
        let done: Vec<JobId> = succeeded.iter().map(|done| done.job.id.clone()).collect();
        let store = shared.queue.store();
        let outcome = if asked == 0 {
            store.complete_batch(&shared.id, &done).await.map(|completed| (completed, Vec::new()))
        } else {
            let asked = u32::try_from(asked).unwrap_or(config.batch_size);
            store.complete_and_claim(&shared.id, &done, Some(&shared.kinds), asked, config.lease).await
        };
        let (completed, claimed) = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                if !succeeded.is_empty() {
                    tracing::warn!(%error, jobs = succeeded.len(), "recording completed jobs failed; will try again");
                }
                self.finished = succeeded;
                return Err(error.into());
            }
        };
        warn_unrecorded(&done, &completed);
        self.idle = claim && claimed.len() < asked;
        permits.extend(succeeded.into_iter().map(|done| done.permit));
        for job in claimed {
            let Some(permit) = permits.pop() else { break };
            self.start(job, permit);
        }
        // Permits not used by a claimed job go back now, in one go.
        drop(permits);
        Ok(())
    }

    fn start(&mut self, job: Job, permit: OwnedSemaphorePermit) {
        let lease_lost = CancellationToken::new();
        if !self.in_flight.insert(job.id.clone(), lease_lost.clone()) {
            // Our own lease ran out and we reclaimed the job; the running attempt finishes it.
            tracing::warn!(job_id = %job.id, "reclaimed a job this worker is still running; not starting it twice");
            return;
        }
        let run = run_job(Arc::clone(&self.shared), job, lease_lost, self.in_flight.clone());
        let finished_tx = self.finished_tx.clone();
        self.tasks.spawn(async move {
            let (job, result) = run.await;
            // The loop keeps the receiver until every task is done, so this cannot fail.
            let _ = finished_tx.send(Finished { job, result, permit }).await;
        });
    }

    /// Waits for every running job and records its outcome; claims nothing more.
    async fn drain(&mut self) {
        while self.running() > 0 {
            while self.tasks.try_join_next().is_some() {}
            if self.finished.is_empty()
                && self.finished_rx.recv_many(&mut self.finished, self.shared.config.concurrency).await == 0
            {
                return;
            }
            self.gather().await;
            if let Err(error) = self.record_and_claim(false).await {
                tracing::warn!(%error, "recording outcomes while draining failed; trying again");
                tokio::time::sleep(self.shared.config.poll_interval).await;
            }
        }
        while self.tasks.join_next().await.is_some() {}
    }

    /// Records the outcomes of jobs that finished before the drain gave up on the rest.
    async fn record_what_finished(&mut self) {
        while let Ok(done) = self.finished_rx.try_recv() {
            self.finished.push(done);
        }
        if let Err(error) = self.record_and_claim(false).await {
            tracing::warn!(%error, "recording outcomes after the drain timed out failed");
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
        let ids: Vec<JobId> = in_flight.ids();
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
