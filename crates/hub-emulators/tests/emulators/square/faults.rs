//! The fault middleware over the Square data routes: Square's rate-limit and server-error
//! envelopes, dropped connections, malformed JSON and latency, each scoped to its path.

use std::time::{Duration, Instant};

use hub_emulators::{FaultRule, HttpFault};
use reqwest::StatusCode;
use serde_json::json;

use super::{Square, all_time, two_shops};

#[tokio::test]
async fn data_routes_take_injected_faults_in_squares_envelope_and_recover() {
    let square = Square::start(&two_shops("MLFAULT", 3, 40)).await;
    let state = square.harness.state();
    let body = json!({"location_ids": [square.location(0)]});
    let rule = FaultRule::new("square", "/v2/orders/search", HttpFault::RateLimited { retry_after_secs: 3 }).times(2);
    state.inject_fault(rule).expect("a valid rule");
    for _ in 0..2 {
        let limited = square.post("/square/v2/orders/search", &body).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.body["errors"][0]["code"], "RATE_LIMITED");
        assert_eq!(limited.body["errors"][0]["category"], "RATE_LIMIT_ERROR");
        assert!(limited.body["errors"][0]["detail"].is_string());
    }
    let raw =
        square.harness.http.post(square.harness.url("/square/v2/orders/search")).bearer_auth(&square.token).json(&body);
    assert_eq!(raw.send().await.expect("answers").status(), StatusCode::OK, "recovered after two");

    state
        .inject_fault(FaultRule::new("square", "/v2/payments", HttpFault::Status { status: 503 }).times(1))
        .expect("valid");
    let unavailable = square.get("/square/v2/payments", &all_time()).await;
    assert_eq!(unavailable.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(unavailable.body["errors"][0]["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(unavailable.body["errors"][0]["category"], "API_ERROR");
    assert_eq!(square.get("/square/v2/refunds", &all_time()).await.status, StatusCode::OK, "other paths are untouched");
    assert_eq!(square.get("/square/v2/payments", &all_time()).await.status, StatusCode::OK);

    state.inject_fault(FaultRule::new("square", "/v2/customers", HttpFault::ConnectionReset).times(1)).expect("valid");
    let reset =
        square.harness.http.get(square.harness.url("/square/v2/customers")).bearer_auth(&square.token).send().await;
    assert!(reset.is_err(), "the connection is dropped");
    state.inject_fault(FaultRule::new("square", "/v2/locations", HttpFault::MalformedJson).times(1)).expect("valid");
    let malformed = square.get("/square/v2/locations", &[]).await;
    assert_eq!(malformed.status, StatusCode::OK);
    assert!(serde_json::from_str::<serde_json::Value>(&malformed.text).is_err());
    state
        .inject_fault(FaultRule::new("square", "/v2/bookings", HttpFault::Latency { millis: 250 }).times(1))
        .expect("valid");
    let started = Instant::now();
    assert_eq!(square.get("/square/v2/bookings", &[]).await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(state.active_faults().is_empty(), "every counted rule was used up");
}
