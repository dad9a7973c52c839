//! Where the queue's time goes: a [`JobStore`] that passes every call to the real store and adds
//! up, per operation, how many calls there were and how long they took (as the caller saw them:
//! the database round trip, the SQL and the row decoding). `hub-bench jobs --phases` prints it,
//! beside each round's wall-clock time.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_core::id::{JobId, WorkerId};
use hub_core::page::{Page, PageRequest};
use hub_store::{
    ChangeContext, Enqueued, Job, JobFilter, JobKind, JobStore, JobVisibility, NewJob, NewSchedule, Schedule,
    StoreResult,
};
use serde::Serialize;

/// Calls and time of one store operation.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PhaseTotals {
    pub calls: u64,
    /// Rows the calls carried (jobs enqueued, claimed or completed).
    pub rows: u64,
    pub total_ms: f64,
}

/// Totals per operation, shared by whoever records into it.
#[derive(Debug, Default)]
pub struct PhaseLog(Mutex<BTreeMap<&'static str, PhaseTotals>>);

impl PhaseLog {
    /// Everything recorded since the last call, by operation; starts over.
    pub fn take(&self) -> BTreeMap<&'static str, PhaseTotals> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds one call of `operation` that started at `started` and carried `rows`.
    pub fn record(&self, operation: &'static str, started: Instant, rows: usize) {
        let elapsed = started.elapsed();
        let mut totals = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = totals.entry(operation).or_default();
        entry.calls += 1;
        entry.rows += rows as u64;
        entry.total_ms += elapsed.as_secs_f64() * 1_000.0;
    }
}

/// Prints one round's totals to stderr, beside its wall-clock time.
pub fn print(label: &str, fill: Duration, drain: Duration, totals: &BTreeMap<&'static str, PhaseTotals>) {
    eprintln!("{label}: fill {:.0} ms, drain {:.0} ms", fill.as_secs_f64() * 1e3, drain.as_secs_f64() * 1e3);
    for (operation, totals) in totals {
        let per_call = totals.total_ms / totals.calls.max(1) as f64;
        eprintln!(
            "  {operation:<16} {:>6} calls {:>8} rows {:>9.1} ms in all {:>7.3} ms per call",
            totals.calls, totals.rows, totals.total_ms, per_call
        );
    }
}

/// The real store, timed.
pub struct TimedJobStore {
    inner: Arc<dyn JobStore>,
    log: Arc<PhaseLog>,
}

impl TimedJobStore {
    pub fn new(inner: Arc<dyn JobStore>, log: Arc<PhaseLog>) -> Self {
        Self { inner, log }
    }

    fn record(&self, operation: &'static str, started: Instant, rows: usize) {
        self.log.record(operation, started, rows);
    }
}

#[async_trait]
impl JobStore for TimedJobStore {
    async fn enqueue(&self, new: NewJob) -> StoreResult<Enqueued> {
        let started = Instant::now();
        let result = self.inner.enqueue(new).await;
        self.record("enqueue", started, 1);
        result
    }

    async fn enqueue_batch(&self, jobs: Vec<NewJob>) -> StoreResult<Vec<JobId>> {
        let started = Instant::now();
        let result = self.inner.enqueue_batch(jobs).await;
        self.record("enqueue_batch", started, result.as_ref().map_or(0, Vec::len));
        result
    }

    async fn claim(
        &self,
        worker: &WorkerId,
        kinds: Option<&[JobKind]>,
        batch: u32,
        lease: Duration,
    ) -> StoreResult<Vec<Job>> {
        let started = Instant::now();
        let result = self.inner.claim(worker, kinds, batch, lease).await;
        let rows = result.as_ref().map_or(0, Vec::len);
        self.record(if rows == 0 { "claim (empty)" } else { "claim" }, started, rows);
        result
    }

    async fn complete_and_claim(
        &self,
        worker: &WorkerId,
        done: &[JobId],
        kinds: Option<&[JobKind]>,
        batch: u32,
        lease: Duration,
    ) -> StoreResult<(Vec<JobId>, Vec<Job>)> {
        let started = Instant::now();
        let result = self.inner.complete_and_claim(worker, done, kinds, batch, lease).await;
        let rows = result.as_ref().map_or(0, |(completed, claimed)| completed.len() + claimed.len());
        self.record("complete_and_claim", started, rows);
        result
    }

    async fn heartbeat(&self, worker: &WorkerId, ids: &[JobId], lease: Duration) -> StoreResult<Vec<JobId>> {
        let started = Instant::now();
        let result = self.inner.heartbeat(worker, ids, lease).await;
        self.record("heartbeat", started, ids.len());
        result
    }

    async fn complete(&self, worker: &WorkerId, id: &JobId) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.complete(worker, id).await;
        self.record("complete", started, 1);
        result
    }

    async fn complete_batch(&self, worker: &WorkerId, ids: &[JobId]) -> StoreResult<Vec<JobId>> {
        let started = Instant::now();
        let result = self.inner.complete_batch(worker, ids).await;
        self.record("complete_batch", started, ids.len());
        result
    }

    async fn fail(
        &self,
        worker: &WorkerId,
        id: &JobId,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Job> {
        let started = Instant::now();
        let result = self.inner.fail(worker, id, error, retry_at).await;
        self.record("fail", started, 1);
        result
    }

    async fn get_job(&self, visibility: &JobVisibility, id: &JobId) -> StoreResult<Job> {
        self.inner.get_job(visibility, id).await
    }

    async fn list_jobs(&self, filter: &JobFilter, page: &PageRequest) -> StoreResult<Page<Job>> {
        self.inner.list_jobs(filter, page).await
    }

    async fn retry_job(&self, visibility: &JobVisibility, ctx: &ChangeContext, id: &JobId) -> StoreResult<Job> {
        self.inner.retry_job(visibility, ctx, id).await
    }

    async fn cancel_job(&self, visibility: &JobVisibility, ctx: &ChangeContext, id: &JobId) -> StoreResult<Job> {
        self.inner.cancel_job(visibility, ctx, id).await
    }

    async fn purge_finished_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.inner.purge_finished_jobs(before).await
    }

    async fn upsert_schedule(&self, new: &NewSchedule, next_run_at: DateTime<Utc>) -> StoreResult<Schedule> {
        self.inner.upsert_schedule(new, next_run_at).await
    }

    async fn list_schedules(&self) -> StoreResult<Vec<Schedule>> {
        self.inner.list_schedules().await
    }

    async fn delete_schedule(&self, name: &str) -> StoreResult<()> {
        self.inner.delete_schedule(name).await
    }

    async fn due_schedules(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Schedule>> {
        self.inner.due_schedules(now, limit).await
    }

    async fn fire_schedule(&self, schedule: &Schedule, next_run_at: DateTime<Utc>) -> StoreResult<Option<Job>> {
        self.inner.fire_schedule(schedule, next_run_at).await
    }
}
