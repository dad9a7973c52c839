//! How the hub authenticates to a provider, and how that provider's tokens expire and refresh.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use super::durations;

/// How a connection proves who it is to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuthKind {
    /// OAuth 2.0 authorization code: a person approves in the browser, the hub gets tokens.
    #[serde(rename = "oauth2_code")]
    OAuth2Code {
        pkce: Pkce,
        client_auth: ClientAuth,
        /// How the token endpoint wants its parameters.
        token_body: TokenBody,
        /// What joins scopes in the `scope` parameter.
        scope_separator: &'static str,
        /// Parameters the authorize URL always carries besides the standard ones.
        #[schema(value_type = Vec<Vec<String>>)]
        extra_authorize_params: &'static [(&'static str, &'static str)],
    },
    /// OAuth 2.0 client credentials: the hub's own client id and secret, no person involved.
    ClientCredentials { client_auth: ClientAuth, token_body: TokenBody },
    /// A static key or token sent with every call.
    ApiKey { placement: ApiKeyPlacement },
    /// HTTP Basic with an account id and secret (Twilio).
    Basic,
    /// Client credentials over mutual TLS: the token call and every API call present a client
    /// certificate issued by the provider (ADP).
    #[serde(rename = "mutual_tls_oauth")]
    MutualTlsOAuth { client_auth: ClientAuth, token_body: TokenBody },
    /// A provider-specific sign-in call that returns a session token (Toast, Tableau).
    ProviderLogin,
    /// An XML gateway with sender credentials and a session id (Sage Intacct's XML API).
    XmlSession,
    /// No provider API: the partner pushes to the hub, signing with a secret shared with it.
    SharedSecret,
    /// The provider calls the hub, presenting a hub-issued API key (Looker Studio community
    /// connectors with AuthType `KEY`); the hub never calls the provider.
    HubApiKey,
}

/// Whether a provider takes a PKCE (`S256`) code challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pkce {
    /// The provider refuses an authorization without a challenge.
    Required,
    /// Accepted and checked; the hub always sends one.
    Supported,
    /// Not documented: the hub does not send one.
    Unsupported,
}

/// Where the client id and secret go on token requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `Authorization: Basic base64(client_id:client_secret)`.
    Basic,
    /// `client_id` and `client_secret` as body parameters.
    Body,
}

/// How a token request's parameters are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenBody {
    /// `application/x-www-form-urlencoded`, as RFC 6749 says.
    Form,
    /// A JSON object (Square, Clover).
    Json,
}

/// Where a static API key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(tag = "in", rename_all = "snake_case")]
pub enum ApiKeyPlacement {
    /// In a header, after an optional prefix (`Authorization: Bearer <key>`).
    Header { name: &'static str, prefix: &'static str },
    /// In the query string (`?access_token=<key>`).
    Query { name: &'static str },
}

/// How a provider's tokens expire and refresh: what the hub's refresher must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct TokenBehaviour {
    pub expiry: Expiry,
    pub refresh: Refresh,
    /// The refresh rule when the connection was authorized with PKCE and no client secret, if it
    /// differs (Square: single-use refresh tokens for PKCE clients).
    pub pkce_flow_refresh: Option<Refresh>,
    /// Typical access-token lifetime, for scheduling; the response's own expiry wins.
    #[serde(with = "durations::optional_seconds")]
    #[schema(value_type = Option<u64>)]
    pub access_ttl_hint: Option<Duration>,
    /// Typical refresh-token lifetime, when refresh tokens expire.
    #[serde(with = "durations::optional_seconds")]
    #[schema(value_type = Option<u64>)]
    pub refresh_ttl_hint: Option<Duration>,
    /// A refresh token left unused this long stops working: refresh before then (QuickBooks'
    /// rolling window).
    #[serde(with = "durations::optional_seconds")]
    #[schema(value_type = Option<u64>)]
    pub revokes_idle_after: Option<Duration>,
    /// How often the provider asks clients to refresh even when nothing expires (Square: weekly).
    #[serde(with = "durations::optional_seconds")]
    #[schema(value_type = Option<u64>)]
    pub refresh_at_least_every: Option<Duration>,
}

/// How a token response says when the access token expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expiry {
    /// A lifetime in seconds in the named field (`expires_in`).
    ExpiresIn { field: &'static str },
    /// An absolute instant in the named field.
    ExpiresAt { field: &'static str, format: TimestampFormat },
    /// The response carries no expiry: the token lasts until it is revoked or a call gets 401.
    None,
}

/// How an absolute expiry instant is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimestampFormat {
    /// ISO 8601 / RFC 3339 text (`2026-11-24T10:00:00Z`).
    Rfc3339,
    /// Seconds since the Unix epoch.
    UnixSeconds,
}

/// What happens to a refresh token when it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Refresh {
    /// A refresh may return a new refresh token, and only the newest one keeps working: always
    /// store the latest.
    Rotating,
    /// The same refresh token keeps working until revoked (responses repeat it or omit it).
    Reusable,
    /// Every refresh token works exactly once and the provider says so: persist the new one
    /// before anything else, and never replay a refresh whose answer was lost.
    SingleUseRotating,
    /// No refresh tokens: get a new access token with the original grant.
    None,
}
