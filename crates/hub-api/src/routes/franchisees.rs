//! `/v1/franchisees`: the legal entities that own shops.

use axum::extract::State;
use axum::http::StatusCode;
use hub_core::access::Permission;
use hub_core::id::FranchiseeId;
use hub_core::tenancy::{Currency, Franchisee, FranchiseeChanges, Name, NewFranchisee};
use hub_store::ChangeContext;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListQuery, ListResponse};
use crate::AppState;
use crate::extract::{Auth, Json, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_franchisees, create_franchisee)).routes(routes!(
        get_franchisee,
        update_franchisee,
        delete_franchisee
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateFranchisee {
    name: Name,
    currency: Currency,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateFranchisee {
    name: Option<Name>,
    currency: Option<Currency>,
}

/// Creates a franchisee (network admins).
#[utoipa::path(post, path = "/v1/franchisees", tag = "tenancy", request_body = CreateFranchisee,
    responses((status = 201, body = Franchisee), (status = "4XX", body = Problem)))]
async fn create_franchisee(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateFranchisee>,
) -> Result<(StatusCode, axum::Json<Franchisee>), ApiError> {
    let principal = auth.require(Permission::ManageFranchisees)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let new = NewFranchisee { name: body.name, currency: body.currency };
    let franchisee = state.store.create_franchisee(&principal.scope, &ctx, new).await?;
    Ok((StatusCode::CREATED, axum::Json(franchisee)))
}

/// Lists the franchisees in the caller's scope.
#[utoipa::path(get, path = "/v1/franchisees", tag = "tenancy", params(ListQuery),
    responses((status = 200, body = ListResponse<Franchisee>), (status = "4XX", body = Problem)))]
async fn list_franchisees(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<Franchisee>>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(state.store.list_franchisees(&principal.scope, &query.page()?).await?.into()))
}

/// One franchisee.
#[utoipa::path(get, path = "/v1/franchisees/{id}", tag = "tenancy", params(("id" = FranchiseeId, Path)),
    responses((status = 200, body = Franchisee), (status = "4XX", body = Problem)))]
async fn get_franchisee(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<FranchiseeId>,
) -> Result<axum::Json<Franchisee>, ApiError> {
    let principal = auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(state.store.get_franchisee(&principal.scope, &id).await?))
}

/// Changes a franchisee's name or currency (network admins, and the franchisee's own admins).
#[utoipa::path(patch, path = "/v1/franchisees/{id}", tag = "tenancy", params(("id" = FranchiseeId, Path)),
    request_body = UpdateFranchisee, responses((status = 200, body = Franchisee), (status = "4XX", body = Problem)))]
async fn update_franchisee(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<FranchiseeId>,
    Json(body): Json<UpdateFranchisee>,
) -> Result<axum::Json<Franchisee>, ApiError> {
    let principal = auth.require(Permission::UpdateFranchisee)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    let changes = FranchiseeChanges { name: body.name, currency: body.currency };
    Ok(axum::Json(state.store.update_franchisee(&principal.scope, &ctx, &id, changes).await?))
}

/// Deletes a franchisee that owns no locations, revoking its keys (network admins).
#[utoipa::path(delete, path = "/v1/franchisees/{id}", tag = "tenancy", params(("id" = FranchiseeId, Path)),
    responses((status = 204), (status = "4XX", body = Problem)))]
async fn delete_franchisee(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<FranchiseeId>,
) -> Result<StatusCode, ApiError> {
    let principal = auth.require(Permission::ManageFranchisees)?;
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    state.store.delete_franchisee(&principal.scope, &ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
