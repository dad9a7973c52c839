//! A provider that answers 429 slows only its own calls, and is left alone while paused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use hub_resilience::{CircuitState, RateLimitPolicy, ResilientClient, ScopeKey};

use crate::support::{self, percentile};

/// What the B-side loops saw.
struct Run {
    successes: usize,
    failures: usize,
    latencies: Vec<Duration>,
    length: Duration,
}

/// Four loops calling provider B every 10 ms for `length`.
async fn run_provider_b(client: &ResilientClient, url: &str, length: Duration) -> anyhow::Result<Run> {
    let started = Instant::now();
    let mut loops = Vec::new();
    for _ in 0..4 {
        let client = client.clone();
        let url = url.to_owned();
        loops.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(10));
            let mut seen = (0, 0, Vec::new());
            while started.elapsed() < length {
                ticks.tick().await;
                let call = support::get(&client, "provider-b", &url)?
                    .connection("conn_b")
                    .app_limit(RateLimitPolicy::new(1000, Duration::from_secs(1))?.with_burst(100));
                let sent = Instant::now();
                match client.execute(call).await {
                    Ok(_) => seen.0 += 1,
                    Err(_) => seen.1 += 1,
                }
                seen.2.push(sent.elapsed());
            }
            anyhow::Ok(seen)
        }));
    }
    let mut run = Run { successes: 0, failures: 0, latencies: Vec::new(), length };
    for each in loops {
        let (successes, failures, latencies) = each.await??;
        run.successes += successes;
        run.failures += failures;
        run.latencies.extend(latencies);
    }
    Ok(run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_provider_slows_only_its_own_calls() -> anyhow::Result<()> {
    let provider_a = Router::new()
        .route("/a", get(|| async { (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "2")], "slow down") }));
    let (a_address, a_log) = support::serve(provider_a).await?;
    let (b_address, _) = support::serve(Router::new().route("/b", get(|| async { "ok" }))).await?;
    let client = support::client(support::test_config())?;
    let b_url = format!("http://{b_address}/b");

    let alone = run_provider_b(&client, &b_url, Duration::from_millis(1500)).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let mut a_loops = Vec::new();
    for _ in 0..4 {
        let (client, stop) = (client.clone(), Arc::clone(&stop));
        let url = format!("http://{a_address}/a");
        a_loops.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let call = support::get(&client, "provider-a", &url)?.connection("conn_a");
                let _ = client.execute(call).await;
            }
            anyhow::Ok(())
        }));
    }
    let together = run_provider_b(&client, &b_url, Duration::from_secs(3)).await?;
    stop.store(true, Ordering::Relaxed);
    for each in a_loops {
        each.abort();
    }

    assert_eq!(alone.failures + together.failures, 0, "every call to B succeeds");
    let rate = |run: &Run| run.successes as f64 / run.length.as_secs_f64();
    assert!(
        rate(&together) >= rate(&alone) * 0.6,
        "B's throughput holds: {:.0}/s alone, {:.0}/s beside A",
        rate(&alone),
        rate(&together)
    );
    let (mut alone_latencies, mut together_latencies) = (alone.latencies, together.latencies);
    let (p50_alone, p50_together) = (percentile(&mut alone_latencies, 0.5), percentile(&mut together_latencies, 0.5));
    assert!(
        p50_together <= p50_alone * 3 + Duration::from_millis(20),
        "B's median latency holds: {p50_alone:?} alone, {p50_together:?} beside A"
    );

    let arrivals: Vec<Instant> = a_log.all().iter().map(|seen| seen.at).collect();
    let first_429 = *arrivals.first().ok_or_else(|| anyhow::anyhow!("A was never called"))?;
    let (pause_from, pause_to) = (first_429 + Duration::from_millis(100), first_429 + Duration::from_millis(1900));
    let during_pause: Vec<_> = arrivals.iter().filter(|at| **at > pause_from && **at < pause_to).collect();
    assert!(during_pause.is_empty(), "A received {} requests during its 2 s pause", during_pause.len());
    assert!(arrivals.iter().any(|at| *at >= pause_to), "A is called again once the pause is over");

    let health = client.health(&ScopeKey::from("conn_a"));
    assert_eq!(health.circuit, CircuitState::Closed, "rate limits do not trip breakers");
    Ok(())
}
