//! Which sales a period counts, and for how much: each sale belongs to the business date of its
//! location's time zone, and contributes its royalty base (see [`sale_base`]).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{LocationId, RecordId};
use hub_core::records::{Model, RecordData};
use hub_core::royalties::SalesBase;
use hub_core::tenancy::{Currency, Location};
use hub_store::Store;
use rust_decimal::Decimal;

use super::error::RoyaltyError;

/// One sale as a period counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedSale {
    pub record_id: RecordId,
    pub location_id: LocationId,
    pub local_date: NaiveDate,
    pub currency: Currency,
    pub base: Decimal,
}

/// The instant a local day starts in `zone`. Where midnight does not exist (a DST gap at
/// midnight) the day starts at the first minute that does.
pub fn local_midnight(zone: chrono_tz::Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    (0..=180)
        .find_map(|minutes| zone.from_local_datetime(&(midnight + chrono::Duration::minutes(minutes))).earliest())
        .map_or_else(|| midnight.and_utc(), |local| local.with_timezone(&Utc))
}

/// The business date of `at` at a location in `zone`.
pub fn local_date(zone: chrono_tz::Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// A sale's royalty base: gross (which never holds tax or tips), less discounts and completed
/// refunds, plus service charges, each as the agreement's [`SalesBase`] says.
pub fn sale_base(sale: &hub_core::records::Sale, rules: &SalesBase) -> Decimal {
    let mut base = sale.gross;
    if rules.deduct_discounts {
        base -= sale.discount;
    }
    if rules.include_service_charges {
        base += sale.service_charges;
    }
    if rules.deduct_refunds {
        base -= sale.refunded;
    }
    base
}

/// Every live sale of `locations` whose local date falls in `start..=end`, with its base.
pub async fn period_sales(
    store: &dyn Store,
    scope: &TenantScope,
    locations: &[Location],
    start: NaiveDate,
    end: NaiveDate,
    rules: &SalesBase,
) -> Result<Vec<CountedSale>, RoyaltyError> {
    let mut counted = Vec::new();
    let after_end = end.succ_opt().unwrap_or(end);
    for location in locations {
        let zone = location.time_zone.tz();
        let from = local_midnight(zone, start);
        let to = local_midnight(zone, after_end);
        for row in store.sales_between(scope, &location.id, from, to).await? {
            let sale = match RecordData::from_json(Model::Sale, &row.data) {
                Ok(RecordData::Sale(sale)) => sale,
                Ok(_) => continue,
                Err(error) => {
                    return Err(RoyaltyError::UnreadableSale {
                        record: row.record_id.to_string(),
                        reason: error.reason,
                    });
                }
            };
            counted.push(CountedSale {
                record_id: row.record_id,
                location_id: row.location_id,
                local_date: local_date(zone, row.occurred_at),
                currency: sale.currency,
                base: sale_base(&sale, rules),
            });
        }
    }
    counted.sort_by(|a, b| a.record_id.cmp(&b.record_id));
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_local_midnight() {
        let chicago: chrono_tz::Tz = "America/Chicago".parse().expect("zone");
        let day: NaiveDate = "2026-11-01".parse().expect("date");
        // 2026-11-01 is the end of DST in the US: midnight is still CDT (UTC−5).
        assert_eq!(local_midnight(chicago, day).to_rfc3339(), "2026-11-01T05:00:00+00:00");
        let at: DateTime<Utc> = "2026-12-01T05:30:00Z".parse().expect("instant");
        assert_eq!(local_date(chicago, at).to_string(), "2026-11-30", "23:30 in Chicago is still November");
        // Havana springs forward at midnight: 2026-03-08 starts at 01:00 local.
        let havana: chrono_tz::Tz = "America/Havana".parse().expect("zone");
        let start = local_midnight(havana, "2026-03-08".parse().expect("date"));
        assert_eq!(local_date(havana, start).to_string(), "2026-03-08");
    }
}
