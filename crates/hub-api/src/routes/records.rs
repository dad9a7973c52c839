//! `/v1/records/{model}` and `/v1/changes`: the unified records synced from providers, and the
//! resumable feed of every change to them. Customer PII is removed for roles that see aggregates.

use axum::extract::State;
use chrono::{DateTime, Utc};
use hub_core::access::{Permission, Principal};
use hub_core::id::{ConnectionId, LocationId, RecordId};
use hub_core::page::{PageRequest, decode_cursor, encode_cursor};
use hub_core::records::{Change, Model, StoredRecord, redact_pii};
use hub_store::RecordFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListResponse;
use crate::AppState;
use crate::extract::{Auth, Path, Query};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_records)).routes(routes!(get_record)).routes(routes!(list_changes))
}

/// A unified record: provenance, then the model's own fields (for a sale: `occurred_at`,
/// `currency`, `gross`, `discount`, `service_charges`, `tax`, `tip`, `total`, `refunded`, `net`,
/// `lines`, `tenders`, `refunds`; amounts are decimal strings).
#[derive(Serialize, ToSchema)]
pub struct RecordView {
    id: RecordId,
    model: Model,
    franchisee_id: Option<hub_core::id::FranchiseeId>,
    location_id: Option<LocationId>,
    connection_id: ConnectionId,
    provider: String,
    external_id: String,
    provider_location_id: Option<String>,
    remote_updated_at: Option<DateTime<Utc>>,
    version: i64,
    deleted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

impl RecordView {
    fn for_principal(record: StoredRecord, principal: &Principal) -> Self {
        let mut data = record.data;
        if !principal.may(Permission::ReadCustomerPii) {
            redact_pii(record.model, &mut data);
        }
        Self {
            id: record.id,
            model: record.model,
            franchisee_id: record.franchisee_id,
            location_id: record.location_id,
            connection_id: record.connection_id,
            provider: record.provider,
            external_id: record.external_id,
            provider_location_id: record.provider_location_id,
            remote_updated_at: record.remote_updated_at,
            version: record.version,
            deleted_at: record.deleted_at,
            created_at: record.created_at,
            updated_at: record.updated_at,
            data,
        }
    }
}

fn model_from_path(collection: &str) -> Result<Model, ApiError> {
    Model::from_collection(collection).ok_or_else(|| {
        let known: Vec<&str> = Model::STORED.iter().map(|model| model.collection()).collect();
        ApiError::field("model", format!("`{collection}` is not a record collection (one of {})", known.join(", ")))
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RecordQuery {
    /// Only records of this location.
    location_id: Option<LocationId>,
    /// Only records of this connection.
    connection_id: Option<ConnectionId>,
    /// Only records the hub created or changed at or after this instant (RFC 3339).
    updated_since: Option<DateTime<Utc>>,
    /// Include records the provider deleted (they keep `deleted_at`). Default false.
    include_deleted: Option<bool>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Records of one model in the caller's scope, oldest first. Collections: `locations`,
/// `staff_members`, `customers`, `appointments`, `sales`, `refunds`, `payouts`, `timecards`.
#[utoipa::path(get, path = "/v1/records/{model}", tag = "records",
    params(("model" = String, Path, description = "A record collection, such as `sales`"), RecordQuery),
    responses((status = 200, body = ListResponse<RecordView>), (status = "4XX", body = Problem)))]
async fn list_records(
    State(state): State<AppState>,
    auth: Auth,
    Path(collection): Path<String>,
    Query(query): Query<RecordQuery>,
) -> Result<axum::Json<ListResponse<RecordView>>, ApiError> {
    let principal = auth.require(Permission::ReadRecords)?;
    let model = model_from_path(&collection)?;
    let page = PageRequest::from_query(query.limit, query.cursor.as_deref())?;
    let filter = RecordFilter {
        model,
        location_id: query.location_id,
        connection_id: query.connection_id,
        updated_since: query.updated_since,
        include_deleted: query.include_deleted.unwrap_or(false),
    };
    let records = state.store.list_records(&principal.scope, &filter, &page).await?;
    Ok(axum::Json(ListResponse {
        data: records.items.into_iter().map(|record| RecordView::for_principal(record, principal)).collect(),
        next_cursor: records.next_cursor,
    }))
}

/// One record in the caller's scope.
#[utoipa::path(get, path = "/v1/records/{model}/{id}", tag = "records",
    params(("model" = String, Path), ("id" = RecordId, Path)),
    responses((status = 200, body = RecordView), (status = "4XX", body = Problem)))]
async fn get_record(
    State(state): State<AppState>,
    auth: Auth,
    Path((collection, id)): Path<(String, RecordId)>,
) -> Result<axum::Json<RecordView>, ApiError> {
    let principal = auth.require(Permission::ReadRecords)?;
    let model = model_from_path(&collection)?;
    let record = state.store.get_record(&principal.scope, model, &id).await?;
    Ok(axum::Json(RecordView::for_principal(record, principal)))
}

/// The most changes one page of the feed returns.
const MAX_CHANGES: u32 = 1_000;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ChangeQuery {
    /// The `next_cursor` of the previous page; omit to read from the beginning.
    after: Option<String>,
    /// Changes per page, 1 to 1000 (default 100).
    limit: Option<u32>,
}

/// A page of the change feed. `next_cursor` is always set: pass it as `after` to continue, now
/// or later (an empty page means nothing new yet).
#[derive(Serialize, ToSchema)]
struct ChangePage {
    data: Vec<Change>,
    next_cursor: String,
}

/// Every record created, updated or deleted in the caller's scope, in commit order. Resumable:
/// a consumer stores `next_cursor` and continues from it.
#[utoipa::path(get, path = "/v1/changes", tag = "records", params(ChangeQuery),
    responses((status = 200, body = ChangePage), (status = "4XX", body = Problem)))]
async fn list_changes(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ChangeQuery>,
) -> Result<axum::Json<ChangePage>, ApiError> {
    let principal = auth.require(Permission::ReadRecords)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_CHANGES).contains(&limit) {
        return Err(ApiError::field("limit", format!("must be between 1 and {MAX_CHANGES}")));
    }
    let after = match query.after.as_deref() {
        None => 0,
        Some(cursor) => {
            let invalid = || ApiError::field("after", "is not a cursor this API returned");
            let key = decode_cursor(cursor).map_err(|_| invalid())?;
            key.strip_prefix("seq:")
                .and_then(|seq| seq.parse::<i64>().ok())
                .filter(|seq| *seq >= 0)
                .ok_or_else(invalid)?
        }
    };
    let changes = state.store.list_changes(&principal.scope, after, limit).await?;
    let last = changes.last().map_or(after, |change| change.seq);
    Ok(axum::Json(ChangePage { data: changes, next_cursor: encode_cursor(&format!("seq:{last}")) }))
}
