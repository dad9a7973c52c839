//! The compact records the Square emulator keeps per merchant: small integers and references
//! by position instead of JSON, so years of history fit in memory; responses are rendered from
//! them on demand (`render`).

use std::borrow::Cow;

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::catalog::{CUSTOMER_SOURCES, DISCOUNTS, SERVICE_CHARGES};
use super::currency::{Currency, Rate};

/// Milliseconds since the Unix epoch (UTC). Square's timestamps carry milliseconds.
pub(crate) type Millis = i64;

/// Opening hours of one weekday, in minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpeningHours {
    pub open: u16,
    pub close: u16,
}

/// A shop.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub id: String,
    pub name: String,
    pub timezone: Tz,
    pub currency: Currency,
    pub country: &'static str,
    pub language: &'static str,
    pub address_line: String,
    pub locality: String,
    pub region: Option<&'static str>,
    pub postal_code: String,
    pub phone: String,
    pub email: String,
    pub created_at: Millis,
    /// Monday first; `None` on closed days.
    pub hours: [Option<OpeningHours>; 7],
    pub tax_name: &'static str,
    pub tax_rate: Rate,
    pub bank_account_id: String,
    /// This location's price of each catalog item (same order as `catalog::ITEMS`).
    pub prices: Vec<i64>,
}

/// A barber, or the account owner.
#[derive(Debug, Clone)]
pub(crate) struct TeamMember {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub is_owner: bool,
    pub active: bool,
    /// The one location a barber is assigned to; `None` for the owner (every location).
    pub location: Option<u16>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Hourly wage in the location's currency; `None` for the owner.
    pub hourly_rate: Option<i64>,
    pub job_id: String,
}

/// A customer profile.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub phone: String,
    pub note: Option<String>,
    pub birthday: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub version: u64,
    /// Index into `catalog::CUSTOMER_SOURCES`.
    pub source: u8,
    pub email_unsubscribed: bool,
    /// Deleted profiles vanish from list and search, as in Square.
    pub deleted: bool,
}

impl Customer {
    pub fn creation_source(&self) -> &'static str {
        CUSTOMER_SOURCES.get(usize::from(self.source)).copied().unwrap_or("OTHER")
    }
}

/// One line of an order; amounts in the location's minor units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    /// Index into `catalog::ITEMS`.
    pub item: u16,
    pub quantity: u16,
    pub base_price: i64,
    pub gross: i64,
    pub discount: i64,
    pub tax: i64,
}

impl Line {
    pub fn total(&self) -> i64 {
        self.gross - self.discount + self.tax
    }
}

/// A completed sale. Its payment is `payments[same index]`.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub id: String,
    pub location: u16,
    pub customer: Option<u32>,
    pub team_member: u32,
    pub created_at: Millis,
    pub closed_at: Millis,
    pub updated_at: Millis,
    pub version: u32,
    pub lines: Box<[Line]>,
    /// Index into `catalog::DISCOUNTS` of the order-level percentage discount.
    pub discount: Option<u8>,
    /// Index into `catalog::SERVICE_CHARGES` and the amount charged.
    pub service_charge: Option<(u8, i64)>,
    pub tip: i64,
    /// Positions in `refunds`.
    pub refunds: Vec<u32>,
}

impl Order {
    pub fn gross(&self) -> i64 {
        self.lines.iter().map(|line| line.gross).sum()
    }

    pub fn discount_total(&self) -> i64 {
        self.lines.iter().map(|line| line.discount).sum()
    }

    pub fn tax_total(&self) -> i64 {
        self.lines.iter().map(|line| line.tax).sum()
    }

    pub fn service_charge_total(&self) -> i64 {
        self.service_charge.map_or(0, |(_, amount)| amount)
    }

    /// What the buyer paid: lines, service charges and tip.
    pub fn total(&self) -> i64 {
        self.lines.iter().map(Line::total).sum::<i64>() + self.service_charge_total() + self.tip
    }

    pub fn discount_name(&self) -> Option<(&'static str, Rate)> {
        self.discount.and_then(|index| DISCOUNTS.get(usize::from(index)).copied())
    }

    pub fn service_charge_name(&self) -> Option<&'static str> {
        self.service_charge.and_then(|(index, _)| SERVICE_CHARGES.get(usize::from(index)).map(|charge| charge.0))
    }
}

/// How a payment was made.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tender {
    Card {
        /// Index into `catalog::CARD_BRANDS`.
        brand: u8,
        last_4: u16,
        exp_month: u8,
        exp_year: u16,
        debit: bool,
        /// Index into `catalog::ENTRY_METHODS`.
        entry_method: u8,
        fingerprint: u64,
        auth_code: u32,
    },
    Cash {
        buyer_supplied: i64,
    },
}

/// The payment of `orders[same index]`.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub id: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub tender: Tender,
    /// Card processing fee (zero for cash).
    pub fee: i64,
    pub refunded: i64,
    /// Positions in `refunds`.
    pub refunds: Vec<u32>,
    /// Bumped on every change; rendered as `version_token`.
    pub version: u32,
}

/// A refund of (part of) a payment; every emulated refund completes.
#[derive(Debug, Clone)]
pub(crate) struct Refund {
    pub id: String,
    /// Position of the payment (and its order).
    pub payment: u32,
    pub amount: i64,
    /// The part of the processing fee Square gives back (proportional to the amount).
    pub fee_returned: i64,
    pub reason: Cow<'static, str>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Whether a payout has reached the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayoutStatus {
    Sent,
    Paid,
}

impl PayoutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "SENT",
            Self::Paid => "PAID",
        }
    }
}

/// One day's card takings of a location, net of fees and refunds, sent to its bank account.
#[derive(Debug, Clone)]
pub(crate) struct Payout {
    pub id: String,
    pub location: u16,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub amount: i64,
    pub status: PayoutStatus,
    pub arrival_date: NaiveDate,
    pub version: u32,
    pub end_to_end_id: String,
}

/// One shift of one barber.
#[derive(Debug, Clone)]
pub(crate) struct Timecard {
    pub id: String,
    pub location: u16,
    pub team_member: u32,
    pub start_at: Millis,
    pub end_at: Millis,
    /// The unpaid lunch break, if one was taken.
    pub lunch: Option<(Millis, Millis)>,
    pub hourly_rate: i64,
    pub declared_cash_tips: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub version: u32,
}

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BookingStatus {
    Pending,
    Accepted,
    NoShow,
    CancelledByCustomer,
    CancelledBySeller,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Accepted => "ACCEPTED",
            Self::NoShow => "NO_SHOW",
            Self::CancelledByCustomer => "CANCELLED_BY_CUSTOMER",
            Self::CancelledBySeller => "CANCELLED_BY_SELLER",
        }
    }
}

/// An appointment.
#[derive(Debug, Clone)]
pub(crate) struct Booking {
    pub id: String,
    pub location: u16,
    pub customer: u32,
    pub team_member: u32,
    /// Index into `catalog::ITEMS` (a service).
    pub service: u16,
    pub start_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub status: BookingStatus,
    pub version: u32,
    /// Booked online by the customer (otherwise by a barber at the shop).
    pub by_customer: bool,
    pub customer_note: Option<&'static str>,
}
