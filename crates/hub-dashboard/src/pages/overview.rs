//! `/`: the network (or the viewer's part of it) at a glance: KPI cards, weekly sales, royalty
//! due, top and bottom locations, integration health and open alerts, with links to every page.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use chrono::{TimeDelta, Utc};
use hub_analytics::GroupBy;
use hub_api::AppState;
use hub_core::access::Permission;
use hub_core::connection::ConnectionStatus;
use hub_store::{JobFilter, JobStatus, JobVisibility, SyncRunStatus};

use super::{collect, kpi, money};
use crate::session::Viewer;
use crate::view::{self, Card, Cell, Layout, PageError, Section};

/// `GET /`.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let scope = &viewer.scope().clone();
    let store = &*state.store;
    let network = store.get_network(&scope.network_id).await?;
    let mut sections = vec![kpi::section(&state, scope, "Last 28 days").await?];

    sections.push(super::royalties::due_section(&state, &viewer).await?);

    let by_location = kpi::report(&state, scope, GroupBy::Location).await?;
    let mut ranked: Vec<_> = by_location.rows.iter().collect();
    ranked.sort_by_key(|row| std::cmp::Reverse(row.kpis.net_sales));
    let currency = by_location.currency.as_str();
    let row = |r: &&hub_analytics::KpiRow| {
        vec![
            Cell::link(r.label.clone().unwrap_or_else(|| r.key.clone()), format!("/locations/{}", r.key)),
            Cell::text(money(currency, r.kpis.net_sales)),
            Cell::text(r.kpis.transactions),
            Cell::text(r.percentiles.as_ref().map_or("—".into(), |p| format!("p{:.0}", p.net_sales))),
        ]
    };
    let top: Vec<_> = ranked.iter().take(3).map(row).collect();
    let bottom: Vec<_> = ranked.iter().rev().take(3.min(ranked.len().saturating_sub(3))).map(row).collect();
    let headers = vec!["Location", "Net sales", "Transactions", "Network rank"];
    sections.push(Section::new("top-locations", "Top locations").table(headers.clone(), top, "No sales yet."));
    sections.push(Section::new("bottom-locations", "Bottom locations").table(
        headers,
        bottom,
        "Fewer than four locations have sales.",
    ));

    // Integration health: connections by status and circuit, failing syncs.
    let connections = collect(|page| async move { store.list_connections(scope, &page).await }).await?;
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_circuit: BTreeMap<String, usize> = BTreeMap::new();
    for connection in &connections {
        *by_status.entry(connection.status.as_str().to_owned()).or_default() += 1;
        let circuit = hub_api::actions::circuit_of(&state, &connection.id).circuit;
        *by_circuit.entry(if circuit.is_empty() { "closed".into() } else { circuit }).or_default() += 1;
    }
    let mut health_cards: Vec<Card> = by_status
        .iter()
        .map(|(status, count)| Card::linked(format!("Connections {status}"), count, "/connections"))
        .collect();
    health_cards.extend(by_circuit.iter().map(|(circuit, count)| Card::new(format!("Circuit {circuit}"), count)));
    let runs = store.list_sync_runs(scope, None, &hub_core::page::PageRequest { limit: 200, after: None }).await?;
    let failed_runs: Vec<_> = runs.items.iter().filter(|run| run.status == SyncRunStatus::Failed).collect();
    health_cards.push(Card::linked("Failed syncs (recent)", failed_runs.len(), "/sync-runs"));
    sections.push(
        Section::new("integration-health", "Integration health").cards(health_cards).table(
            vec!["Connection", "Failed at", "Error"],
            failed_runs
                .iter()
                .take(5)
                .map(|run| {
                    vec![
                        Cell::code(&run.connection_id),
                        Cell::optional_time(run.finished_at),
                        Cell::text(run.errors.last().cloned().unwrap_or_default()),
                    ]
                })
                .collect(),
            "No failing syncs.",
        ),
    );

    // Open alerts.
    let mut alerts = Vec::new();
    for connection in &connections {
        if matches!(connection.status, ConnectionStatus::Failing | ConnectionStatus::NeedsReauthorization) {
            alerts.push(vec![
                Cell::badge("connection", "bad"),
                Cell::link(format!("{} is {}", connection.provider, connection.status.as_str()), "/connections"),
                Cell::text(connection.last_error.clone().unwrap_or_default()),
            ]);
        }
        let soon = Utc::now() + TimeDelta::hours(24);
        if connection.status == ConnectionStatus::Active && connection.expires_at.is_some_and(|at| at < soon) {
            alerts.push(vec![
                Cell::badge("token", "warn"),
                Cell::link(format!("{} token expires soon", connection.provider), "/connections"),
                Cell::optional_time(connection.expires_at),
            ]);
        }
    }
    if viewer.principal.may(Permission::OperateJobs) {
        let filter = JobFilter {
            visibility: JobVisibility::Network(scope.network_id.clone()),
            status: Some(JobStatus::Dead),
            kind: None,
        };
        let dead = store.list_jobs(&filter, &hub_core::page::PageRequest { limit: 50, after: None }).await?;
        for job in dead.items {
            alerts.push(vec![
                Cell::badge("job", "bad"),
                Cell::link(format!("{} dead-lettered", job.kind.as_str()), "/jobs"),
                Cell::text(job.last_error.unwrap_or_default()),
            ]);
        }
    }
    if viewer.principal.may(Permission::ManageWebhooks) {
        let endpoints = collect(|page| async move { store.list_webhook_endpoints(scope, &page).await }).await?;
        for endpoint in endpoints.into_iter().filter(|endpoint| !endpoint.is_enabled()) {
            alerts.push(vec![
                Cell::badge("webhook", "bad"),
                Cell::link(
                    format!("endpoint {} disabled", endpoint.url),
                    format!("/webhooks/endpoints/{}", endpoint.id),
                ),
                Cell::text(endpoint.disabled_reason.unwrap_or_default()),
            ]);
        }
    }
    sections.push(Section::new("alerts", "Open alerts").table(
        vec!["Kind", "What", "Detail"],
        alerts,
        "No open alerts.",
    ));

    let layout = Layout::new(&viewer, "Overview", "/");
    let heading = match (&scope.franchisee_id, &scope.location_id) {
        (None, _) => format!("{} — network overview", network.name.as_str()),
        (Some(_), None) => "Your shops — overview".to_owned(),
        (Some(_), Some(_)) => "Your shop — overview".to_owned(),
    };
    view::page(&layout, &heading, &sections)
}
