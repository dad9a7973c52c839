//! The engine's work on the durable queue: `sync.run` runs (or resumes) one sync run, and
//! `sync.schedule_due` requests an incremental sync of every connection whose turn has come.

use chrono::{TimeDelta, Utc};
use hub_core::access::{Actor, TenantScope};
use hub_core::connection::ConnectionStatus;
use hub_core::id::{NetworkId, SyncRunId};
use hub_core::records::SyncMode;
use hub_jobs::{JobError, JobRegistry, JobsError, NewSchedule, handler_fn};
use hub_store::{ChangeContext, JobKind, StatusChange, StoreError, SyncRun};
use serde::{Deserialize, Serialize};

use crate::error::SyncError;
use crate::{SyncEngine, SyncTrigger};

/// Runs one sync run.
pub const RUN_JOB: &str = "sync.run";
/// Requests the syncs that are due.
pub const SCHEDULE_DUE_JOB: &str = "sync.schedule_due";
/// Connections the schedule requests syncs for in one tick, at most.
const DUE_PER_TICK: u32 = 500;

pub(crate) fn run_kind() -> JobKind {
    JobKind::parse(RUN_JOB).expect("a valid job kind")
}

fn schedule_kind() -> JobKind {
    JobKind::parse(SCHEDULE_DUE_JOB).expect("a valid job kind")
}

/// The payload of a `sync.run` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunPayload {
    network_id: NetworkId,
    run_id: SyncRunId,
}

impl RunPayload {
    pub(crate) fn for_run(run: &SyncRun) -> Self {
        Self { network_id: run.network_id.clone(), run_id: run.id.clone() }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("ids serialize")
    }
}

fn system() -> ChangeContext {
    ChangeContext { actor: Actor::System, request_id: None }
}

impl SyncEngine {
    /// Registers the engine's job handlers.
    pub fn register_jobs(&self, registry: &mut JobRegistry) -> Result<(), JobsError> {
        let engine = self.clone();
        registry.register(
            run_kind(),
            handler_fn(move |job, ctx| {
                let engine = engine.clone();
                async move {
                    let payload: RunPayload = serde_json::from_value(job.payload.clone())
                        .map_err(|error| JobError::permanent(format!("unreadable sync.run payload: {error}")))?;
                    let last_attempt = job.attempts >= job.max_attempts;
                    let outcome = engine.run(&payload.network_id, &payload.run_id, &ctx.lease_lost).await;
                    engine.settle(&payload, outcome, last_attempt).await
                }
            }),
        )?;
        let engine = self.clone();
        registry.register(
            schedule_kind(),
            handler_fn(move |_job, _ctx| {
                let engine = engine.clone();
                async move {
                    engine.request_due().await.map(drop).map_err(|error| JobError::retryable(error.to_string()))
                }
            }),
        )?;
        Ok(())
    }

    /// The schedule that keeps connections synced.
    pub fn schedules() -> Vec<NewSchedule> {
        vec![NewSchedule {
            name: "sync-schedule-due".into(),
            cron: "* * * * *".into(),
            kind: schedule_kind(),
            payload: serde_json::json!({}),
            network_id: None,
            priority: 1,
            max_attempts: 3,
        }]
    }

    /// Requests an incremental sync of every syncable connection with none requested within the
    /// interval; returns how many it requested.
    pub async fn request_due(&self) -> Result<usize, SyncError> {
        let interval = TimeDelta::from_std(self.settings.interval).unwrap_or(TimeDelta::minutes(5));
        let providers = self.connectors.providers();
        let due = self.store.connections_due_for_sync(&providers, Utc::now() - interval, DUE_PER_TICK).await?;
        let mut requested = 0;
        for connection in due {
            match self.request(&connection, SyncMode::Incremental, SyncTrigger::Schedule).await {
                Ok(_) => requested += 1,
                Err(error) if !error.is_retryable() => {
                    tracing::debug!(connection = %connection.id, %error, "not syncing this connection");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(requested)
    }

    /// Records how an attempt ended and tells the queue what to do next: a retry from the
    /// checkpoint, or (last attempt, or a failure no retry fixes) a failed run and a connection
    /// marked for attention.
    async fn settle(
        &self,
        payload: &RunPayload,
        outcome: Result<SyncRun, SyncError>,
        last_attempt: bool,
    ) -> Result<(), JobError> {
        let (network_id, run_id) = (&payload.network_id, &payload.run_id);
        let error = match outcome {
            Ok(run) => {
                self.mark_connection(&run, None).await;
                return Ok(());
            }
            Err(SyncError::LeaseLost) => return Err(JobError::retryable("the sync job's lease was lost")),
            Err(SyncError::Store(StoreError::Conflict { message })) if message.contains("already") => {
                // The run finished in an earlier attempt whose completion was not recorded.
                return Ok(());
            }
            Err(error) => error,
        };
        let message = error.to_string();
        if error.is_retryable() && !last_attempt {
            tracing::warn!(run = %run_id, %message, "sync attempt failed; it resumes from its checkpoint");
            self.store
                .record_sync_error(network_id, run_id, &message)
                .await
                .map_err(|e| JobError::retryable(e.to_string()))?;
            return Err(match error.retry_after() {
                Some(after) => JobError::retry_after(message, after),
                None => JobError::retryable(message),
            });
        }
        tracing::error!(run = %run_id, %message, "sync run failed");
        match self.store.finish_sync_run(network_id, run_id, Some(&message)).await {
            Ok(run) => self.mark_connection(&run, Some(&error)).await,
            Err(store_error) => tracing::warn!(run = %run_id, %store_error, "could not record the failed sync run"),
        }
        Err(JobError::permanent(message))
    }

    /// Moves the connection to `failing` after a failed run (or `needs_reauthorization` when the
    /// provider refused its credentials), and back to `active` after a successful one.
    async fn mark_connection(&self, run: &SyncRun, failure: Option<&SyncError>) {
        let scope = TenantScope::network(run.network_id.clone());
        let Ok(connection) = self.store.get_connection(&scope, &run.connection_id).await else { return };
        let change = match failure {
            None if connection.status == ConnectionStatus::Failing => StatusChange {
                status: ConnectionStatus::Active,
                last_error: None,
                event: "recovered",
                clear_credentials: false,
            },
            None => return,
            Some(SyncError::NotSyncable { .. } | SyncError::NoConnector { .. }) => return,
            Some(SyncError::Connector(hub_connectors::source::ConnectorError::Unauthorized { message, .. })) => {
                StatusChange {
                    status: ConnectionStatus::NeedsReauthorization,
                    last_error: Some(format!("the provider refused the connection's credentials: {message}")),
                    event: "needs_reauthorization",
                    clear_credentials: false,
                }
            }
            Some(error) => StatusChange {
                status: ConnectionStatus::Failing,
                last_error: Some(format!("sync {} failed: {error}", run.id)),
                event: "failed",
                clear_credentials: false,
            },
        };
        if let Err(error) =
            self.store.set_connection_status(&run.network_id, &run.connection_id, &system(), change).await
        {
            tracing::warn!(connection = %run.connection_id, %error, "could not update the connection's status");
        }
    }
}
