//! Connections sharing one app quota each get their share: a flood from one cannot starve the rest.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use hub_resilience::{RateLimitPolicy, ResilientClient};

use crate::support;

const FLOOD: usize = 300;
const QUIET_CONNECTIONS: usize = 9;
const CALLS_PER_QUIET_CONNECTION: usize = 5;

fn spawn_call(
    client: &ResilientClient,
    url: &str,
    connection: String,
) -> tokio::task::JoinHandle<anyhow::Result<Instant>> {
    let (client, url) = (client.clone(), url.to_owned());
    tokio::spawn(async move {
        let policy = RateLimitPolicy::new(100, Duration::from_secs(1))?.with_burst(10);
        let call = support::get(&client, "shared-app", &url)?.connection(connection).app_limit(policy);
        client.execute(call).await?;
        Ok(Instant::now())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_connection_cannot_starve_the_others() -> anyhow::Result<()> {
    let (address, _) = support::serve(Router::new().route("/records", get(|| async { "[]" }))).await?;
    let url = format!("http://{address}/records");
    let client = support::client(support::test_config())?;

    // One connection queues a backfill of 300 calls against an app quota of 100/s...
    let flood: Vec<_> = (0..FLOOD).map(|_| spawn_call(&client, &url, "conn_flood".into())).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ...then nine others send five calls each.
    let mut quiet = Vec::new();
    for connection in 0..QUIET_CONNECTIONS {
        for _ in 0..CALLS_PER_QUIET_CONNECTION {
            quiet.push(spawn_call(&client, &url, format!("conn_quiet_{connection}")));
        }
    }

    let mut quiet_done = Vec::new();
    for call in quiet {
        quiet_done.push(call.await??);
    }
    let mut flood_done = Vec::new();
    for call in flood {
        flood_done.push(call.await??);
    }
    let last_quiet = quiet_done.iter().max().copied().ok_or_else(|| anyhow::anyhow!("no quiet calls"))?;
    let flood_before = flood_done.iter().filter(|done| **done <= last_quiet).count();
    assert!(
        flood_before < FLOOD / 3,
        "the other connections finished when the flood had done {flood_before} of {FLOOD} calls"
    );
    Ok(())
}
