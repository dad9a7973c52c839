//! Entra ID's token endpoint for Power BI service principals (`power-bi.md`): client credentials
//! with the secret in the form, scope `https://analysis.windows.net/powerbi/api/.default`, tokens
//! of about an hour, no refresh token; the tenant id is part of the path.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::EmulatedProvider;
use crate::oauth::errors::BearerFailure;
use crate::oauth::profile::{BodyFormat, ClientAuthRule, DefaultLifetimes, Profile, RefreshRule, ResponseStyle};

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::PowerBi,
    authorize: None,
    token_paths: &["/{tenant_id}/oauth2/v2.0/token"],
    refresh_path: None,
    revoke: None,
    body: BodyFormat::Form,
    client_auth: ClientAuthRule::Body,
    public_pkce_clients: false,
    grant_type_optional: false,
    client_credentials: true,
    refresh: RefreshRule::None,
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(3599),
        refresh: None,
        pkce_refresh: None,
        code: Duration::from_secs(60),
    },
    new_grant_supersedes_previous: false,
    default_account: "emulated-tenant",
    style: &PowerBiStyle,
};

struct PowerBiStyle;

impl ResponseStyle for PowerBiStyle {
    /// `{"error":{"code","message"}}` (shape unverified).
    fn unauthorized(&self, failure: BearerFailure) -> Response {
        let code = match failure {
            BearerFailure::Expired => "TokenExpired",
            _ => "InvalidToken",
        };
        (StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": code, "message": failure.description()}})))
            .into_response()
    }
}
