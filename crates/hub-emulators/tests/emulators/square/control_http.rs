//! The Square control surface over HTTP (`/_emulator/square/…`), as the demo and tests in
//! other processes use it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{end_date, two_shops};
use crate::common::Harness;

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn merchants_are_configured_changed_and_read_over_http() {
    let harness = Harness::start().await;
    let http = &harness.http;
    let base = harness.url("/_emulator/square/merchants/MLHTTP");
    let config = serde_json::to_value(two_shops("MLHTTP", 5, 30)).expect("json");
    assert_eq!(config["end_date"], end_date().to_string());
    let (status, configured) = send(http.put(&base).json(&config)).await;
    assert_eq!(status, StatusCode::OK, "{configured}");
    assert_eq!(configured["counts"]["locations"], 2);
    let location = configured["locations"][1]["id"].as_str().expect("a location").to_owned();
    assert_eq!(configured["locations"][1]["timezone"], "Europe/London");

    let (_, listed) = send(http.get(harness.url("/_emulator/square/merchants"))).await;
    assert_eq!(listed["merchants"], json!(["MLHTTP"]));
    let (_, counts) = send(http.get(format!("{base}/counts"))).await;
    let orders = counts["orders"].as_u64().expect("a count");

    let (status, added) =
        send(http.post(format!("{base}/orders")).json(&json!({"location_id": location, "count": 2}))).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let payment = added["orders"][0]["payment_id"].as_str().expect("a payment").to_owned();
    let (status, refund) =
        send(http.post(format!("{base}/payments/{payment}/refund")).json(&json!({"amount": 100}))).await;
    assert_eq!((status, refund["amount"].as_i64()), (StatusCode::CREATED, Some(100)));
    let (status, _) = send(http.post(format!("{base}/payments/nope/refund")).json(&json!({}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, token) = send(http.post(format!("{base}/access-token")).json(&json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    let token = token["access_token"].as_str().expect("a token").to_owned();
    let (_, customers) = send(http.get(harness.url("/square/v2/customers")).bearer_auth(&token)).await;
    let customer = customers["customers"][0]["id"].as_str().expect("a customer").to_owned();
    let patch = http.patch(format!("{base}/customers/{customer}")).json(&json!({"family_name": "Okonkwo"}));
    assert_eq!(send(patch).await.0, StatusCode::NO_CONTENT);
    assert_eq!(send(http.delete(format!("{base}/customers/{customer}"))).await.0, StatusCode::NO_CONTENT);
    assert_eq!(send(http.delete(format!("{base}/customers/{customer}"))).await.0, StatusCode::NOT_FOUND);

    let (_, counts) = send(http.get(format!("{base}/counts"))).await;
    assert_eq!(counts["orders"].as_u64(), Some(orders + 2));
    let (_, totals) = send(http.get(format!("{base}/daily-totals"))).await;
    let rows = totals["daily_totals"].as_array().expect("rows");
    assert_eq!(rows.iter().map(|row| row["orders"].as_u64().expect("orders")).sum::<u64>(), orders + 2);
    assert!(rows.iter().all(|row| row["net"].is_i64() && row["currency"].is_string() && row["date"].is_string()));

    let narrow = send(http.post(format!("{base}/access-token")).json(&json!({"scopes": ["PAYMENTS_READ"]}))).await.1;
    let forbidden =
        http.get(harness.url("/square/v2/customers")).bearer_auth(narrow["access_token"].as_str().expect("a token"));
    assert_eq!(send(forbidden).await.0, StatusCode::FORBIDDEN);

    assert_eq!(send(http.post(harness.url("/_emulator/reset"))).await.0, StatusCode::NO_CONTENT);
    let (_, listed) = send(http.get(harness.url("/_emulator/square/merchants"))).await;
    assert_eq!(listed["merchants"], json!([]), "a reset forgets every dataset");
}

#[tokio::test]
async fn bad_control_requests_are_refused_with_a_reason() {
    let harness = Harness::start().await;
    let http = &harness.http;
    let base = harness.url("/_emulator/square/merchants/MLBAD");
    let mut config = serde_json::to_value(two_shops("MLBAD", 5, 30)).expect("json");
    let (status, body) = send(http.put(harness.url("/_emulator/square/merchants/MLOTHER")).json(&config)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    config["locations"][0]["timezone"] = json!("Atlantis/Central");
    let (status, body) = send(http.put(&base).json(&config)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().is_some_and(|error| error.contains("Atlantis/Central")), "{body}");
    config["locations"][0]["timezone"] = json!("America/New_York");
    config["orders_per_day"] = json!({"start": 1, "end": 99_999});
    assert_eq!(send(http.put(&base).json(&config)).await.0, StatusCode::BAD_REQUEST);
    config["orders_per_day"] = json!({"start": 1, "end": 2});
    config["colour"] = json!("blue");
    assert_eq!(send(http.put(&base).json(&config)).await.0, StatusCode::BAD_REQUEST, "unknown fields are refused");
    let (status, _) = send(http.post(format!("{base}/orders")).json(&json!({"location_id": "LNOWHERE"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, index) = send(http.get(harness.url("/_emulator"))).await;
    let routes = index["control"].as_array().expect("routes");
    assert!(routes.iter().any(|route| route.as_str().is_some_and(|r| r.contains("/_emulator/square/merchants"))));
}
