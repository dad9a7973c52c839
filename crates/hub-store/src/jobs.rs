//! The durable job queue's storage: jobs with leases, retries and dead-lettering, and the cron
//! schedules that enqueue them. The runtime that executes jobs lives in `hub-jobs`.
//!
//! A worker claims a batch of due jobs and holds a lease on each (`locked_by`, `locked_until`),
//! renewed by heartbeats. Completing, failing or heartbeating checks that the lease is still the
//! caller's, so a worker whose job was reclaimed after its lease expired cannot finish it twice.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use hub_core::ValidationError;
use hub_core::id::{JobId, NetworkId, WorkerId};
use hub_core::page::{Page, PageRequest};

use crate::{ChangeContext, StoreError, StoreResult};

/// How many times a job runs before it is dead-lettered, unless its enqueuer says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 20;
/// The longest accepted unique key.
pub const MAX_UNIQUE_KEY_LEN: usize = 200;
const MAX_KIND_LEN: usize = 100;

/// What a job does (`sync.connection`): handlers register for a kind, workers claim by kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKind(String);

impl JobKind {
    /// Accepts 1 to 100 characters of lowercase ASCII letters, digits, `.`, `_`, `-` and `:`.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | ':');
        if text.is_empty() || text.len() > MAX_KIND_LEN || !text.chars().all(allowed) {
            return Err(ValidationError::new(
                "must be 1 to 100 lowercase letters, digits, `.`, `_`, `-` or `:` (like `sync.connection`)",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The kind as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for JobKind {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for its `run_at`, or due and waiting for a worker.
    Queued,
    /// Held by a worker under a lease.
    Running,
    /// Done.
    Succeeded,
    /// Its last attempt failed; it runs again at `run_at`.
    Failed,
    /// Failed for good (a permanent error, or every attempt used); `last_error` says why.
    Dead,
    /// Cancelled by an operator or tenant before it finished.
    Cancelled,
}

impl JobStatus {
    /// Every status, in life order.
    pub const ALL: [Self; 6] =
        [Self::Queued, Self::Running, Self::Succeeded, Self::Failed, Self::Dead, Self::Cancelled];

    /// The stored and wire name (`queued`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the stored and wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Whether the job will never run again (unless someone retries it).
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Dead | Self::Cancelled)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job to enqueue. Build with [`NewJob::new`] and the chained setters.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: JobKind,
    pub payload: serde_json::Value,
    /// The tenant the job works for; `None` for system jobs, which only operators see.
    pub network_id: Option<NetworkId>,
    /// Higher runs first among due jobs.
    pub priority: i16,
    /// Not before this instant; `None` means now.
    pub run_at: Option<DateTime<Utc>>,
    /// While a job with this key (in the same network) is unfinished, enqueueing another returns it.
    pub unique_key: Option<String>,
    /// Attempts before the job is dead-lettered, at least 1.
    pub max_attempts: u32,
}

impl NewJob {
    /// A system job of `kind` due now, priority 0, [`DEFAULT_MAX_ATTEMPTS`], no unique key.
    pub fn new(kind: JobKind, payload: serde_json::Value) -> Self {
        Self {
            kind,
            payload,
            network_id: None,
            priority: 0,
            run_at: None,
            unique_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// Makes the job belong to `network_id`.
    pub fn in_network(mut self, network_id: NetworkId) -> Self {
        self.network_id = Some(network_id);
        self
    }

    /// Sets the priority (higher first).
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = priority;
        self
    }

    /// Delays the job until `run_at`.
    pub fn run_at(mut self, run_at: DateTime<Utc>) -> Self {
        self.run_at = Some(run_at);
        self
    }

    /// Deduplicates the job on `key` among unfinished jobs of the same network.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Sets how many attempts the job gets.
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Refuses an empty or over-long unique key and a zero or huge attempt count.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(key) = &self.unique_key
            && (key.is_empty() || key.len() > MAX_UNIQUE_KEY_LEN)
        {
            return Err(ValidationError::new("must be 1 to 200 bytes").for_field("unique_key"));
        }
        if self.max_attempts == 0 || i32::try_from(self.max_attempts).is_err() {
            return Err(ValidationError::new("must be at least 1").for_field("max_attempts"));
        }
        Ok(())
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub network_id: Option<NetworkId>,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub priority: i16,
    pub status: JobStatus,
    /// When the job is due: as enqueued, or the retry time after a failure.
    pub run_at: DateTime<Utc>,
    pub unique_key: Option<String>,
    /// Attempts started so far (a claim starts one).
    pub attempts: u32,
    pub max_attempts: u32,
    /// The worker holding the lease, while running.
    pub locked_by: Option<WorkerId>,
    /// When the lease runs out unless renewed; after that another worker may reclaim the job.
    pub locked_until: Option<DateTime<Utc>>,
    /// Why the last attempt failed (for a dead job: why it was dead-lettered).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it succeeded, died or was cancelled.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What [`JobStore::enqueue`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Enqueued {
    /// The job was added.
    New(Job),
    /// An unfinished job with the same unique key exists; nothing was added.
    Existing(Job),
}

impl Enqueued {
    /// The new or existing job.
    pub fn job(&self) -> &Job {
        match self {
            Self::New(job) | Self::Existing(job) => job,
        }
    }

    /// The new or existing job, owned.
    pub fn into_job(self) -> Job {
        match self {
            Self::New(job) | Self::Existing(job) => job,
        }
    }

    /// Whether this call added the job.
    pub fn is_new(&self) -> bool {
        matches!(self, Self::New(_))
    }
}

/// Whose jobs a caller may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobVisibility {
    /// Every job, system jobs included (`hub jobs`, operators).
    Operator,
    /// Only the jobs of one network (tenant views); system jobs are invisible.
    Network(NetworkId),
}

/// Which jobs [`JobStore::list_jobs`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFilter {
    pub visibility: JobVisibility,
    pub status: Option<JobStatus>,
    pub kind: Option<JobKind>,
}

impl JobFilter {
    /// Every job the caller may see.
    pub fn all(visibility: JobVisibility) -> Self {
        Self { visibility, status: None, kind: None }
    }
}

/// A cron schedule to create or replace. The store does not read cron expressions: the runtime
/// validates `cron` and computes each next fire time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSchedule {
    /// Unique name; upserting the same name replaces the schedule.
    pub name: String,
    pub cron: String,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub network_id: Option<NetworkId>,
    pub priority: i16,
    pub max_attempts: u32,
}

/// A stored cron schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub cron: String,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub network_id: Option<NetworkId>,
    pub priority: i16,
    pub max_attempts: u32,
    /// When it fires next.
    pub next_run_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Schedule {
    /// The unique key of the jobs this schedule enqueues: a run still pending absorbs the next one.
    pub fn unique_key(&self) -> String {
        format!("schedule:{}", self.name)
    }
}

/// The queue's storage. Every backend implements it with the same semantics (see the conformance
/// suite in `tests/jobs_conformance.rs`).
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Adds a job, or returns the unfinished job of the same network with the same unique key.
    async fn enqueue(&self, new: NewJob) -> StoreResult<Enqueued>;
    /// Adds many jobs in few statements (fan-out); returns the ids of the ones added (those whose
    /// unique key was taken are skipped).
    async fn enqueue_batch(&self, jobs: Vec<NewJob>) -> StoreResult<Vec<JobId>>;
    /// Leases up to `batch` due jobs (of `kinds`, or any kind) to `worker` for `lease`, highest
    /// priority first, then earliest due (jobs tied on both in no promised order), returned in
    /// that order with ties by id. Jobs whose lease expired count as due; one that has used
    /// all its attempts that way is dead-lettered instead of returned.
    async fn claim(
        &self,
        worker: &WorkerId,
        kinds: Option<&[JobKind]>,
        batch: u32,
        lease: Duration,
    ) -> StoreResult<Vec<Job>>;
    /// Marks the held jobs of `done` as succeeded and leases up to `batch` more due jobs (as
    /// [`JobStore::complete_batch`] then [`JobStore::claim`]), in one transaction: a busy worker's
    /// completions and its next claim share one commit. Returns the ids completed and the jobs
    /// claimed; none of `done` is among the claimed.
    async fn complete_and_claim(
        &self,
        worker: &WorkerId,
        done: &[JobId],
        kinds: Option<&[JobKind]>,
        batch: u32,
        lease: Duration,
    ) -> StoreResult<(Vec<JobId>, Vec<Job>)> {
        let completed = self.complete_batch(worker, done).await?;
        let claimed = self.claim(worker, kinds, batch, lease).await?;
        Ok((completed, claimed))
    }
    /// Extends `worker`'s leases on `ids` to `lease` from now; returns the ids it still held.
    async fn heartbeat(&self, worker: &WorkerId, ids: &[JobId], lease: Duration) -> StoreResult<Vec<JobId>>;
    /// Marks a job `worker` holds as succeeded; [`StoreError::LeaseLost`] if it no longer holds it.
    async fn complete(&self, worker: &WorkerId, id: &JobId) -> StoreResult<()>;
    /// Marks many held jobs as succeeded in one statement; returns those that were still held.
    async fn complete_batch(&self, worker: &WorkerId, ids: &[JobId]) -> StoreResult<Vec<JobId>>;
    /// Records a failed attempt: the job runs again at `retry_at`, or is dead-lettered with `error`
    /// when `retry_at` is `None` (a permanent error) or its attempts are used up.
    async fn fail(
        &self,
        worker: &WorkerId,
        id: &JobId,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Job>;

    /// One job the caller may see.
    async fn get_job(&self, visibility: &JobVisibility, id: &JobId) -> StoreResult<Job>;
    /// Jobs the filter selects, newest first.
    async fn list_jobs(&self, filter: &JobFilter, page: &PageRequest) -> StoreResult<Page<Job>>;
    /// Queues a dead or failed job again, due now, with its attempts reset; audited when the job
    /// belongs to a network.
    async fn retry_job(&self, visibility: &JobVisibility, ctx: &ChangeContext, id: &JobId) -> StoreResult<Job>;
    /// Cancels a queued, failed or running job (a running one's worker loses its lease); audited
    /// when the job belongs to a network.
    async fn cancel_job(&self, visibility: &JobVisibility, ctx: &ChangeContext, id: &JobId) -> StoreResult<Job>;
    /// Deletes jobs that finished before `before`; returns how many.
    async fn purge_finished_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Creates or replaces a schedule. A new schedule, or one whose cron expression changed, fires
    /// next at `next_run_at`; otherwise its next fire time is kept.
    async fn upsert_schedule(&self, new: &NewSchedule, next_run_at: DateTime<Utc>) -> StoreResult<Schedule>;
    /// Every schedule, by name.
    async fn list_schedules(&self) -> StoreResult<Vec<Schedule>>;
    /// Deletes a schedule (its pending jobs stay).
    async fn delete_schedule(&self, name: &str) -> StoreResult<()>;
    /// Schedules due at `now`, earliest first.
    async fn due_schedules(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Schedule>>;
    /// Fires `schedule` as read: in one transaction, moves its next fire time from the value read to
    /// `next_run_at` and enqueues its job (deduplicated on [`Schedule::unique_key`]). `None` when
    /// another node fired it first.
    async fn fire_schedule(&self, schedule: &Schedule, next_run_at: DateTime<Utc>) -> StoreResult<Option<Job>>;
}

/// `now + lease`, refusing a zero or absurd lease.
pub(crate) fn lease_until(now: DateTime<Utc>, lease: Duration) -> StoreResult<DateTime<Utc>> {
    let invalid = || StoreError::Invalid(ValidationError::new("must be between 1 ms and 1 day").for_field("lease"));
    if lease < Duration::from_millis(1) || lease > Duration::from_secs(86_400) {
        return Err(invalid());
    }
    let delta = TimeDelta::from_std(lease).map_err(|_| invalid())?;
    now.checked_add_signed(delta).ok_or_else(invalid)
}

/// A list of ids or kinds as the JSON array text SQLite unpacks with `json_each`.
pub(crate) fn json_list<T: AsRef<str>>(items: &[T]) -> String {
    serde_json::Value::Array(items.iter().map(|item| serde_json::Value::from(item.as_ref())).collect()).to_string()
}

/// A list of ids or kinds as a PostgreSQL `text[]` parameter.
pub(crate) fn text_array<T: AsRef<str>>(items: &[T]) -> Vec<String> {
    items.iter().map(|item| item.as_ref().to_owned()).collect()
}
