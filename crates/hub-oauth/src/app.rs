//! The OAuth app a network uses for one provider: endpoints, client credentials and quirks.
//! Built by the API layer from the provider catalog and the network's own settings.

use secrecy::SecretString;

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with client id and secret (RFC 6749 §2.3.1, preferred).
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Body,
}

/// How token requests carry their parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEncoding {
    /// `application/x-www-form-urlencoded` (RFC 6749).
    Form,
    /// A JSON object (Square, Clover).
    Json,
}

/// How a provider wants tokens revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeStyle {
    /// RFC 7009: `token` and `token_type_hint`, with the app's client authentication.
    Rfc7009,
    /// Square: `Authorization: Client <secret>` and JSON `{client_id, access_token}`.
    SquareClientHeader,
}

/// Everything needed to run OAuth against one provider for one network.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub provider: String,
    pub authorize_url: Option<String>,
    pub token_url: String,
    /// Where refresh tokens go when not the token endpoint (Clover).
    pub refresh_url: Option<String>,
    pub revoke_url: Option<String>,
    pub revoke_style: RevokeStyle,
    pub client_id: String,
    pub client_secret: SecretString,
    pub client_auth: ClientAuth,
    pub token_encoding: TokenEncoding,
    pub scopes: Vec<String>,
    pub scope_separator: String,
    /// Send a PKCE S256 challenge with the authorization request.
    pub pkce: bool,
    /// Extra authorization parameters (`access_type=offline`, `prompt=consent`, …).
    pub extra_authorize_params: Vec<(String, String)>,
}
