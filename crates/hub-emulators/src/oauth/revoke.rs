//! Revoke endpoints, where the provider documents one: revoking any token of a grant ends the
//! whole grant (its access tokens answer 401, its refresh tokens `invalid_grant`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::errors::OAuthError;
use super::profile::{BodyFormat, Profile, RevokeRequest};
use super::token::{authenticate, parse_body};
use crate::state::EmulatorState;

/// `POST /{provider}{revoke path}`.
pub(crate) async fn handle(
    profile: &'static Profile,
    request: RevokeRequest,
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = match request {
        RevokeRequest::SquareClientHeader => revoke_square(&state, profile, &headers, &body),
        RevokeRequest::Token => revoke_token(&state, profile, &headers, &body),
    };
    match (result, request) {
        (Ok(()), RevokeRequest::SquareClientHeader) => (StatusCode::OK, Json(json!({"success": true}))).into_response(),
        (Ok(()), _) => StatusCode::OK.into_response(),
        (Err(error), _) => profile.style.oauth_error(&error),
    }
}

/// RFC 7009 style: an authenticated client (authenticated as at the token endpoint) names one
/// token, form-encoded or as JSON (`{"token": …}`, as Intuit documents it) per `Content-Type`.
fn revoke_token(state: &EmulatorState, profile: &Profile, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let params = parse_body(if is_json { BodyFormat::Json } else { BodyFormat::Form }, body)?;
    let (client, _) = authenticate(state, profile, headers, &params)?;
    if !client.authenticated {
        return Err(OAuthError::InvalidClient("client_secret is required".to_owned()));
    }
    let token = params.get("token").ok_or_else(|| OAuthError::InvalidRequest("token is required".to_owned()))?;
    state.with_provider(profile.provider, |provider| provider.oauth.revoke_token(&client.client_id, token));
    Ok(())
}

/// Square: `Authorization: Client <application secret>`, JSON `{client_id, access_token}` or
/// `{client_id, merchant_id}`; every token of that merchant for the app is revoked.
fn revoke_square(state: &EmulatorState, profile: &Profile, headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let params = parse_body(BodyFormat::Json, body)?;
    let client_id =
        params.get("client_id").ok_or_else(|| OAuthError::InvalidRequest("client_id is required".to_owned()))?;
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Client "))
        .ok_or_else(|| OAuthError::InvalidClient("Authorization: Client <secret> is required".to_owned()))?;
    state.with_provider(profile.provider, |provider| {
        match provider.oauth.clients.get(client_id) {
            Some(client) if client.client_secret == secret => {}
            _ => return Err(OAuthError::InvalidClient("unknown client or wrong secret".to_owned())),
        }
        match (params.get("access_token"), params.get("merchant_id")) {
            (Some(token), None) => {
                let account = provider.oauth.bearer_account(token);
                if let Some(account) = account {
                    provider.oauth.revoke_account(client_id, &account);
                }
                Ok(())
            }
            (None, Some(merchant)) => {
                provider.oauth.revoke_account(client_id, merchant);
                Ok(())
            }
            _ => Err(OAuthError::InvalidRequest("give exactly one of access_token and merchant_id".to_owned())),
        }
    })
}
