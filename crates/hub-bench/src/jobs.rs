//! The `jobs` scenario: jobs per second through the durable queue (batched enqueue, then workers
//! claiming, running a no-op handler and completing), beside a raw batched claim loop in plain SQL
//! on the same database in the same run ([`raw`]). Rounds alternate between the two and the
//! median of each is reported. Then the wake-up latency of an idle worker: enqueue one job,
//! time until its handler starts.

mod phases;
mod raw;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use hdrhistogram::Histogram;
use hub_jobs::{JobQueue, JobRegistry, Worker, WorkerConfig, handler_fn};
use hub_store::{JobFilter, JobKind, JobStatus, JobVisibility, NewJob};
use serde::Serialize;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::setup::{BackendChoice, BenchStore, DatabaseArgs};
use phases::{PhaseLog, TimedJobStore};
use raw::RawQueue;

const KIND: &str = "bench.noop";

/// Flags of `hub-bench jobs`.
#[derive(Debug, Args)]
pub struct JobsArgs {
    /// The database the queue lives in.
    #[arg(long, value_enum, default_value_t = BackendChoice::Sqlite)]
    backend: BackendChoice,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Jobs per measured round.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
    jobs: u32,
    /// Jobs per enqueue statement, per claim and per worker's concurrency.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    batch: u32,
    /// Workers (queue) and claim loops (baseline) draining at once.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    workers: u32,
    /// Measured rounds of each, alternating, after one smaller warm-up round.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    rounds: u32,
    /// Jobs enqueued one at a time to an idle worker to time its wake-up.
    #[arg(long = "latency-samples", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    latency_samples: u32,
    /// Also print, per measured round, each store operation's calls and time (stderr).
    #[arg(long)]
    phases: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// The figures of one run; field names are what outside checks read from `--json`.
#[derive(Debug, Serialize)]
struct JobsFigures {
    backend: &'static str,
    jobs: u32,
    batch: u32,
    workers: u32,
    rounds: u32,
    /// Jobs per second through the queue: enqueue + claim + complete (median round).
    jobs_per_s: f64,
    /// Jobs per second of the raw claim loop: insert + claim + delete (median round).
    baseline_per_s: f64,
    /// `jobs_per_s / baseline_per_s`.
    jobs_vs_baseline: f64,
    enqueue_per_s: f64,
    baseline_insert_per_s: f64,
    drain_per_s: f64,
    baseline_drain_per_s: f64,
    /// Enqueue → handler start for a job given to an idle worker.
    wake_p50_ms: f64,
    wake_p99_ms: f64,
}

/// One round's timings.
#[derive(Debug, Clone, Copy)]
struct Round {
    fill: Duration,
    drain: Duration,
}

impl Round {
    fn per_second(jobs: u32, time: Duration) -> f64 {
        f64::from(jobs) / time.as_secs_f64().max(1e-9)
    }
}

/// Runs the scenario and prints the figures.
pub async fn run(args: JobsArgs) -> anyhow::Result<()> {
    let bench = BenchStore::open(args.backend, &args.database).await?;
    let log = args.phases.then(|| Arc::new(PhaseLog::default()));
    let store: Arc<dyn hub_store::JobStore> = match &log {
        Some(log) => Arc::new(TimedJobStore::new(bench.store.clone(), Arc::clone(log))),
        None => bench.store.clone(),
    };
    let queue = JobQueue::new(store);
    let raw = RawQueue::open(&bench.database_url(), 16, log.clone()).await.context("cannot open the baseline table")?;
    // Warm-up: one smaller round of each, with planner statistics taken while both hold a backlog.
    let warmup = (args.jobs / 10).max(100);
    fill_queue(&queue, &args, warmup).await?;
    raw.fill(warmup as usize, args.batch).await?;
    raw.analyze().await.context("ANALYZE")?;
    drain_queue(&queue, &args, warmup).await?;
    raw.drain(warmup as usize, args.batch, args.workers as usize).await?;
    let (mut measured, mut baseline) = (Vec::new(), Vec::new());
    if let Some(log) = &log {
        log.take();
    }
    for number in 1..=args.rounds {
        let (fill, drain) = raw.round(args.jobs as usize, args.batch, args.workers as usize).await?;
        baseline.push(Round { fill, drain });
        if let Some(log) = &log {
            phases::print(&format!("round {number}, raw baseline"), fill, drain, &log.take());
        }
        let round = queue_round(&queue, &args, args.jobs).await?;
        measured.push(round);
        if let Some(log) = &log {
            phases::print(&format!("round {number}, job queue"), round.fill, round.drain, &log.take());
        }
    }
    let wake = wake_latency(&queue, args.latency_samples).await?;

    let total = |round: &Round| round.fill + round.drain;
    let (queue_median, baseline_median) = (median(&measured, total), median(&baseline, total));
    let jobs_per_s = Round::per_second(args.jobs, total(&queue_median));
    let baseline_per_s = Round::per_second(args.jobs, total(&baseline_median));
    let figures = JobsFigures {
        backend: hub_store::Backend::from(args.backend).as_str(),
        jobs: args.jobs,
        batch: args.batch,
        workers: args.workers,
        rounds: args.rounds,
        jobs_per_s: round(jobs_per_s, 1),
        baseline_per_s: round(baseline_per_s, 1),
        jobs_vs_baseline: round(jobs_per_s / baseline_per_s.max(1e-9), 3),
        enqueue_per_s: round(Round::per_second(args.jobs, queue_median.fill), 1),
        baseline_insert_per_s: round(Round::per_second(args.jobs, baseline_median.fill), 1),
        drain_per_s: round(Round::per_second(args.jobs, queue_median.drain), 1),
        baseline_drain_per_s: round(Round::per_second(args.jobs, baseline_median.drain), 1),
        wake_p50_ms: round(wake.value_at_quantile(0.5) as f64 / 1_000.0, 3),
        wake_p99_ms: round(wake.value_at_quantile(0.99) as f64 / 1_000.0, 3),
    };
    if args.json {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        print_table(&figures);
    }
    Ok(())
}

/// The round whose `key` is the median.
fn median(rounds: &[Round], key: impl Fn(&Round) -> Duration) -> Round {
    let mut sorted = rounds.to_vec();
    sorted.sort_by_key(&key);
    sorted[sorted.len() / 2]
}

fn registry(on_run: impl Fn() + Send + Sync + 'static) -> anyhow::Result<JobRegistry> {
    let on_run = Arc::new(on_run);
    let mut registry = JobRegistry::new();
    registry.register(
        JobKind::parse(KIND)?,
        handler_fn(move |_, _| {
            on_run();
            async { Ok(()) }
        }),
    )?;
    Ok(registry)
}

fn worker_config(batch: u32) -> WorkerConfig {
    WorkerConfig {
        concurrency: batch as usize,
        batch_size: batch,
        poll_interval: Duration::from_millis(50),
        ..WorkerConfig::default()
    }
}

/// Enqueues `jobs` jobs in batches, then drains them with `args.workers` workers.
async fn queue_round(queue: &JobQueue, args: &JobsArgs, jobs: u32) -> anyhow::Result<Round> {
    let fill = fill_queue(queue, args, jobs).await?;
    let drain = drain_queue(queue, args, jobs).await?;
    Ok(Round { fill, drain })
}

/// Enqueues `jobs` jobs in batches of `args.batch`; returns the time it took.
async fn fill_queue(queue: &JobQueue, args: &JobsArgs, jobs: u32) -> anyhow::Result<Duration> {
    let kind = JobKind::parse(KIND)?;
    let started = Instant::now();
    let mut next = 0;
    while next < jobs {
        let end = (next + args.batch).min(jobs);
        let chunk: Vec<NewJob> =
            (next..end).map(|n| NewJob::new(kind.clone(), serde_json::json!({ "n": n }))).collect();
        let added = queue.enqueue_batch(chunk).await.context("enqueue")?;
        anyhow::ensure!(added.len() == (end - next) as usize, "enqueued {} of {}", added.len(), end - next);
        next = end;
    }
    Ok(started.elapsed())
}

/// Runs `jobs` queued jobs with `args.workers` workers, checks that every one succeeded, and
/// returns the time it took.
async fn drain_queue(queue: &JobQueue, args: &JobsArgs, jobs: u32) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let (handled, all_done) = (Arc::new(AtomicUsize::new(0)), Arc::new(Notify::new()));
    let shutdown = CancellationToken::new();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.workers {
        let (handled, all_done) = (Arc::clone(&handled), Arc::clone(&all_done));
        let registry = registry(move || {
            if handled.fetch_add(1, Ordering::Relaxed) + 1 == jobs as usize {
                all_done.notify_one();
            }
        })?;
        let worker = Worker::new(queue.clone(), registry, worker_config(args.batch))?;
        let shutdown = shutdown.clone();
        workers.spawn(async move { worker.run(shutdown).await });
    }
    tokio::time::timeout(Duration::from_secs(600), all_done.notified()).await.context("the queue stalled")?;
    shutdown.cancel();
    while let Some(result) = workers.join_next().await {
        result.context("worker panicked")??;
    }
    let drain = started.elapsed();
    for status in [JobStatus::Queued, JobStatus::Running, JobStatus::Failed] {
        let filter = JobFilter { status: Some(status), ..JobFilter::all(JobVisibility::Operator) };
        let left = queue.store().list_jobs(&filter, &hub_core::page::PageRequest { limit: 1, after: None }).await?;
        anyhow::ensure!(left.items.is_empty(), "jobs left {status} after the round");
    }
    Ok(drain)
}

/// Enqueue → handler start, one job at a time, for a worker waiting for work.
async fn wake_latency(queue: &JobQueue, samples: u32) -> anyhow::Result<Histogram<u64>> {
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let registry = registry(move || {
        let _ = started_tx.send(Instant::now());
    })?;
    let worker = Worker::new(queue.clone(), registry, worker_config(1))?;
    let shutdown = CancellationToken::new();
    let running = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { worker.run(shutdown).await }
    });
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let kind = JobKind::parse(KIND)?;
    for n in 0..samples {
        tokio::time::sleep(Duration::from_millis(5)).await; // let the worker go idle again
        let enqueued_at = Instant::now();
        queue.enqueue(NewJob::new(kind.clone(), serde_json::json!({ "n": n }))).await?;
        let ran_at = tokio::time::timeout(Duration::from_secs(30), started.recv())
            .await
            .context("an idle worker did not start a job")?
            .context("the worker stopped")?;
        let micros = u64::try_from(ran_at.duration_since(enqueued_at).as_micros()).unwrap_or(u64::MAX);
        histogram.record(micros.clamp(1, 60_000_000))?;
    }
    shutdown.cancel();
    running.await.context("worker panicked")??;
    Ok(histogram)
}

fn print_table(figures: &JobsFigures) {
    println!(
        "hub-bench jobs: {} backend, {} jobs per round, batches of {}, {} workers, median of {} rounds",
        figures.backend, figures.jobs, figures.batch, figures.workers, figures.rounds
    );
    println!("{:<34} {:>12} {:>12} {:>12}", "", "total/s", "fill/s", "drain/s");
    println!(
        "{:<34} {:>12.1} {:>12.1} {:>12.1}",
        "raw claim loop (baseline)",
        figures.baseline_per_s,
        figures.baseline_insert_per_s,
        figures.baseline_drain_per_s
    );
    println!(
        "{:<34} {:>12.1} {:>12.1} {:>12.1}",
        "job queue", figures.jobs_per_s, figures.enqueue_per_s, figures.drain_per_s
    );
    println!("the queue keeps {:.1}% of the baseline rate", figures.jobs_vs_baseline * 100.0);
    println!("idle worker wake-up: p50 {:.3} ms, p99 {:.3} ms", figures.wake_p50_ms, figures.wake_p99_ms);
}

/// Rounds for display and JSON, so figures do not pretend to more precision than they have.
fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}
