//! Inbound verification: one module per provider scheme, and [`verify`], the one entry point the
//! webhook routes and `hub webhooks verify` call.
//!
//! Every verifier works on the raw bytes received, compares in constant time, tries every
//! configured secret (so a rotation keeps the old and the new one valid), and allocates nothing
//! on its way to a decision except where the scheme forces it (Twilio sorts form parameters).

pub mod clover;
pub mod google_calendar;
pub mod hubspot;
pub mod meta;
pub mod quickbooks;
pub mod sendgrid;
pub mod square;
pub mod standard_webhooks;
pub mod stripe;
pub mod toast;
pub mod twilio;

use std::borrow::Cow;
use std::time::SystemTime;

use crate::{InboundRequest, Scheme, Verified, WebhookError, WebhookSecret};

/// Checks that `request` was sent by the provider behind `scheme`, trying each of `secrets` in
/// order; `now` is the clock the timestamp window is measured against.
///
/// What each secret means depends on the scheme (see [`WebhookSecret`]); the first secret that
/// verifies is reported in [`Verified::secret_index`].
pub fn verify(
    scheme: Scheme,
    secrets: &[WebhookSecret],
    request: &InboundRequest<'_>,
    now: SystemTime,
) -> Result<Verified, WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::NoSecrets);
    }
    match scheme {
        Scheme::Stripe => stripe::verify(secrets, request, now),
        Scheme::Square => square::verify(secrets, request),
        Scheme::QuickBooks => quickbooks::verify(secrets, request),
        Scheme::HubSpot => hubspot::verify(secrets, request, now),
        Scheme::Twilio => twilio::verify(secrets, request),
        Scheme::SendGrid => sendgrid::verify(secrets, request),
        Scheme::Meta => meta::verify(secrets, request),
        Scheme::CloverAuthCode => clover::verify_auth_code(secrets, request),
        Scheme::CloverHostedCheckout => clover::verify_hosted_checkout(secrets, request),
        Scheme::Toast => toast::verify(secrets, request),
        Scheme::GoogleChannelToken => google_calendar::verify(secrets, request),
        Scheme::StandardWebhooks => standard_webhooks::verify(secrets, request, now),
    }
}

/// A `t=<unix seconds>,v1=<sig>[,v1=<sig>…]` header (Stripe, Clover Hosted Checkout), read in
/// place: the signatures are walked again for every secret rather than collected.
pub(crate) struct TimestampedSignatures<'a> {
    header: &'static str,
    value: &'a str,
    /// The timestamp exactly as written, which is what gets signed.
    pub(crate) timestamp_text: &'a str,
    pub(crate) timestamp: i64,
}

impl<'a> TimestampedSignatures<'a> {
    /// Parses the header; it must carry exactly one `t` and at least one `v1`. Other keys
    /// (Stripe's legacy `v0`) are ignored, as the providers' own libraries do.
    pub(crate) fn parse(header: &'static str, value: &'a str) -> Result<Self, WebhookError> {
        let mut timestamp_text = None;
        let mut has_v1 = false;
        for (key, item) in Self::items(value) {
            match key {
                "t" if timestamp_text.is_some() => return Err(WebhookError::malformed(header, "more than one t=")),
                "t" => timestamp_text = Some(item),
                "v1" => has_v1 = true,
                _ => {}
            }
        }
        let timestamp_text = timestamp_text.ok_or_else(|| WebhookError::malformed(header, "no t= timestamp"))?;
        let timestamp = crate::primitives::parse_timestamp(header, timestamp_text)?;
        if !has_v1 {
            return Err(WebhookError::malformed(header, "no v1= signature"));
        }
        Ok(Self { header, value, timestamp_text, timestamp })
    }

    /// Every `v1` value, in header order.
    pub(crate) fn v1(&self) -> impl Iterator<Item = &'a str> + 'a {
        Self::items(self.value).filter(|(key, _)| *key == "v1").map(|(_, value)| value)
    }

    pub(crate) fn header(&self) -> &'static str {
        self.header
    }

    fn items(value: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        value.split(',').filter_map(|item| item.trim().split_once('=')).map(|(key, value)| (key.trim(), value.trim()))
    }
}

/// The value of query parameter `name` in `url`, percent-decoded; `None` when absent.
pub(crate) fn query_parameter<'a>(url: &'a str, name: &str) -> Option<Cow<'a, str>> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(query, _)| query);
    form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value)
}

/// The `NoSignatureMatched` error for `signatures` well-formed signatures in `header`.
pub(crate) fn no_match(header: &'static str, signatures: usize, secrets: &[WebhookSecret]) -> WebhookError {
    WebhookError::NoSignatureMatched { header, signatures, secrets: secrets.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamped_headers_need_one_t_and_a_v1() {
        let parsed = TimestampedSignatures::parse("S", "t=12, v1=aa ,v0=bb,v1=cc").expect("parse");
        assert_eq!((parsed.timestamp_text, parsed.timestamp), ("12", 12));
        assert_eq!(parsed.v1().collect::<Vec<_>>(), ["aa", "cc"]);
        for bad in ["v1=aa", "t=1,t=2,v1=aa", "t=x,v1=aa", "t=1,v0=aa", ""] {
            assert!(TimestampedSignatures::parse("S", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn query_parameters_are_decoded_and_stop_at_the_fragment() {
        let url = "https://h/p?a=1&hub.challenge=x%20y+z&b=2#hub.mode=no";
        assert_eq!(query_parameter(url, "hub.challenge").as_deref(), Some("x y z"));
        assert_eq!(query_parameter(url, "hub.mode"), None);
        assert_eq!(query_parameter("https://h/p", "a"), None);
    }
}
