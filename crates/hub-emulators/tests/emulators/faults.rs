//! The fault middleware over every emulated path: 429 + `Retry-After`, 5xx, latency, hangs,
//! dropped connections, malformed JSON, scoping by provider and path, and recovery.

use std::time::{Duration, Instant};

use hub_emulators::{FaultRule, HttpFault};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::Harness;

#[tokio::test]
async fn rate_limited_answers_429_with_retry_after_for_count_requests_then_recovers() {
    let harness = Harness::start().await;
    let client = harness.client("square");
    let token = client.connect().await.access_token();
    let rule = FaultRule::new("square", "/v2/merchants", HttpFault::RateLimited { retry_after_secs: 2 }).times(2);
    harness.state().inject_fault(rule).expect("a valid rule");
    let me = || harness.http.get(harness.url("/square/v2/merchants/me")).bearer_auth(&token).send();
    for _ in 0..2 {
        let response = me().await.expect("answers");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(response.json::<Value>().await.expect("json")["errors"][0]["code"], "RATE_LIMITED");
    }
    assert_eq!(me().await.expect("answers").status(), StatusCode::OK);
    assert!(harness.state().active_faults().is_empty(), "an exhausted rule is dropped");
}

#[tokio::test]
async fn malformed_json_is_served_as_json_that_does_not_parse() {
    let harness = Harness::start().await;
    harness.state().inject_fault(FaultRule::new("hubspot", "/_whoami", HttpFault::MalformedJson)).expect("valid");
    let response = harness.http.get(harness.url("/hubspot/_whoami")).send().await.expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(serde_json::from_str::<Value>(&response.text().await.expect("text")).is_err());
}

#[tokio::test]
async fn status_faults_are_scoped_to_their_provider_and_path_prefix() {
    let harness = Harness::start().await;
    harness.state().inject_fault(FaultRule::new("google", "/token", HttpFault::Status { status: 500 })).expect("valid");
    let google = harness.client("ga4");
    assert_eq!(google.bare_token_request_status().await, StatusCode::INTERNAL_SERVER_ERROR);
    // Other paths of the same provider, other providers and the control surface are untouched.
    assert_eq!(
        harness.http.get(harness.url("/google/_whoami")).send().await.expect("answers").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        harness.http.get(harness.url("/hubspot/_whoami")).send().await.expect("answers").status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(harness.http.get(harness.url("/_emulator")).send().await.expect("answers").status(), StatusCode::OK);
}

#[tokio::test]
async fn latency_delays_then_serves_normally() {
    let harness = Harness::start().await;
    harness
        .state()
        .inject_fault(FaultRule::new("adp", "", HttpFault::Latency { millis: 300 }).times(1))
        .expect("valid");
    let started = Instant::now();
    let response = harness.http.get(harness.url("/adp/_whoami")).send().await.expect("answers");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the real handler answered");
}

#[tokio::test]
async fn connection_reset_closes_the_socket_without_an_answer() {
    let harness = Harness::start().await;
    harness.state().inject_fault(FaultRule::new("clover", "", HttpFault::ConnectionReset).times(1)).expect("valid");
    let error = harness.http.get(harness.url("/clover/_whoami")).send().await.expect_err("no response");
    assert!(!error.is_timeout() && error.status().is_none(), "{error:?}");
    assert_eq!(
        harness.http.get(harness.url("/clover/_whoami")).send().await.expect("answers").status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn timeout_hangs_past_the_client_deadline_until_recovered_over_http() {
    let harness = Harness::start().await;
    let rule = json!({"provider": "salesforce", "path_prefix": "/services", "fault": {"kind": "timeout", "secs": 5}});
    let injected = harness.http.post(harness.url("/_emulator/faults")).json(&rule).send().await.expect("answers");
    assert_eq!(injected.status(), StatusCode::NO_CONTENT);
    let listed: Value =
        harness.http.get(harness.url("/_emulator/faults")).send().await.expect("answers").json().await.expect("json");
    assert_eq!(listed[0]["fault"]["kind"], "timeout");

    let token_url = harness.url("/salesforce/services/oauth2/token");
    let error = harness.http.post(&token_url).timeout(Duration::from_millis(300)).send().await.expect_err("hangs");
    assert!(error.is_timeout(), "{error:?}");

    let cleared = harness.http.delete(harness.url("/_emulator/faults")).send().await.expect("answers");
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    let recovered =
        harness.http.post(&token_url).timeout(Duration::from_millis(300)).send().await.expect("answers at once");
    assert_eq!(recovered.status(), StatusCode::BAD_REQUEST, "the real endpoint answered (no grant_type)");
}

#[tokio::test]
async fn bad_fault_rules_are_refused() {
    let harness = Harness::start().await;
    let post = |body: Value| harness.http.post(harness.url("/_emulator/faults")).json(&body).send();
    let unknown = post(json!({"provider": "myspace", "fault": {"kind": "connection_reset"}})).await.expect("answers");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let not_an_error =
        post(json!({"provider": "square", "fault": {"kind": "status", "status": 200}})).await.expect("answers");
    assert_eq!(not_an_error.status(), StatusCode::BAD_REQUEST);
    let zero =
        post(json!({"provider": "square", "fault": {"kind": "malformed_json"}, "count": 0})).await.expect("answers");
    assert_eq!(zero.status(), StatusCode::BAD_REQUEST);
    let typo = post(json!({"provider": "square", "fault": {"kind": "malformed_jsn"}})).await.expect("answers");
    assert_eq!(typo.status(), StatusCode::BAD_REQUEST);
    assert!(harness.state().active_faults().is_empty());
    // Future API emulators share the middleware: any catalog id is a valid prefix.
    harness.state().inject_fault(FaultRule::new("twilio", "/2010-04-01", HttpFault::ConnectionReset)).expect("valid");
}

#[tokio::test]
async fn stopping_the_emulator_does_not_wait_for_hung_requests() {
    let harness = Harness::start().await;
    harness.state().inject_fault(FaultRule::new("square", "", HttpFault::Timeout { secs: 30 })).expect("valid");
    let hung = tokio::spawn(harness.http.get(harness.url("/square/_whoami")).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    harness.emulator.stop().await.expect("stops cleanly");
    assert!(started.elapsed() < Duration::from_secs(5), "stopped after {:?}", started.elapsed());
    assert!(hung.await.expect("the request task ends").is_err(), "the hung request got no answer");
}
