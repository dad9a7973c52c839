//! Meta (Graph API webhooks): `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 keyed with the
//! app secret over the raw body; no timestamp. The legacy SHA-1 `X-Hub-Signature` is not accepted
//! (it would be a downgrade). Subscribing an endpoint is a `GET` with `hub.mode=subscribe`,
//! `hub.verify_token` and `hub.challenge`: when the token is one of the configured secrets the
//! answer is the challenge, otherwise a refusal. Source: `meta.md`.
//!
//! Secrets: the app secret(s) for `POST` deliveries, the verify token(s) for the `GET` handshake.
//! Event id: none (entries carry object ids and times, not event ids).

use http::Method;

use crate::primitives::{ct_eq, decode_hex, hmac_sha256, token_matches};
use crate::verify::{no_match, query_parameter};
use crate::{DeliveryKind, InboundRequest, Scheme, Verified, WebhookError, WebhookSecret};

/// The signature header.
pub const HEADER: &str = "X-Hub-Signature-256";
/// The legacy SHA-1 header, recognised only to explain why it is refused.
pub const LEGACY_HEADER: &str = "X-Hub-Signature";

/// Verifies a Meta delivery (`POST`) or subscription handshake (`GET`).
pub fn verify(secrets: &[WebhookSecret], request: &InboundRequest<'_>) -> Result<Verified, WebhookError> {
    if request.method == Method::GET {
        return answer_subscription(secrets, request);
    }
    let Some(header) = request.header(HEADER)? else {
        if request.header(LEGACY_HEADER)?.is_some() {
            return Err(WebhookError::UnsupportedSignatureVersion {
                header: LEGACY_HEADER,
                version: "sha1".to_owned(),
            });
        }
        return Err(WebhookError::MissingHeader { name: HEADER });
    };
    let hex =
        header.trim().strip_prefix("sha256=").ok_or_else(|| WebhookError::malformed(HEADER, "no sha256= prefix"))?;
    let signature = decode_hex::<32>(hex)
        .ok_or_else(|| WebhookError::malformed(HEADER, "not a hex HMAC-SHA256 (64 hex digits)"))?;
    for (index, secret) in secrets.iter().enumerate() {
        if ct_eq(&hmac_sha256(secret.expose().as_bytes(), &[request.body]), &signature) {
            return Ok(Verified::event(index));
        }
    }
    Err(no_match(HEADER, 1, secrets))
}

/// The subscription handshake: `hub.mode` must be `subscribe` and `hub.verify_token` one of
/// `verify_tokens`; the challenge to echo is returned in [`DeliveryKind::MetaSubscription`].
pub fn answer_subscription(
    verify_tokens: &[WebhookSecret],
    request: &InboundRequest<'_>,
) -> Result<Verified, WebhookError> {
    let url = request.url.ok_or(WebhookError::UrlRequired { scheme: Scheme::Meta })?;
    let mode = query_parameter(url, "hub.mode").ok_or(WebhookError::MissingQueryParameter { name: "hub.mode" })?;
    if mode != "subscribe" {
        return Err(WebhookError::SubscriptionRefused { reason: format!("hub.mode is {mode:?}, not \"subscribe\"") });
    }
    let token = query_parameter(url, "hub.verify_token")
        .ok_or(WebhookError::MissingQueryParameter { name: "hub.verify_token" })?;
    let challenge =
        query_parameter(url, "hub.challenge").ok_or(WebhookError::MissingQueryParameter { name: "hub.challenge" })?;
    let index = verify_tokens
        .iter()
        .position(|expected| token_matches(&token, expected.expose()))
        .ok_or(WebhookError::TokenMismatch { source_name: "hub.verify_token", secrets: verify_tokens.len() })?;
    Ok(Verified {
        kind: DeliveryKind::MetaSubscription { challenge: challenge.into_owned() },
        ..Verified::event(index)
    })
}
