//! `hub-jobs-testworker DATABASE_URL LEASE_MS HOLD_MS`: a worker process for the kill -9 test
//! (`tests/kill_worker.rs`), not for production. It runs `test.side_effect` jobs against the
//! PostgreSQL database at DATABASE_URL (migrated, with the test's side-effect tables), leasing
//! them for LEASE_MS. Each attempt records its start, holds the job for HOLD_MS, then applies its
//! effect; SIGTERM drains the worker and exits 0.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use hub_jobs::{JobError, JobQueue, JobRegistry, Worker, WorkerConfig, handler_fn};
use hub_store::{JobKind, PostgresStore};
use sqlx::postgres::PgPoolOptions;
use tokio_util::sync::CancellationToken;

/// The kind this worker handles.
const KIND: &str = "test.side_effect";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).with_env_filter(filter).init();
    let args: Vec<String> = std::env::args().collect();
    let [_, url, lease_ms, hold_ms] = args.as_slice() else {
        anyhow::bail!("usage: hub-jobs-testworker DATABASE_URL LEASE_MS HOLD_MS");
    };
    let lease = Duration::from_millis(lease_ms.parse().context("LEASE_MS")?);
    let hold = Duration::from_millis(hold_ms.parse().context("HOLD_MS")?);

    let store = Arc::new(PostgresStore::connect(url).await?);
    let effects = PgPoolOptions::new().max_connections(2).connect(url).await?;
    let mut registry = JobRegistry::new();
    registry.register(
        JobKind::parse(KIND)?,
        handler_fn(move |job, ctx| {
            let effects = effects.clone();
            async move {
                let failed = |error: sqlx::Error| JobError::retryable(error.to_string());
                sqlx::query("INSERT INTO job_starts (job_id, attempt, worker_id, started_at) VALUES ($1, $2, $3, $4)")
                    .bind(job.id.as_str())
                    .bind(i32::try_from(ctx.attempt).unwrap_or(i32::MAX))
                    .bind(ctx.worker_id.as_str())
                    .bind(Utc::now())
                    .execute(&effects)
                    .await
                    .map_err(failed)?;
                tokio::time::sleep(hold).await;
                // The effect is keyed by job id, so a repeat would be absorbed; `applications`
                // counts every time it was applied, which is what the test checks.
                sqlx::query(
                    "INSERT INTO job_effects (job_id, applications, attempt) VALUES ($1, 1, $2) \
                     ON CONFLICT (job_id) DO UPDATE SET applications = job_effects.applications + 1, \
                     attempt = excluded.attempt",
                )
                .bind(job.id.as_str())
                .bind(i32::try_from(ctx.attempt).unwrap_or(i32::MAX))
                .execute(&effects)
                .await
                .map_err(failed)?;
                Ok(())
            }
        }),
    )?;
    let config = WorkerConfig {
        concurrency: 4,
        batch_size: 4,
        lease,
        heartbeat_interval: lease / 4,
        poll_interval: Duration::from_millis(100),
        drain_timeout: Duration::from_secs(30),
        ..WorkerConfig::default()
    };
    let worker = Worker::new(JobQueue::new(store), registry, config)?;
    let shutdown = CancellationToken::new();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        terminate.recv().await;
        on_signal.cancel();
    });
    println!("worker {} running", worker.id());
    worker.run(shutdown).await?;
    Ok(())
}
