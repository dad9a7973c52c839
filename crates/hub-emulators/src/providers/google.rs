//! Google's OAuth server, shared by Calendar, Business Profile, Ads and GA4 (`google-calendar.md`):
//! PKCE S256, a refresh token only with `access_type=offline`, ~1-hour access tokens, reusable
//! refresh tokens (refresh responses carry none), `invalid_grant` once revoked.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::EmulatedProvider;
use crate::oauth::errors::BearerFailure;
use crate::oauth::profile::{
    AuthorizeRules, BodyFormat, ClientAuthRule, DefaultLifetimes, PkceRule, Profile, RefreshCondition, RefreshRule,
    ResponseStyle,
};

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::Google,
    authorize: Some(AuthorizeRules {
        path: "/o/oauth2/v2/auth",
        response_type_required: true,
        pkce: PkceRule::Optional,
        s256_implied: false,
        refresh_condition: RefreshCondition::QueryParam("access_type", "offline"),
    }),
    token_paths: &["/token"],
    refresh_path: None,
    revoke: None,
    body: BodyFormat::Form,
    client_auth: ClientAuthRule::Either,
    public_pkce_clients: false,
    grant_type_optional: false,
    client_credentials: false,
    refresh: RefreshRule::Reusable { echo: false },
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(3599),
        refresh: None,
        pkce_refresh: None,
        code: Duration::from_secs(10 * 60),
    },
    new_grant_supersedes_previous: false,
    default_account: "emulated-user@example.com",
    style: &GoogleStyle,
};

struct GoogleStyle;

impl ResponseStyle for GoogleStyle {
    /// Google's JSON error: `status` for the v1 APIs, `errors[].reason` for Calendar v3.
    fn unauthorized(&self, failure: BearerFailure) -> Response {
        let body = json!({"error": {
            "code": 401,
            "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED",
            "errors": [{
                "domain": "global",
                "reason": "authError",
                "message": failure.description(),
                "locationType": "header",
                "location": "Authorization",
            }],
        }});
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    }
}
