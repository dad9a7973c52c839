//! Clover's v2 OAuth server (`clover.md`): PKCE required (low-trust apps), JSON token and refresh
//! calls on separate endpoints, single-use rotating refresh tokens, expiries as epoch seconds.
//! Lifetimes are dynamic at Clover; the defaults here are the emulator's own choice.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::EmulatedProvider;
use crate::oauth::errors::BearerFailure;
use crate::oauth::profile::{
    AuthorizeRules, BodyFormat, ClientAuthRule, DefaultLifetimes, Issued, PkceRule, Profile, RefreshCondition,
    RefreshRule, ResponseStyle, TokenContext,
};

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::Clover,
    authorize: Some(AuthorizeRules {
        path: "/oauth/v2/authorize",
        response_type_required: false,
        pkce: PkceRule::Required,
        s256_implied: false,
        refresh_condition: RefreshCondition::Always,
    }),
    token_paths: &["/oauth/v2/token"],
    refresh_path: Some("/oauth/v2/refresh"),
    revoke: None,
    body: BodyFormat::Json,
    client_auth: ClientAuthRule::Body,
    public_pkce_clients: true,
    grant_type_optional: true,
    client_credentials: false,
    refresh: RefreshRule::Rotating,
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(30 * 60),
        refresh: Some(Duration::from_secs(365 * 86_400)),
        pkce_refresh: None,
        code: Duration::from_secs(10 * 60),
    },
    new_grant_supersedes_previous: false,
    default_account: "EMULATEDMID01",
    style: &CloverStyle,
};

struct CloverStyle;

impl ResponseStyle for CloverStyle {
    /// Field names `access_token_expiration` / `refresh_token_expiration` are unverified.
    fn token_response(&self, issued: &Issued, _context: &TokenContext<'_>) -> Response {
        let mut body = json!({
            "access_token": issued.access_token,
            "access_token_expiration": issued.expires_at.timestamp(),
        });
        if let Some(refresh_token) = &issued.refresh_token {
            body["refresh_token"] = json!(refresh_token);
        }
        if let Some(expires_at) = issued.refresh_expires_at {
            body["refresh_token_expiration"] = json!(expires_at.timestamp());
        }
        Json(body).into_response()
    }

    /// Clover's JSON error shape is unverified; a plain message.
    fn unauthorized(&self, _failure: BearerFailure) -> Response {
        (StatusCode::UNAUTHORIZED, Json(json!({"message": "401 Unauthorized"}))).into_response()
    }

    /// The merchant that installed the app comes back with the code.
    fn redirect_extras(&self, account: &str) -> Vec<(&'static str, String)> {
        vec![("merchant_id", account.to_owned())]
    }
}
