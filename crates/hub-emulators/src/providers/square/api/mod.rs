//! Square's data API under `/square/v2/…`: the bearer token and the scope each endpoint needs,
//! `Square-Version`, errors in Square's envelope (`{"errors":[{category, code, detail,
//! field}]}`, HTTP status of the first error), and the routes.

mod bookings;
mod catalog;
mod customers;
mod labor;
mod locations;
mod orders;
pub(crate) mod params;
mod payments;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::json;

use super::oauth::PROFILE;
use super::render::to_bytes;
use super::store::MerchantData;
use crate::oauth::whoami::bearer;
use crate::state::EmulatorState;

/// The data routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/square/v2/locations", get(locations::list))
        .route("/square/v2/team-members/search", post(locations::search_team_members))
        .route("/square/v2/customers", get(customers::list))
        .route("/square/v2/customers/search", post(customers::search))
        .route("/square/v2/orders/search", post(orders::search))
        .route("/square/v2/payments", get(payments::list))
        .route("/square/v2/payments/{payment_id}", get(payments::get_one))
        .route("/square/v2/refunds", get(payments::list_refunds))
        .route("/square/v2/payouts", get(labor::list_payouts))
        .route("/square/v2/labor/timecards/search", post(labor::search_timecards))
        .route("/square/v2/bookings", get(bookings::list))
        .route("/square/v2/catalog/batch-retrieve", post(catalog::batch))
}

/// One entry of Square's `errors` array.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorEntry {
    pub category: &'static str,
    pub code: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A refused request, answered in Square's error envelope.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub error: ErrorEntry,
}

impl ApiError {
    /// 400 `INVALID_REQUEST_ERROR` with `code`, naming the field at fault.
    pub fn invalid(code: &'static str, field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: ErrorEntry {
                category: "INVALID_REQUEST_ERROR",
                code,
                detail: detail.into(),
                field: Some(field.into()).filter(|field: &String| !field.is_empty()),
            },
        }
    }

    /// 404 `NOT_FOUND`.
    pub fn not_found(field: Option<&str>, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            error: ErrorEntry {
                category: "INVALID_REQUEST_ERROR",
                code: "NOT_FOUND",
                detail: detail.into(),
                field: field.map(str::to_owned),
            },
        }
    }

    /// 403 `INSUFFICIENT_SCOPES`, as Square words it.
    fn insufficient_scopes(scope: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            error: ErrorEntry {
                category: "AUTHENTICATION_ERROR",
                code: "INSUFFICIENT_SCOPES",
                detail: format!(
                    "The merchant has not given your application sufficient permissions to do that. The merchant must \
                     authorize your application for the following scopes: {scope}"
                ),
                field: None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"errors": [self.error]}))).into_response()
    }
}

/// A caller whose token and scope checked out.
pub(crate) struct Caller {
    pub data: Arc<RwLock<MerchantData>>,
    pub scopes: Vec<String>,
}

impl Caller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }
}

/// Checks the bearer token, the scope the endpoint needs and `Square-Version`, and finds the
/// merchant's dataset (generating the default one on first use).
/// A refusal is boxed: a `Response` is large and the success path is the common one.
pub(crate) fn authorize(state: &EmulatorState, headers: &HeaderMap, scope: &str) -> Result<Caller, Box<Response>> {
    let info = bearer(state, &PROFILE, headers).map_err(|failure| Box::new(PROFILE.style.unauthorized(failure)))?;
    if !info.scopes.iter().any(|granted| granted == scope) {
        return Err(Box::new(ApiError::insufficient_scopes(scope).into_response()));
    }
    if let Some(version) = headers.get("square-version") {
        let valid =
            version.to_str().ok().is_some_and(|text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok());
        if !valid {
            let detail = "Square-Version must be a date such as 2025-08-20";
            return Err(Box::new(
                ApiError::invalid("INVALID_SQUARE_VERSION_FORMAT", "Square-Version", detail).into_response(),
            ));
        }
    }
    Ok(Caller { data: state.square_store().merchant(&info.account), scopes: info.scopes })
}

/// A 200 with a JSON body already serialized.
pub(crate) fn ok(body: &impl Serialize) -> Response {
    let mut response = (StatusCode::OK, to_bytes(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Runs a handler body that may refuse, answering the refusal in Square's envelope.
pub(crate) fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A list response: `{"<field>": [...], "cursor": "...", "count": n}`, leaving out the list
/// when it is empty (Square answers `{}` when nothing matches) and the cursor on the last page.
pub(crate) struct Listing<T> {
    pub field: &'static str,
    pub items: Vec<T>,
    pub cursor: Option<String>,
    pub count: Option<u64>,
}

impl<T> Listing<T> {
    pub fn new(field: &'static str, items: Vec<T>, cursor: Option<String>) -> Self {
        Self { field, items, cursor, count: None }
    }
}

impl<T: Serialize> Serialize for Listing<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        if !self.items.is_empty() {
            map.serialize_entry(self.field, &self.items)?;
        }
        if let Some(cursor) = &self.cursor {
            map.serialize_entry("cursor", cursor)?;
        }
        if let Some(count) = self.count {
            map.serialize_entry("count", &count)?;
        }
        map.end()
    }
}
