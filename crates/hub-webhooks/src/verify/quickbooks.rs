//! QuickBooks Online (Intuit): `intuit-signature`, a base64 HMAC-SHA256 keyed with the app's
//! webhook verifier token over the raw body. No timestamp: replay protection comes from dedup.
//! Source: `quickbooks-online.md`.
//!
//! Event id: none for the whole delivery, which batches events. [`event_ids`](crate::event_ids)
//! lists the CloudEvents `id` of each element; the legacy `eventNotifications` format carries no
//! id at all (dedup on realm + entity + operation + `lastUpdated` in the sync layer).

use crate::primitives::{ct_eq, decode_base64, hmac_sha256};
use crate::verify::no_match;
use crate::{InboundRequest, Verified, WebhookError, WebhookSecret};

/// The signature header.
pub const HEADER: &str = "intuit-signature";

/// Verifies a QuickBooks Online delivery.
pub fn verify(secrets: &[WebhookSecret], request: &InboundRequest<'_>) -> Result<Verified, WebhookError> {
    let signature = decode_base64::<32>(request.required_header(HEADER)?)
        .ok_or_else(|| WebhookError::malformed(HEADER, "not a base64 HMAC-SHA256 (32 bytes)"))?;
    for (index, secret) in secrets.iter().enumerate() {
        if ct_eq(&hmac_sha256(secret.expose().as_bytes(), &[request.body]), &signature) {
            return Ok(Verified::event(index));
        }
    }
    Err(no_match(HEADER, 1, secrets))
}
