//! Outbound webhooks: the event catalog, the producer that turns the change feed (and platform
//! happenings) into events with their deliveries, the emitter other components call, endpoint
//! registration, and the dispatcher that delivers.

pub mod dispatcher;
pub mod emitter;
pub mod endpoints;
pub mod event_types;
pub mod health;
pub mod producer;

pub use dispatcher::Dispatcher;
pub use emitter::{Emitted, Emitter, PlatformEvent};
pub use endpoints::{EndpointDirectory, EndpointRefusal, EndpointRequest};
pub use event_types::{EVENT_TYPES, EventType, event_type};
pub use producer::Producer;
