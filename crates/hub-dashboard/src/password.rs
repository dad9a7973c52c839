//! Password hashing: argon2id with the crate's default (OWASP-recommended) cost, stored as a
//! PHC string; verification runs off the async runtime because it is deliberately slow.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use secrecy::{ExposeSecret, SecretString};

/// The shortest password a user may set.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Why a password cannot be used or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("the stored password hash is not a PHC string")]
    CorruptHash,
    #[error("hashing failed: {0}")]
    Hashing(String),
}

/// Hashes a new password (refusing short ones).
pub fn hash_password(password: &SecretString) -> Result<String, PasswordError> {
    if password.expose_secret().chars().count() < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordError::Hashing(error.to_string()))
}

/// Whether `password` matches the stored PHC string.
pub fn verify_password(password: &SecretString, stored: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(stored).map_err(|_| PasswordError::CorruptHash)?;
    Ok(Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the login names nobody, so an unknown email costs as much
/// time as a wrong password (no user enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password(&SecretString::from("decoy password that matches nothing".to_owned()))
            .unwrap_or_else(|_| String::from("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$invalid"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let password = SecretString::from("correct horse battery".to_owned());
        let first = hash_password(&password).expect("hash");
        let second = hash_password(&password).expect("hash");
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second, "salted");
        assert!(verify_password(&password, &first).expect("verify"));
        assert!(!verify_password(&SecretString::from("wrong horse battery".to_owned()), &first).expect("verify"));
        assert!(matches!(hash_password(&SecretString::from("short".to_owned())), Err(PasswordError::TooShort)));
        assert!(matches!(verify_password(&password, "plain"), Err(PasswordError::CorruptHash)));
        assert!(!verify_password(&password, decoy_hash()).expect("decoy parses"));
    }
}
