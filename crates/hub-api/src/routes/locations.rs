//! `/v1/locations`: the shops.

use axum::extract::State;
use axum::http::StatusCode;
use hub_core::access::Permission;
use hub_core::id::{FranchiseeId, LocationId, TerritoryId};
use hub_core::tenancy::{Location, LocationChanges, Name, NewLocation, TimeZone};
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
    OpenApiRouter::new().routes(routes!(list_locations, create_location)).routes(routes!(
        get_location,
        update_location,
        delete_location
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateLocation {
    franchisee_id: FranchiseeId,
    name: Name,
    /// IANA time zone; sets the shop's business-day boundaries.
    time_zone: TimeZone,
    territory_id: Option<TerritoryId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateLocation {
    name: Option<Name>,
    time_zone: Option<TimeZone>,
    /// A territory to move into, or null for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<TerritoryId>)]
    territory_id: Option<Option<TerritoryId>>,
}

/// Creates a location for a franchisee in the caller's scope (network and franchisee admins).
#[utoipa::path(post, path = "/v1/locations", tag = "tenancy", request_body = CreateLocation,
    responses((status = 201, body = Location), (status = "4XX", body = Problem)))]
async fn create_location(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateLocation>,
) -> Result<(StatusCode, axum::Json<Location>), ApiError> {
    let principal = auth.require(Permission::ManageLocations)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let new = NewLocation {
        franchisee_id: body.franchisee_id,
        name: body.name,
        time_zone: body.time_zone,
        territory_id: body.territory_id,
    };
    Ok((StatusCode::CREATED, axum::Json(state.store.create_location(&principal.scope, &ctx, new).await?)))
}

/// Lists the locations in the caller's scope.
#[utoipa::path(get, path = "/v1/locations", tag = "tenancy", params(ListQuery),
    responses((status = 200, body = ListResponse<Location>), (status = "4XX", body = Problem)))]
async fn list_locations(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<Location>>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(state.store.list_locations(&principal.scope, &query.page()?).await?.into()))
}

/// One location.
#[utoipa::path(get, path = "/v1/locations/{id}", tag = "tenancy", params(("id" = LocationId, Path)),
    responses((status = 200, body = Location), (status = "4XX", body = Problem)))]
async fn get_location(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<LocationId>,
) -> Result<axum::Json<Location>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(state.store.get_location(&principal.scope, &id).await?))
}

/// Changes a location's name, time zone or territory (admins, and the shop's own manager).
#[utoipa::path(patch, path = "/v1/locations/{id}", tag = "tenancy", params(("id" = LocationId, Path)),
    request_body = UpdateLocation, responses((status = 200, body = Location), (status = "4XX", body = Problem)))]
async fn update_location(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<LocationId>,
    Json(body): Json<UpdateLocation>,
) -> Result<axum::Json<Location>, ApiError> {
    let principal = auth.require(Permission::UpdateLocation)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let changes = LocationChanges { name: body.name, time_zone: body.time_zone, territory_id: body.territory_id };
    Ok(axum::Json(state.store.update_location(&principal.scope, &ctx, &id, changes).await?))
}

/// Deletes a location, revoking the keys scoped to it (network and franchisee admins).
#[utoipa::path(delete, path = "/v1/locations/{id}", tag = "tenancy", params(("id" = LocationId, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_location(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<LocationId>,
) -> Result<StatusCode, ApiError> {
    let principal = auth.require(Permission::ManageLocations)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    state.store.delete_location(&principal.scope, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
