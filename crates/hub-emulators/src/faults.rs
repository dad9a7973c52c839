//! HTTP fault injection over the whole emulator: per provider and path prefix, answer 429 with
//! `Retry-After`, a 5xx, added latency, a hang, a dropped connection or malformed JSON.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::EmulatorError;
use crate::state::EmulatorState;

/// A fault to inject for requests under `/{provider}{path_prefix}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// The first path segment: a catalog provider id, or `google` for Google's OAuth server.
    pub provider: String,
    /// Matched against the path after `/{provider}`; empty matches everything under it.
    #[serde(default)]
    pub path_prefix: String,
    pub fault: HttpFault,
    /// How many requests it applies to; `None` until cleared.
    #[serde(default)]
    pub count: Option<u32>,
}

impl FaultRule {
    /// A fault for every request under `/{provider}{path_prefix}`, until cleared.
    pub fn new(provider: impl Into<String>, path_prefix: impl Into<String>, fault: HttpFault) -> Self {
        Self { provider: provider.into(), path_prefix: path_prefix.into(), fault, count: None }
    }

    /// The same fault for the next `count` matching requests only.
    pub fn times(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }
}

/// What an injected fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum HttpFault {
    /// 429 with `Retry-After: retry_after_secs`, in the provider's rate-limit body where known.
    RateLimited { retry_after_secs: u64 },
    /// Answer this status (500, 503, …) with a small JSON body.
    Status { status: u16 },
    /// Wait, then handle the request normally.
    Latency { millis: u64 },
    /// Hang for `secs`, then close the connection without answering.
    Timeout { secs: u64 },
    /// Close the connection without answering.
    ConnectionReset,
    /// 200 with a `Content-Type: application/json` body that is not JSON.
    MalformedJson,
}

/// A rule with its remaining count.
#[derive(Debug, Clone)]
pub(crate) struct ArmedRule {
    rule: FaultRule,
    remaining: Option<u32>,
}

impl ArmedRule {
    /// Validates the rule: a known provider prefix, a prefix starting with `/`, a sensible status.
    pub fn new(mut rule: FaultRule) -> Result<Self, EmulatorError> {
        if !is_known_prefix(&rule.provider) {
            return Err(EmulatorError::UnknownProvider(rule.provider));
        }
        if !rule.path_prefix.is_empty() && !rule.path_prefix.starts_with('/') {
            rule.path_prefix.insert(0, '/');
        }
        if let HttpFault::Status { status } = rule.fault
            && !is_error_status(status)
        {
            return Err(EmulatorError::InvalidFault(format!("status {status} is not an error status")));
        }
        if rule.count == Some(0) {
            return Err(EmulatorError::InvalidFault("count must be at least 1".to_owned()));
        }
        let remaining = rule.count;
        Ok(Self { rule, remaining })
    }

    pub fn rule(&self) -> FaultRule {
        FaultRule { count: self.remaining, ..self.rule.clone() }
    }

    /// Whether the rule covers a request path (`/square/v2/payments`).
    pub fn matches(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/').and_then(|rest| rest.strip_prefix(self.rule.provider.as_str())) else {
            return false;
        };
        (rest.is_empty() || rest.starts_with('/')) && rest.starts_with(self.rule.path_prefix.as_str())
    }

    /// The fault, and whether this use exhausted the rule.
    pub fn take(&mut self) -> (HttpFault, bool) {
        let exhausted = match self.remaining.as_mut() {
            Some(remaining) => {
                *remaining = remaining.saturating_sub(1);
                *remaining == 0
            }
            None => false,
        };
        (self.rule.fault, exhausted)
    }
}

/// Whether `status` is a valid 4xx or 5xx.
pub(crate) fn is_error_status(status: u16) -> bool {
    StatusCode::from_u16(status).is_ok_and(|status| status.is_client_error() || status.is_server_error())
}

/// Path prefixes the emulator serves or will serve: every catalog provider, plus `google`.
pub(crate) fn is_known_prefix(prefix: &str) -> bool {
    prefix == "google" || hub_connectors::provider(prefix).is_some()
}

/// Marks a response whose connection must be closed without sending it; [`crate::serve`] does
/// that, and any other server at least fails the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// Middleware: applies the first armed fault matching the request path.
pub(crate) async fn inject_faults(State(state): State<EmulatorState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/_emulator") {
        return next.run(request).await;
    }
    let Some(fault) = state.take_http_fault(path) else {
        return next.run(request).await;
    };
    let provider = path.trim_start_matches('/').split('/').next().unwrap_or_default().to_owned();
    tracing::debug!(provider, path, ?fault, "emulator injects a fault");
    match fault {
        HttpFault::Latency { millis } => {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            next.run(request).await
        }
        HttpFault::RateLimited { retry_after_secs } => rate_limited(&provider, retry_after_secs),
        HttpFault::Status { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            status_fault(&provider, status)
        }
        HttpFault::Timeout { secs } => {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            dropped_connection()
        }
        HttpFault::ConnectionReset => dropped_connection(),
        HttpFault::MalformedJson => {
            ([(header::CONTENT_TYPE, "application/json")], "{\"data\": [{\"id\": \"1\", \"amount\": ").into_response()
        }
    }
}

/// 429 with `Retry-After`, in the provider's documented rate-limit body where there is one.
fn rate_limited(provider: &str, retry_after_secs: u64) -> Response {
    let body = match provider {
        "square" => json!({"errors": [{
            "category": "RATE_LIMIT_ERROR",
            "code": "RATE_LIMITED",
            "detail": "Rate limit has been exceeded; retry after the time Retry-After gives.",
        }]}),
        "hubspot" => {
            json!({"status": "error", "message": "You have reached your secondly limit.", "category": "RATE_LIMITS"})
        }
        "twilio" => json!({"code": 20429, "message": "Too Many Requests", "status": 429}),
        "quickbooks-online" => crate::providers::quickbooks_online::QboFault::throttled().to_json(),
        _ => json!({"error": "rate_limited"}),
    };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// An injected error status, in the provider's error envelope where the emulator knows it
/// (Square: `API_ERROR` with the spec's code for the status, 4xx as `INVALID_REQUEST_ERROR`).
fn status_fault(provider: &str, status: StatusCode) -> Response {
    let body = match provider {
        "square" => {
            let (category, code) = match status.as_u16() {
                500 => ("API_ERROR", "INTERNAL_SERVER_ERROR"),
                502 => ("API_ERROR", "BAD_GATEWAY"),
                503 => ("API_ERROR", "SERVICE_UNAVAILABLE"),
                504 => ("API_ERROR", "GATEWAY_TIMEOUT"),
                429 => ("RATE_LIMIT_ERROR", "RATE_LIMITED"),
                code if code >= 500 => ("API_ERROR", "INTERNAL_SERVER_ERROR"),
                _ => ("INVALID_REQUEST_ERROR", "BAD_REQUEST"),
            };
            json!({"errors": [{"category": category, "code": code, "detail": "emulated fault"}]})
        }
        _ => json!({"error": "emulated_fault", "status": status.as_u16()}),
    };
    (status, Json(body)).into_response()
}

fn dropped_connection() -> Response {
    let mut response = Response::new(Body::new(FailingBody));
    response.extensions_mut().insert(DropConnection);
    response
}

/// A body whose first read fails, so a server that ignores [`DropConnection`] aborts anyway.
struct FailingBody;

impl HttpBody for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _context: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "emulated connection reset"))))
    }
}
