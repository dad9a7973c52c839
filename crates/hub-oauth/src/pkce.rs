//! PKCE (RFC 7636, S256 only) and the random tokens used for `state` and connect links.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A PKCE code verifier: 32 random bytes, base64url (43 characters).
pub struct PkceVerifier(SecretString);

impl PkceVerifier {
    /// A new random verifier.
    pub fn generate() -> Self {
        Self(SecretString::from(random_token()))
    }

    /// Wraps a verifier read back from the vault.
    pub fn from_secret(secret: SecretString) -> Self {
        Self(secret)
    }

    /// The verifier itself, sent once at the token endpoint.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// `BASE64URL(SHA256(verifier))`, sent with the authorization request.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.expose_secret().as_bytes()))
    }
}

/// 256 random bits as 43 base64url characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256: how `state` values and link tokens are stored (never in the clear).
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_matches_rfc_7636_appendix_b() {
        let verifier =
            PkceVerifier::from_secret(SecretString::from("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned()));
        assert_eq!(verifier.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn verifiers_are_long_enough_and_distinct() {
        let a = PkceVerifier::generate();
        let b = PkceVerifier::generate();
        assert_eq!(a.secret().expose_secret().len(), 43);
        assert_ne!(a.secret().expose_secret(), b.secret().expose_secret());
    }
}
