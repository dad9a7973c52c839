//! Google Calendar push notifications: body-less POSTs with no signature. The hub registers a
//! token with each watch channel and Google echoes it in `X-Goog-Channel-Token`; a notification
//! is authentic when that token equals the stored one. `X-Goog-Resource-State: sync` is the
//! handshake sent when a channel opens; `exists` / `not_exists` report changes.
//! Source: `google-calendar.md` (developers.google.com/calendar/api/guides/push).
//!
//! Secrets: the channel token(s). Event id: `X-Goog-Channel-ID` `:` `X-Goog-Message-Number`
//! (message numbers increase per channel, so the pair names one notification).

use crate::primitives::token_matches;
use crate::{DeliveryKind, InboundRequest, Verified, WebhookError, WebhookSecret};

/// The header echoing the channel's token.
pub const TOKEN_HEADER: &str = "X-Goog-Channel-Token";
/// The channel id the hub chose when it opened the watch.
pub const CHANNEL_ID_HEADER: &str = "X-Goog-Channel-ID";
/// Google's id of the watched resource (needed to stop the channel).
pub const RESOURCE_ID_HEADER: &str = "X-Goog-Resource-ID";
/// `sync`, `exists` or `not_exists`.
pub const RESOURCE_STATE_HEADER: &str = "X-Goog-Resource-State";
/// The notification's sequence number within its channel.
pub const MESSAGE_NUMBER_HEADER: &str = "X-Goog-Message-Number";
/// The watched resource's API URI (optional).
pub const RESOURCE_URI_HEADER: &str = "X-Goog-Resource-URI";
/// When the channel expires, as Google writes it (optional).
pub const CHANNEL_EXPIRATION_HEADER: &str = "X-Goog-Channel-Expiration";

/// What an authentic push notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelNotification {
    /// `X-Goog-Channel-ID`: the id the hub gave the channel when it opened the watch.
    pub channel_id: String,
    /// `X-Goog-Resource-ID`: Google's id of the watched resource (needed to stop the channel).
    pub resource_id: String,
    /// `X-Goog-Resource-State`.
    pub resource_state: ResourceState,
    /// `X-Goog-Message-Number`: increases with each notification on the channel.
    pub message_number: u64,
    /// `X-Goog-Resource-URI`, when sent.
    pub resource_uri: Option<String>,
    /// `X-Goog-Channel-Expiration`, as Google writes it, when sent.
    pub channel_expiration: Option<String>,
}

impl ChannelNotification {
    /// Whether this is the `sync` handshake that opens a channel (acknowledge, sync nothing).
    pub fn is_sync(&self) -> bool {
        self.resource_state == ResourceState::Sync
    }
}

/// `X-Goog-Resource-State`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceState {
    /// The channel was just opened.
    Sync,
    /// The resource exists and changed.
    Exists,
    /// The resource was deleted.
    NotExists,
    /// A state this code does not know yet, kept as sent.
    Other(String),
}

impl ResourceState {
    fn parse(text: &str) -> Self {
        match text {
            "sync" => Self::Sync,
            "exists" => Self::Exists,
            "not_exists" => Self::NotExists,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Verifies a Google push notification by its channel token.
pub fn verify(secrets: &[WebhookSecret], request: &InboundRequest<'_>) -> Result<Verified, WebhookError> {
    let token = request.required_header(TOKEN_HEADER)?;
    let channel_id = request.required_header(CHANNEL_ID_HEADER)?;
    let resource_id = request.required_header(RESOURCE_ID_HEADER)?;
    let resource_state = request.required_header(RESOURCE_STATE_HEADER)?;
    let message_number = message_number(request.required_header(MESSAGE_NUMBER_HEADER)?)?;
    let index = secrets
        .iter()
        .position(|secret| token_matches(token, secret.expose()))
        .ok_or(WebhookError::TokenMismatch { source_name: TOKEN_HEADER, secrets: secrets.len() })?;
    let notification = ChannelNotification {
        channel_id: channel_id.to_owned(),
        resource_id: resource_id.to_owned(),
        resource_state: ResourceState::parse(resource_state),
        message_number,
        resource_uri: request.header(RESOURCE_URI_HEADER)?.map(str::to_owned),
        channel_expiration: request.header(CHANNEL_EXPIRATION_HEADER)?.map(str::to_owned),
    };
    Ok(Verified {
        event_id: Some(format!("{channel_id}:{message_number}")),
        kind: DeliveryKind::GoogleChannel(notification),
        ..Verified::event(index)
    })
}

fn message_number(text: &str) -> Result<u64, WebhookError> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(WebhookError::malformed(MESSAGE_NUMBER_HEADER, "not a whole number"));
    }
    text.parse().map_err(|_| WebhookError::malformed(MESSAGE_NUMBER_HEADER, "out of range"))
}

/// The dedup key of a notification, read from its headers.
pub(crate) fn event_id(request: &InboundRequest<'_>) -> Option<String> {
    let channel_id = request.header(CHANNEL_ID_HEADER).ok()??;
    let number = message_number(request.header(MESSAGE_NUMBER_HEADER).ok()??).ok()?;
    Some(format!("{channel_id}:{number}"))
}
