//! `/v1/api-keys`: machine credentials, shown once and stored only as a keyed hash.

use axum::extract::State;
use axum::http::StatusCode;
use hub_core::access::{ApiKey, NewApiKey, Permission, Role, TenantScope};
use hub_core::id::{ApiKeyId, FranchiseeId, LocationId};
use hub_store::ChangeContext;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListQuery, ListResponse};
use crate::AppState;
use crate::extract::{Auth, Json, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_api_keys, create_api_key)).routes(routes!(revoke_api_key))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateApiKey {
    role: Role,
    /// Scope the key to one franchisee (and its shops).
    franchisee_id: Option<FranchiseeId>,
    /// Scope the key to one shop. With neither, the key covers the whole network.
    location_id: Option<LocationId>,
    /// A label to recognise the key by.
    name: Option<String>,
}

/// A new key: the only response that ever carries `key`.
#[derive(Serialize, ToSchema)]
struct CreatedApiKey {
    #[serde(flatten)]
    api_key: ApiKey,
    /// The secret. Store it now: it is not shown again.
    key: String,
}

/// Creates a key within the caller's scope (network and franchisee admins).
#[utoipa::path(post, path = "/v1/api-keys", tag = "access", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = "4XX", body = Problem)))]
async fn create_api_key(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateApiKey>,
) -> Result<(StatusCode, axum::Json<CreatedApiKey>), ApiError> {
    let principal = auth.require(Permission::ManageApiKeys)?;
    let network = TenantScope::network(principal.scope.network_id.clone());
    let scope = super::scope_from_body(&state, principal, body.franchisee_id, body.location_id, network).await?;
    if !body.role.fits_scope(scope.kind()) {
        let needs = match body.role {
            Role::NetworkAdmin | Role::NetworkAnalyst => "a network-wide scope (no franchisee_id or location_id)",
            Role::FranchiseeAdmin => "a franchisee_id",
            Role::LocationManager => "a location_id",
            Role::Integration => "any scope",
        };
        return Err(ApiError::field("role", format!("a {} key needs {needs}", body.role)));
    }
    let name = body.name.map(|name| name.trim().to_owned()).filter(|name| !name.is_empty());
    if name.as_ref().is_some_and(|name| name.chars().count() > 200 || name.chars().any(char::is_control)) {
        return Err(ApiError::field("name", "must be at most 200 characters with no control characters"));
    }
    let generated = state.hasher.generate();
    let new = NewApiKey {
        role: body.role,
        scope,
        name,
        display_prefix: generated.display_prefix,
        secret_hash: generated.secret_hash,
        hash_key_id: generated.hash_key_id,
    };
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let api_key = state.store.create_api_key(&principal.scope, &ctx, new).await?;
    let created = CreatedApiKey { api_key, key: generated.secret.expose_secret().to_owned() };
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// Lists the keys in the caller's scope, revoked ones included; never their secrets.
#[utoipa::path(get, path = "/v1/api-keys", tag = "access", params(ListQuery),
    responses((status = 200, body = ListResponse<ApiKey>), (status = "4XX", body = Problem)))]
async fn list_api_keys(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<ApiKey>>, ApiError> {
    let principal = auth.require(Permission::ManageApiKeys)?;
    Ok(axum::Json(state.store.list_api_keys(&principal.scope, &query.page()?).await?.into()))
}

/// Revokes a key; it stops working at once.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "access", params(("id" = ApiKeyId, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn revoke_api_key(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<ApiKeyId>,
) -> Result<StatusCode, ApiError> {
    let principal = auth.require(Permission::ManageApiKeys)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    state.store.revoke_api_key(&principal.scope, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
