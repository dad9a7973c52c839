//! `/v1/webhook-sources`: where providers deliver events to the hub. Creating one answers the
//! inbound URL to register at the provider (its token is shown only then); secrets are sealed
//! and never returned; rotation keeps the old secret valid for an overlap.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hub_core::access::{Permission, TenantScope};
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, WebhookSourceId};
use hub_store::{ChangeContext, InboundEvent, SecretPurpose, WebhookSource};
use hub_webhooks::inbound::sources::SourceRegistration;
use hub_webhooks::{Scheme, SigningSecret, WebhookSecret};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListQuery, ListResponse};
use crate::AppState;
use crate::extract::{Auth, Json, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};

/// The longest secret accepted (SendGrid's DER public key is the longest real one).
const MAX_SECRET: usize = 4096;
/// The default overlap during which a rotated-out secret still verifies.
const DEFAULT_OVERLAP: Duration = Duration::from_secs(24 * 3600);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_source, list_sources))
        .routes(routes!(get_source, delete_source))
        .routes(routes!(rotate_source_secret))
        .routes(routes!(list_source_events))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateSource {
    /// The provider's catalog id (`stripe`, `square`, `quickbooks-online`, `hubspot`, `twilio`,
    /// `sendgrid`, `meta`, `clover`, `clover-hosted-checkout`, `toast`, `google-calendar`,
    /// `standard-webhooks`, `fransmart`, `ifpg`).
    provider: String,
    /// The secret as the provider shows it (for SendGrid, the verification public key).
    secret: String,
    /// The connection the events are for: they are processed as targeted syncs of it.
    connection_id: Option<ConnectionId>,
    /// The URL the provider calls and signs, when it is not the hub's own public URL (behind a
    /// proxy). Square, Twilio and HubSpot sign it.
    notification_url: Option<String>,
    /// Meta only: the verify token of the subscription handshake.
    verify_token: Option<String>,
}

/// A webhook source (its secrets are never shown).
#[derive(Serialize, ToSchema)]
struct SourceView {
    id: WebhookSourceId,
    provider: String,
    connection_id: Option<ConnectionId>,
    franchisee_id: Option<FranchiseeId>,
    location_id: Option<LocationId>,
    notification_url: Option<String>,
    /// How many secrets verify now (two during a rotation's overlap).
    live_secrets: usize,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<WebhookSource> for SourceView {
    fn from(source: WebhookSource) -> Self {
        let now = Utc::now();
        Self {
            live_secrets: source
                .secrets
                .iter()
                .filter(|secret| secret.purpose == SecretPurpose::Signing && secret.is_live(now))
                .count(),
            id: source.id,
            provider: source.provider,
            connection_id: source.connection_id,
            franchisee_id: source.franchisee_id,
            location_id: source.location_id,
            notification_url: source.notification_url,
            created_at: source.created_at,
            updated_at: source.updated_at,
        }
    }
}

/// A new source: the URL to register at the provider (shown once).
#[derive(Serialize, ToSchema)]
struct CreatedSource {
    id: WebhookSourceId,
    /// Register exactly this URL with the provider (the `notification_url` when one was given).
    url: String,
    /// The hub's own URL for the source, with its token (what a proxy at `notification_url`
    /// forwards to). Neither is shown again.
    hub_url: String,
    #[serde(flatten)]
    source: SourceView,
}

fn secret_field(field: &'static str, scheme: Scheme, text: String) -> Result<WebhookSecret, ApiError> {
    if text.len() > MAX_SECRET {
        return Err(ApiError::field(field, format!("must be at most {MAX_SECRET} characters")));
    }
    if scheme == Scheme::StandardWebhooks {
        SigningSecret::parse(&text)
            .map_err(|_| ApiError::field(field, "must be a whsec_<base64> secret of 24 to 64 bytes"))?;
    }
    WebhookSecret::new(text).map_err(|_| ApiError::field(field, "must not be empty"))
}

fn url_field(text: &str) -> Result<(), ApiError> {
    let url =
        url::Url::parse(text).map_err(|error| ApiError::field("notification_url", format!("is not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ApiError::field("notification_url", "must be an http(s) URL with a host"));
    }
    Ok(())
}

/// Registers a webhook source; answers the URL the provider must call.
#[utoipa::path(post, path = "/v1/webhook-sources", tag = "webhooks", request_body = CreateSource,
    responses((status = 201, body = CreatedSource), (status = "4XX", body = Problem)))]
async fn create_source(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateSource>,
) -> Result<(StatusCode, axum::Json<CreatedSource>), ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let scheme = Scheme::for_provider(&body.provider).map_err(|_| {
        ApiError::field("provider", format!("`{}` sends no webhooks the hub can verify", body.provider))
    })?;
    let secret = secret_field("secret", scheme, body.secret)?;
    let verify_token = match (body.verify_token, scheme) {
        (None, _) => None,
        (Some(token), Scheme::Meta) => Some(secret_field("verify_token", scheme, token)?),
        (Some(_), _) => return Err(ApiError::field("verify_token", "only Meta sources have a verify token")),
    };
    if let Some(url) = &body.notification_url {
        url_field(url)?;
    }
    let (franchisee_id, location_id) = match &body.connection_id {
        Some(id) => {
            let connection = state
                .store
                .get_connection(&principal.scope, id)
                .await
                .map_err(|_| ApiError::field("connection_id", "no such connection"))?;
            if connection.provider != body.provider && !provider_matches(&body.provider, &connection.provider) {
                return Err(ApiError::field(
                    "connection_id",
                    format!("the connection is to {}, not {}", connection.provider, body.provider),
                ));
            }
            (connection.franchisee_id, connection.location_id)
        }
        None => (principal.scope.franchisee_id.clone(), principal.scope.location_id.clone()),
    };
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let registration = SourceRegistration {
        provider: body.provider.clone(),
        secret,
        verify_token,
        connection_id: body.connection_id,
        franchisee_id,
        location_id,
        notification_url: body.notification_url,
    };
    let (source, token) = state.webhooks.inbound().sources().register(&principal.scope, &ctx, registration).await?;
    let hub_url = state.webhooks.inbound().url_for(&body.provider, &token);
    let url = source.notification_url.clone().unwrap_or_else(|| hub_url.clone());
    Ok((StatusCode::CREATED, axum::Json(CreatedSource { id: source.id.clone(), url, hub_url, source: source.into() })))
}

/// Clover Hosted Checkout sources belong to Clover connections.
fn provider_matches(source: &str, connection: &str) -> bool {
    source == hub_webhooks::CLOVER_HOSTED_CHECKOUT && connection == "clover"
}

/// Webhook sources in the caller's scope.
#[utoipa::path(get, path = "/v1/webhook-sources", tag = "webhooks", params(ListQuery),
    responses((status = 200, body = ListResponse<SourceView>), (status = "4XX", body = Problem)))]
async fn list_sources(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<SourceView>>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let page = state.store.list_webhook_sources(&principal.scope, &query.page()?).await?;
    Ok(axum::Json(page.map(SourceView::from).into()))
}

/// One webhook source.
#[utoipa::path(get, path = "/v1/webhook-sources/{id}", tag = "webhooks", params(("id" = WebhookSourceId, Path)),
    responses((status = 200, body = SourceView), (status = "4XX", body = Problem)))]
async fn get_source(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<WebhookSourceId>,
) -> Result<axum::Json<SourceView>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    Ok(axum::Json(state.store.get_webhook_source(&principal.scope, &id).await?.into()))
}

/// Deletes a webhook source: its URL stops answering. Stored deliveries stay.
#[utoipa::path(delete, path = "/v1/webhook-sources/{id}", tag = "webhooks", params(("id" = WebhookSourceId, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_source(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<WebhookSourceId>,
) -> Result<StatusCode, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    state.store.delete_webhook_source(&principal.scope, &ctx, &id).await?;
    state.webhooks.inbound().sources().forget(&id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RotateSourceSecret {
    /// The provider's new secret.
    secret: String,
    /// How long the current secret keeps verifying, 0 to 2,592,000 seconds (default 86,400).
    overlap_seconds: Option<u64>,
    /// `signing` (default) or, for Meta, `verify_token`.
    purpose: Option<String>,
}

/// Adds the provider's new secret; the current one keeps verifying for the overlap.
#[utoipa::path(post, path = "/v1/webhook-sources/{id}/rotate-secret", tag = "webhooks",
    params(("id" = WebhookSourceId, Path)), request_body = RotateSourceSecret,
    responses((status = 200, body = SourceView), (status = "4XX", body = Problem)))]
async fn rotate_source_secret(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<WebhookSourceId>,
    Json(body): Json<RotateSourceSecret>,
) -> Result<axum::Json<SourceView>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let overlap = overlap(body.overlap_seconds)?;
    let source = state.store.get_webhook_source(&principal.scope, &id).await?;
    let scheme =
        Scheme::for_provider(&source.provider).map_err(|error| ApiError::new(error.code(), error.to_string()))?;
    let purpose = match body.purpose.as_deref() {
        None | Some("signing") => SecretPurpose::Signing,
        Some("verify_token") if scheme == Scheme::Meta => SecretPurpose::VerifyToken,
        Some(_) => return Err(ApiError::field("purpose", "must be `signing`, or `verify_token` for Meta")),
    };
    let secret = secret_field("secret", scheme, body.secret)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let sources = state.webhooks.inbound().sources();
    let updated = sources.rotate(&principal.scope, &ctx, &id, purpose, &secret, overlap).await?;
    Ok(axum::Json(updated.into()))
}

/// The overlap of a rotation, bounded to 30 days.
pub(crate) fn overlap(seconds: Option<u64>) -> Result<Duration, ApiError> {
    match seconds {
        None => Ok(DEFAULT_OVERLAP),
        Some(seconds) if seconds <= 30 * 24 * 3600 => Ok(Duration::from_secs(seconds)),
        Some(_) => Err(ApiError::field("overlap_seconds", "must be at most 2592000 (30 days)")),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Items per page, 1 to 500 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The deliveries a source stored, newest first: ids, dedup key, processing status.
#[utoipa::path(get, path = "/v1/webhook-sources/{id}/events", tag = "webhooks",
    params(("id" = WebhookSourceId, Path), EventsQuery),
    responses((status = 200, body = ListResponse<InboundEvent>), (status = "4XX", body = Problem)))]
async fn list_source_events(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<WebhookSourceId>,
    Query(query): Query<EventsQuery>,
) -> Result<axum::Json<ListResponse<InboundEvent>>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let page = hub_core::page::PageRequest::from_query(query.limit, query.cursor.as_deref())?;
    let scope: &TenantScope = &principal.scope;
    Ok(axum::Json(state.store.list_inbound_events(scope, &id, &page).await?.into()))
}
