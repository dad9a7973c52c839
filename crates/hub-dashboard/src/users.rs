//! Creating dashboard users (for `hub users add` and tests): the password is hashed with argon2,
//! and a TOTP secret, when asked for, is sealed by the credential vault before it is stored.

use hub_core::access::{Role, TenantScope};
use hub_oauth::CredentialVault;
use hub_store::{ChangeContext, NewUser, Store, User};
use secrecy::SecretString;

use crate::password::{PasswordError, hash_password};
use crate::totp;

/// The issuer authenticator apps show beside the account.
pub const TOTP_ISSUER: &str = "Franchise Hub";

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum NewUserError {
    #[error("`{0}` is not an email address")]
    InvalidEmail(String),
    #[error("role {role} cannot have a {scope} scope")]
    RoleDoesNotFit { role: Role, scope: &'static str },
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("sealing the TOTP secret failed: {0}")]
    Vault(String),
    #[error(transparent)]
    Store(#[from] hub_store::StoreError),
}

/// A created user and, when TOTP was asked for, the `otpauth://` URI to enrol once.
pub struct CreatedUser {
    pub user: User,
    pub totp_uri: Option<String>,
}

/// Seals a TOTP secret for `user_owner` (the vault's associated data binds it to the user).
pub async fn seal_totp_secret(
    vault: &CredentialVault,
    network_id: &hub_core::id::NetworkId,
    user_owner: &str,
    secret: &[u8],
) -> Result<String, NewUserError> {
    vault.seal(network_id, user_owner, secret).await.map_err(|error| NewUserError::Vault(error.to_string()))
}

/// The vault owner string a user's TOTP secret is sealed under.
pub fn totp_owner(email: &str) -> String {
    format!("user-totp:{email}")
}

/// Who to create: an email, a role with its scope, a password, and whether to enrol TOTP.
pub struct UserRequest<'a> {
    pub email: &'a str,
    pub role: Role,
    pub scope: TenantScope,
    pub password: &'a SecretString,
    pub with_totp: bool,
}

/// Creates a user with `role` and `scope` (checked to fit each other and to lie within
/// `caller_scope` by the store).
pub async fn create_user(
    store: &dyn Store,
    vault: &CredentialVault,
    caller_scope: &TenantScope,
    ctx: &ChangeContext,
    request: UserRequest<'_>,
) -> Result<CreatedUser, NewUserError> {
    let UserRequest { email, role, scope, password, with_totp } = request;
    let email = hub_store::normalize_email(email).ok_or_else(|| NewUserError::InvalidEmail(email.to_owned()))?;
    if !role.fits_scope(scope.kind()) {
        let scope = match scope.kind() {
            hub_core::access::ScopeKind::Network => "network",
            hub_core::access::ScopeKind::Franchisee => "franchisee",
            hub_core::access::ScopeKind::Location => "location",
        };
        return Err(NewUserError::RoleDoesNotFit { role, scope });
    }
    let password_hash = hash_password(password)?;
    let (sealed_totp_secret, totp_uri) = if with_totp {
        let secret = totp::generate_secret();
        let sealed = seal_totp_secret(vault, &scope.network_id, &totp_owner(&email), &secret).await?;
        (Some(sealed), Some(totp::enrol_uri(TOTP_ISSUER, &email, &secret)))
    } else {
        (None, None)
    };
    let user =
        store.create_user(caller_scope, ctx, NewUser { email, role, scope, password_hash, sealed_totp_secret }).await?;
    Ok(CreatedUser { user, totp_uri })
}
