//! The embedded default: one SQLite file in WAL mode, one writer connection and a few readers.
//!
//! SQLite allows one writer at a time; giving writes their own single-connection pool queues them
//! in the hub instead of failing with `SQLITE_BUSY`, while reads proceed in parallel under WAL.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| StoreError::Config(format!("cannot create {}: {error}", parent.display())))?;
        }
        Self::with_options(SqliteConnectOptions::new().filename(path)).await
    }

    /// Opens a `sqlite:` URL.
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|error| StoreError::Config(format!("invalid SQLite URL: {error}")))?;
        Self::with_options(options).await
    }

    async fn with_options(options: SqliteConnectOptions) -> StoreResult<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before we acknowledge it, even across power loss.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(StoreError::from)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.read_only(true))
            .await
            .map_err(StoreError::from)?;
        Ok(Self { reader, writer })
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/sqlite").run(&self.writer).await?;
        Ok(())
    }
}

crate::sql::impl_sql_store!(
    store: SqliteStore,
    db: sqlx::Sqlite,
    backend: Backend::Sqlite,
    head_for_update: "SELECT seq, hash FROM audit_heads WHERE network_id = $1"
);

crate::connections_sql::impl_connection_store!(store: SqliteStore);

crate::outbound_sql::impl_outbound_store!(store: SqliteStore);

crate::users_sql::impl_user_store!(store: SqliteStore);

/// Inserts `jobs` in one statement whose one parameter is every row as JSON (SQLite looks bound
/// parameters up by name in linear time, so hundreds of them cost more than the insert); returns
/// the ids of the jobs added (those whose unique key was taken are skipped).
async fn insert_job_batch(
    conn: &mut sqlx::SqliteConnection,
    jobs: &[crate::NewJob],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<hub_core::id::JobId>, sqlx::Error> {
    let rows = crate::jobs_rows::insert_rows_json(jobs, at).map_err(|error| sqlx::Error::Encode(error.into()))?;
    let added: Vec<String> = sqlx::query_scalar(concat!(
        crate::jobs_sql::job_insert!(),
        // `WHERE true` tells SQLite's parser the `ON CONFLICT` that follows belongs to the insert.
        "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, 'queued', value ->> 5, \
         value ->> 6, 0, value ->> 7, $1, $1 FROM json_each($2) WHERE true ON CONFLICT DO NOTHING RETURNING id"
    ))
    .bind(at)
    .bind(rows)
    .fetch_all(&mut *conn)
    .await?;
    crate::jobs_rows::parse_job_ids(added).map_err(|error| sqlx::Error::Decode(error.into()))
}

/// Completes `done` and claims up to `batch` jobs in one transaction, so one commit (one sync of
/// the WAL) covers both. The claim runs second and sees the completed jobs as finished.
async fn complete_and_claim_on(
    conn: &mut sqlx::SqliteConnection,
    worker: &hub_core::id::WorkerId,
    done: &[hub_core::id::JobId],
    kinds: Option<&[crate::JobKind]>,
    batch: u32,
    until: chrono::DateTime<chrono::Utc>,
    at: chrono::DateTime<chrono::Utc>,
) -> StoreResult<(Vec<hub_core::id::JobId>, Vec<crate::Job>)> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    let completed = job_store::complete_on(&mut tx, worker, done, at).await?;
    let claimed = job_store::claim_on(&mut tx, worker, kinds, batch, until, at).await?;
    tx.commit().await?;
    Ok((completed, claimed))
}

// One writer connection: the claim needs no row locks to be a single atomic `UPDATE … RETURNING`.
crate::jobs_sql::impl_job_store!(
    store: SqliteStore,
    db: sqlx::Sqlite,
    claim_lock: "",
    in_rows: (" IN (", ")"),
    in_list: (" IN (SELECT value FROM json_each(", "))"),
    list: crate::jobs::json_list
);

crate::records_sql::impl_record_store!(
    store: SqliteStore,
    in_json: (" IN (SELECT value FROM json_each(", "))"),
    rows: ("json_each(", ") AS v"),
    instant: "TEXT",
    for_update: ""
);

crate::royalties_sql::impl_royalty_store!(
    store: SqliteStore,
    rows: ("json_each(", ") AS v"),
    date: "TEXT"
);

crate::webhooks_sql::impl_webhook_store!(
    store: SqliteStore,
    db: sqlx::Sqlite,
    in_json: (" IN (SELECT value FROM json_each(", "))"),
    rows: ("json_each(", ") AS v"),
    in_ids: (" IN (", ")"),
    instant: "TEXT",
    claim_lock: ""
);

crate::analytics_sql::impl_analytics_store!(
    store: SqliteStore,
    in_json: (" IN (SELECT value FROM json_each(", "))"),
    in_dates: (" IN (SELECT value FROM json_each(", "))"),
    rows: ("json_each(", ") AS v"),
    date: "TEXT",
    instant: "TEXT"
);
