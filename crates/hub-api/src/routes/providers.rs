//! `/v1/providers`: the catalog, and a network's own app and URL settings per provider.

use axum::extract::State;
use chrono::Utc;
use hub_connectors::catalog::{self, ProviderDefinition};
use hub_core::access::Permission;
use hub_store::{ChangeContext, ProviderSettingsRecord};
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{Auth, Json, Path, RequestId};
use crate::problem::{ApiError, Problem};
use crate::providers::{ProviderOverride, definition, settings_owner};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_providers)).routes(routes!(update_settings))
}

#[derive(Serialize, ToSchema)]
struct ProviderList {
    data: Vec<ProviderDefinition>,
}

/// Every provider the hub knows: auth, endpoints, limits, signature schemes, models.
#[utoipa::path(get, path = "/v1/providers", tag = "connections",
    responses((status = 200, body = ProviderList), (status = "4XX", body = Problem)))]
async fn list_providers(auth: Auth) -> Result<axum::Json<ProviderList>, ApiError> {
    auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(ProviderList { data: catalog::catalog().to_vec() }))
}

#[derive(Serialize, ToSchema)]
struct SettingsResponse {
    provider: String,
    #[serde(flatten)]
    settings: ProviderOverride,
    /// Whether a client secret is stored (it is never returned).
    client_secret_set: bool,
}

fn check_url(field: &str, url: &Option<String>) -> Result<(), ApiError> {
    if let Some(url) = url {
        let parsed = reqwest::Url::parse(url).map_err(|_| ApiError::field(field, "must be an absolute URL"))?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
            return Err(ApiError::field(field, "must be an http(s) URL with a host"));
        }
    }
    Ok(())
}

/// Sets the network's own OAuth app (client id and secret) and URL overrides for a provider:
/// Salesforce My Domain and sandboxes, Clover regions, per-tenant FranConnect hosts, or any
/// standards-compliant OAuth 2.0 server. Fields not sent keep their value.
#[utoipa::path(patch, path = "/v1/providers/{id}/settings", tag = "connections", params(("id" = String, Path)),
    request_body = ProviderOverride, responses((status = 200, body = SettingsResponse), (status = "4XX", body = Problem)))]
async fn update_settings(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(provider): Path<String>,
    Json(body): Json<ProviderOverride>,
) -> Result<axum::Json<SettingsResponse>, ApiError> {
    let principal = auth.require(Permission::ManageProviderSettings)?;
    if body.requests_per_second.is_some() {
        return Err(ApiError::field("requests_per_second", "is set in the operator's configuration, not per network"));
    }
    let definition =
        definition(&provider).map_err(|_| ApiError::new(hub_core::ErrorCode::NotFound, "no such provider"))?;
    for (field, url) in [
        ("authorize_url", &body.authorize_url),
        ("token_url", &body.token_url),
        ("revoke_url", &body.revoke_url),
        ("api_base", &body.api_base),
    ] {
        check_url(field, url)?;
    }
    let network_id = &principal.scope.network_id;
    let existing = state.store.provider_settings(network_id, definition.id).await?;
    let mut merged: ProviderOverride = match &existing {
        Some(record) => serde_json::from_value(record.settings.clone()).unwrap_or_default(),
        None => ProviderOverride::default(),
    };
    for (target, value) in [
        (&mut merged.client_id, body.client_id),
        (&mut merged.authorize_url, body.authorize_url),
        (&mut merged.token_url, body.token_url),
        (&mut merged.revoke_url, body.revoke_url),
        (&mut merged.api_base, body.api_base),
    ] {
        if value.is_some() {
            *target = value;
        }
    }
    let sealed_client_secret = match &body.client_secret {
        Some(secret) => Some(
            state
                .connections
                .vault()
                .seal(network_id, &settings_owner(definition.id), secret.expose_secret().as_bytes())
                .await
                .map_err(hub_oauth::OAuthError::from)?,
        ),
        None => existing.and_then(|record| record.sealed_client_secret),
    };
    let record = ProviderSettingsRecord {
        provider: definition.id.to_owned(),
        settings: serde_json::to_value(&merged).map_err(|_| ApiError::field("settings", "could not be stored"))?,
        sealed_client_secret,
        updated_at: Utc::now(),
    };
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    state.store.put_provider_settings(network_id, &ctx, &record).await?;
    Ok(axum::Json(SettingsResponse {
        provider: definition.id.to_owned(),
        settings: merged,
        client_secret_set: record.sealed_client_secret.is_some(),
    }))
}
