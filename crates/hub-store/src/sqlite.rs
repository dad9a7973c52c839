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

// One writer connection: the claim needs no row locks to be a single atomic `UPDATE … RETURNING`.
crate::jobs_sql::impl_job_store!(
    store: SqliteStore,
    db: sqlx::Sqlite,
    claim_lock: "",
    in_rows: (" IN (", ")"),
    in_json: (" IN (SELECT value FROM json_each(", "))"),
    // `WHERE true` tells SQLite's parser the `ON CONFLICT` that follows belongs to the insert.
    json_rows: "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, 'queued', value ->> 5, \
                value ->> 6, 0, value ->> 7, $1, $1 FROM json_each($2) WHERE true"
);
