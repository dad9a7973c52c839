//! Shifts and payouts: who clocks in at a shop on a day (one timecard per working barber, with
//! a lunch break on long days), and each day's card takings paid out the next day.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeZone, Weekday};

use super::super::ids::IdKind;
use super::super::model::{Location, Millis, Payout, PayoutStatus, Tender, Timecard};
use super::sales::History;
use super::{Context, HOUR, MINUTE, local_instant, weekday};

/// A barber of one shop and the two weekdays (Monday = 0) they have off.
#[derive(Debug, Clone)]
pub(super) struct Barber {
    pub member: u32,
    pub days_off: [usize; 2],
}

/// A barber on shift: who, and from when to when.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shift {
    pub member: u32,
    pub start: Millis,
    pub end: Millis,
}

/// The day's shifts at one shop, recorded as timecards; empty on closed days.
pub(super) fn shifts(
    context: &Context<'_>,
    history: &mut History,
    location: &Location,
    number: u16,
    roster: &[Barber],
    hourly_rates: &[Option<i64>],
    date: NaiveDate,
) -> Vec<Shift> {
    let Some(hours) = location.hours[weekday(date)] else {
        return Vec::new();
    };
    let mut rng = context.rng("shifts").fork("location", u64::from(number)).fork("day", date.num_days_from_ce() as u64);
    let mut working: Vec<&Barber> = roster.iter().filter(|barber| !barber.days_off.contains(&weekday(date))).collect();
    if working.is_empty()
        && let Some(first) = roster.first()
    {
        working.push(first);
    }
    let open = local_instant(location.timezone, date, u32::from(hours.open));
    let close = local_instant(location.timezone, date, u32::from(hours.close));
    let mut shifts = Vec::with_capacity(working.len());
    for barber in working {
        let start = open - rng.between(0, 15) * MINUTE;
        let end = close + rng.between(0, 20) * MINUTE;
        let lunch = (end - start >= 6 * HOUR).then(|| {
            let begins = open + rng.between(3 * 60, 5 * 60) * MINUTE;
            (begins, begins + rng.between(25, 40) * MINUTE)
        });
        let hourly_rate = hourly_rates.get(barber.member as usize).copied().flatten().unwrap_or_default();
        let position = history.timecards.len() as u64;
        history.timecards.push(Timecard {
            id: context.minter.id(IdKind::Timecard, position),
            location: number,
            team_member: barber.member,
            start_at: start,
            end_at: end,
            lunch,
            hourly_rate,
            declared_cash_tips: rng
                .chance_per_mille(400)
                .then(|| location.currency.price(500 + rng.below(6) as i64 * 500)),
            created_at: start + rng.between(0, 50_000),
            updated_at: end + rng.between(0, 50_000),
            // Clock-in creates it; break start, break end and clock-out each update it.
            version: if lunch.is_some() { 4 } else { 2 },
        });
        shifts.push(Shift { member: barber.member, start, end });
    }
    shifts
}

/// The next weekday after `date`.
fn next_business_day(date: NaiveDate) -> NaiveDate {
    let mut next = date.succ_opt().unwrap_or(date);
    while matches!(next.weekday(), Weekday::Sat | Weekday::Sun) {
        next = next.succ_opt().unwrap_or(next);
    }
    next
}

/// One payout per shop and day with card activity: card takings net of processing fees, less
/// card refunds issued that day (plus the fees they gave back). Initiated the next morning and
/// arriving the next business day; a payout is `PAID` once that day has come within the
/// history, `SENT` before. The last day of history has no payout yet.
pub(super) fn payouts(context: &Context<'_>, locations: &[Location], history: &History) -> Vec<Payout> {
    let mut days: BTreeMap<(u16, NaiveDate), i64> = BTreeMap::new();
    let local_date = |location: u16, instant: Millis| {
        let timezone = locations[usize::from(location)].timezone;
        timezone.timestamp_millis_opt(instant).earliest().map(|local| local.date_naive())
    };
    for (order, payment) in history.orders.iter().zip(&history.payments) {
        if matches!(payment.tender, Tender::Card { .. })
            && let Some(date) = local_date(order.location, payment.created_at)
        {
            *days.entry((order.location, date)).or_default() += order.total() - payment.fee;
        }
    }
    for refund in &history.refunds {
        let Some(order) = history.orders.get(refund.payment as usize) else { continue };
        let card =
            history.payments.get(refund.payment as usize).is_some_and(|p| matches!(p.tender, Tender::Card { .. }));
        if card && let Some(date) = local_date(order.location, refund.created_at) {
            *days.entry((order.location, date)).or_default() -= refund.amount - refund.fee_returned;
        }
    }
    let end_date = context.config.end_date;
    let mut rng = context.rng("payouts");
    let mut payouts = Vec::new();
    for ((location, date), amount) in days {
        let Some(initiated) = date.succ_opt().filter(|initiated| *initiated <= end_date) else { continue };
        if amount == 0 {
            continue;
        }
        let timezone = locations[usize::from(location)].timezone;
        let created_at = local_instant(timezone, initiated, 3 * 60) + rng.between(0, 40 * 60_000);
        let arrival_date = next_business_day(initiated);
        let paid = arrival_date <= end_date;
        let position = payouts.len() as u64;
        payouts.push(Payout {
            id: context.minter.id(IdKind::Payout, position),
            location,
            created_at,
            updated_at: if paid {
                local_instant(timezone, arrival_date, 9 * 60) + rng.between(0, 3_600_000)
            } else {
                created_at
            },
            amount,
            status: if paid { PayoutStatus::Paid } else { PayoutStatus::Sent },
            arrival_date,
            version: if paid { 2 } else { 1 },
            end_to_end_id: format!("L2{:09}", 100_000_000 + position),
        });
    }
    payouts
}
