//! The SQL of the job queue's slower paths, shared by both backends: reading jobs (scoped by
//! [`crate::JobVisibility`]), an operator's retry, cancel and purge, and cron schedule storage.
//! Expanded by `impl_job_store!` inside its module, next to the claim path.

/// Defines `get_job`, `list_jobs`, `retry_job`, `cancel_job`, `purge_finished_jobs` and the
/// schedule functions as free functions over `$store`, for `impl_job_store!`'s trait impl.
macro_rules! job_admin_fns {
    ($store:ident) => {
        async fn get_job(store: &$store, visibility: &JobVisibility, id: &JobId) -> StoreResult<Job> {
            let row: Option<JobRow> = sqlx::query_as(concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE id = $1 AND ($2 IS NULL OR network_id = $2)"
            ))
            .bind(id.as_str())
            .bind(visible_network(visibility))
            .fetch_optional(&store.reader)
            .await?;
            row.ok_or(StoreError::NotFound { resource: "job" })?.try_into()
        }

        async fn list_jobs(store: &$store, filter: &JobFilter, page: &PageRequest) -> StoreResult<Page<Job>> {
            let before = page
                .after
                .as_deref()
                .map(|key| {
                    JobId::parse(key).map_err(|_| {
                        StoreError::Invalid(
                            hub_core::ValidationError::new("is not a cursor this API returned").for_field("cursor"),
                        )
                    })
                })
                .transpose()?;
            let rows: Vec<JobRow> = sqlx::query_as(concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE ($1 IS NULL OR network_id = $1) AND ($2 IS NULL OR status = $2) \
                 AND ($3 IS NULL OR kind = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
            ))
            .bind(visible_network(&filter.visibility))
            .bind(filter.status.map(|status| status.as_str()))
            .bind(filter.kind.as_ref().map(|kind| kind.as_str()))
            .bind(before.as_ref().map(|id| id.as_str()))
            .bind(i64::from(page.limit) + 1)
            .fetch_all(&store.reader)
            .await?;
            Ok(Page::from_rows(convert_all(rows)?, page.limit, |job: &Job| job.id.to_string()))
        }

        /// Why a retry or cancel changed nothing: the job is not visible, or not in a state that allows it.
        async fn refusal(store: &$store, visibility: &JobVisibility, id: &JobId, allowed: &str) -> StoreError {
            match get_job(store, visibility, id).await {
                Ok(job) => StoreError::conflict(format!("the job is {}; only {allowed} jobs can be", job.status)),
                Err(error) => error,
            }
        }

        /// Runs a retry or cancel `UPDATE … RETURNING` (parameters: id, visible network, now) and
        /// audits it when the job belongs to a network. `None` when no row matched.
        async fn change_job(
            store: &$store,
            ctx: &ChangeContext,
            update: &'static str,
            action: &str,
            visibility: &JobVisibility,
            id: &JobId,
        ) -> StoreResult<Option<Job>> {
            let mut tx = store.writer.begin().await?;
            let row: Option<JobRow> = sqlx::query_as(update)
                .bind(id.as_str())
                .bind(visible_network(visibility))
                .bind(now())
                .fetch_optional(&mut *tx)
                .await
                .map_err(|error| match StoreError::from(error) {
                    StoreError::Conflict { .. } => {
                        StoreError::conflict("another unfinished job holds this job's unique key")
                    }
                    other => other,
                })?;
            let Some(row) = row else { return Ok(None) };
            let job = Job::try_from(row)?;
            if let Some(network_id) = &job.network_id {
                let details = json!({ "kind": job.kind.as_str(), "status": job.status.as_str() });
                append_audit(&mut tx, network_id, event(ctx, action, job.id.as_str(), None, None, details)).await?;
            }
            tx.commit().await?;
            Ok(Some(job))
        }

        async fn retry_job(
            store: &$store,
            visibility: &JobVisibility,
            ctx: &ChangeContext,
            id: &JobId,
        ) -> StoreResult<Job> {
            let update = concat!(
                "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $3, locked_by = NULL, \
                 locked_until = NULL, finished_at = NULL, updated_at = $3 \
                 WHERE id = $1 AND ($2 IS NULL OR network_id = $2) AND status IN ('dead', 'failed') RETURNING ",
                job_columns!()
            );
            match change_job(store, ctx, update, "job.retry", visibility, id).await? {
                Some(job) => Ok(job),
                None => Err(refusal(store, visibility, id, "dead or failed").await),
            }
        }

        async fn cancel_job(
            store: &$store,
            visibility: &JobVisibility,
            ctx: &ChangeContext,
            id: &JobId,
        ) -> StoreResult<Job> {
            let update = concat!(
                "UPDATE jobs SET status = 'cancelled', locked_by = NULL, locked_until = NULL, finished_at = $3, \
                 updated_at = $3 WHERE id = $1 AND ($2 IS NULL OR network_id = $2) AND ",
                unfinished!(),
                " RETURNING ",
                job_columns!()
            );
            match change_job(store, ctx, update, "job.cancel", visibility, id).await? {
                Some(job) => Ok(job),
                None => Err(refusal(store, visibility, id, "queued, running or failed").await),
            }
        }

        async fn purge_finished_jobs(store: &$store, before: DateTime<Utc>) -> StoreResult<u64> {
            // A job that finished before `before` was made before it too: the id bound keeps this
            // on the primary key.
            let done = sqlx::query("DELETE FROM jobs WHERE id < $1 AND finished_at IS NOT NULL AND finished_at < $2")
                .bind(first_job_id_at(before))
                .bind(before)
                .execute(&store.writer)
                .await?;
            Ok(done.rows_affected())
        }

        async fn upsert_schedule(
            store: &$store,
            new: &NewSchedule,
            next_run_at: DateTime<Utc>,
        ) -> StoreResult<Schedule> {
            let invalid = |field: &str, reason: &str| {
                StoreError::Invalid(hub_core::ValidationError::new(reason).for_field(field))
            };
            if new.name.is_empty() || new.name.len() > 200 {
                return Err(invalid("name", "must be 1 to 200 bytes"));
            }
            if new.cron.trim().is_empty() {
                return Err(invalid("cron", "must not be empty"));
            }
            if new.max_attempts == 0 {
                return Err(invalid("max_attempts", "must be at least 1"));
            }
            let at = now();
            let row: ScheduleRow = sqlx::query_as(concat!(
                "INSERT INTO job_schedules (",
                schedule_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $9) ON CONFLICT (name) DO UPDATE SET \
                 next_run_at = CASE WHEN job_schedules.cron = excluded.cron THEN job_schedules.next_run_at \
                 ELSE excluded.next_run_at END, cron = excluded.cron, kind = excluded.kind, \
                 payload = excluded.payload, network_id = excluded.network_id, priority = excluded.priority, \
                 max_attempts = excluded.max_attempts, updated_at = excluded.updated_at RETURNING ",
                schedule_columns!()
            ))
            .bind(&new.name)
            .bind(&new.cron)
            .bind(new.kind.as_str())
            .bind(new.payload.to_string())
            .bind(opt(new.network_id.as_ref()))
            .bind(new.priority)
            .bind(count_param(new.max_attempts, "max_attempts")?)
            .bind(truncate_to_micros(next_run_at))
            .bind(at)
            .fetch_one(&store.writer)
            .await
            .map_err(insert_error)?;
            row.try_into()
        }

        async fn list_schedules(store: &$store) -> StoreResult<Vec<Schedule>> {
            let rows: Vec<ScheduleRow> =
                sqlx::query_as(concat!("SELECT ", schedule_columns!(), " FROM job_schedules ORDER BY name"))
                    .fetch_all(&store.reader)
                    .await?;
            convert_all(rows)
        }

        async fn delete_schedule(store: &$store, name: &str) -> StoreResult<()> {
            let done =
                sqlx::query("DELETE FROM job_schedules WHERE name = $1").bind(name).execute(&store.writer).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { resource: "schedule" });
            }
            Ok(())
        }

        async fn due_schedules(store: &$store, at: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Schedule>> {
            let rows: Vec<ScheduleRow> = sqlx::query_as(concat!(
                "SELECT ",
                schedule_columns!(),
                " FROM job_schedules WHERE next_run_at <= $1 ORDER BY next_run_at, name LIMIT $2"
            ))
            .bind(at)
            .bind(i64::from(limit))
            .fetch_all(&store.reader)
            .await?;
            convert_all(rows)
        }

        async fn fire_schedule(
            store: &$store,
            schedule: &Schedule,
            next_run_at: DateTime<Utc>,
        ) -> StoreResult<Option<Job>> {
            let at = now();
            let mut tx = store.writer.begin().await?;
            // Moving next_run_at on from the value read is the claim: of two nodes, one moves it.
            let moved = sqlx::query(
                "UPDATE job_schedules SET next_run_at = $3, last_run_at = $4, updated_at = $4 \
                 WHERE name = $1 AND next_run_at = $2",
            )
            .bind(&schedule.name)
            .bind(schedule.next_run_at)
            .bind(truncate_to_micros(next_run_at))
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 0 {
                return Ok(None);
            }
            let mut new = NewJob::new(schedule.kind.clone(), schedule.payload.clone())
                .priority(schedule.priority)
                .max_attempts(schedule.max_attempts)
                .unique_key(schedule.unique_key());
            new.network_id = schedule.network_id.clone();
            let job = insert_or_find(&mut tx, &new, at).await?.into_job();
            tx.commit().await?;
            Ok(Some(job))
        }
    };
}
pub(crate) use job_admin_fns;
