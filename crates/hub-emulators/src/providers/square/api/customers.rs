//! `GET /v2/customers` (ListCustomers) and `POST /v2/customers/search` (SearchCustomers):
//! live profiles only (deleted ones vanish), sorted by name (`DEFAULT`) or `CREATED_AT`, pages
//! of 1–100 (100 by default; outside that `VALUE_TOO_LOW` / `VALUE_TOO_HIGH`).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::super::cursor::{Cursor, CursorKey, Fingerprint};
use super::super::model::{Customer, Millis};
use super::super::render::people::customer;
use super::super::store::index::{Bound, Direction, KeyRange, PageQuery, page};
use super::super::store::{MerchantData, read};
use super::params::{OverMax, QueryParams, body, cursor, enum_value, page_size, parse_time, sort_order, within};
use super::{ApiError, Caller, Listing, authorize, ok, respond};
use crate::state::EmulatorState;

/// How customers are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    /// Given name, then family name.
    Default,
    CreatedAt,
}

fn sort_field(text: &str, field: &str) -> Result<SortField, ApiError> {
    Ok(match enum_value(text, field, &["DEFAULT", "CREATED_AT"])? {
        "CREATED_AT" => SortField::CreatedAt,
        _ => SortField::Default,
    })
}

/// One page of customers, walking the index of `sort` from the cursor.
struct Walk<'a> {
    sort: SortField,
    direction: Direction,
    limit: usize,
    /// `created_at` in `[start, end)`.
    created: (Option<Millis>, Option<Millis>),
    cursor: Option<Cursor>,
    fingerprint: u64,
    count: bool,
    accept: Box<dyn Fn(&Customer) -> bool + 'a>,
}

fn walk(data: &MerchantData, walk: Walk<'_>) -> Result<Response, ApiError> {
    let invalid = || ApiError::invalid("INVALID_CURSOR", "cursor", "The cursor does not belong to this sort order.");
    let (start, end) = walk.created;
    let matches = |c: &Customer| !c.deleted && within(c.created_at, start, end) && (walk.accept)(c);
    let accept = |position: u32| data.customers.get(position as usize).is_some_and(matches);
    let limit = walk.limit;
    let (positions, next) = match (walk.sort, &walk.cursor) {
        (SortField::CreatedAt, cursor) => {
            let after = match cursor {
                Some(Cursor { key: CursorKey::Time(key), position, .. }) => Some((*key, *position)),
                Some(_) => return Err(invalid()),
                None => None,
            };
            let range = KeyRange { low: start, high: end.map(Bound::Exclusive) };
            let sources = vec![&data.index.customers_created];
            let result = page(PageQuery { sources, range, direction: walk.direction, after, limit }, accept);
            (result.positions, result.next.map(|(key, position)| (CursorKey::Time(key), position)))
        }
        (SortField::Default, cursor) => {
            let after = match cursor {
                Some(Cursor { key: CursorKey::Text(key), position, .. }) => Some((key.clone(), *position)),
                Some(_) => return Err(invalid()),
                None => None,
            };
            let sources = vec![&data.index.customers_name];
            let range = KeyRange::all();
            let result = page(PageQuery { sources, range, direction: walk.direction, after, limit }, accept);
            (result.positions, result.next.map(|(key, position)| (CursorKey::Text(key), position)))
        }
    };
    let fingerprint = walk.fingerprint;
    let cursor = next.map(|(key, position)| Cursor { fingerprint, key, position, window: [None, None] }.encode());
    let customers = positions.iter().filter_map(|&p| data.customers.get(p as usize)).map(customer).collect();
    let mut listing = Listing::new("customers", customers, cursor);
    if walk.count {
        listing.count = Some(data.customers.iter().filter(|c| matches(c)).count() as u64);
    }
    Ok(ok(&listing))
}

/// ListCustomers.
fn list_customers(caller: &Caller, raw: Option<&str>) -> Result<Response, ApiError> {
    let params = QueryParams::parse(raw);
    let limit = page_size(params.integer("limit")?, "limit", 100, 100, OverMax::Refuse)?;
    let sort = params.get("sort_field").map_or(Ok(SortField::Default), |text| sort_field(text, "sort_field"))?;
    let direction = params.sort_order("sort_order", Direction::Ascending)?;
    let count = params.boolean("count")?.unwrap_or(false);
    let data = read(&caller.data);
    let base = Fingerprint::new("ListCustomers", &data.merchant_id, data.fingerprint);
    let fingerprint = params.fingerprint(base, &["sort_field", "sort_order", "count"]).finish();
    let cursor = cursor(params.get("cursor"), fingerprint, "cursor")?;
    walk(
        &data,
        Walk { sort, direction, limit, created: (None, None), cursor, fingerprint, count, accept: Box::new(|_| true) },
    )
}

/// ListCustomers, with `CUSTOMERS_READ`.
pub(super) async fn list(State(state): State<EmulatorState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    match authorize(&state, &headers, "CUSTOMERS_READ") {
        Ok(caller) => respond(list_customers(&caller, raw.as_deref())),
        Err(response) => *response,
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct SearchCustomersBody {
    #[serde(default, skip_serializing)]
    cursor: Option<String>,
    #[serde(default, skip_serializing)]
    limit: Option<i64>,
    #[serde(default)]
    query: Option<CustomerQuery>,
    #[serde(default)]
    count: Option<bool>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct CustomerQuery {
    #[serde(default)]
    filter: Option<CustomerFilter>,
    #[serde(default)]
    sort: Option<CustomerSort>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TimeRange {
    #[serde(default)]
    start_at: Option<String>,
    #[serde(default)]
    end_at: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TextFilter {
    #[serde(default)]
    exact: Option<String>,
    #[serde(default)]
    fuzzy: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct SourceFilter {
    #[serde(default)]
    values: Option<Vec<String>>,
    #[serde(default)]
    rule: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct FilterValue {
    #[serde(default)]
    all: Option<Vec<String>>,
    #[serde(default)]
    any: Option<Vec<String>>,
    #[serde(default)]
    none: Option<Vec<String>>,
}

impl FilterValue {
    /// Emulated customers belong to no group or segment.
    fn matches_nothing_held(&self) -> bool {
        let empty = |list: &Option<Vec<String>>| list.as_ref().is_none_or(Vec::is_empty);
        empty(&self.all) && empty(&self.any)
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct CustomerFilter {
    #[serde(default)]
    creation_source: Option<SourceFilter>,
    #[serde(default)]
    created_at: Option<TimeRange>,
    #[serde(default)]
    updated_at: Option<TimeRange>,
    #[serde(default)]
    email_address: Option<TextFilter>,
    #[serde(default)]
    phone_number: Option<TextFilter>,
    #[serde(default)]
    reference_id: Option<TextFilter>,
    #[serde(default)]
    group_ids: Option<FilterValue>,
    #[serde(default)]
    segment_ids: Option<FilterValue>,
    #[serde(default)]
    custom_attribute: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct CustomerSort {
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    order: Option<String>,
}

fn range(range: Option<&TimeRange>, field: &str) -> Result<(Option<Millis>, Option<Millis>), ApiError> {
    let Some(range) = range else { return Ok((None, None)) };
    let start = range.start_at.as_deref().map(|t| parse_time(t, &format!("{field}.start_at"))).transpose()?;
    let end = range.end_at.as_deref().map(|t| parse_time(t, &format!("{field}.end_at"))).transpose()?;
    super::params::window(start, end, field)?;
    Ok((start, end))
}

/// Case-insensitive: every word of the query appears in the value.
fn fuzzy(value: &str, query: &str) -> bool {
    let value = value.to_lowercase();
    query
        .split(|c: char| c.is_whitespace() || c == '@' || c == '.')
        .filter(|t| !t.is_empty())
        .all(|t| value.contains(&t.to_lowercase()))
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// SearchCustomers.
fn search_customers(caller: &Caller, bytes: &[u8]) -> Result<Response, ApiError> {
    let request: SearchCustomersBody = body(bytes)?;
    let limit = page_size(request.limit, "limit", 100, 100, OverMax::Refuse)?;
    let query = request.query.as_ref();
    let sort = query.and_then(|q| q.sort.as_ref());
    let sort_by =
        sort.and_then(|s| s.field.as_deref()).map_or(Ok(SortField::Default), |t| sort_field(t, "query.sort.field"))?;
    let direction = sort
        .and_then(|s| s.order.as_deref())
        .map_or(Ok(Direction::Ascending), |t| sort_order(t, "query.sort.order"))?;
    let filter = query.and_then(|q| q.filter.as_ref());
    if filter.is_some_and(|f| f.custom_attribute.is_some()) {
        return Err(ApiError::invalid(
            "BAD_REQUEST",
            "query.filter.custom_attribute",
            "Custom attribute filters are not emulated.",
        ));
    }
    let (created_start, created_end) = range(filter.and_then(|f| f.created_at.as_ref()), "query.filter.created_at")?;
    let (updated_start, updated_end) = range(filter.and_then(|f| f.updated_at.as_ref()), "query.filter.updated_at")?;
    let sources = match filter.and_then(|f| f.creation_source.as_ref()) {
        Some(source) => {
            let values = source.values.clone().unwrap_or_default();
            for (number, value) in values.iter().enumerate() {
                enum_value(value, &format!("query.filter.creation_source.values[{number}]"), &CREATION_SOURCES)?;
            }
            let rule = source
                .rule
                .as_deref()
                .map(|r| enum_value(r, "query.filter.creation_source.rule", &["INCLUDE", "EXCLUDE"]))
                .transpose()?;
            Some((values, rule != Some("EXCLUDE")))
        }
        None => None,
    };
    let data = read(&caller.data);
    let query_text = serde_json::to_string(&request).unwrap_or_default();
    let fingerprint = Fingerprint::new("SearchCustomers", &data.merchant_id, data.fingerprint)
        .with("body", Some(&query_text))
        .finish();
    let cursor = cursor(request.cursor.as_deref(), fingerprint, "cursor")?;
    let email = filter.and_then(|f| f.email_address.as_ref());
    let phone = filter.and_then(|f| f.phone_number.as_ref());
    let reference = filter.and_then(|f| f.reference_id.as_ref());
    let groups_ok = filter.and_then(|f| f.group_ids.as_ref()).is_none_or(FilterValue::matches_nothing_held)
        && filter.and_then(|f| f.segment_ids.as_ref()).is_none_or(FilterValue::matches_nothing_held);
    let accept = move |c: &Customer| {
        groups_ok
            && reference.is_none_or(|r| r.exact.is_none() && r.fuzzy.is_none())
            && within(c.updated_at, updated_start, updated_end)
            && email.is_none_or(|e| {
                e.exact.as_ref().is_none_or(|x| c.email.eq_ignore_ascii_case(x))
                    && e.fuzzy.as_ref().is_none_or(|q| fuzzy(&c.email, q))
            })
            && phone.is_none_or(|p| {
                p.exact.as_ref().is_none_or(|x| digits(&c.phone) == digits(x))
                    && p.fuzzy.as_ref().is_none_or(|q| digits(&c.phone).contains(&digits(q)))
            })
            && sources
                .as_ref()
                .is_none_or(|(values, include)| values.iter().any(|v| v == c.creation_source()) == *include)
    };
    let created = (created_start, created_end);
    let count = request.count.unwrap_or(false);
    walk(&data, Walk { sort: sort_by, direction, limit, created, cursor, fingerprint, count, accept: Box::new(accept) })
}

/// SearchCustomers, with `CUSTOMERS_READ`.
pub(super) async fn search(State(state): State<EmulatorState>, headers: HeaderMap, bytes: Bytes) -> Response {
    match authorize(&state, &headers, "CUSTOMERS_READ") {
        Ok(caller) => respond(search_customers(&caller, &bytes)),
        Err(response) => *response,
    }
}

const CREATION_SOURCES: [&str; 19] = [
    "OTHER",
    "APPOINTMENTS",
    "COUPON",
    "DELETION_RECOVERY",
    "DIRECTORY",
    "EGIFTING",
    "EMAIL_COLLECTION",
    "FEEDBACK",
    "IMPORT",
    "INVOICES",
    "LOYALTY",
    "MARKETING",
    "MERGE",
    "ONLINE_STORE",
    "INSTANT_PROFILE",
    "TERMINAL",
    "THIRD_PARTY",
    "THIRD_PARTY_IMPORT",
    "UNMERGE_RECOVERY",
];
