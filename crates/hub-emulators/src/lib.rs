//! Local emulators of the providers the hub connects to: their OAuth servers (Square, Clover,
//! QuickBooks Online, Sage Intacct, Salesforce, HubSpot, Google, ADP, Power BI, FranConnect),
//! with per-provider token rules, error shapes and switches a test can flip, fault injection
//! over every path, and Square's data API over a generated barbershop history per merchant
//! ([`SquareHandle`], from [`EmulatorState::square`]).
//!
//! Everything is served on one port, each provider under its own prefix that mirrors the real
//! path (`https://connect.squareup.com/oauth2/token` → `/square/oauth2/token`); Google's OAuth
//! server is `/google/…`. The catalog in `hub-connectors` names the same paths for
//! [`Environment::Emulator`](hub_connectors::Environment::Emulator).
//!
//! Used by tests, the demo, `hub emulators` and benchmarks; never by production code paths.
#![forbid(unsafe_code)]

mod control;
mod error;
mod faults;
mod oauth;
mod providers;
mod server;
mod state;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

pub use error::EmulatorError;
pub use faults::{FaultRule, HttpFault};
pub use providers::EmulatedProvider;
pub use providers::square::{
    SQUARE_DATA_SCOPES, SquareCounts, SquareCustomerUpdate, SquareDailyTotals, SquareHandle, SquareLocationInfo,
    SquareLocationSpec, SquareMerchantConfig, SquareNewOrder, SquareRefundResult,
};
pub use server::{RunningEmulator, serve, start};

/// QuickBooks Online's emulated Accounting API: the [`quickbooks_online::QuickBooks`] control
/// handle (from [`EmulatorState::quickbooks`]) and the types it takes and returns.
pub mod quickbooks_online {
    pub use crate::providers::quickbooks_online::{
        DeliveryAttempt, EntityKind, FaultKind, QboFault, QuickBooks, ThrottleLimits, WebhookConfig, WebhookDelivery,
        WebhookFormat, intuit_signature,
    };
}
pub use state::{
    ClientRegistration, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, EmulatorState, Fault, TokenInfo, TokenLifetimes,
    TokenRequestCounts,
};

/// Every emulated provider and the `/_emulator` control surface, behind the fault-injection
/// middleware.
pub fn router(state: EmulatorState) -> Router {
    providers::routes()
        .merge(control::routes())
        .fallback(|| async { (StatusCode::NOT_FOUND, axum::Json(json!({"error": "not_found"}))).into_response() })
        .layer(axum::middleware::from_fn_with_state(state.clone(), faults::inject_faults))
        .with_state(state)
}
