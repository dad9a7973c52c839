//! Every data endpoint, called with a range of parameters over several pages, answers bodies
//! that validate against the official spec's 200 schema for that operation; the bodies cover
//! the optional parts (refunds, discounts, taxes, service charges, cash, statuses) so the
//! validation is not vacuous.

use std::collections::BTreeSet;

use hub_emulators::SquareCustomerUpdate;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::schema::Spec;
use super::{Reply, Square, all_time, all_time_and, two_shops};

/// How many pages of each query are fetched and validated.
const PAGES: usize = 3;

struct Checker<'a> {
    spec: &'a Spec,
    square: &'a Square,
    bodies: Vec<(String, Value)>,
}

impl Checker<'_> {
    fn validate(&mut self, method: &str, path: &str, label: &str, reply: &Reply) {
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text);
        let violations = self.spec.violations(self.spec.response_schema(method, path), &reply.body);
        assert!(violations.is_empty(), "{label} departs from the spec:\n{}", violations.join("\n"));
        self.bodies.push((path.to_owned(), reply.body.clone()));
    }

    /// Up to `PAGES` pages of a GET list, each validated; returns how many items came back.
    async fn get(&mut self, path: &str, query: &[(&str, String)], field: &str) -> usize {
        let mut cursor: Option<String> = None;
        let mut items = 0;
        for page in 0..PAGES {
            let mut query = query.to_vec();
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.clone()));
            }
            let reply = self.square.get(&format!("/square{path}"), &query).await;
            self.validate("get", path, &format!("GET {path} {query:?} page {page}"), &reply);
            items += reply.items(field).len();
            cursor = reply.cursor();
            if cursor.is_none() {
                break;
            }
        }
        items
    }

    /// Up to `PAGES` pages of a POST search, each validated.
    async fn post(&mut self, path: &str, body: Value, field: &str) -> usize {
        let mut cursor: Option<String> = None;
        let mut items = 0;
        for page in 0..PAGES {
            let mut body = body.clone();
            if let Some(cursor) = &cursor {
                body["cursor"] = json!(cursor);
            }
            let reply = self.square.post(&format!("/square{path}"), &body).await;
            self.validate("post", path, &format!("POST {path} {body} page {page}"), &reply);
            items += reply.items(field).len();
            cursor = reply.cursor();
            if cursor.is_none() {
                break;
            }
        }
        items
    }

    /// Every key path (`orders[].refunds[].status`) seen in the bodies of `path`.
    fn shapes(&self, path: &str) -> BTreeSet<String> {
        fn walk(value: &Value, at: String, out: &mut BTreeSet<String>) {
            match value {
                Value::Object(map) => {
                    for (key, inner) in map {
                        let next = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                        out.insert(next.clone());
                        walk(inner, next, out);
                    }
                }
                Value::Array(items) => items.iter().for_each(|item| walk(item, format!("{at}[]"), out)),
                Value::String(text) => {
                    out.insert(format!("{at}={text}"));
                }
                _ => {}
            }
        }
        let mut shapes = BTreeSet::new();
        for (seen, body) in &self.bodies {
            if seen == path {
                walk(body, String::new(), &mut shapes);
            }
        }
        shapes
    }
}

fn range(start: &str, end: &str) -> Value {
    json!({"start_at": start, "end_at": end})
}

#[tokio::test]
async fn every_endpoint_answers_in_the_shape_the_official_spec_declares() {
    let Some(spec) = Spec::load() else { return };
    let square = Square::start(&two_shops("MLSPEC", 21, 3)).await;
    let control = square.harness.state().square();
    // Changes, so that refunds made now and edited profiles are in the bodies too.
    let (payments, _) = square.walk_get("/square/v2/payments", &all_time(), "payments").await;
    let unrefunded: Vec<String> = payments
        .iter()
        .filter(|payment| payment.get("refunded_money").is_none())
        .map(|payment| payment["id"].as_str().expect("an id").to_owned())
        .collect();
    let cash = payments.iter().find(|payment| payment["source_type"] == "CASH").expect("a cash payment");
    let looked_up = [unrefunded[3].clone(), unrefunded[5].clone(), cash["id"].as_str().expect("an id").to_owned()];
    control.refund_payment("MLSPEC", &unrefunded[3], Some(100)).expect("a partial refund");
    control.refund_payment("MLSPEC", &unrefunded[5], None).expect("a full refund");
    let customers = control.customer_ids("MLSPEC");
    let before_update = chrono::Utc::now() - chrono::Duration::seconds(1);
    let update = SquareCustomerUpdate { note: Some("Moved to Queens".into()), ..SquareCustomerUpdate::default() };
    control.update_customer("MLSPEC", &customers[2], update).expect("an update");
    control.delete_customer("MLSPEC", &customers[4]).expect("a deletion");
    control.add_orders("MLSPEC", square.location(1), 3).expect("new orders");

    let mut check = Checker { spec: &spec, square: &square, bodies: Vec::new() };
    let (first, second) = (square.location(0).to_owned(), square.location(1).to_owned());
    let with = all_time_and;

    assert_eq!(check.get("/v2/locations", &[], "locations").await, 2);
    let me = square.get("/square/v2/merchants/me", &[]).await;
    check.validate("get", "/v2/merchants/{merchant_id}", "GET /v2/merchants/me", &me);
    assert_eq!(
        (me.body["merchant"]["main_location_id"].as_str(), me.body["merchant"]["business_name"].as_str()),
        (Some(first.as_str()), Some("Clipper Kings"))
    );

    let team = "/v2/team-members/search";
    assert!(check.post(team, json!({}), "team_members").await >= 7);
    assert!(check.post(team, json!({"limit": 2}), "team_members").await > 0);
    assert_eq!(check.post(team, json!({"query": {"filter": {"status": "INACTIVE"}}}), "team_members").await, 1);
    let at_first = json!({"limit": 3, "query": {"filter": {"location_ids": [first], "status": "ACTIVE"}}});
    assert!(check.post(team, at_first, "team_members").await >= 3);
    assert_eq!(check.post(team, json!({"query": {"filter": {"is_owner": true}}}), "team_members").await, 1);

    assert!(check.get("/v2/customers", &[("limit", "7".into())], "customers").await > 0);
    let newest = [
        ("limit", "50".to_owned()),
        ("sort_field", "CREATED_AT".into()),
        ("sort_order", "DESC".into()),
        ("count", "true".into()),
    ];
    assert!(check.get("/v2/customers", &newest, "customers").await > 0);
    let search = "/v2/customers/search";
    let filtered = json!({
        "limit": 20, "count": true,
        "query": {
            "filter": {"created_at": range("2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), "updated_at": range("2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z")},
            "sort": {"field": "CREATED_AT", "order": "ASC"},
        },
    });
    assert!(check.post(search, filtered, "customers").await > 0);
    assert!(
        check
            .post(search, json!({"query": {"filter": {"email_address": {"fuzzy": "example.net"}}}}), "customers")
            .await
            > 0
    );
    let edited = json!({"query": {"filter": {"updated_at": {"start_at": before_update.to_rfc3339()}}}});
    assert_eq!(check.post(search, edited, "customers").await, 1);

    let orders = "/v2/orders/search";
    let by_close = json!({"location_ids": [first, second], "limit": 50, "query": {"sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"}}});
    assert_eq!(check.post(orders, by_close, "orders").await, 150);
    let entries = json!({"location_ids": [second], "limit": 40, "return_entries": true});
    assert_eq!(check.post(orders, entries, "order_entries").await, 120);
    let updated = json!({
        "location_ids": [first], "limit": 100,
        "query": {
            "filter": {"date_time_filter": {"updated_at": range("2025-06-20T00:00:00Z", "2030-01-01T00:00:00Z")}, "state_filter": {"states": ["COMPLETED"]}},
            "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
        },
    });
    assert!(check.post(orders, updated, "orders").await > 0);

    let sold: Vec<String> = check
        .bodies
        .iter()
        .filter(|(path, _)| path == orders)
        .flat_map(|(_, body)| body["orders"].as_array().cloned().unwrap_or_default())
        .flat_map(|order| order["line_items"].as_array().cloned().unwrap_or_default())
        .filter_map(|line| line["catalog_object_id"].as_str().map(str::to_owned))
        .collect();
    let mut menu = sold.clone();
    menu.sort();
    menu.dedup();
    assert!(menu.len() > 5, "orders name several menu items");
    let retrieve = json!({"object_ids": menu, "include_related_objects": true});
    let catalog = square.post("/square/v2/catalog/batch-retrieve", &retrieve).await;
    check.validate("post", "/v2/catalog/batch-retrieve", "POST /v2/catalog/batch-retrieve", &catalog);
    let objects = catalog.body["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), menu.len(), "every sold variation is in the catalog");
    let related = catalog.body["related_objects"].as_array().expect("related_objects");
    assert!(related.iter().any(|item| item["item_data"]["product_type"] == "APPOINTMENTS_SERVICE"));
    assert!(related.iter().any(|item| item["item_data"]["product_type"] == "REGULAR"));
    assert!(objects.iter().all(|object| object["type"] == "ITEM_VARIATION"));
    let unknown = square.post("/square/v2/catalog/batch-retrieve", &json!({"object_ids": ["NOPE"]})).await;
    assert_eq!((unknown.status, unknown.body.get("objects")), (StatusCode::OK, None), "unknown ids are left out");
    let empty = square.post("/square/v2/catalog/batch-retrieve", &json!({})).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    assert_eq!(check.get("/v2/payments", &with(&[("limit", "30")]), "payments").await, 90);
    let second_by_update = with(&[("location_id", &second), ("sort_field", "UPDATED_AT"), ("sort_order", "ASC")]);
    assert!(check.get("/v2/payments", &second_by_update, "payments").await > 0);
    assert!(check.get("/v2/payments", &with(&[("card_brand", "VISA")]), "payments").await > 0);
    for id in looked_up {
        let reply = square.get(&format!("/square/v2/payments/{id}"), &[]).await;
        check.validate("get", "/v2/payments/{payment_id}", &format!("GET payment {id}"), &reply);
    }

    assert!(check.get("/v2/refunds", &with(&[("limit", "5")]), "refunds").await >= 2);
    assert!(
        check.get("/v2/refunds", &with(&[("sort_field", "UPDATED_AT"), ("location_id", &first)]), "refunds").await > 0
    );

    assert!(check.get("/v2/payouts", &with(&[("limit", "5")]), "payouts").await > 0);
    assert!(
        check
            .get(
                "/v2/payouts",
                &with(&[("location_id", &second), ("status", "PAID"), ("sort_order", "ASC")]),
                "payouts"
            )
            .await
            > 0
    );

    let timecards = "/v2/labor/timecards/search";
    assert_eq!(check.post(timecards, json!({"limit": 20}), "timecards").await, 60);
    let workday = json!({
        "query": {
            "filter": {"location_ids": [second], "workday": {"date_range": {"start_date": "2025-06-20", "end_date": "2025-06-27"}, "match_timecards_by": "START_AT"}},
            "sort": {"field": "END_AT", "order": "ASC"},
        },
    });
    assert!(check.post(timecards, workday, "timecards").await > 0);

    let past = [
        ("start_at_min", "2025-06-15T00:00:00Z".to_owned()),
        ("start_at_max", "2025-07-15T00:00:00Z".to_owned()),
        ("limit", "20".to_owned()),
    ];
    assert!(check.get("/v2/bookings", &past, "bookings").await > 0);
    let mut at_second = past.to_vec();
    at_second.push(("location_id", second.clone()));
    assert!(check.get("/v2/bookings", &at_second, "bookings").await > 0);

    // The optional parts were exercised, so the schemas were checked where it matters.
    let order_shapes = check.shapes("/v2/orders/search");
    for expected in [
        "orders[].refunds[].status=APPROVED",
        "orders[].discounts[].scope=ORDER",
        "orders[].taxes[].type=ADDITIVE",
        "orders[].service_charges[].calculation_phase=SUBTOTAL_PHASE",
        "orders[].tenders[].type=CASH",
        "orders[].tenders[].type=CARD",
        "orders[].line_items[].applied_discounts[].applied_money",
        "orders[].line_items[].applied_taxes[].applied_money",
        "order_entries[].version",
    ] {
        assert!(order_shapes.contains(expected), "no `{expected}` in any order body");
    }
    let booking_shapes = check.shapes("/v2/bookings");
    for status in ["ACCEPTED", "NO_SHOW", "CANCELLED_BY_CUSTOMER"] {
        assert!(booking_shapes.contains(&format!("bookings[].status={status}")), "no {status} booking");
    }
    let payment_shapes = check.shapes("/v2/payments/{payment_id}");
    assert!(payment_shapes.contains("payment.refunded_money") && payment_shapes.contains("payment.refund_ids"));
    assert!(check.shapes("/v2/labor/timecards/search").contains("timecards[].breaks[].expected_duration=PT30M"));
    assert!(check.shapes("/v2/customers/search").contains("customers[].note=Moved to Queens"));
}

#[tokio::test]
async fn every_emulated_endpoint_checks_the_scope_the_spec_names() {
    let Some(spec) = Spec::load() else { return };
    let square = Square::start(&two_shops("MLSCOPE", 3, 1)).await;
    let operations = [
        ("get", "/v2/locations", "MERCHANT_PROFILE_READ"),
        ("post", "/v2/team-members/search", "EMPLOYEES_READ"),
        ("get", "/v2/customers", "CUSTOMERS_READ"),
        ("post", "/v2/customers/search", "CUSTOMERS_READ"),
        ("post", "/v2/orders/search", "ORDERS_READ"),
        ("get", "/v2/payments", "PAYMENTS_READ"),
        ("get", "/v2/refunds", "PAYMENTS_READ"),
        ("post", "/v2/labor/timecards/search", "TIMECARDS_READ"),
        ("get", "/v2/bookings", "APPOINTMENTS_READ"),
        ("post", "/v2/catalog/batch-retrieve", "ITEMS_READ"),
    ];
    let control = square.harness.state().square();
    for (method, path, scope) in operations {
        assert_eq!(spec.scopes(method, path), vec![scope.to_owned()], "{method} {path}");
        let others: Vec<&str> = hub_emulators::SQUARE_DATA_SCOPES.iter().copied().filter(|s| *s != scope).collect();
        let token = control.issue_access_token("MLSCOPE", &others).expect("a token");
        let reply = match method {
            "get" => square.get_as(&token, &format!("/square{path}"), &[]).await,
            _ => square.post_as(&token, &format!("/square{path}"), &json!({})).await,
        };
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path} without {scope}");
        assert_eq!(reply.error().0, "INSUFFICIENT_SCOPES");
        assert!(reply.body["errors"][0]["detail"].as_str().is_some_and(|d| d.contains(scope)), "{}", reply.text);
    }
    // ListPayouts names no scope in its security block, but its description asks for
    // PAYOUTS_READ; the emulator checks that one.
    assert!(spec.scopes("get", "/v2/payouts").is_empty());
    let token = control.issue_access_token("MLSCOPE", &["MERCHANT_PROFILE_READ"]).expect("a token");
    assert_eq!(square.get_as(&token, "/square/v2/payouts", &[]).await.status, StatusCode::FORBIDDEN);
}
