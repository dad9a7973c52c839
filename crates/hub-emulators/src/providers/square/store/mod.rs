//! The Square emulator's data: one dataset per merchant (keyed by the OAuth account), its
//! records, the sorted indexes pages are served from, lookups by id, and a clock that makes
//! every change later than anything before it.

pub(crate) mod index;
mod mutate;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{NaiveDate, Utc};

pub(crate) use mutate::RefundRequest;

use self::index::SortedIndex;
use super::config::{SquareMerchantConfig, ValidConfig};
use super::generate::generate;
use super::ids::IdMinter;
use super::model::{Booking, Customer, Location, Millis, Order, Payment, Payout, Refund, TeamMember, Timecard};
use crate::error::EmulatorError;

/// Sorted indexes of one location.
#[derive(Debug, Clone, Default)]
pub(crate) struct LocationIndexes {
    pub orders_created: SortedIndex<Millis>,
    pub orders_updated: SortedIndex<Millis>,
    pub orders_closed: SortedIndex<Millis>,
    pub payments_created: SortedIndex<Millis>,
    pub payments_updated: SortedIndex<Millis>,
    pub refunds_created: SortedIndex<Millis>,
    pub refunds_updated: SortedIndex<Millis>,
    pub payouts_created: SortedIndex<Millis>,
    pub timecards_start: SortedIndex<Millis>,
    pub timecards_end: SortedIndex<Millis>,
    pub timecards_created: SortedIndex<Millis>,
    pub timecards_updated: SortedIndex<Millis>,
    pub bookings_start: SortedIndex<Millis>,
}

/// The unsorted entries of one location's indexes, while they are collected.
#[derive(Debug, Clone, Default)]
struct LocationBuckets {
    orders_created: Vec<(Millis, u32)>,
    orders_updated: Vec<(Millis, u32)>,
    orders_closed: Vec<(Millis, u32)>,
    payments_created: Vec<(Millis, u32)>,
    payments_updated: Vec<(Millis, u32)>,
    refunds_created: Vec<(Millis, u32)>,
    refunds_updated: Vec<(Millis, u32)>,
    payouts_created: Vec<(Millis, u32)>,
    timecards_start: Vec<(Millis, u32)>,
    timecards_end: Vec<(Millis, u32)>,
    timecards_created: Vec<(Millis, u32)>,
    timecards_updated: Vec<(Millis, u32)>,
    bookings_start: Vec<(Millis, u32)>,
}

fn bucket_of(buckets: &mut [LocationBuckets], location: u16) -> Option<&mut LocationBuckets> {
    buckets.get_mut(usize::from(location))
}

impl LocationBuckets {
    fn sort(self) -> LocationIndexes {
        LocationIndexes {
            orders_created: SortedIndex::from_unsorted(self.orders_created),
            orders_updated: SortedIndex::from_unsorted(self.orders_updated),
            orders_closed: SortedIndex::from_unsorted(self.orders_closed),
            payments_created: SortedIndex::from_unsorted(self.payments_created),
            payments_updated: SortedIndex::from_unsorted(self.payments_updated),
            refunds_created: SortedIndex::from_unsorted(self.refunds_created),
            refunds_updated: SortedIndex::from_unsorted(self.refunds_updated),
            payouts_created: SortedIndex::from_unsorted(self.payouts_created),
            timecards_start: SortedIndex::from_unsorted(self.timecards_start),
            timecards_end: SortedIndex::from_unsorted(self.timecards_end),
            timecards_created: SortedIndex::from_unsorted(self.timecards_created),
            timecards_updated: SortedIndex::from_unsorted(self.timecards_updated),
            bookings_start: SortedIndex::from_unsorted(self.bookings_start),
        }
    }
}

/// Every index of one merchant.
#[derive(Debug, Clone, Default)]
pub(crate) struct Indexes {
    pub locations: Vec<LocationIndexes>,
    pub customers_created: SortedIndex<Millis>,
    /// Square's default customer order: given name, then family name (case-insensitive).
    pub customers_name: SortedIndex<String>,
}

/// The sort key of the default customer order.
pub(crate) fn name_key(customer: &Customer) -> String {
    format!("{}\u{0}{}", customer.given_name.to_lowercase(), customer.family_name.to_lowercase())
}

/// Everything one merchant has.
#[derive(Debug)]
pub(crate) struct MerchantData {
    pub merchant_id: String,
    pub business_name: String,
    /// Hash of the configuration that generated it.
    pub fingerprint: u64,
    pub seed: u64,
    pub minter: IdMinter,
    pub locations: Vec<Location>,
    pub team: Vec<TeamMember>,
    pub customers: Vec<Customer>,
    pub orders: Vec<Order>,
    /// `payments[n]` is the payment of `orders[n]`.
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
    pub payouts: Vec<Payout>,
    pub timecards: Vec<Timecard>,
    pub bookings: Vec<Booking>,
    /// Catalog object ids of the menu items (same order as `catalog::ITEMS`).
    pub item_ids: Vec<String>,
    /// Catalog ids of the discounts, the product tax and the service charges.
    pub discount_ids: Vec<String>,
    pub tax_id: String,
    pub service_charge_ids: Vec<String>,
    pub index: Indexes,
    pub location_by_id: HashMap<String, u16>,
    pub customer_by_id: HashMap<String, u32>,
    pub payment_by_id: HashMap<String, u32>,
    pub team_by_id: HashMap<String, u32>,
    /// The latest timestamp handed out; changes always get a later one.
    pub clock: Millis,
}

impl MerchantData {
    /// Builds indexes and lookups over freshly generated records.
    pub(crate) fn index_all(&mut self) {
        let mut buckets = vec![LocationBuckets::default(); self.locations.len()];
        for (position, (order, payment)) in self.orders.iter().zip(&self.payments).enumerate() {
            let position = position as u32;
            if let Some(bucket) = bucket_of(&mut buckets, order.location) {
                bucket.orders_created.push((order.created_at, position));
                bucket.orders_updated.push((order.updated_at, position));
                bucket.orders_closed.push((order.closed_at, position));
                bucket.payments_created.push((payment.created_at, position));
                bucket.payments_updated.push((payment.updated_at, position));
            }
        }
        for (position, refund) in self.refunds.iter().enumerate() {
            let location = self.orders.get(refund.payment as usize).map_or(0, |order| order.location);
            if let Some(bucket) = bucket_of(&mut buckets, location) {
                bucket.refunds_created.push((refund.created_at, position as u32));
                bucket.refunds_updated.push((refund.updated_at, position as u32));
            }
        }
        for (position, payout) in self.payouts.iter().enumerate() {
            if let Some(bucket) = bucket_of(&mut buckets, payout.location) {
                bucket.payouts_created.push((payout.created_at, position as u32));
            }
        }
        for (position, card) in self.timecards.iter().enumerate() {
            if let Some(bucket) = bucket_of(&mut buckets, card.location) {
                bucket.timecards_start.push((card.start_at, position as u32));
                bucket.timecards_end.push((card.end_at, position as u32));
                bucket.timecards_created.push((card.created_at, position as u32));
                bucket.timecards_updated.push((card.updated_at, position as u32));
            }
        }
        for (position, booking) in self.bookings.iter().enumerate() {
            if let Some(bucket) = bucket_of(&mut buckets, booking.location) {
                bucket.bookings_start.push((booking.start_at, position as u32));
            }
        }
        let live = || self.customers.iter().enumerate().filter(|(_, customer)| !customer.deleted);
        self.index = Indexes {
            locations: buckets.into_iter().map(LocationBuckets::sort).collect(),
            customers_created: SortedIndex::from_unsorted(
                live().map(|(position, customer)| (customer.created_at, position as u32)).collect(),
            ),
            customers_name: SortedIndex::from_unsorted(
                live().map(|(position, customer)| (name_key(customer), position as u32)).collect(),
            ),
        };
        self.location_by_id =
            self.locations.iter().enumerate().map(|(position, l)| (l.id.clone(), position as u16)).collect();
        self.customer_by_id =
            self.customers.iter().enumerate().map(|(position, c)| (c.id.clone(), position as u32)).collect();
        self.payment_by_id =
            self.payments.iter().enumerate().map(|(position, p)| (p.id.clone(), position as u32)).collect();
        self.team_by_id = self.team.iter().enumerate().map(|(position, t)| (t.id.clone(), position as u32)).collect();
    }

    /// A timestamp for a change made now: the wall clock, or just after the latest timestamp
    /// the dataset holds, whichever is later, so a changed record always sorts last.
    pub fn tick(&mut self) -> Millis {
        self.clock = Utc::now().timestamp_millis().max(self.clock + 1);
        self.clock
    }

    /// "Now" for this merchant's defaults (ListPayments' `end_time`, ListBookings'
    /// `start_at_min`, …): the wall clock, or the latest timestamp the merchant's records carry
    /// when that is later (changes made in the same millisecond get timestamps a little ahead
    /// of the wall clock, and a history may end later today), so that "up to now" (an
    /// exclusive end) always includes every record the merchant has.
    pub fn now(&self) -> Millis {
        Utc::now().timestamp_millis().max(self.clock + 1)
    }

    /// The location Square treats as the default ("main") one: the first created.
    pub fn main_location(&self) -> u16 {
        0
    }
}

/// Every merchant's dataset, created on demand.
#[derive(Debug, Default)]
pub(crate) struct SquareStore {
    merchants: RwLock<HashMap<String, Arc<RwLock<MerchantData>>>>,
}

impl SquareStore {
    /// Generates a merchant's dataset from `config`, replacing any it had.
    pub fn configure(&self, config: &SquareMerchantConfig) -> Result<Arc<RwLock<MerchantData>>, EmulatorError> {
        let valid = config.validate()?;
        let data = Arc::new(RwLock::new(generate(&valid)));
        write(&self.merchants).insert(valid.merchant_id.clone(), Arc::clone(&data));
        Ok(data)
    }

    /// The dataset of `merchant_id`, generating its default one on first use.
    pub fn merchant(&self, merchant_id: &str) -> Arc<RwLock<MerchantData>> {
        if let Some(data) = read(&self.merchants).get(merchant_id) {
            return Arc::clone(data);
        }
        let end_date = Utc::now().date_naive().pred_opt().unwrap_or_else(|| Utc::now().date_naive());
        let generated = SquareMerchantConfig::default_for(merchant_id, end_date)
            .validate()
            .map(|valid| generate(&valid))
            .unwrap_or_else(|_| generate(&fallback(merchant_id, end_date)));
        let mut merchants = write(&self.merchants);
        Arc::clone(merchants.entry(merchant_id.to_owned()).or_insert_with(|| Arc::new(RwLock::new(generated))))
    }

    /// Merchants with a dataset, sorted.
    pub fn merchant_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = read(&self.merchants).keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Forgets every dataset.
    pub fn clear(&self) {
        write(&self.merchants).clear();
    }
}

/// The default dataset under a stand-in id, for an OAuth account whose id the configuration
/// rules refuse (the records still say the real merchant id).
fn fallback(merchant_id: &str, end_date: NaiveDate) -> ValidConfig {
    let mut config = SquareMerchantConfig::default_for("MLFALLBACK", end_date);
    config.seed = super::ids::fnv1a(merchant_id.as_bytes());
    let mut valid = config.validate().expect("the built-in default configuration is valid");
    valid.merchant_id = merchant_id.to_owned();
    valid
}

/// Locks for reading, carrying on after a panic elsewhere (as the rest of the emulator does).
pub(crate) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Locks for writing, carrying on after a panic elsewhere.
pub(crate) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
