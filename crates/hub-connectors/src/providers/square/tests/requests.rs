//! The requests, as Square documents them: paths, `Square-Version`, page sizes, filters, sorts.

use serde_json::json;

use super::super::requests::{self, SQUARE_VERSION};
use super::at;
use crate::source::{ApiRequest, HttpMethod};

fn query(request: &ApiRequest) -> Vec<(&str, &str)> {
    request.query.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect()
}

#[test]
fn every_request_pins_the_api_version() {
    let since = Some(at("2026-11-01T00:00:00Z"));
    let all = [
        requests::list_locations(),
        requests::search_team_members(None),
        requests::search_customers(since, None),
        requests::search_orders(&["L1".into()], since, None),
        requests::batch_retrieve_catalog(&["V1".into()]),
        requests::list_refunds(at("2013-01-01T00:00:00Z"), at("2026-11-24T12:00:00Z"), since, None),
        requests::list_payouts("L1", at("2026-11-01T00:00:00Z"), at("2026-11-24T12:00:00Z"), None),
        requests::search_timecards(since, None),
        requests::list_bookings(at("2026-11-01T00:00:00Z"), at("2026-12-02T00:00:00Z"), None),
    ];
    assert_eq!(SQUARE_VERSION, "2025-08-20");
    for request in all {
        assert_eq!(request.headers, [("Square-Version".to_owned(), "2025-08-20".to_owned())], "{}", request.path);
        assert!(!request.idempotent_write, "reads only");
    }
}

#[test]
fn locations_and_team_members() {
    let locations = requests::list_locations();
    assert_eq!(
        (locations.method, locations.path.as_str(), locations.json.as_ref()),
        (HttpMethod::Get, "/v2/locations", None)
    );
    let first = requests::search_team_members(None);
    assert_eq!((first.method, first.path.as_str()), (HttpMethod::Post, "/v2/team-members/search"));
    assert_eq!(first.json, Some(json!({ "limit": 200 })), "no filter: every status, every location");
    assert_eq!(requests::search_team_members(Some("c2")).json, Some(json!({ "limit": 200, "cursor": "c2" })));
}

#[test]
fn customers_page_by_creation_and_filter_updates_when_incremental() {
    let full = requests::search_customers(None, None);
    assert_eq!(full.path, "/v2/customers/search");
    assert_eq!(
        full.json,
        Some(json!({ "limit": 100, "query": { "sort": { "field": "CREATED_AT", "order": "ASC" } } }))
    );
    let incremental = requests::search_customers(Some(at("2026-11-01T12:00:00Z")), Some("next"));
    assert_eq!(
        incremental.json,
        Some(json!({
            "limit": 100,
            "cursor": "next",
            "query": {
                "filter": { "updated_at": { "start_at": "2026-11-01T12:00:00.000Z" } },
                "sort": { "field": "CREATED_AT", "order": "ASC" }
            }
        }))
    );
}

#[test]
fn orders_search_completed_orders_of_up_to_ten_locations() {
    let ids: Vec<String> = (1..=10).map(|n| format!("L{n}")).collect();
    let full = requests::search_orders(&ids, None, None);
    assert_eq!((full.method, full.path.as_str()), (HttpMethod::Post, "/v2/orders/search"));
    assert_eq!(
        full.json,
        Some(json!({
            "location_ids": ids,
            "limit": 1000,
            "return_entries": false,
            "query": { "filter": { "state_filter": { "states": ["COMPLETED"] } },
                       "sort": { "sort_field": "CREATED_AT", "sort_order": "ASC" } }
        }))
    );
    let incremental = requests::search_orders(&ids[..2], Some(at("2026-11-20T00:00:00Z")), Some("page-2"));
    let body = incremental.json.expect("a body");
    assert_eq!(body["cursor"], "page-2");
    assert_eq!(body["location_ids"], json!(["L1", "L2"]));
    assert_eq!(
        body["query"],
        json!({
            "filter": { "state_filter": { "states": ["COMPLETED"] },
                        "date_time_filter": { "updated_at": { "start_at": "2026-11-20T00:00:00.000Z" } } },
            "sort": { "sort_field": "UPDATED_AT", "sort_order": "ASC" }
        }),
        "Square requires the sort field to match the time filter"
    );
}

#[test]
fn the_catalog_lookup_asks_for_parent_items_and_deleted_variations() {
    let request = requests::batch_retrieve_catalog(&["V1".into(), "V2".into()]);
    assert_eq!((request.method, request.path.as_str()), (HttpMethod::Post, "/v2/catalog/batch-retrieve"));
    assert_eq!(
        request.json,
        Some(json!({ "object_ids": ["V1", "V2"], "include_related_objects": true, "include_deleted_objects": true }))
    );
}

#[test]
fn refunds_span_history_start_to_the_walk_start_and_filter_updates_when_incremental() {
    let (history, started) = (at("2013-01-01T00:00:00Z"), at("2026-11-24T12:00:00Z"));
    let full = requests::list_refunds(history, started, None, None);
    assert_eq!((full.method, full.path.as_str()), (HttpMethod::Get, "/v2/refunds"));
    assert_eq!(
        query(&full),
        [
            ("begin_time", "2013-01-01T00:00:00.000Z"),
            ("end_time", "2026-11-24T12:00:00.000Z"),
            ("sort_field", "CREATED_AT"),
            ("sort_order", "ASC"),
            ("limit", "100")
        ]
    );
    let incremental = requests::list_refunds(history, started, Some(at("2026-11-20T08:00:00Z")), Some("c"));
    assert_eq!(
        query(&incremental),
        [
            ("begin_time", "2013-01-01T00:00:00.000Z"),
            ("end_time", "2026-11-24T12:00:00.000Z"),
            ("updated_at_begin_time", "2026-11-20T08:00:00.000Z"),
            ("sort_field", "UPDATED_AT"),
            ("sort_order", "ASC"),
            ("limit", "100"),
            ("cursor", "c"),
        ]
    );
}

#[test]
fn payouts_are_listed_per_location() {
    let request =
        requests::list_payouts("L_DOWNTOWN", at("2026-11-06T00:00:00Z"), at("2026-11-24T12:00:00Z"), Some("c3"));
    assert_eq!((request.method, request.path.as_str()), (HttpMethod::Get, "/v2/payouts"));
    assert_eq!(
        query(&request),
        [
            ("location_id", "L_DOWNTOWN"),
            ("begin_time", "2026-11-06T00:00:00.000Z"),
            ("end_time", "2026-11-24T12:00:00.000Z"),
            ("sort_order", "ASC"),
            ("limit", "100"),
            ("cursor", "c3"),
        ]
    );
}

#[test]
fn timecards_page_by_start_and_filter_on_start_when_incremental() {
    let full = requests::search_timecards(None, None);
    assert_eq!((full.method, full.path.as_str()), (HttpMethod::Post, "/v2/labor/timecards/search"));
    assert_eq!(full.json, Some(json!({ "limit": 200, "query": { "sort": { "field": "START_AT", "order": "ASC" } } })));
    let window = requests::search_timecards(Some(at("2026-11-06T00:00:00Z")), Some("c"));
    assert_eq!(
        window.json,
        Some(json!({
            "limit": 200,
            "cursor": "c",
            "query": { "filter": { "start": { "start_at": "2026-11-06T00:00:00.000Z" } },
                       "sort": { "field": "START_AT", "order": "ASC" } }
        }))
    );
}

#[test]
fn bookings_are_listed_one_start_window_at_a_time() {
    let request = requests::list_bookings(at("2026-11-01T00:00:00Z"), at("2026-12-02T00:00:00Z"), None);
    assert_eq!((request.method, request.path.as_str()), (HttpMethod::Get, "/v2/bookings"));
    assert_eq!(
        query(&request),
        [("limit", "100"), ("start_at_min", "2026-11-01T00:00:00.000Z"), ("start_at_max", "2026-12-02T00:00:00.000Z")]
    );
}
