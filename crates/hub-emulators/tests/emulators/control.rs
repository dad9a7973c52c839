//! The `/_emulator` control surface over HTTP, as another process or a person would use it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Harness, REDIRECT_URI};

#[tokio::test]
async fn the_index_lists_every_provider_and_its_paths() {
    let harness = Harness::start().await;
    let index: Value =
        harness.http.get(harness.url("/_emulator")).send().await.expect("answers").json().await.expect("json");
    assert_eq!(index["default_client"]["client_id"], "emulator-client");
    let square = index["providers"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|entry| entry["provider"] == "square")
        .expect("square");
    assert_eq!(square["paths"]["token"], "/square/oauth2/token");
    let hubspot = index["providers"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|entry| entry["provider"] == "hubspot")
        .expect("hubspot");
    assert_eq!(hubspot["paths"]["token"], json!(["/hubspot/oauth/v1/token", "/hubspot/oauth/v3/token"]));
}

#[tokio::test]
async fn switches_over_http_steer_the_emulated_provider() {
    let harness = Harness::start().await;
    let post = |path: &str, body: Value| harness.http.post(harness.url(path)).json(&body).send();

    let registered =
        post("/_emulator/clients", json!({"provider": "ga4", "client_id": "hub", "client_secret": "hub-secret"}))
            .await
            .expect("answers");
    assert_eq!(registered.status(), StatusCode::NO_CONTENT);
    let mut client = harness.client("google-calendar");
    client.client_id = "hub".to_owned();
    client.client_secret = Some("hub-secret".to_owned());

    let lifetimes = harness
        .http
        .put(harness.url("/_emulator/google/token-lifetimes"))
        .json(&json!({"access_token_ttl_secs": 0}))
        .send()
        .await
        .expect("answers");
    assert_eq!(lifetimes.status(), StatusCode::NO_CONTENT);
    let reply = client.connect().await;
    let info: Value = post("/_emulator/google/token-info", json!({"access_token": reply.access_token()}))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(info["valid"], false, "a zero lifetime expires at once");

    let denied = post("/_emulator/google-calendar/deny-next-authorization", json!({})).await.expect("answers");
    assert_eq!(denied.status(), StatusCode::NO_CONTENT);
    assert_eq!(client.authorize(REDIRECT_URI, "s", None).await.get("error").map(String::as_str), Some("access_denied"));

    let fault = harness
        .http
        .put(harness.url("/_emulator/google/token-fault"))
        .json(&json!({"fault": {"kind": "status", "status": 503}, "count": 1}))
        .send()
        .await
        .expect("answers");
    assert_eq!(fault.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        client.refresh(&reply.refresh_token().expect("a refresh token")).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let refreshed = client.refresh(&reply.refresh_token().expect("a refresh token")).await;
    assert_eq!(refreshed.status, StatusCode::OK);

    let revoked = post("/_emulator/google/revoke-all", json!({})).await.expect("answers");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let info: Value = post("/_emulator/google/token-info", json!({"access_token": refreshed.access_token()}))
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(info["valid"], false);

    let counts: Value = harness
        .http
        .get(harness.url("/_emulator/google/token-requests"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            counts["counts"]["authorization_code"].clone(),
            counts["counts"]["refresh_token"].clone(),
            counts["total"].clone()
        ),
        (json!(1), json!(2), json!(3))
    );
}

#[tokio::test]
async fn control_requests_name_known_providers_and_well_formed_bodies() {
    let harness = Harness::start().await;
    let unknown = harness.http.post(harness.url("/_emulator/myspace/revoke-all")).send().await.expect("answers");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let bad = harness
        .http
        .put(harness.url("/_emulator/square/token-fault"))
        .json(&json!({"fault": "boom"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let not_error = harness
        .http
        .put(harness.url("/_emulator/square/token-fault"))
        .json(&json!({"fault": {"kind": "status", "status": 204}}))
        .send()
        .await
        .expect("answers");
    assert_eq!(not_error.status(), StatusCode::BAD_REQUEST);
    let unknown_field = harness
        .http
        .post(harness.url("/_emulator/clients"))
        .json(&json!({"client_id": "a", "client_secret": "b", "redirect": "typo"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(unknown_field.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn reset_forgets_tokens_clients_and_faults() {
    let harness = Harness::start().await;
    let client = harness.client("hubspot");
    let token = client.connect().await.access_token();
    harness
        .state()
        .inject_fault(hub_emulators::FaultRule::new("hubspot", "/oauth", hub_emulators::HttpFault::ConnectionReset))
        .expect("valid");
    let reset = harness.http.post(harness.url("/_emulator/reset")).send().await.expect("answers");
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert!(!harness.state().access_token_valid(client.provider, &token));
    assert!(harness.state().active_faults().is_empty());
    assert_eq!(harness.state().token_requests(client.provider).total(), 0);
    client.connect().await;
}
