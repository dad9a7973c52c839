//! Outbound signing with Standard Webhooks (<https://www.standardwebhooks.com>): the secret a
//! subscriber is given (`whsec_<base64>`), and the three headers every delivery carries.
//!
//! `webhook-signature` is `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`; while an
//! endpoint's secret is being rotated the delivery is signed with every current secret and the
//! signatures are space-separated, so the subscriber verifies with whichever one it holds.

use std::fmt;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue};
use rand::RngCore;
use zeroize::Zeroize;

use crate::WebhookError;
use crate::primitives::{Mac256, sha256_mac, unix_seconds};
use crate::verify::standard_webhooks::{ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// The smallest and largest key the specification allows, in bytes.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;
/// How many random bytes a generated secret has.
const GENERATED_BYTES: usize = 32;

/// A Standard Webhooks secret: the key bytes behind `whsec_<base64>`, wiped on drop and never
/// printed by `Debug`.
#[derive(Clone)]
pub struct SigningSecret {
    key: [u8; 64],
    len: usize,
}

impl SigningSecret {
    /// The prefix every secret is written with.
    pub const PREFIX: &'static str = "whsec_";

    /// A new random secret (32 bytes from the operating system's generator), for a new endpoint
    /// or the next step of a rotation.
    pub fn generate() -> Self {
        let mut key = [0u8; 64];
        rand::rng().fill_bytes(&mut key[..GENERATED_BYTES]);
        Self { key, len: GENERATED_BYTES }
    }

    /// Reads `whsec_<base64>` (the prefix may be omitted, as the reference libraries allow); the
    /// key must be 24 to 64 bytes.
    pub fn parse(text: &str) -> Result<Self, WebhookError> {
        Self::parse_key(text).map_err(|reason| WebhookError::invalid_secret(0, reason))
    }

    pub(crate) fn parse_key(text: &str) -> Result<Self, &'static str> {
        let encoded = text.trim();
        let encoded = encoded.strip_prefix(Self::PREFIX).unwrap_or(encoded);
        // 88 base64 characters are 66 bytes at most: longer text cannot be an allowed key.
        if encoded.len() > 88 {
            return Err("a whsec_ secret holds at most 64 bytes");
        }
        let mut buffer = [0u8; 66];
        let len = STANDARD.decode_slice(encoded, &mut buffer).map_err(|_| "a whsec_ secret must be whsec_<base64>")?;
        let mut key = [0u8; 64];
        let outcome = if KEY_BYTES.contains(&len) {
            key[..len].copy_from_slice(&buffer[..len]);
            Ok(Self { key, len })
        } else {
            Err("a whsec_ secret holds 24 to 64 bytes")
        };
        buffer.zeroize();
        outcome
    }

    /// The secret as given to a subscriber: `whsec_<base64>`. Show it once; store it sealed.
    pub fn to_whsec(&self) -> String {
        format!("{}{}", Self::PREFIX, STANDARD.encode(self.key()))
    }

    fn key(&self) -> &[u8] {
        &self.key[..self.len]
    }

    /// The `v1` MAC of one message.
    pub(crate) fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Mac256 {
        use hmac::Mac;
        let mut mac = sha256_mac(self.key());
        for part in [id.as_bytes(), b".", timestamp.as_bytes(), b".", body] {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl Drop for SigningSecret {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([REDACTED])")
    }
}

/// The three headers of one signed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `webhook-id`: the message id, the same on every retry so the subscriber can dedup.
    pub id: HeaderValue,
    /// `webhook-timestamp`: unix seconds when this attempt was signed.
    pub timestamp: HeaderValue,
    /// `webhook-signature`: one `v1,<base64>` per secret, space-separated.
    pub signature: HeaderValue,
}

impl SignedHeaders {
    /// Sets the three headers on an outgoing request, replacing any earlier values.
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(HeaderName::from_static(ID_HEADER), self.id.clone());
        headers.insert(HeaderName::from_static(TIMESTAMP_HEADER), self.timestamp.clone());
        headers.insert(HeaderName::from_static(SIGNATURE_HEADER), self.signature.clone());
    }
}

/// Signs one delivery attempt of message `id` with `body`, made at `timestamp`, with every one of
/// `secrets` (one while an endpoint has one secret, two or more during a rotation).
///
/// `id` must be visible ASCII with no spaces, as it is sent verbatim in a header and signed.
pub fn sign(
    secrets: &[SigningSecret],
    id: &str,
    timestamp: SystemTime,
    body: &[u8],
) -> Result<SignedHeaders, WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::InvalidSigningInput { reason: "no signing secret".to_owned() });
    }
    if id.is_empty() || !id.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(WebhookError::InvalidSigningInput {
            reason: "the message id must be non-empty visible ASCII without spaces".to_owned(),
        });
    }
    let seconds = unix_seconds(timestamp);
    if seconds < 0 {
        return Err(WebhookError::InvalidSigningInput { reason: "the timestamp is before 1970".to_owned() });
    }
    let timestamp = seconds.to_string();
    // "v1," + 44 base64 characters per secret, separated by single spaces.
    let mut signature = String::with_capacity(secrets.len() * 48);
    let mut encoded = [0u8; 44];
    for secret in secrets {
        if !signature.is_empty() {
            signature.push(' ');
        }
        let written = STANDARD
            .encode_slice(secret.mac(id, &timestamp, body), &mut encoded)
            .expect("44 bytes hold a base64 HMAC-SHA256");
        signature.push_str("v1,");
        signature.push_str(std::str::from_utf8(&encoded[..written]).expect("base64 is ASCII"));
    }
    let header = |text: &str| HeaderValue::from_str(text).expect("ids, digits and base64 are valid header text");
    Ok(SignedHeaders { id: header(id), timestamp: header(&timestamp), signature: header(&signature) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_refuse_wrong_sizes() {
        let secret = SigningSecret::generate();
        let text = secret.to_whsec();
        assert!(text.starts_with("whsec_"));
        assert_eq!(SigningSecret::parse(&text).expect("parse").key(), secret.key());
        assert_ne!(SigningSecret::generate().key(), secret.key());
        assert!(SigningSecret::parse("whsec_AAAA").is_err(), "3 bytes is too short");
        assert!(SigningSecret::parse("whsec_not base64!").is_err());
        assert!(SigningSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 65]))).is_err());
        assert!(!format!("{secret:?}").contains(&text[6..]));
    }

    #[test]
    fn bad_inputs_are_refused_with_a_reason() {
        let secret = SigningSecret::generate();
        let now = SystemTime::now();
        assert!(sign(&[], "msg_1", now, b"{}").is_err());
        assert!(sign(std::slice::from_ref(&secret), "msg 1", now, b"{}").is_err());
        assert!(sign(std::slice::from_ref(&secret), "", now, b"{}").is_err());
        let before_1970 = SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(1);
        assert!(sign(std::slice::from_ref(&secret), "msg_1", before_1970, b"{}").is_err());
    }
}
