//! Sage Intacct's REST OAuth server (`sage-intacct.md`): code flow with optional PKCE, a refresh
//! token only with `scope=offline_access`, client credentials, and the documented gotcha: a second
//! authorization for the same client and company invalidates the earlier refresh grant, answered
//! with `REST-2102 tokenInvalid`. Lifetimes are unverified; the defaults are the emulator's own.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::EmulatedProvider;
use crate::oauth::errors::{BearerFailure, GrantFailure, OAuthError, standard_error};
use crate::oauth::profile::{
    AuthorizeRules, BodyFormat, ClientAuthRule, DefaultLifetimes, PkceRule, Profile, RefreshCondition, RefreshRule,
    ResponseStyle,
};

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::SageIntacct,
    authorize: Some(AuthorizeRules {
        path: "/ia/api/v1/oauth2/authorize",
        response_type_required: true,
        pkce: PkceRule::Optional,
        s256_implied: false,
        refresh_condition: RefreshCondition::Scope("offline_access"),
    }),
    token_paths: &["/ia/api/v1/oauth2/token"],
    refresh_path: None,
    revoke: None,
    body: BodyFormat::Form,
    client_auth: ClientAuthRule::Body,
    public_pkce_clients: false,
    grant_type_optional: false,
    client_credentials: true,
    refresh: RefreshRule::Rotating,
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(3600),
        refresh: Some(Duration::from_secs(30 * 86_400)),
        pkce_refresh: None,
        code: Duration::from_secs(10 * 60),
    },
    new_grant_supersedes_previous: true,
    default_account: "emulated-company",
    style: &IntacctStyle,
};

struct IntacctStyle;

impl ResponseStyle for IntacctStyle {
    /// RFC 6749 bodies, except the superseded grant, which answers in the REST error envelope.
    fn oauth_error(&self, error: &OAuthError) -> Response {
        match error {
            OAuthError::InvalidGrant(GrantFailure::Superseded) => {
                intacct_error(StatusCode::BAD_REQUEST, "tokenInvalid", Some("REST-2102"), &error.description())
            }
            _ => standard_error(error),
        }
    }

    fn unauthorized(&self, failure: BearerFailure) -> Response {
        intacct_error(StatusCode::UNAUTHORIZED, "tokenInvalid", None, failure.description())
    }
}

/// `{"ia::result":{"ia::error":{code, message, errorId?}}, "ia::meta":{…}}` (third-party shape).
fn intacct_error(status: StatusCode, code: &str, error_id: Option<&str>, message: &str) -> Response {
    let mut error = json!({"code": code, "message": message, "supportId": uuid::Uuid::new_v4().to_string()});
    if let Some(error_id) = error_id {
        error["errorId"] = json!(error_id);
    }
    let body = json!({
        "ia::result": {"ia::error": error},
        "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1},
    });
    (status, Json(body)).into_response()
}
