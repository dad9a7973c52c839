//! Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each `v1` a hex
//! HMAC-SHA256 keyed with the endpoint's signing secret (the whole `whsec_…` text, as bytes) over
//! `{t}.{raw body}`; accepted within 300 s of now. Several `v1` values arrive while Stripe rolls
//! a secret; `v0` is legacy and ignored. Source: `stripe.md` (docs.stripe.com/webhooks/signatures).
//!
//! Event id: the body's top-level `id` (`evt_…`).

use std::time::{Duration, SystemTime};

use crate::primitives::{check_window_seconds, ct_eq, decode_hex, from_unix_seconds, hmac_sha256};
use crate::verify::{TimestampedSignatures, no_match};
use crate::{InboundRequest, Verified, WebhookError, WebhookSecret, event_id};

/// The signature header.
pub const HEADER: &str = "Stripe-Signature";
/// How far the signed `t` may be from now (the official libraries' default).
pub const TOLERANCE: Duration = Duration::from_secs(300);

/// Verifies a Stripe delivery.
pub fn verify(
    secrets: &[WebhookSecret],
    request: &InboundRequest<'_>,
    now: SystemTime,
) -> Result<Verified, WebhookError> {
    let header = TimestampedSignatures::parse(HEADER, request.required_header(HEADER)?)?;
    let index = match_v1(&header, secrets, request.body, false)?;
    // The window is checked once the signature is known to be genuine, so "outside tolerance"
    // always means an authentic but stale (or clock-skewed) delivery.
    check_window_seconds(header.timestamp, now, TOLERANCE)?;
    Ok(Verified::event(index)
        .with_signed_at(Some(from_unix_seconds(header.timestamp)))
        .with_event_id(event_id::top_level_string(request.body, "id")))
}

/// The index of the first secret whose HMAC-SHA256 over `{t}.{body}` equals one of the `v1`
/// values; `accept_base64` also reads 44-character base64 values (Clover, whose encoding is
/// unverified).
pub(crate) fn match_v1(
    header: &TimestampedSignatures<'_>,
    secrets: &[WebhookSecret],
    body: &[u8],
    accept_base64: bool,
) -> Result<usize, WebhookError> {
    let decode = |text: &str| {
        decode_hex::<32>(text)
            .or_else(|| if accept_base64 { crate::primitives::decode_base64::<32>(text) } else { None })
    };
    let signatures = header.v1().filter(|text| decode(text).is_some()).count();
    if signatures == 0 {
        return Err(WebhookError::malformed(header.header(), "no v1= value is a 32-byte HMAC-SHA256"));
    }
    for (index, secret) in secrets.iter().enumerate() {
        let expected = hmac_sha256(secret.expose().as_bytes(), &[header.timestamp_text.as_bytes(), b".", body]);
        if header.v1().filter_map(decode).any(|candidate| ct_eq(&candidate, &expected)) {
            return Ok(index);
        }
    }
    Err(no_match(header.header(), signatures, secrets))
}
