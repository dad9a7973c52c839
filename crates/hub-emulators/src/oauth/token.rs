//! The token endpoint: reads the request in the provider's format, authenticates the client,
//! counts the request, applies any injected fault, then redeems codes, refreshes or issues app
//! tokens by the provider's rules.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde_json::Value;

use super::errors::{GrantFailure, OAuthError};
use super::grants::{ClientIdentity, Issuance, Redemption};
use super::profile::{BodyFormat, ClientAuthRule, Profile, RefreshRule, TokenContext};
use crate::faults::is_error_status;
use crate::state::{EmulatorState, Fault};

/// Which of the provider's endpoints was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Token,
    /// A dedicated refresh endpoint: the grant is always `refresh_token`.
    Refresh,
}

/// Request parameters, whatever the body format.
pub(crate) type Params = HashMap<String, String>;

/// `POST /{provider}{token path}`.
pub(crate) async fn handle(
    profile: &'static Profile,
    endpoint: Endpoint,
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let style = profile.style;
    let params = parse_body(profile.body, &body);
    let grant_type = match endpoint {
        Endpoint::Refresh => Some("refresh_token".to_owned()),
        Endpoint::Token => params
            .as_ref()
            .ok()
            .and_then(|params| params.get("grant_type").cloned())
            .or_else(|| profile.grant_type_optional.then(|| "authorization_code".to_owned())),
    };
    let fault = state.with_provider(profile.provider, |provider| {
        provider.counts.count(grant_type.as_deref().unwrap_or_default());
        provider.take_token_fault()
    });
    match fault {
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Status(status)) => {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(|_| is_error_status(status))
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return style.oauth_error(&OAuthError::Unavailable(status));
        }
        Some(Fault::InvalidGrant) => return style.oauth_error(&OAuthError::InvalidGrant(GrantFailure::Forced)),
        None => {}
    }
    let params = match params {
        Ok(params) => params,
        Err(error) => return style.oauth_error(&error),
    };
    let Some(grant_type) = grant_type else {
        return style.oauth_error(&OAuthError::InvalidRequest("grant_type is required".to_owned()));
    };
    let (client, secret) = match authenticate(&state, profile, &headers, &params) {
        Ok(found) => found,
        Err(error) => return style.oauth_error(&error),
    };
    let issued = state.with_provider(profile.provider, |provider| {
        let issuance = Issuance { profile, lifetimes: provider.lifetimes, now: Utc::now() };
        let get = |name: &str| params.get(name).map(String::as_str).filter(|value| !value.is_empty());
        match grant_type.as_str() {
            "authorization_code" if profile.authorize.is_some() => {
                let code = get("code").ok_or_else(|| OAuthError::InvalidRequest("code is required".to_owned()))?;
                let redemption =
                    Redemption { code, redirect_uri: get("redirect_uri"), code_verifier: get("code_verifier") };
                provider.oauth.redeem_code(issuance, &client, redemption)
            }
            "refresh_token" if profile.refresh != RefreshRule::None => {
                let token = get("refresh_token")
                    .ok_or_else(|| OAuthError::InvalidRequest("refresh_token is required".to_owned()))?;
                provider.oauth.refresh(issuance, &client, token)
            }
            "client_credentials" if profile.client_credentials => {
                let scopes = get("scope").unwrap_or_default().split_whitespace().map(str::to_owned).collect();
                provider.oauth.client_credentials(issuance, &client, scopes)
            }
            other => Err(OAuthError::UnsupportedGrantType(other.to_owned())),
        }
    });
    match issued {
        Ok(issued) => {
            let base_url = base_url(&headers);
            style.token_response(&issued, &TokenContext { base_url: &base_url, client_secret: secret.as_deref() })
        }
        Err(error) => style.oauth_error(&error),
    }
}

/// Reads form or JSON parameters; JSON arrays (Square's `scopes`) become space-separated text.
pub(crate) fn parse_body(format: BodyFormat, body: &[u8]) -> Result<Params, OAuthError> {
    match format {
        BodyFormat::Form => Ok(url::form_urlencoded::parse(body).into_owned().collect()),
        BodyFormat::Json => {
            let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
                return Err(OAuthError::InvalidRequest("the body must be a JSON object".to_owned()));
            };
            Ok(object.into_iter().filter_map(|(name, value)| Some((name, json_text(value)?))).collect())
        }
    }
}

fn json_text(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::Array(items) => Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")),
        Value::Null | Value::Object(_) => None,
    }
}

/// Finds the client and checks its secret where the provider expects it. A missing secret is
/// not an error yet: public PKCE clients may go without.
pub(crate) fn authenticate(
    state: &EmulatorState,
    profile: &Profile,
    headers: &HeaderMap,
    params: &Params,
) -> Result<(ClientIdentity, Option<String>), OAuthError> {
    let basic = basic_credentials(headers);
    let from_body = params.get("client_id").map(|id| (id.clone(), params.get("client_secret").cloned()));
    let (client_id, secret) = match (profile.client_auth, basic, from_body) {
        (ClientAuthRule::Basic | ClientAuthRule::Either, Some((id, secret)), _) => (id, Some(secret)),
        (ClientAuthRule::Basic, None, _) => {
            return Err(OAuthError::InvalidClient("HTTP Basic client authentication is required".to_owned()));
        }
        (ClientAuthRule::Body, Some(_), _) => {
            return Err(OAuthError::InvalidClient("send client_id and client_secret in the body".to_owned()));
        }
        (ClientAuthRule::Body | ClientAuthRule::Either, None, Some(found)) => found,
        (ClientAuthRule::Body | ClientAuthRule::Either, None, None) => {
            return Err(OAuthError::InvalidClient("client_id is required".to_owned()));
        }
    };
    let registered = state.with_provider(profile.provider, |provider| provider.oauth.clients.get(&client_id).cloned());
    let Some(registered) = registered else {
        return Err(OAuthError::InvalidClient("unknown client_id".to_owned()));
    };
    let authenticated = match secret.as_deref() {
        Some(secret) if secret == registered.client_secret => true,
        Some(_) => return Err(OAuthError::InvalidClient("client_secret is wrong".to_owned())),
        None => false,
    };
    Ok((ClientIdentity { client_id, authenticated }, secret))
}

/// `Authorization: Basic base64(client_id:client_secret)`.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The emulator's own origin as the client reached it (`http://127.0.0.1:4010`).
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}
