//! What the Square control surface takes and returns, for tests, the demo and benchmarks: the
//! oracle counts and daily totals a sync is checked against, and the results of changes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How many records of each kind a merchant has (deleted customers are not counted), as the
/// API would return them without filters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquareCounts {
    pub locations: u64,
    pub team_members: u64,
    pub customers: u64,
    pub orders: u64,
    pub payments: u64,
    pub refunds: u64,
    pub payouts: u64,
    pub timecards: u64,
    pub bookings: u64,
}

/// The sales of one location on one local date (of `closed_at`, in the location's time zone).
/// Amounts are in the currency's minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquareDailyTotals {
    pub location_id: String,
    pub date: NaiveDate,
    pub currency: String,
    /// Completed orders closed that day.
    pub orders: u64,
    /// Σ line-item `gross_sales_money`.
    pub gross: i64,
    /// Σ discounts applied.
    pub discount: i64,
    /// Σ `total_service_charge_money`.
    pub service_charges: i64,
    /// Σ `total_tax_money`.
    pub tax: i64,
    /// Σ `total_tip_money`.
    pub tip: i64,
    /// Σ order `total_money` (gross − discount + service charges + tax + tip).
    pub total_collected: i64,
    /// Σ completed refunds of those orders, whenever they were made (by the order's day).
    pub refunded: i64,
    /// `total_collected − tax − tip − refunded`.
    pub net: i64,
}

/// A location as the control surface describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquareLocationInfo {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub currency: String,
}

/// An order (and its payment) added with [`crate::SquareHandle::add_orders`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquareNewOrder {
    pub order_id: String,
    pub payment_id: String,
    pub location_id: String,
    /// `total_money` of the order, in minor units.
    pub total: i64,
}

/// A refund made with [`crate::SquareHandle::refund_payment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SquareRefundResult {
    pub refund_id: String,
    pub payment_id: String,
    pub order_id: String,
    pub amount: i64,
    /// What remains refundable on the payment afterwards.
    pub remaining: i64,
}

/// Fields to change on a customer profile; `None` leaves a field as it is, `Some("")` clears
/// `note`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SquareCustomerUpdate {
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}
