//! The secrets inbound verification is keyed with, kept out of logs and wiped on drop.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::WebhookError;

/// One secret a provider shares with the hub for one connection, exactly as the provider shows
/// it: Stripe's `whsec_…` signing secret, Square's signature key, QuickBooks' verifier token,
/// HubSpot's client secret, Twilio's auth token, SendGrid's verification public key (base64 DER),
/// Meta's app secret (or its verify token for the subscription handshake), Clover's auth code or
/// Hosted Checkout secret, Toast's subscription secret, the Google channel token, or a Standard
/// Webhooks `whsec_…` secret. Each scheme interprets the text its own way.
///
/// Pass several to [`verify`](crate::verify()) during a rotation: the old and the new one both
/// verify until the old one is removed.
#[derive(Clone)]
pub struct WebhookSecret(SecretString);

impl WebhookSecret {
    /// Wraps a secret; an empty or all-whitespace value is refused, since an HMAC keyed with
    /// nothing would accept anything signed with nothing.
    pub fn new(value: impl Into<String>) -> Result<Self, WebhookError> {
        let value: String = value.into();
        if value.trim().is_empty() {
            return Err(WebhookError::InvalidSecret { index: 0, reason: "the secret is empty".to_owned() });
        }
        Ok(Self(SecretString::from(value)))
    }

    /// The secret's text, for the verifiers only.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_secrets_are_refused_and_debug_hides_the_value() {
        assert!(WebhookSecret::new("  ").is_err());
        let secret = WebhookSecret::new("sk_hidden_value").expect("secret");
        assert!(!format!("{secret:?}").contains("hidden"));
        assert_eq!(secret.expose(), "sk_hidden_value");
    }
}
