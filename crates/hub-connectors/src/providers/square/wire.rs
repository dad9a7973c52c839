//! Square's payloads as serde types: exactly the fields the connector reads, named as in the
//! official spec (`../shared/specs/square/api.json`, Square-Version 2025-08-20), nothing more.
//!
//! Everything is optional or defaulted unless the mapping cannot do without it, and enums stay
//! strings: Square adds fields and enum values over time, and an answer must not become
//! unreadable because of one the connector does not use. The mapping decides what an absent or
//! unknown value means.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `Money`: an amount in the currency's smallest unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct Money {
    pub amount: Option<i64>,
    pub currency: Option<String>,
}

/// `Error`, one entry of the envelope every response may carry.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Error {
    pub category: Option<String>,
    pub code: Option<String>,
    pub detail: Option<String>,
    pub field: Option<String>,
}

/// `{"errors": [...]}`: what Square answers instead of (or, on bulk calls, beside) a result.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorEnvelope {
    #[serde(default)]
    pub errors: Vec<Error>,
}

// --- Locations -------------------------------------------------------------------------------

/// `ListLocationsResponse` (not paged).
#[derive(Debug, Deserialize)]
pub(crate) struct ListLocationsResponse {
    #[serde(default)]
    pub locations: Vec<Location>,
}

/// `Location`.
#[derive(Debug, Deserialize)]
pub(crate) struct Location {
    pub id: String,
    pub name: Option<String>,
    pub business_name: Option<String>,
    pub timezone: Option<String>,
    pub currency: Option<String>,
    pub status: Option<String>,
    pub address: Option<Address>,
    /// When the seller opened the location: nothing of it can be older.
    pub created_at: Option<DateTime<Utc>>,
}

/// `Address` (the lines the one-line form uses).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Address {
    pub address_line_1: Option<String>,
    pub address_line_2: Option<String>,
    pub address_line_3: Option<String>,
    pub locality: Option<String>,
    pub administrative_district_level_1: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

// --- Team members ----------------------------------------------------------------------------

/// `SearchTeamMembersResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchTeamMembersResponse {
    #[serde(default)]
    pub team_members: Vec<TeamMember>,
    pub cursor: Option<String>,
}

/// `TeamMember`.
#[derive(Debug, Deserialize)]
pub(crate) struct TeamMember {
    pub id: String,
    pub status: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub assigned_locations: Option<AssignedLocations>,
}

/// `TeamMemberAssignedLocations`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AssignedLocations {
    /// `ALL_CURRENT_AND_FUTURE_LOCATIONS` or `EXPLICIT_LOCATIONS`.
    pub assignment_type: Option<String>,
    #[serde(default)]
    pub location_ids: Vec<String>,
}

// --- Customers -------------------------------------------------------------------------------

/// `SearchCustomersResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchCustomersResponse {
    #[serde(default)]
    pub customers: Vec<Customer>,
    pub cursor: Option<String>,
}

/// `Customer`.
#[derive(Debug, Deserialize)]
pub(crate) struct Customer {
    pub id: String,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
}

// --- Orders ----------------------------------------------------------------------------------

/// `SearchOrdersResponse` (with `return_entries: false`, so whole orders).
#[derive(Debug, Deserialize)]
pub(crate) struct SearchOrdersResponse {
    #[serde(default)]
    pub orders: Vec<Order>,
    pub cursor: Option<String>,
}

/// `Order`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Order {
    pub id: Option<String>,
    pub location_id: Option<String>,
    pub customer_id: Option<String>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    #[serde(default)]
    pub taxes: Vec<OrderTax>,
    #[serde(default)]
    pub service_charges: Vec<ServiceCharge>,
    /// Items returned from other orders: present on return orders and exchanges.
    #[serde(default)]
    pub returns: Vec<serde_json::Value>,
    pub rounding_adjustment: Option<RoundingAdjustment>,
    #[serde(default)]
    pub tenders: Vec<Tender>,
    #[serde(default)]
    pub refunds: Vec<OrderRefund>,
    pub updated_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// `OPEN`, `COMPLETED`, `CANCELED`, `DRAFT`.
    pub state: Option<String>,
    pub total_money: Option<Money>,
    pub total_tax_money: Option<Money>,
    pub total_discount_money: Option<Money>,
    pub total_tip_money: Option<Money>,
    pub total_service_charge_money: Option<Money>,
}

/// `OrderLineItem`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct LineItem {
    pub name: Option<String>,
    pub quantity: Option<String>,
    pub catalog_object_id: Option<String>,
    pub variation_name: Option<String>,
    /// `ITEM`, `CUSTOM_AMOUNT`, `GIFT_CARD`.
    pub item_type: Option<String>,
    #[serde(default)]
    pub applied_taxes: Vec<AppliedTax>,
    pub base_price_money: Option<Money>,
    pub gross_sales_money: Option<Money>,
    pub total_tax_money: Option<Money>,
    pub total_discount_money: Option<Money>,
}

/// `OrderLineItemAppliedTax`: a share of an order tax on one line or service charge.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct AppliedTax {
    pub tax_uid: Option<String>,
    pub applied_money: Option<Money>,
}

/// `OrderLineItemTax`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct OrderTax {
    pub uid: Option<String>,
    /// `ADDITIVE`, `INCLUSIVE`, `UNKNOWN_TAX`.
    #[serde(rename = "type")]
    pub tax_type: Option<String>,
}

/// `OrderServiceCharge`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ServiceCharge {
    #[serde(default)]
    pub applied_taxes: Vec<AppliedTax>,
}

/// `OrderRoundingAdjustment` (cash rounding).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct RoundingAdjustment {
    pub amount_money: Option<Money>,
}

/// `Tender`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Tender {
    pub id: Option<String>,
    pub payment_id: Option<String>,
    pub customer_id: Option<String>,
    /// `CARD`, `CASH`, `SQUARE_GIFT_CARD`, `THIRD_PARTY_CARD`, …
    #[serde(rename = "type")]
    pub tender_type: Option<String>,
    /// Including the tip.
    pub amount_money: Option<Money>,
    pub tip_money: Option<Money>,
}

/// `Refund`, as listed on its order.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct OrderRefund {
    pub id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub amount_money: Option<Money>,
    /// `PENDING`, `APPROVED`, `REJECTED`, `FAILED`.
    pub status: Option<String>,
}

// --- Catalog (line kinds and booked service names) -------------------------------------------

/// `BatchRetrieveCatalogObjectsResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct BatchRetrieveCatalogObjectsResponse {
    #[serde(default)]
    pub objects: Vec<CatalogObject>,
    #[serde(default)]
    pub related_objects: Vec<CatalogObject>,
}

/// `CatalogObject` (variations and their parent items).
#[derive(Debug, Deserialize)]
pub(crate) struct CatalogObject {
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: String,
    pub item_data: Option<CatalogItem>,
    pub item_variation_data: Option<CatalogItemVariation>,
}

/// `CatalogItem`.
#[derive(Debug, Deserialize)]
pub(crate) struct CatalogItem {
    pub name: Option<String>,
    /// `REGULAR`, `APPOINTMENTS_SERVICE`, `GIFT_CARD`, …
    pub product_type: Option<String>,
}

/// `CatalogItemVariation`.
#[derive(Debug, Deserialize)]
pub(crate) struct CatalogItemVariation {
    pub item_id: Option<String>,
    pub name: Option<String>,
    /// Set only on variations of `APPOINTMENTS_SERVICE` items.
    pub service_duration: Option<i64>,
}

// --- Refunds ---------------------------------------------------------------------------------

/// `ListPaymentRefundsResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListPaymentRefundsResponse {
    #[serde(default)]
    pub refunds: Vec<PaymentRefund>,
    pub cursor: Option<String>,
}

/// `PaymentRefund`.
#[derive(Debug, Deserialize)]
pub(crate) struct PaymentRefund {
    pub id: String,
    /// `PENDING`, `COMPLETED`, `REJECTED`, `FAILED`.
    pub status: Option<String>,
    pub location_id: Option<String>,
    pub amount_money: Money,
    pub payment_id: Option<String>,
    pub order_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

// --- Payouts ---------------------------------------------------------------------------------

/// `ListPayoutsResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListPayoutsResponse {
    #[serde(default)]
    pub payouts: Vec<Payout>,
    pub cursor: Option<String>,
}

/// `Payout`.
#[derive(Debug, Deserialize)]
pub(crate) struct Payout {
    pub id: String,
    /// `SENT`, `FAILED`, `PAID`.
    pub status: Option<String>,
    pub location_id: String,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub amount_money: Option<Money>,
    #[serde(default)]
    pub payout_fee: Vec<PayoutFee>,
    /// `YYYY-MM-DD`.
    pub arrival_date: Option<String>,
}

/// `PayoutFee`.
#[derive(Debug, Deserialize)]
pub(crate) struct PayoutFee {
    pub amount_money: Option<Money>,
}

// --- Timecards -------------------------------------------------------------------------------

/// `SearchTimecardsResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct SearchTimecardsResponse {
    #[serde(default)]
    pub timecards: Vec<Timecard>,
    pub cursor: Option<String>,
}

/// `Timecard`.
#[derive(Debug, Deserialize)]
pub(crate) struct Timecard {
    pub id: String,
    pub location_id: String,
    pub team_member_id: Option<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: Option<DateTime<Utc>>,
    pub wage: Option<TimecardWage>,
    #[serde(default)]
    pub breaks: Vec<Break>,
    /// `OPEN`, `CLOSED`.
    pub status: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub declared_cash_tip_money: Option<Money>,
}

/// `TimecardWage`.
#[derive(Debug, Deserialize)]
pub(crate) struct TimecardWage {
    pub hourly_rate: Option<Money>,
}

/// `Break`.
#[derive(Debug, Deserialize)]
pub(crate) struct Break {
    pub start_at: DateTime<Utc>,
    pub end_at: Option<DateTime<Utc>>,
    pub is_paid: Option<bool>,
}

// --- Bookings --------------------------------------------------------------------------------

/// `ListBookingsResponse`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListBookingsResponse {
    #[serde(default)]
    pub bookings: Vec<Booking>,
    pub cursor: Option<String>,
}

/// `Booking`.
#[derive(Debug, Deserialize)]
pub(crate) struct Booking {
    pub id: String,
    /// `PENDING`, `ACCEPTED`, `CANCELLED_BY_CUSTOMER`, `CANCELLED_BY_SELLER`, `DECLINED`, `NO_SHOW`.
    pub status: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub start_at: DateTime<Utc>,
    pub location_id: Option<String>,
    pub customer_id: Option<String>,
    #[serde(default)]
    pub appointment_segments: Vec<AppointmentSegment>,
}

/// `AppointmentSegment`.
#[derive(Debug, Deserialize)]
pub(crate) struct AppointmentSegment {
    pub duration_minutes: Option<i64>,
    pub service_variation_id: Option<String>,
    pub team_member_id: Option<String>,
    pub intermission_minutes: Option<i64>,
}
