//! The Square data control surface over HTTP, under `/_emulator/square/merchants/…`, for tests
//! in other processes and the demo. Errors are `{"error": "…"}` with 400, or 404 for unknown
//! objects, like the rest of `/_emulator`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::super::config::SquareMerchantConfig;
use super::super::types::SquareCustomerUpdate;
use super::SQUARE_DATA_SCOPES;
use crate::error::EmulatorError;
use crate::state::EmulatorState;

/// The routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    let merchant = "/_emulator/square/merchants/{merchant_id}";
    Router::new()
        .route("/_emulator/square/merchants", get(list_merchants))
        .route(merchant, get(describe).put(configure))
        .route(&format!("{merchant}/counts"), get(counts))
        .route(&format!("{merchant}/daily-totals"), get(daily_totals))
        .route(&format!("{merchant}/orders"), post(add_orders))
        .route(&format!("{merchant}/payments/{{payment_id}}/refund"), post(refund))
        .route(&format!("{merchant}/customers/{{customer_id}}"), patch(update_customer).delete(delete_customer))
        .route(&format!("{merchant}/access-token"), post(access_token))
}

struct Refusal(StatusCode, String);

impl From<EmulatorError> for Refusal {
    fn from(error: EmulatorError) -> Self {
        let status = match error {
            EmulatorError::NotFound { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, error.to_string())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

type Answer = Result<Response, Refusal>;

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Refusal> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { bytes };
    serde_json::from_slice(bytes).map_err(|error| Refusal(StatusCode::BAD_REQUEST, format!("invalid body: {error}")))
}

async fn list_merchants(State(state): State<EmulatorState>) -> Json<serde_json::Value> {
    Json(json!({"merchants": state.square().merchant_ids()}))
}

async fn describe(State(state): State<EmulatorState>, Path(merchant_id): Path<String>) -> Json<serde_json::Value> {
    let square = state.square();
    Json(json!({
        "merchant_id": merchant_id,
        "locations": square.locations(&merchant_id),
        "counts": square.counts(&merchant_id),
    }))
}

async fn configure(State(state): State<EmulatorState>, Path(merchant_id): Path<String>, body: Bytes) -> Answer {
    let config: SquareMerchantConfig = parse(&body)?;
    if config.merchant_id != merchant_id {
        let detail = format!("the body is for merchant `{}`, the path for `{merchant_id}`", config.merchant_id);
        return Err(Refusal(StatusCode::BAD_REQUEST, detail));
    }
    let square = state.square();
    let counts = square.configure_merchant(&config)?;
    Ok(Json(json!({"merchant_id": merchant_id, "locations": square.locations(&merchant_id), "counts": counts}))
        .into_response())
}

async fn counts(State(state): State<EmulatorState>, Path(merchant_id): Path<String>) -> Json<serde_json::Value> {
    Json(json!(state.square().counts(&merchant_id)))
}

async fn daily_totals(State(state): State<EmulatorState>, Path(merchant_id): Path<String>) -> Json<serde_json::Value> {
    Json(json!({"daily_totals": state.square().daily_totals(&merchant_id)}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdersBody {
    location_id: String,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

async fn add_orders(State(state): State<EmulatorState>, Path(merchant_id): Path<String>, body: Bytes) -> Answer {
    let OrdersBody { location_id, count } = parse(&body)?;
    if count == 0 || count > 10_000 {
        return Err(Refusal(StatusCode::BAD_REQUEST, "count must be 1–10000".to_owned()));
    }
    let orders = state.square().add_orders(&merchant_id, &location_id, count)?;
    Ok((StatusCode::CREATED, Json(json!({"orders": orders}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundBody {
    #[serde(default)]
    amount: Option<i64>,
}

async fn refund(
    State(state): State<EmulatorState>,
    Path((merchant_id, payment_id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let RefundBody { amount } = parse(&body)?;
    let result = state.square().refund_payment(&merchant_id, &payment_id, amount)?;
    Ok((StatusCode::CREATED, Json(json!(result))).into_response())
}

async fn update_customer(
    State(state): State<EmulatorState>,
    Path((merchant_id, customer_id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let update: SquareCustomerUpdate = parse(&body)?;
    state.square().update_customer(&merchant_id, &customer_id, update)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_customer(
    State(state): State<EmulatorState>,
    Path((merchant_id, customer_id)): Path<(String, String)>,
) -> Answer {
    state.square().delete_customer(&merchant_id, &customer_id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    /// Every data scope when absent.
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

async fn access_token(State(state): State<EmulatorState>, Path(merchant_id): Path<String>, body: Bytes) -> Answer {
    let TokenBody { scopes } = parse(&body)?;
    let scopes: Vec<String> = scopes.unwrap_or_else(|| SQUARE_DATA_SCOPES.iter().map(|s| (*s).to_owned()).collect());
    let borrowed: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let token = state.square().issue_access_token(&merchant_id, &borrowed)?;
    Ok(Json(json!({"access_token": token, "merchant_id": merchant_id, "scopes": scopes})).into_response())
}
