//! KPI cards and charts from `hub_analytics` (the same [`Analytics::kpis`] that serves
//! `GET /v1/kpis`), for the overview, franchisee and location pages.

use hub_analytics::{Analytics, AnalyticsError, GroupBy, KpiQuery, KpiReport};
use hub_api::AppState;
use hub_core::access::TenantScope;

use super::{last_days, money, percent};
use crate::chart::{self, Chart, Kind, Point};
use crate::view::{Card, PageError, Section};

/// Days the KPI cards cover.
pub const KPI_DAYS: i64 = 28;

impl From<AnalyticsError> for PageError {
    fn from(error: AnalyticsError) -> Self {
        match error {
            AnalyticsError::Store(store) => store.into(),
            other => PageError::Internal(other.to_string()),
        }
    }
}

/// The narrower of the viewer's scope and `target` (a page about a franchisee, seen by one of
/// its location managers, shows only that manager's shop).
pub fn narrow(viewer: &TenantScope, target: TenantScope) -> TenantScope {
    if viewer.contains(&target) { target } else { viewer.clone() }
}

/// The KPI report of `scope` over the last [`KPI_DAYS`] days, grouped by `group_by`.
pub async fn report(state: &AppState, scope: &TenantScope, group_by: GroupBy) -> Result<KpiReport, PageError> {
    let (from, to) = last_days(KPI_DAYS);
    Ok(Analytics::new(state.store.clone()).kpis(scope, &KpiQuery { from, to, group_by }).await?)
}

/// The headline cards of a report.
pub fn cards(report: &KpiReport) -> Vec<Card> {
    let currency = report.currency.as_str();
    let totals = &report.totals;
    vec![
        Card::new("Gross sales", money(currency, totals.gross_sales)),
        Card::new("Net sales", money(currency, totals.net_sales)),
        Card::new("Transactions", totals.transactions),
        Card::new("Average ticket", money(currency, totals.average_ticket)),
        Card::new("Tips", money(currency, totals.tips)),
        Card::new("Appointments", totals.appointments),
        Card::new("No-show rate", percent(totals.no_show_rate)),
        Card::new("New / returning customers", format!("{} / {}", totals.new_customers, totals.returning_customers)),
    ]
}

/// The KPI section: cards over the period, and a chart of net sales by week.
pub async fn section(state: &AppState, scope: &TenantScope, title: &str) -> Result<Section, PageError> {
    let weekly = report(state, scope, GroupBy::Week).await?;
    let note = format!(
        "{} to {}, in {}. Figures come from the synced sales, rolled up by the analytics job.",
        weekly.from,
        weekly.to,
        weekly.currency.as_str()
    );
    let chart = Chart {
        title: "Net sales by week".into(),
        unit: String::new(),
        kind: Kind::Bars,
        points: weekly
            .rows
            .iter()
            .map(|row| Point::new(format!("wk {}", row.key.get(5..).unwrap_or(&row.key)), row.kpis.net_sales))
            .collect(),
    };
    Ok(Section::new("kpis", title).note(note).cards(cards(&weekly)).chart(chart::render(&chart)))
}

/// A daily line chart of net sales (location pages).
pub async fn daily_section(state: &AppState, scope: &TenantScope) -> Result<Section, PageError> {
    let daily = report(state, scope, GroupBy::Day).await?;
    let chart = Chart {
        title: "Net sales by day".into(),
        unit: String::new(),
        kind: Kind::Line,
        points: daily
            .rows
            .iter()
            .map(|row| Point::new(row.key.get(5..).unwrap_or(&row.key).to_owned(), row.kpis.net_sales))
            .collect(),
    };
    Ok(Section::new("daily-sales", "Daily sales").chart(chart::render(&chart)))
}
