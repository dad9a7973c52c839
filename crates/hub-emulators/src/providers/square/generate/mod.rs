//! Generates a merchant's whole history from its configuration, deterministically: locations,
//! team, customers, then day by day and location by location the shifts, sales, refunds and
//! appointments, upcoming appointments, and the daily payouts. Every random choice comes from
//! a stream named after what it decides, so the same configuration yields the same records.

mod bookings;
mod labor;
mod people;
pub(super) mod sales;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, TimeZone};
use chrono_tz::Tz;

use super::catalog::{DISCOUNTS, ITEMS, SERVICE_CHARGES};
use super::config::ValidConfig;
use super::ids::{IdKind, IdMinter, Rng, fnv1a, mix};
use super::model::Millis;
use super::store::{Indexes, MerchantData};

/// What every generation step needs.
pub(super) struct Context<'a> {
    pub config: &'a ValidConfig,
    pub minter: IdMinter,
    pub root: Rng,
    pub start_date: NaiveDate,
}

impl Context<'_> {
    /// A random stream for one decision.
    pub fn rng(&self, label: &str) -> Rng {
        self.root.fork(label, 0)
    }

    /// Every day of history, oldest first.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start_date.iter_days().take(self.config.days as usize)
    }
}

/// The instant of a local wall-clock time (`minutes` after midnight) on `date`; a time that a
/// daylight-saving jump skips is taken an hour later.
pub(super) fn local_instant(timezone: Tz, date: NaiveDate, minutes: u32) -> Millis {
    let at = |minutes: u32| {
        date.and_hms_opt(minutes / 60 % 24, minutes % 60, 0)
            .and_then(|naive| timezone.from_local_datetime(&naive).earliest())
            .map(|instant| instant.timestamp_millis())
    };
    at(minutes)
        .or_else(|| at(minutes + 60))
        .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).map_or(0, |naive| naive.and_utc().timestamp_millis()))
}

/// Monday = 0.
pub(super) fn weekday(date: NaiveDate) -> usize {
    date.weekday().num_days_from_monday() as usize
}

pub(super) const MINUTE: Millis = 60_000;
pub(super) const HOUR: Millis = 60 * MINUTE;
pub(super) const DAY: Millis = 24 * HOUR;

/// The whole dataset of one merchant.
pub(crate) fn generate(config: &ValidConfig) -> MerchantData {
    let merchant_seed = mix(config.seed ^ fnv1a(config.merchant_id.as_bytes()));
    let context = Context {
        config,
        minter: IdMinter::new(merchant_seed),
        root: Rng::new(config.seed, &[config.merchant_id.as_bytes()]),
        start_date: config
            .end_date
            .checked_sub_days(chrono::Days::new(u64::from(config.days.saturating_sub(1))))
            .unwrap_or(config.end_date),
    };
    let locations = people::locations(&context);
    let team = people::team(&context, &locations);
    let customers = people::customers(&context, &locations);
    let mut history = sales::History::default();
    let hourly_rates: Vec<Option<i64>> = team.members.iter().map(|member| member.hourly_rate).collect();
    for ((number, location), roster) in locations.iter().enumerate().zip(&team.rosters) {
        let number = number as u16;
        for date in context.days() {
            let shifts = labor::shifts(&context, &mut history, location, number, roster, &hourly_rates, date);
            sales::day(&context, &mut history, location, number, &shifts, &customers, date);
        }
        bookings::upcoming(&context, &mut history, location, number, roster, &customers);
    }
    let payouts = labor::payouts(&context, &locations, &history);
    let catalog_id = |number: u64| context.minter.id(IdKind::Catalog, number);
    let mut data = MerchantData {
        merchant_id: config.merchant_id.clone(),
        business_name: config.business_name.clone(),
        fingerprint: config.fingerprint,
        seed: merchant_seed,
        minter: context.minter,
        item_ids: (0..ITEMS.len() as u64).map(catalog_id).collect(),
        discount_ids: (0..DISCOUNTS.len() as u64).map(|n| catalog_id(1_000 + n)).collect(),
        tax_id: catalog_id(2_000),
        service_charge_ids: (0..SERVICE_CHARGES.len() as u64).map(|n| catalog_id(3_000 + n)).collect(),
        locations,
        team: team.members,
        customers,
        orders: history.orders,
        payments: history.payments,
        refunds: history.refunds,
        payouts,
        timecards: history.timecards,
        bookings: history.bookings,
        index: Indexes::default(),
        location_by_id: HashMap::new(),
        customer_by_id: HashMap::new(),
        payment_by_id: HashMap::new(),
        team_by_id: HashMap::new(),
        clock: 0,
    };
    data.clock = latest_timestamp(&data);
    data.index_all();
    data
}

/// The latest timestamp any record carries, so that later changes sort after all of them.
fn latest_timestamp(data: &MerchantData) -> Millis {
    let updates = [
        data.orders.iter().map(|order| order.updated_at).max(),
        data.payments.iter().map(|payment| payment.updated_at).max(),
        data.refunds.iter().map(|refund| refund.updated_at).max(),
        data.payouts.iter().map(|payout| payout.updated_at).max(),
        data.timecards.iter().map(|card| card.updated_at).max(),
        data.bookings.iter().map(|booking| booking.updated_at).max(),
        data.customers.iter().map(|customer| customer.updated_at).max(),
        data.team.iter().map(|member| member.updated_at).max(),
    ];
    updates.into_iter().flatten().max().unwrap_or_default()
}
