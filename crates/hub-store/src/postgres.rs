//! PostgreSQL: what a network uses when several hub nodes share the work.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PostgresStore {
    reader: PgPool,
    writer: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
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

// Concurrent claimers skip each other's rows instead of queueing on them.
crate::jobs_sql::impl_job_store!(
    store: PostgresStore,
    db: sqlx::Postgres,
    claim_lock: " FOR UPDATE SKIP LOCKED",
    in_rows: (" = ANY(ARRAY(", "))"),
    in_json: (" = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST(", " AS jsonb))))"),
    json_rows: "SELECT r ->> 0, r ->> 1, r ->> 2, r ->> 3, CAST(r ->> 4 AS SMALLINT), 'queued', \
                CAST(r ->> 5 AS TIMESTAMPTZ), r ->> 6, 0, CAST(r ->> 7 AS INTEGER), $1, $1 \
                FROM jsonb_array_elements(CAST($2 AS jsonb)) AS r"
);
