//! The hub's own background work as jobs on the durable queue: what each job kind does (token
//! refresh, syncs, KPI rollups), and the schedules that enqueue them. Any node running a worker takes them;
//! schedules fire once across nodes.

use std::time::Duration;

use hub_jobs::{JobError, JobRegistry, handler_fn};
use hub_store::{JobKind, NewSchedule};

use crate::AppState;

/// Refreshes tokens about to expire, and idle-revoking providers' tokens daily.
pub const REFRESH_DUE: &str = "connections.refresh_due";

/// Every job kind the hub runs, with its handler.
pub fn registry(state: &AppState, refresh_margin: Duration) -> Result<JobRegistry, hub_jobs::JobsError> {
    let mut registry = JobRegistry::new();
    let kind = JobKind::parse(REFRESH_DUE).map_err(|error| hub_jobs::JobsError::Config(error.to_string()))?;
    let refresher_state = state.clone();
    registry.register(
        kind,
        handler_fn(move |_job, _ctx| {
            let state = refresher_state.clone();
            async move {
                crate::refresher::refresh_due(&state, refresh_margin).await;
                Ok::<(), JobError>(())
            }
        }),
    )?;
    state.sync.register_jobs(&mut registry)?;
    state.analytics.register_jobs(&mut registry)?;
    state.royalties.register_jobs(&mut registry)?;
    Ok(registry)
}

/// The schedules that keep the hub's own work going.
pub fn schedules() -> Result<Vec<NewSchedule>, hub_jobs::JobsError> {
    let kind = JobKind::parse(REFRESH_DUE).map_err(|error| hub_jobs::JobsError::Config(error.to_string()))?;
    let mut schedules = vec![NewSchedule {
        name: "connections-refresh-due".into(),
        cron: "* * * * *".into(),
        kind,
        payload: serde_json::json!({}),
        network_id: None,
        priority: 0,
        max_attempts: 3,
    }];
    schedules.extend(hub_sync::SyncEngine::schedules());
    schedules.extend(hub_analytics::Analytics::schedules());
    schedules.extend(hub_analytics::royalties::RoyaltyService::schedules());
    Ok(schedules)
}
