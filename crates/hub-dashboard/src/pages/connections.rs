//! `/connections`: each connection's status, last sync, last error and circuit state, with
//! "reconnect" (a fresh OAuth consent) and "sync now" — the same operations as
//! `POST /v1/connections/{id}/authorize` and `POST /v1/connections/{id}/sync`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hub_api::AppState;
use hub_api::actions::{self, ConnectionRequest};
use hub_core::access::Permission;
use hub_core::connection::{Connection, ConnectionStatus};
use hub_core::id::{ConnectionId, LocationId};
use hub_core::records::SyncMode;
use hub_store::SyncRun;
use serde::Deserialize;

use super::{Names, collect};
use crate::csrf::Submitted;
use crate::session::Viewer;
use crate::view::{self, Cell, Layout, PageError, Section, time};

fn tone(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Active => "good",
        ConnectionStatus::Pending | ConnectionStatus::Refreshing => "warn",
        ConnectionStatus::Revoked => "muted",
        ConnectionStatus::NeedsReauthorization | ConnectionStatus::Failing => "bad",
    }
}

/// The connections table (also on franchisee and location pages).
pub fn section(state: &AppState, viewer: &Viewer, names: &Names, connections: &[Connection]) -> Section {
    section_with_runs(state, viewer, names, connections, &HashMap::new())
}

fn section_with_runs(
    state: &AppState,
    viewer: &Viewer,
    names: &Names,
    connections: &[Connection],
    last_runs: &HashMap<String, SyncRun>,
) -> Section {
    let manage = viewer.principal.may(Permission::ManageConnections);
    let rows = connections
        .iter()
        .map(|connection| {
            let circuit = actions::circuit_of(state, &connection.id);
            let provider = hub_connectors::catalog::provider(&connection.provider);
            let reconnectable =
                provider.is_some_and(|p| p.uses_authorization_code()) && connection.status != ConnectionStatus::Revoked;
            let last_sync = last_runs.get(connection.id.as_str()).map_or_else(
                || "—".to_owned(),
                |run| {
                    format!(
                        "{} ({})",
                        run.finished_at.or(run.started_at).map(time).unwrap_or_else(|| "queued".into()),
                        run.status.as_str()
                    )
                },
            );
            let mut row = vec![
                Cell::text(provider.map_or(connection.provider.as_str(), |p| p.name)),
                match &connection.location_id {
                    Some(id) => Cell::link(names.location(Some(id)), format!("/locations/{id}")),
                    None => Cell::text(names.franchisee(connection.franchisee_id.as_ref())),
                },
                Cell::badge(connection.status.as_str(), tone(connection.status)),
                Cell::text(last_sync),
                Cell::text(connection.last_error.clone().or(circuit.last_error).unwrap_or_else(|| "—".into())),
                Cell::badge(
                    if circuit.circuit.is_empty() { "closed".into() } else { circuit.circuit.clone() },
                    if circuit.circuit == "open" { "bad" } else { "good" },
                ),
            ];
            if manage {
                row.push(if connection.status == ConnectionStatus::Active {
                    Cell::button(format!("/connections/{}/sync", connection.id), "Sync now")
                } else {
                    Cell::text("")
                });
                row.push(if reconnectable {
                    Cell::button(format!("/connections/{}/reconnect", connection.id), "Reconnect")
                } else {
                    Cell::text("")
                });
            }
            row
        })
        .collect();
    let mut headers = vec!["Provider", "For", "Status", "Last sync", "Last error", "Circuit"];
    if manage {
        headers.extend(["Sync", "Authorize"]);
    }
    Section::new("connections", "Connections").table(headers, rows, "No connections yet.")
}

/// `GET /connections`.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Permission::ReadTenancy)?;
    let store = &*state.store;
    let scope = viewer.scope();
    let connections = collect(|page| async move { store.list_connections(scope, &page).await }).await?;
    let names = Names::load(store, scope).await?;
    let mut last_runs = HashMap::new();
    if viewer.principal.may(Permission::ReadRecords) {
        let runs = store.list_sync_runs(scope, None, &hub_core::page::PageRequest { limit: 500, after: None }).await?;
        for run in runs.items {
            last_runs.entry(run.connection_id.to_string()).or_insert(run);
        }
    }
    let layout = Layout::new(&viewer, "Connections", "/connections");
    let section = section_with_runs(&state, &viewer, &names, &connections, &last_runs);
    view::page(&layout, "Connections", &[section])
}

#[derive(Deserialize)]
pub struct ConnectForm {
    provider: String,
    location_id: Option<String>,
}

/// `POST /connections`: creates a connection and sends the browser to the provider's consent.
pub async fn create(State(state): State<AppState>, submitted: Submitted<ConnectForm>) -> Result<Response, PageError> {
    let principal = submitted.viewer.require(Permission::ManageConnections)?;
    let location_id = match submitted.form.location_id.as_deref().filter(|text| !text.is_empty()) {
        Some(text) => Some(LocationId::parse(text).map_err(|_| PageError::BadRequest("no such location".into()))?),
        None => None,
    };
    let request = ConnectionRequest { provider: submitted.form.provider, location_id, ..ConnectionRequest::default() };
    let (connection, authorize_url) = actions::create_connection(&state, principal, request, None).await?;
    Ok(match (authorize_url, &connection.location_id) {
        (Some(url), _) => Redirect::to(&url).into_response(),
        (None, Some(location)) => Redirect::to(&format!("/locations/{location}")).into_response(),
        (None, None) => Redirect::to("/connections").into_response(),
    })
}

fn connection_id(text: &str) -> Result<ConnectionId, PageError> {
    ConnectionId::parse(text).map_err(|_| PageError::NotFound)
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /connections/{id}/sync`: "sync now".
pub async fn sync_now(
    State(state): State<AppState>,
    Path(id): Path<String>,
    submitted: Submitted<NoFields>,
) -> Result<Response, PageError> {
    let id = connection_id(&id)?;
    actions::request_sync(&state, &submitted.viewer.principal, &id, SyncMode::Incremental).await?;
    Ok(Redirect::to("/sync-runs").into_response())
}

/// `POST /connections/{id}/reconnect`: a fresh authorization, answered by a redirect to the
/// provider's consent page (which comes back to `/oauth/callback`).
pub async fn reconnect(
    State(state): State<AppState>,
    Path(id): Path<String>,
    submitted: Submitted<NoFields>,
) -> Result<Response, PageError> {
    let id = connection_id(&id)?;
    let (_, url) = actions::authorize_connection(&state, &submitted.viewer.principal, &id).await?;
    Ok(Redirect::to(&url).into_response())
}
