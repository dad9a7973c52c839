//! Clover, two schemes. Source: `clover.md` (docs.clover.com/docs/webhooks,
//! docs.clover.com/docs/ecomm-hosted-checkout-webhook).
//!
//! - REST webhooks: the static `X-Clover-Auth` header carries the app's Clover auth code; no MAC,
//!   no timestamp, so replay protection must come from dedup. The secret is the auth code.
//! - Hosted Checkout webhooks: `Clover-Signature: t=<timestamp>,v1=<signature>`, an HMAC-SHA256
//!   keyed with the Hosted Checkout webhook secret over `{t}.{raw body}`. The note leaves the
//!   encoding and tolerance unverified, so `v1` is read as hex (or, failing that, 44-character
//!   base64 — the same MAC either way) and no window is enforced; the signed time is reported in
//!   [`Verified::signed_at`] for callers that want one.
//!
//! Event id: none documented for either (REST bodies list `objectId`/`type`/`ts` per merchant).

use crate::primitives::{from_unix_seconds, token_matches};
use crate::verify::TimestampedSignatures;
use crate::verify::stripe::match_v1;
use crate::{InboundRequest, Verified, WebhookError, WebhookSecret};

/// The REST webhooks' auth-code header.
pub const AUTH_HEADER: &str = "X-Clover-Auth";
/// The Hosted Checkout signature header.
pub const SIGNATURE_HEADER: &str = "Clover-Signature";

/// Verifies a Clover REST webhook by its auth code.
pub fn verify_auth_code(secrets: &[WebhookSecret], request: &InboundRequest<'_>) -> Result<Verified, WebhookError> {
    let code = request.required_header(AUTH_HEADER)?;
    secrets
        .iter()
        .position(|secret| token_matches(code, secret.expose()))
        .map(Verified::event)
        .ok_or(WebhookError::TokenMismatch { source_name: AUTH_HEADER, secrets: secrets.len() })
}

/// Verifies a Clover Hosted Checkout webhook.
pub fn verify_hosted_checkout(
    secrets: &[WebhookSecret],
    request: &InboundRequest<'_>,
) -> Result<Verified, WebhookError> {
    let header = TimestampedSignatures::parse(SIGNATURE_HEADER, request.required_header(SIGNATURE_HEADER)?)?;
    let index = match_v1(&header, secrets, request.body, true)?;
    Ok(Verified::event(index).with_signed_at(Some(from_unix_seconds(header.timestamp))))
}

/// The code in Clover's endpoint-verification POST (`{"verificationCode":"…"}`), which arrives
/// before any auth code exists and must be pasted into the Clover dashboard by a person. The
/// request is unauthenticated: show the code to an operator, never treat it as an event.
pub fn verification_code(body: &[u8]) -> Option<String> {
    crate::event_id::top_level_string(body, "verificationCode")
}
