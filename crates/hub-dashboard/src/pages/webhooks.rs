//! `/webhooks`: outbound endpoints, their deliveries and attempts, with "replay" — the same
//! operation as `POST /v1/events/{id}/replay`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hub_api::AppState;
use hub_core::access::Permission;
use hub_core::id::{WebhookEndpointId, WebhookEventId};
use hub_core::page::PageRequest;
use hub_store::AttemptFilter;
use serde::Deserialize;

use super::collect;
use crate::csrf::Submitted;
use crate::session::Viewer;
use crate::view::{self, Cell, Layout, PageError, Section, time};

fn delivery_tone(status: &str) -> &'static str {
    match status {
        "succeeded" | "delivered" => "good",
        "pending" | "retrying" => "warn",
        _ => "bad",
    }
}

/// `GET /webhooks`: endpoints and the newest attempts.
pub async fn endpoints(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Permission::ManageWebhooks)?;
    let store = &*state.store;
    let scope = viewer.scope();
    let endpoints = collect(|page| async move { store.list_webhook_endpoints(scope, &page).await }).await?;
    let rows = endpoints
        .iter()
        .map(|endpoint| {
            vec![
                Cell::link(&endpoint.url, format!("/webhooks/endpoints/{}", endpoint.id)),
                Cell::badge(&endpoint.status, if endpoint.is_enabled() { "good" } else { "bad" }),
                Cell::text(if endpoint.event_types.is_empty() {
                    "all".into()
                } else {
                    endpoint.event_types.join(", ")
                }),
                Cell::text(endpoint.disabled_reason.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let attempts =
        store.list_delivery_attempts(scope, &AttemptFilter::default(), &PageRequest { limit: 50, after: None }).await?;
    let attempt_rows = attempts
        .items
        .iter()
        .map(|attempt| {
            vec![
                Cell::text(time(attempt.at)),
                Cell::text(&attempt.event_type),
                Cell::link(&attempt.endpoint_id, format!("/webhooks/endpoints/{}", attempt.endpoint_id)),
                Cell::badge(&attempt.outcome, delivery_tone(&attempt.outcome)),
                Cell::text(attempt.status_code.map_or("—".into(), |code| code.to_string())),
                Cell::text(format!("{} ms", attempt.latency_ms)),
                Cell::button(format!("/webhooks/events/{}/replay", attempt.event_id), "Replay"),
            ]
        })
        .collect();
    let layout = Layout::new(&viewer, "Webhooks", "/webhooks");
    let sections = [
        Section::new("endpoints", "Endpoints").table(
            vec!["URL", "Status", "Events", "Disabled because"],
            rows,
            "No endpoints.",
        ),
        Section::new("attempts", "Newest delivery attempts").table(
            vec!["At", "Event", "Endpoint", "Outcome", "HTTP", "Latency", "Replay"],
            attempt_rows,
            "No deliveries yet.",
        ),
    ];
    view::page(&layout, "Webhooks", &sections)
}

/// `GET /webhooks/endpoints/{id}`: one endpoint's deliveries, each with "replay".
pub async fn endpoint(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Permission::ManageWebhooks)?;
    let id = WebhookEndpointId::parse(&id).map_err(|_| PageError::NotFound)?;
    let endpoint = state.store.get_webhook_endpoint(viewer.scope(), &id).await?;
    let deliveries = state.store.list_deliveries(viewer.scope(), &id, &PageRequest { limit: 100, after: None }).await?;
    let rows = deliveries
        .items
        .iter()
        .map(|delivery| {
            vec![
                Cell::text(time(delivery.created_at)),
                Cell::text(&delivery.event_type),
                Cell::code(&delivery.event_id),
                Cell::badge(&delivery.status, delivery_tone(&delivery.status)),
                Cell::text(delivery.attempts),
                Cell::text(delivery.last_status_code.map_or("—".into(), |code| code.to_string())),
                Cell::text(delivery.last_error.clone().unwrap_or_default()),
                Cell::button(format!("/webhooks/events/{}/replay", delivery.event_id), "Replay"),
            ]
        })
        .collect();
    let layout = Layout::new(&viewer, "Webhook endpoint", "/webhooks");
    let section = Section::new("deliveries", "Deliveries")
        .note(format!("Status: {}. {}", endpoint.status, endpoint.disabled_reason.clone().unwrap_or_default()))
        .table(
            vec!["Created", "Event", "Event id", "Status", "Attempts", "HTTP", "Last error", "Replay"],
            rows,
            "No deliveries.",
        );
    view::page(&layout, &endpoint.url, &[section])
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /webhooks/events/{id}/replay`.
pub async fn replay(
    State(state): State<AppState>,
    Path(id): Path<String>,
    submitted: Submitted<NoFields>,
) -> Result<Response, PageError> {
    let id = WebhookEventId::parse(&id).map_err(|_| PageError::NotFound)?;
    let requeued = hub_api::actions::replay_event(&state, &submitted.viewer.principal, &id, None).await?;
    tracing::info!(event = %id, requeued, "replayed from the dashboard");
    Ok(Redirect::to(&format!("/webhooks?replayed={id}")).into_response())
}
