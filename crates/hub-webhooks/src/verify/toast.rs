//! Toast: `Toast-Signature`, a base64 HMAC-SHA256 keyed with the webhook subscription's secret
//! over the raw body followed by the message's timestamp (string concatenation, body first). No
//! tolerance is documented, so none is enforced: replay protection comes from dedup.
//! Source: `toast.md` (doc.toasttab.com/doc/devguide/apiMessageSigning.html).
//!
//! Where the timestamp comes from is unverified: Toast documents no timestamp header, and its
//! webhook envelope carries a top-level `timestamp` member, so that member's value (the string's
//! contents, or an integer's digits) is what gets appended.
//!
//! Event id: the envelope's top-level `guid` (unverified as an event id; it is the one unique
//! value the envelope carries).

use crate::primitives::{ct_eq, decode_base64, hmac_sha256};
use crate::verify::no_match;
use crate::{InboundRequest, Verified, WebhookError, WebhookSecret, event_id};

/// The signature header.
pub const HEADER: &str = "Toast-Signature";

/// Verifies a Toast delivery.
pub fn verify(secrets: &[WebhookSecret], request: &InboundRequest<'_>) -> Result<Verified, WebhookError> {
    let signature = decode_base64::<32>(request.required_header(HEADER)?)
        .ok_or_else(|| WebhookError::malformed(HEADER, "not a base64 HMAC-SHA256 (32 bytes)"))?;
    let timestamp = event_id::top_level_scalar(request.body, "timestamp").ok_or_else(|| {
        WebhookError::malformed_body("no top-level \"timestamp\" member, which Toast signs after the body")
    })?;
    for (index, secret) in secrets.iter().enumerate() {
        let expected = hmac_sha256(secret.expose().as_bytes(), &[request.body, timestamp.as_bytes()]);
        if ct_eq(&expected, &signature) {
            return Ok(Verified::event(index).with_event_id(event_id::top_level_string(request.body, "guid")));
        }
    }
    Err(no_match(HEADER, 1, secrets))
}
