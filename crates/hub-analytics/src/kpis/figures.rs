//! From summed rollup figures to KPIs, and the network distribution behind benchmarks and
//! percentile ranks.

use hub_store::RollupFigures;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use utoipa::ToSchema;

use super::Kpis;

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    // Counts of minutes and appointments, far below 2^53: exact as f64.
    (denominator > 0).then(|| round4(numerator as f64 / denominator as f64))
}

fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

impl Kpis {
    /// The KPIs of summed figures (see the module docs for the definitions).
    pub fn from_figures(figures: &RollupFigures) -> Self {
        let average_ticket = if figures.transactions > 0 {
            (figures.net / Decimal::from(figures.transactions))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
        } else {
            Decimal::new(0, 2)
        };
        Self {
            gross_sales: figures.gross,
            net_sales: figures.net,
            tips: figures.tips,
            tax: figures.tax,
            discounts: figures.discounts,
            refunds: figures.refunds,
            transactions: count(figures.transactions),
            average_ticket,
            appointments: count(figures.appointments),
            no_show_rate: ratio(figures.no_shows, figures.appointments),
            staff_utilisation: ratio(figures.booked_minutes, figures.worked_minutes),
            new_customers: count(figures.new_customers),
            returning_customers: count(figures.returning_customers),
            foreign_currency_transactions: count(figures.foreign_currency_transactions),
        }
    }
}

/// A location's percentile rank (0–100) in the network per KPI; `null` where the KPI is
/// undefined for the location (a rate without a denominator).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KpiPercentiles {
    pub gross_sales: f64,
    pub net_sales: f64,
    pub tips: f64,
    pub transactions: f64,
    pub average_ticket: f64,
    pub appointments: f64,
    pub no_show_rate: Option<f64>,
    pub staff_utilisation: Option<f64>,
    pub new_customers: f64,
    pub returning_customers: f64,
}

/// Percentiles of a money KPI across the network's active locations (nearest rank: each is
/// some location's value, exact).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MoneyDistribution {
    #[schema(value_type = String)]
    pub p10: Decimal,
    #[schema(value_type = String)]
    pub p25: Decimal,
    #[schema(value_type = String)]
    pub p50: Decimal,
    #[schema(value_type = String)]
    pub p75: Decimal,
    #[schema(value_type = String)]
    pub p90: Decimal,
}

/// Percentiles of a count KPI across the network's active locations.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CountDistribution {
    pub p10: u64,
    pub p25: u64,
    pub p50: u64,
    pub p75: u64,
    pub p90: u64,
}

/// Percentiles of a rate KPI across the locations where it is defined.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RatioDistribution {
    pub p10: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
}

/// The network's distribution of each KPI over its active locations: no shop is named.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Benchmarks {
    /// How many locations had activity in the range.
    pub locations: u64,
    pub gross_sales: Option<MoneyDistribution>,
    pub net_sales: Option<MoneyDistribution>,
    pub tips: Option<MoneyDistribution>,
    pub transactions: Option<CountDistribution>,
    pub average_ticket: Option<MoneyDistribution>,
    pub appointments: Option<CountDistribution>,
    pub no_show_rate: Option<RatioDistribution>,
    pub staff_utilisation: Option<RatioDistribution>,
    pub new_customers: Option<CountDistribution>,
    pub returning_customers: Option<CountDistribution>,
}

/// Each KPI's values across the network, sorted.
pub(crate) struct Distribution {
    locations: usize,
    gross_sales: Vec<Decimal>,
    net_sales: Vec<Decimal>,
    tips: Vec<Decimal>,
    transactions: Vec<u64>,
    average_ticket: Vec<Decimal>,
    appointments: Vec<u64>,
    no_show_rate: Vec<f64>,
    staff_utilisation: Vec<f64>,
    new_customers: Vec<u64>,
    returning_customers: Vec<u64>,
}

fn sorted<T: Copy + PartialOrd>(kpis: &[Kpis], value: impl Fn(&Kpis) -> Option<T>) -> Vec<T> {
    let mut values: Vec<T> = kpis.iter().filter_map(value).collect();
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values
}

/// Mid-rank percentile of `value` among `sorted`: below plus half of equal, over all, × 100.
fn rank<T: PartialOrd>(sorted: &[T], value: &T) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let below = sorted.partition_point(|v| v < value);
    let not_above = sorted.partition_point(|v| v <= value);
    let equal = not_above - below;
    // Location counts: exact as f64.
    let share = (below as f64 + equal as f64 / 2.0) / sorted.len() as f64;
    (share * 1_000.0).round() / 10.0
}

/// Nearest-rank percentile `p` (1–100) of a non-empty sorted list.
fn nearest<T: Copy>(sorted: &[T], p: usize) -> T {
    let index = (p * sorted.len()).div_ceil(100).max(1) - 1;
    sorted[index.min(sorted.len() - 1)]
}

macro_rules! distribution {
    ($kind:ident, $values:expr) => {{
        let values = &$values;
        (!values.is_empty()).then(|| $kind {
            p10: nearest(values, 10),
            p25: nearest(values, 25),
            p50: nearest(values, 50),
            p75: nearest(values, 75),
            p90: nearest(values, 90),
        })
    }};
}

impl Distribution {
    /// The distribution over `kpis` (one per active location).
    pub(crate) fn of(kpis: &[Kpis]) -> Self {
        Self {
            locations: kpis.len(),
            gross_sales: sorted(kpis, |k| Some(k.gross_sales)),
            net_sales: sorted(kpis, |k| Some(k.net_sales)),
            tips: sorted(kpis, |k| Some(k.tips)),
            transactions: sorted(kpis, |k| Some(k.transactions)),
            average_ticket: sorted(kpis, |k| Some(k.average_ticket)),
            appointments: sorted(kpis, |k| Some(k.appointments)),
            no_show_rate: sorted(kpis, |k| k.no_show_rate),
            staff_utilisation: sorted(kpis, |k| k.staff_utilisation),
            new_customers: sorted(kpis, |k| Some(k.new_customers)),
            returning_customers: sorted(kpis, |k| Some(k.returning_customers)),
        }
    }

    /// Where `kpis` ranks in this distribution.
    pub(crate) fn ranks(&self, kpis: &Kpis) -> KpiPercentiles {
        KpiPercentiles {
            gross_sales: rank(&self.gross_sales, &kpis.gross_sales),
            net_sales: rank(&self.net_sales, &kpis.net_sales),
            tips: rank(&self.tips, &kpis.tips),
            transactions: rank(&self.transactions, &kpis.transactions),
            average_ticket: rank(&self.average_ticket, &kpis.average_ticket),
            appointments: rank(&self.appointments, &kpis.appointments),
            no_show_rate: kpis.no_show_rate.map(|value| rank(&self.no_show_rate, &value)),
            staff_utilisation: kpis.staff_utilisation.map(|value| rank(&self.staff_utilisation, &value)),
            new_customers: rank(&self.new_customers, &kpis.new_customers),
            returning_customers: rank(&self.returning_customers, &kpis.returning_customers),
        }
    }

    /// The anonymous summary.
    pub(crate) fn benchmarks(&self) -> Benchmarks {
        Benchmarks {
            locations: self.locations as u64,
            gross_sales: distribution!(MoneyDistribution, self.gross_sales),
            net_sales: distribution!(MoneyDistribution, self.net_sales),
            tips: distribution!(MoneyDistribution, self.tips),
            transactions: distribution!(CountDistribution, self.transactions),
            average_ticket: distribution!(MoneyDistribution, self.average_ticket),
            appointments: distribution!(CountDistribution, self.appointments),
            no_show_rate: distribution!(RatioDistribution, self.no_show_rate),
            staff_utilisation: distribution!(RatioDistribution, self.staff_utilisation),
            new_customers: distribution!(CountDistribution, self.new_customers),
            returning_customers: distribution!(CountDistribution, self.returning_customers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_mid_ranks_and_percentiles_nearest_ranks() {
        let values = [1u64, 2, 2, 3, 10];
        assert_eq!(rank(&values, &1), 10.0);
        assert_eq!(rank(&values, &2), 40.0);
        assert_eq!(rank(&values, &10), 90.0);
        assert_eq!(nearest(&values, 50), 2);
        assert_eq!(nearest(&values, 90), 10);
        assert_eq!(nearest(&values, 10), 1);
    }

    #[test]
    fn kpis_follow_their_definitions() {
        let figures = RollupFigures {
            net: Decimal::new(10_000, 2),
            transactions: 3,
            appointments: 4,
            no_shows: 1,
            booked_minutes: 90,
            worked_minutes: 120,
            ..RollupFigures::default()
        };
        let kpis = Kpis::from_figures(&figures);
        assert_eq!(kpis.average_ticket.to_string(), "33.33");
        assert_eq!(kpis.no_show_rate, Some(0.25));
        assert_eq!(kpis.staff_utilisation, Some(0.75));
        assert_eq!(Kpis::from_figures(&RollupFigures::default()).no_show_rate, None);
    }
}
