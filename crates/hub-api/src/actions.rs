//! What the API's routes and the dashboard's buttons both do: one code path for each operation,
//! each checking the principal's permission and handing its scope to the store.

use chrono::{DateTime, Utc};
use hub_connectors::catalog::AuthKind;
use hub_core::access::{Permission, Principal};
use hub_core::connection::Connection;
use hub_core::connection::ConnectionStatus;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, WebhookEventId};
use hub_core::records::SyncMode;
use hub_store::{ChangeContext, NewConnection, SyncRun};

use crate::providers::{definition, environment};
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

/// A connection to create (the body of `POST /v1/connections`, or the dashboard's form).
#[derive(Debug, Clone, Default)]
pub struct ConnectionRequest {
    pub provider: String,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub environment: Option<String>,
    pub credentials: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Creates a connection in the principal's scope. OAuth providers come back with the provider's
/// authorize URL to open; client-credential providers connect at once; key-based providers take
/// `credentials`.
pub async fn create_connection(
    state: &AppState,
    principal: &Principal,
    request: ConnectionRequest,
    request_id: Option<String>,
) -> Result<(Connection, Option<String>), ApiError> {
    require(principal, Permission::ManageConnections)?;
    let definition = definition(&request.provider)?;
    let environment = match &request.environment {
        Some(name) => environment(name)?,
        None => state.providers.default_environment,
    };
    let own = principal.scope.clone();
    let scope =
        crate::routes::scope_from_body(state, principal, request.franchisee_id, request.location_id, own).await?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let id = ConnectionId::new();
    let oauth = matches!(
        definition.auth,
        AuthKind::OAuth2Code { .. } | AuthKind::ClientCredentials { .. } | AuthKind::MutualTlsOAuth { .. }
    );
    let (app, sealed_credentials) = if oauth {
        if request.credentials.is_some() {
            return Err(ApiError::field(
                "credentials",
                format!("{} connects through OAuth; send no credentials", definition.name),
            ));
        }
        let (app, _) = state
            .providers
            .oauth_app(&*state.store, state.connections.vault(), &scope.network_id, definition, environment)
            .await?;
        (Some(app), None)
    } else {
        let credentials = request.credentials.filter(|map| !map.is_empty()).ok_or_else(|| {
            ApiError::field("credentials", format!("{} needs credentials (its key or login)", definition.name))
        })?;
        let plaintext =
            serde_json::to_vec(&credentials).map_err(|_| ApiError::field("credentials", "must be a JSON object"))?;
        let sealed = state
            .connections
            .vault()
            .seal(&scope.network_id, id.as_str(), &plaintext)
            .await
            .map_err(hub_oauth::OAuthError::from)?;
        (None, Some(sealed))
    };
    let new = NewConnection {
        provider: definition.id.to_owned(),
        environment: environment.as_str().to_owned(),
        scopes: app.as_ref().map(|app| app.scopes.clone()).unwrap_or_default(),
        status: if sealed_credentials.is_some() { ConnectionStatus::Active } else { ConnectionStatus::Pending },
        sealed_credentials,
        scope,
    };
    let connection = state.store.create_connection(&principal.scope, &ctx, &id, new).await?;
    let response = match (&definition.auth, app) {
        (AuthKind::OAuth2Code { .. }, Some(app)) => {
            let start = state
                .connections
                .start_authorization(
                    &connection,
                    &app,
                    &format!("{}/oauth/callback", state.public_url),
                    principal.subject.as_str(),
                )
                .await?;
            (connection, Some(start.authorize_url))
        }
        (_, Some(app)) => {
            let connection = state.connections.connect_client_credentials(&connection, &app, &ctx).await?;
            (connection, None)
        }
        (_, None) => (connection, None),
    };
    Ok(response)
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
