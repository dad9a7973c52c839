//! Token-endpoint faults: an injected status, a delay, a forced `invalid_grant`, and counting.

use std::time::{Duration, Instant};

use hub_emulators::Fault;
use reqwest::StatusCode;

use crate::common::{Harness, oauth_error_code};

#[tokio::test]
async fn a_503_fault_answers_in_the_provider_format_then_recovers() {
    let harness = Harness::start().await;
    let client = harness.client("quickbooks-online");
    let connected = client.connect().await;
    let refresh_token = connected.refresh_token().expect("a refresh token");
    harness.state().token_endpoint_fault_times(client.provider, Fault::Status(503), 1);

    let failed = client.refresh(&refresh_token).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(oauth_error_code(&failed.body).as_deref(), Some("temporarily_unavailable"));
    // The failed attempt consumed nothing: the same refresh token still works.
    assert_eq!(client.refresh(&refresh_token).await.status, StatusCode::OK);
    let counts = harness.state().token_requests(client.provider);
    assert_eq!((counts.authorization_code, counts.refresh_token), (1, 2), "faulted requests are counted too");
}

#[tokio::test]
async fn a_persistent_503_in_square_format_lasts_until_cleared() {
    let harness = Harness::start().await;
    let client = harness.client("square");
    let refresh_token = client.connect().await.refresh_token().expect("a refresh token");
    harness.state().token_endpoint_fault(client.provider, Fault::Status(503));
    for _ in 0..2 {
        let failed = client.refresh(&refresh_token).await;
        assert_eq!(
            (failed.status, failed.body["errors"][0]["code"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("SERVICE_UNAVAILABLE"))
        );
    }
    harness.state().clear_token_endpoint_fault(client.provider);
    assert_eq!(client.refresh(&refresh_token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_delay_fault_slows_the_token_endpoint_but_answers() {
    let harness = Harness::start().await;
    let client = harness.client("hubspot");
    let refresh_token = client.connect().await.refresh_token().expect("a refresh token");
    harness.state().token_endpoint_fault_times(client.provider, Fault::Delay(Duration::from_millis(400)), 1);
    let started = Instant::now();
    let reply = client.refresh(&refresh_token).await;
    assert!(started.elapsed() >= Duration::from_millis(400), "answered after {:?}", started.elapsed());
    assert_eq!(reply.status, StatusCode::OK);
    let started = Instant::now();
    assert_eq!(client.refresh(&refresh_token).await.status, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_millis(400), "the delay applied once");
}

#[tokio::test]
async fn an_invalid_grant_fault_and_force_invalid_grant_refuse_refreshes() {
    let harness = Harness::start().await;
    let client = harness.client("google-calendar");
    let connected = client.connect().await;
    let refresh_token = connected.refresh_token().expect("a refresh token");
    harness.state().token_endpoint_fault_times(client.provider, Fault::InvalidGrant, 1);
    assert_eq!(oauth_error_code(&client.refresh(&refresh_token).await.body).as_deref(), Some("invalid_grant"));
    assert_eq!(client.refresh(&refresh_token).await.status, StatusCode::OK);

    harness.state().force_invalid_grant(client.provider);
    assert_eq!(oauth_error_code(&client.refresh(&refresh_token).await.body).as_deref(), Some("invalid_grant"));
    assert_eq!(client.whoami(&connected.access_token()).await.0, StatusCode::OK, "access tokens live on");
}
