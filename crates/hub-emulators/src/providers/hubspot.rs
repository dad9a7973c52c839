//! HubSpot's OAuth server (`hubspot.md`, spec `../specs/hubspot/oauth.json`): form bodies with
//! the client secret in the body, v1 and v3 token endpoints, 30-minute access tokens, reusable
//! refresh tokens, errors in HubSpot's `{status, message, correlationId, category}` shape.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::EmulatedProvider;
use crate::oauth::errors::{BearerFailure, GrantFailure, OAuthError};
use crate::oauth::profile::{
    AuthorizeRules, BodyFormat, ClientAuthRule, DefaultLifetimes, Issued, PkceRule, Profile, RefreshCondition,
    RefreshRule, ResponseStyle, RevokeRequest, RevokeRules, TokenContext,
};

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::HubSpot,
    authorize: Some(AuthorizeRules {
        path: "/oauth/authorize",
        response_type_required: false,
        pkce: PkceRule::Optional,
        s256_implied: false,
        refresh_condition: RefreshCondition::Always,
    }),
    token_paths: &["/oauth/v1/token", "/oauth/v3/token"],
    refresh_path: None,
    revoke: Some(RevokeRules { path: "/oauth/v3/token/revoke", request: RevokeRequest::Token }),
    body: BodyFormat::Form,
    client_auth: ClientAuthRule::Body,
    public_pkce_clients: false,
    grant_type_optional: false,
    client_credentials: false,
    refresh: RefreshRule::Reusable { echo: true },
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(30 * 60),
        refresh: None,
        pkce_refresh: None,
        code: Duration::from_secs(10 * 60),
    },
    new_grant_supersedes_previous: false,
    default_account: "62515",
    style: &HubSpotStyle,
};

struct HubSpotStyle;

impl ResponseStyle for HubSpotStyle {
    /// The spec's `AccessTokenResponse`.
    fn token_response(&self, issued: &Issued, _context: &TokenContext<'_>) -> Response {
        let mut body = json!({
            "token_type": "bearer",
            "access_token": issued.access_token,
            "expires_in": issued.expires_in(),
            "token_use": "access_token",
            "hub_id": account_number(&issued.account),
            "scopes": issued.scopes,
            "user_id": 1_000_001,
        });
        if let Some(refresh_token) = &issued.refresh_token {
            body["refresh_token"] = json!(refresh_token);
        }
        Json(body).into_response()
    }

    /// The spec's `Error` (category, correlationId, message) with the legacy `status` names
    /// (`BAD_AUTH_CODE`, `BAD_REFRESH_TOKEN`, …) saying which part was wrong.
    fn oauth_error(&self, error: &OAuthError) -> Response {
        let status = match error {
            OAuthError::InvalidRequest(_) => "BAD_REQUEST",
            OAuthError::InvalidClient(_) => "BAD_CLIENT_ID",
            OAuthError::InvalidGrant(GrantFailure::RedirectMismatch) => "BAD_REDIRECT_URI",
            OAuthError::InvalidGrant(failure) if failure.field() == "refresh_token" => "BAD_REFRESH_TOKEN",
            OAuthError::InvalidGrant(_) => "BAD_AUTH_CODE",
            OAuthError::UnsupportedGrantType(_) => "BAD_GRANT_TYPE",
            OAuthError::Unavailable(_) => "error",
        };
        let category = match error {
            OAuthError::Unavailable(_) => "INTERNAL_ERROR",
            _ => "VALIDATION_ERROR",
        };
        hubspot_error(error.status(), status, category, &error.description())
    }

    fn unauthorized(&self, failure: BearerFailure) -> Response {
        let category = match failure {
            BearerFailure::Expired => "EXPIRED_AUTHENTICATION",
            _ => "INVALID_AUTHENTICATION",
        };
        hubspot_error(StatusCode::UNAUTHORIZED, "error", category, failure.description())
    }
}

fn hubspot_error(status: StatusCode, name: &str, category: &str, message: &str) -> Response {
    let body = json!({
        "status": name,
        "message": message,
        "correlationId": uuid::Uuid::new_v4().to_string(),
        "category": category,
    });
    (status, Json(body)).into_response()
}

/// `hub_id` is a number in the spec; a non-numeric test account stays text.
fn account_number(account: &str) -> Value {
    account.parse::<u64>().map_or_else(|_| json!(account), |number| json!(number))
}
