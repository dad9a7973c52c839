//! The other models' walks: customers, refunds and timecards paging with their boundary in the
//! cursor, staff with the seller's locations, payouts location by location, bookings window by
//! window, and a failed page retried from its cursor.

use chrono::Duration;
use hub_core::records::{Model, RecordData};
use serde_json::{Value, json};

use super::super::{SquareConnector, SquareSettings};
use super::fake::{FakeSquare, ok, parameter, respond};
use super::{STARTED, at, catalog_answer, ids, request, walk};
use crate::source::{ConnectorError, FetchRequest, HttpMethod, SourceConnector, SyncMode};

#[tokio::test]
async fn a_failed_page_is_retried_from_the_same_cursor() {
    let limited = respond(
        429,
        &[("retry-after", "3")],
        json!({ "errors": [{ "category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED" }] }),
    );
    let flaky = FakeSquare::new().on(HttpMethod::Post, "/v2/customers/search", Some("c2"), &[], limited);
    let connector = SquareConnector::new();
    let first = connector
        .fetch(&customers_account(), request(Model::Customer, SyncMode::Full, None, None))
        .await
        .expect("page");
    let cursor = first.next_cursor.expect("more");
    let error = connector.fetch(&flaky, request(Model::Customer, SyncMode::Full, None, Some(&cursor))).await;
    assert!(matches!(error, Err(ConnectorError::Unavailable { retry_after: Some(wait), .. }) if wait.as_secs() == 3));
    let (rest, _) = walk(&connector, &customers_account(), Model::Customer, SyncMode::Full, None, Some(cursor))
        .await
        .expect("the same cursor works once Square recovers");
    assert_eq!(ids(&rest), ["C3"]);
}

fn customers_account() -> FakeSquare {
    let customer = |id: &str| json!({ "id": id, "given_name": "Ada", "created_at": "2025-01-01T00:00:00Z" });
    FakeSquare::new()
        .on(
            HttpMethod::Post,
            "/v2/customers/search",
            None,
            &[],
            ok(json!({ "customers": [customer("C1"), customer("C2")], "cursor": "c2" })),
        )
        .on(HttpMethod::Post, "/v2/customers/search", Some("c2"), &[], ok(json!({ "customers": [customer("C3")] })))
}

#[tokio::test]
async fn customers_refunds_and_timecards_page_with_their_boundary_in_the_cursor() {
    let since = at("2026-11-20T00:00:00Z");
    let connector = SquareConnector::new();
    let api = customers_account();
    let (records, _) =
        walk(&connector, &api, Model::Customer, SyncMode::Incremental, Some(since), None).await.expect("walks");
    assert_eq!(ids(&records), ["C1", "C2", "C3"]);
    for search in api.sent_to("/v2/customers/search") {
        assert_eq!(search.json.expect("body")["query"]["filter"]["updated_at"]["start_at"], "2026-11-20T00:00:00.000Z");
    }

    let refund = |id: &str| {
        json!({ "id": id, "status": "COMPLETED", "amount_money": { "amount": 500, "currency": "USD" },
                                     "created_at": "2026-11-21T00:00:00Z", "location_id": "L1" })
    };
    let api = FakeSquare::new()
        .on(HttpMethod::Get, "/v2/refunds", None, &[], ok(json!({ "refunds": [refund("R1")], "cursor": "r2" })))
        .on(HttpMethod::Get, "/v2/refunds", Some("r2"), &[], ok(json!({ "refunds": [refund("R2")] })));
    let (records, _) =
        walk(&connector, &api, Model::Refund, SyncMode::Incremental, Some(since), None).await.expect("walks");
    assert_eq!(ids(&records), ["R1", "R2"]);
    for call in api.sent_to("/v2/refunds") {
        assert_eq!(parameter(&call, "updated_at_begin_time").as_deref(), Some("2026-11-20T00:00:00.000Z"));
        assert_eq!(parameter(&call, "begin_time").as_deref(), Some("2013-01-01T00:00:00.000Z"));
        assert_eq!(
            parameter(&call, "end_time").as_deref(),
            Some("2026-11-24T12:00:00.000Z"),
            "pinned to the walk start"
        );
    }

    let card = |id: &str| {
        json!({ "id": id, "location_id": "L1", "team_member_id": "TM1", "start_at": "2026-11-19T09:00:00Z",
                                   "end_at": "2026-11-19T17:00:00Z", "status": "CLOSED" })
    };
    let api = FakeSquare::new()
        .on(
            HttpMethod::Post,
            "/v2/labor/timecards/search",
            None,
            &[],
            ok(json!({ "timecards": [card("T1")], "cursor": "t2" })),
        )
        .on(HttpMethod::Post, "/v2/labor/timecards/search", Some("t2"), &[], ok(json!({ "timecards": [card("T2")] })));
    let (records, _) =
        walk(&connector, &api, Model::Timecard, SyncMode::Incremental, Some(since), None).await.expect("walks");
    assert_eq!(ids(&records), ["T1", "T2"]);
    for search in api.sent_to("/v2/labor/timecards/search") {
        let start = search.json.expect("body")["query"]["filter"]["start"]["start_at"].clone();
        assert_eq!(start, "2026-11-06T00:00:00.000Z", "shifts that started in the 14 days before are read again");
    }
}

#[tokio::test]
async fn staff_assigned_everywhere_get_every_location_on_every_page() {
    let member = |id: &str, assigned: Value| json!({ "id": id, "status": "ACTIVE", "assigned_locations": assigned });
    let everywhere = json!({ "assignment_type": "ALL_CURRENT_AND_FUTURE_LOCATIONS" });
    let api = FakeSquare::new()
        .with_locations(&["L1", "L2"])
        .on(
            HttpMethod::Post,
            "/v2/team-members/search",
            None,
            &[],
            ok(json!({ "team_members": [member("TM1", json!({ "location_ids": ["L2"] }))], "cursor": "s2" })),
        )
        .on(
            HttpMethod::Post,
            "/v2/team-members/search",
            Some("s2"),
            &[],
            ok(json!({ "team_members": [member("TM2", everywhere)] })),
        );
    let (records, _) =
        walk(&SquareConnector::new(), &api, Model::StaffMember, SyncMode::Incremental, Some(at(STARTED)), None)
            .await
            .expect("walks");
    let locations: Vec<Vec<String>> = records
        .iter()
        .map(|record| match &record.data {
            RecordData::StaffMember(member) => member.provider_location_ids.clone(),
            other => panic!("not staff: {other:?}"),
        })
        .collect();
    assert_eq!(locations, [vec!["L2".to_owned()], vec!["L1".to_owned(), "L2".to_owned()]]);
    assert_eq!(api.sent_to("/v2/locations").len(), 1);
}

#[tokio::test]
async fn payouts_are_read_location_by_location_from_a_trailing_window() {
    let payout = |id: &str, location: &str| {
        json!({ "id": id, "location_id": location, "status": "PAID",
                                                     "amount_money": { "amount": 10_000, "currency": "USD" },
                                                     "created_at": "2026-11-22T00:00:00Z" })
    };
    let api = FakeSquare::new()
        .with_locations(&["L1", "L2"])
        .on(
            HttpMethod::Get,
            "/v2/payouts",
            None,
            &[("location_id", "L1")],
            ok(json!({ "payouts": [payout("P1", "L1")], "cursor": "q2" })),
        )
        .on(
            HttpMethod::Get,
            "/v2/payouts",
            Some("q2"),
            &[("location_id", "L1")],
            ok(json!({ "payouts": [payout("P2", "L1")] })),
        )
        .on(
            HttpMethod::Get,
            "/v2/payouts",
            None,
            &[("location_id", "L2")],
            ok(json!({ "payouts": [payout("P3", "L2")] })),
        );
    let since = at("2026-11-20T00:00:00Z");
    let (records, cursors) =
        walk(&SquareConnector::new(), &api, Model::Payout, SyncMode::Incremental, Some(since), None)
            .await
            .expect("walks");
    assert_eq!((ids(&records), cursors.len()), (vec!["P1", "P2", "P3"], 2));
    let calls = api.sent_to("/v2/payouts");
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|call| parameter(call, "begin_time").as_deref() == Some("2026-11-06T00:00:00.000Z")));
    assert!(calls.iter().all(|call| parameter(call, "end_time").as_deref() == Some("2026-11-24T12:00:00.000Z")));

    let full = walk(&SquareConnector::new(), &api, Model::Payout, SyncMode::Full, None, None).await.expect("walks");
    assert_eq!(full.0.len(), 3);
    let last = api.sent_to("/v2/payouts").pop().expect("sent");
    assert_eq!(parameter(&last, "begin_time").as_deref(), Some("2013-01-01T00:00:00.000Z"), "full: from history start");
}

fn booking(id: &str, start: &str) -> Value {
    json!({ "id": id, "status": "ACCEPTED", "start_at": start, "location_id": "L1", "customer_id": "C1",
            "updated_at": "2026-11-01T00:00:00Z",
            "appointment_segments": [{ "duration_minutes": 30, "service_variation_id": "VAR_FADE", "team_member_id": "TM1" }] })
}

#[tokio::test]
async fn bookings_walk_31_day_windows_from_history_into_the_coming_weeks() {
    let started = at(STARTED);
    let settings = SquareSettings {
        history_start: started - Duration::days(40),
        trailing_window: Duration::days(14),
        appointment_horizon: Duration::days(30),
    };
    let window = |days: i64| super::super::requests::timestamp(started - Duration::days(40) + Duration::days(days));
    let (w0, w31, w62) = (window(0), window(31), window(62));
    let boundary = window(31);
    let api = FakeSquare::new()
        .with_locations(&["L1"])
        .on(
            HttpMethod::Get,
            "/v2/bookings",
            None,
            &[("start_at_min", &w0)],
            ok(json!({ "bookings": [booking("B1", &window(1))], "cursor": "b2" })),
        )
        .on(
            HttpMethod::Get,
            "/v2/bookings",
            Some("b2"),
            &[("start_at_min", &w0)],
            // Square's windows include their end: the booking at the boundary comes in both.
            ok(json!({ "bookings": [booking("B_EDGE", &boundary)] })),
        )
        .on(
            HttpMethod::Get,
            "/v2/bookings",
            None,
            &[("start_at_min", &w31)],
            ok(json!({ "bookings": [booking("B_EDGE", &boundary), booking("B2", &window(40))] })),
        )
        .on(
            HttpMethod::Get,
            "/v2/bookings",
            None,
            &[("start_at_min", &w62)],
            ok(json!({ "bookings": [booking("B3", &window(69))] })),
        )
        .on(HttpMethod::Post, "/v2/catalog/batch-retrieve", None, &[], ok(catalog_answer()));
    let connector = SquareConnector::with_settings(settings);
    let (records, _) = walk(&connector, &api, Model::Appointment, SyncMode::Full, None, None).await.expect("walks");
    assert_eq!(ids(&records), ["B1", "B_EDGE", "B2", "B3"], "each booking once");
    let windows: Vec<(Option<String>, Option<String>)> = api
        .sent_to("/v2/bookings")
        .iter()
        .map(|call| (parameter(call, "start_at_min"), parameter(call, "start_at_max")))
        .collect();
    let end = super::super::requests::timestamp(started + Duration::days(30));
    assert_eq!(
        windows,
        [
            (Some(w0.clone()), Some(w31.clone())),
            (Some(w0), Some(w31.clone())),
            (Some(w31), Some(w62.clone())),
            (Some(w62), Some(end)),
        ]
    );
    let RecordData::Appointment(first) = &records[0].data else { panic!("an appointment") };
    assert_eq!(first.services, ["Skin Fade (Regular)"]);
}

#[tokio::test]
async fn incremental_bookings_start_a_trailing_window_before_the_last_sync() {
    let since = at("2026-11-23T00:00:00Z");
    let api = FakeSquare::new().on(HttpMethod::Get, "/v2/bookings", None, &[], ok(json!({ "bookings": [] })));
    let connector = SquareConnector::new();
    let (records, cursors) =
        walk(&connector, &api, Model::Appointment, SyncMode::Incremental, Some(since), None).await.expect("walks");
    assert!(records.is_empty());
    let calls = api.sent_to("/v2/bookings");
    assert_eq!(calls.len(), cursors.len() + 1);
    assert_eq!(parameter(&calls[0], "start_at_min").as_deref(), Some("2026-11-09T00:00:00.000Z"));
    let last = calls.last().expect("sent");
    assert_eq!(parameter(last, "start_at_max").as_deref(), Some("2027-02-22T12:00:00.000Z"), "90 days past the start");
    assert_eq!(calls.len(), 4, "105 days in 31-day windows");
    assert!(api.sent_to("/v2/catalog/batch-retrieve").is_empty(), "no services, no lookup");
}

#[tokio::test]
async fn a_resumed_walk_sends_the_query_its_cursor_belongs_to_whenever_it_resumes() {
    let refund = json!({ "id": "R1", "status": "COMPLETED", "amount_money": { "amount": 1, "currency": "USD" },
                         "created_at": "2026-11-21T00:00:00Z" });
    let api = FakeSquare::new()
        .with_locations(&["L1"])
        .on(HttpMethod::Get, "/v2/refunds", None, &[], ok(json!({ "refunds": [refund.clone()], "cursor": "r2" })))
        .on(HttpMethod::Get, "/v2/refunds", Some("r2"), &[], ok(json!({ "refunds": [] })));
    let connector = SquareConnector::new();
    let first = connector.fetch(&api, request(Model::Refund, SyncMode::Full, None, None)).await.expect("page");
    let cursor = first.next_cursor.expect("more");
    // The engine resumes a day later, after a restart, with a new clock and different settings.
    let later = SquareConnector::with_settings(SquareSettings {
        history_start: at("2020-01-01T00:00:00Z"),
        ..SquareSettings::default()
    });
    let resumed = FetchRequest {
        started_at: at("2026-11-25T12:00:00Z"),
        ..request(Model::Refund, SyncMode::Full, None, Some(&cursor))
    };
    later.fetch(&api, resumed).await.expect("page");
    let calls = api.sent_to("/v2/refunds");
    let without_cursor = |call: &crate::source::ApiRequest| {
        call.query.iter().filter(|(key, _)| key != "cursor").cloned().collect::<Vec<_>>()
    };
    assert_eq!(without_cursor(&calls[0]), without_cursor(&calls[1]));
}

#[tokio::test]
async fn full_history_starts_when_the_seller_opened_its_first_location() {
    let locations = json!({ "locations": [
        { "id": "L1", "status": "ACTIVE", "created_at": "2026-09-01T00:00:00Z" },
        { "id": "L2", "status": "ACTIVE", "created_at": "2026-10-15T00:00:00Z" },
    ] });
    let api = FakeSquare::new()
        .on(HttpMethod::Get, "/v2/locations", None, &[], ok(locations))
        .on(HttpMethod::Get, "/v2/bookings", None, &[], ok(json!({ "bookings": [] })))
        .on(HttpMethod::Get, "/v2/refunds", None, &[], ok(json!({ "refunds": [] })));
    let connector = SquareConnector::new();
    walk(&connector, &api, Model::Appointment, SyncMode::Full, None, None).await.expect("walks");
    let first = api.sent_to("/v2/bookings").remove(0);
    assert_eq!(parameter(&first, "start_at_min").as_deref(), Some("2026-09-01T00:00:00.000Z"), "not 2013");
    assert!(api.sent_to("/v2/bookings").len() < 10, "months of windows, not years");
    connector.fetch(&api, request(Model::Refund, SyncMode::Full, None, None)).await.expect("page");
    let refunds = api.sent_to("/v2/refunds").remove(0);
    assert_eq!(parameter(&refunds, "begin_time").as_deref(), Some("2026-09-01T00:00:00.000Z"));
}
