//! `/v1/kpis`: the network's KPIs per day, week, month, location, franchisee or territory, read
//! from the rollups, with each location's percentile rank in the network. A franchisee or
//! location key sees its own shops and the network's anonymous distribution.

use axum::extract::State;
use chrono::NaiveDate;
use hub_analytics::{GroupBy, KpiQuery, KpiReport};
use hub_core::access::Permission;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::{Auth, Query};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_kpis))
}

/// A `group_by` parameter: one of the groupings, named in the error otherwise.
pub(crate) fn parse_group_by(text: Option<&str>) -> Result<GroupBy, ApiError> {
    let Some(text) = text else { return Ok(GroupBy::Day) };
    GroupBy::parse(text).ok_or_else(|| {
        let known: Vec<&str> = GroupBy::ALL.iter().map(|group| group.as_str()).collect();
        ApiError::field("group_by", format!("`{text}` is not one of {}", known.join(", ")))
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct KpiParams {
    /// The first local business day (`YYYY-MM-DD`), inclusive.
    #[param(value_type = String, example = "2026-11-01")]
    from: NaiveDate,
    /// The last local business day, inclusive. A range spans at most 92 days by day, 371 by
    /// week and 1096 otherwise.
    #[param(value_type = String, example = "2026-11-30")]
    to: NaiveDate,
    /// `day` (default), `week` (keyed by Monday), `month`, `location`, `franchisee` or `territory`.
    group_by: Option<String>,
}

/// KPIs in the caller's scope: gross and net sales, tips, transactions, average ticket,
/// appointments, no-show rate, staff utilisation, new and returning customers. With
/// `group_by=location`, each row has the location's percentile rank in the network per KPI and
/// the report has the network distribution (no shop named; withheld from narrower scopes when
/// fewer than five locations are active).
#[utoipa::path(get, path = "/v1/kpis", tag = "analytics", params(KpiParams),
    responses((status = 200, body = KpiReport), (status = "4XX", body = Problem)))]
async fn get_kpis(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<KpiParams>,
) -> Result<axum::Json<KpiReport>, ApiError> {
    let principal = auth.require(Permission::ReadAnalytics)?;
    let query = KpiQuery { from: params.from, to: params.to, group_by: parse_group_by(params.group_by.as_deref())? };
    let report = state.analytics.kpis(&principal.scope, &query).await?;
    Ok(axum::Json(report))
}
