//! The oracle a sync is checked against: per-merchant record counts, and per location and
//! local day the sums a finance report would show, computed from the records themselves.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone};

use super::store::MerchantData;
use super::types::{SquareCounts, SquareDailyTotals};

pub(crate) fn counts(data: &MerchantData) -> SquareCounts {
    let count = |n: usize| n as u64;
    SquareCounts {
        locations: count(data.locations.len()),
        team_members: count(data.team.len()),
        customers: count(data.customers.iter().filter(|customer| !customer.deleted).count()),
        orders: count(data.orders.len()),
        payments: count(data.payments.len()),
        refunds: count(data.refunds.len()),
        payouts: count(data.payouts.len()),
        timecards: count(data.timecards.len()),
        bookings: count(data.bookings.len()),
    }
}

#[derive(Default)]
struct Sums {
    orders: u64,
    gross: i64,
    discount: i64,
    service_charges: i64,
    tax: i64,
    tip: i64,
    total: i64,
    refunded: i64,
}

/// One row per location and local date of `closed_at` with at least one order, by location
/// (in creation order) then date.
pub(crate) fn daily_totals(data: &MerchantData) -> Vec<SquareDailyTotals> {
    let mut days: BTreeMap<(u16, NaiveDate), Sums> = BTreeMap::new();
    for order in &data.orders {
        let Some(location) = data.locations.get(usize::from(order.location)) else { continue };
        let Some(local) = location.timezone.timestamp_millis_opt(order.closed_at).earliest() else { continue };
        let sums = days.entry((order.location, local.date_naive())).or_default();
        sums.orders += 1;
        sums.gross += order.gross();
        sums.discount += order.discount_total();
        sums.service_charges += order.service_charge_total();
        sums.tax += order.tax_total();
        sums.tip += order.tip;
        sums.total += order.total();
        sums.refunded +=
            order.refunds.iter().filter_map(|&refund| data.refunds.get(refund as usize)).map(|r| r.amount).sum::<i64>();
    }
    days.into_iter()
        .filter_map(|((location, date), sums)| {
            let location = data.locations.get(usize::from(location))?;
            Some(SquareDailyTotals {
                location_id: location.id.clone(),
                date,
                currency: location.currency.code().to_owned(),
                orders: sums.orders,
                gross: sums.gross,
                discount: sums.discount,
                service_charges: sums.service_charges,
                tax: sums.tax,
                tip: sums.tip,
                total_collected: sums.total,
                refunded: sums.refunded,
                net: sums.total - sums.tax - sums.tip - sums.refunded,
            })
        })
        .collect()
}
