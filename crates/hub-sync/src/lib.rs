//! The sync engine: reads each connection's provider through its connector into unified records.
//!
//! A sync is a [`hub_store::SyncRun`] executed by a job on the durable queue (`sync.run`), so rate
//! limits, retries and circuit breakers apply to it like any provider call, a crashed worker's
//! sync is picked up by another, and a second request for a connection already syncing joins the
//! run in progress. Runs are full (everything, then soft-delete what was not seen) or incremental
//! (what changed since the model's high-water mark, minus an overlap). Every page is written with
//! the run's checkpoint in one transaction: resuming after a crash continues from the last page.
//! A schedule (`sync.schedule_due`, every minute) requests an incremental sync of every connection
//! whose last one is older than the sync interval.
#![forbid(unsafe_code)]

mod access;
mod error;
mod jobs;
mod placement;
mod run;

use std::sync::Arc;
use std::time::Duration;

use hub_core::connection::Connection;
use hub_core::records::SyncMode;
use hub_jobs::{JobQueue, NewJob};
use hub_resilience::Priority;
use hub_store::{NewSyncRun, Store, SyncRun};

pub use access::{ConnectorRegistry, ProviderAccess};
pub use error::SyncError;
pub use jobs::{RUN_JOB, SCHEDULE_DUE_JOB};

/// How the engine paces syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSettings {
    /// How far before its high-water mark an incremental sync reads again, so records stamped at
    /// the boundary (or by a provider clock that runs behind) are not missed; re-read records that
    /// did not change cost no write.
    pub overlap: Duration,
    /// How often each connection gets an incremental sync.
    pub interval: Duration,
    /// Attempts of a sync job before its run is marked failed.
    pub max_attempts: u32,
    /// Records gathered from small provider pages before they are written together (one
    /// transaction, one fsync); 1 writes every page on its own.
    pub batch_records: usize,
    /// The longest a read page waits for more before it is written.
    pub batch_wait: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            overlap: Duration::from_secs(120),
            interval: Duration::from_secs(300),
            max_attempts: 8,
            batch_records: 1_000,
            batch_wait: Duration::from_secs(1),
        }
    }
}

/// Who asked for a sync: sets the priority of its job and of its provider calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncTrigger {
    /// A person, through the API or dashboard ("sync now").
    Api,
    /// A provider webhook said something changed.
    Webhook,
    /// The periodic schedule.
    Schedule,
    /// The command line (`hub demo`, operator tooling).
    Cli,
}

impl SyncTrigger {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Webhook => "webhook",
            Self::Schedule => "schedule",
            Self::Cli => "cli",
        }
    }

    fn job_priority(self) -> i16 {
        match self {
            Self::Api => 10,
            Self::Webhook | Self::Cli => 5,
            Self::Schedule => 0,
        }
    }
}

/// The class a run's provider calls wait in: a full sync is a backfill; otherwise who asked.
pub(crate) fn call_priority(mode: SyncMode, trigger: &str) -> Priority {
    match (mode, trigger) {
        (SyncMode::Full, _) => Priority::Backfill,
        (SyncMode::Incremental, "api") => Priority::Interactive,
        (SyncMode::Incremental, "webhook") => Priority::WebhookTriggered,
        (SyncMode::Incremental, _) => Priority::Scheduled,
    }
}

/// Requests, runs and schedules syncs.
#[derive(Clone)]
pub struct SyncEngine {
    store: Arc<dyn Store>,
    queue: JobQueue,
    access: Arc<dyn ProviderAccess>,
    connectors: ConnectorRegistry,
    settings: SyncSettings,
}

impl SyncEngine {
    /// An engine over `store`, enqueueing on `queue`, calling providers through `access`.
    pub fn new(
        store: Arc<dyn Store>,
        queue: JobQueue,
        access: Arc<dyn ProviderAccess>,
        connectors: ConnectorRegistry,
        settings: SyncSettings,
    ) -> Self {
        Self { store, queue, access, connectors, settings }
    }

    /// The connectors the engine can run.
    pub fn connectors(&self) -> &ConnectorRegistry {
        &self.connectors
    }

    /// Queues a sync of `connection` (or joins the one queued or running) and its job; returns
    /// the run.
    pub async fn request(
        &self,
        connection: &Connection,
        mode: SyncMode,
        trigger: SyncTrigger,
    ) -> Result<SyncRun, SyncError> {
        if !self.connectors.supports(&connection.provider) {
            return Err(SyncError::NoConnector { provider: connection.provider.clone() });
        }
        run::check_syncable(connection)?;
        let new = NewSyncRun {
            network_id: connection.network_id.clone(),
            connection_id: connection.id.clone(),
            franchisee_id: connection.franchisee_id.clone(),
            location_id: connection.location_id.clone(),
            mode,
            trigger: trigger.as_str().to_owned(),
        };
        let (run, _) = self.store.create_sync_run(new).await?;
        // The run's id is the job's unique key: asking again finds the job already queued.
        let job = NewJob::new(jobs::run_kind(), jobs::RunPayload::for_run(&run).to_json())
            .in_network(run.network_id.clone())
            .priority(trigger.job_priority())
            .unique_key(format!("sync-run:{}", run.id))
            .max_attempts(self.settings.max_attempts);
        self.queue.enqueue(job).await?;
        Ok(run)
    }
}
