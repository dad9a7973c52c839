//! Storage of the KPI rollups: per-record facts, per (location, local day) buckets with week and
//! month buckets above them, each network's first-visit table and its change-feed cursor.
//!
//! The rollup job in `hub-analytics` reads the change feed after the network's cursor, turns each
//! changed sale, appointment and timecard into a [`RollupFact`] (its contribution, already placed
//! on the location's local business day) and hands a batch to [`AnalyticsStore::apply_rollup`].
//! That call, in one transaction: moves the cursor (compare-and-set, so two workers cannot both
//! apply a batch), replaces the facts of every record the batch touched, recomputes the
//! first-visit of every customer whose facts changed, and recomputes — from the facts, never by
//! adding deltas — exactly the day buckets that held or now hold one of those records (plus the
//! days whose new-customer count moved), then the week and month buckets above those days.
//! Replaying a batch therefore writes the same rows again: exact, idempotent and crash-safe.
//!
//! Money is kept as integers of 1/10 000 of the currency unit (exact for every ISO 4217 currency)
//! so both databases sum it exactly; it leaves this module as `Decimal`.
//!
//! Reads ([`AnalyticsStore::rollup_groups`]) cover a date range with the coarsest buckets that
//! fit: whole months (or weeks) from their tables, the edges from day buckets. Every read is
//! filtered by the caller's [`TenantScope`] in SQL.

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{LocationId, NetworkId, RecordId};
use hub_core::records::{Model, StoredRecord};
use rust_decimal::Decimal;

use crate::{StoreError, StoreResult};

/// Money in the rollup tables is stored in units of 1/10 000.
pub const MONEY_SCALE: u32 = 4;

/// The most facts (or touched records) one [`RollupBatch`] may carry.
pub const MAX_ROLLUP_BATCH: usize = 5_000;

/// Summable figures of one record, one bucket or one group of buckets. Every field adds up
/// across days and locations, which is what lets coarse buckets be sums of fine ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupFigures {
    /// Sales in the network currency: line items before discounts, excluding tax and tips.
    pub gross: Decimal,
    /// Sales revenue after discounts and refunds, excluding tax and tips (`Sale::net`).
    pub net: Decimal,
    pub tax: Decimal,
    pub tips: Decimal,
    pub discounts: Decimal,
    /// Completed refunds on the bucket's sales (counted on the sale's day).
    pub refunds: Decimal,
    /// Sales in the network currency.
    pub transactions: i64,
    /// Sales in another currency: counted here, left out of every money figure.
    pub foreign_currency_transactions: i64,
    /// Appointments that were due: booked or no-show (pending and cancelled ones are not).
    pub appointments: i64,
    pub no_shows: i64,
    /// Minutes of booked (not cancelled, not no-show) appointments.
    pub booked_minutes: i64,
    /// Minutes staff clocked (timecards: shift minus breaks; open shifts count 0).
    pub worked_minutes: i64,
    /// Customers whose first visit in the network was in the bucket (facts: always 0).
    pub new_customers: i64,
    /// Distinct visiting customers per location-day that had visited before (facts: always 0).
    pub returning_customers: i64,
}

impl RollupFigures {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &RollupFigures) {
        self.gross += other.gross;
        self.net += other.net;
        self.tax += other.tax;
        self.tips += other.tips;
        self.discounts += other.discounts;
        self.refunds += other.refunds;
        self.transactions += other.transactions;
        self.foreign_currency_transactions += other.foreign_currency_transactions;
        self.appointments += other.appointments;
        self.no_shows += other.no_shows;
        self.booked_minutes += other.booked_minutes;
        self.worked_minutes += other.worked_minutes;
        self.new_customers += other.new_customers;
        self.returning_customers += other.returning_customers;
    }
}

/// One record's contribution to the rollups, placed on its location's local business day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupFact {
    pub record_id: RecordId,
    pub model: Model,
    pub location_id: LocationId,
    /// The business day in the location's time zone.
    pub day: NaiveDate,
    /// The record's business instant (first-visit order).
    pub occurred_at: DateTime<Utc>,
    /// Who visited, when the record is a visit (a sale, or a booked appointment): unique within
    /// the network (`connection:provider customer id`), never personal data.
    pub customer_key: Option<String>,
    pub figures: RollupFigures,
}

/// One step of the rollup job: the changes `(from_seq, to_seq]` of a network's feed folded in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupBatch {
    pub network_id: NetworkId,
    /// The cursor the batch starts from: the write is refused unless the stored cursor is this.
    pub from_seq: i64,
    /// The cursor after the batch.
    pub to_seq: i64,
    /// Every record the changes named (their old facts are replaced).
    pub touched: Vec<RecordId>,
    /// The current facts of the touched records that still count (live and placed).
    pub facts: Vec<RollupFact>,
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupOutcome {
    pub facts: u64,
    /// Day buckets recomputed.
    pub days: u64,
}

/// How rollup rows are grouped in a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RollupGrouping {
    Day,
    /// ISO weeks, keyed by their Monday.
    Week,
    /// Calendar months, keyed by their first day.
    Month,
    Location,
    Franchisee,
    /// Locations without a territory group under the empty key.
    Territory,
    /// One group with everything.
    Total,
}

/// One group of a read: its key (a date `YYYY-MM-DD` or an id) and its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupGroup {
    pub key: String,
    pub figures: RollupFigures,
}

/// A sale's business day with its record, for exports.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedRecord {
    pub day: NaiveDate,
    pub record: StoredRecord,
}

/// Where an export page continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCursor {
    pub day: NaiveDate,
    pub record_id: RecordId,
}

/// Storage for KPI rollups.
#[async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// The last change-feed seq folded into the network's rollups (0: none yet).
    async fn rollup_cursor(&self, network_id: &NetworkId) -> StoreResult<i64>;
    /// Records in scope by id, deleted ones included (the rollup job reads what changed).
    async fn records_by_id(&self, scope: &TenantScope, ids: &[RecordId]) -> StoreResult<Vec<StoredRecord>>;
    /// Applies one batch (see the module docs) in one transaction; refuses with a conflict if the
    /// stored cursor is not `batch.from_seq` (another worker got there first).
    async fn apply_rollup(&self, batch: RollupBatch) -> StoreResult<RollupOutcome>;
    /// Figures in scope for the local days `from..=to`, grouped.
    async fn rollup_groups(
        &self,
        scope: &TenantScope,
        from: NaiveDate,
        to: NaiveDate,
        grouping: RollupGrouping,
    ) -> StoreResult<Vec<RollupGroup>>;
    /// Sales in scope (of one location, if named) on the local days `from..=to`, in (day, id)
    /// order, after `after`, at most `limit` (as folded into the rollups).
    async fn sales_by_day(
        &self,
        scope: &TenantScope,
        from: NaiveDate,
        to: NaiveDate,
        location_id: Option<&LocationId>,
        after: Option<&DayCursor>,
        limit: u32,
    ) -> StoreResult<Vec<DatedRecord>>;
}

/// One group as the database sums it (money in stored units).
#[derive(sqlx::FromRow)]
pub(crate) struct FiguresRow {
    pub group_key: String,
    pub gross: i64,
    pub net: i64,
    pub tax: i64,
    pub tips: i64,
    pub discounts: i64,
    pub refunds: i64,
    pub transactions: i64,
    pub foreign_currency_transactions: i64,
    pub appointments: i64,
    pub no_shows: i64,
    pub booked_minutes: i64,
    pub worked_minutes: i64,
    pub new_customers: i64,
    pub returning_customers: i64,
}

impl FiguresRow {
    pub(crate) fn figures(&self) -> RollupFigures {
        RollupFigures {
            gross: from_units(self.gross),
            net: from_units(self.net),
            tax: from_units(self.tax),
            tips: from_units(self.tips),
            discounts: from_units(self.discounts),
            refunds: from_units(self.refunds),
            transactions: self.transactions,
            foreign_currency_transactions: self.foreign_currency_transactions,
            appointments: self.appointments,
            no_shows: self.no_shows,
            booked_minutes: self.booked_minutes,
            worked_minutes: self.worked_minutes,
            new_customers: self.new_customers,
            returning_customers: self.returning_customers,
        }
    }
}

/// The Monday of `day`'s ISO week.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()))
}

/// The first day of `day`'s month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

/// Money as stored: an integer of 1/10 000 units (rounded half to even beyond that).
pub(crate) fn to_units(amount: Decimal, field: &str) -> StoreResult<i64> {
    let too_large =
        || StoreError::Invalid(hub_core::ValidationError::new("is too large for the rollups").for_field(field));
    let scaled = amount.round_dp(MONEY_SCALE).checked_mul(Decimal::from(10_000)).ok_or_else(too_large)?;
    i64::try_from(scaled.trunc()).map_err(|_| too_large())
}

/// Stored units back to money, with at least two decimal places (`12.50`, `0.125`).
pub(crate) fn from_units(units: i64) -> Decimal {
    let mut amount = Decimal::new(units, MONEY_SCALE).normalize();
    if amount.scale() < 2 {
        amount.rescale(2);
    }
    amount
}

/// An inclusive range of days.
pub(crate) type DayRange = (NaiveDate, NaiveDate);

/// How `from..=to` splits into whole coarse buckets (by `start_of`) and leftover days.
/// Returns (the first and last coarse bucket start fully inside, if any; the leftover day ranges).
pub(crate) fn cover(
    from: NaiveDate,
    to: NaiveDate,
    start_of: fn(NaiveDate) -> NaiveDate,
    next_start: fn(NaiveDate) -> NaiveDate,
) -> (Option<DayRange>, Vec<DayRange>) {
    // The first bucket start at or after `from`.
    let first = if start_of(from) == from { from } else { next_start(start_of(from)) };
    let mut last_end = None;
    let mut start = first;
    while start <= to {
        let next = next_start(start);
        let end = next.pred_opt().expect("dates have predecessors");
        if end > to {
            break;
        }
        last_end = Some((start, end));
        start = next;
    }
    match last_end {
        None => (None, vec![(from, to)]),
        Some((last_start, last_end)) => {
            let mut edges = Vec::new();
            if from < first {
                edges.push((from, first.pred_opt().expect("dates have predecessors")));
            }
            if last_end < to {
                edges.push((last_end.succ_opt().expect("dates have successors"), to));
            }
            (Some((first, last_start)), edges)
        }
    }
}

pub(crate) fn next_week(start: NaiveDate) -> NaiveDate {
    start + chrono::Days::new(7)
}

pub(crate) fn next_month(start: NaiveDate) -> NaiveDate {
    start.checked_add_months(chrono::Months::new(1)).expect("dates within chrono's range")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn a_range_is_covered_by_whole_months_and_edge_days() {
        let (months, edges) = cover(date("2026-01-15"), date("2026-04-03"), month_start, next_month);
        assert_eq!(months, Some((date("2026-02-01"), date("2026-03-01"))));
        assert_eq!(edges, vec![(date("2026-01-15"), date("2026-01-31")), (date("2026-04-01"), date("2026-04-03"))]);
        let (months, edges) = cover(date("2026-02-01"), date("2026-02-28"), month_start, next_month);
        assert_eq!(months, Some((date("2026-02-01"), date("2026-02-01"))));
        assert!(edges.is_empty());
        let (months, edges) = cover(date("2026-02-03"), date("2026-02-20"), month_start, next_month);
        assert_eq!(months, None);
        assert_eq!(edges, vec![(date("2026-02-03"), date("2026-02-20"))]);
        let (weeks, edges) = cover(date("2026-11-25"), date("2026-12-09"), week_start, next_week);
        assert_eq!(weeks, Some((date("2026-11-30"), date("2026-11-30"))));
        assert_eq!(edges, vec![(date("2026-11-25"), date("2026-11-29")), (date("2026-12-07"), date("2026-12-09"))]);
    }

    #[test]
    fn money_units_are_exact() {
        assert_eq!(to_units(Decimal::new(1250, 2), "m").ok(), Some(125_000));
        assert_eq!(from_units(125_000).to_string(), "12.50");
        assert_eq!(from_units(1_250).to_string(), "0.125");
        assert_eq!(from_units(-30_000).to_string(), "-3.00");
    }
}
