//! The metrics a Prometheus scrape shows after provider calls.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use hub_resilience::BreakerPolicy;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::support;

/// Installs one Prometheus recorder for this test binary (once, however many tests ask at once).
fn prometheus() -> anyhow::Result<&'static PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    Ok(HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).expect("nothing else in this test binary installs a recorder");
        hub_resilience::metrics::describe();
        handle
    }))
}

/// The value of the sample of `name` whose labels include every one of `labels`.
fn sample(scrape: &str, name: &str, labels: &[&str]) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let matches = series.starts_with(&format!("{name}{{")) && labels.iter().all(|label| series.contains(label));
        if matches { value.parse().ok() } else { None }
    })
}

#[tokio::test]
async fn calls_show_up_in_the_prometheus_scrape() -> anyhow::Result<()> {
    let handle = prometheus()?;
    let (healthy, _) = support::serve(Router::new().route("/ok", get(|| async { "ok" }))).await?;
    let down = Router::new().route("/down", get(|| async { StatusCode::SERVICE_UNAVAILABLE }));
    let (address, _) = support::serve(down).await?;
    let mut config = support::test_config();
    config.retry.max_attempts = 2;
    config.breaker =
        BreakerPolicy { min_requests: 4, open_cooldown: Duration::from_secs(5), ..BreakerPolicy::default() };
    let client = support::client(config)?;

    client.execute(support::get(&client, "metrics-probe", &format!("http://{healthy}/ok"))?).await?;
    // Two calls of two attempts each: the fourth failure opens the host and connection breakers.
    for _ in 0..2 {
        let call = support::get(&client, "metrics-probe", &format!("http://{address}/down"))?.connection("conn_m");
        let _ = client.execute(call).await;
    }

    let scrape = handle.render();
    let provider = "provider=\"metrics-probe\"";
    assert_eq!(sample(&scrape, "hub_provider_requests_total", &[provider, "status=\"200\""]), Some(1.0));
    assert_eq!(sample(&scrape, "hub_provider_requests_total", &[provider, "status=\"503\""]), Some(4.0));
    assert_eq!(sample(&scrape, "hub_provider_retries_total", &[provider, "reason=\"transient\""]), Some(2.0));
    assert_eq!(sample(&scrape, "hub_provider_request_duration_seconds_count", &[provider]), Some(5.0));
    assert!(sample(&scrape, "hub_provider_rate_limit_wait_seconds_count", &[provider]).is_some());
    let host = format!("host=\"{address}\"");
    assert_eq!(sample(&scrape, "hub_provider_circuit_state", &[provider, &host]), Some(2.0), "open is 2");
    assert_eq!(sample(&scrape, "hub_provider_connection_circuits_open", &[provider]), Some(1.0));
    Ok(())
}

#[tokio::test]
async fn pauses_and_calls_refused_for_a_pause_are_counted() -> anyhow::Result<()> {
    let handle = prometheus()?;
    let limited = Router::new()
        .route("/limited", get(|| async { (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "30")], "slow down") }));
    let (address, log) = support::serve(limited).await?;
    let mut config = support::test_config();
    config.retry.max_attempts = 1;
    let client = support::client(config)?;
    let url = format!("http://{address}/limited");

    let first = support::get(&client, "metrics-pause", &url)?.connection("conn_p");
    let _ = client.execute(first).await;
    // The key is paused for 30 s: a call that must finish within 1 s is refused unsent.
    let second =
        support::get(&client, "metrics-pause", &url)?.connection("conn_p").total_timeout(Duration::from_secs(1));
    let refused = client.execute(second).await;
    assert!(matches!(refused, Err(hub_resilience::ResilienceError::RateLimited { .. })), "{refused:?}");
    assert_eq!(log.len(), 1, "the refused call was not sent");

    let scrape = handle.render();
    let provider = "provider=\"metrics-pause\"";
    let pauses = sample(&scrape, "hub_provider_rate_limit_pauses_total", &[provider, "origin=\"provider\""]);
    assert_eq!(pauses, Some(1.0));
    assert_eq!(sample(&scrape, "hub_provider_rate_limited_calls_total", &[provider]), Some(1.0));
    Ok(())
}
