//! The QuickBooks control surface over HTTP, under `/_emulator/quickbooks-online/…`: the same
//! switches as the [`QuickBooks`](super::QuickBooks) methods, for tests in other processes.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::entity::EntityKind;
use super::throttle::ThrottleLimits;
use super::webhooks::{WebhookConfig, WebhookFormat};
use crate::state::EmulatorState;

const PREFIX: &str = "/_emulator/quickbooks-online";

/// The control routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    let realm = format!("{PREFIX}/realms/{{realm}}");
    Router::new()
        .route(PREFIX, get(index))
        .route(&format!("{PREFIX}/throttle-limits"), get(get_limits).put(set_limits))
        .route(&format!("{realm}/reset"), post(reset_realm))
        .route(&format!("{realm}/throttle"), get(throttled).put(force_throttle).delete(clear_throttle))
        .route(&format!("{realm}/webhooks"), get(get_webhooks).put(set_webhooks).delete(remove_webhooks))
        .route(&format!("{realm}/webhook-deliveries"), get(deliveries))
        .route(&format!("{realm}/settings"), put(settings))
        .route(&format!("{realm}/invoices/{{id}}/mark-paid"), post(mark_paid))
        .route(&format!("{realm}/{{collection}}"), get(list).post(write))
}

/// A refused control request: `{"error": …}` with a 4xx.
struct ControlError(StatusCode, String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

type ControlResult = Result<Response, ControlError>;

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    serde_json::from_slice(body)
        .map_err(|error| ControlError(StatusCode::BAD_REQUEST, format!("invalid body: {error}")))
}

/// `customers`, `items`, `invoices`, `payments`.
fn collection(name: &str) -> Result<EntityKind, ControlError> {
    EntityKind::ALL.into_iter().find(|kind| format!("{}s", kind.name()).eq_ignore_ascii_case(name)).ok_or_else(|| {
        ControlError(StatusCode::NOT_FOUND, format!("`{name}` is not customers, items, invoices or payments"))
    })
}

fn done() -> ControlResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn index() -> Json<Value> {
    Json(json!({
        "api_base": "/quickbooks-online/v3/company/{realmId}",
        "api": [
            "POST /quickbooks-online/v3/company/{realmId}/{customer|item|invoice|payment}[?requestid=…&minorversion=…]",
            "POST /quickbooks-online/v3/company/{realmId}/{invoice|payment}?operation=delete",
            "GET /quickbooks-online/v3/company/{realmId}/{entity}/{id}",
            "GET|POST /quickbooks-online/v3/company/{realmId}/query?query=select …",
            "GET /quickbooks-online/v3/company/{realmId}/cdc?entities=Invoice,Payment&changedSince=…",
        ],
        "control": [
            "GET|POST /_emulator/quickbooks-online/realms/{realm}/{customers|items|invoices|payments}",
            "POST /_emulator/quickbooks-online/realms/{realm}/invoices/{id}/mark-paid",
            "GET|PUT|DELETE /_emulator/quickbooks-online/realms/{realm}/throttle {requests} (GET: throttled_requests so far)",
            "GET|PUT /_emulator/quickbooks-online/throttle-limits {requests_per_window?, window_millis?, concurrent?}",
            "GET|PUT|DELETE /_emulator/quickbooks-online/realms/{realm}/webhooks {url, verifier_token, format?, retry_delays_millis?, entities?}",
            "GET /_emulator/quickbooks-online/realms/{realm}/webhook-deliveries",
            "PUT /_emulator/quickbooks-online/realms/{realm}/settings {home_currency?, reject_duplicate_doc_numbers?}",
            "POST /_emulator/quickbooks-online/realms/{realm}/reset",
        ],
    }))
}

async fn list(State(state): State<EmulatorState>, Path((realm, name)): Path<(String, String)>) -> ControlResult {
    Ok(Json(state.quickbooks().list(&realm, collection(&name)?)).into_response())
}

/// Creates or updates like the API (without a token, throttling or `requestid`).
async fn write(
    State(state): State<EmulatorState>,
    Path((realm, name)): Path<(String, String)>,
    body: Bytes,
) -> ControlResult {
    let kind = collection(&name)?;
    let body: Value = parse(&body)?;
    Ok(match state.quickbooks().write(&realm, kind, &body, None) {
        Ok(entity) => Json(entity).into_response(),
        Err(fault) => fault.into_response(),
    })
}

async fn mark_paid(State(state): State<EmulatorState>, Path((realm, id)): Path<(String, String)>) -> ControlResult {
    let quickbooks = state.quickbooks();
    Ok(match quickbooks.mark_invoice_paid(&realm, &id) {
        Ok(payment) => {
            let invoice = quickbooks.read(&realm, EntityKind::Invoice, &id).unwrap_or(Value::Null);
            Json(json!({"Payment": payment, "Invoice": invoice})).into_response()
        }
        Err(fault) => fault.into_response(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottleBody {
    requests: u32,
}

async fn force_throttle(State(state): State<EmulatorState>, Path(realm): Path<String>, body: Bytes) -> ControlResult {
    let ThrottleBody { requests } = parse(&body)?;
    state.quickbooks().force_throttle(&realm, requests);
    done()
}

/// How many of the realm's requests were answered 429 so far.
async fn throttled(State(state): State<EmulatorState>, Path(realm): Path<String>) -> ControlResult {
    Ok(Json(json!({"throttled_requests": state.quickbooks().throttled_requests(&realm)})).into_response())
}

async fn clear_throttle(State(state): State<EmulatorState>, Path(realm): Path<String>) -> ControlResult {
    state.quickbooks().force_throttle(&realm, 0);
    done()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsBody {
    requests_per_window: Option<u32>,
    window_millis: Option<u64>,
    concurrent: Option<u32>,
}

fn limits_json(limits: ThrottleLimits) -> Value {
    json!({
        "requests_per_window": limits.requests_per_window,
        "window_millis": u64::try_from(limits.window.as_millis()).unwrap_or(u64::MAX),
        "concurrent": limits.concurrent,
    })
}

async fn get_limits(State(state): State<EmulatorState>) -> Json<Value> {
    Json(limits_json(state.quickbooks().throttle_limits()))
}

async fn set_limits(State(state): State<EmulatorState>, body: Bytes) -> ControlResult {
    let LimitsBody { requests_per_window, window_millis, concurrent } = parse(&body)?;
    let quickbooks = state.quickbooks();
    let current = quickbooks.throttle_limits();
    let limits = ThrottleLimits {
        requests_per_window: requests_per_window.unwrap_or(current.requests_per_window),
        window: window_millis.map_or(current.window, Duration::from_millis),
        concurrent: concurrent.unwrap_or(current.concurrent),
    };
    quickbooks.set_throttle_limits(limits);
    Ok(Json(limits_json(limits)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhooksBody {
    url: String,
    verifier_token: String,
    #[serde(default)]
    format: WebhookFormat,
    retry_delays_millis: Option<Vec<u64>>,
    entities: Option<Vec<EntityKind>>,
}

async fn set_webhooks(State(state): State<EmulatorState>, Path(realm): Path<String>, body: Bytes) -> ControlResult {
    let WebhooksBody { url, verifier_token, format, retry_delays_millis, entities } = parse(&body)?;
    if url::Url::parse(&url).is_err() {
        return Err(ControlError(StatusCode::BAD_REQUEST, format!("`{url}` is not an absolute URL")));
    }
    let mut config = WebhookConfig::new(url, verifier_token).with_format(format);
    if let Some(delays) = retry_delays_millis {
        config = config.with_retry_delays(delays.into_iter().map(Duration::from_millis).collect());
    }
    if let Some(entities) = entities {
        config = config.with_entities(entities);
    }
    state.quickbooks().configure_webhooks(&realm, config);
    done()
}

async fn get_webhooks(State(state): State<EmulatorState>, Path(realm): Path<String>) -> Json<Value> {
    let config = state.quickbooks().webhook_config(&realm);
    Json(config.map_or(Value::Null, |config| {
        json!({
            "url": config.url,
            "format": config.format,
            "retry_delays_millis": config.retry_delays.iter().map(Duration::as_millis).collect::<Vec<_>>(),
            "entities": config.entities,
        })
    }))
}

async fn remove_webhooks(State(state): State<EmulatorState>, Path(realm): Path<String>) -> ControlResult {
    state.quickbooks().remove_webhooks(&realm);
    done()
}

async fn deliveries(State(state): State<EmulatorState>, Path(realm): Path<String>) -> ControlResult {
    Ok(Json(state.quickbooks().webhook_deliveries(&realm)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    home_currency: Option<String>,
    reject_duplicate_doc_numbers: Option<bool>,
}

async fn settings(State(state): State<EmulatorState>, Path(realm): Path<String>, body: Bytes) -> ControlResult {
    let SettingsBody { home_currency, reject_duplicate_doc_numbers } = parse(&body)?;
    let quickbooks = state.quickbooks();
    if let Some(currency) = home_currency {
        quickbooks.set_home_currency(&realm, &currency);
    }
    if let Some(reject) = reject_duplicate_doc_numbers {
        quickbooks.reject_duplicate_doc_numbers(&realm, reject);
    }
    done()
}

async fn reset_realm(State(state): State<EmulatorState>, Path(realm): Path<String>) -> ControlResult {
    state.quickbooks().reset_realm(&realm);
    done()
}
