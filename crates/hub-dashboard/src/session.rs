//! Sessions: the cookie, and the [`Viewer`] extractor that turns it into the signed-in principal
//! on every request (expiry, idle timeout, revoked keys and disabled users all end it).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::{TimeDelta, Utc};
use hub_api::AppState;
use hub_core::access::{Permission, Principal, Subject, TenantScope};
use hub_oauth::sha256_hex;
use hub_store::{NewSession, Session};

use crate::DashboardSettings;
use crate::view::PageError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hub_session";

/// The value of cookie `name` in the request, if sent.
pub(crate) fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: `HttpOnly; SameSite=Lax; Path=/`, `Secure` on https, and `Max-Age`.
pub(crate) fn set_cookie(settings: &DashboardSettings, name: &str, value: &str, max_age_seconds: i64) -> String {
    let secure = if settings.secure_cookies() { "; Secure" } else { "" };
    format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_seconds}{secure}")
}

/// Opens a session for `subject` and returns the `Set-Cookie` value that carries its token.
pub(crate) async fn open(
    state: &AppState,
    settings: &DashboardSettings,
    network_id: &hub_core::id::NetworkId,
    subject: Subject,
    awaiting_totp: bool,
) -> Result<String, PageError> {
    let token = hub_oauth::random_token();
    let lifetime = if awaiting_totp {
        TimeDelta::minutes(5)
    } else {
        TimeDelta::from_std(settings.session_lifetime).unwrap_or(TimeDelta::hours(8))
    };
    state
        .store
        .create_session(NewSession {
            network_id: network_id.clone(),
            subject,
            token_hash: sha256_hex(&token),
            csrf_token: hub_oauth::random_token(),
            awaiting_totp,
            expires_at: Utc::now() + lifetime,
        })
        .await?;
    Ok(set_cookie(settings, SESSION_COOKIE, &token, lifetime.num_seconds()))
}

/// The session the cookie names, if it is still alive (not expired, not idle too long).
pub(crate) async fn live_session(
    state: &AppState,
    settings: &DashboardSettings,
    parts: &Parts,
) -> Result<Option<Session>, PageError> {
    let Some(token) = cookie(parts, SESSION_COOKIE) else { return Ok(None) };
    let Some(session) = state.store.find_session(&sha256_hex(token)).await? else { return Ok(None) };
    let now = Utc::now();
    let idle = TimeDelta::from_std(settings.idle_timeout).unwrap_or(TimeDelta::minutes(30));
    if session.expires_at <= now || session.last_seen_at + idle <= now {
        state.store.delete_session(&session.network_id, &session.id).await?;
        return Ok(None);
    }
    Ok(Some(session))
}

/// The principal a session stands for, read afresh: a revoked key or disabled user has none.
pub(crate) async fn principal_of(state: &AppState, session: &Session) -> Result<Option<Principal>, PageError> {
    let network = TenantScope::network(session.network_id.clone());
    let gone = |error: hub_store::StoreError| match error {
        hub_store::StoreError::NotFound { .. } => Ok(None),
        other => Err(PageError::from(other)),
    };
    match &session.subject {
        Subject::ApiKey(id) => match state.store.get_api_key(&network, id).await {
            Ok(key) => Ok(key.principal()),
            Err(error) => gone(error),
        },
        Subject::User(id) => match state.store.get_user(&network, id).await {
            Ok(user) => Ok(user.disabled_at.is_none().then(|| Principal {
                subject: session.subject.clone(),
                role: user.role,
                scope: user.scope(),
            })),
            Err(error) => gone(error),
        },
    }
}

/// Who is looking at the page: the signed-in principal and its session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Principal,
    pub session: Session,
    /// How the header names the viewer (an email, or an API key's name).
    pub label: String,
    pub settings: Arc<DashboardSettings>,
}

impl Viewer {
    /// Refuses with the 403 page unless the role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<&Principal, PageError> {
        if self.principal.may(permission) { Ok(&self.principal) } else { Err(PageError::Forbidden) }
    }

    pub fn scope(&self) -> &TenantScope {
        &self.principal.scope
    }
}

pub(crate) fn settings_of(parts: &Parts) -> Arc<DashboardSettings> {
    parts.extensions.get::<Arc<DashboardSettings>>().cloned().expect("the dashboard router always adds its settings")
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let settings = settings_of(parts);
        let back = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
        let Some(session) = live_session(state, &settings, parts).await? else {
            return Err(PageError::SignIn { back });
        };
        if session.awaiting_totp {
            return Err(PageError::SignIn { back });
        }
        let Some(principal) = principal_of(state, &session).await? else {
            state.store.delete_session(&session.network_id, &session.id).await?;
            return Err(PageError::SignIn { back });
        };
        // Only write when a minute has passed: every page view need not be a database write.
        let now = Utc::now();
        if now - session.last_seen_at > TimeDelta::seconds(60) {
            state.store.touch_session(&session.network_id, &session.id, now).await?;
        }
        let label = match &session.subject {
            Subject::User(id) => state
                .store
                .get_user(&TenantScope::network(session.network_id.clone()), id)
                .await
                .map(|user| user.email)
                .unwrap_or_else(|_| id.to_string()),
            Subject::ApiKey(id) => state
                .store
                .get_api_key(&TenantScope::network(session.network_id.clone()), id)
                .await
                .ok()
                .and_then(|key| {
                    key.name
                        .map(|name| format!("API key “{name}”"))
                        .or(Some(format!("API key {}…", key.display_prefix)))
                })
                .unwrap_or_else(|| id.to_string()),
        };
        Ok(Viewer { principal, session, label, settings })
    }
}
