//! The generated history: byte-identical for the same configuration, totals that equal the
//! sums of the API's own orders and refunds, what a barbershop's books look like, the default
//! dataset of an unconfigured merchant, and years of history in one location.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use hub_emulators::SQUARE_DATA_SCOPES;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Square, all_time, all_time_and, amount, config, ids, two_shops};
use crate::common::Harness;

fn local_date(timestamp: &str, zone: Tz) -> NaiveDate {
    let instant = chrono::DateTime::parse_from_rfc3339(timestamp).expect("RFC 3339");
    zone.from_utc_datetime(&instant.naive_utc()).date_naive()
}

/// The raw bodies of a fixed set of requests, pages included.
async fn snapshot(square: &Square) -> Vec<String> {
    let mut bodies = Vec::new();
    let location = square.location(0).to_owned();
    let bookings = vec![
        ("start_at_min", "2025-06-20T00:00:00Z".to_owned()),
        ("start_at_max", "2025-07-15T00:00:00Z".to_owned()),
        ("limit", "30".to_owned()),
    ];
    let gets: [(&str, Vec<(&'static str, String)>); 6] = [
        ("/square/v2/locations", vec![]),
        ("/square/v2/customers", vec![("limit", "40".into())]),
        ("/square/v2/payments", all_time_and(&[("limit", "50")])),
        ("/square/v2/refunds", all_time()),
        ("/square/v2/payouts", all_time_and(&[("limit", "10")])),
        ("/square/v2/bookings", bookings),
    ];
    for (path, query) in gets {
        let (_, pages) = square.walk_get(path, &query, "unused").await;
        bodies.extend(pages.into_iter().take(3).map(|page| page.text));
    }
    let posts = [
        ("/square/v2/team-members/search", json!({"limit": 5})),
        ("/square/v2/orders/search", json!({"location_ids": [location, square.location(1)], "limit": 120})),
        ("/square/v2/labor/timecards/search", json!({"limit": 25})),
        ("/square/v2/customers/search", json!({"limit": 30, "query": {"sort": {"field": "CREATED_AT"}}})),
    ];
    for (path, body) in posts {
        let (_, pages) = square.walk_post(path, &body, "unused").await;
        bodies.extend(pages.into_iter().take(3).map(|page| page.text));
    }
    bodies
}

#[tokio::test]
async fn the_same_configuration_gives_byte_identical_responses() {
    let first = Square::start(&two_shops("MLTWIN", 14, 42)).await;
    let second = Square::start(&two_shops("MLTWIN", 14, 42)).await;
    assert_ne!(first.token, second.token);
    let (a, b) = (snapshot(&first).await, snapshot(&second).await);
    assert!(a.len() > 15, "several pages of every endpoint");
    for (left, right) in a.iter().zip(&b) {
        assert_eq!(left, right);
    }
    let reseeded = Square::start(&two_shops("MLTWIN", 14, 43)).await;
    assert_ne!(snapshot(&reseeded).await, a, "another seed, another history");
}

#[tokio::test]
async fn daily_totals_equal_the_sums_of_the_apis_own_orders_and_refunds() {
    let square = Square::start(&two_shops("MLTOTAL", 21, 11)).await;
    let control = square.harness.state().square();
    // Changes made now count too.
    let added = control.add_orders("MLTOTAL", square.location(1), 4).expect("added");
    control.refund_payment("MLTOTAL", &added[0].payment_id, Some(250)).expect("refunded");
    let orders = square.all_orders().await;
    let forever = [("begin_time", "2020-01-01T00:00:00Z".to_owned()), ("end_time", "2100-01-01T00:00:00Z".to_owned())];
    let (refunds, _) = square.walk_get("/square/v2/refunds", &forever, "refunds").await;
    let zones: HashMap<String, Tz> =
        square.locations.iter().map(|l| (l.id.clone(), l.timezone.parse().expect("a zone"))).collect();
    let mut day_of_order = HashMap::new();
    let mut expected: BTreeMap<(String, NaiveDate), [i64; 8]> = BTreeMap::new();
    for order in &orders {
        let location = order["location_id"].as_str().expect("a location").to_owned();
        let day = local_date(order["closed_at"].as_str().expect("closed"), zones[&location]);
        day_of_order.insert(order["id"].as_str().expect("an id").to_owned(), (location.clone(), day));
        let sums = expected.entry((location, day)).or_default();
        sums[0] += 1;
        sums[1] += order["line_items"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|line| amount(&line["gross_sales_money"]))
            .sum::<i64>();
        sums[2] += amount(&order["total_discount_money"]);
        sums[3] += amount(&order["total_service_charge_money"]);
        sums[4] += amount(&order["total_tax_money"]);
        sums[5] += amount(&order["total_tip_money"]);
        sums[6] += amount(&order["total_money"]);
    }
    for refund in &refunds {
        assert_eq!(refund["status"], "COMPLETED");
        let key = &day_of_order[refund["order_id"].as_str().expect("an order")];
        expected.get_mut(key).expect("the order's day")[7] += amount(&refund["amount_money"]);
    }
    let totals = control.daily_totals("MLTOTAL");
    assert_eq!(totals.len(), expected.len());
    for row in &totals {
        let sums = expected[&(row.location_id.clone(), row.date)];
        let got = [
            row.orders as i64,
            row.gross,
            row.discount,
            row.service_charges,
            row.tax,
            row.tip,
            row.total_collected,
            row.refunded,
        ];
        assert_eq!(got, sums, "{} on {}", row.location_id, row.date);
        assert_eq!(row.net, row.total_collected - row.tax - row.tip - row.refunded);
        assert_eq!(row.currency, if row.location_id == square.location(0) { "USD" } else { "GBP" });
    }
    assert!(totals.iter().any(|row| row.refunded > 0) && totals.iter().any(|row| row.discount > 0));
    assert!(totals.iter().any(|row| row.service_charges > 0) && totals.iter().any(|row| row.tax > 0 && row.tip > 0));
}

/// Opening hours by location and weekday, from ListLocations.
fn opening_hours(locations: &[Value]) -> HashMap<(String, String), (String, String)> {
    let mut hours = HashMap::new();
    for location in locations {
        for period in location["business_hours"]["periods"].as_array().expect("periods") {
            let key = (
                location["id"].as_str().expect("id").to_owned(),
                period["day_of_week"].as_str().expect("day").to_owned(),
            );
            hours.insert(
                key,
                (
                    period["start_local_time"].as_str().expect("start").to_owned(),
                    period["end_local_time"].as_str().expect("end").to_owned(),
                ),
            );
        }
    }
    hours
}

#[tokio::test]
async fn the_history_reads_like_a_barbershops_books() {
    let square = Square::start(&two_shops("MLBOOKS", 28, 12)).await;
    let locations = square.get("/square/v2/locations", &[]).await.items("locations");
    let hours = opening_hours(&locations);
    let zones: HashMap<String, Tz> =
        square.locations.iter().map(|l| (l.id.clone(), l.timezone.parse().expect("zone"))).collect();
    let (team, _) = square.walk_post("/square/v2/team-members/search", &json!({}), "team_members").await;
    let barbers: HashMap<String, Value> =
        team.iter().map(|m| (m["id"].as_str().expect("id").to_owned(), m.clone())).collect();
    let (timecards, _) = square.walk_post("/square/v2/labor/timecards/search", &json!({}), "timecards").await;
    let mut shifts: HashMap<(String, NaiveDate), Vec<&Value>> = HashMap::new();
    for card in &timecards {
        let member = card["team_member_id"].as_str().expect("member").to_owned();
        let zone = zones[card["location_id"].as_str().expect("location")];
        shifts.entry((member, local_date(card["start_at"].as_str().expect("start"), zone))).or_default().push(card);
    }
    assert!(shifts.values().all(|cards| cards.len() == 1), "one timecard per barber per day");
    let per_location_day = timecards.len() as f64 / 2.0 / 24.0;
    assert!((2.0..=6.0).contains(&per_location_day), "{per_location_day} barbers a day");

    let orders = square.all_orders().await;
    let mut payments = Vec::new();
    for location in &square.locations {
        payments.extend(
            square.walk_get("/square/v2/payments", &all_time_and(&[("location_id", &location.id)]), "payments").await.0,
        );
    }
    let payments: HashMap<String, Value> =
        payments.into_iter().map(|p| (p["order_id"].as_str().expect("order").to_owned(), p)).collect();
    assert_eq!(payments.len(), orders.len(), "one payment per order");
    let (mut card, mut cash, mut tipped, mut discounted) = (0, 0, 0, 0);
    for order in &orders {
        let location = order["location_id"].as_str().expect("location");
        let zone = zones[location];
        let closed = chrono::DateTime::parse_from_rfc3339(order["closed_at"].as_str().expect("closed")).expect("time");
        let local = zone.from_utc_datetime(&closed.naive_utc());
        let day = local.format("%a").to_string().to_uppercase();
        let (open, close) = &hours[&(location.to_owned(), day)];
        let clock = local.format("%H:%M:%S").to_string();
        assert!(&clock >= open && &clock <= close, "closed at {clock}, open {open}–{close}");
        assert_eq!(order["state"], "COMPLETED");
        let mut sum = 0;
        for line in order["line_items"].as_array().expect("lines") {
            let total = amount(&line["gross_sales_money"]) - amount(&line["total_discount_money"])
                + amount(&line["total_tax_money"]);
            assert_eq!(amount(&line["total_money"]), total);
            let taxed = line.get("applied_taxes").is_some();
            let product =
                !["Regular", "Combo", "Under 12", "65+"].contains(&line["variation_name"].as_str().expect("variation"));
            assert_eq!(taxed, product, "sales tax on products only: {line}");
            sum += total;
        }
        let total = amount(&order["total_money"]);
        assert_eq!(total, sum + amount(&order["total_service_charge_money"]) + amount(&order["total_tip_money"]));
        let payment = &payments[order["id"].as_str().expect("id")];
        let tip = payment.get("tip_money").map_or(0, amount);
        assert_eq!(amount(&payment["total_money"]), total);
        assert_eq!(amount(&payment["amount_money"]) + tip, total);
        assert_eq!(tip, amount(&order["total_tip_money"]));
        match payment["source_type"].as_str() {
            Some("CARD") => {
                card += 1;
                tipped += usize::from(tip > 0);
                assert!(amount(&payment["processing_fee"][0]["amount_money"]) > 0);
            }
            Some("CASH") => {
                cash += 1;
                assert_eq!(tip, 0, "cash tips are not recorded");
                let supplied = amount(&payment["cash_details"]["buyer_supplied_money"]);
                assert_eq!(amount(&payment["cash_details"]["change_back_money"]), supplied - total);
            }
            other => panic!("unexpected source {other:?}"),
        }
        discounted += usize::from(order.get("discounts").is_some());
        let barber = &barbers[payment["team_member_id"].as_str().expect("a barber")];
        assert_eq!(barber["assigned_locations"]["location_ids"][0], location, "served by a barber of that shop");
        let day = local.date_naive();
        let member = barber["id"].as_str().expect("id").to_owned();
        assert!(shifts.contains_key(&(member, day)), "the barber was on shift that day");
    }
    let share = |part: usize| part as f64 / orders.len() as f64;
    assert!((0.7..0.9).contains(&share(card)) && cash > 0, "{card} card, {cash} cash");
    assert!(
        share(tipped) > 0.45 && (0.05..0.2).contains(&share(discounted)),
        "{tipped} tipped, {discounted} discounted"
    );

    let (refunds, _) = square.walk_get("/square/v2/refunds", &all_time(), "refunds").await;
    let ratio = refunds.len() as f64 / orders.len() as f64;
    assert!((0.004..0.03).contains(&ratio), "{} refunds of {} payments", refunds.len(), orders.len());
    for refund in &refunds {
        let order = orders.iter().find(|o| o["id"] == refund["order_id"]).expect("its order");
        assert!(amount(&refund["amount_money"]) <= amount(&order["total_money"]));
    }

    let (customers, _) = square.walk_get("/square/v2/customers", &[], "customers").await;
    let known: HashSet<String> = ids(&customers).into_iter().collect();
    assert!(
        customers
            .iter()
            .all(|c| c["given_name"].is_string() && c["email_address"].is_string() && c["phone_number"].is_string())
    );
    assert!(customers.iter().all(|c| c["created_at"].as_str() <= c["updated_at"].as_str()));
    let future =
        [("start_at_min", "2025-07-01T00:00:00Z".to_owned()), ("start_at_max", "2025-07-20T00:00:00Z".to_owned())];
    let (upcoming, _) = square.walk_get("/square/v2/bookings", &future, "bookings").await;
    assert!(upcoming.len() > 20, "appointments after the last day of history");
    assert!(upcoming.iter().all(|b| b["created_at"].as_str() < Some("2025-07-01T04:00:00.000Z")), "all booked by then");
    let past =
        [("start_at_min", "2025-06-01T00:00:00Z".to_owned()), ("start_at_max", "2025-07-01T00:00:00Z".to_owned())];
    let (bookings, _) = square.walk_get("/square/v2/bookings", &past, "bookings").await;
    for status in ["ACCEPTED", "NO_SHOW", "CANCELLED_BY_CUSTOMER"] {
        assert!(bookings.iter().any(|b| b["status"] == status), "a {status} booking");
    }
    assert!(bookings.iter().chain(&upcoming).all(|b| known.contains(b["customer_id"].as_str().expect("customer"))));
    assert!(
        bookings
            .iter()
            .all(|b| barbers.contains_key(b["appointment_segments"][0]["team_member_id"].as_str().expect("member")))
    );
}

#[tokio::test]
async fn payouts_are_each_days_card_takings_net_of_fees_and_refunds() {
    let square = Square::start(&config("MLPAY", &[("Brooklyn", "America/New_York", "USD")], 14, 13)).await;
    let zone: Tz = "America/New_York".parse().expect("zone");
    let (payments, _) = square.walk_get("/square/v2/payments", &all_time(), "payments").await;
    let (refunds, _) = square.walk_get("/square/v2/refunds", &all_time(), "refunds").await;
    let mut net: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let cards: HashSet<&str> =
        payments.iter().filter(|p| p["source_type"] == "CARD").filter_map(|p| p["id"].as_str()).collect();
    for payment in payments.iter().filter(|p| p["source_type"] == "CARD") {
        let fee = amount(&payment["processing_fee"][0]["amount_money"]);
        *net.entry(local_date(payment["created_at"].as_str().expect("t"), zone)).or_default() +=
            amount(&payment["total_money"]) - fee;
    }
    for refund in refunds.iter().filter(|r| cards.contains(r["payment_id"].as_str().expect("payment"))) {
        let returned = refund.get("processing_fee").map_or(0, |fees| amount(&fees[0]["amount_money"]));
        *net.entry(local_date(refund["created_at"].as_str().expect("t"), zone)).or_default() -=
            amount(&refund["amount_money"]) + returned;
    }
    let (payouts, _) = square.walk_get("/square/v2/payouts", &all_time_and(&[("sort_order", "ASC")]), "payouts").await;
    assert!(payouts.len() >= 10);
    for payout in &payouts {
        let initiated = local_date(payout["created_at"].as_str().expect("t"), zone);
        let day = initiated.pred_opt().expect("a day");
        assert_eq!(amount(&payout["amount_money"]), net[&day], "payout for {day}");
        assert!(payout["arrival_date"].as_str().expect("date") > initiated.to_string().as_str());
    }
    assert_eq!(payouts.last().expect("payouts")["status"], "SENT", "the latest is still on its way");
    assert_eq!(payouts[0]["status"], "PAID");
}

#[tokio::test]
async fn an_unconfigured_merchant_gets_a_small_dataset_derived_from_its_id() {
    let first = Harness::start().await;
    let second = Harness::start().await;
    let mut bodies = Vec::new();
    for harness in [&first, &second] {
        let token = harness.state().square().issue_access_token("MLNOBODY", &SQUARE_DATA_SCOPES).expect("a token");
        let response =
            harness.http.get(harness.url("/square/v2/locations")).bearer_auth(&token).send().await.expect("answers");
        assert_eq!(response.status(), StatusCode::OK);
        bodies.push(response.text().await.expect("text"));
    }
    assert_eq!(bodies[0], bodies[1], "derived from the merchant id alone");
    let locations: Value = serde_json::from_str(&bodies[0]).expect("json");
    let count = locations["locations"].as_array().expect("locations").len();
    assert!((1..=3).contains(&count));
    assert!(locations["locations"].as_array().expect("locations").iter().all(|l| l["merchant_id"] == "MLNOBODY"));
    let counts = first.state().square().counts("MLNOBODY");
    assert!(counts.orders > 200 && counts.customers > 0 && counts.timecards > 0, "{counts:?}");
    assert_eq!(first.state().square().merchant_ids(), vec!["MLNOBODY".to_owned()]);
    // Recent history: yesterday's sales are inside ListPayments' default window (the last year).
    let token = first.state().square().issue_access_token("MLNOBODY", &SQUARE_DATA_SCOPES).expect("a token");
    let response = first.http.get(first.url("/square/v2/payments")).bearer_auth(&token).send().await.expect("answers");
    let payments: Value = response.json().await.expect("json");
    assert_eq!(payments["payments"].as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn two_years_of_one_busy_shop_and_a_dozen_shops_over_a_quarter_are_served() {
    let square = Square::start(&{
        let mut busy = config("MLBUSY", &[("Flagship", "America/Chicago", "USD")], 730, 14);
        busy.orders_per_day = 55..=65;
        busy
    })
    .await;
    let counts = square.harness.state().square().counts("MLBUSY");
    assert!((30_000..=48_000).contains(&counts.orders), "{counts:?}");
    let body = json!({"location_ids": [square.location(0)], "limit": 1000, "query": {"sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}}});
    let first = square.post("/square/v2/orders/search", &body).await;
    assert_eq!(first.items("orders").len(), 1000);
    assert!(first.items("orders")[0]["updated_at"].as_str() < Some("2023-08-01"), "starts two years back");
    // Refunds: 1–2 % of payments, about a third of them partial.
    let (refunds, _) = square.walk_get("/square/v2/refunds", &all_time(), "refunds").await;
    let ratio = refunds.len() as f64 / counts.payments as f64;
    assert!((0.01..0.02).contains(&ratio), "{} refunds of {} payments", refunds.len(), counts.payments);
    let mut partial = 0;
    for refund in &refunds {
        let payment =
            square.get(&format!("/square/v2/payments/{}", refund["payment_id"].as_str().expect("id")), &[]).await;
        partial += usize::from(amount(&refund["amount_money"]) < amount(&payment.body["payment"]["total_money"]));
    }
    let share = partial as f64 / refunds.len() as f64;
    assert!((0.15..0.45).contains(&share), "{partial} of {} refunds are partial", refunds.len());

    let harness = Harness::start().await;
    let zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"];
    let mut many = config("MLDOZEN", &[], 90, 15);
    many.locations =
        (0..12).map(|n| hub_emulators::SquareLocationSpec::new(format!("Shop {n}"), zones[n % 4], "USD")).collect();
    many.orders_per_day = 30..=50;
    let counts = harness.state().square().configure_merchant(&many).expect("configured");
    assert_eq!(counts.locations, 12);
    assert!((25_000..=55_000).contains(&counts.orders), "{counts:?}");
}
