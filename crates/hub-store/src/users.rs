//! Dashboard users and their sessions: people who sign in with an email and password (and
//! optionally a TOTP code), and the sessions a sign-in opens.
//!
//! A user has a role and a scope exactly like an API key; the dashboard turns a live session into
//! the same [`hub_core::access::Principal`] the API uses. Passwords arrive already hashed (argon2,
//! by the dashboard); session tokens arrive as hashes; TOTP secrets arrive sealed by the vault.
//! Nothing here ever sees a secret in the clear.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_core::access::{Role, Subject, TenantScope};
use hub_core::id::{FranchiseeId, LocationId, NetworkId, SessionId, UserId};
use hub_core::page::{Page, PageRequest};

use crate::{ChangeContext, StoreResult};

/// The longest email address a user may have (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// A dashboard user as stored and listed: never the password hash or the TOTP secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub network_id: NetworkId,
    /// Lowercased; unique within the network.
    pub email: String,
    pub role: Role,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    /// Whether sign-in asks for a TOTP code after the password.
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
    /// Set once the user may no longer sign in.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl User {
    /// The scope this user sees.
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            network_id: self.network_id.clone(),
            franchisee_id: self.franchisee_id.clone(),
            location_id: self.location_id.clone(),
        }
    }
}

/// What sign-in needs to check a user: the stored password hash and sealed TOTP secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLogin {
    pub user: User,
    /// A PHC string (`$argon2id$…`).
    pub password_hash: String,
    /// The TOTP secret sealed by the vault (associated data: the user id), when enrolled.
    pub sealed_totp_secret: Option<String>,
    /// The last TOTP time step accepted: a code is never accepted twice.
    pub totp_last_step: Option<i64>,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Trimmed and lowercased by [`normalize_email`] before it gets here.
    pub email: String,
    pub role: Role,
    pub scope: TenantScope,
    pub password_hash: String,
    pub sealed_totp_secret: Option<String>,
}

/// An email address as users are keyed by it: trimmed, lowercased, with one `@` between a
/// non-empty local part and domain, and no spaces; `None` when it is not such an address.
pub fn normalize_email(text: &str) -> Option<String> {
    let email = text.trim().to_ascii_lowercase();
    let (local, domain) = email.split_once('@')?;
    let fine = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && email.len() <= MAX_EMAIL_LEN
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    fine.then_some(email)
}

/// A session as the dashboard checks it on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub network_id: NetworkId,
    /// Who signed in: a user, or an API key pasted into the sign-in form.
    pub subject: Subject,
    /// The token every form of this session carries (compared in constant time).
    pub csrf_token: String,
    /// A session that proved the password but still owes a TOTP code: it opens no page.
    pub awaiting_totp: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The session ends here whatever happens (absolute lifetime).
    pub expires_at: DateTime<Utc>,
}

/// A session to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub network_id: NetworkId,
    pub subject: Subject,
    /// SHA-256 of the cookie's token; the token itself is never stored.
    pub token_hash: String,
    pub csrf_token: String,
    pub awaiting_totp: bool,
    pub expires_at: DateTime<Utc>,
}

/// One sign-in attempt, for rate limiting (and, for known users, the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAttempt {
    /// The email or `api_key` as typed (normalised), so guesses against one account are counted.
    pub login: String,
    /// The client address as the hub saw it.
    pub client: String,
    pub succeeded: bool,
    pub at: DateTime<Utc>,
    /// The user the login names, when there is one: the attempt is audited in its network.
    pub user: Option<User>,
    /// Why it failed (`wrong_password`, `unknown_login`, `wrong_totp`, `disabled`), never a secret.
    pub reason: Option<String>,
}

/// Dashboard users, scoped like API keys.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user whose scope lies within `scope` (audited as `user.create`).
    async fn create_user(&self, scope: &TenantScope, ctx: &ChangeContext, new: NewUser) -> StoreResult<User>;
    /// One user in scope.
    async fn get_user(&self, scope: &TenantScope, id: &UserId) -> StoreResult<User>;
    /// Users in scope, in id order.
    async fn list_users(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<User>>;
    /// Every user with this (normalised) email in any network, with what sign-in checks:
    /// authentication, so unscoped.
    async fn find_user_logins(&self, email: &str) -> StoreResult<Vec<UserLogin>>;
    /// Sets or clears a user's sealed TOTP secret (audited as `user.totp.enable` / `disable`).
    async fn set_user_totp(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &UserId,
        sealed_secret: Option<String>,
    ) -> StoreResult<User>;
    /// Records that TOTP step `step` was used, unless it or a later one already was: `false`
    /// means the code was replayed and must be refused.
    async fn use_totp_step(&self, network_id: &NetworkId, id: &UserId, step: i64) -> StoreResult<bool>;
    /// Disables a user and ends its sessions (audited as `user.disable`).
    async fn disable_user(&self, scope: &TenantScope, ctx: &ChangeContext, id: &UserId) -> StoreResult<User>;
    /// Records one sign-in attempt; attempts naming a user are also audited in its network.
    async fn record_login_attempt(&self, attempt: &LoginAttempt) -> StoreResult<()>;
    /// Failed attempts for `login`, or from `client`, at or after `since` (whichever is more).
    async fn failed_login_attempts(&self, login: &str, client: &str, since: DateTime<Utc>) -> StoreResult<u64>;
}

/// Dashboard sessions. Lookups are by token hash: authentication, so unscoped.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, new: NewSession) -> StoreResult<Session>;
    /// The session whose token hashes to `token_hash`, if it exists (expired or not).
    async fn find_session(&self, token_hash: &str) -> StoreResult<Option<Session>>;
    /// Marks the session seen at `at` (the idle timeout counts from here).
    async fn touch_session(&self, network_id: &NetworkId, id: &SessionId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Ends a session (sign-out, expiry, or a TOTP step that replaced it); ending twice is fine.
    async fn delete_session(&self, network_id: &NetworkId, id: &SessionId) -> StoreResult<()>;
    /// Deletes sessions that expired before `now` or were last seen before `idle_before`;
    /// returns how many.
    async fn purge_sessions(&self, now: DateTime<Utc>, idle_before: DateTime<Utc>) -> StoreResult<u64>;
}

/// The columns [`UserRow`] reads.
macro_rules! user_columns {
    () => {
        "network_id, id, email, role, franchisee_id, location_id, sealed_totp_secret IS NOT NULL AS totp_enabled, \
         created_at, disabled_at"
    };
}
/// The columns [`SessionRow`] reads.
macro_rules! session_columns {
    () => {
        "network_id, id, subject, csrf_token, awaiting_totp, created_at, last_seen_at, expires_at"
    };
}
pub(crate) use {session_columns, user_columns};

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub network_id: String,
    pub id: String,
    pub email: String,
    pub role: String,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl TryFrom<UserRow> for User {
    type Error = crate::StoreError;
    fn try_from(row: UserRow) -> Result<Self, crate::StoreError> {
        use crate::rows::{parse, parse_optional};
        let role = Role::parse(&row.role)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("users.role `{}` is not a role", row.role)))?;
        Ok(Self {
            id: parse("users.id", &row.id, UserId::parse)?,
            network_id: parse("users.network_id", &row.network_id, NetworkId::parse)?,
            email: row.email,
            role,
            franchisee_id: parse_optional("users.franchisee_id", row.franchisee_id.as_deref(), FranchiseeId::parse)?,
            location_id: parse_optional("users.location_id", row.location_id.as_deref(), LocationId::parse)?,
            totp_enabled: row.totp_enabled,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub network_id: String,
    pub id: String,
    pub subject: String,
    pub csrf_token: String,
    pub awaiting_totp: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl TryFrom<SessionRow> for Session {
    type Error = crate::StoreError;
    fn try_from(row: SessionRow) -> Result<Self, crate::StoreError> {
        use crate::rows::parse;
        let subject = Subject::parse(&row.subject).ok_or_else(|| {
            crate::StoreError::Corrupt(format!("dashboard_sessions.subject `{}` is not a key or user", row.subject))
        })?;
        Ok(Self {
            id: parse("dashboard_sessions.id", &row.id, SessionId::parse)?,
            network_id: parse("dashboard_sessions.network_id", &row.network_id, NetworkId::parse)?,
            subject,
            csrf_token: row.csrf_token,
            awaiting_totp: row.awaiting_totp,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(normalize_email("  Ana@Example.COM ").as_deref(), Some("ana@example.com"));
        for bad in ["", "ana", "@example.com", "ana@", "a@b@c", "an a@example.com"] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
        assert_eq!(normalize_email(&format!("{}@x.io", "a".repeat(260))), None);
    }
}
