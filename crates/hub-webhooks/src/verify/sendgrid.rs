//! SendGrid's signed Event Webhook: ECDSA on P-256 with SHA-256 over the
//! `X-Twilio-Email-Event-Webhook-Timestamp` value followed by the raw body; the signature in
//! `X-Twilio-Email-Event-Webhook-Signature` is base64 of an ASN.1 DER `(r, s)`. Source:
//! `sendgrid.md` (Twilio SendGrid docs and the official Python library).
//!
//! Secrets: the verification public key exactly as SendGrid's signed-webhook settings show it —
//! base64 of a DER SubjectPublicKeyInfo (`MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…`); a PEM block of
//! the same key is read too. Tolerance: none, as the official library enforces no replay window
//! (SendGrid's retries within 24 h are not documented to be re-signed); the timestamp must be a
//! whole number and is reported in [`Verified::signed_at`].
//!
//! Event id: none per delivery — bodies are arrays of events; [`event_ids`](crate::event_ids)
//! lists each element's `sg_event_id`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::DigestVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

use crate::primitives::{from_unix_seconds, parse_timestamp};
use crate::verify::no_match;
use crate::{InboundRequest, Verified, WebhookError, WebhookSecret};

/// The signature header (base64 DER ECDSA signature).
pub const SIGNATURE_HEADER: &str = "X-Twilio-Email-Event-Webhook-Signature";
/// The timestamp header (unix seconds), signed before the body.
pub const TIMESTAMP_HEADER: &str = "X-Twilio-Email-Event-Webhook-Timestamp";

/// Verifies a SendGrid Event Webhook delivery; each secret is a verification public key.
pub fn verify(secrets: &[WebhookSecret], request: &InboundRequest<'_>) -> Result<Verified, WebhookError> {
    let signature_text = request.required_header(SIGNATURE_HEADER)?;
    let timestamp_text = request.required_header(TIMESTAMP_HEADER)?;
    let timestamp = parse_timestamp(TIMESTAMP_HEADER, timestamp_text)?;
    let signature = parse_signature(signature_text)?;
    let digest = Sha256::new().chain_update(timestamp_text.as_bytes()).chain_update(request.body);
    let mut unusable = None;
    let mut usable = 0;
    for (index, secret) in secrets.iter().enumerate() {
        let key = match parse_public_key(secret.expose()) {
            Ok(key) => key,
            Err(reason) => {
                unusable.get_or_insert(WebhookError::invalid_secret(index, reason));
                continue;
            }
        };
        usable += 1;
        if key.verify_digest(digest.clone(), &signature).is_ok() {
            return Ok(Verified::event(index).with_signed_at(Some(from_unix_seconds(timestamp))));
        }
    }
    match unusable {
        Some(error) if usable == 0 => Err(error),
        _ => Err(no_match(SIGNATURE_HEADER, 1, secrets)),
    }
}

fn parse_signature(text: &str) -> Result<Signature, WebhookError> {
    // A DER P-256 signature is at most 72 bytes; 100 base64 characters decode to at most 75.
    let text = text.trim();
    let mut buffer = [0u8; 75];
    let length = if text.len() <= 100 { STANDARD.decode_slice(text, &mut buffer).ok() } else { None }
        .ok_or_else(|| WebhookError::malformed(SIGNATURE_HEADER, "not base64 of a DER ECDSA signature"))?;
    // SendGrid's signatures are not low-S normalised (its published example has a high S); the
    // p256 verifier accepts both forms, as ECDSA itself does.
    Signature::from_der(&buffer[..length])
        .map_err(|_| WebhookError::malformed(SIGNATURE_HEADER, "not a DER ECDSA P-256 signature"))
}

/// Reads a verification key: base64 DER SubjectPublicKeyInfo, bare or inside a PEM block.
pub(crate) fn parse_public_key(text: &str) -> Result<VerifyingKey, &'static str> {
    let mut encoded = [0u8; 160];
    let mut length = 0;
    for line in text.lines().map(str::trim).filter(|line| !line.starts_with("-----")) {
        for byte in line.bytes().filter(|byte| !byte.is_ascii_whitespace()) {
            *encoded.get_mut(length).ok_or("a P-256 public key is about 124 base64 characters")? = byte;
            length += 1;
        }
    }
    let mut der = [0u8; 120];
    let der_length =
        STANDARD.decode_slice(&encoded[..length], &mut der).map_err(|_| "the public key is not base64 (of DER)")?;
    VerifyingKey::from_public_key_der(&der[..der_length])
        .map_err(|_| "the public key is not a P-256 SubjectPublicKeyInfo")
}
