//! KPIs per day, week, month, location, franchisee and territory, read from rollups, with each
//! location's percentile rank in the network.
//!
//! # API
//!
//! ```text
//! Analytics::new(store: Arc<dyn Store>) -> Analytics
//! Analytics::kpis(&self, scope: &TenantScope, query: &KpiQuery) -> Result<KpiReport, AnalyticsError>
//! Analytics::roll_up(&self, network_id) -> Result<RollupProgress, AnalyticsError>   // the job's work
//! Analytics::register_jobs(&self, &mut JobRegistry) / Analytics::schedules()
//! Analytics::export_sales(&self, scope, &SalesExport, &mut TableWriter<W>, progress)  // export.rs
//! export::kpi_table(&KpiReport) -> Table;  Table::write(format, out)                 // export.rs
//!
//! KpiQuery  { from: NaiveDate, to: NaiveDate (inclusive, local dates), group_by: GroupBy }
//! GroupBy   Day | Week | Month | Location | Franchisee | Territory      (wire: snake_case)
//! KpiReport { currency, from, to, group_by, rows: Vec<KpiRow>, totals: Kpis, benchmarks: Option<Benchmarks>,
//!             royalty_due: Option<RoyaltyDue>, rollup_seq }
//! KpiRow    { key: String, label: Option<String>, kpis: Kpis, percentiles: Option<KpiPercentiles>,
//!             royalty_due: Option<RoyaltyDue> /* franchisee rows */ }
//! RoyaltyDue { billed, outstanding, drafted: Decimal, statements: u64 }   // network currency
//! Kpis      { gross_sales, net_sales, tips, tax, discounts, refunds: Decimal, transactions: u64,
//!             average_ticket: Decimal, appointments: u64, no_show_rate: Option<f64>,
//!             staff_utilisation: Option<f64>, new_customers: u64, returning_customers: u64,
//!             foreign_currency_transactions: u64 }
//! ```
//!
//! Row keys: a day is `YYYY-MM-DD`; a week is its Monday (`YYYY-MM-DD`, ISO weeks); a month is
//! `YYYY-MM`; a location, franchisee or territory is its id (`""`: locations with no territory).
//! Labels are location, franchisee and territory names. Rows hold only groups with activity.
//!
//! # Definitions
//!
//! Every figure is counted on the location's local business day (its IANA time zone):
//! - sales figures come from unified sales in the network currency (`Sale::gross`, `net`, `tip`,
//!   `tax`, `discount`, `refunded`); a refund lowers the net of its sale's day, wherever it is
//!   made; sales in another currency are only counted in `foreign_currency_transactions`;
//! - `transactions` counts sales; `average_ticket` = net sales ÷ transactions (to the cent; 0
//!   without sales);
//! - `appointments` counts appointments that were due (booked or no-show; pending and cancelled
//!   ones are not); `no_show_rate` = no-shows ÷ appointments;
//! - `staff_utilisation` = minutes of booked appointments ÷ minutes staff clocked on timecards
//!   (shift minus breaks; an open shift counts 0; a shift counts on the day it starts) at the
//!   location that day; `None` without clocked time. It can exceed 1 when bookings are not
//!   clocked;
//! - a visit is a sale or a booked appointment naming a customer; a customer is *new* on the
//!   location-day of their first visit anywhere in the network and *returning* on any later
//!   location-day they visit (`returning_customers` counts distinct customers per location-day,
//!   so summed over a month it counts returning visits-days).
//!
//! Royalty due is not here yet: it comes from royalty statements (`royalties`).
//!
//! `rollup_seq` says how far into the change feed the rollups were when the report was read; the
//! `analytics.rollup` job (every minute, `kpis/rollup.rs`) keeps them within about a minute.
//!
//! # Benchmarks and scope
//!
//! With `group_by=location`, every location row carries its percentile rank in the network for
//! each KPI (mid-rank: the share of the network's active locations below it plus half of those
//! equal, 0–100), and the report carries the network's distribution (p10, p25, p50, p75, p90,
//! nearest rank) over every location with activity in the range. A franchisee or location scope
//! sees rows of its own shops only; the distribution names no shop, and is withheld when fewer
//! than [`MIN_BENCHMARK_LOCATIONS`] locations are active (so it could not reveal one shop).
//!
//! # Limits
//!
//! `from <= to`; a range spans at most [`MAX_DAYS_BY_DAY`] days by day, [`MAX_DAYS_BY_WEEK`] by
//! week and [`MAX_DAYS`] otherwise.

mod figures;
mod rollup;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use hub_core::access::TenantScope;
use hub_core::page::PageRequest;
use hub_core::royalties::{RoyaltyStatement, StatementStatus};
use hub_core::tenancy::Currency;
use hub_store::{RollupFigures, RollupGrouping, StatementFilter, Store};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AnalyticsError;

pub use figures::{Benchmarks, CountDistribution, KpiPercentiles, MoneyDistribution, RatioDistribution};
pub use rollup::{ROLLUP_JOB, RollupProgress};

/// The longest range grouped by day.
pub const MAX_DAYS_BY_DAY: i64 = 92;
/// The longest range grouped by week.
pub const MAX_DAYS_BY_WEEK: i64 = 371;
/// The longest range for the other groupings (three years).
pub const MAX_DAYS: i64 = 1_096;
/// Fewer active locations than this and a narrower-than-network scope gets no distribution.
pub const MIN_BENCHMARK_LOCATIONS: usize = 5;

/// How KPI rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Week,
    Month,
    Location,
    Franchisee,
    Territory,
}

impl GroupBy {
    pub const ALL: [GroupBy; 6] =
        [Self::Day, Self::Week, Self::Month, Self::Location, Self::Franchisee, Self::Territory];

    /// The wire name (`day`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Location => "location",
            Self::Franchisee => "franchisee",
            Self::Territory => "territory",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|group| group.as_str() == text)
    }

    fn grouping(self) -> RollupGrouping {
        match self {
            Self::Day => RollupGrouping::Day,
            Self::Week => RollupGrouping::Week,
            Self::Month => RollupGrouping::Month,
            Self::Location => RollupGrouping::Location,
            Self::Franchisee => RollupGrouping::Franchisee,
            Self::Territory => RollupGrouping::Territory,
        }
    }

    /// The longest range (in days) this grouping accepts.
    pub fn max_days(self) -> i64 {
        match self {
            Self::Day => MAX_DAYS_BY_DAY,
            Self::Week => MAX_DAYS_BY_WEEK,
            _ => MAX_DAYS,
        }
    }
}

/// What to compute: local dates `from..=to`, grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiQuery {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub group_by: GroupBy,
}

impl KpiQuery {
    /// Refuses a reversed or too long range (errors name `from` or `to`).
    pub fn validate(&self) -> Result<(), AnalyticsError> {
        if self.from > self.to {
            return Err(AnalyticsError::invalid("from", format!("{} is after to ({})", self.from, self.to)));
        }
        let days = (self.to - self.from).num_days() + 1;
        let max = self.group_by.max_days();
        if days > max {
            return Err(AnalyticsError::invalid(
                "to",
                format!("the range spans {days} days; group_by={} allows at most {max}", self.group_by.as_str()),
            ));
        }
        Ok(())
    }
}

/// The KPIs of one group (or of everything in the report).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Kpis {
    #[schema(value_type = String, example = "1234.50")]
    pub gross_sales: Decimal,
    #[schema(value_type = String)]
    pub net_sales: Decimal,
    #[schema(value_type = String)]
    pub tips: Decimal,
    #[schema(value_type = String)]
    pub tax: Decimal,
    #[schema(value_type = String)]
    pub discounts: Decimal,
    #[schema(value_type = String)]
    pub refunds: Decimal,
    pub transactions: u64,
    /// Net sales per transaction, to the cent.
    #[schema(value_type = String)]
    pub average_ticket: Decimal,
    pub appointments: u64,
    /// No-shows ÷ appointments (0–1); `null` without appointments.
    pub no_show_rate: Option<f64>,
    /// Booked appointment minutes ÷ clocked staff minutes; `null` without clocked time.
    pub staff_utilisation: Option<f64>,
    pub new_customers: u64,
    pub returning_customers: u64,
    /// Sales in another currency than the network's, left out of the money figures.
    pub foreign_currency_transactions: u64,
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KpiRow {
    /// A date (`YYYY-MM-DD`; a week's Monday), a month (`YYYY-MM`) or an id.
    pub key: String,
    /// The location's, franchisee's or territory's name.
    pub label: Option<String>,
    pub kpis: Kpis,
    /// For location rows: the location's percentile rank in the network per KPI.
    pub percentiles: Option<KpiPercentiles>,
    /// For franchisee rows: the franchisee's royalties for the periods in the range.
    pub royalty_due: Option<RoyaltyDue>,
}

/// Royalties on the statements whose periods start within a report's range, consolidated to the
/// network currency at each statement's stored rate. Statements are per franchisee, so this is
/// reported for the whole scope and per franchisee row, not per location or date row; a
/// location's scope has no statements of its own and gets none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct RoyaltyDue {
    /// What issued and paid statements charge for those periods.
    #[schema(value_type = String, example = "1824.50")]
    pub billed: Decimal,
    /// What issued statements still owe: the invoice balance read back from accounting when
    /// there is one, else the statement's total.
    #[schema(value_type = String)]
    pub outstanding: Decimal,
    /// What draft statements (computed, not issued) come to.
    #[schema(value_type = String)]
    pub drafted: Decimal,
    /// Statements counted (any status).
    pub statements: u64,
}

impl RoyaltyDue {
    /// Counts one statement in.
    pub fn add(&mut self, statement: &RoyaltyStatement) {
        let total = statement.consolidated.total;
        let to_network = |amount: Decimal| match &statement.consolidated.rate {
            Some(rate) => (amount * rate.rate).round_dp(2),
            None => amount,
        };
        self.statements += 1;
        match statement.status {
            StatementStatus::Draft => self.drafted += total,
            StatementStatus::Issued => {
                self.billed += total;
                self.outstanding += statement.invoice_balance.map_or(total, to_network);
            }
            StatementStatus::Paid => self.billed += total,
        }
    }
}

/// KPIs for a range, grouped, with totals and (by location) network benchmarks.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KpiReport {
    /// The network currency every money figure is in.
    #[schema(value_type = String, example = "USD")]
    pub currency: Currency,
    #[schema(value_type = String, example = "2026-11-01")]
    pub from: NaiveDate,
    #[schema(value_type = String, example = "2026-11-30")]
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub rows: Vec<KpiRow>,
    /// Everything in the caller's scope over the range.
    pub totals: Kpis,
    /// With `group_by=location`: the network's distribution per KPI (no shop named).
    pub benchmarks: Option<Benchmarks>,
    /// Royalties for the periods starting in the range (network and franchisee scopes).
    pub royalty_due: Option<RoyaltyDue>,
    /// The change-feed position the rollups had folded in when read (freshness).
    pub rollup_seq: i64,
}

/// Network analytics over the store: KPI reports and the rollup job that feeds them.
#[derive(Clone)]
pub struct Analytics {
    store: Arc<dyn Store>,
}

impl Analytics {
    /// Analytics over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The store it reads.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The KPI report for `query` within `scope` (see the module docs).
    pub async fn kpis(&self, scope: &TenantScope, query: &KpiQuery) -> Result<KpiReport, AnalyticsError> {
        query.validate()?;
        let network = self.store.get_network(&scope.network_id).await?;
        let rollup_seq = self.store.rollup_cursor(&scope.network_id).await?;
        let groups = self.store.rollup_groups(scope, query.from, query.to, query.group_by.grouping()).await?;
        let mut totals = RollupFigures::default();
        for group in &groups {
            totals.add(&group.figures);
        }
        let labels = self.labels(scope, query.group_by).await?;
        let mut rows: Vec<KpiRow> = groups
            .iter()
            .map(|group| KpiRow {
                key: row_key(query.group_by, &group.key),
                label: labels.get(&group.key).cloned(),
                kpis: Kpis::from_figures(&group.figures),
                percentiles: None,
                royalty_due: None,
            })
            .collect();
        let royalty_due = match scope.location_id {
            Some(_) => None,
            None => {
                let by_franchisee = self.royalties(scope, query).await?;
                if query.group_by == GroupBy::Franchisee {
                    for row in &mut rows {
                        row.royalty_due = Some(by_franchisee.get(&row.key).cloned().unwrap_or_default());
                    }
                }
                let mut total = RoyaltyDue::default();
                for due in by_franchisee.values() {
                    total.billed += due.billed;
                    total.outstanding += due.outstanding;
                    total.drafted += due.drafted;
                    total.statements += due.statements;
                }
                Some(total)
            }
        };
        let mut benchmarks = None;
        if query.group_by == GroupBy::Location {
            let network_groups = if scope.franchisee_id.is_none() {
                groups
            } else {
                let network_scope = TenantScope::network(scope.network_id.clone());
                self.store.rollup_groups(&network_scope, query.from, query.to, RollupGrouping::Location).await?
            };
            let network_kpis: Vec<Kpis> = network_groups.iter().map(|g| Kpis::from_figures(&g.figures)).collect();
            let distribution = figures::Distribution::of(&network_kpis);
            for row in &mut rows {
                row.percentiles = Some(distribution.ranks(&row.kpis));
            }
            if scope.franchisee_id.is_none() || network_kpis.len() >= MIN_BENCHMARK_LOCATIONS {
                benchmarks = Some(distribution.benchmarks());
            }
        }
        Ok(KpiReport {
            currency: network.currency,
            from: query.from,
            to: query.to,
            group_by: query.group_by,
            rows,
            totals: Kpis::from_figures(&totals),
            benchmarks,
            royalty_due,
            rollup_seq,
        })
    }

    /// Royalties per franchisee (by id) on the statements of periods starting in the range.
    async fn royalties(
        &self,
        scope: &TenantScope,
        query: &KpiQuery,
    ) -> Result<HashMap<String, RoyaltyDue>, AnalyticsError> {
        let filter = StatementFilter { period_from: Some(query.from), period_to: Some(query.to), ..Default::default() };
        let mut due: HashMap<String, RoyaltyDue> = HashMap::new();
        for statement in self.store.all_statements(scope, &filter).await? {
            due.entry(statement.franchisee_id.to_string()).or_default().add(&statement);
        }
        Ok(due)
    }

    /// Names of the groups a report shows, by key.
    async fn labels(&self, scope: &TenantScope, group_by: GroupBy) -> Result<HashMap<String, String>, AnalyticsError> {
        let mut labels = HashMap::new();
        let mut page = PageRequest { limit: hub_core::page::MAX_LIMIT, after: None };
        loop {
            let next = match group_by {
                GroupBy::Location => {
                    let found = self.store.list_locations(scope, &page).await?;
                    labels.extend(found.items.into_iter().map(|l| (l.id.to_string(), l.name.as_str().to_owned())));
                    found.next_cursor
                }
                GroupBy::Franchisee => {
                    let found = self.store.list_franchisees(scope, &page).await?;
                    labels.extend(found.items.into_iter().map(|f| (f.id.to_string(), f.name.as_str().to_owned())));
                    found.next_cursor
                }
                GroupBy::Territory => {
                    let found = self.store.list_territories(scope, &page).await?;
                    labels.extend(found.items.into_iter().map(|t| (t.id.to_string(), t.name.as_str().to_owned())));
                    labels.insert(String::new(), "No territory".to_owned());
                    found.next_cursor
                }
                GroupBy::Day | GroupBy::Week | GroupBy::Month => None,
            };
            match next {
                Some(cursor) => {
                    page.after = Some(hub_core::page::decode_cursor(&cursor).map_err(|error| {
                        AnalyticsError::Store(hub_store::StoreError::Corrupt(format!("page cursor: {}", error.reason)))
                    })?)
                }
                None => return Ok(labels),
            }
        }
    }
}

/// A group key as a report shows it (months as `YYYY-MM`).
fn row_key(group_by: GroupBy, key: &str) -> String {
    match group_by {
        GroupBy::Month => key.get(..7).unwrap_or(key).to_owned(),
        _ => key.to_owned(),
    }
}
