//! The pages, one module per area. Every page reads through the store (or a service over it)
//! with the viewer's scope: nothing is filtered in a template.

pub mod account;
pub mod connections;
pub mod kpi;
pub mod operations;
pub mod overview;
pub mod royalties;
pub mod tenancy;
pub mod webhooks;

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use hub_core::access::TenantScope;
use hub_core::page::{MAX_LIMIT, Page, PageRequest, decode_cursor};
use hub_store::{Store, StoreResult};
use rust_decimal::Decimal;

use crate::view::PageError;

/// At most this many pages of 500 are read to fill one list on a page.
const MAX_PAGES: usize = 20;

/// Every item of a paged store list, up to [`MAX_PAGES`] pages.
pub(crate) async fn collect<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, PageError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = StoreResult<Page<T>>>,
{
    let mut items = Vec::new();
    let mut request = PageRequest { limit: MAX_LIMIT, after: None };
    for _ in 0..MAX_PAGES {
        let page = fetch(request.clone()).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) => {
                request.after = Some(decode_cursor(&cursor).map_err(|error| PageError::Internal(error.reason))?);
            }
            None => break,
        }
    }
    Ok(items)
}

/// Location and franchisee names in scope, for labelling ids.
pub(crate) struct Names {
    pub locations: HashMap<String, String>,
    pub franchisees: HashMap<String, String>,
}

impl Names {
    pub async fn load(store: &dyn Store, scope: &TenantScope) -> Result<Self, PageError> {
        let locations = collect(|page| async move { store.list_locations(scope, &page).await }).await?;
        let franchisees = collect(|page| async move { store.list_franchisees(scope, &page).await }).await?;
        Ok(Self {
            locations: locations.into_iter().map(|l| (l.id.to_string(), l.name.as_str().to_owned())).collect(),
            franchisees: franchisees.into_iter().map(|f| (f.id.to_string(), f.name.as_str().to_owned())).collect(),
        })
    }

    pub fn location(&self, id: Option<&impl AsRef<str>>) -> String {
        id.and_then(|id| self.locations.get(id.as_ref()).cloned()).unwrap_or_else(|| "—".into())
    }

    pub fn franchisee(&self, id: Option<&impl AsRef<str>>) -> String {
        id.and_then(|id| self.franchisees.get(id.as_ref()).cloned()).unwrap_or_else(|| "—".into())
    }
}

/// An amount with its currency code, two decimals and thousands separators (`USD 12,345.60`).
pub(crate) fn money(currency: &str, amount: Decimal) -> String {
    let rounded = amount.round_dp(2);
    let text = format!("{rounded:.2}");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |rest| ("-", rest));
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{currency} {sign}{grouped}.{fraction}")
}

/// A ratio as a percentage with one decimal, or a dash.
pub(crate) fn percent(ratio: Option<f64>) -> String {
    ratio.map(|ratio| format!("{:.1}%", ratio * 100.0)).unwrap_or_else(|| "—".into())
}

/// The last `days` days up to today (UTC), inclusive.
pub(crate) fn last_days(days: i64) -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    (today - chrono::Days::new(u64::try_from(days - 1).unwrap_or(0)), today)
}

/// The wire name of a serde enum (`needs_reauthorization`).
pub(crate) fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_and_exact() {
        assert_eq!(money("USD", Decimal::new(1_234_560, 2)), "USD 12,345.60");
        assert_eq!(money("USD", Decimal::new(5, 1)), "USD 0.50");
        assert_eq!(money("EUR", Decimal::new(-100_000_000, 2)), "EUR -1,000,000.00");
        assert_eq!(money("USD", Decimal::new(999, 0)), "USD 999.00");
        assert_eq!(percent(Some(0.125)), "12.5%");
        assert_eq!(percent(None), "—");
    }
}
