//! `/webhooks/{provider}/{token}`: where providers deliver events. No API key: the URL token
//! names the source and the provider's signature (checked on the raw bytes) proves the sender.
//! The 2xx leaves only once the delivery is durably stored; a repeat answers 2xx and stores
//! nothing; a delivery that does not verify answers 401 and changes nothing.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use hub_core::ErrorCode;
use hub_webhooks::RuntimeError;
use hub_webhooks::inbound::{InboundCall, InboundRejection, InboundReply};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::extract::Path;
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_delivery, receive_handshake))
}

/// What a stored delivery is answered with.
#[derive(Serialize, ToSchema)]
struct Received {
    /// `stored` (new) or `duplicate` (the same event was stored before; nothing new was).
    status: &'static str,
}

impl From<RuntimeError> for ApiError {
    fn from(error: RuntimeError) -> Self {
        match error {
            RuntimeError::Store(store) => store.into(),
            other => {
                let code = other.code();
                let detail = if code == ErrorCode::Unavailable {
                    "the hub cannot store deliveries right now; retry"
                } else {
                    "an internal error occurred; it has been logged"
                };
                let mut api = ApiError::new(code, detail);
                api.internal = Some(other.to_string());
                api
            }
        }
    }
}

async fn receive(
    state: AppState,
    method: Method,
    provider: String,
    token: String,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let call = InboundCall {
        provider: &provider,
        token: &token,
        method: &method,
        query: uri.query(),
        headers: &headers,
        body,
    };
    match state.webhooks.inbound().receive(call).await {
        Ok(InboundReply::Stored) => Ok(axum::Json(Received { status: "stored" }).into_response()),
        Ok(InboundReply::Duplicate) => Ok(axum::Json(Received { status: "duplicate" }).into_response()),
        Ok(InboundReply::Challenge(challenge)) => {
            Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge).into_response())
        }
        Ok(InboundReply::Acknowledged) => Ok(axum::http::StatusCode::OK.into_response()),
        Err(InboundRejection::NotFound) => Err(ApiError::new(ErrorCode::NotFound, "no webhook source at this URL")),
        // The reason is audited for the operator; the sender learns only that it failed.
        Err(InboundRejection::Unauthenticated(_)) => {
            Err(ApiError::unauthenticated("the delivery's signature does not verify"))
        }
        Err(InboundRejection::Forbidden(_)) => {
            Err(ApiError::new(ErrorCode::Forbidden, "the subscription handshake is refused"))
        }
        Err(InboundRejection::Runtime(error)) => Err(error.into()),
    }
}

/// Receives a provider's webhook delivery. Answers 200 `{"status":"stored"}` once it is stored,
/// 200 `{"status":"duplicate"}` for a repeat, 200 with no body for Google's channel `sync`
/// handshake, 401 when the signature does not verify, 404 for an unknown URL.
#[utoipa::path(post, path = "/webhooks/{provider}/{token}", tag = "webhooks", security(()),
    params(("provider" = String, Path, description = "The provider's catalog id, such as `stripe`"),
           ("token" = String, Path, description = "The source's URL token")),
    request_body(content = String, description = "The provider's payload, byte for byte"),
    responses((status = 200, body = Received), (status = "4XX", body = Problem)))]
async fn receive_delivery(
    State(state): State<AppState>,
    method: Method,
    Path((provider, token)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    receive(state, method, provider, token, uri, headers, body).await
}

/// Answers Meta's subscription handshake (`hub.mode=subscribe`, `hub.verify_token`,
/// `hub.challenge`): 200 with exactly the challenge when the verify token matches, 403 otherwise.
#[utoipa::path(get, path = "/webhooks/{provider}/{token}", tag = "webhooks", security(()),
    params(("provider" = String, Path, description = "The provider's catalog id (`meta`)"),
           ("token" = String, Path, description = "The source's URL token")),
    responses((status = 200, body = String, content_type = "text/plain"), (status = "4XX", body = Problem)))]
async fn receive_handshake(
    State(state): State<AppState>,
    method: Method,
    Path((provider, token)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    receive(state, method, provider, token, uri, headers, Bytes::new()).await
}
