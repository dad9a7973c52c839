//! Workers: claim due jobs of the kinds they have handlers for, run them under a lease, and record
//! what happened. [`Worker::run`] is the long-running loop; [`Worker::try_run_one`] and
//! [`Worker::run_until_idle`] run jobs one at a time, inline, for deterministic tests.

mod in_flight;
mod outcome;
mod run;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hub_core::id::{JobId, WorkerId};
use hub_store::{Job, JobKind, StoreError};
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::error::{JobError, JobsError};
use crate::queue::JobQueue;
use crate::registry::{JobContext, JobRegistry};

/// How a worker runs. The defaults suit a production node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Jobs running at once (a semaphore caps it).
    pub concurrency: usize,
    /// The most jobs one claim statement takes.
    pub batch_size: u32,
    /// How long a claimed job stays leased without a heartbeat; a dead worker's jobs run again
    /// after this.
    pub lease: Duration,
    /// How often leases of running jobs are renewed; well under `lease`.
    pub heartbeat_interval: Duration,
    /// How often an idle worker looks for work that no local enqueue announced (other nodes'
    /// enqueues, retries coming due).
    pub poll_interval: Duration,
    /// How long a stopping worker waits for running jobs before abandoning them to lease expiry.
    pub drain_timeout: Duration,
    /// Delay before a failed job's next attempt.
    pub backoff: Backoff,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 16,
            batch_size: 16,
            lease: Duration::from_secs(30),
            heartbeat_interval: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            drain_timeout: Duration::from_secs(30),
            backoff: Backoff::default(),
        }
    }
}

impl WorkerConfig {
    fn validate(&self) -> Result<(), JobsError> {
        let fail = |why: &str| Err(JobsError::Config(why.to_owned()));
        if !(1..=10_000).contains(&self.concurrency) {
            return fail("concurrency must be between 1 and 10000");
        }
        if !(1..=1_000).contains(&self.batch_size) {
            return fail("batch_size must be between 1 and 1000");
        }
        if self.heartbeat_interval.is_zero() || self.heartbeat_interval >= self.lease {
            return fail("heartbeat_interval must be above zero and shorter than the lease");
        }
        if self.poll_interval.is_zero() {
            return fail("poll_interval must be above zero");
        }
        Ok(())
    }
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Succeeded,
    /// Failed; runs again at `at`.
    Retrying {
        at: DateTime<Utc>,
    },
    /// Dead-lettered, with the reason.
    Dead {
        reason: String,
    },
    /// The worker lost the lease before it could record the result (the job was reclaimed or
    /// cancelled); nothing was recorded.
    LeaseLost,
}

/// One attempt run by [`Worker::try_run_one`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    pub job_id: JobId,
    pub kind: JobKind,
    pub attempt: u32,
    pub outcome: JobOutcome,
}

/// Runs jobs of the kinds its registry handles. Cheap to clone; clones share one worker id, so
/// run only one [`Worker::run`] per worker.
#[derive(Clone)]
pub struct Worker {
    shared: Arc<Shared>,
}

struct Shared {
    id: WorkerId,
    queue: JobQueue,
    registry: JobRegistry,
    kinds: Vec<JobKind>,
    config: WorkerConfig,
}

impl Worker {
    /// A worker with a fresh id; refuses an empty registry and out-of-range settings.
    pub fn new(queue: JobQueue, registry: JobRegistry, config: WorkerConfig) -> Result<Self, JobsError> {
        config.validate()?;
        if registry.is_empty() {
            return Err(JobsError::Config("a worker needs at least one handler".into()));
        }
        let kinds = registry.kinds();
        Ok(Self { shared: Arc::new(Shared { id: WorkerId::new(), queue, registry, kinds, config }) })
    }

    /// The id written on the leases this worker holds.
    pub fn id(&self) -> &WorkerId {
        &self.shared.id
    }

    /// Claims one due job, runs it inline (renewing its lease meanwhile) and records the outcome;
    /// `None` when no job is due.
    pub async fn try_run_one(&self) -> Result<Option<JobRun>, JobsError> {
        let shared = &self.shared;
        let config = &shared.config;
        let mut claimed = shared.queue.store().claim(&shared.id, Some(&shared.kinds), 1, config.lease).await?;
        let Some(job) = claimed.pop() else { return Ok(None) };
        let ctx =
            JobContext { worker_id: shared.id.clone(), attempt: job.attempts, lease_lost: CancellationToken::new() };
        let result = shared.keep_lease_while(&job.id, &ctx.lease_lost, run_handler(&shared.registry, &job, &ctx)).await;
        let outcome = match result {
            Ok(()) => match shared.queue.store().complete(&shared.id, &job.id).await {
                Ok(()) => JobOutcome::Succeeded,
                Err(StoreError::LeaseLost { .. }) => JobOutcome::LeaseLost,
                Err(error) => return Err(error.into()),
            },
            Err(error) => shared.record_failure(&job, &error).await?,
        };
        Ok(Some(JobRun { job_id: job.id, kind: job.kind, attempt: job.attempts, outcome }))
    }

    /// Runs due jobs one at a time until none is due; returns every attempt in order.
    pub async fn run_until_idle(&self) -> Result<Vec<JobRun>, JobsError> {
        let mut runs = Vec::new();
        while let Some(run) = self.try_run_one().await? {
            runs.push(run);
        }
        Ok(runs)
    }
}

impl Shared {
    /// Records a failed attempt: a retry after the backoff (or the handler's `retry_after`), or
    /// dead-lettering when the error is permanent or the attempts are used up.
    async fn record_failure(&self, job: &Job, error: &JobError) -> Result<JobOutcome, JobsError> {
        let (message, retry_at) = match error {
            JobError::Retryable { message, retry_after } => {
                let delay = retry_after.unwrap_or_else(|| self.config.backoff.delay(job.attempts));
                (message, Some(at_after(delay)))
            }
            JobError::Permanent { message } => (message, None),
        };
        match self.queue.store().fail(&self.id, &job.id, message, retry_at).await {
            Ok(failed) if failed.status == hub_store::JobStatus::Dead => {
                tracing::error!(
                    job_id = %job.id, kind = %job.kind, attempt = job.attempts, error = %message,
                    "job dead-lettered"
                );
                Ok(JobOutcome::Dead { reason: message.clone() })
            }
            Ok(failed) => {
                tracing::warn!(
                    job_id = %job.id, kind = %job.kind, attempt = job.attempts, error = %message,
                    retry_at = %failed.run_at, "job failed; it will be retried"
                );
                Ok(JobOutcome::Retrying { at: failed.run_at })
            }
            Err(StoreError::LeaseLost { .. }) => {
                tracing::warn!(job_id = %job.id, kind = %job.kind, "job failed after its lease was lost; not recorded");
                Ok(JobOutcome::LeaseLost)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Polls `work` to the end while renewing the lease on `job_id` every heartbeat interval;
    /// fires `lease_lost` if a renewal finds the lease gone.
    async fn keep_lease_while<F: Future>(&self, job_id: &JobId, lease_lost: &CancellationToken, work: F) -> F::Output {
        let every = self.config.heartbeat_interval;
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tokio::pin!(work);
        loop {
            tokio::select! {
                output = &mut work => return output,
                _ = ticker.tick() => {
                    let ids = std::slice::from_ref(job_id);
                    match self.queue.store().heartbeat(&self.id, ids, self.config.lease).await {
                        Ok(held) if held.is_empty() => {
                            tracing::warn!(job_id = %job_id, "lost the lease on a running job");
                            lease_lost.cancel();
                        }
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "renewing a job lease failed; will try again"),
                    }
                }
            }
        }
    }
}

/// `now + delay`, with the delay capped at 30 days so no provider hint can overflow the clock.
fn at_after(delay: Duration) -> DateTime<Utc> {
    let capped = delay.min(Duration::from_secs(30 * 86_400));
    let delta = chrono::TimeDelta::from_std(capped).unwrap_or(chrono::TimeDelta::zero());
    Utc::now() + delta
}

/// Runs the job's handler in a task of its own, so a panic becomes a failed attempt rather than a
/// job stuck until its lease expires. Dropping the returned future aborts the handler.
async fn run_handler(registry: &JobRegistry, job: &Job, ctx: &JobContext) -> Result<(), JobError> {
    let Some(handler) = registry.handler(&job.kind) else {
        return Err(JobError::permanent(format!("no handler is registered for job kind `{}`", job.kind)));
    };
    let (job, ctx) = (job.clone(), ctx.clone());
    let task = tokio::spawn(async move { handler.handle(&job, &ctx).await });
    let _abort_on_drop = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(result) => result,
        Err(error) if error.is_panic() => Err(JobError::retryable("the job's handler panicked")),
        Err(_) => Err(JobError::retryable("the job's handler was aborted")),
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
