//! Square payloads → unified records, for every model but sales (see `sale.rs`).
//!
//! Every record carries Square's id as `external_id`, its `updated_at` as `remote_updated_at`
//! (Square's `Location` has none, so locations carry `None`), and the Square location it belongs
//! to as `provider_location_id`: a location's own id; a team member's only location when they
//! have exactly one; none for customers, which Square keeps per seller, not per location.
//!
//! Money becomes an exact decimal at the currency's minor unit (`from_minor_units`: 3500 USD is
//! 35.00, 3500 JPY is 3500, 3500 KWD is 3.500). A value the mapping cannot take honestly — an
//! unknown status, a currency that is not ISO 4217, two currencies where one is expected — makes
//! the page a `BadResponse` naming the record and field, rather than a guess that gets stored.

use chrono::{DateTime, NaiveDate, Utc};
use hub_core::money::from_minor_units;
use hub_core::records::{
    Appointment, AppointmentStatus, Customer, Payout, PayoutStatus, ProviderLocation, RecordData, Refund, RefundStatus,
    SourceRecord, StaffMember, Timecard,
};
use hub_core::tenancy::Currency;
use rust_decimal::Decimal;

use super::catalog::Variations;
use super::errors::bad_response;
use super::wire;
use crate::source::ConnectorError;

/// What went wrong with one field, before the record's name is put in front.
pub(crate) type Mapped<T> = Result<T, String>;

/// Names the record in front of a field-level error: `payout po_1: status "LOST" is unknown`.
pub(crate) fn in_record(kind: &str, id: &str) -> impl FnOnce(String) -> ConnectorError {
    let context = format!("{kind} {id}");
    move |why| bad_response(format!("{context}: {why}"))
}

/// Parses an ISO 4217 code Square sent in `field`.
pub(crate) fn currency(code: Option<&str>, field: &str) -> Mapped<Currency> {
    let code = code.ok_or_else(|| format!("`{field}` has no currency"))?;
    Currency::parse(code).map_err(|_| format!("`{field}` currency `{code}` is not ISO 4217"))
}

/// The currency of a `Money` that must be there.
pub(crate) fn currency_of(money: Option<&wire::Money>, field: &str) -> Mapped<Currency> {
    let money = money.ok_or_else(|| format!("`{field}` is missing"))?;
    currency(money.currency.as_deref(), field)
}

/// A `Money` as a decimal of `expected`: absent means zero; a different currency is refused.
pub(crate) fn amount(money: Option<&wire::Money>, expected: Currency, field: &str) -> Mapped<Decimal> {
    let Some(money) = money else { return Ok(from_minor_units(0, expected)) };
    if let Some(code) = money.currency.as_deref()
        && code != expected.as_str()
    {
        return Err(format!("`{field}` is in {code}, not {expected}"));
    }
    Ok(from_minor_units(money.amount.unwrap_or(0), expected))
}

/// A non-empty string, trimmed.
fn text(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|value| !value.is_empty()).map(str::to_owned)
}

/// `Location` → [`ProviderLocation`]. An unknown currency code leaves `currency` empty (it is
/// informative here; sales carry their own).
pub(crate) fn location(location: &wire::Location) -> SourceRecord {
    let name = text(location.name.as_deref())
        .or_else(|| text(location.business_name.as_deref()))
        .unwrap_or_else(|| location.id.clone());
    let address = location.address.as_ref().and_then(|address| {
        let parts = [
            &address.address_line_1,
            &address.address_line_2,
            &address.address_line_3,
            &address.locality,
            &address.administrative_district_level_1,
            &address.postal_code,
            &address.country,
        ];
        let parts: Vec<String> = parts.into_iter().filter_map(|part| text(part.as_deref())).collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    SourceRecord {
        external_id: location.id.clone(),
        remote_updated_at: None,
        provider_location_id: Some(location.id.clone()),
        data: RecordData::Location(ProviderLocation {
            name,
            time_zone: text(location.timezone.as_deref()),
            currency: location.currency.as_deref().and_then(|code| Currency::parse(code).ok()),
            address,
            active: location.status.as_deref() == Some("ACTIVE"),
        }),
    }
}

/// `TeamMember` → [`StaffMember`]; members assigned to all locations list every location of the
/// seller (`all_location_ids`).
pub(crate) fn team_member(member: &wire::TeamMember, all_location_ids: &[String]) -> SourceRecord {
    let assigned = member.assigned_locations.as_ref();
    let provider_location_ids = match assigned {
        Some(assigned) if assigned.assignment_type.as_deref() == Some("ALL_CURRENT_AND_FUTURE_LOCATIONS") => {
            all_location_ids.to_vec()
        }
        Some(assigned) => assigned.location_ids.clone(),
        None => Vec::new(),
    };
    let provider_location_id = match provider_location_ids.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    };
    SourceRecord {
        external_id: member.id.clone(),
        remote_updated_at: member.updated_at,
        provider_location_id,
        data: RecordData::StaffMember(StaffMember {
            given_name: text(member.given_name.as_deref()),
            family_name: text(member.family_name.as_deref()),
            active: member.status.as_deref() == Some("ACTIVE"),
            provider_location_ids,
        }),
    }
}

/// `Customer` → [`Customer`]; `first_seen_at` is when the profile was created.
pub(crate) fn customer(customer: &wire::Customer) -> SourceRecord {
    SourceRecord {
        external_id: customer.id.clone(),
        remote_updated_at: customer.updated_at,
        provider_location_id: None,
        data: RecordData::Customer(Customer {
            given_name: text(customer.given_name.as_deref()),
            family_name: text(customer.family_name.as_deref()),
            email: text(customer.email_address.as_deref()),
            phone: text(customer.phone_number.as_deref()),
            first_seen_at: customer.created_at,
        }),
    }
}

/// `PaymentRefund` → [`Refund`]. `sale_external_id` is Square's `order_id` on the refund, which
/// the spec calls "the order associated with the refund".
pub(crate) fn payment_refund(refund: &wire::PaymentRefund) -> Result<SourceRecord, ConnectorError> {
    let map = || -> Mapped<SourceRecord> {
        let currency = currency(refund.amount_money.currency.as_deref(), "amount_money")?;
        let status = match refund.status.as_deref() {
            Some("PENDING") => RefundStatus::Pending,
            Some("COMPLETED") => RefundStatus::Completed,
            Some("REJECTED") => RefundStatus::Rejected,
            Some("FAILED") => RefundStatus::Failed,
            other => return Err(format!("status {other:?} is unknown")),
        };
        Ok(SourceRecord {
            external_id: refund.id.clone(),
            remote_updated_at: refund.updated_at,
            provider_location_id: refund.location_id.clone(),
            data: RecordData::Refund(Refund {
                sale_external_id: refund.order_id.clone(),
                payment_external_id: refund.payment_id.clone(),
                currency,
                amount: amount(Some(&refund.amount_money), currency, "amount_money")?,
                status,
                reason: text(refund.reason.as_deref()),
                refunded_at: refund.created_at.ok_or("`created_at` is missing")?,
            }),
        })
    };
    map().map_err(in_record("refund", &refund.id))
}

/// `Payout` → [`Payout`]: `amount` is what reaches (or, negative, leaves) the bank; `fee` the
/// sum of `payout_fee`. No status yet reads as pending.
pub(crate) fn payout(payout: &wire::Payout) -> Result<SourceRecord, ConnectorError> {
    let map = || -> Mapped<SourceRecord> {
        let currency = currency_of(payout.amount_money.as_ref(), "amount_money")?;
        let mut fee = from_minor_units(0, currency);
        for (index, entry) in payout.payout_fee.iter().enumerate() {
            fee += amount(entry.amount_money.as_ref(), currency, &format!("payout_fee[{index}].amount_money"))?;
        }
        let status = match payout.status.as_deref() {
            None => PayoutStatus::Pending,
            Some("SENT") => PayoutStatus::Sent,
            Some("PAID") => PayoutStatus::Paid,
            Some("FAILED") => PayoutStatus::Failed,
            Some(other) => return Err(format!("status `{other}` is unknown")),
        };
        let arrival_date = match payout.arrival_date.as_deref() {
            None => None,
            Some(date) => Some(
                NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .map_err(|_| "`arrival_date` is not YYYY-MM-DD".to_owned())?,
            ),
        };
        Ok(SourceRecord {
            external_id: payout.id.clone(),
            remote_updated_at: payout.updated_at,
            provider_location_id: Some(payout.location_id.clone()),
            data: RecordData::Payout(Payout {
                currency,
                amount: amount(payout.amount_money.as_ref(), currency, "amount_money")?,
                fee,
                status,
                arrival_date,
                initiated_at: payout.created_at.ok_or("`created_at` is missing")?,
            }),
        })
    };
    map().map_err(in_record("payout", &payout.id))
}

/// `Timecard` → [`Timecard`]. An `OPEN` timecard has no end. `break_minutes` counts unpaid
/// breaks only (a paid break is worked time); a break still running counts up to the shift's end.
pub(crate) fn timecard(card: &wire::Timecard) -> Result<SourceRecord, ConnectorError> {
    let map = || -> Mapped<SourceRecord> {
        let end_at = if card.status.as_deref() == Some("OPEN") { None } else { card.end_at };
        let break_minutes: i64 = card
            .breaks
            .iter()
            .filter(|entry| entry.is_paid != Some(true))
            .filter_map(|entry| Some(minutes_between(entry.start_at, entry.end_at.or(end_at)?)))
            .fold(0_i64, i64::saturating_add);
        let rate = card.wage.as_ref().and_then(|wage| wage.hourly_rate.as_ref());
        let tips = card.declared_cash_tip_money.as_ref();
        let currency = match (rate, tips) {
            (Some(rate), _) => Some(currency_of(Some(rate), "wage.hourly_rate")?),
            (None, Some(tips)) => Some(currency_of(Some(tips), "declared_cash_tip_money")?),
            (None, None) => None,
        };
        let in_currency = |money: Option<&wire::Money>, field: &str| -> Mapped<Option<Decimal>> {
            match (money, currency) {
                (Some(money), Some(currency)) => amount(Some(money), currency, field).map(Some),
                _ => Ok(None),
            }
        };
        Ok(SourceRecord {
            external_id: card.id.clone(),
            remote_updated_at: card.updated_at,
            provider_location_id: Some(card.location_id.clone()),
            data: RecordData::Timecard(Timecard {
                staff_external_id: card.team_member_id.clone(),
                start_at: card.start_at,
                end_at,
                break_minutes: u32::try_from(break_minutes.max(0)).unwrap_or(u32::MAX),
                hourly_rate: in_currency(rate, "wage.hourly_rate")?,
                currency,
                declared_cash_tips: in_currency(tips, "declared_cash_tip_money")?,
            }),
        })
    };
    map().map_err(in_record("timecard", &card.id))
}

fn minutes_between(start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    (end - start).num_minutes().max(0)
}

/// `Booking` → [`Appointment`]. Statuses: `PENDING` → pending, `ACCEPTED` → booked,
/// `CANCELLED_BY_CUSTOMER` / `CANCELLED_BY_SELLER` / `DECLINED` → cancelled, `NO_SHOW` → no-show.
/// The duration is the segments' durations and the intermissions between them; the staff member
/// is the first segment's; services are named from the catalog (`variations`), or by variation id
/// when the catalog no longer has them.
pub(crate) fn booking(booking: &wire::Booking, variations: &Variations) -> Result<SourceRecord, ConnectorError> {
    let map = || -> Mapped<SourceRecord> {
        let status = match booking.status.as_deref() {
            Some("PENDING") => AppointmentStatus::Pending,
            Some("ACCEPTED") => AppointmentStatus::Booked,
            Some("CANCELLED_BY_CUSTOMER" | "CANCELLED_BY_SELLER" | "DECLINED") => AppointmentStatus::Cancelled,
            Some("NO_SHOW") => AppointmentStatus::NoShow,
            other => return Err(format!("status {other:?} is unknown")),
        };
        let segments = &booking.appointment_segments;
        let minutes = segments
            .iter()
            .map(|segment| {
                segment
                    .duration_minutes
                    .unwrap_or(0)
                    .max(0)
                    .saturating_add(segment.intermission_minutes.unwrap_or(0).max(0))
            })
            .fold(0_i64, i64::saturating_add);
        let services = segments
            .iter()
            .filter_map(|segment| segment.service_variation_id.as_deref())
            .map(|id| variations.get(id).map_or_else(|| id.to_owned(), |variation| variation.display_name.clone()))
            .collect();
        Ok(SourceRecord {
            external_id: booking.id.clone(),
            remote_updated_at: booking.updated_at,
            provider_location_id: booking.location_id.clone(),
            data: RecordData::Appointment(Appointment {
                start_at: booking.start_at,
                duration_minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
                status,
                customer_external_id: booking.customer_id.clone(),
                staff_external_id: segments.iter().find_map(|segment| segment.team_member_id.clone()),
                services,
            }),
        })
    };
    map().map_err(in_record("booking", &booking.id))
}
