//! Syncs: `POST /v1/connections/{id}/sync` asks for one (it runs as a job), `/v1/sync-runs` shows
//! what each run fetched, created, updated, deleted and left unchanged, how long it took and what
//! went wrong.

use axum::extract::State;
use axum::http::StatusCode;
use hub_core::access::Permission;
use hub_core::id::{ConnectionId, SyncRunId};
use hub_core::page::PageRequest;
use hub_core::records::SyncMode;
use hub_store::SyncRun;
use hub_sync::SyncError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListResponse;
use crate::AppState;
use crate::extract::{Auth, Path, Query};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(request_sync)).routes(routes!(list_sync_runs)).routes(routes!(get_sync_run))
}

impl From<SyncError> for ApiError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Store(store) => store.into(),
            other => ApiError::new(other.code(), other.to_string()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SyncRequest {
    /// `incremental` (default: what changed since the last sync) or `full` (everything; records
    /// the provider no longer has are marked deleted).
    mode: Option<String>,
}

/// The run a sync request queued or joined.
#[derive(Serialize, ToSchema)]
struct SyncAccepted {
    sync_run_id: SyncRunId,
    status: hub_store::SyncRunStatus,
    mode: SyncMode,
}

/// Asks for a sync of the connection now. A sync already queued or running absorbs the request
/// (a full request upgrades a queued incremental one); the answer names the run either way.
#[utoipa::path(post, path = "/v1/connections/{id}/sync", tag = "sync", params(("id" = ConnectionId, Path)),
    request_body = Option<SyncRequest>,
    responses((status = 202, body = SyncAccepted), (status = "4XX", body = Problem)))]
async fn request_sync(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<ConnectionId>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, axum::Json<SyncAccepted>), ApiError> {
    let request: SyncRequest =
        if body.is_empty() { SyncRequest { mode: None } } else { crate::extract::parse_json(&body)? };
    let mode = match request.mode.as_deref() {
        None => SyncMode::Incremental,
        Some(text) => {
            SyncMode::parse(text).ok_or_else(|| ApiError::field("mode", "must be `incremental` or `full`"))?
        }
    };
    let principal = auth.require(Permission::ManageConnections)?;
    let run = crate::actions::request_sync(&state, principal, &id, mode).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(SyncAccepted { sync_run_id: run.id, status: run.status, mode: run.mode })))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SyncRunQuery {
    /// Only runs of this connection.
    connection_id: Option<ConnectionId>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Sync runs in the caller's scope, newest first.
#[utoipa::path(get, path = "/v1/sync-runs", tag = "sync", params(SyncRunQuery),
    responses((status = 200, body = ListResponse<SyncRun>), (status = "4XX", body = Problem)))]
async fn list_sync_runs(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<SyncRunQuery>,
) -> Result<axum::Json<ListResponse<SyncRun>>, ApiError> {
    let principal = auth.require(Permission::ReadRecords)?;
    let page = PageRequest::from_query(query.limit, query.cursor.as_deref())?;
    Ok(axum::Json(state.store.list_sync_runs(&principal.scope, query.connection_id.as_ref(), &page).await?.into()))
}

/// One sync run: counts, duration, checkpoint and errors.
#[utoipa::path(get, path = "/v1/sync-runs/{id}", tag = "sync", params(("id" = SyncRunId, Path)),
    responses((status = 200, body = SyncRun), (status = "4XX", body = Problem)))]
async fn get_sync_run(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<SyncRunId>,
) -> Result<axum::Json<SyncRun>, ApiError> {
    let principal = auth.require(Permission::ReadRecords)?;
    Ok(axum::Json(state.store.get_sync_run(&principal.scope, &id).await?))
}
