//! The control surface over HTTP, under `/_emulator/…`: the same switches as the Rust methods on
//! [`EmulatorState`], for tests in other processes and for a person trying the emulator by hand.

use std::collections::BTreeMap;
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

use crate::error::EmulatorError;
use crate::faults::{FaultRule, is_error_status};
use crate::oauth;
use crate::providers::{EmulatedProvider, profile};
use crate::state::{
    ClientRegistration, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, EmulatorState, Fault, TokenLifetimes,
};

/// The `/_emulator` routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/_emulator", get(index))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/clients", post(register_client))
        .route("/_emulator/faults", get(list_faults).post(inject_fault).delete(clear_faults))
        .route("/_emulator/{provider}/deny-next-authorization", post(deny_next))
        .route("/_emulator/{provider}/revoke-all", post(revoke_all))
        .route("/_emulator/{provider}/force-invalid-grant", post(force_invalid_grant))
        .route("/_emulator/{provider}/token-fault", put(set_token_fault).delete(clear_token_fault))
        .route("/_emulator/{provider}/token-lifetimes", put(set_lifetimes))
        .route("/_emulator/{provider}/token-requests", get(token_requests))
        .route("/_emulator/{provider}/token-info", post(token_info))
}

/// A refused control request: 404 for an unknown provider, 400 otherwise.
struct ControlError(StatusCode, String);

impl From<EmulatorError> for ControlError {
    fn from(error: EmulatorError) -> Self {
        let status = match error {
            EmulatorError::UnknownProvider(_) | EmulatorError::NotFound { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, error.to_string())
    }
}

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

fn provider(name: &str) -> Result<EmulatedProvider, ControlError> {
    Ok(name.parse::<EmulatedProvider>()?)
}

fn done() -> ControlResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// What is served where, and the default client.
async fn index() -> Json<Value> {
    let providers: Vec<Value> = EmulatedProvider::ALL
        .into_iter()
        .map(|provider| {
            let mut grouped: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (kind, path) in oauth::paths(profile(provider)) {
                grouped.entry(kind).or_default().push(path);
            }
            // One path as a string, several (HubSpot's v1 and v3 tokens) as a list.
            let paths: serde_json::Map<String, Value> = grouped
                .into_iter()
                .map(|(kind, mut list)| {
                    let value = if list.len() == 1 { json!(list.remove(0)) } else { json!(list) };
                    (kind.to_owned(), value)
                })
                .collect();
            json!({"provider": provider.slug(), "paths": paths})
        })
        .collect();
    Json(json!({
        "default_client": {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
        "providers": providers,
        "control": [
            "POST /_emulator/reset",
            "POST /_emulator/clients {provider?, client_id, client_secret, redirect_uris?}",
            "GET|POST|DELETE /_emulator/faults {provider, path_prefix?, fault:{kind,…}, count?}",
            "POST /_emulator/{provider}/deny-next-authorization",
            "POST /_emulator/{provider}/revoke-all",
            "POST /_emulator/{provider}/force-invalid-grant",
            "PUT|DELETE /_emulator/{provider}/token-fault {fault:{kind:status,status}|{kind:delay,millis}|{kind:invalid_grant}, count?}",
            "PUT /_emulator/{provider}/token-lifetimes {access_token_ttl_secs?, refresh_token_ttl_secs?}",
            "GET /_emulator/{provider}/token-requests",
            "POST /_emulator/{provider}/token-info {access_token}",
            "GET /_emulator/square/merchants",
            "GET|PUT /_emulator/square/merchants/{merchant_id} (PUT body: SquareMerchantConfig)",
            "GET /_emulator/square/merchants/{merchant_id}/counts",
            "GET /_emulator/square/merchants/{merchant_id}/daily-totals",
            "POST /_emulator/square/merchants/{merchant_id}/orders {location_id, count?}",
            "POST /_emulator/square/merchants/{merchant_id}/payments/{payment_id}/refund {amount?}",
            "PATCH|DELETE /_emulator/square/merchants/{merchant_id}/customers/{customer_id} (PATCH body: SquareCustomerUpdate)",
            "POST /_emulator/square/merchants/{merchant_id}/access-token {scopes?}",
        ],
    }))
}

async fn reset(State(state): State<EmulatorState>) -> ControlResult {
    state.reset();
    done()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientBody {
    /// One provider, or every provider when absent.
    provider: Option<String>,
    #[serde(flatten)]
    client: ClientRegistration,
}

async fn register_client(State(state): State<EmulatorState>, body: Bytes) -> ControlResult {
    let ClientBody { provider: name, client } = parse(&body)?;
    match name {
        Some(name) => state.register_client(provider(&name)?, client),
        None => {
            for provider in EmulatedProvider::ALL {
                state.register_client(provider, client.clone());
            }
        }
    }
    done()
}

async fn list_faults(State(state): State<EmulatorState>) -> Json<Vec<FaultRule>> {
    Json(state.active_faults())
}

async fn inject_fault(State(state): State<EmulatorState>, body: Bytes) -> ControlResult {
    state.inject_fault(parse(&body)?)?;
    done()
}

async fn clear_faults(State(state): State<EmulatorState>) -> ControlResult {
    state.clear_faults();
    done()
}

async fn deny_next(State(state): State<EmulatorState>, Path(name): Path<String>) -> ControlResult {
    state.deny_next_authorization(provider(&name)?);
    done()
}

async fn revoke_all(State(state): State<EmulatorState>, Path(name): Path<String>) -> ControlResult {
    state.revoke_all_tokens(provider(&name)?);
    done()
}

async fn force_invalid_grant(State(state): State<EmulatorState>, Path(name): Path<String>) -> ControlResult {
    state.force_invalid_grant(provider(&name)?);
    done()
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultBody {
    Status { status: u16 },
    Delay { millis: u64 },
    InvalidGrant,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFaultBody {
    fault: FaultBody,
    count: Option<u32>,
}

async fn set_token_fault(State(state): State<EmulatorState>, Path(name): Path<String>, body: Bytes) -> ControlResult {
    let provider = provider(&name)?;
    let TokenFaultBody { fault, count } = parse(&body)?;
    let fault = match fault {
        FaultBody::Status { status } if is_error_status(status) => Fault::Status(status),
        FaultBody::Status { status } => {
            return Err(EmulatorError::InvalidFault(format!("status {status} is not an error status")).into());
        }
        FaultBody::Delay { millis } => Fault::Delay(Duration::from_millis(millis)),
        FaultBody::InvalidGrant => Fault::InvalidGrant,
    };
    match count {
        Some(times) => state.token_endpoint_fault_times(provider, fault, times),
        None => state.token_endpoint_fault(provider, fault),
    }
    done()
}

async fn clear_token_fault(State(state): State<EmulatorState>, Path(name): Path<String>) -> ControlResult {
    state.clear_token_endpoint_fault(provider(&name)?);
    done()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LifetimesBody {
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_secs: Option<u64>,
}

async fn set_lifetimes(State(state): State<EmulatorState>, Path(name): Path<String>, body: Bytes) -> ControlResult {
    let provider = provider(&name)?;
    let LifetimesBody { access_token_ttl_secs, refresh_token_ttl_secs } = parse(&body)?;
    let lifetimes = TokenLifetimes {
        access: access_token_ttl_secs.map(Duration::from_secs),
        refresh: refresh_token_ttl_secs.map(Duration::from_secs),
    };
    state.set_token_lifetimes(provider, lifetimes);
    done()
}

async fn token_requests(State(state): State<EmulatorState>, Path(name): Path<String>) -> ControlResult {
    let counts = state.token_requests(provider(&name)?);
    Ok(Json(json!({"counts": counts, "total": counts.total()})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInfoBody {
    access_token: String,
}

async fn token_info(State(state): State<EmulatorState>, Path(name): Path<String>, body: Bytes) -> ControlResult {
    let provider = provider(&name)?;
    let TokenInfoBody { access_token } = parse(&body)?;
    let info = state.token_info(provider, &access_token);
    Ok(Json(json!({"valid": info.is_some(), "token": info})).into_response())
}
