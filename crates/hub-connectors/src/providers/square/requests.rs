//! Every request the connector sends, built exactly as the spec (Square-Version 2025-08-20)
//! documents it: path, page size at Square's maximum for the endpoint, the filters and sorts of
//! full and incremental walks, and Square's cursor when continuing.
//!
//! These are pure functions of a walk's state, so a resumed walk sends byte-for-byte the query
//! its cursor belongs to.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::source::ApiRequest;

/// The API version every call pins (`Square-Version` header).
pub const SQUARE_VERSION: &str = "2025-08-20";

/// `SearchTeamMembers`: default and maximum 200.
pub(crate) const TEAM_MEMBERS_PAGE: u32 = 200;
/// `SearchCustomers`: maximum 100.
pub(crate) const CUSTOMERS_PAGE: u32 = 100;
/// `SearchOrders`: default 500, maximum 1000.
pub(crate) const ORDERS_PAGE: u32 = 1000;
/// `SearchOrders` takes at most 10 location ids.
pub(crate) const ORDERS_LOCATIONS_PER_CALL: usize = 10;
/// `ListPaymentRefunds`: maximum 100.
pub(crate) const REFUNDS_PAGE: u32 = 100;
/// `ListPayouts`: default and maximum 100.
pub(crate) const PAYOUTS_PAGE: u32 = 100;
/// `SearchTimecards`: default and maximum 200.
pub(crate) const TIMECARDS_PAGE: u32 = 200;
/// `ListBookings`: the spec gives no maximum; 100 is a page size every Square list accepts.
pub(crate) const BOOKINGS_PAGE: u32 = 100;
/// `BatchRetrieveCatalogObjects`: at most 1000 ids per call (Square's catalog info limits).
pub(crate) const CATALOG_IDS_PER_CALL: usize = 1000;

/// RFC 3339 in UTC with millisecond precision, as Square writes its own timestamps.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn get(path: &str) -> ApiRequest {
    ApiRequest::get(path).header("Square-Version", SQUARE_VERSION)
}

fn post(path: &str, body: Value) -> ApiRequest {
    ApiRequest::post(path, body).header("Square-Version", SQUARE_VERSION)
}

/// Adds `"cursor"` to a search body when continuing.
fn with_cursor(mut body: Value, cursor: Option<&str>) -> Value {
    if let (Some(cursor), Some(object)) = (cursor, body.as_object_mut()) {
        object.insert("cursor".to_owned(), Value::String(cursor.to_owned()));
    }
    body
}

/// `GET /v2/locations`: every location of the seller, active or not, in one answer.
pub(crate) fn list_locations() -> ApiRequest {
    get("/v2/locations")
}

/// `POST /v2/team-members/search` with no filter: members of every status and location.
pub(crate) fn search_team_members(cursor: Option<&str>) -> ApiRequest {
    post("/v2/team-members/search", with_cursor(json!({ "limit": TEAM_MEMBERS_PAGE }), cursor))
}

/// `POST /v2/customers/search`, oldest profile first (`created_at` never changes, so pages stay
/// stable while profiles are edited); incremental walks filter on `updated_at.start_at`.
pub(crate) fn search_customers(updated_since: Option<DateTime<Utc>>, cursor: Option<&str>) -> ApiRequest {
    let mut query = json!({ "sort": { "field": "CREATED_AT", "order": "ASC" } });
    if let Some(since) = updated_since {
        query["filter"] = json!({ "updated_at": { "start_at": timestamp(since) } });
    }
    post("/v2/customers/search", with_cursor(json!({ "limit": CUSTOMERS_PAGE, "query": query }), cursor))
}

/// `POST /v2/orders/search` over up to ten locations, `COMPLETED` orders only. Incremental walks
/// filter `date_time_filter.updated_at` and sort by `UPDATED_AT` ascending (Square requires the
/// sort to match the filter); full walks sort by `CREATED_AT`, which an edit cannot move.
pub(crate) fn search_orders(
    location_ids: &[String],
    updated_since: Option<DateTime<Utc>>,
    cursor: Option<&str>,
) -> ApiRequest {
    let mut filter = json!({ "state_filter": { "states": ["COMPLETED"] } });
    let sort = match updated_since {
        Some(since) => {
            filter["date_time_filter"] = json!({ "updated_at": { "start_at": timestamp(since) } });
            json!({ "sort_field": "UPDATED_AT", "sort_order": "ASC" })
        }
        None => json!({ "sort_field": "CREATED_AT", "sort_order": "ASC" }),
    };
    let body = json!({
        "location_ids": location_ids,
        "limit": ORDERS_PAGE,
        "return_entries": false,
        "query": { "filter": filter, "sort": sort },
    });
    post("/v2/orders/search", with_cursor(body, cursor))
}

/// `POST /v2/catalog/batch-retrieve` of item variations with their parent items, deleted ones
/// included (an old sale may name a variation since removed).
pub(crate) fn batch_retrieve_catalog(object_ids: &[String]) -> ApiRequest {
    post(
        "/v2/catalog/batch-retrieve",
        json!({ "object_ids": object_ids, "include_related_objects": true, "include_deleted_objects": true }),
    )
}

/// `GET /v2/refunds` created within `[begin_time, end_time]` (Square's defaults, a year ago and
/// now, would cut history short and move under the cursor); incremental walks add
/// `updated_at_begin_time` and sort by `UPDATED_AT`, full walks sort by `CREATED_AT`; oldest first.
pub(crate) fn list_refunds(
    begin_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
    updated_since: Option<DateTime<Utc>>,
    cursor: Option<&str>,
) -> ApiRequest {
    let mut request =
        get("/v2/refunds").query("begin_time", timestamp(begin_time)).query("end_time", timestamp(end_time));
    request = match updated_since {
        Some(since) => request.query("updated_at_begin_time", timestamp(since)).query("sort_field", "UPDATED_AT"),
        None => request.query("sort_field", "CREATED_AT"),
    };
    request = request.query("sort_order", "ASC").query("limit", REFUNDS_PAGE.to_string());
    match cursor {
        Some(cursor) => request.query("cursor", cursor),
        None => request,
    }
}

/// `GET /v2/payouts` of one location (the default is the main location only) created within
/// `[begin_time, end_time]`, oldest first.
pub(crate) fn list_payouts(
    location_id: &str,
    begin_time: DateTime<Utc>,
    end_time: DateTime<Utc>,
    cursor: Option<&str>,
) -> ApiRequest {
    let request = get("/v2/payouts")
        .query("location_id", location_id)
        .query("begin_time", timestamp(begin_time))
        .query("end_time", timestamp(end_time))
        .query("sort_order", "ASC")
        .query("limit", PAYOUTS_PAGE.to_string());
    match cursor {
        Some(cursor) => request.query("cursor", cursor),
        None => request,
    }
}

/// `POST /v2/labor/timecards/search`, ordered by shift start; `start_from` filters
/// `filter.start.start_at` (Square has no `updated_at` filter for timecards).
pub(crate) fn search_timecards(start_from: Option<DateTime<Utc>>, cursor: Option<&str>) -> ApiRequest {
    let mut query = json!({ "sort": { "field": "START_AT", "order": "ASC" } });
    if let Some(from) = start_from {
        query["filter"] = json!({ "start": { "start_at": timestamp(from) } });
    }
    post("/v2/labor/timecards/search", with_cursor(json!({ "limit": TIMECARDS_PAGE, "query": query }), cursor))
}

/// `GET /v2/bookings` of every location and team member starting within one window.
pub(crate) fn list_bookings(
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    cursor: Option<&str>,
) -> ApiRequest {
    let request = get("/v2/bookings")
        .query("limit", BOOKINGS_PAGE.to_string())
        .query("start_at_min", timestamp(window_start))
        .query("start_at_max", timestamp(window_end));
    match cursor {
        Some(cursor) => request.query("cursor", cursor),
        None => request,
    }
}
