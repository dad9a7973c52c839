//! `POST /v2/orders/search` (SearchOrders): `location_ids` required (at most 10), a
//! `date_time_filter` on the same field the sort uses (the spec's rule), `state_filter`,
//! customer and source filters, pages of 1–1000 (500 by default), full orders or
//! `OrderEntry`s with `return_entries`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::super::cursor::Fingerprint;
use super::super::render::orders::{entry, order};
use super::super::store::index::{Direction, KeyRange, PageQuery, page};
use super::super::store::read;
use super::locations::unknown_location;
use super::params::{
    OverMax, body, cursor, enum_value, next_time_cursor, page_size, parse_time, sort_order, time_after,
};
use super::{ApiError, Caller, Listing, authorize, ok, respond};
use crate::state::EmulatorState;

/// The source name of every emulated order (taken at the shop's register).
pub(crate) const SOURCE_NAME: &str = "Square Point of Sale";

#[derive(Debug, Default, Deserialize, Serialize)]
struct SearchOrdersBody {
    #[serde(default)]
    location_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing)]
    cursor: Option<String>,
    #[serde(default)]
    query: Option<OrdersQuery>,
    #[serde(default, skip_serializing)]
    limit: Option<i64>,
    #[serde(default)]
    return_entries: Option<bool>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct OrdersQuery {
    #[serde(default)]
    filter: Option<OrdersFilter>,
    #[serde(default)]
    sort: Option<OrdersSort>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct OrdersFilter {
    #[serde(default)]
    state_filter: Option<StateFilter>,
    #[serde(default)]
    date_time_filter: Option<DateTimeFilter>,
    #[serde(default)]
    fulfillment_filter: Option<FulfillmentFilter>,
    #[serde(default)]
    source_filter: Option<SourceFilter>,
    #[serde(default)]
    customer_filter: Option<CustomerFilter>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct StateFilter {
    states: Vec<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TimeRange {
    #[serde(default)]
    start_at: Option<String>,
    #[serde(default)]
    end_at: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct DateTimeFilter {
    #[serde(default)]
    created_at: Option<TimeRange>,
    #[serde(default)]
    updated_at: Option<TimeRange>,
    #[serde(default)]
    closed_at: Option<TimeRange>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct FulfillmentFilter {
    #[serde(default)]
    fulfillment_types: Option<Vec<String>>,
    #[serde(default)]
    fulfillment_states: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct SourceFilter {
    #[serde(default)]
    source_names: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct CustomerFilter {
    #[serde(default)]
    customer_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize)]
struct OrdersSort {
    sort_field: String,
    #[serde(default)]
    sort_order: Option<String>,
}

const ORDER_STATES: [&str; 4] = ["OPEN", "COMPLETED", "CANCELED", "DRAFT"];
const SORT_FIELDS: [&str; 3] = ["CREATED_AT", "UPDATED_AT", "CLOSED_AT"];

fn too_long(field: &str, max: usize) -> ApiError {
    ApiError::invalid("ARRAY_LENGTH_TOO_LONG", field, format!("`{field}` may hold at most {max} values."))
}

/// The `[start, end)` of one `date_time_filter` range.
fn time_range(range: &TimeRange, field: &str) -> Result<KeyRange<i64>, ApiError> {
    let start = range.start_at.as_deref().map(|text| parse_time(text, &format!("{field}.start_at"))).transpose()?;
    let end = range.end_at.as_deref().map(|text| parse_time(text, &format!("{field}.end_at"))).transpose()?;
    super::params::window(start, end, field)
}

/// SearchOrders.
fn search_orders(caller: &Caller, bytes: &[u8]) -> Result<Response, ApiError> {
    let request: SearchOrdersBody = body(bytes)?;
    let location_ids = request.location_ids.as_deref().unwrap_or_default();
    if location_ids.is_empty() {
        let detail = "`location_ids` is required: name the locations to search (at most 10).";
        return Err(ApiError::invalid("MISSING_REQUIRED_PARAMETER", "location_ids", detail));
    }
    if location_ids.len() > 10 {
        return Err(too_long("location_ids", 10));
    }
    let limit = page_size(request.limit, "limit", 500, 1000, OverMax::Refuse)?;
    let query = request.query.as_ref();
    let filter = query.and_then(|query| query.filter.as_ref());
    let sort = query.and_then(|query| query.sort.as_ref());
    let sort_field =
        sort.map_or(Ok("CREATED_AT"), |sort| enum_value(&sort.sort_field, "query.sort.sort_field", &SORT_FIELDS))?;
    let direction = sort
        .and_then(|sort| sort.sort_order.as_deref())
        .map_or(Ok(Direction::Descending), |text| sort_order(text, "query.sort.sort_order"))?;
    let mut range = KeyRange::all();
    if let Some(times) = filter.and_then(|filter| filter.date_time_filter.as_ref()) {
        let fields =
            [("CREATED_AT", &times.created_at), ("UPDATED_AT", &times.updated_at), ("CLOSED_AT", &times.closed_at)];
        for (field, value) in fields {
            let Some(value) = value else { continue };
            let name = format!("query.filter.date_time_filter.{}", field.to_lowercase());
            if field != sort_field {
                let detail = format!(
                    "Filtering on `{}` requires `query.sort.sort_field` to be {field} (it is {sort_field}).",
                    field.to_lowercase()
                );
                return Err(ApiError::invalid("INVALID_VALUE", "query.sort.sort_field", detail));
            }
            range = time_range(value, &name)?;
        }
    }
    let completed_wanted = match filter.and_then(|filter| filter.state_filter.as_ref()) {
        Some(states) => {
            for (number, state) in states.states.iter().enumerate() {
                enum_value(state, &format!("query.filter.state_filter.states[{number}]"), &ORDER_STATES)?;
            }
            states.states.iter().any(|state| state == "COMPLETED")
        }
        None => true,
    };
    let customer_ids = filter
        .and_then(|f| f.customer_filter.as_ref())
        .and_then(|f| f.customer_ids.as_ref())
        .filter(|ids| !ids.is_empty());
    if customer_ids.is_some_and(|ids| ids.len() > 10) {
        return Err(too_long("query.filter.customer_filter.customer_ids", 10));
    }
    let source_names =
        filter.and_then(|f| f.source_filter.as_ref()).and_then(|f| f.source_names.as_ref()).filter(|n| !n.is_empty());
    if source_names.is_some_and(|names| names.len() > 10) {
        return Err(too_long("query.filter.source_filter.source_names", 10));
    }
    // No emulated order has a fulfillment, so any fulfillment filter matches none.
    let fulfillment_filtered = filter.and_then(|f| f.fulfillment_filter.as_ref()).is_some_and(|f| {
        f.fulfillment_types.as_ref().is_some_and(|t| !t.is_empty())
            || f.fulfillment_states.as_ref().is_some_and(|s| !s.is_empty())
    });
    let source_ok = source_names.is_none_or(|names| names.iter().any(|name| name == SOURCE_NAME));

    let data = read(&caller.data);
    let mut locations = Vec::with_capacity(location_ids.len());
    for (number, id) in location_ids.iter().enumerate() {
        let position =
            data.location_by_id.get(id).ok_or_else(|| unknown_location(&format!("location_ids[{number}]"), id))?;
        if !locations.contains(position) {
            locations.push(*position);
        }
    }
    let body_text = serde_json::to_string(&request).unwrap_or_default();
    let fingerprint =
        Fingerprint::new("SearchOrders", &data.merchant_id, data.fingerprint).with("body", Some(&body_text)).finish();
    let after = time_after(cursor(request.cursor.as_deref(), fingerprint, "cursor")?.as_ref());
    let sources = locations
        .iter()
        .filter_map(|&number| data.index.locations.get(usize::from(number)))
        .map(|index| match sort_field {
            "UPDATED_AT" => &index.orders_updated,
            "CLOSED_AT" => &index.orders_closed,
            _ => &index.orders_created,
        })
        .collect();
    let possible = completed_wanted && source_ok && !fulfillment_filtered;
    let result = page(PageQuery { sources, range, direction, after, limit }, |position| {
        possible
            && customer_ids.is_none_or(|ids| {
                let order = &data.orders[position as usize];
                order.customer.and_then(|c| data.customers.get(c as usize)).is_some_and(|c| ids.contains(&c.id))
            })
    });
    let cursor = next_time_cursor(fingerprint, result.next, [None, None]);
    if request.return_entries.unwrap_or(false) {
        let entries = result.positions.iter().filter_map(|&position| entry(&data, position as usize)).collect();
        Ok(ok(&Listing::new("order_entries", entries, cursor)))
    } else {
        let orders = result.positions.iter().filter_map(|&position| order(&data, position as usize)).collect();
        Ok(ok(&Listing::new("orders", orders, cursor)))
    }
}

/// SearchOrders, with `ORDERS_READ`.
pub(super) async fn search(State(state): State<EmulatorState>, headers: HeaderMap, bytes: Bytes) -> Response {
    match authorize(&state, &headers, "ORDERS_READ") {
        Ok(caller) => respond(search_orders(&caller, &bytes)),
        Err(response) => *response,
    }
}
