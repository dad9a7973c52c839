//! `/v1/exports/…`: sales and KPIs as CSV or Parquet files, within the caller's scope. Money is a
//! decimal string in CSV and `DECIMAL(18, 4)` in Parquet; sales carry no customer data. A file is
//! built in memory, so a range is limited as KPI ranges are (1096 days).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use hub_analytics::KpiQuery;
use hub_analytics::export::{ExportFormat, SalesExport, TableWriter, kpi_table, sales_columns, statements_table};
use hub_core::access::Permission;
use hub_core::id::{FranchiseeId, LocationId};
use hub_core::royalties::StatementStatus;
use hub_store::StatementFilter;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::kpis::parse_group_by;
use crate::AppState;
use crate::extract::{Auth, Query};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_sales)).routes(routes!(export_kpis)).routes(routes!(export_statements))
}

fn parse_format(text: Option<&str>) -> Result<ExportFormat, ApiError> {
    let format = match text {
        None => ExportFormat::Csv,
        Some(text) => ExportFormat::parse(text)
            .ok_or_else(|| ApiError::field("format", format!("`{text}` is not one of csv, parquet")))?,
    };
    if !format.available() {
        return Err(ApiError::field("format", "this hub was built without Parquet support"));
    }
    Ok(format)
}

fn file(format: ExportFormat, name: String, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}.{}\"", format.as_str());
    ([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SalesParams {
    /// The first local business day (`YYYY-MM-DD`), inclusive.
    #[param(value_type = String, example = "2026-11-01")]
    from: NaiveDate,
    /// The last local business day, inclusive (at most 1096 days after `from`).
    #[param(value_type = String, example = "2026-11-30")]
    to: NaiveDate,
    /// Only this location's sales.
    location_id: Option<LocationId>,
    /// `csv` (default) or `parquet`.
    format: Option<String>,
}

/// The sales in the caller's scope on the local business days `from..=to`, one row per sale
/// (id, provider, franchisee, location, business day, instant, currency, every figure), in
/// (business day, id) order. Sales appear once the rollup job has folded them in (within a
/// minute of being synced).
#[utoipa::path(get, path = "/v1/exports/sales", tag = "analytics", params(SalesParams),
    responses((status = 200, description = "A CSV (`text/csv`) or Parquet (`application/vnd.apache.parquet`) file",
               content_type = "text/csv"),
              (status = "4XX", body = Problem)))]
async fn export_sales(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<SalesParams>,
) -> Result<Response, ApiError> {
    let principal = auth.require(Permission::ReadAnalytics)?;
    let format = parse_format(params.format.as_deref())?;
    if let Some(location) = &params.location_id {
        state.store.get_location(&principal.scope, location).await?;
    }
    let export = SalesExport { from: params.from, to: params.to, location_id: params.location_id };
    export.validate()?;
    let mut writer = TableWriter::new(format, sales_columns(), Vec::new())?;
    state.analytics.export_sales(&principal.scope, &export, &mut writer, |_| {}).await?;
    let bytes = writer.finish()?;
    Ok(file(format, format!("sales-{}-{}", export.from, export.to), bytes))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct KpiExportParams {
    #[param(value_type = String, example = "2026-11-01")]
    from: NaiveDate,
    #[param(value_type = String, example = "2026-11-30")]
    to: NaiveDate,
    /// As for `/v1/kpis` (default `day`).
    group_by: Option<String>,
    /// `csv` (default) or `parquet`.
    format: Option<String>,
}

/// The `/v1/kpis` report as a file: one row per group (by location with `<kpi>_percentile`
/// columns), then a `total` row.
#[utoipa::path(get, path = "/v1/exports/kpis", tag = "analytics", params(KpiExportParams),
    responses((status = 200, description = "A CSV (`text/csv`) or Parquet (`application/vnd.apache.parquet`) file",
               content_type = "text/csv"),
              (status = "4XX", body = Problem)))]
async fn export_kpis(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<KpiExportParams>,
) -> Result<Response, ApiError> {
    let principal = auth.require(Permission::ReadAnalytics)?;
    let format = parse_format(params.format.as_deref())?;
    let query = KpiQuery { from: params.from, to: params.to, group_by: parse_group_by(params.group_by.as_deref())? };
    let report = state.analytics.kpis(&principal.scope, &query).await?;
    let bytes = kpi_table(&report).write(format, Vec::new())?;
    Ok(file(format, format!("kpis-{}-{}-{}", query.group_by.as_str(), query.from, query.to), bytes))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatementExportParams {
    /// Only periods starting on or after this day.
    #[param(value_type = Option<String>, example = "2026-01-01")]
    period_from: Option<NaiveDate>,
    /// Only periods starting on or before this day.
    #[param(value_type = Option<String>, example = "2026-12-01")]
    period_to: Option<NaiveDate>,
    /// Only this franchisee's statements.
    franchisee_id: Option<FranchiseeId>,
    /// `draft`, `issued` or `paid`.
    status: Option<String>,
    /// `csv` (default) or `parquet`.
    format: Option<String>,
}

/// Royalty statements in the caller's scope as a file: one row per statement line with the
/// statement's period, status, totals (own and network currency) and invoice, newest periods
/// last (the list's order).
#[utoipa::path(get, path = "/v1/exports/royalty-statements", tag = "royalties", params(StatementExportParams),
    responses((status = 200, description = "A CSV (`text/csv`) or Parquet (`application/vnd.apache.parquet`) file",
               content_type = "text/csv"),
              (status = "4XX", body = Problem)))]
async fn export_statements(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<StatementExportParams>,
) -> Result<Response, ApiError> {
    let principal = auth.require(Permission::ReadRoyalties)?;
    let format = parse_format(params.format.as_deref())?;
    let status = match params.status.as_deref() {
        None => None,
        Some("draft") => Some(StatementStatus::Draft),
        Some("issued") => Some(StatementStatus::Issued),
        Some("paid") => Some(StatementStatus::Paid),
        Some(other) => return Err(ApiError::field("status", format!("`{other}` is not one of draft, issued, paid"))),
    };
    if let (Some(from), Some(to)) = (params.period_from, params.period_to)
        && from > to
    {
        return Err(ApiError::field("period_to", format!("{to} is before period_from ({from})")));
    }
    let filter = StatementFilter {
        franchisee_id: params.franchisee_id,
        period_start: None,
        period_from: params.period_from,
        period_to: params.period_to,
        status,
    };
    let statements = state.store.all_statements(&principal.scope, &filter).await?;
    let bytes = statements_table(&statements).write(format, Vec::new())?;
    Ok(file(format, "royalty-statements".to_owned(), bytes))
}
