//! Computing a statement: the period's own lines from its sales, then adjustment lines for every
//! earlier issued period whose sales changed since it was billed.
//!
//! How late changes are found: a statement records the change-feed head it read its sales at
//! (`source_seq`, read *before* the sales, so a change committed after that read always has a
//! higher sequence number). Periods close in order, so the latest issued statement's `source_seq`
//! is where the unreconciled changes start: every sale of the franchisee created, changed or
//! deleted after it, whose local date falls in an issued period, makes that period recomputed —
//! with the agreement snapshot and exchange rates the issued statement stored — and the
//! difference, per line kind, between the recomputed lines and everything already billed for the
//! period (its own lines plus earlier adjustments) becomes adjustment lines. The trace of an
//! adjustment is each sale's change in base against what was traced before. Recomputing a draft
//! repeats all of this from the same inputs, so it gives the same statement.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use hub_core::access::TenantScope;
use hub_core::id::{FranchiseeId, LocationId, RecordId};
use hub_core::page::PageRequest;
use hub_core::royalties::{Consolidated, LineKind, RoyaltyStatement, StatementLine, TracedSale};
use hub_core::tenancy::{Currency, Location};
use hub_store::{ChangeContext, StatementDraft, Store, StoreError};
use rust_decimal::Decimal;

use super::error::RoyaltyError;
use super::period::{CountedSale, local_date, period_sales};
use super::pricing::{PricedLine, price_period};
use super::rates::RateBook;

/// The order adjustment lines of one period come in.
const KINDS: [LineKind; 4] = [LineKind::Royalty, LineKind::MinimumTopUp, LineKind::AdFund, LineKind::TechnologyFee];

/// Lines of one period before numbering.
struct PeriodLines {
    lines: Vec<(NaiveDate, bool, PricedLine, u64)>,
    trace: Vec<TracedSale>,
}

fn traced(period_start: NaiveDate, sale: &CountedSale) -> TracedSale {
    TracedSale {
        period_start,
        record_id: sale.record_id.clone(),
        location_id: sale.location_id.clone(),
        local_date: sale.local_date,
        currency: sale.currency,
        base: sale.base,
    }
}

fn sums_by_currency(sales: &[CountedSale]) -> BTreeMap<Currency, Decimal> {
    let mut sums = BTreeMap::new();
    for sale in sales {
        *sums.entry(sale.currency).or_insert(Decimal::ZERO) += sale.base;
    }
    sums
}

fn unknown_franchisee(error: StoreError) -> RoyaltyError {
    match error {
        StoreError::NotFound { .. } => StoreError::unknown_reference("franchisee_id", "franchisee").into(),
        other => other.into(),
    }
}

/// Every location of a franchisee in scope.
pub(crate) async fn locations_of(
    store: &dyn Store,
    scope: &TenantScope,
    franchisee_id: &FranchiseeId,
) -> Result<Vec<Location>, RoyaltyError> {
    let owner = TenantScope::franchisee(scope.network_id.clone(), franchisee_id.clone());
    let mut page = PageRequest { limit: 500, after: None };
    let mut locations = Vec::new();
    loop {
        let listed = store.list_locations(&owner, &page).await?;
        page.after = listed.items.last().map(|location| location.id.to_string());
        locations.extend(listed.items);
        if listed.next_cursor.is_none() {
            return Ok(locations);
        }
    }
}

/// Computes (or recomputes) the draft of `franchisee_id` for the period starting `period_start`.
pub async fn compute(
    store: &dyn Store,
    scope: &TenantScope,
    ctx: &ChangeContext,
    franchisee_id: &FranchiseeId,
    period_start: NaiveDate,
) -> Result<RoyaltyStatement, RoyaltyError> {
    store.get_franchisee(scope, franchisee_id).await.map_err(unknown_franchisee)?;
    let agreement = store
        .agreement_on(scope, franchisee_id, period_start)
        .await?
        .ok_or_else(|| RoyaltyError::NoAgreement { franchisee: franchisee_id.to_string(), on: period_start })?;
    let terms = agreement.terms.clone();
    terms.period.check_start(period_start)?;
    let period_end = terms.period.period_end(period_start);
    let issued = store.issued_statements(scope, franchisee_id).await?;
    if let Some(same) = issued.iter().find(|statement| statement.period_start == period_start) {
        return Err(RoyaltyError::Conflict(format!(
            "statement {} for {period_start} is {}; issued statements never change (later sales become \
             adjustments on the next statement)",
            same.id,
            same.status.as_str()
        )));
    }
    if let Some(later) = issued.iter().find(|statement| statement.period_start > period_start) {
        return Err(RoyaltyError::Conflict(format!(
            "periods close in order: the statement for {} ({}) is already issued",
            later.period_start, later.id
        )));
    }
    let network = store.get_network(&scope.network_id).await?;
    let locations = locations_of(store, scope, franchisee_id).await?;
    // The head first: whatever commits after this read has a higher sequence number.
    let source_seq = store.change_head(&scope.network_id).await?;
    let sales = period_sales(store, scope, &locations, period_start, period_end, &terms.sales_base).await?;
    let mut rates = RateBook::new(store, &network.id, period_end);
    let sales_base = rates.total_in(&sums_by_currency(&sales), terms.currency).await?;
    let location_count = u32::try_from(locations.len()).unwrap_or(u32::MAX);
    let own = price_period(&terms, sales_base, location_count);
    let mut all = PeriodLines {
        lines: own
            .into_iter()
            .map(|line| {
                let count = if line.kind == LineKind::TechnologyFee { 0 } else { sales.len() as u64 };
                (period_start, false, line, count)
            })
            .collect(),
        trace: sales.iter().map(|sale| traced(period_start, sale)).collect(),
    };
    if let Some(last) = issued.last() {
        let zones: HashMap<LocationId, chrono_tz::Tz> =
            locations.iter().map(|location| (location.id.clone(), location.time_zone.tz())).collect();
        for earlier in affected_periods(store, scope, franchisee_id, &issued, last.source_seq, zones).await? {
            if earlier.currency != terms.currency {
                return Err(RoyaltyError::Conflict(format!(
                    "sales of {} changed after it was issued in {}, but the agreement now bills in {}; \
                     adjustments across currencies are not supported",
                    earlier.period_start, earlier.currency, terms.currency
                )));
            }
            let adjustment = reconcile(store, scope, franchisee_id, &issued, earlier).await?;
            all.lines.extend(adjustment.lines);
            all.trace.extend(adjustment.trace);
        }
    }
    let lines: Vec<StatementLine> = all
        .lines
        .into_iter()
        .enumerate()
        .map(|(index, (line_period, adjustment, line, sale_count))| StatementLine {
            line_id: u32::try_from(index + 1).unwrap_or(u32::MAX),
            kind: line.kind,
            period_start: line_period,
            adjustment,
            description: line.description,
            base: line.base,
            rate: line.rate,
            quantity: line.quantity,
            amount: line.amount,
            sale_count,
        })
        .collect();
    let mut total: Decimal = lines.iter().map(|line| line.amount).sum();
    total.rescale(hub_core::money::minor_unit_exponent(terms.currency));
    let consolidation_rate = rates.rate_for(terms.currency, network.currency).await?;
    let consolidated = Consolidated {
        currency: network.currency,
        total: rates.convert(total, terms.currency, network.currency).await?,
        rate: consolidation_rate,
    };
    let draft = StatementDraft {
        franchisee_id: franchisee_id.clone(),
        period_start,
        period_end,
        currency: terms.currency,
        lines,
        total,
        sales_base,
        consolidated,
        exchange_rates: rates.used(),
        agreement,
        locations: locations.into_iter().map(|location| location.id).collect(),
        source_seq,
        trace: all.trace,
    };
    Ok(store.save_statement_draft(scope, ctx, draft).await?)
}

/// The issued statements whose period holds a sale changed after `after_seq`, by period.
async fn affected_periods<'a>(
    store: &dyn Store,
    scope: &TenantScope,
    franchisee_id: &FranchiseeId,
    issued: &'a [RoyaltyStatement],
    after_seq: i64,
    mut zones: HashMap<LocationId, chrono_tz::Tz>,
) -> Result<Vec<&'a RoyaltyStatement>, RoyaltyError> {
    let changed = store.sales_changed_after(scope, franchisee_id, after_seq).await?;
    let mut hit = vec![false; issued.len()];
    for sale in changed {
        let zone = match zones.get(&sale.location_id) {
            Some(zone) => *zone,
            None => match store.get_location(scope, &sale.location_id).await {
                Ok(location) => {
                    zones.insert(location.id.clone(), location.time_zone.tz());
                    location.time_zone.tz()
                }
                Err(StoreError::NotFound { .. }) => continue,
                Err(error) => return Err(error.into()),
            },
        };
        let date = local_date(zone, sale.occurred_at);
        if let Some(index) = issued.iter().position(|s| s.period_start <= date && date <= s.period_end) {
            hit[index] = true;
        }
    }
    Ok(issued.iter().zip(hit).filter(|(_, hit)| *hit).map(|(statement, _)| statement).collect())
}

/// The adjustment lines and trace for an issued period whose sales changed.
async fn reconcile(
    store: &dyn Store,
    scope: &TenantScope,
    franchisee_id: &FranchiseeId,
    issued: &[RoyaltyStatement],
    earlier: &RoyaltyStatement,
) -> Result<PeriodLines, RoyaltyError> {
    let terms = &earlier.agreement.terms;
    let mut locations = Vec::with_capacity(earlier.locations.len());
    for id in &earlier.locations {
        match store.get_location(scope, id).await {
            Ok(location) => locations.push(location),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let sales =
        period_sales(store, scope, &locations, earlier.period_start, earlier.period_end, &terms.sales_base).await?;
    let mut rates = RateBook::new(store, &earlier.network_id, earlier.period_end).with_rates(&earlier.exchange_rates);
    let base = rates.total_in(&sums_by_currency(&sales), terms.currency).await?;
    let location_count = u32::try_from(earlier.locations.len()).unwrap_or(u32::MAX);
    let recomputed = price_period(terms, base, location_count);

    // The trace: each sale's base now, against the sum of what was traced for it before.
    let mut billed: BTreeMap<RecordId, TracedSale> = BTreeMap::new();
    for sale in store.billed_traces(scope, franchisee_id, earlier.period_start).await? {
        billed.entry(sale.record_id.clone()).and_modify(|known| known.base += sale.base).or_insert(sale);
    }
    let mut trace = Vec::new();
    for sale in &sales {
        let before = billed.remove(&sale.record_id).map_or(Decimal::ZERO, |known| known.base);
        if sale.base != before {
            trace.push(TracedSale { base: sale.base - before, ..traced(earlier.period_start, sale) });
        }
    }
    for (_, gone) in billed {
        if !gone.base.is_zero() {
            trace.push(TracedSale { base: -gone.base, ..gone });
        }
    }
    trace.sort_by(|a, b| a.record_id.cmp(&b.record_id));

    let billed_lines: Vec<&StatementLine> = issued
        .iter()
        .flat_map(|statement| statement.lines.iter())
        .filter(|line| line.period_start == earlier.period_start)
        .collect();
    let mut lines = Vec::new();
    for kind in KINDS {
        let new: Vec<&PricedLine> = recomputed.iter().filter(|line| line.kind == kind).collect();
        let old: Vec<&&StatementLine> = billed_lines.iter().filter(|line| line.kind == kind).collect();
        let amount =
            new.iter().map(|line| line.amount).sum::<Decimal>() - old.iter().map(|l| l.amount).sum::<Decimal>();
        if amount.is_zero() {
            continue;
        }
        let base = new.iter().map(|line| line.base).sum::<Decimal>() - old.iter().map(|l| l.base).sum::<Decimal>();
        let mut rates_seen = new.iter().filter_map(|line| line.rate).chain(old.iter().filter_map(|line| line.rate));
        let first = rates_seen.next();
        let rate = first.filter(|first| rates_seen.all(|rate| rate == *first));
        let quantity = match kind {
            LineKind::TechnologyFee => Some(location_count),
            _ => None,
        };
        let description = format!(
            "Adjustment for {} to {}: {} (sales synced or refunded after issue)",
            earlier.period_start,
            earlier.period_end,
            kind.as_str().replace('_', " ")
        );
        let count = if kind == LineKind::TechnologyFee { 0 } else { trace.len() as u64 };
        let line = PricedLine { kind, description, base, rate, quantity, amount };
        lines.push((earlier.period_start, true, line, count));
    }
    Ok(PeriodLines { lines, trace })
}
