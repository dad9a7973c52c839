//! Square: `x-square-hmacsha256-signature`, a base64 HMAC-SHA256 keyed with the subscription's
//! signature key over the notification URL exactly as registered followed directly by the raw
//! body. No timestamp: replay protection comes from `event_id` dedup. Source: `square.md`.
//!
//! Event id: the body's top-level `event_id`.

use crate::primitives::{ct_eq, decode_base64, hmac_sha256};
use crate::verify::no_match;
use crate::{InboundRequest, Scheme, Verified, WebhookError, WebhookSecret, event_id};

/// The signature header.
pub const HEADER: &str = "x-square-hmacsha256-signature";

/// Verifies a Square delivery; the request must carry the notification URL.
pub fn verify(secrets: &[WebhookSecret], request: &InboundRequest<'_>) -> Result<Verified, WebhookError> {
    let signature = request.required_header(HEADER)?;
    let url = request.url.ok_or(WebhookError::UrlRequired { scheme: Scheme::Square })?;
    let signature = decode_base64::<32>(signature)
        .ok_or_else(|| WebhookError::malformed(HEADER, "not a base64 HMAC-SHA256 (32 bytes)"))?;
    for (index, secret) in secrets.iter().enumerate() {
        let expected = hmac_sha256(secret.expose().as_bytes(), &[url.as_bytes(), request.body]);
        if ct_eq(&expected, &signature) {
            return Ok(Verified::event(index).with_event_id(event_id::top_level_string(request.body, "event_id")));
        }
    }
    Err(no_match(HEADER, 1, secrets))
}
