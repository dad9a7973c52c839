//! Salesforce's OAuth server (`salesforce.md`): web server flow with optional PKCE, client
//! credentials, responses that name the org's `instance_url` and sign `id + issued_at` with the
//! consumer secret, no expiry field (sessions last 2 h by default), REST 401s as
//! `[{"message", "errorCode":"INVALID_SESSION_ID"}]`.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::EmulatedProvider;
use crate::oauth::errors::BearerFailure;
use crate::oauth::profile::{
    AuthorizeRules, BodyFormat, ClientAuthRule, DefaultLifetimes, Issued, PkceRule, Profile, RefreshCondition,
    RefreshRule, ResponseStyle, TokenContext,
};

/// The emulated org and user; `id` URLs are built from them.
const ORG_ID: &str = "00D5e000000EMULAT";
const USER_ID: &str = "0055e000000EMULAT";

pub(crate) static PROFILE: Profile = Profile {
    provider: EmulatedProvider::Salesforce,
    authorize: Some(AuthorizeRules {
        path: "/services/oauth2/authorize",
        response_type_required: true,
        pkce: PkceRule::Optional,
        s256_implied: false,
        refresh_condition: RefreshCondition::Always,
    }),
    token_paths: &["/services/oauth2/token"],
    refresh_path: None,
    revoke: None,
    body: BodyFormat::Form,
    client_auth: ClientAuthRule::Either,
    public_pkce_clients: false,
    grant_type_optional: false,
    client_credentials: true,
    refresh: RefreshRule::Reusable { echo: false },
    pkce_flow_refresh: None,
    lifetimes: DefaultLifetimes {
        access: Duration::from_secs(2 * 3600),
        refresh: None,
        pkce_refresh: None,
        code: Duration::from_secs(10 * 60),
    },
    new_grant_supersedes_previous: false,
    default_account: ORG_ID,
    style: &SalesforceStyle,
};

struct SalesforceStyle;

impl ResponseStyle for SalesforceStyle {
    fn token_response(&self, issued: &Issued, context: &TokenContext<'_>) -> Response {
        let instance_url = format!("{}/salesforce", context.base_url);
        let id = format!("{instance_url}/id/{}/{USER_ID}", issued.account);
        let issued_at = issued.issued_at.timestamp_millis().to_string();
        let mut body = json!({
            "access_token": issued.access_token,
            "signature": signature(context.client_secret.unwrap_or_default(), &id, &issued_at),
            "scope": issued.scopes.join(" "),
            "instance_url": instance_url,
            "id": id,
            "token_type": "Bearer",
            "issued_at": issued_at,
        });
        if let Some(refresh_token) = &issued.refresh_token {
            body["refresh_token"] = json!(refresh_token);
        }
        Json(body).into_response()
    }

    fn unauthorized(&self, _failure: BearerFailure) -> Response {
        let body = json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]);
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    }
}

/// Base64 HMAC-SHA256 of `id + issued_at`, keyed with the consumer secret.
pub(crate) fn signature(client_secret: &str, id: &str, issued_at: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(id.as_bytes());
            mac.update(issued_at.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}
