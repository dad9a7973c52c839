//! A shop's Square history synced through the real path on both backends: consent at the
//! emulator, the sync job on the queue, the Square connector, the records store. The emulator is
//! the oracle: every count, and every location's daily totals to the cent.

mod common;

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone as _};
use common::TestApp;
use hub_emulators::{SquareLocationSpec, SquareMerchantConfig};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::Value;

on_both_backends_with_emulators!(
    a_full_sync_matches_the_emulator_to_the_cent_and_a_second_sync_writes_nothing,
    refunds_and_deletions_at_square_reach_the_change_feed,
);

const MERCHANT: &str = "MLSYNCTEST01";

fn configure(app: &TestApp) {
    let config = SquareMerchantConfig {
        merchant_id: MERCHANT.into(),
        business_name: Some("Sync Test Barbers".into()),
        locations: vec![
            SquareLocationSpec::new("Sync Main St", "America/Chicago", "USD"),
            SquareLocationSpec::new("Sync Lakeview", "America/Chicago", "USD"),
        ],
        days: 12,
        end_date: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
        seed: 42,
        orders_per_day: 20..=30,
    };
    app.emulators().square().configure_merchant(&config).expect("configure");
}

fn money(value: &Value) -> Decimal {
    value.as_str().and_then(|text| text.parse().ok()).unwrap_or_else(|| panic!("an amount, not {value}"))
}

/// The hub's sales per (Square location, local date), as the emulator totals them.
fn hub_totals(sales: &[Value]) -> BTreeMap<(String, NaiveDate), [Decimal; 9]> {
    let zone: chrono_tz::Tz = "America/Chicago".parse().expect("zone");
    let mut totals: BTreeMap<(String, NaiveDate), [Decimal; 9]> = BTreeMap::new();
    for sale in sales {
        let at: chrono::DateTime<chrono::Utc> =
            sale["occurred_at"].as_str().expect("occurred_at").parse().expect("instant");
        let day = zone.from_utc_datetime(&at.naive_utc()).date_naive();
        let key = (sale["provider_location_id"].as_str().expect("provider location").to_owned(), day);
        let row = totals.entry(key).or_default();
        row[0] += Decimal::ONE;
        for (slot, field) in
            ["gross", "discount", "service_charges", "tax", "tip", "total", "refunded", "net"].iter().enumerate()
        {
            row[slot + 1] += money(&sale[*field]);
        }
    }
    totals
}

async fn connected(app: &TestApp) -> String {
    configure(app);
    let (_, location) = app.shop("North").await;
    app.connect_square(&location, MERCHANT).await
}

async fn a_full_sync_matches_the_emulator_to_the_cent_and_a_second_sync_writes_nothing(app: TestApp) {
    let connection = connected(&app).await;
    let run = app.sync_now(&connection, "full").await;
    assert_eq!(run["status"], "succeeded", "{run}");

    let counts = app.emulators().square().counts(MERCHANT);
    let listed = |collection: &'static str| {
        let app = &app;
        async move { app.list_all(&format!("/v1/records/{collection}")).await }
    };
    let sales = listed("sales").await;
    for (collection, expected) in [
        ("locations", counts.locations),
        ("staff_members", counts.team_members),
        ("customers", counts.customers),
        ("sales", counts.orders),
        ("refunds", counts.refunds),
        ("payouts", counts.payouts),
        ("timecards", counts.timecards),
        ("appointments", counts.bookings),
    ] {
        let records = listed(collection).await;
        assert_eq!(records.len() as u64, expected, "{collection}: the hub holds what Square has");
        let mut ids: Vec<&str> = records.iter().filter_map(|record| record["external_id"].as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len() as u64, expected, "{collection}: no external id twice");
    }
    for field in [
        "id",
        "location_id",
        "occurred_at",
        "currency",
        "gross",
        "tax",
        "tip",
        "discount",
        "net",
        "refunded",
        "lines",
        "provider",
        "external_id",
    ] {
        assert!(!sales[0][field].is_null(), "sales carry `{field}`: {}", sales[0]);
    }

    let expected: BTreeMap<(String, NaiveDate), [Decimal; 9]> = app
        .emulators()
        .square()
        .daily_totals(MERCHANT)
        .into_iter()
        .map(|day| {
            let cents = |amount: i64| Decimal::new(amount, 2);
            let row = [
                Decimal::from(day.orders),
                cents(day.gross),
                cents(day.discount),
                cents(day.service_charges),
                cents(day.tax),
                cents(day.tip),
                cents(day.total_collected),
                cents(day.refunded),
                cents(day.net),
            ];
            ((day.location_id, day.date), row)
        })
        .collect();
    assert!(expected.len() >= 16, "two shops, twelve days (some closed): {}", expected.len());
    assert_eq!(
        hub_totals(&sales),
        expected,
        "orders, gross, discount, service charges, tax, tip, total, refunded, net"
    );

    let position = app.change_feed_end().await;
    let again = app.sync_now(&connection, "incremental").await;
    assert_eq!(again["status"], "succeeded", "{again}");
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64(), again["deleted"].as_u64()),
        (Some(0), Some(0), Some(0))
    );
    assert!(again["fetched"].as_u64() > Some(0), "it did read from Square: {again}");
    let (_, after) = app.send(Method::GET, &format!("/v1/changes?after={position}"), &app.admin_key, None).await;
    assert_eq!(after["data"].as_array().map(Vec::len), Some(0), "no change-log entry");
}

async fn refunds_and_deletions_at_square_reach_the_change_feed(app: TestApp) {
    let connection = connected(&app).await;
    assert_eq!(app.sync_now(&connection, "full").await["status"], "succeeded");
    let square = app.emulators().square();
    let sales = app.list_all("/v1/records/sales").await;
    let unrefunded = sales
        .iter()
        .find(|sale| money(&sale["refunded"]).is_zero() && money(&sale["total"]) > Decimal::new(1000, 2))
        .expect("a sale with no refund");
    let payment = unrefunded["tenders"][0]["payment_external_id"].as_str().expect("a payment");
    let refund = square.refund_payment(MERCHANT, payment, Some(500)).expect("refund");
    assert_eq!(refund.order_id, unrefunded["external_id"].as_str().expect("order id"));
    let customer = square.customer_ids(MERCHANT)[3].clone();
    square.delete_customer(MERCHANT, &customer).expect("delete");

    let mut position = app.change_feed_end().await;
    let incremental = app.sync_now(&connection, "incremental").await;
    assert_eq!(incremental["status"], "succeeded", "{incremental}");
    let (_, changes) = app.send(Method::GET, &format!("/v1/changes?after={position}"), &app.admin_key, None).await;
    let seen: Vec<(String, String, String)> = changes["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or("").into(),
                c["model"].as_str().unwrap_or("").into(),
                c["external_id"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(
        seen.contains(&("updated".into(), "sale".into(), refund.order_id.clone())),
        "the refunded sale changed: {seen:?}"
    );
    assert!(
        seen.contains(&("created".into(), "refund".into(), refund.refund_id.clone())),
        "the refund arrived: {seen:?}"
    );
    assert!(!seen.iter().any(|(kind, ..)| kind == "deleted"), "an incremental sync cannot see Square deletions");
    let sale_id = unrefunded["id"].as_str().expect("id");
    let (_, updated) = app.send(Method::GET, &format!("/v1/records/sales/{sale_id}"), &app.admin_key, None).await;
    assert_eq!(money(&updated["refunded"]), Decimal::new(500, 2));
    assert_eq!(money(&updated["net"]), money(&unrefunded["net"]) - Decimal::new(500, 2));
    assert_eq!(updated["version"], 2);

    position = changes["next_cursor"].as_str().expect("cursor").to_owned();
    let full = app.sync_now(&connection, "full").await;
    assert_eq!((full["status"].as_str(), full["deleted"].as_u64()), (Some("succeeded"), Some(1)), "{full}");
    let (_, swept) = app.send(Method::GET, &format!("/v1/changes?after={position}"), &app.admin_key, None).await;
    let deleted: Vec<&Value> =
        swept["data"].as_array().expect("data").iter().filter(|c| c["kind"] == "deleted").collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        (deleted[0]["model"].as_str(), deleted[0]["external_id"].as_str()),
        (Some("customer"), Some(customer.as_str()))
    );
}
