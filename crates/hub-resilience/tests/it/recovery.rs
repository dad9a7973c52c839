//! After a provider recovers, calls succeed again within a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use hub_resilience::{BreakerKey, BreakerPolicy, CircuitState, ResilienceError, ResilientClient, ScopeKey};

use crate::support;

async fn flaky(State(healthy): State<Arc<AtomicBool>>) -> (StatusCode, &'static str) {
    if healthy.load(Ordering::SeqCst) { (StatusCode::OK, "ok") } else { (StatusCode::SERVICE_UNAVAILABLE, "down") }
}

async fn call_once(client: &ResilientClient, url: &str) -> anyhow::Result<Result<(), ResilienceError>> {
    let call = support::get(client, "flaky", url)?.connection("conn_recovery");
    Ok(client.execute(call).await.map(drop))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_resume_within_a_second_of_the_provider_recovering() -> anyhow::Result<()> {
    let healthy = Arc::new(AtomicBool::new(false));
    let router = Router::new().route("/flaky", get(flaky)).with_state(Arc::clone(&healthy));
    let (address, log) = support::serve(router).await?;
    let url = format!("http://{address}/flaky");
    let mut config = support::test_config();
    config.breaker =
        BreakerPolicy { min_requests: 4, open_cooldown: Duration::from_millis(300), ..BreakerPolicy::default() };
    let client = support::client(config)?;
    let connection = ScopeKey::from("conn_recovery");
    let host = BreakerKey::Host(address.to_string());

    // The provider fails until the breaker opens.
    let started = Instant::now();
    while client.health(&connection).circuit == CircuitState::Closed {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(3), "the breaker never opened");
        let _ = call_once(&client, &url).await?;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let health = client.health(&connection);
    assert_ne!(health.circuit, CircuitState::Closed);
    assert!(health.opened_at.is_some());
    assert!(
        health.last_error.as_deref().is_some_and(|error| error.contains("503")),
        "health names the last error: {:?}",
        health.last_error
    );
    assert_ne!(client.breaker_state(&host).state, CircuitState::Closed, "the host breaker opened too");

    // While it is open, calls are refused here and the provider sees only the probes.
    let requests_before = log.len();
    let mut refused_locally = 0;
    let open_since = Instant::now();
    while open_since.elapsed() < Duration::from_millis(700) {
        if let Err(ResilienceError::CircuitOpen { .. }) = call_once(&client, &url).await? {
            refused_locally += 1;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let probes = log.len() - requests_before;
    assert!(refused_locally > 10, "an open breaker fails calls fast ({refused_locally} refused)");
    assert!(probes <= 5, "an open breaker lets only probes through, not {probes} requests");

    // The provider recovers: measure until the loop's first success.
    healthy.store(true, Ordering::SeqCst);
    let recovered_at = Instant::now();
    loop {
        if call_once(&client, &url).await?.is_ok() {
            break;
        }
        anyhow::ensure!(recovered_at.elapsed() < Duration::from_secs(3), "calls never resumed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let resumed_after = recovered_at.elapsed();
    assert!(resumed_after < Duration::from_secs(1), "calls resumed {resumed_after:?} after recovery");
    assert_eq!(client.health(&connection).circuit, CircuitState::Closed);
    assert_eq!(client.breaker_state(&host).state, CircuitState::Closed);
    Ok(())
}
