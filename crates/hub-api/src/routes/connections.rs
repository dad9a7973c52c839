//! `/v1/connections`: a tenant's links to provider accounts. Tokens never leave in a response.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hub_connectors::catalog::AuthKind;
use hub_core::ErrorCode;
use hub_core::access::Permission;
use hub_core::connection::{Connection, ConnectionStatus};
use hub_core::id::{ConnectLinkId, ConnectionId, FranchiseeId, LocationId};
use hub_oauth::{OAuthApp, random_token, sha256_hex};
use hub_store::{ChangeContext, ConnectLink, ConnectionEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListQuery, ListResponse};
use crate::AppState;
use crate::extract::{Auth, Json, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};
use crate::providers::{definition, environment};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(get_connection, revoke_connection))
        .routes(routes!(refresh_connection))
        .routes(routes!(check_connection))
        .routes(routes!(connection_health))
        .routes(routes!(authorize_connection))
        .routes(routes!(create_link))
        .routes(routes!(connection_events))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateConnection {
    /// A provider id from `GET /v1/providers`.
    provider: String,
    franchisee_id: Option<FranchiseeId>,
    location_id: Option<LocationId>,
    /// `production` (default), `sandbox` or `emulator`.
    environment: Option<String>,
    /// For providers without OAuth: the key, or `username`/`password`, as the provider issues them.
    #[schema(value_type = Option<Object>)]
    credentials: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A connection, and where to authorize it when it waits for a person.
#[derive(Serialize, ToSchema)]
struct ConnectionResponse {
    #[serde(flatten)]
    connection: Connection,
    /// Open this in a browser to authorize (OAuth providers, while pending).
    #[serde(skip_serializing_if = "Option::is_none")]
    authorize_url: Option<String>,
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}/oauth/callback", state.public_url)
}

/// Resolves the OAuth app for an existing connection.
pub(crate) async fn app_for(state: &AppState, connection: &Connection) -> Result<OAuthApp, ApiError> {
    let definition = definition(&connection.provider)?;
    let environment = environment(&connection.environment)?;
    let (app, _) = state
        .providers
        .oauth_app(&*state.store, state.connections.vault(), &connection.network_id, definition, environment)
        .await?;
    Ok(app)
}

/// Starts a connection: OAuth providers answer with `authorize_url`; client-credential providers
/// connect at once; key-based providers take `credentials`.
#[utoipa::path(post, path = "/v1/connections", tag = "connections", request_body = CreateConnection,
    responses((status = 201, body = ConnectionResponse), (status = "4XX", body = Problem), (status = 502, body = Problem)))]
async fn create_connection(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateConnection>,
) -> Result<(StatusCode, axum::Json<ConnectionResponse>), ApiError> {
    let principal = auth.require(Permission::ManageConnections)?;
    let request = crate::actions::ConnectionRequest {
        provider: body.provider,
        franchisee_id: body.franchisee_id,
        location_id: body.location_id,
        environment: body.environment,
        credentials: body.credentials,
    };
    let (connection, authorize_url) = crate::actions::create_connection(&state, principal, request, request_id).await?;
    let response = ConnectionResponse { connection, authorize_url };
    Ok((StatusCode::CREATED, axum::Json(response)))
}

/// Lists the connections in the caller's scope.
#[utoipa::path(get, path = "/v1/connections", tag = "connections", params(ListQuery),
    responses((status = 200, body = ListResponse<Connection>), (status = "4XX", body = Problem)))]
async fn list_connections(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<Connection>>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(state.store.list_connections(&principal.scope, &query.page()?).await?.into()))
}

/// One connection: status, scopes, expiry, last error; never a token.
#[utoipa::path(get, path = "/v1/connections/{id}", tag = "connections", params(("id" = ConnectionId, Path)),
    responses((status = 200, body = Connection), (status = "4XX", body = Problem)))]
async fn get_connection(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<ConnectionId>,
) -> Result<axum::Json<Connection>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(state.store.get_connection(&principal.scope, &id).await?))
}

/// Forces a token refresh now. A refused refresh token moves the connection to
/// `needs_reauthorization` (answered 409).
#[utoipa::path(post, path = "/v1/connections/{id}/refresh", tag = "connections", params(("id" = ConnectionId, Path)),
    responses((status = 200, body = Connection), (status = "4XX", body = Problem), (status = 502, body = Problem)))]
async fn refresh_connection(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<ConnectionId>,
) -> Result<axum::Json<Connection>, ApiError> {
    let principal = auth.require(Permission::ManageConnections)?;
    let connection = state.store.get_connection(&principal.scope, &id).await?;
    let app = app_for(&state, &connection).await?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    state.connections.access_token(&connection, &app, &ctx, true).await?;
    Ok(axum::Json(state.store.get_connection(&principal.scope, &id).await?))
}

/// Makes sure the connection holds a usable access token, refreshing it first when it has
/// expired or is about to. Concurrent checks share one refresh.
#[utoipa::path(post, path = "/v1/connections/{id}/check", tag = "connections", params(("id" = ConnectionId, Path)),
    responses((status = 200, body = Connection), (status = "4XX", body = Problem), (status = 502, body = Problem)))]
async fn check_connection(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<ConnectionId>,
) -> Result<axum::Json<Connection>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    let connection = state.store.get_connection(&principal.scope, &id).await?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    if matches!(
        definition(&connection.provider)?.auth,
        AuthKind::OAuth2Code { .. } | AuthKind::ClientCredentials { .. } | AuthKind::MutualTlsOAuth { .. }
    ) {
        let app = app_for(&state, &connection).await?;
        state.connections.access_token(&connection, &app, &ctx, false).await?;
    }
    Ok(axum::Json(state.store.get_connection(&principal.scope, &id).await?))
}

/// A connection's health: its status, and the circuit breaker over its provider calls.
#[derive(Serialize, ToSchema)]
struct Health {
    status: ConnectionStatus,
    /// `closed` (calls flow), `open` (calls fail fast until a probe succeeds) or `half_open`.
    circuit: String,
    last_error: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
    circuit_opened_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    last_refreshed_at: Option<DateTime<Utc>>,
}

/// Status and circuit-breaker state of a connection's provider calls.
#[utoipa::path(get, path = "/v1/connections/{id}/health", tag = "connections", params(("id" = ConnectionId, Path)),
    responses((status = 200, body = Health), (status = "4XX", body = Problem)))]
async fn connection_health(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<ConnectionId>,
) -> Result<axum::Json<Health>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    let connection = state.store.get_connection(&principal.scope, &id).await?;
    let health = crate::actions::circuit_of(&state, &id);
    Ok(axum::Json(Health {
        status: connection.status,
        circuit: health.circuit,
        last_error: connection.last_error.or(health.last_error),
        last_error_at: health.last_error_at,
        circuit_opened_at: health.opened_at,
        expires_at: connection.expires_at,
        last_refreshed_at: connection.last_refreshed_at,
    }))
}

/// A new authorization for a pending connection or one that needs reauthorization.
#[utoipa::path(post, path = "/v1/connections/{id}/authorize", tag = "connections", params(("id" = ConnectionId, Path)),
    responses((status = 200, body = ConnectionResponse), (status = "4XX", body = Problem)))]
async fn authorize_connection(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<ConnectionId>,
) -> Result<axum::Json<ConnectionResponse>, ApiError> {
    let principal = auth.require(Permission::ManageConnections)?;
    let (connection, authorize_url) = crate::actions::authorize_connection(&state, principal, &id).await?;
    Ok(axum::Json(ConnectionResponse { connection, authorize_url: Some(authorize_url) }))
}

/// The provider URL that authorizes `connection`, refusing connections that cannot be.
pub(crate) async fn start_for(state: &AppState, connection: &Connection, started_by: &str) -> Result<String, ApiError> {
    if connection.status == ConnectionStatus::Revoked {
        return Err(ApiError::new(ErrorCode::Conflict, "the connection was revoked; create a new one"));
    }
    let definition = definition(&connection.provider)?;
    if !definition.uses_authorization_code() {
        return Err(ApiError::new(ErrorCode::Conflict, format!("{} is not authorized in a browser", definition.name)));
    }
    let app = app_for(state, connection).await?;
    Ok(state.connections.start_authorization(connection, &app, &redirect_uri(state), started_by).await?.authorize_url)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateLink {
    /// How long the link works, 1 to 720 hours (default 72).
    expires_in_hours: Option<u32>,
}

#[derive(Serialize, ToSchema)]
struct LinkResponse {
    id: ConnectLinkId,
    /// Send this to the shop owner: it authorizes the connection without an API key.
    url: String,
    expires_at: DateTime<Utc>,
}

/// A link a shop owner opens to authorize this connection, with no API key.
#[utoipa::path(post, path = "/v1/connections/{id}/link", tag = "connections", params(("id" = ConnectionId, Path)),
    request_body = Option<CreateLink>, responses((status = 201, body = LinkResponse), (status = "4XX", body = Problem)))]
async fn create_link(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<ConnectionId>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, axum::Json<LinkResponse>), ApiError> {
    let body: Option<CreateLink> = if body.is_empty() { None } else { Some(crate::extract::parse_json(&body)?) };
    let principal = auth.require(Permission::ManageConnections)?;
    let connection = state.store.get_connection(&principal.scope, &id).await?;
    if !definition(&connection.provider)?.uses_authorization_code() || connection.status == ConnectionStatus::Revoked {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "only OAuth connections that are not revoked can be authorized by link",
        ));
    }
    let hours = body.and_then(|body| body.expires_in_hours).unwrap_or(72);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::field("expires_in_hours", "must be between 1 and 720"));
    }
    let token = random_token();
    let link = ConnectLink {
        id: ConnectLinkId::new(),
        network_id: connection.network_id.clone(),
        connection_id: connection.id.clone(),
        created_by: principal.subject.as_str().to_owned(),
        expires_at: Utc::now() + chrono::Duration::hours(i64::from(hours)),
    };
    state.store.insert_connect_link(&sha256_hex(&token), &link).await?;
    let url = format!("{}/connect/{token}", state.public_url);
    Ok((StatusCode::CREATED, axum::Json(LinkResponse { id: link.id, url, expires_at: link.expires_at })))
}

#[derive(Serialize, ToSchema)]
struct RevokeResponse {
    #[serde(flatten)]
    connection: Connection,
    /// Whether the provider confirmed the revocation (false where it has no revocation endpoint
    /// or did not answer; the hub's copy of the credentials is deleted either way).
    provider_revoked: bool,
}

/// Disconnects: revokes at the provider when it supports it and deletes the credentials.
#[utoipa::path(delete, path = "/v1/connections/{id}", tag = "connections", params(("id" = ConnectionId, Path)),
    responses((status = 200, body = RevokeResponse), (status = "4XX", body = Problem)))]
async fn revoke_connection(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<ConnectionId>,
) -> Result<axum::Json<RevokeResponse>, ApiError> {
    let principal = auth.require(Permission::ManageConnections)?;
    let connection = state.store.get_connection(&principal.scope, &id).await?;
    let app = if definition(&connection.provider)?.uses_authorization_code() {
        app_for(&state, &connection).await.ok()
    } else {
        None
    };
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let (connection, provider_revoked) = state.connections.revoke(&connection, app.as_ref(), &ctx).await?;
    Ok(axum::Json(RevokeResponse { connection, provider_revoked }))
}

/// The connection's history, newest first.
#[utoipa::path(get, path = "/v1/connections/{id}/events", tag = "connections", params(("id" = ConnectionId, Path)),
    responses((status = 200, body = Vec<ConnectionEvent>), (status = "4XX", body = Problem)))]
async fn connection_events(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<ConnectionId>,
) -> Result<axum::Json<Vec<ConnectionEvent>>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    let connection = state.store.get_connection(&principal.scope, &id).await?;
    Ok(axum::Json(state.store.connection_events(&connection.network_id, &id, 100).await?))
}
