//! The Square emulator: its OAuth server (`oauth`) and its data API at Square's real paths
//! under `/square` (`/square/v2/locations`, `/square/v2/orders/search`, …), serving a
//! deterministic, generated barbershop history per merchant.
//!
//! Data is keyed by the OAuth account (`merchant_id`) of the bearer token. A merchant is
//! configured with a [`SquareMerchantConfig`] (same configuration ⇒ byte-identical responses);
//! one nobody configured gets [`SquareMerchantConfig::default_for`] on first use. Records are
//! kept compact (`model`) with pre-sorted indexes (`store`), rendered to Square's JSON on demand
//! (`render`), paged with keyset cursors bound to their query (`cursor`), and steered through
//! [`SquareHandle`] or `/_emulator/square/…` (`control`).

mod api;
mod catalog;
mod config;
mod control;
mod currency;
mod cursor;
mod generate;
mod ids;
mod model;
mod oauth;
mod render;
mod store;
mod totals;
mod types;

use axum::Router;

pub use config::{SquareLocationSpec, SquareMerchantConfig};
pub use control::{SQUARE_DATA_SCOPES, SquareHandle};
pub(crate) use oauth::PROFILE;
pub(crate) use store::SquareStore;
pub use types::{
    SquareCounts, SquareCustomerUpdate, SquareDailyTotals, SquareLocationInfo, SquareNewOrder, SquareRefundResult,
};

use crate::state::EmulatorState;

/// Square's routes beyond the shared OAuth ones: "who am I", the data API and its control
/// surface.
pub(crate) fn extra_routes() -> Router<EmulatorState> {
    oauth::routes().merge(api::routes()).merge(control::routes())
}
