//! The durable job queue's runtime. Jobs live in the store ([`hub_store::JobStore`]); this crate
//! runs them: a [`JobRegistry`] maps each kind to its [`JobHandler`], a [`Worker`] claims due jobs
//! in batches under a lease it keeps alive with heartbeats, runs them under a semaphore, completes
//! them in batches, retries failures with exponential backoff and jitter, and drains when its
//! cancellation token fires. A [`Scheduler`] enqueues the jobs of due cron schedules, once across
//! every node that runs one.
//!
//! Delivery is at least once: a job whose worker dies is run again after its lease expires, so
//! handlers make their effects idempotent (keyed by the job id).
#![forbid(unsafe_code)]

mod backoff;
mod error;
mod queue;
mod registry;
mod scheduler;
mod worker;

pub use backoff::Backoff;
pub use error::{JobError, JobsError};
pub use queue::JobQueue;
pub use registry::{FnHandler, JobContext, JobHandler, JobRegistry, handler_fn};
pub use scheduler::{CronExpression, Scheduler, SchedulerConfig};
pub use worker::{JobOutcome, JobRun, Worker, WorkerConfig};

pub use hub_store::{Enqueued, Job, JobKind, JobStatus, JobStore, NewJob, NewSchedule, Schedule};
