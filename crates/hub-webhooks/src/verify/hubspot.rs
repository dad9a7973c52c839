//! HubSpot request validation. Source: `hubspot.md` (developers.hubspot.com, "Validating requests").
//!
//! - v3 (preferred whenever `X-HubSpot-Signature-v3` is present): base64 HMAC-SHA256 keyed with
//!   the app's client secret over `method + URI + raw body + X-HubSpot-Request-Timestamp`, the
//!   timestamp in milliseconds and accepted within 5 minutes of now. The URI is the full URL
//!   with exactly the escapes HubSpot's documentation lists decoded: `%3A : %2F / %3F ? %40 @
//!   %21 ! %24 $ %27 ' %28 ( %29 ) %2A * %2C , %3B ;` (either hex case); every other escape stays
//!   as sent.
//! - Legacy, selected by `X-HubSpot-Signature-Version`: `v1` = hex SHA-256 of client secret +
//!   body; `v2` = hex SHA-256 of client secret + method + URI (as sent) + body; both in
//!   `X-HubSpot-Signature`, with no timestamp (replay protection from `eventId` dedup).
//!
//! Event id: none per delivery — bodies are arrays of events; [`event_ids`](crate::event_ids)
//! lists each element's `eventId`.

use std::time::{Duration, SystemTime};

use hmac::Mac;

use crate::primitives::{
    check_window_millis, ct_eq, decode_base64, decode_hex, from_unix_millis, parse_timestamp, sha256, sha256_mac,
};
use crate::verify::no_match;
use crate::{InboundRequest, Scheme, Verified, WebhookError, WebhookSecret};

/// The v3 signature header.
pub const V3_HEADER: &str = "X-HubSpot-Signature-v3";
/// The v3 timestamp header (milliseconds since the epoch).
pub const TIMESTAMP_HEADER: &str = "X-HubSpot-Request-Timestamp";
/// The legacy signature header.
pub const LEGACY_HEADER: &str = "X-HubSpot-Signature";
/// Which legacy version `X-HubSpot-Signature` holds.
pub const VERSION_HEADER: &str = "X-HubSpot-Signature-Version";
/// How old (or how far ahead) a v3 timestamp may be.
pub const TOLERANCE: Duration = Duration::from_secs(300);

/// The escapes HubSpot decodes before signing, as (escape digits, character).
const DECODED: [(u8, u8); 12] = [
    (0x3A, b':'),
    (0x2F, b'/'),
    (0x3F, b'?'),
    (0x40, b'@'),
    (0x21, b'!'),
    (0x24, b'$'),
    (0x27, b'\''),
    (0x28, b'('),
    (0x29, b')'),
    (0x2A, b'*'),
    (0x2C, b','),
    (0x3B, b';'),
];

/// Verifies a HubSpot request (v3, or legacy v1 / v2 when v3 is absent).
pub fn verify(
    secrets: &[WebhookSecret],
    request: &InboundRequest<'_>,
    now: SystemTime,
) -> Result<Verified, WebhookError> {
    if let Some(signature) = request.header(V3_HEADER)? {
        return verify_v3(secrets, request, signature, now);
    }
    match request.header(VERSION_HEADER)? {
        Some("v1") => verify_legacy(secrets, request, false),
        Some("v2") => verify_legacy(secrets, request, true),
        Some(other) => {
            Err(WebhookError::UnsupportedSignatureVersion { header: VERSION_HEADER, version: other.to_owned() })
        }
        None => Err(WebhookError::MissingHeader { name: V3_HEADER }),
    }
}

fn verify_v3(
    secrets: &[WebhookSecret],
    request: &InboundRequest<'_>,
    signature: &str,
    now: SystemTime,
) -> Result<Verified, WebhookError> {
    let timestamp_text = request.required_header(TIMESTAMP_HEADER)?;
    let timestamp = parse_timestamp(TIMESTAMP_HEADER, timestamp_text)?;
    let url = request.url.ok_or(WebhookError::UrlRequired { scheme: Scheme::HubSpot })?;
    let signature = decode_base64::<32>(signature)
        .ok_or_else(|| WebhookError::malformed(V3_HEADER, "not a base64 HMAC-SHA256 (32 bytes)"))?;
    for (index, secret) in secrets.iter().enumerate() {
        let mut mac = sha256_mac(secret.expose().as_bytes());
        mac.update(request.method.as_str().as_bytes());
        feed_decoded_uri(url, |bytes| mac.update(bytes));
        mac.update(request.body);
        mac.update(timestamp_text.as_bytes());
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        if ct_eq(&expected, &signature) {
            check_window_millis(timestamp, now, TOLERANCE)?;
            return Ok(Verified::event(index).with_signed_at(Some(from_unix_millis(timestamp))));
        }
    }
    Err(no_match(V3_HEADER, 1, secrets))
}

fn verify_legacy(secrets: &[WebhookSecret], request: &InboundRequest<'_>, v2: bool) -> Result<Verified, WebhookError> {
    let signature = decode_hex::<32>(request.required_header(LEGACY_HEADER)?)
        .ok_or_else(|| WebhookError::malformed(LEGACY_HEADER, "not a hex SHA-256 (64 hex digits)"))?;
    // v1 covers the body only; v2 adds the method and the URI exactly as sent.
    let (method, url) = if v2 {
        (request.method.as_str(), request.url.ok_or(WebhookError::UrlRequired { scheme: Scheme::HubSpot })?)
    } else {
        ("", "")
    };
    for (index, secret) in secrets.iter().enumerate() {
        let expected = sha256(&[secret.expose().as_bytes(), method.as_bytes(), url.as_bytes(), request.body]);
        if ct_eq(&expected, &signature) {
            return Ok(Verified::event(index));
        }
    }
    Err(no_match(LEGACY_HEADER, 1, secrets))
}

/// Feeds `uri` to `sink` with HubSpot's listed escapes decoded, in as few runs as possible.
pub(crate) fn feed_decoded_uri(uri: &str, mut sink: impl FnMut(&[u8])) {
    let bytes = uri.as_bytes();
    let mut run_start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && let Some(decoded) = bytes.get(at + 1..at + 3).and_then(decode_listed_escape)
        {
            sink(&bytes[run_start..at]);
            sink(&[decoded]);
            at += 3;
            run_start = at;
        } else {
            at += 1;
        }
    }
    sink(&bytes[run_start..]);
}

fn decode_listed_escape(digits: &[u8]) -> Option<u8> {
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let value = u8::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?;
    DECODED.iter().find(|(escape, _)| *escape == value).map(|(_, character)| *character)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(uri: &str) -> String {
        let mut out = Vec::new();
        feed_decoded_uri(uri, |bytes| out.extend_from_slice(bytes));
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn only_the_listed_escapes_are_decoded() {
        assert_eq!(decoded("https%3A%2F%2Fh/p%3fq%40%21%24%27%28%29%2A%2c%3B"), "https://h/p?q@!$'()*,;");
        assert_eq!(decoded("https://h/a%20b%26c%3D%25"), "https://h/a%20b%26c%3D%25", "others stay encoded");
        assert_eq!(decoded("https://h/%3"), "https://h/%3", "a truncated escape stays");
        assert_eq!(decoded("%zz%3A"), "%zz:");
        assert_eq!(decoded(""), "");
    }
}
