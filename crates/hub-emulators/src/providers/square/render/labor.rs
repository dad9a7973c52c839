//! `Timecard`, `Payout` and `Booking` as Square writes them.

use serde::Serialize;

use super::super::catalog::ITEMS;
use super::super::ids::IdKind;
use super::super::model::{Booking, Payout, Timecard};
use super::super::store::MerchantData;
use super::orders::catalog_version;
use super::{Money, local_minute, money, time};

#[derive(Serialize)]
struct WageView<'a> {
    title: &'static str,
    hourly_rate: Money,
    job_id: &'a str,
    tip_eligible: bool,
}

#[derive(Serialize)]
struct BreakView {
    id: String,
    start_at: String,
    end_at: String,
    break_type_id: String,
    name: &'static str,
    expected_duration: &'static str,
    is_paid: bool,
}

#[derive(Serialize)]
pub(crate) struct TimecardView<'a> {
    id: &'a str,
    location_id: &'a str,
    timezone: &'a str,
    start_at: String,
    end_at: String,
    wage: WageView<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    breaks: Vec<BreakView>,
    status: &'static str,
    version: u32,
    created_at: String,
    updated_at: String,
    team_member_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    declared_cash_tip_money: Option<Money>,
}

pub(crate) fn timecard<'a>(data: &'a MerchantData, position: usize, card: &'a Timecard) -> Option<TimecardView<'a>> {
    let location = data.locations.get(usize::from(card.location))?;
    let member = data.team.get(card.team_member as usize)?;
    let zone = location.timezone;
    let breaks = card
        .lunch
        .map(|(start, end)| BreakView {
            id: data.minter.id(IdKind::Break, position as u64),
            start_at: local_minute(start, zone),
            end_at: local_minute(end, zone),
            break_type_id: data.minter.id(IdKind::Break, 1 << 40 | u64::from(card.location)),
            name: "Lunch",
            expected_duration: "PT30M",
            is_paid: false,
        })
        .into_iter()
        .collect();
    Some(TimecardView {
        id: &card.id,
        location_id: &location.id,
        timezone: zone.name(),
        start_at: local_minute(card.start_at, zone),
        end_at: local_minute(card.end_at, zone),
        wage: WageView {
            title: "Barber",
            hourly_rate: money(card.hourly_rate, location.currency),
            job_id: &member.job_id,
            tip_eligible: true,
        },
        breaks,
        status: "CLOSED",
        version: card.version,
        created_at: time(card.created_at),
        updated_at: time(card.updated_at),
        team_member_id: &member.id,
        declared_cash_tip_money: card.declared_cash_tips.map(|amount| money(amount, location.currency)),
    })
}

#[derive(Serialize)]
struct DestinationView<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
}

#[derive(Serialize)]
pub(crate) struct PayoutView<'a> {
    id: &'a str,
    status: &'static str,
    location_id: &'a str,
    created_at: String,
    updated_at: String,
    amount_money: Money,
    destination: DestinationView<'a>,
    version: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    arrival_date: String,
    end_to_end_id: &'a str,
}

pub(crate) fn payout<'a>(data: &'a MerchantData, payout: &'a Payout) -> Option<PayoutView<'a>> {
    let location = data.locations.get(usize::from(payout.location))?;
    Some(PayoutView {
        id: &payout.id,
        status: payout.status.as_str(),
        location_id: &location.id,
        created_at: time(payout.created_at),
        updated_at: time(payout.updated_at),
        amount_money: money(payout.amount, location.currency),
        destination: DestinationView { kind: "BANK_ACCOUNT", id: &location.bank_account_id },
        version: payout.version,
        kind: "BATCH",
        arrival_date: payout.arrival_date.format("%Y-%m-%d").to_string(),
        end_to_end_id: &payout.end_to_end_id,
    })
}

#[derive(Serialize)]
struct SegmentView<'a> {
    duration_minutes: u16,
    service_variation_id: &'a str,
    team_member_id: &'a str,
    service_variation_version: i64,
}

#[derive(Serialize)]
struct CreatorView<'a> {
    creator_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_member_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct BookingView<'a> {
    id: &'a str,
    version: u32,
    status: &'static str,
    created_at: String,
    updated_at: String,
    start_at: String,
    location_id: &'a str,
    customer_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_note: Option<&'static str>,
    appointment_segments: [SegmentView<'a>; 1],
    transition_time_minutes: u16,
    all_day: bool,
    location_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator_details: Option<CreatorView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
}

/// A booking; `seller_level` (the token has `APPOINTMENTS_ALL_READ`) adds the fields Square
/// shows only with seller-level permissions: `creator_details` and `source`.
pub(crate) fn booking<'a>(data: &'a MerchantData, booking: &'a Booking, seller_level: bool) -> Option<BookingView<'a>> {
    let location = data.locations.get(usize::from(booking.location))?;
    let customer = data.customers.get(booking.customer as usize)?;
    let member = data.team.get(booking.team_member as usize)?;
    let creator = if booking.by_customer {
        CreatorView { creator_type: "CUSTOMER", team_member_id: None, customer_id: Some(&customer.id) }
    } else {
        CreatorView { creator_type: "TEAM_MEMBER", team_member_id: Some(&member.id), customer_id: None }
    };
    Some(BookingView {
        id: &booking.id,
        version: booking.version,
        status: booking.status.as_str(),
        created_at: time(booking.created_at),
        updated_at: time(booking.updated_at),
        start_at: time(booking.start_at),
        location_id: &location.id,
        customer_id: &customer.id,
        customer_note: booking.customer_note,
        appointment_segments: [SegmentView {
            duration_minutes: ITEMS.get(usize::from(booking.service)).map_or(30, |item| item.minutes),
            service_variation_id: data.item_ids.get(usize::from(booking.service)).map_or("", String::as_str),
            team_member_id: &member.id,
            service_variation_version: catalog_version(data),
        }],
        transition_time_minutes: 0,
        all_day: false,
        location_type: "BUSINESS_LOCATION",
        creator_details: seller_level.then_some(creator),
        source: seller_level.then_some(if booking.by_customer { "FIRST_PARTY_BUYER" } else { "FIRST_PARTY_MERCHANT" }),
    })
}
