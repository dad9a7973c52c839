//! The SQL behind [`crate::JobStore`], written once and expanded for both backends inside a module
//! of their own (it reuses `impl_sql_store!`'s audit helpers for retries and cancellations).
//!
//! Invariant: `locked_by` is set exactly while a job is `running` (every statement that moves a job
//! out of `running` clears it). Lease checks therefore test `locked_by = $worker` alone: a
//! condition on `status` would let the planner pick the partial claim index for a lookup by id,
//! and walk all of it (seen on PostgreSQL before its first `ANALYZE` of the table).
//!
//! What differs between the backends is passed in: how a claim locks the rows it picks
//! (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite needs nothing, its one writer connection runs the
//! claim as a single `UPDATE … RETURNING`), how a list of ids or kinds is bound (a PostgreSQL
//! `text[]`; a JSON array SQLite unpacks with `json_each`), and the batch insert, which each
//! backend writes its own way (`insert_job_batch` in `postgres.rs` and `sqlite.rs`).

macro_rules! job_columns {
    () => {
        "id, network_id, kind, payload, priority, status, run_at, unique_key, attempts, max_attempts, locked_by, \
         locked_until, last_error, created_at, updated_at, finished_at"
    };
}
macro_rules! schedule_columns {
    () => {
        "name, cron, kind, payload, network_id, priority, max_attempts, next_run_at, last_run_at, created_at, \
         updated_at"
    };
}
/// A job that can still run (queued, running or failed): `finished_at` is set exactly when a job
/// succeeds, dies or is cancelled. The claim and unique-key indexes hold exactly these rows.
macro_rules! unfinished {
    () => {
        "finished_at IS NULL"
    };
}
/// The start of a job insert, followed by `VALUES (…)` or a `SELECT` of the same columns.
macro_rules! job_insert {
    () => {
        "INSERT INTO jobs (id, network_id, kind, payload, priority, status, run_at, unique_key, \
         attempts, max_attempts, created_at, updated_at) "
    };
}
/// The assignments of a claim (`$1` worker, `$2` end of the lease, `$3` now). A job whose lease
/// ran out on its last attempt is dead-lettered instead of handed out.
macro_rules! claim_set {
    () => {
        "status = CASE WHEN attempts < max_attempts THEN 'running' ELSE 'dead' END, \
         attempts = CASE WHEN attempts < max_attempts THEN attempts + 1 ELSE attempts END, \
         locked_by = CASE WHEN attempts < max_attempts THEN $1 END, \
         locked_until = CASE WHEN attempts < max_attempts THEN $2 END, \
         last_error = CASE WHEN attempts < max_attempts THEN last_error \
             ELSE 'its lease ran out on the last attempt: the worker stopped or lost the database' END, \
         finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE $3 END, \
         updated_at = $3"
    };
}
/// Which jobs a claim may take (`$3` now): unfinished, due, and with no live lease.
macro_rules! claim_due {
    () => {
        "finished_at IS NULL AND run_at <= $3 AND (locked_until IS NULL OR locked_until <= $3)"
    };
}
/// The assignments that record a success (`$3` now).
macro_rules! complete_set {
    () => {
        "status = 'succeeded', locked_by = NULL, locked_until = NULL, finished_at = $3, updated_at = $3"
    };
}
pub(crate) use {claim_due, claim_set, complete_set, job_columns, job_insert, schedule_columns, unfinished};

/// Implements [`crate::JobStore`] for `$store` (with `reader` and `writer` pools of `$db`).
/// `$claim_lock` ends the claim's row-picking subquery. `in_rows` turns `column` + subquery into
/// "column is one of the subquery's rows", `in_list` the same for the elements of a list
/// parameter bound with `$list` (ids or kinds); PostgreSQL writes them as `= ANY(ARRAY(…))` and
/// `= ANY($n)`, which keep the outer statement on the primary key (with `IN (…)` its planner may
/// hash-join a sequential scan of the whole table). The backend module defines
/// `insert_job_batch(conn, jobs, at)`, the batch insert, and `complete_and_claim_on(conn, worker,
/// done, kinds, batch, until, at)`, which completes and claims in one transaction. The claim path lives here; reads,
/// operator changes and schedules come from [`crate::jobs_admin_sql::job_admin_fns`].
macro_rules! impl_job_store {
    (
        store: $store:ident,
        db: $db:ty,
        claim_lock: $claim_lock:literal,
        in_rows: ($rows_open:literal, $rows_close:literal),
        in_list: ($list_open:literal, $list_close:literal),
        list: $list:path
    ) => {
        mod job_store {
            use super::*;
            use std::time::Duration;

            use chrono::DateTime;
            use hub_core::id::{JobId, WorkerId};

            use crate::jobs::{
                Enqueued, Job, JobFilter, JobKind, JobStore, JobVisibility, NewJob, NewSchedule, Schedule,
                lease_until,
            };
            use crate::jobs_rows::{JobRow, ScheduleRow, clip_error, first_job_id_at};
            use crate::jobs_sql::{claim_due, claim_set, complete_set, job_columns, job_insert, schedule_columns, unfinished};

            type Conn = <$db as sqlx::Database>::Connection;

            /// The network a caller is limited to (`None`: every job, system jobs included).
            fn visible_network(visibility: &JobVisibility) -> Option<&str> {
                match visibility {
                    JobVisibility::Operator => None,
                    JobVisibility::Network(network_id) => Some(network_id.as_str()),
                }
            }

            fn count_param(value: u32, field: &str) -> StoreResult<i32> {
                i32::try_from(value).map_err(|_| {
                    StoreError::Invalid(hub_core::ValidationError::new("is too large").for_field(field))
                })
            }

            /// An insert that names a network that does not exist says so.
            fn insert_error(error: sqlx::Error) -> StoreError {
                match &error {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                        StoreError::unknown_reference("network_id", "network")
                    }
                    _ => StoreError::from(error),
                }
            }

            fn parse_ids(rows: Vec<(String,)>) -> StoreResult<Vec<JobId>> {
                rows.into_iter()
                    .map(|(id,)| JobId::parse(&id).map_err(|e| StoreError::Corrupt(format!("jobs.id `{id}`: {e}"))))
                    .collect()
            }

            /// Inserts `new` unless its unique key is taken; `None` when it was.
            async fn insert_job(conn: &mut Conn, new: &NewJob, at: DateTime<Utc>) -> StoreResult<Option<Job>> {
                let row: Option<JobRow> = sqlx::query_as(concat!(
                    job_insert!(),
                    "VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, 0, $8, $9, $9) ON CONFLICT DO NOTHING RETURNING ",
                    job_columns!()
                ))
                .bind(JobId::new().as_str())
                .bind(opt(new.network_id.as_ref()))
                .bind(new.kind.as_str())
                .bind(new.payload.to_string())
                .bind(new.priority)
                .bind(truncate_to_micros(new.run_at.unwrap_or(at)))
                .bind(new.unique_key.as_deref())
                .bind(count_param(new.max_attempts, "max_attempts")?)
                .bind(at)
                .fetch_optional(&mut *conn)
                .await
                .map_err(insert_error)?;
                row.map(Job::try_from).transpose()
            }

            /// The unfinished job of `network_id` (or of no network) holding `key`.
            async fn pending_with_key(conn: &mut Conn, network_id: Option<&str>, key: &str) -> StoreResult<Option<Job>> {
                let row: Option<JobRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    job_columns!(),
                    " FROM jobs WHERE COALESCE(network_id, '') = COALESCE($1, '') AND unique_key = $2 AND ",
                    unfinished!()
                ))
                .bind(network_id)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
                row.map(Job::try_from).transpose()
            }

            /// Inserts `new`, or finds the unfinished job holding its unique key. Retries when that
            /// job finishes between the two statements.
            async fn insert_or_find(conn: &mut Conn, new: &NewJob, at: DateTime<Utc>) -> StoreResult<Enqueued> {
                new.validate().map_err(StoreError::Invalid)?;
                for _ in 0..3 {
                    if let Some(job) = insert_job(conn, new, at).await? {
                        return Ok(Enqueued::New(job));
                    }
                    let Some(key) = new.unique_key.as_deref() else {
                        return Err(StoreError::conflict("a job with the same id already exists"));
                    };
                    if let Some(job) = pending_with_key(conn, opt(new.network_id.as_ref()), key).await? {
                        return Ok(Enqueued::Existing(job));
                    }
                }
                Err(StoreError::conflict("the job's unique key is changing hands too fast; try again"))
            }

            /// Leases up to `batch` due jobs to `worker` on `conn` (see [`JobStore::claim`]). In a
            /// transaction that has just completed jobs, those are finished and so not claimed.
            pub(super) async fn claim_on(
                conn: &mut Conn,
                worker: &WorkerId,
                kinds: Option<&[JobKind]>,
                batch: u32,
                until: DateTime<Utc>,
                at: DateTime<Utc>,
            ) -> StoreResult<Vec<Job>> {
                if batch == 0 {
                    return Ok(Vec::new());
                }
                let rows: Vec<JobRow> = sqlx::query_as(concat!(
                    "UPDATE jobs SET ",
                    claim_set!(),
                    " WHERE id",
                    $rows_open,
                    "SELECT id FROM jobs WHERE ",
                    claim_due!(),
                    " AND ($4 IS NULL OR kind",
                    $list_open,
                    "$4",
                    $list_close,
                    ") ORDER BY priority DESC, run_at LIMIT $5",
                    $claim_lock,
                    $rows_close,
                    " RETURNING ",
                    job_columns!()
                ))
                .bind(worker.as_str())
                .bind(until)
                .bind(at)
                .bind(kinds.map(|kinds| $list(kinds)))
                .bind(i64::from(batch))
                .fetch_all(&mut *conn)
                .await?;
                crate::jobs_rows::claimed_jobs(rows)
            }

            /// Marks the jobs of `ids` that `worker` holds as succeeded on `conn`; returns those.
            pub(super) async fn complete_on(
                conn: &mut Conn,
                worker: &WorkerId,
                ids: &[JobId],
                at: DateTime<Utc>,
            ) -> StoreResult<Vec<JobId>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let rows: Vec<(String,)> = sqlx::query_as(concat!(
                    "UPDATE jobs SET ",
                    complete_set!(),
                    " WHERE id",
                    $list_open,
                    "$2",
                    $list_close,
                    " AND locked_by = $1 RETURNING id"
                ))
                .bind(worker.as_str())
                .bind($list(ids))
                .bind(at)
                .fetch_all(&mut *conn)
                .await?;
                parse_ids(rows)
            }

            crate::jobs_admin_sql::job_admin_fns!($store);

            #[async_trait]
            impl JobStore for $store {
                async fn enqueue(&self, new: NewJob) -> StoreResult<Enqueued> {
                    let mut conn = self.writer.acquire().await?;
                    insert_or_find(&mut conn, &new, now()).await
                }

                async fn enqueue_batch(&self, jobs: Vec<NewJob>) -> StoreResult<Vec<JobId>> {
                    const ROWS_PER_STATEMENT: usize = 1_000;
                    for new in &jobs {
                        new.validate().map_err(StoreError::Invalid)?;
                    }
                    let at = now();
                    let mut added = Vec::with_capacity(jobs.len());
                    let mut conn = self.writer.acquire().await?;
                    for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
                        added.extend(super::insert_job_batch(&mut conn, chunk, at).await.map_err(insert_error)?);
                    }
                    Ok(added)
                }

                async fn claim(
                    &self,
                    worker: &WorkerId,
                    kinds: Option<&[JobKind]>,
                    batch: u32,
                    lease: Duration,
                ) -> StoreResult<Vec<Job>> {
                    let at = now();
                    let until = lease_until(at, lease)?;
                    if batch == 0 {
                        return Ok(Vec::new());
                    }
                    let mut conn = self.writer.acquire().await?;
                    claim_on(&mut conn, worker, kinds, batch, until, at).await
                }

                async fn complete_and_claim(
                    &self,
                    worker: &WorkerId,
                    done: &[JobId],
                    kinds: Option<&[JobKind]>,
                    batch: u32,
                    lease: Duration,
                ) -> StoreResult<(Vec<JobId>, Vec<Job>)> {
                    let at = now();
                    let until = lease_until(at, lease)?;
                    let mut conn = self.writer.acquire().await?;
                    if done.is_empty() || batch == 0 {
                        let completed = complete_on(&mut conn, worker, done, at).await?;
                        return Ok((completed, claim_on(&mut conn, worker, kinds, batch, until, at).await?));
                    }
                    super::complete_and_claim_on(&mut conn, worker, done, kinds, batch, until, at).await
                }

                async fn heartbeat(&self, worker: &WorkerId, ids: &[JobId], lease: Duration) -> StoreResult<Vec<JobId>> {
                    let at = now();
                    let until = lease_until(at, lease)?;
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let rows: Vec<(String,)> = sqlx::query_as(concat!(
                        "UPDATE jobs SET locked_until = $3, updated_at = $4 WHERE id",
                        $list_open,
                        "$2",
                        $list_close,
                        " AND locked_by = $1 RETURNING id"
                    ))
                    .bind(worker.as_str())
                    .bind($list(ids))
                    .bind(until)
                    .bind(at)
                    .fetch_all(&self.writer)
                    .await?;
                    parse_ids(rows)
                }

                async fn complete(&self, worker: &WorkerId, id: &JobId) -> StoreResult<()> {
                    let at = now();
                    let done = sqlx::query(
                        "UPDATE jobs SET status = 'succeeded', locked_by = NULL, locked_until = NULL, finished_at = $3, \
                         updated_at = $3 WHERE id = $2 AND locked_by = $1",
                    )
                    .bind(worker.as_str())
                    .bind(id.as_str())
                    .bind(at)
                    .execute(&self.writer)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::LeaseLost { job_id: id.clone() });
                    }
                    Ok(())
                }

                async fn complete_batch(&self, worker: &WorkerId, ids: &[JobId]) -> StoreResult<Vec<JobId>> {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut conn = self.writer.acquire().await?;
                    complete_on(&mut conn, worker, ids, now()).await
                }

                async fn fail(
                    &self,
                    worker: &WorkerId,
                    id: &JobId,
                    error: &str,
                    retry_at: Option<DateTime<Utc>>,
                ) -> StoreResult<Job> {
                    let row: Option<JobRow> = sqlx::query_as(concat!(
                        "UPDATE jobs SET \
                         status = CASE WHEN $4 IS NOT NULL AND attempts < max_attempts THEN 'failed' ELSE 'dead' END, \
                         run_at = CASE WHEN $4 IS NOT NULL AND attempts < max_attempts THEN $4 ELSE run_at END, \
                         finished_at = CASE WHEN $4 IS NOT NULL AND attempts < max_attempts THEN NULL ELSE $5 END, \
                         last_error = $3, locked_by = NULL, locked_until = NULL, updated_at = $5 \
                         WHERE id = $2 AND locked_by = $1 RETURNING ",
                        job_columns!()
                    ))
                    .bind(worker.as_str())
                    .bind(id.as_str())
                    .bind(clip_error(error))
                    .bind(retry_at.map(truncate_to_micros))
                    .bind(now())
                    .fetch_optional(&self.writer)
                    .await?;
                    row.ok_or_else(|| StoreError::LeaseLost { job_id: id.clone() })?.try_into()
                }

                async fn get_job(&self, visibility: &JobVisibility, id: &JobId) -> StoreResult<Job> {
                    get_job(self, visibility, id).await
                }

                async fn list_jobs(&self, filter: &JobFilter, page: &PageRequest) -> StoreResult<Page<Job>> {
                    list_jobs(self, filter, page).await
                }

                async fn retry_job(&self, visibility: &JobVisibility, ctx: &ChangeContext, id: &JobId) -> StoreResult<Job> {
                    retry_job(self, visibility, ctx, id).await
                }

                async fn cancel_job(&self, visibility: &JobVisibility, ctx: &ChangeContext, id: &JobId) -> StoreResult<Job> {
                    cancel_job(self, visibility, ctx, id).await
                }

                async fn purge_finished_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                    purge_finished_jobs(self, before).await
                }

                async fn upsert_schedule(&self, new: &NewSchedule, next_run_at: DateTime<Utc>) -> StoreResult<Schedule> {
                    upsert_schedule(self, new, next_run_at).await
                }

                async fn list_schedules(&self) -> StoreResult<Vec<Schedule>> {
                    list_schedules(self).await
                }

                async fn delete_schedule(&self, name: &str) -> StoreResult<()> {
                    delete_schedule(self, name).await
                }

                async fn due_schedules(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Schedule>> {
                    due_schedules(self, now, limit).await
                }

                async fn fire_schedule(&self, schedule: &Schedule, next_run_at: DateTime<Utc>) -> StoreResult<Option<Job>> {
                    fire_schedule(self, schedule, next_run_at).await
                }
            }
        }
    };
}
pub(crate) use impl_job_store;
