//! Intuit's OAuth server for QuickBooks Online (`quickbooks-online.md`): HTTP Basic client auth,
//! form bodies, 1-hour access tokens, ~101-day rolling refresh tokens that rotate, PKCE not
//! documented (ignored), errors as `{"error":"invalid_grant","error_description":…}`.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde_json::json;

use crate::oauth::errors::BearerFailure;
use crate::oauth::profile::{
    AuthorizeRules, BodyFormat, ClientAuthRule, DefaultLifetimes, Issued, PkceRule, Profile, RefreshCondition,
    RefreshRule, ResponseStyle, RevokeRequest, RevokeRules, TokenContext,
};
use crate::providers::EmulatedProvider;

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::QuickBooksOnline,
    authorize: Some(AuthorizeRules {
        path: "/connect/oauth2",
        response_type_required: true,
        pkce: PkceRule::Ignored,
        s256_implied: false,
        refresh_condition: RefreshCondition::Always,
    }),
    token_paths: &["/oauth2/v1/tokens/bearer"],
    refresh_path: None,
    revoke: Some(RevokeRules { path: "/v2/oauth2/tokens/revoke", request: RevokeRequest::Token }),
    body: BodyFormat::Form,
    client_auth: ClientAuthRule::Basic,
    public_pkce_clients: false,
    grant_type_optional: false,
    client_credentials: false,
    refresh: RefreshRule::Rotating,
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(3600),
        refresh: Some(Duration::from_secs(8_726_400)),
        pkce_refresh: None,
        code: Duration::from_secs(10 * 60),
    },
    new_grant_supersedes_previous: false,
    default_account: "9130350000000001",
    style: &IntuitStyle,
};

struct IntuitStyle;

impl ResponseStyle for IntuitStyle {
    fn token_response(&self, issued: &Issued, _context: &TokenContext<'_>) -> Response {
        let mut body = json!({
            "token_type": "bearer",
            "access_token": issued.access_token,
            "expires_in": issued.expires_in(),
        });
        if let (Some(refresh_token), Some(expires_at)) = (&issued.refresh_token, issued.refresh_expires_at) {
            body["refresh_token"] = json!(refresh_token);
            body["x_refresh_token_expires_in"] = json!((expires_at - issued.issued_at).num_seconds().max(0));
        }
        Json(body).into_response()
    }

    /// The documented `Fault` shape, `AuthenticationFault` type (also what the Accounting API
    /// answers for a missing, expired or revoked token).
    fn unauthorized(&self, failure: BearerFailure) -> Response {
        let body = json!({
            "Fault": {
                "Error": [{
                    "Message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "Detail": failure.description(),
                    "code": "3200",
                }],
                "type": "AuthenticationFault",
            },
            "time": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        });
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    }

    /// Intuit names the company (`realmId`) next to the code.
    fn redirect_extras(&self, account: &str) -> Vec<(&'static str, String)> {
        vec![("realmId", account.to_owned())]
    }
}
