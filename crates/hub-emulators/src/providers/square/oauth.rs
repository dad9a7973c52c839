//! Square's OAuth server (`square.md`, spec `../specs/square/api.json`): JSON token requests,
//! `expires_at` instants, refresh tokens that are multi-use in the code flow and single-use
//! (90 days) in the PKCE flow, errors as `{"errors":[{category, code, detail, field}]}`.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::SecondsFormat;
use serde_json::{Value, json};

use crate::oauth::errors::{BearerFailure, OAuthError};
use crate::oauth::profile::{
    AuthorizeRules, BodyFormat, ClientAuthRule, DefaultLifetimes, Issued, PkceRule, Profile, RefreshCondition,
    RefreshRule, ResponseStyle, RevokeRequest, RevokeRules, TokenContext,
};
use crate::oauth::whoami::bearer;
use crate::providers::EmulatedProvider;
use crate::state::EmulatorState;

const DAY: u64 = 86_400;

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::Square,
    authorize: Some(AuthorizeRules {
        path: "/oauth2/authorize",
        response_type_required: false,
        pkce: PkceRule::Optional,
        s256_implied: true,
        refresh_condition: RefreshCondition::Always,
    }),
    token_paths: &["/oauth2/token"],
    refresh_path: None,
    revoke: Some(RevokeRules { path: "/oauth2/revoke", request: RevokeRequest::SquareClientHeader }),
    body: BodyFormat::Json,
    client_auth: ClientAuthRule::Body,
    public_pkce_clients: true,
    grant_type_optional: false,
    client_credentials: false,
    refresh: RefreshRule::Reusable { echo: true },
    pkce_flow_refresh: Some(RefreshRule::Rotating),
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(30 * DAY),
        refresh: None,
        pkce_refresh: Some(Duration::from_secs(90 * DAY)),
        code: Duration::from_secs(5 * 60),
    },
    new_grant_supersedes_previous: false,
    default_account: "MLEMULATED0001",
    style: &SquareStyle,
};

struct SquareStyle;

impl ResponseStyle for SquareStyle {
    fn token_response(&self, issued: &Issued, _context: &TokenContext<'_>) -> Response {
        let mut body = json!({
            "access_token": issued.access_token,
            "token_type": "bearer",
            "expires_at": issued.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            "merchant_id": issued.account,
            "short_lived": false,
        });
        if let Some(refresh_token) = &issued.refresh_token {
            body["refresh_token"] = json!(refresh_token);
        }
        if let Some(expires_at) = issued.refresh_expires_at {
            body["refresh_token_expires_at"] = json!(expires_at.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
        Json(body).into_response()
    }

    fn oauth_error(&self, error: &OAuthError) -> Response {
        let (status, category, code, field) = match error {
            OAuthError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "INVALID_REQUEST_ERROR", "BAD_REQUEST", None),
            OAuthError::InvalidClient(_) => {
                (StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR", "UNAUTHORIZED", Some("client_secret"))
            }
            OAuthError::InvalidGrant(failure) => {
                (StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR", "UNAUTHORIZED", Some(failure.field()))
            }
            OAuthError::UnsupportedGrantType(_) => {
                (StatusCode::BAD_REQUEST, "INVALID_REQUEST_ERROR", "INVALID_VALUE", Some("grant_type"))
            }
            OAuthError::Unavailable(status) => (*status, "API_ERROR", api_error_code(*status), None),
        };
        errors(status, category, code, &error.description(), field)
    }

    fn unauthorized(&self, failure: BearerFailure) -> Response {
        let code = match failure {
            BearerFailure::Expired => "ACCESS_TOKEN_EXPIRED",
            BearerFailure::Revoked => "ACCESS_TOKEN_REVOKED",
            BearerFailure::Missing | BearerFailure::Unknown => "UNAUTHORIZED",
        };
        errors(StatusCode::UNAUTHORIZED, "AUTHENTICATION_ERROR", code, failure.description(), None)
    }
}

/// The spec's error codes for server-side statuses.
fn api_error_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "RATE_LIMITED",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "GATEWAY_TIMEOUT",
        _ => "INTERNAL_SERVER_ERROR",
    }
}

/// Square's error body; the HTTP status matches the first error.
fn errors(status: StatusCode, category: &str, code: &str, detail: &str, field: Option<&str>) -> Response {
    let mut error = json!({"category": category, "code": code, "detail": detail});
    if let Some(field) = field {
        error["field"] = json!(field);
    }
    (status, Json(json!({"errors": [error]}))).into_response()
}

/// Square's own "who am I" calls: `GET /v2/merchants/me` and `POST /oauth2/token/status`.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/square/v2/merchants/me", get(merchant_me))
        .route("/square/oauth2/token/status", post(token_status))
}

/// The merchant behind the token, from its dataset: business name, and the country, language
/// and currency of its main location.
async fn merchant_me(State(state): State<EmulatorState>, headers: HeaderMap) -> Response {
    respond(&state, &headers, |info| {
        let data = state.square_store().merchant(&info.account);
        let data = super::store::read(&data);
        json!({"merchant": super::render::people::merchant(&data)})
    })
}

async fn token_status(State(state): State<EmulatorState>, headers: HeaderMap) -> Response {
    respond(&state, &headers, |info| {
        json!({
            "scopes": info.scopes,
            "expires_at": info.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            "client_id": info.client_id,
            "merchant_id": info.account,
        })
    })
}

fn respond(
    state: &EmulatorState,
    headers: &HeaderMap,
    body: impl FnOnce(&crate::oauth::profile::BearerInfo) -> Value,
) -> Response {
    match bearer(state, &PROFILE, headers) {
        Ok(info) => Json(body(&info)).into_response(),
        Err(failure) => PROFILE.style.unauthorized(failure),
    }
}
