//! Token endpoint calls (code exchange, refresh, client credentials, revocation) and the token
//! set we seal in the vault. Provider answers are parsed defensively: a malformed answer is an
//! error that names what was wrong, never a panic, and never echoes a token.

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use hub_resilience::{Priority, ProviderCall, ResilientClient};

use crate::app::{ClientAuth, OAuthApp, RevokeStyle, TokenEncoding};

/// What a provider granted, as sealed in the vault (serialised JSON, then encrypted).
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// When we received it: with `expires_at`, the token's lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obtained_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl Drop for TokenSet {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
        if let Some(refresh) = &mut self.refresh_token {
            refresh.zeroize();
        }
    }
}

impl TokenSet {
    /// Serialises for sealing; the buffer is wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(serde_json::to_vec(self).expect("a token set always serialises"))
    }

    /// Parses what [`to_bytes`](Self::to_bytes) wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TokenError> {
        serde_json::from_slice(bytes)
            .map_err(|_| TokenError::Malformed("stored credentials are not a token set".into()))
    }

    /// Whether the access token needs no refresh yet: it is good for longer than `margin`, or
    /// than half its lifetime when that is shorter (so a short-lived token is not refreshed on
    /// every use).
    pub fn fresh_for(&self, margin: Duration, now: DateTime<Utc>) -> bool {
        let Some(expires_at) = self.expires_at else { return true };
        let mut margin = chrono::Duration::from_std(margin).unwrap_or_default();
        if let Some(obtained_at) = self.obtained_at {
            margin = margin.min((expires_at - obtained_at) / 2);
        }
        expires_at - margin > now
    }
}

/// Why a token call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The grant (code or refresh token) is no longer valid: a person must authorize again.
    #[error("the provider refused the grant (invalid_grant): {0}")]
    InvalidGrant(String),
    /// The provider refused for another reason (bad client, bad request).
    #[error("the provider refused the request ({code}): {description}")]
    Rejected { code: String, description: String },
    /// The provider is down, slow or answered 5xx/429: try again later.
    #[error("the provider's token endpoint is unavailable: {0}")]
    Unavailable(String),
    /// The answer was not a token response.
    #[error("the provider's token response was malformed: {0}")]
    Malformed(String),
}

impl TokenError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: Option<String>,
    refresh_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    expires_at: Option<String>,
    scope: Option<serde_json::Value>,
}

fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}

/// Reads an error answer: the standard `error` member, or Square-style `errors[]`/`type`.
fn classify_error(status: u16, body: &str) -> TokenError {
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    let code = parsed["error"]
        .as_str()
        .or_else(|| parsed["errors"][0]["code"].as_str())
        .or_else(|| parsed["type"].as_str())
        .unwrap_or("")
        .to_owned();
    let description = parsed["error_description"]
        .as_str()
        .or_else(|| parsed["errors"][0]["detail"].as_str())
        .or_else(|| parsed["message"].as_str())
        .map(truncate)
        .unwrap_or_else(|| format!("HTTP {status}"));
    if status == 429 || status >= 500 {
        return TokenError::Unavailable(format!("HTTP {status}"));
    }
    let lowered = code.to_ascii_lowercase();
    if lowered.contains("invalid_grant") || (lowered == "unauthorized" && status == 401) || lowered.contains("revoked")
    {
        return TokenError::InvalidGrant(if description.is_empty() { code } else { description });
    }
    TokenError::Rejected { code: if code.is_empty() { format!("http_{status}") } else { code }, description }
}

fn parse_token_response(body: &str, now: DateTime<Utc>, requested_scopes: &[String]) -> Result<TokenSet, TokenError> {
    let raw: RawTokenResponse = serde_json::from_str(body)
        .map_err(|_| TokenError::Malformed("the body is not a JSON token response".into()))?;
    let access_token = raw
        .access_token
        .filter(|token| !token.is_empty())
        .ok_or_else(|| TokenError::Malformed("no access_token".into()))?;
    let expires_at = match (raw.expires_at, raw.expires_in) {
        (Some(at), _) => Some(
            DateTime::parse_from_rfc3339(&at)
                .map_err(|_| TokenError::Malformed("expires_at is not an RFC 3339 time".into()))?
                .with_timezone(&Utc),
        ),
        (None, Some(seconds)) => {
            let seconds = seconds
                .as_i64()
                .or_else(|| seconds.as_str().and_then(|s| s.parse().ok()))
                .filter(|s| (0..=10 * 365 * 86_400).contains(s))
                .ok_or_else(|| TokenError::Malformed("expires_in is not a number of seconds".into()))?;
            Some(now + chrono::Duration::seconds(seconds))
        }
        (None, None) => None,
    };
    let scopes = match raw.scope {
        Some(serde_json::Value::String(text)) => {
            text.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
        _ => requested_scopes.to_vec(),
    };
    Ok(TokenSet {
        access_token,
        refresh_token: raw.refresh_token,
        token_type: raw.token_type,
        expires_at,
        scopes,
        obtained_at: Some(now),
    })
}

/// Who a token call is for: the connection's breaker and quota, and how urgent it is.
#[derive(Debug, Clone)]
pub struct CallFor {
    /// The connection (its circuit breaker and rate limit).
    pub connection: Option<String>,
    pub priority: Priority,
}

/// Posts parameters to a token endpoint through the resilient outbound stack, form- or
/// JSON-encoded as the provider wants, with the app's client authentication.
async fn post_form(
    client: &ResilientClient,
    app: &OAuthApp,
    url: &str,
    mut form: Vec<(&str, String)>,
    call_for: &CallFor,
) -> Result<(u16, String), TokenError> {
    let mut request = client.http().post(url).header("accept", "application/json");
    match app.client_auth {
        ClientAuth::Basic => request = request.basic_auth(&app.client_id, Some(app.client_secret.expose_secret())),
        ClientAuth::Body => {
            form.push(("client_id", app.client_id.clone()));
            form.push(("client_secret", app.client_secret.expose_secret().to_owned()));
        }
    }
    request = match app.token_encoding {
        TokenEncoding::Form => request.form(&form),
        TokenEncoding::Json => {
            let body: serde_json::Map<String, serde_json::Value> =
                form.into_iter().map(|(name, value)| (name.to_owned(), serde_json::Value::String(value))).collect();
            request.json(&body)
        }
    };
    let request = request.build().map_err(|_| TokenError::Malformed("the token endpoint URL is invalid".into()))?;
    let mut call = ProviderCall::new(app.provider.clone(), format!("{}:{}", app.provider, app.client_id), request)
        .priority(call_for.priority);
    if let Some(connection) = &call_for.connection {
        call = call.connection(connection.clone());
    }
    match client.execute(call).await {
        Ok(response) => Ok((response.status.as_u16(), String::from_utf8_lossy(&response.body).into_owned())),
        Err(error) => match error.response() {
            Some(response) => Ok((response.status.as_u16(), String::from_utf8_lossy(&response.body).into_owned())),
            None => Err(TokenError::Unavailable(error.to_string())),
        },
    }
}

async fn token_call(
    client: &ResilientClient,
    app: &OAuthApp,
    url: &str,
    form: Vec<(&str, String)>,
    call_for: &CallFor,
) -> Result<TokenSet, TokenError> {
    let (status, body) = post_form(client, app, url, form, call_for).await?;
    if !(200..300).contains(&status) {
        return Err(classify_error(status, &body));
    }
    parse_token_response(&body, Utc::now(), &app.scopes)
}

/// Exchanges an authorization code (with its PKCE verifier) for tokens.
pub async fn exchange_code(
    client: &ResilientClient,
    call_for: &CallFor,
    app: &OAuthApp,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&SecretString>,
) -> Result<TokenSet, TokenError> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier.expose_secret().to_owned()));
    }
    token_call(client, app, &app.token_url, form, call_for).await
}

/// Uses a refresh token; keeps the old refresh token when the provider does not rotate it.
pub async fn refresh(
    client: &ResilientClient,
    call_for: &CallFor,
    app: &OAuthApp,
    current: &TokenSet,
) -> Result<TokenSet, TokenError> {
    let refresh_token =
        current.refresh_token.clone().ok_or_else(|| TokenError::InvalidGrant("no refresh token was granted".into()))?;
    let form = vec![("grant_type", "refresh_token".to_owned()), ("refresh_token", refresh_token.clone())];
    let url = app.refresh_url.as_deref().unwrap_or(&app.token_url);
    let mut tokens = token_call(client, app, url, form, call_for).await?;
    if tokens.refresh_token.is_none() {
        tokens.refresh_token = Some(refresh_token);
    }
    if tokens.scopes.is_empty() {
        tokens.scopes.clone_from(&current.scopes);
    }
    Ok(tokens)
}

/// The client credentials grant (machine-to-machine providers such as ADP).
pub async fn client_credentials(
    client: &ResilientClient,
    call_for: &CallFor,
    app: &OAuthApp,
) -> Result<TokenSet, TokenError> {
    let mut form = vec![("grant_type", "client_credentials".to_owned())];
    if !app.scopes.is_empty() {
        form.push(("scope", app.scopes.join(&app.scope_separator)));
    }
    token_call(client, app, &app.token_url, form, call_for).await
}

/// Revokes a token at the provider (RFC 7009, or Square's own call); a provider without
/// revocation is not an error.
pub async fn revoke(
    client: &ResilientClient,
    call_for: &CallFor,
    app: &OAuthApp,
    tokens: &TokenSet,
) -> Result<(), TokenError> {
    let Some(url) = &app.revoke_url else { return Ok(()) };
    let (status, body) = if app.revoke_style == RevokeStyle::SquareClientHeader {
        let request = client
            .http()
            .post(url)
            .header("authorization", format!("Client {}", app.client_secret.expose_secret()))
            .json(&serde_json::json!({ "client_id": app.client_id, "access_token": tokens.access_token }))
            .build()
            .map_err(|_| TokenError::Malformed("the revoke URL is invalid".into()))?;
        let mut call = ProviderCall::new(app.provider.clone(), format!("{}:{}", app.provider, app.client_id), request)
            .priority(call_for.priority);
        if let Some(connection) = &call_for.connection {
            call = call.connection(connection.clone());
        }
        match client.execute(call).await {
            Ok(response) => (response.status.as_u16(), String::from_utf8_lossy(&response.body).into_owned()),
            Err(error) => match error.response() {
                Some(response) => (response.status.as_u16(), String::from_utf8_lossy(&response.body).into_owned()),
                None => return Err(TokenError::Unavailable(error.to_string())),
            },
        }
    } else {
        let (token, hint) = match &tokens.refresh_token {
            Some(refresh) => (refresh.clone(), "refresh_token"),
            None => (tokens.access_token.clone(), "access_token"),
        };
        post_form(client, app, url, vec![("token", token), ("token_type_hint", hint.to_owned())], call_for).await?
    };
    if (200..300).contains(&status) { Ok(()) } else { Err(classify_error(status, &body)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses_of_every_shape_parse() {
        let now = Utc::now();
        let standard = parse_token_response(
            r#"{"access_token":"a","refresh_token":"r","expires_in":3600,"scope":"x y"}"#,
            now,
            &[],
        )
        .expect("standard");
        assert_eq!(standard.expires_at, Some(now + chrono::Duration::seconds(3600)));
        assert_eq!(standard.scopes, vec!["x", "y"]);
        let square =
            parse_token_response(r#"{"access_token":"a","expires_at":"2030-01-01T00:00:00Z"}"#, now, &["s".into()])
                .expect("square");
        assert_eq!(square.expires_at.map(|t| t.to_rfc3339()), Some("2030-01-01T00:00:00+00:00".into()));
        assert_eq!(square.scopes, vec!["s"]);
        let string_expiry =
            parse_token_response(r#"{"access_token":"a","expires_in":"60"}"#, now, &[]).expect("string");
        assert!(string_expiry.expires_at.is_some());
        for bad in [
            "",
            "[]",
            r#"{"token":"a"}"#,
            r#"{"access_token":""}"#,
            r#"{"access_token":"a","expires_in":-5}"#,
            r#"{"access_token":"a","expires_at":"soon"}"#,
        ] {
            assert!(matches!(parse_token_response(bad, now, &[]), Err(TokenError::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn short_lived_tokens_are_not_refreshed_on_every_use() {
        let now = Utc::now();
        let margin = Duration::from_secs(300);
        let short = TokenSet {
            access_token: "a".into(),
            refresh_token: None,
            token_type: None,
            expires_at: Some(now + chrono::Duration::seconds(60)),
            scopes: vec![],
            obtained_at: Some(now),
        };
        assert!(short.fresh_for(margin, now), "a new 60 s token is fresh");
        assert!(!short.fresh_for(margin, now + chrono::Duration::seconds(45)), "past half its life it is not");
        let mut long = short.clone();
        long.expires_at = Some(now + chrono::Duration::seconds(3600));
        assert!(long.fresh_for(margin, now + chrono::Duration::seconds(3000)));
        assert!(!long.fresh_for(margin, now + chrono::Duration::seconds(3400)), "within the margin");
    }

    #[test]
    fn errors_are_classified() {
        assert!(matches!(classify_error(400, r#"{"error":"invalid_grant"}"#), TokenError::InvalidGrant(_)));
        assert!(matches!(
            classify_error(400, r#"{"errors":[{"code":"INVALID_GRANT","detail":"x"}]}"#),
            TokenError::InvalidGrant(_)
        ));
        assert!(matches!(classify_error(503, "oops"), TokenError::Unavailable(_)));
        assert!(matches!(classify_error(429, ""), TokenError::Unavailable(_)));
        assert!(matches!(classify_error(401, r#"{"error":"invalid_client"}"#), TokenError::Rejected { .. }));
    }

    #[test]
    fn debug_never_shows_tokens() {
        let tokens = TokenSet {
            access_token: "sekrit-a".into(),
            refresh_token: Some("sekrit-r".into()),
            token_type: None,
            expires_at: None,
            scopes: vec![],
            obtained_at: None,
        };
        assert!(!format!("{tokens:?}").contains("sekrit"));
    }
}
