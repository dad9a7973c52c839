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
//!
//! Where the spec is silent, the emulator decides (and tests) as follows:
//! - Page sizes: over the maximum is `400 VALUE_TOO_HIGH` where the spec gives a maximum
//!   (customers 100, team members and timecards 200, orders 1000); ListPayments and ListPayouts
//!   use 100 instead and ListPaymentRefunds caps at 100, as their descriptions say. ListBookings
//!   has no documented bounds: 1–100, default 100. SearchTeamMembers defaults to 100 (spec).
//! - Time ranges are `[start, end)`, except TimecardFilter's `start`/`end` (inclusive, as the
//!   spec says) and ListBookings' `[start_at_min, start_at_max]`, which may span 31 days at most.
//! - "Now" is the wall clock, or the merchant's latest timestamp if later; defaults resolved
//!   from it travel in the cursor. With an explicit `end_time`, ListPaymentRefunds leaves
//!   `updated_at_end_time` open instead of defaulting it to now (keeps cursors deterministic).
//! - A cursor is bound to the endpoint, merchant, dataset and every filter and sort parameter;
//!   the page size may change between pages.
//! - SearchOrders defaults to `CREATED_AT` `DESC`; a `date_time_filter` on another field than
//!   the sort field is `400 INVALID_VALUE` on `query.sort.sort_field`. A location id the merchant
//!   does not have is `404 NOT_FOUND` naming the field (in SearchTeamMembers' filter it just
//!   matches nothing). Unknown request fields are ignored.
//! - ListPayouts is checked for `PAYOUTS_READ` (its description) though its security block
//!   lists no scope; ListBookings shows `creator_details` and `source` only with
//!   `APPOINTMENTS_ALL_READ` (seller-level).
//! - Square has no per-line team member: each sale's barber is the payment's `team_member_id`.
//! - A refund's `order_id` is the sale's order (no separate return order); the order gains a
//!   `refunds` entry, `return_amounts` (every component for a full refund, the total only for a
//!   partial, unitemized one) and `net_amounts`. Refunds give back the processing fee
//!   proportionally (a negative `processing_fee`). Payouts cover the generated history only.

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
