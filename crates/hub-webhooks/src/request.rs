//! What a verifier is given (the request exactly as received) and what it answers when the
//! request is authentic.

use std::time::SystemTime;

use http::{HeaderMap, Method};

use crate::WebhookError;
use crate::verify::google_calendar::ChannelNotification;

/// One inbound request, borrowed from the HTTP layer without copying: verification must run on
/// the raw bytes the provider signed, never on re-serialized JSON.
#[derive(Debug, Clone, Copy)]
pub struct InboundRequest<'a> {
    /// The method as received (HubSpot signs it; Meta's handshake is a GET).
    pub method: &'a Method,
    /// The full URL the provider called, exactly as it was registered with the provider
    /// (scheme, host, path and query). Square, Twilio and HubSpot sign it; behind a proxy this is
    /// the public URL, not the one the hub's listener saw. `None` when unknown.
    pub url: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The raw body, byte for byte.
    pub body: &'a [u8],
}

impl<'a> InboundRequest<'a> {
    /// A POST with no URL: the common shape of a delivery for schemes that sign only the body.
    pub fn post(headers: &'a HeaderMap, body: &'a [u8]) -> Self {
        static POST: Method = Method::POST;
        Self { method: &POST, url: None, headers, body }
    }

    /// The same request with the URL the provider called.
    pub fn with_url(self, url: &'a str) -> Self {
        Self { url: Some(url), ..self }
    }

    /// The same request with another method.
    pub fn with_method(self, method: &'a Method) -> Self {
        Self { method, ..self }
    }

    /// The one value of `name`, `None` when absent. A header sent twice is refused: which copy a
    /// proxy or framework would keep is not something a signature check should depend on.
    pub(crate) fn header(&self, name: &'static str) -> Result<Option<&'a str>, WebhookError> {
        let mut values = self.headers.get_all(name).iter();
        let Some(first) = values.next() else { return Ok(None) };
        if values.next().is_some() {
            return Err(WebhookError::malformed(name, "sent more than once"));
        }
        first.to_str().map(Some).map_err(|_| WebhookError::malformed(name, "not visible ASCII"))
    }

    /// The one value of `name`, which must be present.
    pub(crate) fn required_header(&self, name: &'static str) -> Result<&'a str, WebhookError> {
        self.header(name)?.ok_or(WebhookError::MissingHeader { name })
    }
}

/// An authentic delivery: which secret proved it, and what the caller needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Index into the `secrets` slice of the secret that matched (the first that did), so a
    /// rotation can tell when the old secret stops being used.
    pub secret_index: usize,
    /// The provider's id for this delivery's event, for dedup, when the delivery carries exactly
    /// one and it is cheap to read; `None` otherwise. Where it comes from, per scheme, is listed
    /// on [`Scheme`](crate::Scheme). Batched deliveries (HubSpot, SendGrid, QuickBooks) leave it
    /// `None`: [`event_ids`](crate::event_ids) lists one id per event.
    pub event_id: Option<String>,
    /// The time the provider signed, for schemes whose signature covers a timestamp.
    pub signed_at: Option<SystemTime>,
    /// What kind of message this is.
    pub kind: DeliveryKind,
}

impl Verified {
    pub(crate) fn event(secret_index: usize) -> Self {
        Self { secret_index, event_id: None, signed_at: None, kind: DeliveryKind::Event }
    }

    pub(crate) fn with_signed_at(mut self, at: Option<SystemTime>) -> Self {
        self.signed_at = at;
        self
    }

    pub(crate) fn with_event_id(mut self, id: Option<String>) -> Self {
        self.event_id = id;
        self
    }

    /// Whether this message is a provider's handshake rather than an event: Meta's subscription
    /// challenge or Google's `sync` message, which the caller answers without processing.
    pub fn is_handshake(&self) -> bool {
        match &self.kind {
            DeliveryKind::Event => false,
            DeliveryKind::MetaSubscription { .. } => true,
            DeliveryKind::GoogleChannel(notification) => notification.is_sync(),
        }
    }
}

/// The kinds of authentic message a provider sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryKind {
    /// An event notification to accept and process.
    Event,
    /// Meta's `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` with a verify token
    /// that matched: answer 200 with exactly `challenge` as the body.
    MetaSubscription { challenge: String },
    /// A Google push notification (its token matched); `sync` is the handshake sent when the
    /// channel opens, anything else says the watched resource changed.
    GoogleChannel(ChannelNotification),
}
