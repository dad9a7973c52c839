//! `/v1/audit`: the hash-chained log of every change, newest first.

use axum::extract::State;
use hub_core::access::Permission;
use hub_core::audit::AuditEntry;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListQuery, ListResponse};
use crate::AppState;
use crate::extract::{Auth, Query};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Audit entries about the caller's scope, newest first (network and franchisee admins).
#[utoipa::path(get, path = "/v1/audit", tag = "access", params(ListQuery),
    responses((status = 200, body = ListResponse<AuditEntry>), (status = "4XX", body = Problem)))]
async fn list_audit(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<AuditEntry>>, ApiError> {
    let principal = auth.require(Permission::ReadAudit)?;
    Ok(axum::Json(state.store.list_audit(&principal.scope, &query.page()?).await?.into()))
}
