//! `/v1/agreements`, `/v1/exchange-rates` and `/v1/royalty-statements`: franchise agreements,
//! the stored rates amounts are converted at, and the statements computed from synced sales —
//! each line traceable to the sales it sums (`…/lines/{line_id}/sales`). Network admins write;
//! network admins, analysts and franchisee admins read within their scope.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use hub_analytics::royalties::RoyaltyError;
use hub_core::ErrorCode;
use hub_core::access::{Permission, Principal};
use hub_core::id::{FranchiseeId, RoyaltyStatementId};
use hub_core::page::PageRequest;
use hub_core::royalties::{
    Agreement, AgreementTerms, ExchangeRate, NewAgreement, PeriodLength, RoyaltyStatement, RoyaltyTier, SalesBase,
    StatementStatus, TracedSale,
};
use hub_core::tenancy::Currency;
use hub_store::{ChangeContext, StatementFilter};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListQuery, ListResponse};
use crate::AppState;
use crate::extract::{Auth, Json, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agreements, create_agreement))
        .routes(routes!(list_exchange_rates, create_exchange_rate))
        .routes(routes!(list_statements, compute_statement))
        .routes(routes!(get_statement))
        .routes(routes!(issue_statement))
        .routes(routes!(line_sales))
}

impl From<RoyaltyError> for ApiError {
    fn from(error: RoyaltyError) -> Self {
        match error {
            RoyaltyError::Store(store) => store.into(),
            RoyaltyError::Invalid(validation) => validation.into(),
            RoyaltyError::NoAgreement { .. } => ApiError::field("period_start", error.to_string()),
            RoyaltyError::MissingRate { .. } => ApiError::new(ErrorCode::InvalidRequest, error.to_string()),
            RoyaltyError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            other => ApiError {
                code: other.code(),
                detail: "an internal error occurred; it has been logged".into(),
                errors: Vec::new(),
                internal: Some(other.to_string()),
            },
        }
    }
}

fn context(principal: &Principal, request_id: Option<String>) -> ChangeContext {
    ChangeContext { actor: principal.actor(), request_id }
}

/// A decimal given as a JSON string (`"0.06"`), so no reader rounds it through a float.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "0.06")]
struct DecimalText(#[serde(with = "rust_decimal::serde::str")] Decimal);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TierBody {
    above: DecimalText,
    rate: DecimalText,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateAgreement {
    franchisee_id: FranchiseeId,
    effective_from: NaiveDate,
    /// The last day it applies (inclusive); open-ended when absent.
    effective_to: Option<NaiveDate>,
    /// What statements are billed in (the franchisee's currency when absent).
    currency: Option<Currency>,
    /// `monthly` (default) or `weekly` (Monday to Sunday).
    period: Option<PeriodLength>,
    /// Fraction of the sales base, `"0.06"` for 6 %.
    royalty_rate: DecimalText,
    /// Marginal tiers: `[{"above": "50000.00", "rate": "0.05"}]`.
    #[serde(default)]
    tiers: Vec<TierBody>,
    ad_fund_rate: Option<DecimalText>,
    technology_fee_per_location: Option<DecimalText>,
    minimum_royalty: Option<DecimalText>,
    /// Default: gross − discounts − refunds (tax and tips are never in gross).
    sales_base: Option<SalesBase>,
}

/// Creates a franchisee's agreement (network admins). A new agreement ends an open-ended earlier
/// one the day before it starts; other overlaps are a 409. Issued statements keep the agreement
/// they were computed with.
#[utoipa::path(post, path = "/v1/agreements", tag = "royalties", request_body = CreateAgreement,
    responses((status = 201, body = Agreement), (status = "4XX", body = Problem)))]
async fn create_agreement(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateAgreement>,
) -> Result<(StatusCode, axum::Json<Agreement>), ApiError> {
    let principal = auth.require(Permission::ManageRoyalties)?;
    let currency = match body.currency {
        Some(currency) => currency,
        None => {
            let franchisee = state.store.get_franchisee(&principal.scope, &body.franchisee_id).await.map_err(
                |error| match error {
                    hub_store::StoreError::NotFound { .. } => {
                        hub_store::StoreError::unknown_reference("franchisee_id", "franchisee")
                    }
                    other => other,
                },
            )?;
            franchisee.currency
        }
    };
    let zero = || DecimalText(Decimal::ZERO);
    let terms = AgreementTerms {
        currency,
        period: body.period.unwrap_or(PeriodLength::Monthly),
        royalty_rate: body.royalty_rate.0,
        tiers: body.tiers.into_iter().map(|tier| RoyaltyTier { above: tier.above.0, rate: tier.rate.0 }).collect(),
        ad_fund_rate: body.ad_fund_rate.unwrap_or_else(zero).0,
        technology_fee_per_location: body.technology_fee_per_location.unwrap_or_else(zero).0,
        minimum_royalty: body.minimum_royalty.unwrap_or_else(zero).0,
        sales_base: body.sales_base.unwrap_or_default(),
    };
    let new = NewAgreement {
        franchisee_id: body.franchisee_id,
        effective_from: body.effective_from,
        effective_to: body.effective_to,
        terms,
    };
    let agreement = state.store.create_agreement(&principal.scope, &context(principal, request_id), new).await?;
    Ok((StatusCode::CREATED, axum::Json(agreement)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AgreementQuery {
    /// Only this franchisee's agreements.
    franchisee_id: Option<FranchiseeId>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Agreements in the caller's scope, oldest first.
#[utoipa::path(get, path = "/v1/agreements", tag = "royalties", params(AgreementQuery),
    responses((status = 200, body = ListResponse<Agreement>), (status = "4XX", body = Problem)))]
async fn list_agreements(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<AgreementQuery>,
) -> Result<axum::Json<ListResponse<Agreement>>, ApiError> {
    let principal = auth.require(Permission::ReadRoyalties)?;
    let page = PageRequest::from_query(query.limit, query.cursor.as_deref())?;
    let listed = state.store.list_agreements(&principal.scope, query.franchisee_id.as_ref(), &page).await?;
    Ok(axum::Json(listed.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateExchangeRate {
    from: Currency,
    to: Currency,
    /// One unit of `from` in `to`, as a string (`"1.0850"`).
    rate: DecimalText,
    rate_date: NaiveDate,
    /// Where the rate came from (`ECB reference rate`).
    source: String,
}

/// Records an exchange rate (network admins). Recorded rates never change: a second rate for
/// the same pair and date is a 409.
#[utoipa::path(post, path = "/v1/exchange-rates", tag = "royalties", request_body = CreateExchangeRate,
    responses((status = 201, body = ExchangeRate), (status = "4XX", body = Problem)))]
async fn create_exchange_rate(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<CreateExchangeRate>,
) -> Result<(StatusCode, axum::Json<ExchangeRate>), ApiError> {
    let principal = auth.require(Permission::ManageRoyalties)?;
    let rate = ExchangeRate {
        from: body.from,
        to: body.to,
        rate: body.rate.0,
        rate_date: body.rate_date,
        source: body.source,
    };
    let stored = state.store.add_exchange_rate(&principal.scope, &context(principal, request_id), rate).await?;
    Ok((StatusCode::CREATED, axum::Json(stored)))
}

/// The network's exchange rates, newest date first.
#[utoipa::path(get, path = "/v1/exchange-rates", tag = "royalties", params(ListQuery),
    responses((status = 200, body = ListResponse<ExchangeRate>), (status = "4XX", body = Problem)))]
async fn list_exchange_rates(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<ExchangeRate>>, ApiError> {
    let principal = auth.require(Permission::ReadRoyalties)?;
    Ok(axum::Json(state.store.list_exchange_rates(&principal.scope, &query.page()?).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ComputeStatement {
    franchisee_id: FranchiseeId,
    /// The first day of the period: the 1st of a month (monthly agreements) or a Monday (weekly).
    period_start: NaiveDate,
}

/// Computes (or recomputes) the draft statement of a franchisee for a period (network admins):
/// the same sales give the same statement. 409 once that period is issued.
#[utoipa::path(post, path = "/v1/royalty-statements", tag = "royalties", request_body = ComputeStatement,
    responses((status = 201, body = RoyaltyStatement), (status = "4XX", body = Problem)))]
async fn compute_statement(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Json(body): Json<ComputeStatement>,
) -> Result<(StatusCode, axum::Json<RoyaltyStatement>), ApiError> {
    let principal = auth.require(Permission::ManageRoyalties)?;
    let ctx = context(principal, request_id);
    let statement =
        state.royalties.compute_draft(&principal.scope, &ctx, &body.franchisee_id, body.period_start).await?;
    Ok((StatusCode::CREATED, axum::Json(statement)))
}

/// Issues a draft (network admins): its lines never change again; the invoice is created in the
/// franchisor's QuickBooks company and `royalty.statement.issued` is emitted. Issuing an issued
/// statement returns it unchanged.
#[utoipa::path(post, path = "/v1/royalty-statements/{id}/issue", tag = "royalties",
    params(("id" = RoyaltyStatementId, Path)),
    responses((status = 200, body = RoyaltyStatement), (status = "4XX", body = Problem)))]
async fn issue_statement(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<RoyaltyStatementId>,
) -> Result<axum::Json<RoyaltyStatement>, ApiError> {
    let principal = auth.require(Permission::ManageRoyalties)?;
    let ctx = context(principal, request_id);
    Ok(axum::Json(state.royalties.issue(&principal.scope, &ctx, &id).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatementQuery {
    franchisee_id: Option<FranchiseeId>,
    /// Only the statement of the period starting this day.
    period_start: Option<NaiveDate>,
    /// Only periods starting in this month (`2026-11`).
    period: Option<String>,
    /// `draft`, `issued` or `paid`.
    status: Option<StatementStatus>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// `2026-11` as its first and last day.
fn month(text: &str) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let first = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 7)
        .ok_or_else(|| ApiError::field("period", "must be a month, YYYY-MM"))?;
    Ok((first, PeriodLength::Monthly.period_end(first)))
}

/// Statements in the caller's scope, oldest first (a franchisee admin sees its own).
#[utoipa::path(get, path = "/v1/royalty-statements", tag = "royalties", params(StatementQuery),
    responses((status = 200, body = ListResponse<RoyaltyStatement>), (status = "4XX", body = Problem)))]
async fn list_statements(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<StatementQuery>,
) -> Result<axum::Json<ListResponse<RoyaltyStatement>>, ApiError> {
    let principal = auth.require(Permission::ReadRoyalties)?;
    let page = PageRequest::from_query(query.limit, query.cursor.as_deref())?;
    let (period_from, period_to) = match query.period.as_deref().map(month).transpose()? {
        Some((from, to)) => (Some(from), Some(to)),
        None => (None, None),
    };
    let filter = StatementFilter {
        franchisee_id: query.franchisee_id,
        period_start: query.period_start,
        period_from,
        period_to,
        status: query.status,
    };
    Ok(axum::Json(state.store.list_statements(&principal.scope, &filter, &page).await?.into()))
}

/// One statement in the caller's scope.
#[utoipa::path(get, path = "/v1/royalty-statements/{id}", tag = "royalties",
    params(("id" = RoyaltyStatementId, Path)),
    responses((status = 200, body = RoyaltyStatement), (status = "4XX", body = Problem)))]
async fn get_statement(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<RoyaltyStatementId>,
) -> Result<axum::Json<RoyaltyStatement>, ApiError> {
    let principal = auth.require(Permission::ReadRoyalties)?;
    Ok(axum::Json(state.store.get_statement(&principal.scope, &id).await?))
}

/// The sales one line of a statement sums, with each sale's contribution to the base in its
/// own currency (for an adjustment line: the change since the period was billed). The
/// technology fee is per location and sums no sales.
#[utoipa::path(get, path = "/v1/royalty-statements/{id}/lines/{line_id}/sales", tag = "royalties",
    params(("id" = RoyaltyStatementId, Path), ("line_id" = u32, Path), ListQuery),
    responses((status = 200, body = ListResponse<TracedSale>), (status = "4XX", body = Problem)))]
async fn line_sales(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, line_id)): Path<(RoyaltyStatementId, u32)>,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<TracedSale>>, ApiError> {
    let principal = auth.require(Permission::ReadRoyalties)?;
    Ok(axum::Json(state.royalties.line_sales(&principal.scope, &id, line_id, &query.page()?).await?.into()))
}
