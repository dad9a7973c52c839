//! `kill -9` of a worker process mid-job on PostgreSQL: the job is reclaimed only after its lease
//! expires, runs to completion on a second worker, and its effect is applied exactly once.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hub_store::scratch::ScratchDatabase;
use hub_store::{JobKind, JobStatus, JobStore, JobVisibility, NewJob, PostgresStore, Store};
use sqlx::PgPool;

const LEASE_MS: &str = "1500";
const WORKER: &str = env!("CARGO_BIN_EXE_hub-jobs-testworker");

/// A worker process, killed when dropped so a failing test leaves none behind.
struct WorkerProcess(Child);

impl WorkerProcess {
    fn start(url: &str, hold_ms: &str) -> Self {
        let child = Command::new(WORKER)
            .args([url, LEASE_MS, hold_ms])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start the test worker");
        Self(child)
    }

    fn kill_9(&mut self) {
        self.0.kill().expect("SIGKILL"); // `Child::kill` sends SIGKILL on Unix.
        self.0.wait().expect("reap");
    }

    fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.0.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the worker did not exit within 30 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_is_reclaimed_after_its_lease_and_completes_once() {
    let Some(database) = ScratchDatabase::for_test().await else { return };
    let store = PostgresStore::connect(database.url()).await.expect("connect");
    store.migrate().await.expect("migrate");
    let pool = PgPool::connect(database.url()).await.expect("pool");
    sqlx::query(
        "CREATE TABLE job_starts (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, worker_id TEXT NOT NULL, \
         started_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (job_id, attempt))",
    )
    .execute(&pool)
    .await
    .expect("starts table");
    sqlx::query(
        "CREATE TABLE job_effects (job_id TEXT PRIMARY KEY, applications INTEGER NOT NULL, attempt INTEGER NOT NULL)",
    )
    .execute(&pool)
    .await
    .expect("effects table");

    let kind = JobKind::parse("test.side_effect").expect("kind");
    let job = store.enqueue(NewJob::new(kind, serde_json::json!({})).max_attempts(3)).await.expect("enqueue");
    let job_id = job.job().id.clone();
    let starts = || async {
        let rows: Vec<(i32, String, DateTime<Utc>)> =
            sqlx::query_as("SELECT attempt, worker_id, started_at FROM job_starts WHERE job_id = $1 ORDER BY attempt")
                .bind(job_id.as_str())
                .fetch_all(&pool)
                .await
                .expect("starts");
        rows
    };

    // The first worker holds the job far longer than the test waits: it only ever dies mid-job.
    let mut first = WorkerProcess::start(database.url(), "600000");
    wait_for("the first worker starts the job", || async { starts().await.len() == 1 }).await;
    first.kill_9();
    let killed_at = Utc::now();
    let running = store.get_job(&JobVisibility::Operator, &job_id).await.expect("job");
    assert_eq!(running.status, JobStatus::Running, "a killed worker's job stays leased");
    let lease_end = running.locked_until.expect("leased");
    assert!(lease_end > killed_at, "the lease was still live when the worker died");

    let mut second = WorkerProcess::start(database.url(), "200");
    wait_for("the job succeeds", || async {
        store.get_job(&JobVisibility::Operator, &job_id).await.expect("job").status == JobStatus::Succeeded
    })
    .await;
    let status = second.terminate();
    assert!(status.success(), "SIGTERM drains the worker and it exits cleanly: {status}");

    let starts = starts().await;
    assert_eq!(starts.len(), 2, "started once by each worker: {starts:?}");
    assert_ne!(starts[0].1, starts[1].1, "the second start is the second worker's");
    assert!(starts[1].2 >= lease_end, "reclaimed at {} before the lease ended at {lease_end}", starts[1].2);
    let effects: Vec<(i32, i32)> = sqlx::query_as("SELECT applications, attempt FROM job_effects WHERE job_id = $1")
        .bind(job_id.as_str())
        .fetch_all(&pool)
        .await
        .expect("effects");
    assert_eq!(effects, vec![(1, 2)], "the effect was applied exactly once, by the second attempt");
    let done = store.get_job(&JobVisibility::Operator, &job_id).await.expect("job");
    assert_eq!((done.status, done.attempts, done.locked_by), (JobStatus::Succeeded, 2, None));
}
