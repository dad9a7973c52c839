//! `/sync-runs`, `/jobs` and `/audit`: what the hub did, what it is doing, and who changed what.

use axum::extract::State;
use axum::response::Response;
use hub_api::AppState;
use hub_core::access::Permission;
use hub_core::page::PageRequest;
use hub_store::{JobFilter, JobStatus, JobVisibility, SyncRunStatus};

use super::{Names, wire};
use crate::session::Viewer;
use crate::view::{self, Cell, Layout, PageError, Section, time};

const SHOWN: u32 = 100;

/// `GET /sync-runs`: the newest runs in scope.
pub async fn sync_runs(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Permission::ReadRecords)?;
    let store = &*state.store;
    let runs = store.list_sync_runs(viewer.scope(), None, &PageRequest { limit: SHOWN, after: None }).await?;
    let names = Names::load(store, viewer.scope()).await?;
    let rows = runs
        .items
        .iter()
        .map(|run| {
            let tone = match run.status {
                SyncRunStatus::Succeeded => "good",
                SyncRunStatus::Failed => "bad",
                SyncRunStatus::Queued | SyncRunStatus::Running => "warn",
            };
            vec![
                Cell::text(time(run.requested_at)),
                match &run.location_id {
                    Some(id) => Cell::link(names.location(Some(id)), format!("/locations/{id}")),
                    None => Cell::text(names.franchisee(run.franchisee_id.as_ref())),
                },
                Cell::text(wire(&run.mode)),
                Cell::text(&run.trigger),
                Cell::badge(run.status.as_str(), tone),
                Cell::text(format!(
                    "{} fetched · {} new · {} changed · {} deleted",
                    run.fetched, run.created, run.updated, run.deleted
                )),
                Cell::text(run.duration_ms.map_or("—".into(), |ms| format!("{:.1} s", ms as f64 / 1000.0))),
                Cell::text(run.errors.last().cloned().unwrap_or_default()),
            ]
        })
        .collect();
    let layout = Layout::new(&viewer, "Sync runs", "/sync-runs");
    let section = Section::new("sync-runs", "Newest sync runs").table(
        vec!["Requested", "For", "Mode", "Trigger", "Status", "Records", "Took", "Last error"],
        rows,
        "No syncs yet.",
    );
    view::page(&layout, "Sync runs", &[section])
}

/// `GET /jobs`: the network's background jobs (operators only), failed and dead ones first.
pub async fn jobs(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Permission::OperateJobs)?;
    let store = &*state.store;
    let visibility = JobVisibility::Network(viewer.scope().network_id.clone());
    let mut sections = Vec::new();
    for (id, title, status) in [
        ("dead", "Dead-lettered", Some(JobStatus::Dead)),
        ("failed", "Failed, will retry", Some(JobStatus::Failed)),
        ("recent", "All recent jobs", None),
    ] {
        let filter = JobFilter { visibility: visibility.clone(), status, kind: None };
        let jobs = store.list_jobs(&filter, &PageRequest { limit: SHOWN, after: None }).await?;
        let rows = jobs
            .items
            .iter()
            .map(|job| {
                vec![
                    Cell::code(&job.id),
                    Cell::text(job.kind.as_str()),
                    Cell::badge(
                        job.status.as_str(),
                        if matches!(job.status, JobStatus::Dead | JobStatus::Failed) { "bad" } else { "muted" },
                    ),
                    Cell::text(format!("{}/{}", job.attempts, job.max_attempts)),
                    Cell::text(time(job.run_at)),
                    Cell::text(job.last_error.clone().unwrap_or_default()),
                ]
            })
            .collect();
        sections.push(Section::new(id, title).table(
            vec!["Job", "Kind", "Status", "Attempts", "Runs at", "Last error"],
            rows,
            "None.",
        ));
    }
    let layout = Layout::new(&viewer, "Jobs", "/jobs");
    view::page(&layout, "Jobs", &sections)
}

/// `GET /audit`: the newest audit entries in scope.
pub async fn audit(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Permission::ReadAudit)?;
    let entries = state.store.list_audit(viewer.scope(), &PageRequest { limit: SHOWN, after: None }).await?;
    let rows = entries
        .items
        .iter()
        .map(|entry| {
            vec![
                Cell::text(entry.seq),
                Cell::text(time(entry.at)),
                Cell::text(format!("{} {}", entry.actor_kind, entry.actor_id).trim().to_owned()),
                Cell::text(&entry.action),
                Cell::code(&entry.resource_id),
                Cell::text(&entry.details),
            ]
        })
        .collect();
    let layout = Layout::new(&viewer, "Audit log", "/audit");
    let section = Section::new("audit", "Newest entries")
        .note("Append-only and hash-chained: `hub audit verify` detects any edit or deletion.")
        .table(vec!["#", "At", "Actor", "Action", "Resource", "Details"], rows, "No entries.");
    view::page(&layout, "Audit log", &[section])
}
