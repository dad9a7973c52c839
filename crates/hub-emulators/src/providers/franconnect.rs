//! FranConnect's token endpoint as third-party code describes it (`franconnect.md`, unverified,
//! provisional): client credentials with HTTP Basic, the tenant in `X-TenantID`; API errors come
//! inside the `fcResponse` envelope.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::EmulatedProvider;
use crate::oauth::errors::BearerFailure;
use crate::oauth::profile::{BodyFormat, ClientAuthRule, DefaultLifetimes, Profile, RefreshRule, ResponseStyle};

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::FranConnect,
    authorize: None,
    token_paths: &["/userauth/oauth/token"],
    refresh_path: None,
    revoke: None,
    body: BodyFormat::Form,
    client_auth: ClientAuthRule::Basic,
    public_pkce_clients: false,
    grant_type_optional: false,
    client_credentials: true,
    refresh: RefreshRule::None,
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(3600),
        refresh: None,
        pkce_refresh: None,
        code: Duration::from_secs(60),
    },
    new_grant_supersedes_previous: false,
    default_account: "emulated-tenant",
    style: &FranConnectStyle,
};

struct FranConnectStyle;

impl ResponseStyle for FranConnectStyle {
    fn unauthorized(&self, failure: BearerFailure) -> Response {
        let body = json!({"fcResponse": {
            "responseStatus": "Error",
            "error": {"errorDetails": failure.description()},
        }});
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    }
}
