//! Under a saturated bucket, higher priority classes go out first.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use hub_resilience::{Priority, RateLimitPolicy, ResilientClient};

use crate::support;

/// Answers the first request 429 with `Retry-After: 1`, every later one 200.
async fn answer(State(answered_once): State<Arc<AtomicBool>>) -> (StatusCode, [(&'static str, &'static str); 1]) {
    if answered_once.swap(true, Ordering::SeqCst) {
        (StatusCode::OK, [("x-note", "ok")])
    } else {
        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")])
    }
}

fn spawn_call(
    client: &ResilientClient,
    url: &str,
    priority: Priority,
    tag: &str,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let (client, url, tag) = (client.clone(), url.to_owned(), tag.to_owned());
    tokio::spawn(async move {
        let policy = RateLimitPolicy::new(20, Duration::from_secs(1))?;
        let call = support::call(&client, "busy", reqwest::Method::GET, &url, &tag)?
            .connection("conn_busy")
            .priority(priority)
            .app_limit(policy);
        client.execute(call).await?;
        Ok(())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn higher_classes_overtake_queued_backfill() -> anyhow::Result<()> {
    let router = Router::new().route("/busy", get(answer)).with_state(Arc::new(AtomicBool::new(false)));
    let (address, log) = support::serve(router).await?;
    let url = format!("http://{address}/busy");
    let mut config = support::test_config();
    config.retry.max_attempts = 1;
    let client = support::client(config)?;

    // The provider pauses the connection for a second; everything below queues behind it.
    let opener = spawn_call(&client, &url, Priority::Backfill, "opener").await?;
    assert!(opener.is_err(), "the first call is rate limited");
    let mut calls: Vec<_> =
        (0..10).map(|index| spawn_call(&client, &url, Priority::Backfill, &format!("backfill-{index}"))).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    calls.push(spawn_call(&client, &url, Priority::Scheduled, "scheduled"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    calls.push(spawn_call(&client, &url, Priority::WebhookTriggered, "webhook"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    calls.push(spawn_call(&client, &url, Priority::Interactive, "interactive"));
    for call in calls {
        call.await??;
    }

    let order: Vec<String> = log.all().into_iter().filter_map(|seen| seen.tag).collect();
    assert_eq!(order.len(), 14);
    assert_eq!(order[..4], ["opener", "interactive", "webhook", "scheduled"], "arrival order: {order:?}");
    assert!(order[4..].iter().all(|tag| tag.starts_with("backfill-")));
    Ok(())
}
