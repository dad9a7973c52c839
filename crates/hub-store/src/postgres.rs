//! PostgreSQL: what a network uses when several hub nodes share the work.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PostgresStore {
    reader: PgPool,
    writer: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`).
    ///
    /// JIT compilation is turned off for the hub's sessions: every query the hub runs is short
    /// (keyed lookups, batched writes, bucket sums), and on a query whose estimated cost passes
    /// `jit_above_cost` compiling it takes longer than running it — the KPI reads went from a
    /// 229 ms p99 with JIT to the figures in docs/PERFORMANCE.md without it.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url).map_err(StoreError::from)?.options([("jit", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(StoreError::from)?;
        Ok(Self { reader: pool.clone(), writer: pool })
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/postgres").run(&self.writer).await?;
        Ok(())
    }
}

crate::sql::impl_sql_store!(
    store: PostgresStore,
    db: sqlx::Postgres,
    backend: Backend::Postgres,
    // Concurrent changes to one network queue on its head row, so the chain never forks.
    head_for_update: "SELECT seq, hash FROM audit_heads WHERE network_id = $1 FOR UPDATE"
);

crate::connections_sql::impl_connection_store!(store: PostgresStore);

crate::outbound_sql::impl_outbound_store!(store: PostgresStore);

crate::users_sql::impl_user_store!(store: PostgresStore);

/// Inserts `jobs` in one statement, one typed array parameter per column; returns the ids of the
/// jobs added (those whose unique key was taken are skipped). Without unique keys nothing can be
/// skipped, so the ids are not even sent back.
async fn insert_job_batch(
    conn: &mut sqlx::PgConnection,
    jobs: &[crate::NewJob],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<hub_core::id::JobId>, sqlx::Error> {
    let columns = crate::jobs_rows::BatchColumns::of(jobs, at).map_err(|error| sqlx::Error::Encode(error.into()))?;
    let any_unique = columns.unique_key.iter().any(Option::is_some);
    let query = if any_unique {
        concat!(crate::jobs_sql::job_insert!(), batch_select!(), " ON CONFLICT DO NOTHING RETURNING id")
    } else {
        concat!(crate::jobs_sql::job_insert!(), batch_select!(), " ON CONFLICT DO NOTHING")
    };
    let query = sqlx::query_scalar::<_, String>(query)
        .bind(at)
        .bind(&columns.id)
        .bind(&columns.network_id)
        .bind(&columns.kind)
        .bind(&columns.payload)
        .bind(&columns.priority)
        .bind(&columns.run_at)
        .bind(&columns.unique_key)
        .bind(&columns.max_attempts);
    if any_unique {
        let added = query.fetch_all(&mut *conn).await?;
        return crate::jobs_rows::parse_job_ids(added).map_err(|error| sqlx::Error::Decode(error.into()));
    }
    let inserted = sqlx::Executor::execute(&mut *conn, query).await?.rows_affected();
    if inserted != jobs.len() as u64 {
        return Err(sqlx::Error::Protocol(format!("{inserted} of {} new jobs were inserted", jobs.len())));
    }
    columns
        .id
        .iter()
        .map(|id| hub_core::id::JobId::parse(id).map_err(|error| sqlx::Error::Decode(error.into())))
        .collect()
}

/// Completes `done` and claims up to `batch` jobs in one statement: one round trip and one commit
/// for a busy worker's completions and its next claim. Both parts see the same snapshot, so the
/// claim leaves `done` alone explicitly (a job whose lease ran out would otherwise look due).
/// Each returned row is a completed job (`done_id` set) or a claimed one.
async fn complete_and_claim_on(
    conn: &mut sqlx::PgConnection,
    worker: &hub_core::id::WorkerId,
    done: &[hub_core::id::JobId],
    kinds: Option<&[crate::JobKind]>,
    batch: u32,
    until: chrono::DateTime<chrono::Utc>,
    at: chrono::DateTime<chrono::Utc>,
) -> StoreResult<(Vec<hub_core::id::JobId>, Vec<crate::Job>)> {
    use sqlx::{FromRow, Row};
    let rows = sqlx::query(concat!(
        "WITH done AS (UPDATE jobs SET ",
        crate::jobs_sql::complete_set!(),
        " WHERE id = ANY($6) AND locked_by = $1 RETURNING id), claimed AS (UPDATE jobs SET ",
        crate::jobs_sql::claim_set!(),
        " WHERE id = ANY(ARRAY(SELECT id FROM jobs WHERE ",
        crate::jobs_sql::claim_due!(),
        " AND ($4::text[] IS NULL OR kind = ANY($4)) AND NOT (id = ANY($6)) \
         ORDER BY priority DESC, run_at LIMIT $5 FOR UPDATE SKIP LOCKED)) RETURNING ",
        crate::jobs_sql::job_columns!(),
        ") SELECT NULL::text AS done_id, ",
        crate::jobs_sql::job_columns!(),
        " FROM claimed UNION ALL SELECT id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
         NULL, NULL, NULL, NULL, NULL FROM done"
    ))
    .bind(worker.as_str())
    .bind(until)
    .bind(at)
    .bind(kinds.map(crate::jobs::text_array))
    .bind(i64::from(batch))
    .bind(crate::jobs::text_array(done))
    .fetch_all(&mut *conn)
    .await?;
    let (mut completed, mut claimed) = (Vec::with_capacity(done.len()), Vec::with_capacity(rows.len()));
    for row in &rows {
        match row.try_get::<Option<String>, _>("done_id")? {
            Some(id) => completed.push(id),
            None => claimed.push(crate::jobs_rows::JobRow::from_row(row)?),
        }
    }
    Ok((crate::jobs_rows::parse_job_ids(completed)?, crate::jobs_rows::claimed_jobs(claimed)?))
}

/// The rows of [`insert_job_batch`]: the column arrays zipped back into rows.
macro_rules! batch_select {
    () => {
        "SELECT id, network_id, kind, payload, priority, 'queued', run_at, unique_key, 0, max_attempts, $1, $1 \
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::timestamptz[], $8::text[], \
         $9::int4[]) AS r (id, network_id, kind, payload, priority, run_at, unique_key, max_attempts)"
    };
}
use batch_select;

// Concurrent claimers skip each other's rows instead of queueing on them.
crate::jobs_sql::impl_job_store!(
    store: PostgresStore,
    db: sqlx::Postgres,
    claim_lock: " FOR UPDATE SKIP LOCKED",
    in_rows: (" = ANY(ARRAY(", "))"),
    in_list: (" = ANY(", ")"),
    list: crate::jobs::text_array
);

// Page writes lock the rows they read, so a concurrent writer of the same records (a webhook
// applying an event while a sync runs) waits instead of computing a stale version.
crate::records_sql::impl_record_store!(
    store: PostgresStore,
    in_json: (" = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(", " AS jsonb))))"),
    rows: ("jsonb_array_elements(CAST(", " AS jsonb)) AS v(value)"),
    instant: "TIMESTAMPTZ",
    for_update: " FOR UPDATE"
);

// Trace rows travel as one JSON parameter; SQLite's single writer and PostgreSQL's unique
// (franchisee, period) index keep concurrent draft saves from doubling a statement.
crate::royalties_sql::impl_royalty_store!(
    store: PostgresStore,
    rows: ("jsonb_array_elements(CAST(", " AS jsonb)) AS v(value)"),
    date: "DATE"
);

// Claims skip rows another node holds; batches travel as one JSON parameter.
crate::webhooks_sql::impl_webhook_store!(
    store: PostgresStore,
    db: sqlx::Postgres,
    in_json: (" = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(", " AS jsonb))))"),
    rows: ("jsonb_array_elements(CAST(", " AS jsonb)) AS v(value)"),
    in_ids: (" = ANY(ARRAY(", "))"),
    instant: "TIMESTAMPTZ",
    claim_lock: " FOR UPDATE SKIP LOCKED"
);

// Rollup batches lock their network's cursor row first, so concurrent rollup workers queue.
crate::analytics_sql::impl_analytics_store!(
    store: PostgresStore,
    in_json: (" = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(", " AS jsonb))))"),
    in_dates: (" = ANY(ARRAY(SELECT CAST(jsonb_array_elements_text(CAST(", " AS jsonb)) AS DATE)))"),
    rows: ("jsonb_array_elements(CAST(", " AS jsonb)) AS v(value)"),
    date: "DATE",
    instant: "TIMESTAMPTZ"
);
