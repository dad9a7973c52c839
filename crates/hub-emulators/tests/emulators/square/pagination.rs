//! Keyset pagination: every list, walked with several page sizes, returns each record exactly
//! once, in order, matching the oracle counts; and changes during a walk never make it skip.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use serde_json::{Value, json};

use super::{Square, all_time, all_time_and, end_date, ids, two_shops};

fn unique(items: &[Value], what: &str) -> BTreeSet<String> {
    let ids = ids(items);
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "{what}: a record came back twice");
    set
}

fn ordered(items: &[Value], field: &str, ascending: bool, what: &str) {
    let instant = |item: &Value| {
        chrono::DateTime::parse_from_rfc3339(item[field].as_str().expect("a timestamp")).expect("RFC 3339")
    };
    let keys: Vec<_> = items.iter().map(instant).collect();
    let sorted = keys.windows(2).all(|pair| if ascending { pair[0] <= pair[1] } else { pair[0] >= pair[1] });
    assert!(sorted, "{what} is not sorted by {field}");
}

#[tokio::test]
async fn every_list_walks_every_record_exactly_once_at_any_page_size() {
    let square = Square::start(&two_shops("MLWALK", 7, 8)).await;
    let counts = square.harness.state().square().counts("MLWALK");
    let locations: Vec<String> = square.locations.iter().map(|l| l.id.clone()).collect();
    for size in [1usize, 7, 64] {
        let limit = size.to_string();
        let body = json!({"location_ids": locations, "limit": size, "query": {"sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"}}});
        let (orders, pages) = square.walk_post("/square/v2/orders/search", &body, "orders").await;
        assert_eq!(unique(&orders, "orders").len() as u64, counts.orders, "orders at {size}");
        assert!(pages.iter().all(|page| page.items("orders").len() <= size));
        ordered(&orders, "closed_at", true, "orders");

        let mut payments = BTreeSet::new();
        for location in &locations {
            let query = all_time_and(&[("limit", &limit), ("location_id", location), ("sort_order", "ASC")]);
            let (page, _) = square.walk_get("/square/v2/payments", &query, "payments").await;
            ordered(&page, "created_at", true, "payments");
            payments.extend(unique(&page, "payments"));
        }
        assert_eq!(payments.len() as u64, counts.payments, "payments at {size}");

        let (refunds, _) = square.walk_get("/square/v2/refunds", &all_time_and(&[("limit", &limit)]), "refunds").await;
        ordered(&refunds, "created_at", false, "refunds");
        assert_eq!(unique(&refunds, "refunds").len() as u64, counts.refunds, "refunds at {size}");

        let mut payouts = BTreeSet::new();
        for location in &locations {
            let query = all_time_and(&[("limit", &limit), ("location_id", location)]);
            payouts.extend(unique(&square.walk_get("/square/v2/payouts", &query, "payouts").await.0, "payouts"));
        }
        assert_eq!(payouts.len() as u64, counts.payouts, "payouts at {size}");

        let (timecards, _) =
            square.walk_post("/square/v2/labor/timecards/search", &json!({"limit": size}), "timecards").await;
        ordered(&timecards, "start_at", false, "timecards");
        assert_eq!(unique(&timecards, "timecards").len() as u64, counts.timecards, "timecards at {size}");

        let (team, _) =
            square.walk_post("/square/v2/team-members/search", &json!({"limit": size}), "team_members").await;
        assert_eq!(unique(&team, "team").len() as u64, counts.team_members, "team at {size}");

        for sort in ["DEFAULT", "CREATED_AT"] {
            let query = [("limit", limit.clone()), ("sort_field", sort.to_owned())];
            let (customers, _) = square.walk_get("/square/v2/customers", &query, "customers").await;
            assert_eq!(unique(&customers, "customers").len() as u64, counts.customers, "customers by {sort} at {size}");
            let body = json!({"limit": size.min(100), "query": {"sort": {"field": sort, "order": "DESC"}}});
            let (searched, _) = square.walk_post("/square/v2/customers/search", &body, "customers").await;
            assert_eq!(unique(&searched, "searched").len() as u64, counts.customers, "search by {sort} at {size}");
        }

        // Bookings come in windows of at most 31 days; consecutive half-open windows cover
        // the history and the two weeks after it.
        let mut bookings = BTreeSet::new();
        let mut start = end_date().and_hms_opt(0, 0, 0).expect("midnight").and_utc() - Duration::days(12);
        while start < end_date().and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::days(20) {
            let end = start + Duration::days(31) - Duration::milliseconds(1);
            let query =
                [("limit", limit.clone()), ("start_at_min", start.to_rfc3339()), ("start_at_max", end.to_rfc3339())];
            let (page, _) = square.walk_get("/square/v2/bookings", &query, "bookings").await;
            ordered(&page, "start_at", true, "bookings");
            bookings.extend(unique(&page, "bookings"));
            start += Duration::days(31);
        }
        assert_eq!(bookings.len() as u64, counts.bookings, "bookings at {size}");
    }
}

/// Walks a search page by page, calling `between` after the first page.
async fn walk_with_change(
    square: &Square,
    path: &str,
    body: &Value,
    field: &str,
    between: impl FnOnce(&[Value]),
) -> Vec<Value> {
    let first = square.post(path, body).await;
    let mut items = first.items(field);
    between(&items);
    let mut cursor = first.cursor();
    while let Some(next) = cursor {
        let mut body = body.clone();
        body["cursor"] = json!(next);
        let reply = square.post(path, &body).await;
        items.extend(reply.items(field));
        cursor = reply.cursor();
    }
    items
}

#[tokio::test]
async fn a_record_changed_during_an_updated_at_walk_comes_back_later_instead_of_being_skipped() {
    let square = Square::start(&two_shops("MLMOVE", 5, 9)).await;
    let control = square.harness.state().square();
    let total = control.counts("MLMOVE").orders as usize;
    let locations: Vec<String> = square.locations.iter().map(|l| l.id.clone()).collect();
    let body = json!({
        "location_ids": locations,
        "limit": 10,
        "query": {"filter": {"date_time_filter": {"updated_at": {"start_at": "2020-01-01T00:00:00Z"}}}, "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}},
    });
    let everything = square.all_orders().await;
    let payment_of = |order: &Value| order["tenders"][0]["payment_id"].as_str().expect("a payment").to_owned();
    let later =
        everything.iter().rev().find(|order| order.get("refunds").is_none()).expect("an unrefunded order").clone();
    let mut seen_first = String::new();
    let items = walk_with_change(&square, "/square/v2/orders/search", &body, "orders", |first_page| {
        let early = first_page.iter().find(|order| order.get("refunds").is_none()).expect("an unrefunded order");
        seen_first = early["id"].as_str().expect("an id").to_owned();
        control.refund_payment("MLMOVE", &payment_of(early), None).expect("refunded");
        control.refund_payment("MLMOVE", &payment_of(&later), Some(100)).expect("refunded");
    })
    .await;
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for id in ids(&items) {
        *times.entry(id).or_default() += 1;
    }
    assert_eq!(times.len(), total, "no order was skipped");
    assert_eq!(times[&seen_first], 2, "the order changed after it was seen comes back with its change");
    assert_eq!(times[later["id"].as_str().expect("an id")], 1, "one not reached yet is met once, changed");
    let last = items.last().expect("orders");
    assert!(last.get("refunds").is_some(), "the changed orders sort last");
    ordered(&items[..items.len() - 2], "updated_at", true, "the walk before the changes");
}

#[tokio::test]
async fn payments_customers_and_new_orders_changed_mid_walk_are_not_lost() {
    let square = Square::start(&two_shops("MLMID", 5, 10)).await;
    let control = square.harness.state().square();
    // Payments by updated_at: a refund moves a seen payment to the end of the walk.
    let query = all_time_and(&[("limit", "10"), ("sort_field", "UPDATED_AT"), ("sort_order", "ASC")]);
    let first = square.get("/square/v2/payments", &query).await;
    let early = first.items("payments").into_iter().find(|p| p.get("refunded_money").is_none()).expect("a payment");
    control.refund_payment("MLMID", early["id"].as_str().expect("an id"), Some(100)).expect("refunded");
    let mut rest = query.clone();
    rest.push(("cursor", first.cursor().expect("more")));
    let (tail, _) = square.walk_get("/square/v2/payments", &rest, "payments").await;
    let again = tail.last().expect("payments");
    assert_eq!(again["id"], early["id"]);
    assert!(again["updated_at"].as_str() > early["updated_at"].as_str());
    let seen: BTreeSet<String> = ids(&first.items("payments")).into_iter().chain(ids(&tail)).collect();
    let (all, _) = square.walk_get("/square/v2/payments", &all_time(), "payments").await;
    assert_eq!(seen.len(), all.len(), "every payment of the main location was seen");

    // Orders by created_at: sales taken during the walk appear at its end.
    let location = square.location(0).to_owned();
    let body = json!({"location_ids": [location], "limit": 25, "query": {"sort": {"sort_field": "CREATED_AT", "sort_order": "ASC"}}});
    let mut added = Vec::new();
    let orders = walk_with_change(&square, "/square/v2/orders/search", &body, "orders", |_| {
        added = control.add_orders("MLMID", &location, 2).expect("added");
    })
    .await;
    let tail: Vec<String> = ids(&orders[orders.len() - 2..]);
    assert_eq!(tail, added.iter().map(|order| order.order_id.clone()).collect::<Vec<_>>());

    // Customers by name: an edit keeps each profile once; a deletion ahead of the walk drops it.
    let customers = control.customer_ids("MLMID");
    let body = json!({"limit": 15});
    let mut deleted = String::new();
    let walked = walk_with_change(&square, "/square/v2/customers/search", &body, "customers", |first_page| {
        let seen = first_page[0]["id"].as_str().expect("an id");
        let update =
            hub_emulators::SquareCustomerUpdate { email_address: Some("new@example.com".into()), ..Default::default() };
        control.update_customer("MLMID", seen, update).expect("updated");
        deleted = customers.iter().find(|id| !ids(first_page).contains(id)).expect("one not seen yet").clone();
        control.delete_customer("MLMID", &deleted).expect("deleted");
    })
    .await;
    let walked = unique(&walked, "customers");
    assert_eq!(walked.len(), customers.len() - 1);
    assert!(!walked.contains(&deleted));
}
