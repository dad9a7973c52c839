//! `/v1/jobs`: the network's background jobs (syncs, refreshes, deliveries): list, retry, cancel.

use axum::extract::State;
use chrono::{DateTime, Utc};
use hub_core::access::Permission;
use hub_core::id::JobId;
use hub_store::{ChangeContext, Job, JobFilter, JobKind, JobStatus, JobVisibility};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListResponse;
use crate::AppState;
use crate::extract::{Auth, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_jobs)).routes(routes!(retry_job)).routes(routes!(cancel_job))
}

/// A job as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct JobView {
    id: JobId,
    kind: String,
    /// `queued`, `running`, `succeeded`, `failed` (will retry), `dead` or `cancelled`.
    status: String,
    priority: i16,
    run_at: DateTime<Utc>,
    unique_key: Option<String>,
    attempts: u32,
    max_attempts: u32,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        Self {
            id: job.id,
            kind: job.kind.as_str().to_owned(),
            status: job.status.as_str().to_owned(),
            priority: job.priority,
            run_at: job.run_at,
            unique_key: job.unique_key,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            locked_until: job.locked_until,
            last_error: job.last_error,
            payload: job.payload,
            created_at: job.created_at,
            updated_at: job.updated_at,
            finished_at: job.finished_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct JobQuery {
    /// Only jobs in this status.
    status: Option<String>,
    /// Only jobs of this kind.
    kind: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The network's jobs, newest first (network admins).
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs", params(JobQuery),
    responses((status = 200, body = ListResponse<JobView>), (status = "4XX", body = Problem)))]
async fn list_jobs(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<JobQuery>,
) -> Result<axum::Json<ListResponse<JobView>>, ApiError> {
    let principal = auth.require(Permission::OperateJobs)?;
    let status = query
        .status
        .as_deref()
        .map(|text| JobStatus::parse(text).ok_or_else(|| ApiError::field("status", "is not a job status")))
        .transpose()?;
    let kind = query
        .kind
        .as_deref()
        .map(JobKind::parse)
        .transpose()
        .map_err(|error| ApiError::from(error.for_field("kind")))?;
    let filter = JobFilter { visibility: JobVisibility::Network(principal.scope.network_id.clone()), status, kind };
    let page = hub_core::page::PageRequest::from_query(query.limit, query.cursor.as_deref())?;
    Ok(axum::Json(state.store.list_jobs(&filter, &page).await?.map(JobView::from).into()))
}

/// Queues a failed or dead job to run again now.
#[utoipa::path(post, path = "/v1/jobs/{id}/retry", tag = "jobs", params(("id" = JobId, Path)),
    responses((status = 200, body = JobView), (status = "4XX", body = Problem)))]
async fn retry_job(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<JobId>,
) -> Result<axum::Json<JobView>, ApiError> {
    let principal = auth.require(Permission::OperateJobs)?;
    let visibility = JobVisibility::Network(principal.scope.network_id.clone());
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    Ok(axum::Json(state.store.retry_job(&visibility, &ctx, &id).await?.into()))
}

/// Cancels a job that has not finished.
#[utoipa::path(post, path = "/v1/jobs/{id}/cancel", tag = "jobs", params(("id" = JobId, Path)),
    responses((status = 200, body = JobView), (status = "4XX", body = Problem)))]
async fn cancel_job(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<JobId>,
) -> Result<axum::Json<JobView>, ApiError> {
    let principal = auth.require(Permission::OperateJobs)?;
    let visibility = JobVisibility::Network(principal.scope.network_id.clone());
    let ctx = ChangeContext { actor: principal.actor(), request_id };
    Ok(axum::Json(state.store.cancel_job(&visibility, &ctx, &id).await?.into()))
}
