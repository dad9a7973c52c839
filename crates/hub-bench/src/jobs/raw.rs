//! The baseline of the `jobs` benchmark: a raw batched claim loop in plain SQL on the same
//! database, with no queue code: insert rows, then `UPDATE … WHERE id IN (SELECT … LIMIT n
//! [FOR UPDATE SKIP LOCKED]) RETURNING` and `DELETE` them, batch after batch.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tokio::task::JoinSet;

use super::phases::PhaseLog;

/// A plain job table and the pool that works it: PostgreSQL with as many connections as the
/// store has, SQLite with one connection in the store's durability settings (WAL, synchronous FULL).
#[derive(Clone)]
pub struct RawQueue {
    pool: Pool,
    /// Where statement times go when `--phases` asks for them.
    phases: Option<Arc<PhaseLog>>,
}

#[derive(Clone)]
enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

const CREATE_TABLE_POSTGRES: &str = "CREATE TABLE bench_raw_jobs (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL, \
     status TEXT NOT NULL, run_at TIMESTAMPTZ NOT NULL, locked_by TEXT, locked_until TIMESTAMPTZ)";
const CREATE_TABLE_SQLITE: &str = "CREATE TABLE bench_raw_jobs (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, \
     status TEXT NOT NULL, run_at TEXT NOT NULL, locked_by TEXT, locked_until TEXT)";
const CREATE_INDEX: &str = "CREATE INDEX bench_raw_jobs_queued ON bench_raw_jobs (id) WHERE status = 'queued'";
/// The claim both backends share; PostgreSQL adds `FOR UPDATE SKIP LOCKED` to the subquery.
macro_rules! claim {
    () => {
        "UPDATE bench_raw_jobs SET status = 'running', locked_by = $1, locked_until = $2 WHERE id IN \
         (SELECT id FROM bench_raw_jobs WHERE status = 'queued' AND run_at <= $3 ORDER BY id LIMIT $4"
    };
}

impl RawQueue {
    /// Connects to `url` and creates the baseline table there; statement times go to `phases`.
    pub async fn open(url: &str, connections: u32, phases: Option<Arc<PhaseLog>>) -> anyhow::Result<Self> {
        let pool = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
            sqlx::query(CREATE_TABLE_SQLITE).execute(&pool).await?;
            sqlx::query(CREATE_INDEX).execute(&pool).await?;
            Pool::Sqlite(pool)
        } else {
            let pool = PgPoolOptions::new().max_connections(connections).connect(url).await?;
            sqlx::query(CREATE_TABLE_POSTGRES).execute(&pool).await?;
            sqlx::query(CREATE_INDEX).execute(&pool).await?;
            Pool::Postgres(pool)
        };
        Ok(Self { pool, phases })
    }

    fn record(&self, operation: &'static str, started: Instant, rows: usize) {
        if let Some(phases) = &self.phases {
            phases.record(operation, started, rows);
        }
    }

    async fn insert(&self, payloads: &[String]) -> anyhow::Result<()> {
        let values: Vec<String> =
            (0..payloads.len()).map(|row| format!("(${}, 'queued', ${})", 2 * row + 1, 2 * row + 2)).collect();
        let sql = format!("INSERT INTO bench_raw_jobs (payload, status, run_at) VALUES {}", values.join(", "));
        let now = Utc::now();
        let started = Instant::now();
        match &self.pool {
            Pool::Postgres(pool) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for payload in payloads {
                    query = query.bind(payload.clone()).bind(now);
                }
                query.execute(pool).await?;
            }
            Pool::Sqlite(pool) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for payload in payloads {
                    query = query.bind(payload.clone()).bind(now);
                }
                query.execute(pool).await?;
            }
        }
        self.record("raw insert", started, payloads.len());
        Ok(())
    }

    /// Claims up to `batch` rows for `worker` and deletes them; how many there were.
    async fn claim_and_delete(&self, worker: &str, batch: u32) -> anyhow::Result<usize> {
        let now = Utc::now();
        let until = now + chrono::TimeDelta::seconds(30);
        let started = Instant::now();
        match &self.pool {
            Pool::Postgres(pool) => {
                let claimed: Vec<(i64, String)> =
                    sqlx::query_as(concat!(claim!(), " FOR UPDATE SKIP LOCKED) RETURNING id, payload"))
                        .bind(worker)
                        .bind(until)
                        .bind(now)
                        .bind(i64::from(batch))
                        .fetch_all(pool)
                        .await?;
                let ids: Vec<i64> = claimed.iter().map(|(id, _)| *id).collect();
                self.record(if ids.is_empty() { "raw claim (empty)" } else { "raw claim" }, started, ids.len());
                if !ids.is_empty() {
                    let started = Instant::now();
                    sqlx::query("DELETE FROM bench_raw_jobs WHERE id = ANY($1)").bind(&ids).execute(pool).await?;
                    self.record("raw delete", started, ids.len());
                }
                Ok(ids.len())
            }
            Pool::Sqlite(pool) => {
                let claimed: Vec<(i64, String)> = sqlx::query_as(concat!(claim!(), ") RETURNING id, payload"))
                    .bind(worker)
                    .bind(until)
                    .bind(now)
                    .bind(i64::from(batch))
                    .fetch_all(pool)
                    .await?;
                let ids: Vec<i64> = claimed.iter().map(|(id, _)| *id).collect();
                self.record(if ids.is_empty() { "raw claim (empty)" } else { "raw claim" }, started, ids.len());
                if !ids.is_empty() {
                    let started = Instant::now();
                    let list = serde_json::to_string(&ids)?;
                    sqlx::query("DELETE FROM bench_raw_jobs WHERE id IN (SELECT value FROM json_each($1))")
                        .bind(list)
                        .execute(pool)
                        .await?;
                    self.record("raw delete", started, ids.len());
                }
                Ok(ids.len())
            }
        }
    }

    /// Refreshes the planner statistics of the queue's table and the baseline's, as autovacuum
    /// keeps them current on a long-running database (a new table has none, and plans its claims
    /// as if it were empty).
    pub async fn analyze(&self) -> anyhow::Result<()> {
        match &self.pool {
            Pool::Postgres(pool) => {
                sqlx::query("ANALYZE jobs").execute(pool).await?;
                sqlx::query("ANALYZE bench_raw_jobs").execute(pool).await?;
            }
            Pool::Sqlite(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Inserts `jobs` rows in batches of `batch`, then drains them with `workers` concurrent claim
    /// loops; returns (insert time, drain time).
    pub async fn round(&self, jobs: usize, batch: u32, workers: usize) -> anyhow::Result<(Duration, Duration)> {
        let inserted = self.fill(jobs, batch).await?;
        let drained = self.drain(jobs, batch, workers).await?;
        Ok((inserted, drained))
    }

    /// Inserts `jobs` rows in batches of `batch`; returns the time it took.
    pub async fn fill(&self, jobs: usize, batch: u32) -> anyhow::Result<Duration> {
        let payloads: Vec<String> = (0..jobs).map(|n| serde_json::json!({ "n": n }).to_string()).collect();
        let started = Instant::now();
        for chunk in payloads.chunks(batch as usize) {
            self.insert(chunk).await.context("baseline insert")?;
        }
        Ok(started.elapsed())
    }

    /// Claims and deletes every row with `workers` concurrent loops; returns the time it took.
    pub async fn drain(&self, jobs: usize, batch: u32, workers: usize) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut loops = JoinSet::new();
        for worker in 0..workers {
            let (raw, done) = (self.clone(), Arc::clone(&done));
            loops.spawn(async move {
                let name = format!("raw-{worker}");
                loop {
                    let claimed = raw.claim_and_delete(&name, batch).await?;
                    if claimed == 0 {
                        return anyhow::Ok(());
                    }
                    done.fetch_add(claimed, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
        while let Some(result) = loops.join_next().await {
            result.context("baseline loop panicked")??;
        }
        let drained = started.elapsed();
        let handled = done.load(std::sync::atomic::Ordering::Relaxed);
        anyhow::ensure!(handled == jobs, "the baseline handled {handled} of {jobs} rows");
        Ok(drained)
    }
}
