//! Sign-in and sign-out: email and password (then a TOTP code when enrolled), or an API key.
//! The sign-in form is protected by a double-submit token (a cookie that must match the hidden
//! field) and the origin check; failures are rate-limited per login and per client address, and
//! attempts on known users go to their network's audit log.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{TimeDelta, Utc};
use hub_api::AppState;
use hub_core::access::Subject;
use hub_store::{LoginAttempt, UserLogin};
use secrecy::SecretString;
use serde::Deserialize;

use crate::csrf::{Submitted, parse_form, same_origin, tokens_match};
use crate::session::{self, SESSION_COOKIE, cookie, settings_of};
use crate::view::{PageError, html};
use crate::{DashboardSettings, password, totp, users};

/// The double-submit cookie of the sign-in forms.
const SIGN_IN_COOKIE: &str = "hub_sign_in";

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInView<'a> {
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    message: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpView<'a> {
    csrf: &'a str,
    next: &'a str,
    message: Option<&'a str>,
}

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The request's settings and client address.
pub(crate) struct Client {
    pub settings: std::sync::Arc<DashboardSettings>,
    pub address: String,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, PageError> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(Client { settings: settings_of(parts), address })
    }
}

fn sign_in_page(
    settings: &DashboardSettings,
    status: StatusCode,
    next: &str,
    email: &str,
    message: Option<&str>,
) -> Result<Response, PageError> {
    let token = hub_oauth::random_token();
    let body = SignInView { csrf: &token, next, email, message }.render()?;
    let mut response = html(status, body);
    let cookie = session::set_cookie(settings, SIGN_IN_COOKIE, &token, 3600);
    response.headers_mut().append(header::SET_COOKIE, header_value(&cookie)?);
    Ok(response)
}

fn header_value(text: &str) -> Result<HeaderValue, PageError> {
    HeaderValue::from_str(text).map_err(|_| PageError::Internal("a cookie value is not a header value".into()))
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// `GET /sign-in`.
pub(crate) async fn form(client: Client, Query(query): Query<NextQuery>) -> Result<Response, PageError> {
    sign_in_page(&client.settings, StatusCode::OK, &safe_next(query.next.as_deref()), "", None)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    next: Option<String>,
    email: Option<String>,
    password: Option<String>,
    api_key: Option<String>,
}

/// Checks the sign-in form's origin and double-submit token.
fn check_sign_in_form(parts: &Parts, settings: &DashboardSettings, sent: &str) -> Result<(), PageError> {
    let expected = cookie(parts, SIGN_IN_COOKIE).unwrap_or("");
    if !same_origin(parts, settings) || !tokens_match(sent, expected) {
        tracing::warn!("refused a sign-in post without a matching origin and token");
        return Err(PageError::CsrfRejected);
    }
    Ok(())
}

fn redirect_with_cookie(target: &str, cookie: &str) -> Result<Response, PageError> {
    let mut response = Redirect::to(target).into_response();
    response.headers_mut().append(header::SET_COOKIE, header_value(cookie)?);
    let clear = format!("{SIGN_IN_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    response.headers_mut().append(header::SET_COOKIE, header_value(&clear)?);
    Ok(response)
}

async fn attempt(
    state: &AppState,
    login: &str,
    client: &str,
    succeeded: bool,
    user: Option<&hub_store::User>,
    reason: Option<&str>,
) -> Result<(), PageError> {
    let attempt = LoginAttempt {
        login: login.to_owned(),
        client: client.to_owned(),
        succeeded,
        at: Utc::now(),
        user: user.cloned(),
        reason: reason.map(str::to_owned),
    };
    state.store.record_login_attempt(&attempt).await?;
    if !succeeded {
        tracing::warn!(client, reason = reason.unwrap_or(""), "a dashboard sign-in failed");
    }
    Ok(())
}

/// `POST /sign-in`: a user's email and password, or an API key.
pub(crate) async fn submit(
    State(state): State<AppState>,
    client: Client,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let (parts, body) = request.into_parts();
    let bytes = read_body(body).await?;
    let form: SignInForm = parse_form(&bytes)?;
    let settings = &client.settings;
    check_sign_in_form(&parts, settings, &form.csrf)?;
    let next = safe_next(form.next.as_deref());
    let window = TimeDelta::from_std(settings.sign_in_window).unwrap_or(TimeDelta::minutes(15));

    if let Some(key) = form.api_key.as_deref().map(str::trim).filter(|key| !key.is_empty()) {
        let login = "api_key";
        let failures = state.store.failed_login_attempts(login, &client.address, Utc::now() - window).await?;
        if failures >= settings.max_failed_sign_ins {
            return Err(PageError::RateLimited);
        }
        let presented = SecretString::from(key.to_owned());
        for hash in state.hasher.candidate_hashes(&presented) {
            if let Some(found) = state.store.find_api_key_by_hash(&hash).await?
                && let Some(principal) = found.principal()
            {
                attempt(&state, login, &client.address, true, None, None).await?;
                let cookie =
                    session::open(&state, settings, &principal.scope.network_id, principal.subject, false).await?;
                return redirect_with_cookie(&next, &cookie);
            }
        }
        attempt(&state, login, &client.address, false, None, Some("unknown_or_revoked_key")).await?;
        return sign_in_page(settings, StatusCode::UNAUTHORIZED, &next, "", Some("That API key is not valid."));
    }

    let typed_email = form.email.as_deref().unwrap_or("");
    let Some(email) = hub_store::normalize_email(typed_email) else {
        return sign_in_page(settings, StatusCode::BAD_REQUEST, &next, typed_email, Some("Enter your email address."));
    };
    let failures = state.store.failed_login_attempts(&email, &client.address, Utc::now() - window).await?;
    if failures >= settings.max_failed_sign_ins {
        return Err(PageError::RateLimited);
    }
    let password = SecretString::from(form.password.unwrap_or_default());
    let logins = state.store.find_user_logins(&email).await?;
    // A wrong password for a known user is audited in that user's network.
    let named = logins.first().map(|login| login.user.clone());
    let checked = verify_any(logins, password).await?;
    let Some(login) = checked else {
        let reason = if named.is_some() { "wrong_password" } else { "unknown_email" };
        attempt(&state, &email, &client.address, false, named.as_ref(), Some(reason)).await?;
        return sign_in_page(settings, StatusCode::UNAUTHORIZED, &next, &email, Some("Wrong email or password."));
    };
    let user = &login.user;
    if user.disabled_at.is_some() {
        attempt(&state, &email, &client.address, false, Some(user), Some("disabled")).await?;
        return sign_in_page(settings, StatusCode::UNAUTHORIZED, &next, &email, Some("Wrong email or password."));
    }
    let subject = Subject::User(user.id.clone());
    if user.totp_enabled {
        // The password is right; the session opens nothing until the code is checked.
        let cookie = session::open(&state, settings, &user.network_id, subject, true).await?;
        let target =
            format!("/sign-in/totp?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
        return redirect_with_cookie(&target, &cookie);
    }
    attempt(&state, &email, &client.address, true, Some(user), None).await?;
    let cookie = session::open(&state, settings, &user.network_id, subject, false).await?;
    redirect_with_cookie(&next, &cookie)
}

/// The login whose password matches, checked off the async runtime (argon2 is slow on purpose).
/// An unknown email is checked against a decoy hash so it takes as long as a wrong password.
async fn verify_any(logins: Vec<UserLogin>, password: SecretString) -> Result<Option<UserLogin>, PageError> {
    tokio::task::spawn_blocking(move || {
        if logins.is_empty() {
            let _ = password::verify_password(&password, password::decoy_hash());
            return None;
        }
        logins.into_iter().find(|login| password::verify_password(&password, &login.password_hash).unwrap_or(false))
    })
    .await
    .map_err(|error| PageError::Internal(format!("password check: {error}")))
}

async fn read_body(body: axum::body::Body) -> Result<Bytes, PageError> {
    axum::body::to_bytes(body, 64 * 1024).await.map_err(|_| PageError::BadRequest("the form is too large".into()))
}

/// `GET /sign-in/totp`: the code form of a session that proved its password.
pub(crate) async fn totp_form(
    State(state): State<AppState>,
    parts: Parts,
    Query(query): Query<NextQuery>,
) -> Result<Response, PageError> {
    let settings = settings_of(&parts);
    let Some(pending) = session::live_session(&state, &settings, &parts).await?.filter(|s| s.awaiting_totp) else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let body =
        TotpView { csrf: &pending.csrf_token, next: &safe_next(query.next.as_deref()), message: None }.render()?;
    Ok(html(StatusCode::OK, body))
}

#[derive(Deserialize)]
struct TotpForm {
    #[serde(default)]
    csrf: String,
    next: Option<String>,
    #[serde(default)]
    code: String,
}

/// `POST /sign-in/totp`: checks the code (±1 step, each step once) and replaces the pending
/// session with a full one under a new token.
pub(crate) async fn totp_submit(
    State(state): State<AppState>,
    client: Client,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let (parts, body) = request.into_parts();
    let settings = &client.settings;
    let Some(pending) = session::live_session(&state, settings, &parts).await?.filter(|s| s.awaiting_totp) else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let bytes = read_body(body).await?;
    let form: TotpForm = parse_form(&bytes)?;
    if !same_origin(&parts, settings) || !tokens_match(&form.csrf, &pending.csrf_token) {
        return Err(PageError::CsrfRejected);
    }
    let next = safe_next(form.next.as_deref());
    let Subject::User(user_id) = &pending.subject else { return Err(PageError::Forbidden) };
    let network = hub_core::access::TenantScope::network(pending.network_id.clone());
    let user = state.store.get_user(&network, user_id).await?;
    let window = TimeDelta::from_std(settings.sign_in_window).unwrap_or(TimeDelta::minutes(15));
    if state.store.failed_login_attempts(&user.email, &client.address, Utc::now() - window).await?
        >= settings.max_failed_sign_ins
    {
        state.store.delete_session(&pending.network_id, &pending.id).await?;
        return Err(PageError::RateLimited);
    }
    let login = state.store.find_user_logins(&user.email).await?.into_iter().find(|login| login.user.id == user.id);
    let sealed = login.and_then(|login| login.sealed_totp_secret).ok_or(PageError::Forbidden)?;
    let secret = state
        .connections
        .vault()
        .open(&user.network_id, &users::totp_owner(&user.email), &sealed)
        .await
        .map_err(|error| PageError::Internal(format!("opening a TOTP secret: {error}")))?;
    let step = totp::verify(&secret, &form.code, Utc::now().timestamp());
    let accepted = match step {
        Some(step) => state.store.use_totp_step(&user.network_id, &user.id, step).await?,
        None => false,
    };
    if !accepted {
        attempt(&state, &user.email, &client.address, false, Some(&user), Some("wrong_totp")).await?;
        let body =
            TotpView { csrf: &pending.csrf_token, next: &next, message: Some("That code is not valid.") }.render()?;
        return Ok(html(StatusCode::UNAUTHORIZED, body));
    }
    attempt(&state, &user.email, &client.address, true, Some(&user), None).await?;
    state.store.delete_session(&pending.network_id, &pending.id).await?;
    let cookie = session::open(&state, settings, &user.network_id, pending.subject.clone(), false).await?;
    redirect_with_cookie(&next, &cookie)
}

#[derive(Deserialize)]
pub(crate) struct Empty {}

/// `POST /sign-out`: ends the session and clears the cookie.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    submitted: Submitted<Empty>,
) -> Result<Response, PageError> {
    let session = &submitted.viewer.session;
    state.store.delete_session(&session.network_id, &session.id).await?;
    let mut response = Redirect::to("/sign-in").into_response();
    let clear = session::set_cookie(&submitted.viewer.settings, SESSION_COOKIE, "", 0);
    response.headers_mut().append(header::SET_COOKIE, header_value(&clear)?);
    Ok(response)
}
