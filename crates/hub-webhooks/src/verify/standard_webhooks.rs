//! Standard Webhooks (<https://www.standardwebhooks.com>), for partner feeds that push to the hub
//! (franchise lead feeds: Fransmart, IFPG, any `standard-webhooks` partner) — the same `v1`
//! scheme the hub signs its own deliveries with ([`mod@crate::sign`]).
//!
//! Headers `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a
//! space-separated list of `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the
//! base64-decoded part of a `whsec_…` secret; accepted within 5 minutes of now either way. Other
//! versions in the list (`v1a` asymmetric signatures) are ignored.
//!
//! Event id: the `webhook-id` header.

use std::time::{Duration, SystemTime};

use crate::primitives::{check_window_seconds, ct_eq, decode_base64, from_unix_seconds, parse_timestamp};
use crate::sign::SigningSecret;
use crate::verify::no_match;
use crate::{InboundRequest, Verified, WebhookError, WebhookSecret};

/// The message id header.
pub const ID_HEADER: &str = "webhook-id";
/// The signing time header (unix seconds).
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The signature list header.
pub const SIGNATURE_HEADER: &str = "webhook-signature";
/// How far `webhook-timestamp` may be from now, in either direction.
pub const TOLERANCE: Duration = Duration::from_secs(300);

/// Verifies a Standard Webhooks delivery; each secret is a `whsec_…` string.
pub fn verify(
    secrets: &[WebhookSecret],
    request: &InboundRequest<'_>,
    now: SystemTime,
) -> Result<Verified, WebhookError> {
    let id = request.required_header(ID_HEADER)?;
    let timestamp_text = request.required_header(TIMESTAMP_HEADER)?;
    let signature_list = request.required_header(SIGNATURE_HEADER)?;
    let timestamp = parse_timestamp(TIMESTAMP_HEADER, timestamp_text)?;
    let decode = |entry: &str| entry.strip_prefix("v1,").and_then(decode_base64::<32>);
    let signatures = signature_list.split(' ').filter(|entry| decode(entry).is_some()).count();
    if signatures == 0 {
        return Err(WebhookError::malformed(SIGNATURE_HEADER, "no v1,<base64 HMAC-SHA256> entry"));
    }
    // An unusable secret is skipped so that a bad new secret cannot break the old one during a
    // rotation; it is reported only when no secret could be used at all.
    let mut unusable = None;
    let mut usable = 0;
    for (index, secret) in secrets.iter().enumerate() {
        let key = match SigningSecret::parse_key(secret.expose()) {
            Ok(key) => key,
            Err(error) => {
                unusable.get_or_insert(WebhookError::invalid_secret(index, error));
                continue;
            }
        };
        usable += 1;
        let expected = key.mac(id, timestamp_text, request.body);
        if signature_list.split(' ').filter_map(decode).any(|candidate| ct_eq(&candidate, &expected)) {
            check_window_seconds(timestamp, now, TOLERANCE)?;
            return Ok(Verified::event(index)
                .with_signed_at(Some(from_unix_seconds(timestamp)))
                .with_event_id(Some(id.to_owned())));
        }
    }
    match unusable {
        Some(error) if usable == 0 => Err(error),
        _ => Err(no_match(SIGNATURE_HEADER, signatures, secrets)),
    }
}

/// The `webhook-id` of a delivery.
pub(crate) fn event_id(request: &InboundRequest<'_>) -> Option<String> {
    request.header(ID_HEADER).ok().flatten().map(str::to_owned)
}
