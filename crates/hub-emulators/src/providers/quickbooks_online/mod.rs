//! QuickBooks Online (`quickbooks-online.md`, schemas `../specs/quickbooks/*.xsd`): Intuit's
//! OAuth server and the Accounting API the hub posts royalty invoices to and reads paid status
//! from — per-realm companies with customers, items, invoices and payments; create, sparse
//! update, delete (invoices and payments), read, query, CDC; `requestid` idempotency; QBO's `Fault` envelope and codes;
//! throttling; signed webhooks; and a control surface to seed, inspect and steer it all.

mod api;
mod clock;
mod company;
mod control;
mod entity;
mod fault;
mod handle;
mod money;
mod profile;
mod query;
mod throttle;
mod webhooks;

use std::sync::{Mutex, MutexGuard, PoisonError};

use axum::Router;

pub use entity::EntityKind;
pub use fault::{FaultKind, QboFault};
pub use handle::QuickBooks;
pub(crate) use profile::PROFILE;
pub use throttle::ThrottleLimits;
pub use webhooks::delivery::{DeliveryAttempt, WebhookDelivery};
pub use webhooks::{WebhookConfig, WebhookFormat, intuit_signature};

use crate::state::EmulatorState;

/// The Accounting API and its control routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    api::routes().merge(control::routes())
}

/// Locks, carrying on after a panic elsewhere: the emulator stays usable in tests.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
