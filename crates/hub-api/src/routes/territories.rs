//! `/v1/territories`: reporting groups of locations, which may nest.

use axum::extract::State;
use axum::http::StatusCode;
use hub_core::access::Permission;
use hub_core::id::TerritoryId;
use hub_core::tenancy::{Name, NewTerritory, Territory, TerritoryChanges};
use hub_store::ChangeContext;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListQuery, ListResponse, double_option};
use crate::AppState;
use crate::extract::{Auth, Json, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_territories, create_territory)).routes(routes!(
        get_territory,
        update_territory,
        delete_territory
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateTerritory {
    name: Name,
    /// The territory this one sits in (a region), if any.
    parent_id: Option<TerritoryId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateTerritory {
    name: Option<Name>,
    /// A territory to move under, or null for the top level.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<TerritoryId>)]
    parent_id: Option<Option<TerritoryId>>,
}

/// Creates a territory (network admins).
#[utoipa::path(post, path = "/v1/territories", tag = "tenancy", request_body = CreateTerritory,
    responses((status = 201, body = Territory), (status = "4XX", body = Problem)))]
async fn create_territory(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateTerritory>,
) -> Result<(StatusCode, axum::Json<Territory>), ApiError> {
    let principal = auth.require(Permission::ManageTerritories)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let new = NewTerritory { name: body.name, parent_id: body.parent_id };
    Ok((StatusCode::CREATED, axum::Json(state.store.create_territory(&principal.scope, &ctx, new).await?)))
}

/// Lists the network's territories.
#[utoipa::path(get, path = "/v1/territories", tag = "tenancy", params(ListQuery),
    responses((status = 200, body = ListResponse<Territory>), (status = "4XX", body = Problem)))]
async fn list_territories(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<Territory>>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(state.store.list_territories(&principal.scope, &query.page()?).await?.into()))
}

/// One territory.
#[utoipa::path(get, path = "/v1/territories/{id}", tag = "tenancy", params(("id" = TerritoryId, Path)),
    responses((status = 200, body = Territory), (status = "4XX", body = Problem)))]
async fn get_territory(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<TerritoryId>,
) -> Result<axum::Json<Territory>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(state.store.get_territory(&principal.scope, &id).await?))
}

/// Renames or moves a territory (network admins); a move that would make a loop is refused.
#[utoipa::path(patch, path = "/v1/territories/{id}", tag = "tenancy", params(("id" = TerritoryId, Path)),
    request_body = UpdateTerritory, responses((status = 200, body = Territory), (status = "4XX", body = Problem)))]
async fn update_territory(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<TerritoryId>,
    Json(body): Json<UpdateTerritory>,
) -> Result<axum::Json<Territory>, ApiError> {
    let principal = auth.require(Permission::ManageTerritories)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let changes = TerritoryChanges { name: body.name, parent_id: body.parent_id };
    Ok(axum::Json(state.store.update_territory(&principal.scope, &ctx, &id, changes).await?))
}

/// Deletes an empty territory (network admins).
#[utoipa::path(delete, path = "/v1/territories/{id}", tag = "tenancy", params(("id" = TerritoryId, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_territory(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<TerritoryId>,
) -> Result<StatusCode, ApiError> {
    let principal = auth.require(Permission::ManageTerritories)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    state.store.delete_territory(&principal.scope, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
