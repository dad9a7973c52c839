//! `/v1/webhook-endpoints`: subscribers' endpoints. Creating one answers its `whsec_` secret once;
//! the URL must resolve to public addresses (unless allow-listed); the scope (franchisee,
//! location or territory) must lie within the caller's; the subscriber's role decides whether
//! payloads carry customer PII.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hub_core::access::{Permission, Role, TenantScope};
use hub_core::id::{FranchiseeId, LocationId, TerritoryId, WebhookEndpointId};
use hub_store::{ChangeContext, EndpointScope, WebhookEndpoint};
use hub_webhooks::outbound::{EndpointDirectory, EndpointRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::webhooks_sources::overlap;
use super::{ListQuery, ListResponse, scope_from_body};
use crate::AppState;
use crate::extract::{Auth, Json, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_endpoint, list_endpoints))
        .routes(routes!(get_endpoint, delete_endpoint))
        .routes(routes!(rotate_endpoint_secret))
        .routes(routes!(recover_endpoint))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateEndpoint {
    /// Where deliveries are POSTed (http or https).
    url: String,
    /// The event types it receives (see `GET /v1/event-types`); empty or absent: every type.
    #[serde(default)]
    event_types: Vec<String>,
    /// Only events of this franchisee's shops.
    franchisee_id: Option<FranchiseeId>,
    /// Only events of this shop.
    location_id: Option<LocationId>,
    /// Only events of shops in this territory (or territories inside it).
    territory_id: Option<TerritoryId>,
    description: Option<String>,
    /// The subscriber's role (default: the caller's). Roles that see aggregates only
    /// (`network_analyst`) receive payloads without customer PII.
    role: Option<Role>,
    /// At most this many deliveries per second, 1 to 10,000 (default: unlimited).
    rate_limit_per_second: Option<u32>,
    /// Deliver in order, one at a time (default false).
    ordered: Option<bool>,
}

/// Which part of the hierarchy an endpoint hears about.
#[derive(Serialize, ToSchema)]
struct ScopeView {
    /// `network`, `franchisee`, `location` or `territory`.
    kind: &'static str,
    franchisee_id: Option<FranchiseeId>,
    location_id: Option<LocationId>,
    territory_id: Option<TerritoryId>,
}

/// A webhook endpoint (its secrets are never shown after creation or rotation).
#[derive(Serialize, ToSchema)]
struct EndpointView {
    id: WebhookEndpointId,
    url: String,
    description: Option<String>,
    event_types: Vec<String>,
    scope: ScopeView,
    role: Role,
    rate_limit_per_second: Option<u32>,
    ordered: bool,
    /// `enabled` or `disabled` (after failing for five days; recover re-enables).
    status: String,
    disabled_reason: Option<String>,
    failing_since: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<WebhookEndpoint> for EndpointView {
    fn from(endpoint: WebhookEndpoint) -> Self {
        let scope = match endpoint.scope {
            EndpointScope::Network => {
                ScopeView { kind: "network", franchisee_id: None, location_id: None, territory_id: None }
            }
            EndpointScope::Franchisee(franchisee) => {
                ScopeView { kind: "franchisee", franchisee_id: Some(franchisee), location_id: None, territory_id: None }
            }
            EndpointScope::Location { franchisee_id, location_id } => ScopeView {
                kind: "location",
                franchisee_id: Some(franchisee_id),
                location_id: Some(location_id),
                territory_id: None,
            },
            EndpointScope::Territory(territory) => {
                ScopeView { kind: "territory", franchisee_id: None, location_id: None, territory_id: Some(territory) }
            }
        };
        Self {
            id: endpoint.id,
            url: endpoint.url,
            description: endpoint.description,
            event_types: endpoint.event_types,
            scope,
            role: endpoint.role,
            rate_limit_per_second: endpoint.rate_limit_per_second,
            ordered: endpoint.ordered,
            status: endpoint.status,
            disabled_reason: endpoint.disabled_reason,
            failing_since: endpoint.failing_since,
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

/// An endpoint with its signing secret, shown once.
#[derive(Serialize, ToSchema)]
struct EndpointWithSecret {
    /// `whsec_…`: verify deliveries with it (Standard Webhooks). Not shown again.
    secret: String,
    #[serde(flatten)]
    endpoint: EndpointView,
}

fn refusal(refusal: hub_webhooks::outbound::EndpointRefusal) -> ApiError {
    ApiError::field(refusal.field, refusal.reason)
}

/// Registers an endpoint; answers it with its `whsec_` secret (shown once).
#[utoipa::path(post, path = "/v1/webhook-endpoints", tag = "webhooks", request_body = CreateEndpoint,
    responses((status = 201, body = EndpointWithSecret), (status = "4XX", body = Problem)))]
async fn create_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateEndpoint>,
) -> Result<(StatusCode, axum::Json<EndpointWithSecret>), ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    EndpointDirectory::check_event_types(&body.event_types).map_err(refusal)?;
    if body.description.as_ref().is_some_and(|text| text.len() > 500) {
        return Err(ApiError::field("description", "must be at most 500 characters"));
    }
    if let Some(rate) = body.rate_limit_per_second
        && !(1..=10_000).contains(&rate)
    {
        return Err(ApiError::field("rate_limit_per_second", "must be between 1 and 10000"));
    }
    let role = body.role.unwrap_or(principal.role);
    // A subscriber never sees more than the key that registered it.
    if role != principal.role && role.allows(Permission::ReadCustomerPii) {
        return Err(ApiError::field("role", "must be your own role or one that sees no customer PII"));
    }
    let scope = match body.territory_id {
        Some(territory) => {
            if body.franchisee_id.is_some() || body.location_id.is_some() {
                return Err(ApiError::field("territory_id", "give one of franchisee_id, location_id or territory_id"));
            }
            if principal.scope.franchisee_id.is_some() {
                return Err(ApiError::field(
                    "territory_id",
                    "only keys scoped to the network may subscribe to a territory",
                ));
            }
            state
                .store
                .get_territory(&principal.scope, &territory)
                .await
                .map_err(|_| ApiError::field("territory_id", "no such territory"))?;
            EndpointScope::Territory(territory)
        }
        None => {
            let tenant =
                scope_from_body(&state, principal, body.franchisee_id, body.location_id, principal.scope.clone())
                    .await?;
            endpoint_scope(&tenant)
        }
    };
    let url = state.webhooks.endpoints().check_url(&body.url).await.map_err(refusal)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let request = EndpointRequest {
        url: url.to_string(),
        description: body.description,
        event_types: body.event_types,
        scope,
        role,
        rate_limit_per_second: body.rate_limit_per_second,
        ordered: body.ordered.unwrap_or(false),
    };
    let (endpoint, secret) = state.webhooks.endpoints().register(&principal.scope, &ctx, request).await?;
    Ok((StatusCode::CREATED, axum::Json(EndpointWithSecret { secret, endpoint: endpoint.into() })))
}

fn endpoint_scope(scope: &TenantScope) -> EndpointScope {
    match (&scope.franchisee_id, &scope.location_id) {
        (Some(franchisee_id), Some(location_id)) => {
            EndpointScope::Location { franchisee_id: franchisee_id.clone(), location_id: location_id.clone() }
        }
        (Some(franchisee_id), None) => EndpointScope::Franchisee(franchisee_id.clone()),
        _ => EndpointScope::Network,
    }
}

/// Endpoints in the caller's scope.
#[utoipa::path(get, path = "/v1/webhook-endpoints", tag = "webhooks", params(ListQuery),
    responses((status = 200, body = ListResponse<EndpointView>), (status = "4XX", body = Problem)))]
async fn list_endpoints(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<EndpointView>>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let page = state.store.list_webhook_endpoints(&principal.scope, &query.page()?).await?;
    Ok(axum::Json(page.map(EndpointView::from).into()))
}

/// One endpoint.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}", tag = "webhooks", params(("id" = WebhookEndpointId, Path)),
    responses((status = 200, body = EndpointView), (status = "4XX", body = Problem)))]
async fn get_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<WebhookEndpointId>,
) -> Result<axum::Json<EndpointView>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    Ok(axum::Json(state.store.get_webhook_endpoint(&principal.scope, &id).await?.into()))
}

/// Deletes an endpoint and its pending deliveries.
#[utoipa::path(delete, path = "/v1/webhook-endpoints/{id}", tag = "webhooks", params(("id" = WebhookEndpointId, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<WebhookEndpointId>,
) -> Result<StatusCode, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    state.store.delete_webhook_endpoint(&principal.scope, &ctx, &id).await?;
    state.webhooks.dispatcher().forget(&principal.scope.network_id, &id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RotateEndpointSecret {
    /// How long the current secret keeps signing beside the new one, 0 to 2,592,000 seconds
    /// (default 86,400).
    overlap_seconds: Option<u64>,
}

/// A new `whsec_` secret (shown once); deliveries carry both signatures during the overlap.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/rotate-secret", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path)), request_body = Option<RotateEndpointSecret>,
    responses((status = 200, body = EndpointWithSecret), (status = "4XX", body = Problem)))]
async fn rotate_endpoint_secret(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<WebhookEndpointId>,
    body: axum::body::Bytes,
) -> Result<axum::Json<EndpointWithSecret>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let request: RotateEndpointSecret = if body.is_empty() {
        RotateEndpointSecret { overlap_seconds: None }
    } else {
        crate::extract::parse_json(&body)?
    };
    let overlap = overlap(request.overlap_seconds)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let (endpoint, secret) = state.webhooks.endpoints().rotate(&principal.scope, &ctx, &id, overlap).await?;
    state.webhooks.dispatcher().forget(&principal.scope.network_id, &id);
    Ok(axum::Json(EndpointWithSecret { secret, endpoint: endpoint.into() }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Recover {
    /// Every delivery to the endpoint that failed for good and was made at or after this instant
    /// (RFC 3339) is sent again.
    since: DateTime<Utc>,
}

/// How many deliveries were queued again.
#[derive(Serialize, ToSchema)]
pub(crate) struct Requeued {
    pub requeued: u64,
}

/// Re-enables the endpoint and sends again everything that failed since a time.
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/recover", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path)), request_body = Recover,
    responses((status = 202, body = Requeued), (status = "4XX", body = Problem)))]
async fn recover_endpoint(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<WebhookEndpointId>,
    Json(body): Json<Recover>,
) -> Result<(StatusCode, axum::Json<Requeued>), ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    if body.since > Utc::now() {
        return Err(ApiError::field("since", "must not be in the future"));
    }
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let requeued = state.store.recover_webhook_endpoint(&principal.scope, &ctx, &id, body.since).await?;
    state.webhooks.dispatcher().forget(&principal.scope.network_id, &id);
    state.webhooks.dispatcher().wake();
    Ok((StatusCode::ACCEPTED, axum::Json(Requeued { requeued })))
}
