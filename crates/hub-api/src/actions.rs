//! What the API's routes and the dashboard's buttons both do: one code path for each operation,
//! each checking the principal's permission and handing its scope to the store.

use chrono::{DateTime, Utc};
use hub_core::access::{Permission, Principal};
use hub_core::connection::Connection;
use hub_core::id::{ConnectionId, WebhookEventId};
use hub_core::records::SyncMode;
use hub_store::{ChangeContext, SyncRun};
use hub_sync::SyncTrigger;

use crate::AppState;
use crate::problem::ApiError;

fn require(principal: &Principal, permission: Permission) -> Result<(), ApiError> {
    if principal.may(permission) { Ok(()) } else { Err(ApiError::forbidden()) }
}

/// Asks for a sync of a connection in the principal's scope (`POST /v1/connections/{id}/sync`,
/// the dashboard's "sync now"). A sync already queued or running absorbs the request.
pub async fn request_sync(
    state: &AppState,
    principal: &Principal,
    id: &ConnectionId,
    mode: SyncMode,
) -> Result<SyncRun, ApiError> {
    require(principal, Permission::ManageConnections)?;
    let connection = state.store.get_connection(&principal.scope, id).await?;
    Ok(state.sync.request(&connection, mode, SyncTrigger::Api).await?)
}

/// Sends an event again to every endpoint in the principal's scope it was delivered to
/// (`POST /v1/events/{id}/replay`, the dashboard's "replay"); returns how many were requeued.
pub async fn replay_event(
    state: &AppState,
    principal: &Principal,
    id: &WebhookEventId,
    request_id: Option<String>,
) -> Result<u64, ApiError> {
    require(principal, Permission::ManageWebhooks)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let requeued = state.store.replay_webhook_event(&principal.scope, &ctx, id).await?;
    state.webhooks.dispatcher().wake();
    Ok(requeued)
}

/// Starts a fresh OAuth authorization of a connection in the principal's scope
/// (`POST /v1/connections/{id}/authorize`, the dashboard's "reconnect"): the provider URL to open.
pub async fn authorize_connection(
    state: &AppState,
    principal: &Principal,
    id: &ConnectionId,
) -> Result<(Connection, String), ApiError> {
    require(principal, Permission::ManageConnections)?;
    let connection = state.store.get_connection(&principal.scope, id).await?;
    let url = crate::routes::start_for(state, &connection, principal.subject.as_str()).await?;
    Ok((connection, url))
}

/// The circuit breaker over a connection's provider calls, as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircuitView {
    /// `closed`, `open` or `half_open`.
    pub circuit: String,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
}

/// The breaker state of `connection` (what `GET /v1/connections/{id}/health` reports).
pub fn circuit_of(state: &AppState, connection: &ConnectionId) -> CircuitView {
    let health = state.connections.client().health(&hub_resilience::ScopeKey::from(connection.to_string()));
    let circuit =
        serde_json::to_value(health.circuit).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    CircuitView {
        circuit,
        last_error: health.last_error,
        last_error_at: health.last_error_at,
        opened_at: health.opened_at,
    }
}
