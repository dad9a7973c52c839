//! What makes one provider's OAuth server different from another's, as data plus a response
//! style: paths, client authentication, PKCE, refresh rotation, lifetimes and body shapes.

use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::errors::{BearerFailure, OAuthError, standard_error, standard_unauthorized};
use crate::providers::EmulatedProvider;

/// One emulated OAuth server. Paths are relative to the provider's prefix (`/square`).
pub(crate) struct Profile {
    pub provider: EmulatedProvider,
    pub authorize: Option<AuthorizeRules>,
    /// Token endpoints; several when the provider has versions (HubSpot v1 and v3).
    pub token_paths: &'static [&'static str],
    /// A separate refresh endpoint (Clover), which takes refresh tokens without a `grant_type`.
    pub refresh_path: Option<&'static str>,
    pub revoke: Option<RevokeRules>,
    pub body: BodyFormat,
    pub client_auth: ClientAuthRule,
    /// Whether a code bound to a PKCE challenge may be redeemed (and its refresh tokens used)
    /// without the client secret, as public clients do (Square, Clover).
    pub public_pkce_clients: bool,
    /// Whether `grant_type` may be left out of token requests (it then means `authorization_code`).
    pub grant_type_optional: bool,
    pub client_credentials: bool,
    pub refresh: RefreshRule,
    /// The refresh rule for grants whose authorization carried a PKCE challenge, if different.
    pub pkce_flow_refresh: Option<RefreshRule>,
    pub lifetimes: DefaultLifetimes,
    /// A new authorization for the same client and account invalidates older refresh tokens
    /// (Sage Intacct's `REST-2102`).
    pub new_grant_supersedes_previous: bool,
    /// The account (merchant, realm, org…) a person approving in the emulator belongs to, unless
    /// the authorize request names another with `emulator_account`.
    pub default_account: &'static str,
    pub style: &'static dyn ResponseStyle,
}

/// How the authorize endpoint reads its request.
pub(crate) struct AuthorizeRules {
    pub path: &'static str,
    pub response_type_required: bool,
    pub pkce: PkceRule,
    /// A challenge without `code_challenge_method` means S256 (Square takes no method parameter).
    pub s256_implied: bool,
    pub refresh_condition: RefreshCondition,
}

/// What the authorize endpoint does with `code_challenge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PkceRule {
    /// Not documented for this provider: the parameters are ignored.
    Ignored,
    Optional,
    Required,
}

/// When an authorization code comes with a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshCondition {
    Always,
    /// Only when the authorize request carried this parameter value (Google `access_type=offline`).
    QueryParam(&'static str, &'static str),
    /// Only when this scope was requested (Sage Intacct `offline_access`).
    Scope(&'static str),
}

/// What happens to a refresh token when it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshRule {
    /// Keeps working; `echo` says whether refresh responses repeat it.
    Reusable { echo: bool },
    /// Used once: the response carries a new one, the old one is refused from then on.
    Rotating,
    /// No refresh tokens at all.
    None,
}

/// How a token request carries its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFormat {
    Form,
    Json,
}

/// Where the provider reads client credentials from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuthRule {
    Basic,
    Body,
    Either,
}

/// How the provider's revoke endpoint is called.
pub(crate) struct RevokeRules {
    pub path: &'static str,
    pub request: RevokeRequest,
}

/// The shapes of revoke requests the emulator understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevokeRequest {
    /// Square: `Authorization: Client <secret>`, JSON `{client_id, access_token | merchant_id}`.
    SquareClientHeader,
    /// RFC 7009 style: `token`, form-encoded or JSON, with the client authenticated as at the
    /// token endpoint (QuickBooks: Basic; HubSpot v3: in the body).
    Token,
}

/// Default lifetimes; tests override them per provider.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DefaultLifetimes {
    pub access: Duration,
    /// `None`: refresh tokens never expire.
    pub refresh: Option<Duration>,
    /// Refresh-token lifetime for PKCE-flow grants, if different (Square: 90 days).
    pub pkce_refresh: Option<Duration>,
    pub code: Duration,
}

/// Tokens just issued by a token endpoint, for a style to render.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub access_token: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub refresh_token: Option<String>,
    pub refresh_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub account: String,
}

impl Issued {
    /// Whole seconds until the access token expires, as `expires_in` says.
    pub fn expires_in(&self) -> i64 {
        (self.expires_at - self.issued_at).num_seconds().max(0)
    }
}

/// What a style may need beyond the tokens: the emulator's own origin, and the client's secret
/// (Salesforce signs its responses with it).
pub(crate) struct TokenContext<'a> {
    pub base_url: &'a str,
    pub client_secret: Option<&'a str>,
}

/// What the emulator knows about a valid access token, for "who am I" answers.
#[derive(Debug, Clone)]
pub(crate) struct BearerInfo {
    pub client_id: String,
    pub account: String,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// A provider's response bodies. The defaults are RFC 6749 shapes; providers override what
/// they do differently.
pub(crate) trait ResponseStyle: Send + Sync {
    fn token_response(&self, issued: &Issued, _context: &TokenContext<'_>) -> Response {
        let mut body = json!({
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in(),
        });
        if let Some(refresh_token) = &issued.refresh_token {
            body["refresh_token"] = json!(refresh_token);
        }
        if !issued.scopes.is_empty() {
            body["scope"] = json!(issued.scopes.join(" "));
        }
        (StatusCode::OK, Json(body)).into_response()
    }

    fn oauth_error(&self, error: &OAuthError) -> Response {
        standard_error(error)
    }

    fn unauthorized(&self, failure: BearerFailure) -> Response {
        standard_unauthorized(failure)
    }

    fn whoami(&self, provider: EmulatedProvider, info: &BearerInfo) -> Value {
        json!({
            "provider": provider.slug(),
            "client_id": info.client_id,
            "account": info.account,
            "scopes": info.scopes,
            "expires_at": info.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    /// Parameters the provider adds to the redirect besides `code` and `state`.
    fn redirect_extras(&self, _account: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// RFC 6749 bodies everywhere.
pub(crate) struct StandardStyle;

impl ResponseStyle for StandardStyle {}
