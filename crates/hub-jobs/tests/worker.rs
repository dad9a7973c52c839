//! The job runtime against real stores, on SQLite and PostgreSQL: running, retrying and
//! dead-lettering jobs, the concurrency cap, leases kept alive and lost, draining, wake-ups and
//! cron schedules.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use hub_jobs::{
    Backoff, JobError, JobOutcome, JobQueue, JobRegistry, JobsError, NewSchedule, Scheduler, SchedulerConfig, Worker,
    WorkerConfig, handler_fn,
};
use hub_store::{ChangeContext, JobKind, JobStatus, JobVisibility, NewJob, Store};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

hub_store::tests_on_both_backends!(
    try_run_one_runs_due_jobs_by_priority_and_then_reports_idle,
    retryable_failures_back_off_then_dead_letter_with_the_reason,
    permanent_errors_dead_letter_at_once_and_panics_are_retried,
    a_worker_claims_only_kinds_it_has_handlers_for,
    run_caps_concurrency_and_drains_running_jobs_on_cancel,
    a_local_enqueue_wakes_an_idle_worker_at_once,
    leases_are_renewed_while_a_long_job_runs,
    a_handler_is_told_when_its_lease_is_lost,
    schedulers_on_two_nodes_fire_a_due_schedule_once,
);

fn kind(text: &str) -> JobKind {
    JobKind::parse(text).expect("kind")
}

fn config() -> WorkerConfig {
    WorkerConfig {
        concurrency: 4,
        batch_size: 4,
        poll_interval: Duration::from_millis(50),
        drain_timeout: Duration::from_secs(20),
        ..WorkerConfig::default()
    }
}

fn registry(kind_name: &str, handler: impl hub_jobs::JobHandler) -> JobRegistry {
    let mut registry = JobRegistry::new();
    registry.register(kind(kind_name), handler).expect("register");
    registry
}

async fn status(store: &dyn Store, id: &hub_core::id::JobId) -> JobStatus {
    store.get_job(&JobVisibility::Operator, id).await.expect("job").status
}

/// Waits (up to 20 s, so a broken runtime fails instead of hanging) for `what`.
async fn eventually<F: std::future::Future<Output = T>, T>(what: &str, future: F) -> T {
    tokio::time::timeout(Duration::from_secs(20), future).await.unwrap_or_else(|_| panic!("timed out: {what}"))
}

async fn try_run_one_runs_due_jobs_by_priority_and_then_reports_idle(store: Arc<dyn Store>) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let handler = handler_fn(move |job, _| {
        let log = Arc::clone(&log);
        async move {
            log.lock().expect("log").push(job.payload["n"].as_i64().unwrap_or(-1));
            Ok(())
        }
    });
    let queue = JobQueue::new(store.clone());
    for (n, priority) in [(1, 0), (2, 5), (3, -5)] {
        queue.enqueue(NewJob::new(kind("test.echo"), json!({ "n": n })).priority(priority)).await.expect("enqueue");
    }
    let worker = Worker::new(queue, registry("test.echo", handler), config()).expect("worker");
    let runs = worker.run_until_idle().await.expect("run");
    assert_eq!(runs.iter().map(|r| &r.outcome).collect::<Vec<_>>(), vec![&JobOutcome::Succeeded; 3]);
    assert_eq!(*seen.lock().expect("log"), vec![2, 1, 3], "highest priority first");
    for run in &runs {
        assert_eq!((status(&*store, &run.job_id).await, run.attempt), (JobStatus::Succeeded, 1));
    }
    assert_eq!(worker.try_run_one().await.expect("idle"), None);
}

async fn retryable_failures_back_off_then_dead_letter_with_the_reason(store: Arc<dyn Store>) {
    let queue = JobQueue::new(store.clone());
    let mut registry = JobRegistry::new();
    registry
        .register(kind("test.flaky"), handler_fn(|_, _| async { Err(JobError::retry_after("503", Duration::ZERO)) }))
        .expect("flaky");
    registry
        .register(kind("test.slow"), handler_fn(|_, _| async { Err(JobError::retryable("timeout")) }))
        .expect("slow");
    let backoff = Backoff { base: Duration::from_secs(3_600), max: Duration::from_secs(7_200) };
    let worker = Worker::new(queue.clone(), registry, WorkerConfig { backoff, ..config() }).expect("worker");

    let flaky = queue.enqueue(NewJob::new(kind("test.flaky"), json!({})).max_attempts(3)).await.expect("enqueue");
    let runs = worker.run_until_idle().await.expect("run");
    let outcomes: Vec<_> = runs.iter().map(|r| (r.attempt, matches!(r.outcome, JobOutcome::Retrying { .. }))).collect();
    assert_eq!(outcomes, vec![(1, true), (2, true), (3, false)]);
    assert_eq!(runs[2].outcome, JobOutcome::Dead { reason: "503".into() });
    let dead = store.get_job(&JobVisibility::Operator, &flaky.job().id).await.expect("job");
    assert_eq!((dead.status, dead.last_error.as_deref()), (JobStatus::Dead, Some("503")));

    // Without a hint, the next attempt waits for the backoff: half to all of one hour here.
    let slow = queue.enqueue(NewJob::new(kind("test.slow"), json!({}))).await.expect("enqueue");
    let before = Utc::now();
    let run = worker.try_run_one().await.expect("run").expect("due");
    let JobOutcome::Retrying { at } = run.outcome else { panic!("expected a retry, got {:?}", run.outcome) };
    assert!(at >= before + TimeDelta::minutes(30) && at <= Utc::now() + TimeDelta::minutes(60), "{at}");
    assert_eq!(worker.try_run_one().await.expect("idle"), None, "not due before the backoff");
    assert_eq!(status(&*store, &slow.job().id).await, JobStatus::Failed);
}

async fn permanent_errors_dead_letter_at_once_and_panics_are_retried(store: Arc<dyn Store>) {
    let queue = JobQueue::new(store.clone());
    let mut registry = JobRegistry::new();
    registry
        .register(kind("test.bad"), handler_fn(|_, _| async { Err(JobError::permanent("payload has no location")) }))
        .expect("bad");
    registry
        .register(
            kind("test.panics"),
            handler_fn(|job, _| async move {
                assert!(job.attempts > 1, "the first attempt panics");
                Ok(())
            }),
        )
        .expect("panics");
    let backoff = Backoff { base: Duration::from_millis(1), max: Duration::from_millis(1) };
    let worker = Worker::new(queue.clone(), registry, WorkerConfig { backoff, ..config() }).expect("worker");
    queue.enqueue(NewJob::new(kind("test.bad"), json!({}))).await.expect("enqueue");
    let run = worker.try_run_one().await.expect("run").expect("due");
    assert_eq!((run.attempt, run.outcome), (1, JobOutcome::Dead { reason: "payload has no location".into() }));

    let panicky = queue.enqueue(NewJob::new(kind("test.panics"), json!({}))).await.expect("enqueue");
    let first = worker.try_run_one().await.expect("run").expect("due");
    assert!(matches!(first.outcome, JobOutcome::Retrying { .. }), "{:?}", first.outcome);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = worker.try_run_one().await.expect("run").expect("due again");
    assert_eq!((second.attempt, second.outcome), (2, JobOutcome::Succeeded));
    assert_eq!(status(&*store, &panicky.job().id).await, JobStatus::Succeeded);
}

async fn a_worker_claims_only_kinds_it_has_handlers_for(store: Arc<dyn Store>) {
    let queue = JobQueue::new(store.clone());
    let other = queue.enqueue(NewJob::new(kind("test.other"), json!({}))).await.expect("enqueue");
    let worker = Worker::new(queue, registry("test.mine", handler_fn(|_, _| async { Ok(()) })), config()).expect("w");
    assert_eq!(worker.try_run_one().await.expect("idle"), None);
    assert_eq!(status(&*store, &other.job().id).await, JobStatus::Queued);
    let empty = Worker::new(JobQueue::new(store), JobRegistry::new(), config());
    assert!(matches!(empty, Err(JobsError::Config(_))));
}

async fn run_caps_concurrency_and_drains_running_jobs_on_cancel(store: Arc<dyn Store>) {
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let handler = {
        let (running, peak, release) = (running.clone(), peak.clone(), release.clone());
        handler_fn(move |job, _| {
            let (running, peak, release, started_tx) =
                (running.clone(), peak.clone(), release.clone(), started_tx.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                let _ = started_tx.send(job.id.clone());
                release.acquire().await.map_err(|e| JobError::retryable(e.to_string()))?.forget();
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }
        })
    };
    let queue = JobQueue::new(store.clone());
    let jobs: Vec<_> = (0..7).map(|n| NewJob::new(kind("test.hold"), json!({ "n": n }))).collect();
    let jobs = queue.enqueue_batch(jobs).await.expect("enqueue");
    let worker =
        Worker::new(queue.clone(), registry("test.hold", handler), WorkerConfig { concurrency: 3, ..config() })
            .expect("worker");
    let shutdown = CancellationToken::new();
    let running_worker = tokio::spawn({
        let (worker, shutdown) = (worker.clone(), shutdown.clone());
        async move { worker.run(shutdown).await }
    });

    for _ in 0..3 {
        eventually("three jobs start", started.recv()).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(running.load(Ordering::SeqCst), 3, "no more than the concurrency cap start");
    release.add_permits(4); // four jobs finish; the last three of the seven start and stay held
    for _ in 0..4 {
        eventually("the next jobs start", started.recv()).await;
    }
    // The seventh could only start once four had finished and given their permits back.
    assert_eq!(running.load(Ordering::SeqCst), 3);

    // Drain: stop claiming, let the three running jobs finish, record them, return.
    let late = queue.enqueue(NewJob::new(kind("test.hold"), json!({ "late": true }))).await.expect("late");
    shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!running_worker.is_finished(), "the worker waits for its running jobs");
    release.add_permits(3);
    eventually("the worker drains", running_worker).await.expect("join").expect("run");
    assert_eq!(peak.load(Ordering::SeqCst), 3);
    for id in &jobs {
        assert_eq!(status(&*store, id).await, JobStatus::Succeeded);
    }
    assert_eq!(status(&*store, &late.job().id).await, JobStatus::Queued, "nothing new is claimed while draining");
}

async fn a_local_enqueue_wakes_an_idle_worker_at_once(store: Arc<dyn Store>) {
    let (ran_tx, mut ran) = mpsc::unbounded_channel();
    let handler = handler_fn(move |job, _| {
        let ran_tx = ran_tx.clone();
        async move {
            let _ = ran_tx.send(job.id.clone());
            Ok(())
        }
    });
    let queue = JobQueue::new(store.clone());
    // With an hour between polls, only the enqueue's wake-up can start the second job in time.
    let slow_poll = WorkerConfig { poll_interval: Duration::from_secs(3_600), ..config() };
    let worker = Worker::new(queue.clone(), registry("test.wake", handler), slow_poll).expect("worker");
    let shutdown = CancellationToken::new();
    let running = tokio::spawn({
        let (worker, shutdown) = (worker.clone(), shutdown.clone());
        async move { worker.run(shutdown).await }
    });
    let first = queue.enqueue(NewJob::new(kind("test.wake"), json!({}))).await.expect("enqueue");
    assert_eq!(eventually("the first job runs", ran.recv()).await, Some(first.job().id.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await; // the worker is now waiting for work
    let second = queue.enqueue(NewJob::new(kind("test.wake"), json!({}))).await.expect("enqueue");
    assert_eq!(eventually("the second job runs", ran.recv()).await, Some(second.job().id.clone()));
    shutdown.cancel();
    eventually("the worker stops", running).await.expect("join").expect("run");
}

async fn leases_are_renewed_while_a_long_job_runs(store: Arc<dyn Store>) {
    let handler = handler_fn(|_, _| async {
        tokio::time::sleep(Duration::from_millis(3_500)).await;
        Ok(())
    });
    // The job runs three and a half leases; only heartbeats keep it from being reclaimed.
    let short =
        WorkerConfig { lease: Duration::from_secs(1), heartbeat_interval: Duration::from_millis(100), ..config() };
    let queue = JobQueue::new(store.clone());
    let job = queue.enqueue(NewJob::new(kind("test.long"), json!({}))).await.expect("enqueue");
    let holder = Worker::new(queue.clone(), registry("test.long", handler), short.clone()).expect("worker");
    let thief = Worker::new(queue, registry("test.long", handler_fn(|_, _| async { Ok(()) })), short).expect("w");
    let run = tokio::spawn(async move { holder.try_run_one().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..15 {
        assert_eq!(thief.try_run_one().await.expect("claim"), None, "the renewed lease keeps the job");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let finished = eventually("the long job ends", run).await.expect("join").expect("run").expect("ran");
    assert_eq!((finished.attempt, finished.outcome), (1, JobOutcome::Succeeded));
    assert_eq!(status(&*store, &job.job().id).await, JobStatus::Succeeded);
}

async fn a_handler_is_told_when_its_lease_is_lost(store: Arc<dyn Store>) {
    let (noticed_tx, mut noticed) = mpsc::unbounded_channel();
    let handler = handler_fn(move |_, ctx| {
        let noticed_tx = noticed_tx.clone();
        async move {
            ctx.lease_lost.cancelled().await;
            let _ = noticed_tx.send(());
            Err(JobError::retryable("stopped: lease lost"))
        }
    });
    let config = WorkerConfig { heartbeat_interval: Duration::from_millis(50), ..config() };
    let queue = JobQueue::new(store.clone());
    let job = queue.enqueue(NewJob::new(kind("test.cancel"), json!({}))).await.expect("enqueue");
    let worker = Worker::new(queue, registry("test.cancel", handler), config).expect("worker");
    let shutdown = CancellationToken::new();
    let running = tokio::spawn({
        let (worker, shutdown) = (worker.clone(), shutdown.clone());
        async move { worker.run(shutdown).await }
    });
    let id = job.job().id.clone();
    eventually("the job runs", async {
        while status(&*store, &id).await != JobStatus::Running {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    store.cancel_job(&JobVisibility::Operator, &ChangeContext::cli(), &id).await.expect("cancel");
    eventually("the handler hears its lease is gone", noticed.recv()).await.expect("noticed");
    shutdown.cancel();
    eventually("the worker stops", running).await.expect("join").expect("run");
    assert_eq!(status(&*store, &id).await, JobStatus::Cancelled, "the lost attempt records nothing");
}

async fn schedulers_on_two_nodes_fire_a_due_schedule_once(store: Arc<dyn Store>) {
    let node_a = Scheduler::new(JobQueue::new(store.clone()), SchedulerConfig::default());
    let node_b = Scheduler::new(JobQueue::new(store.clone()), SchedulerConfig::default());
    let new = NewSchedule {
        name: "hourly-kpis".into(),
        cron: "0 * * * *".into(),
        kind: kind("analytics.kpis"),
        payload: json!({}),
        network_id: None,
        priority: 0,
        max_attempts: 3,
    };
    let refused = node_a.upsert(NewSchedule { cron: "every hour".into(), ..new.clone() }).await;
    assert!(matches!(refused, Err(JobsError::InvalidCron { .. })));
    let created = node_a.upsert(new.clone()).await.expect("upsert");
    assert!(created.next_run_at > Utc::now(), "first fire is the next occurrence");
    assert!(node_a.tick().await.expect("tick").is_empty(), "not due yet");

    // Make it overdue, as after downtime; both nodes tick at once.
    store
        .upsert_schedule(&NewSchedule { cron: "30 * * * *".into(), ..new }, Utc::now() - TimeDelta::hours(3))
        .await
        .expect("due");
    let (a, b) = tokio::join!(node_a.tick(), node_b.tick());
    let fired: Vec<_> = a.expect("a").into_iter().chain(b.expect("b")).collect();
    assert_eq!(fired.len(), 1, "one node fired it, once despite the missed hours");
    let schedule = store.list_schedules().await.expect("list").remove(0);
    assert!(schedule.next_run_at > Utc::now() && schedule.next_run_at <= Utc::now() + TimeDelta::hours(1));
    assert_eq!(status(&*store, &fired[0].id).await, JobStatus::Queued);
}
