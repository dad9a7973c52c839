//! A shop's day-to-day: appointments, staff time, and the money the processor pays out.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::tenancy::Currency;

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Requested, not yet confirmed by the shop.
    Pending,
    Booked,
    /// Cancelled by the customer or the shop, or declined.
    Cancelled,
    NoShow,
}

/// A booking of a customer with a staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    pub start_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub status: AppointmentStatus,
    pub customer_external_id: Option<String>,
    pub staff_external_id: Option<String>,
    /// What was booked, by name.
    pub services: Vec<String>,
}

/// Where a payout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    Pending,
    Sent,
    Paid,
    Failed,
}

/// Money the payment processor paid (or will pay) into the shop's bank account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payout {
    pub currency: Currency,
    /// What reaches the bank.
    #[schema(value_type = String)]
    pub amount: Decimal,
    #[schema(value_type = String)]
    pub fee: Decimal,
    pub status: PayoutStatus,
    #[schema(value_type = String, example = "2026-11-30")]
    pub arrival_date: Option<NaiveDate>,
    /// When the processor started the payout.
    pub initiated_at: DateTime<Utc>,
}

/// A staff member's shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Timecard {
    pub staff_external_id: Option<String>,
    pub start_at: DateTime<Utc>,
    /// `None` while the shift is open.
    pub end_at: Option<DateTime<Utc>>,
    pub break_minutes: u32,
    /// The hourly wage, when the provider says.
    #[schema(value_type = Option<String>)]
    pub hourly_rate: Option<Decimal>,
    pub currency: Option<Currency>,
    #[schema(value_type = Option<String>)]
    pub declared_cash_tips: Option<Decimal>,
}

impl Timecard {
    /// Worked minutes (shift minus breaks); `None` while open.
    pub fn worked_minutes(&self) -> Option<i64> {
        let end = self.end_at?;
        Some(((end - self.start_at).num_minutes() - i64::from(self.break_minutes)).max(0))
    }
}
