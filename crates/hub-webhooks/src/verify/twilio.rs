//! Twilio: `X-Twilio-Signature`, a base64 HMAC-SHA1 keyed with the account's auth token.
//! Source: `twilio.md` (twilio.com/docs/usage/webhooks/webhooks-security, official validators).
//!
//! - Form bodies (`Content-Type: application/x-www-form-urlencoded`): the signed bytes are the
//!   full URL (query string included) followed by every POST parameter as name + value, sorted by
//!   name and, for a repeated name, by value. Parameters are compared decoded, so this scheme
//!   signs the parameters, not the body's exact bytes.
//! - Any other non-empty body (JSON): Twilio appends `bodySHA256=<hex SHA-256 of the body>` to the
//!   URL and signs the URL alone; the body is checked against that hash.
//! - No body (GET): the URL alone.
//!
//! As the official validators do, the URL is also tried with its port toggled: without the port
//! when it has one, with the scheme's default port (`:443`, `:80`) when it has none. No
//! timestamp: replay protection comes from dedup.
//!
//! Event id: `MessageSid` (or `CallSid`) from the form, followed by `:` and `MessageStatus` (or
//! `CallStatus`) when sent, since status callbacks repeat the sid once per status.

use std::borrow::Cow;

use hmac::Mac;

use crate::primitives::{Mac160, ct_eq, decode_base64, decode_hex, sha1_mac, sha256};
use crate::verify::{no_match, query_parameter};
use crate::{InboundRequest, Scheme, Verified, WebhookError, WebhookSecret};

/// The signature header.
pub const HEADER: &str = "X-Twilio-Signature";
/// The query parameter carrying a JSON body's SHA-256.
pub const BODY_HASH_PARAMETER: &str = "bodySHA256";

type Parameters<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Verifies a Twilio request; the request must carry the URL Twilio called.
pub fn verify(secrets: &[WebhookSecret], request: &InboundRequest<'_>) -> Result<Verified, WebhookError> {
    let signature = decode_base64::<20>(request.required_header(HEADER)?)
        .ok_or_else(|| WebhookError::malformed(HEADER, "not a base64 HMAC-SHA1 (20 bytes)"))?;
    let url = request.url.ok_or(WebhookError::UrlRequired { scheme: Scheme::Twilio })?;
    let parameters = if is_form(request)? {
        sorted_form_parameters(request.body)
    } else {
        if !request.body.is_empty() {
            check_body_hash(url, request.body)?;
        }
        Vec::new()
    };
    let matching = |url: &str| secrets.iter().position(|secret| ct_eq(&mac(secret, url, &parameters), &signature));
    let index = match matching(url) {
        Some(index) => Some(index),
        None => port_variant(url).and_then(|variant| matching(&variant)),
    };
    let index = index.ok_or_else(|| no_match(HEADER, 1, secrets))?;
    Ok(Verified::event(index).with_event_id(event_id_from(&parameters)))
}

fn mac(secret: &WebhookSecret, url: &str, parameters: &Parameters<'_>) -> Mac160 {
    let mut mac = sha1_mac(secret.expose().as_bytes());
    mac.update(url.as_bytes());
    for (name, value) in parameters {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

fn is_form(request: &InboundRequest<'_>) -> Result<bool, WebhookError> {
    let content_type = request.header("Content-Type")?.unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    Ok(media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

fn sorted_form_parameters(body: &[u8]) -> Parameters<'_> {
    let mut parameters: Parameters<'_> = form_urlencoded::parse(body).collect();
    parameters.sort_unstable();
    parameters
}

fn check_body_hash(url: &str, body: &[u8]) -> Result<(), WebhookError> {
    let declared = query_parameter(url, BODY_HASH_PARAMETER)
        .ok_or(WebhookError::MissingQueryParameter { name: BODY_HASH_PARAMETER })?;
    let declared = decode_hex::<32>(&declared)
        .ok_or_else(|| WebhookError::malformed_body("bodySHA256 in the URL is not a hex SHA-256"))?;
    if ct_eq(&declared, &sha256(&[body])) { Ok(()) } else { Err(WebhookError::BodyHashMismatch) }
}

/// `url` with its port removed, or with the default port added; `None` when the URL has no
/// recognisable authority (the URL as given was then the only candidate).
pub(crate) fn port_variant(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_port = &authority[host_start..];
    let port_colon = match host_port.rfind(':') {
        Some(colon) if !host_port[colon..].contains(']') => Some(colon),
        _ => None,
    };
    match port_colon {
        Some(colon) if host_port[colon + 1..].bytes().all(|byte| byte.is_ascii_digit()) => {
            let without = &authority[..host_start + colon];
            Some(format!("{scheme}://{without}{tail}"))
        }
        Some(_) => None,
        None => {
            let port = match scheme.to_ascii_lowercase().as_str() {
                "https" => 443,
                "http" => 80,
                _ => return None,
            };
            Some(format!("{scheme}://{authority}:{port}{tail}"))
        }
    }
}

fn event_id_from(parameters: &Parameters<'_>) -> Option<String> {
    let value = |wanted: &str| {
        parameters.iter().find(|(name, _)| name == wanted).map(|(_, value)| value.as_ref()).filter(|v| !v.is_empty())
    };
    let (sid, status) = match value("MessageSid") {
        Some(sid) => (sid, value("MessageStatus")),
        None => (value("CallSid")?, value("CallStatus")),
    };
    Some(match status {
        Some(status) => format!("{sid}:{status}"),
        None => sid.to_owned(),
    })
}

/// The dedup key of a form callback.
pub(crate) fn event_id(request: &InboundRequest<'_>) -> Option<String> {
    if is_form(request).ok()? { event_id_from(&sorted_form_parameters(request.body)) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_toggled_like_the_official_validators_do() {
        assert_eq!(port_variant("https://h.com/p?x=1").as_deref(), Some("https://h.com:443/p?x=1"));
        assert_eq!(port_variant("http://h.com").as_deref(), Some("http://h.com:80"));
        assert_eq!(port_variant("https://h.com:1234/p").as_deref(), Some("https://h.com/p"));
        assert_eq!(port_variant("https://u:pw@h.com/p").as_deref(), Some("https://u:pw@h.com:443/p"));
        assert_eq!(port_variant("https://[::1]:8443/p").as_deref(), Some("https://[::1]/p"));
        assert_eq!(port_variant("https://[::1]/p").as_deref(), Some("https://[::1]:443/p"));
        assert_eq!(port_variant("ftp://h.com/p"), None);
        assert_eq!(port_variant("no-scheme"), None);
    }

    #[test]
    fn status_callbacks_dedup_on_sid_and_status() {
        let form = sorted_form_parameters(b"MessageStatus=delivered&MessageSid=SM1&To=%2B1");
        assert_eq!(event_id_from(&form).as_deref(), Some("SM1:delivered"));
        let call = sorted_form_parameters(b"CallSid=CA1");
        assert_eq!(event_id_from(&call).as_deref(), Some("CA1"));
        assert_eq!(event_id_from(&sorted_form_parameters(b"Body=hi")), None);
    }
}
