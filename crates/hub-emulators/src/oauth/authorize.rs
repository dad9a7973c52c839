//! The authorize endpoint: validates the request, "approves" at once (or denies when told to) and
//! redirects back with `code` and `state`, as a person clicking "allow" would.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;
use url::Url;

use super::grants::Approval;
use super::profile::{AuthorizeRules, PkceRule, Profile, RefreshCondition};
use crate::state::EmulatorState;

/// Names the account the emulated person belongs to (`emulator_account=merchant-2`), so tests
/// can connect several distinct accounts. Not a real provider parameter.
pub(crate) const ACCOUNT_PARAMETER: &str = "emulator_account";

/// `GET /{provider}{authorize path}`.
pub(crate) async fn handle(
    profile: &'static Profile,
    rules: &'static AuthorizeRules,
    State(state): State<EmulatorState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).map(String::as_str).filter(|value| !value.is_empty());
    let Some(client_id) = param("client_id") else {
        return error_page("invalid_request", "client_id is required");
    };
    let registered = state.with_provider(profile.provider, |provider| provider.oauth.clients.get(client_id).cloned());
    let Some(client) = registered else {
        return error_page("invalid_client", "unknown client_id");
    };
    let redirect_uri = match param("redirect_uri") {
        Some(uri) => uri.to_owned(),
        None => match client.redirect_uris.as_slice() {
            [only] => only.clone(),
            _ => return error_page("invalid_request", "redirect_uri is required"),
        },
    };
    let Some(redirect) = Url::parse(&redirect_uri).ok().filter(|url| matches!(url.scheme(), "http" | "https")) else {
        return error_page("invalid_request", "redirect_uri must be an absolute http(s) URL");
    };
    if !client.redirect_uris.is_empty() && !client.redirect_uris.contains(&redirect_uri) {
        return error_page("invalid_request", "redirect_uri is not registered for this client");
    }

    // From here on the redirect URI is trusted: errors go back to the client.
    let state_param = param("state");
    let back = |pairs: &[(&str, &str)]| redirect_to(redirect.clone(), pairs, state_param);
    match param("response_type") {
        Some("code") => {}
        Some(_) => return back(&[("error", "unsupported_response_type")]),
        None if rules.response_type_required => {
            return back(&[("error", "invalid_request"), ("error_description", "response_type is required")]);
        }
        None => {}
    }
    let code_challenge = match read_challenge(rules, param("code_challenge"), param("code_challenge_method")) {
        Ok(challenge) => challenge,
        Err(description) => return back(&[("error", "invalid_request"), ("error_description", description)]),
    };
    let scopes: Vec<String> = param("scope").unwrap_or_default().split_whitespace().map(str::to_owned).collect();
    let offline = match rules.refresh_condition {
        RefreshCondition::Always => true,
        RefreshCondition::QueryParam(name, value) => param(name) == Some(value),
        RefreshCondition::Scope(scope) => scopes.iter().any(|requested| requested == scope),
    };
    let account = param(ACCOUNT_PARAMETER).unwrap_or(profile.default_account).to_owned();

    let approval = Approval { client_id: client.client_id, redirect_uri, scopes, code_challenge, account, offline };
    let code = state.with_provider(profile.provider, |provider| {
        if std::mem::take(&mut provider.deny_next) {
            return None;
        }
        Some(provider.oauth.issue_code(profile, Utc::now(), approval.clone()))
    });
    let Some(code) = code else {
        return back(&[("error", "access_denied"), ("error_description", "the user denied access")]);
    };
    let extras = profile.style.redirect_extras(&approval.account);
    let mut pairs = vec![("code", code.as_str())];
    pairs.extend(extras.iter().map(|(name, value)| (*name, value.as_str())));
    back(&pairs)
}

/// The challenge to store with the code, per the provider's PKCE rule.
fn read_challenge(
    rules: &AuthorizeRules,
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, &'static str> {
    if rules.pkce == PkceRule::Ignored {
        return Ok(None);
    }
    let Some(challenge) = challenge else {
        return match rules.pkce {
            PkceRule::Required => Err("code_challenge is required"),
            _ => Ok(None),
        };
    };
    match method {
        Some("S256") => {}
        None if rules.s256_implied => {}
        None => return Err("code_challenge_method must be S256"),
        Some(_) => return Err("only the S256 code_challenge_method is supported"),
    }
    let well_formed = challenge.len() == 43
        && challenge.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if !well_formed {
        return Err("code_challenge must be a base64url SHA-256 digest");
    }
    Ok(Some(challenge.to_owned()))
}

/// 302 to the client's redirect URI with `pairs` and the echoed `state`.
fn redirect_to(mut url: Url, pairs: &[(&str, &str)], state: Option<&str>) -> Response {
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_page("invalid_request", "redirect_uri cannot be used in a Location header"),
    }
}

/// What the provider shows when it cannot trust the redirect URI: an error, no redirect.
fn error_page(error: &str, description: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error, "error_description": description}))).into_response()
}
