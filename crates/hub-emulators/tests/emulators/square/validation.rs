//! Bad requests get Square's error envelope, with the HTTP status of the first error and the
//! field at fault: page sizes, cursors, `location_ids`, time ranges, tokens, scopes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::schema::Spec;
use super::{Reply, Square, all_time, all_time_and, two_shops};

fn refused(reply: &Reply, status: StatusCode, code: &str, field: Option<&str>) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.error(), (code.to_owned(), field.map(str::to_owned)), "{}", reply.text);
    let first = &reply.body["errors"][0];
    assert!(first["category"].is_string() && first["detail"].as_str().is_some_and(|d| !d.is_empty()), "{}", reply.text);
}

fn error_envelope_matches_spec(spec: Option<&Spec>, reply: &Reply) {
    if let Some(spec) = spec {
        let violations = spec.violations(spec.response_schema("get", "/v2/payments"), &reply.body);
        assert!(violations.is_empty(), "{violations:?}");
    }
}

#[tokio::test]
async fn page_sizes_follow_each_endpoints_rule() {
    let square = Square::start(&two_shops("MLLIMIT", 40, 2)).await;
    let location = square.location(0).to_owned();
    let spec = Spec::load();
    // Over the maximum is refused where the spec gives a maximum…
    let too_high = [
        square.get("/square/v2/customers", &[("limit", "101".into())]).await,
        square.post("/square/v2/customers/search", &json!({"limit": 101})).await,
        square.post("/square/v2/team-members/search", &json!({"limit": 201})).await,
        square.post("/square/v2/labor/timecards/search", &json!({"limit": 201})).await,
        square.post("/square/v2/orders/search", &json!({"location_ids": [location], "limit": 1001})).await,
        square.get("/square/v2/bookings", &[("limit", "101".into())]).await,
    ];
    for reply in &too_high {
        refused(reply, StatusCode::BAD_REQUEST, "VALUE_TOO_HIGH", Some("limit"));
        error_envelope_matches_spec(spec.as_ref(), reply);
    }
    refused(
        &square.get("/square/v2/customers", &[("limit", "0".into())]).await,
        StatusCode::BAD_REQUEST,
        "VALUE_TOO_LOW",
        Some("limit"),
    );
    refused(
        &square.get("/square/v2/payments", &[("limit", "ten".into())]).await,
        StatusCode::BAD_REQUEST,
        "EXPECTED_INTEGER",
        Some("limit"),
    );
    let typed = square.post("/square/v2/orders/search", &json!({"location_ids": [location], "limit": "ten"})).await;
    refused(&typed, StatusCode::BAD_REQUEST, "EXPECTED_INTEGER", Some("limit"));
    // …while ListPayments and ListPayouts ignore a larger one and use 100, and
    // ListPaymentRefunds returns at most 100, as the spec words them.
    let payments = square.get("/square/v2/payments", &all_time_and(&[("limit", "500")])).await;
    assert_eq!((payments.status, payments.items("payments").len()), (StatusCode::OK, 100));
    let orders = square.post("/square/v2/orders/search", &json!({"location_ids": [location], "limit": 1000})).await;
    assert!(orders.items("orders").len() > 100, "SearchOrders pages up to 1000");
    let default =
        square.post("/square/v2/orders/search", &json!({"location_ids": [location, square.location(1)]})).await;
    assert_eq!(default.items("orders").len(), 500, "SearchOrders defaults to 500");
    assert!(default.cursor().is_some());
    let refunds = square.get("/square/v2/refunds", &all_time_and(&[("limit", "500")])).await;
    assert_eq!(refunds.status, StatusCode::OK);
    assert!(refunds.items("refunds").len() <= 100);
    let team = square.post("/square/v2/team-members/search", &json!({})).await;
    assert!(team.cursor().is_none(), "a small team fits the default page of 100");
}

#[tokio::test]
async fn cursors_are_refused_when_garbled_or_reused_with_another_query() {
    let square = Square::start(&two_shops("MLCURSOR", 10, 4)).await;
    let first = square.get("/square/v2/payments", &all_time_and(&[("limit", "5")])).await;
    let cursor = first.cursor().expect("more than one page");
    let mut query = all_time_and(&[("limit", "5")]);
    query.push(("cursor", cursor.clone()));
    assert_eq!(square.get("/square/v2/payments", &query).await.status, StatusCode::OK, "the same query may go on");
    let mut bigger = all_time_and(&[("limit", "7")]);
    bigger.push(("cursor", cursor.clone()));
    assert_eq!(square.get("/square/v2/payments", &bigger).await.status, StatusCode::OK, "the page size may change");

    let mut other_order = all_time_and(&[("sort_order", "ASC")]);
    other_order.push(("cursor", cursor.clone()));
    refused(
        &square.get("/square/v2/payments", &other_order).await,
        StatusCode::BAD_REQUEST,
        "INVALID_CURSOR",
        Some("cursor"),
    );
    let mut other_endpoint = all_time();
    other_endpoint.push(("cursor", cursor.clone()));
    refused(
        &square.get("/square/v2/refunds", &other_endpoint).await,
        StatusCode::BAD_REQUEST,
        "INVALID_CURSOR",
        Some("cursor"),
    );
    let mut garbled = cursor.clone().into_bytes();
    let middle = garbled.len() / 2;
    garbled[middle] = if garbled[middle] == b'x' { b'y' } else { b'x' };
    let mut query = all_time_and(&[("limit", "5")]);
    query.push(("cursor", String::from_utf8(garbled).expect("ascii")));
    refused(
        &square.get("/square/v2/payments", &query).await,
        StatusCode::BAD_REQUEST,
        "INVALID_CURSOR",
        Some("cursor"),
    );
    let search = json!({"location_ids": [square.location(0)], "cursor": "bm90IGEgY3Vyc29y"});
    refused(
        &square.post("/square/v2/orders/search", &search).await,
        StatusCode::BAD_REQUEST,
        "INVALID_CURSOR",
        Some("cursor"),
    );

    // A cursor from another merchant's identical query is foreign too.
    let control = square.harness.state().square();
    control.configure_merchant(&two_shops("MLOTHER", 10, 4)).expect("configured");
    let token = control.issue_access_token("MLOTHER", &hub_emulators::SQUARE_DATA_SCOPES).expect("a token");
    let mut query = all_time_and(&[("limit", "5")]);
    query.push(("cursor", cursor));
    refused(
        &square.get_as(&token, "/square/v2/payments", &query).await,
        StatusCode::BAD_REQUEST,
        "INVALID_CURSOR",
        Some("cursor"),
    );
}

#[tokio::test]
async fn search_orders_needs_its_locations_and_the_sort_field_of_its_time_filter() {
    let square = Square::start(&two_shops("MLORDERS", 5, 5)).await;
    let path = "/square/v2/orders/search";
    refused(
        &square.post(path, &json!({})).await,
        StatusCode::BAD_REQUEST,
        "MISSING_REQUIRED_PARAMETER",
        Some("location_ids"),
    );
    refused(
        &square.post(path, &json!({"location_ids": []})).await,
        StatusCode::BAD_REQUEST,
        "MISSING_REQUIRED_PARAMETER",
        Some("location_ids"),
    );
    let eleven: Vec<String> = (0..11).map(|n| format!("L{n}")).collect();
    refused(
        &square.post(path, &json!({"location_ids": eleven})).await,
        StatusCode::BAD_REQUEST,
        "ARRAY_LENGTH_TOO_LONG",
        Some("location_ids"),
    );
    let foreign = json!({"location_ids": [square.location(0), "LNOTMINE"]});
    refused(&square.post(path, &foreign).await, StatusCode::NOT_FOUND, "NOT_FOUND", Some("location_ids[1]"));

    let location = square.location(0).to_owned();
    let window = json!({"start_at": "2025-06-01T00:00:00Z", "end_at": "2025-07-01T00:00:00Z"});
    let updated_default_sort =
        json!({"location_ids": [location], "query": {"filter": {"date_time_filter": {"updated_at": window}}}});
    refused(
        &square.post(path, &updated_default_sort).await,
        StatusCode::BAD_REQUEST,
        "INVALID_VALUE",
        Some("query.sort.sort_field"),
    );
    let mismatched = json!({
        "location_ids": [location],
        "query": {"filter": {"date_time_filter": {"closed_at": window}}, "sort": {"sort_field": "CREATED_AT"}},
    });
    refused(
        &square.post(path, &mismatched).await,
        StatusCode::BAD_REQUEST,
        "INVALID_VALUE",
        Some("query.sort.sort_field"),
    );
    let created_default_sort =
        json!({"location_ids": [location], "query": {"filter": {"date_time_filter": {"created_at": window}}}});
    assert_eq!(square.post(path, &created_default_sort).await.status, StatusCode::OK, "CREATED_AT is the default sort");
    let bad_state = json!({"location_ids": [location], "query": {"filter": {"state_filter": {"states": ["DONE"]}}}});
    refused(
        &square.post(path, &bad_state).await,
        StatusCode::BAD_REQUEST,
        "INVALID_ENUM_VALUE",
        Some("query.filter.state_filter.states[0]"),
    );
    let open_only = json!({"location_ids": [location], "query": {"filter": {"state_filter": {"states": ["OPEN"]}}}});
    assert_eq!(square.post(path, &open_only).await.body, json!({}), "every emulated order is COMPLETED");
    let bad_time = json!({"location_ids": [location], "query": {"filter": {"date_time_filter": {"created_at": {"start_at": "yesterday"}}}}});
    refused(
        &square.post(path, &bad_time).await,
        StatusCode::BAD_REQUEST,
        "INVALID_TIME",
        Some("query.filter.date_time_filter.created_at.start_at"),
    );
    let not_json = square
        .harness
        .http
        .post(square.harness.url(path))
        .bearer_auth(&square.token)
        .body("{nope")
        .send()
        .await
        .expect("answers");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bookings_ranges_times_and_locations_are_checked() {
    let square = Square::start(&two_shops("MLRANGE", 5, 6)).await;
    let path = "/square/v2/bookings";
    let range = |min: &str, max: &str| vec![("start_at_min", min.to_owned()), ("start_at_max", max.to_owned())];
    let reversed = square.get(path, &range("2025-06-20T00:00:00Z", "2025-06-10T00:00:00Z")).await;
    refused(&reversed, StatusCode::BAD_REQUEST, "INVALID_TIME_RANGE", Some("start_at_max"));
    let too_wide = square.get(path, &range("2025-06-01T00:00:00Z", "2025-07-02T00:00:01Z")).await;
    refused(&too_wide, StatusCode::BAD_REQUEST, "INVALID_TIME_RANGE", Some("start_at_max"));
    assert_eq!(
        square.get(path, &range("2025-06-01T00:00:00Z", "2025-07-02T00:00:00Z")).await.status,
        StatusCode::OK,
        "31 days is allowed"
    );
    let not_a_time = square.get(path, &[("start_at_min", "June 1st".to_owned())]).await;
    refused(&not_a_time, StatusCode::BAD_REQUEST, "INVALID_TIME", Some("start_at_min"));
    let elsewhere = square.get(path, &[("location_id", "LNOTMINE".to_owned())]).await;
    refused(&elsewhere, StatusCode::NOT_FOUND, "NOT_FOUND", Some("location_id"));
    refused(
        &square.get("/square/v2/payments", &[("begin_time", "soon".into())]).await,
        StatusCode::BAD_REQUEST,
        "INVALID_TIME",
        Some("begin_time"),
    );
    let backwards =
        [("begin_time", "2025-06-10T00:00:00Z".to_owned()), ("end_time", "2025-06-01T00:00:00Z".to_owned())];
    refused(
        &square.get("/square/v2/refunds", &backwards).await,
        StatusCode::BAD_REQUEST,
        "INVALID_TIME_RANGE",
        Some("begin_time"),
    );
    refused(
        &square.get("/square/v2/payments", &[("sort_order", "UP".into())]).await,
        StatusCode::BAD_REQUEST,
        "INVALID_SORT_ORDER",
        Some("sort_order"),
    );
    refused(
        &square.get("/square/v2/payouts", &[("status", "LOST".into())]).await,
        StatusCode::BAD_REQUEST,
        "INVALID_ENUM_VALUE",
        Some("status"),
    );
    let missing = square.get("/square/v2/payments/nope", &[]).await;
    refused(&missing, StatusCode::NOT_FOUND, "NOT_FOUND", None);
}

#[tokio::test]
async fn tokens_scopes_and_square_version_are_checked_first() {
    let square = Square::start(&two_shops("MLAUTH", 3, 7)).await;
    let url = square.harness.url("/square/v2/locations");
    let anonymous = square.harness.http.get(&url).send().await.expect("answers");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let body: Value = anonymous.json().await.expect("json");
    assert_eq!(
        (body["errors"][0]["category"].as_str(), body["errors"][0]["code"].as_str()),
        (Some("AUTHENTICATION_ERROR"), Some("UNAUTHORIZED"))
    );
    let wrong = square.get_as("EAAAnot-a-token", "/square/v2/locations", &[]).await;
    refused(&wrong, StatusCode::UNAUTHORIZED, "UNAUTHORIZED", None);
    let control = square.harness.state().square();
    let narrow = control.issue_access_token("MLAUTH", &["PAYMENTS_READ"]).expect("a token");
    let forbidden =
        square.post_as(&narrow, "/square/v2/orders/search", &json!({"location_ids": [square.location(0)]})).await;
    refused(&forbidden, StatusCode::FORBIDDEN, "INSUFFICIENT_SCOPES", None);
    assert_eq!(square.get_as(&narrow, "/square/v2/payments", &[]).await.status, StatusCode::OK);
    let bad_version = square
        .harness
        .http
        .get(&url)
        .bearer_auth(&square.token)
        .header("Square-Version", "last tuesday")
        .send()
        .await
        .expect("answers");
    assert_eq!(bad_version.status(), StatusCode::BAD_REQUEST);
    let without_version = square.harness.http.get(&url).bearer_auth(&square.token).send().await.expect("answers");
    assert_eq!(without_version.status(), StatusCode::OK, "Square-Version is optional");
    square.harness.state().revoke_all_tokens(hub_emulators::EmulatedProvider::Square);
    refused(&square.get("/square/v2/locations", &[]).await, StatusCode::UNAUTHORIZED, "ACCESS_TOKEN_REVOKED", None);
}
