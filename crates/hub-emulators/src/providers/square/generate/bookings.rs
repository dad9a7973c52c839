//! Appointments: the bookings behind many sales (`ACCEPTED`), the ones that did not turn into a
//! sale (`NO_SHOW`, `CANCELLED_BY_CUSTOMER`, `CANCELLED_BY_SELLER`), and two weeks of upcoming
//! ones after the last day of history.

use super::super::catalog::BOOKING_NOTES;
use super::super::ids::{IdKind, Rng};
use super::super::model::{Booking, BookingStatus, Customer, Location, Millis};
use super::labor::{Barber, Shift};
use super::sales::History;
use super::{Context, DAY, HOUR, MINUTE, local_instant, weekday};

/// Days of upcoming appointments after the history.
const UPCOMING_DAYS: u64 = 14;
const SLOT: Millis = 15 * MINUTE;

/// A visit that was booked: who, with whom, what, and when it was due to start.
pub(super) struct Visit {
    pub customer: u32,
    pub team_member: u32,
    pub service: u16,
    pub start: Millis,
}

fn push(context: &Context<'_>, history: &mut History, mut booking: Booking) {
    booking.id = context.minter.id(IdKind::Booking, history.bookings.len() as u64);
    history.bookings.push(booking);
}

/// When a booking for `start` was made: hours to two weeks before, not before the customer
/// existed and never after `latest`.
fn booked_at(rng: &mut Rng, customer: &Customer, start: Millis, latest: Millis) -> Millis {
    let made = start - rng.between(2 * HOUR, 14 * DAY);
    made.max(customer.created_at + MINUTE).min(latest)
}

fn booking(location: u16, visit: &Visit, created_at: Millis, rng: &mut Rng) -> Booking {
    let by_customer = rng.chance_per_mille(650);
    Booking {
        id: String::new(),
        location,
        customer: visit.customer,
        team_member: visit.team_member,
        service: visit.service,
        start_at: visit.start,
        created_at,
        updated_at: created_at,
        status: BookingStatus::Accepted,
        version: 1,
        by_customer,
        customer_note: (by_customer && rng.chance_per_mille(200))
            .then(|| BOOKING_NOTES[rng.below(BOOKING_NOTES.len() as u64) as usize]),
    }
}

/// The accepted booking a sale came from.
pub(super) fn kept(
    context: &Context<'_>,
    history: &mut History,
    location: u16,
    customers: &[Customer],
    mut visit: Visit,
    rng: &mut Rng,
) {
    visit.start -= visit.start.rem_euclid(SLOT);
    let Some(customer) = customers.get(visit.customer as usize) else { return };
    let created_at = booked_at(rng, customer, visit.start, visit.start - MINUTE);
    let booking = booking(location, &visit, created_at, rng);
    push(context, history, booking);
}

/// A booking during `hours` of this day that did not turn into a sale.
pub(super) fn missed(
    context: &Context<'_>,
    history: &mut History,
    number: u16,
    shifts: &[Shift],
    customers: &[Customer],
    (open, close): (Millis, Millis),
    rng: &mut Rng,
) {
    let start = open + rng.below(((close - open - HOUR).max(SLOT) / SLOT) as u64) as i64 * SLOT;
    let known = customers.partition_point(|customer| customer.created_at <= start - DAY);
    let (Some(shift), true) = (rng.pick(shifts), known > 0) else { return };
    let customer_position = rng.below(known as u64) as u32;
    let Some(customer) = customers.get(customer_position as usize) else { return };
    let visit = Visit {
        customer: customer_position,
        team_member: shift.member,
        service: history.menu.service(rng) as u16,
        start,
    };
    let created_at = booked_at(rng, customer, start, start - HOUR);
    let mut booking = booking(number, &visit, created_at, rng);
    booking.version = 2;
    match rng.weighted(&[40, 50, 10]) {
        0 => {
            booking.status = BookingStatus::NoShow;
            booking.updated_at = start + rng.between(15 * MINUTE, 2 * HOUR);
        }
        choice => {
            booking.status =
                if choice == 1 { BookingStatus::CancelledByCustomer } else { BookingStatus::CancelledBySeller };
            booking.updated_at = rng.between(created_at + MINUTE, (start - 10 * MINUTE).max(created_at + MINUTE));
        }
    }
    push(context, history, booking);
}

/// Two weeks of appointments after the history, fewer the further out; a few still pending and
/// a few already cancelled. All were made on or before the last day of history.
pub(super) fn upcoming(
    context: &Context<'_>,
    history: &mut History,
    location: &Location,
    number: u16,
    roster: &[Barber],
    customers: &[Customer],
) {
    let end_date = context.config.end_date;
    let history_end = local_instant(location.timezone, end_date + chrono::Days::new(1), 0) - 1;
    let (low, high) = context.config.orders_per_day;
    let mut rng = context.rng("upcoming").fork("location", u64::from(number));
    for ahead in 1..=UPCOMING_DAYS {
        let date = end_date + chrono::Days::new(ahead);
        let Some(hours) = location.hours[weekday(date)] else { continue };
        let working: Vec<&Barber> = roster.iter().filter(|barber| !barber.days_off.contains(&weekday(date))).collect();
        let working = if working.is_empty() { roster.iter().take(1).collect() } else { working };
        // 45 % of a day's usual sales are booked the day before, a sixth of that two weeks out.
        let usual = i64::from(low + high) / 2;
        let count = usual * 45 * (UPCOMING_DAYS as i64 + 2 - ahead as i64) / (100 * (UPCOMING_DAYS as i64 + 1));
        let open = local_instant(location.timezone, date, u32::from(hours.open));
        let close = local_instant(location.timezone, date, u32::from(hours.close));
        for _ in 0..count {
            let Some(barber) = rng.pick(&working) else { break };
            let start = open + rng.below(((close - open - HOUR).max(SLOT) / SLOT) as u64) as i64 * SLOT;
            let made = history_end - rng.between(0, 20 * DAY);
            let known = customers.partition_point(|customer| customer.created_at <= made);
            if known == 0 {
                continue;
            }
            let customer_position = rng.below(known as u64) as u32;
            let Some(customer) = customers.get(customer_position as usize) else { continue };
            let service = history.menu.service(&mut rng) as u16;
            let visit = Visit { customer: customer_position, team_member: barber.member, service, start };
            let created_at = booked_at(&mut rng, customer, start, made);
            let mut booking = booking(number, &visit, created_at, &mut rng);
            match rng.weighted(&[900, 50, 50]) {
                0 => {}
                1 => booking.status = BookingStatus::Pending,
                _ => {
                    booking.status = BookingStatus::CancelledByCustomer;
                    booking.updated_at = rng.between(created_at + MINUTE, history_end.max(created_at + MINUTE));
                    booking.version = 2;
                }
            }
            push(context, history, booking);
        }
    }
}
