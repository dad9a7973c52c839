//! Webhook signatures for Franchise Hub: verifying what every provider sends the hub, each with
//! its real scheme, and signing what the hub sends its subscribers, with Standard Webhooks.
//!
//! - Inbound: [`verify()`] takes a [`Scheme`] (from a catalog provider id with
//!   [`Scheme::for_provider`]), the connection's [`WebhookSecret`]s (several during a rotation),
//!   the [`InboundRequest`] exactly as received and the clock, and answers [`Verified`] or a
//!   [`WebhookError`] that says precisely why not. Each scheme lives in its own module under
//!   [`mod@verify`], which documents the provider's rules and where they come from.
//! - Dedup: [`Verified::event_id`] for single-event deliveries, [`event_ids`] for every event of
//!   a batched one.
//! - Outbound: [`sign()`] produces the `webhook-id`, `webhook-timestamp` and `webhook-signature`
//!   headers from [`SigningSecret`]s.
//!
//! - Runtime: [`WebhookService`] stores verified deliveries by group commit and processes them
//!   ([`inbound`]), and produces, emits and delivers outbound events ([`outbound`]).
#![forbid(unsafe_code)]

pub mod batch;
mod error;
mod event_id;
pub mod inbound;
pub mod outbound;
mod primitives;
mod request;
mod runtime_error;
mod scheme;
mod secret;
mod service;
mod settings;
pub mod sign;
pub mod verify;

pub use error::WebhookError;
pub use event_id::event_ids;
pub use request::{DeliveryKind, InboundRequest, Verified};
pub use runtime_error::RuntimeError;
pub use scheme::{CLOVER_HOSTED_CHECKOUT, Scheme};
pub use secret::WebhookSecret;
pub use service::WebhookService;
pub use settings::{WebhookSettings, default_retry_schedule};
pub use sign::{SignedHeaders, SigningSecret, sign};
pub use verify::google_calendar::{ChannelNotification, ResourceState};
pub use verify::verify;
