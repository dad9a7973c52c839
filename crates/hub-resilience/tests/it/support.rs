//! Real HTTP servers on loopback that record every request they receive, and clients aimed at them.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use hub_resilience::{AllowList, BreakerPolicy, ProviderCall, ResilienceConfig, ResilientClient, RetryPolicy};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub method: String,
    pub path: String,
    /// The `x-call` header: tests tag calls to find them in the log.
    pub tag: Option<String>,
}

/// Every request a test server received, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<Seen>>>);

impl RequestLog {
    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().map(|seen| seen.clone()).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.all().len()
    }

    pub fn count(&self, method: &str, path: &str) -> usize {
        self.all().iter().filter(|seen| seen.method == method && seen.path == path).count()
    }

    fn push(&self, seen: Seen) {
        if let Ok(mut log) = self.0.lock() {
            log.push(seen);
        }
    }
}

/// Serves `router` on 127.0.0.1 (a free port), recording requests in the returned log.
pub async fn serve(router: Router) -> anyhow::Result<(SocketAddr, RequestLog)> {
    let log = RequestLog::default();
    let recorder = log.clone();
    let router = router.layer(middleware::from_fn(move |request: Request, next: Next| {
        let recorder = recorder.clone();
        async move {
            recorder.push(Seen {
                at: Instant::now(),
                method: request.method().to_string(),
                path: request.uri().path().to_owned(),
                tag: request.headers().get("x-call").and_then(|value| value.to_str().ok()).map(str::to_owned),
            });
            next.run(request).await
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((address, log))
}

/// Quick clocks and loopback allowed: what every test starts from.
pub fn test_config() -> ResilienceConfig {
    let mut config = ResilienceConfig { allow_list: AllowList::loopback(), ..ResilienceConfig::default() };
    config.retry =
        RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(50) };
    config.timeouts.total = Duration::from_secs(10);
    config
}

/// A breaker that never trips, for tests about something else.
pub fn lenient_breaker() -> BreakerPolicy {
    BreakerPolicy { min_requests: 100_000, ..BreakerPolicy::default() }
}

pub fn client(config: ResilienceConfig) -> anyhow::Result<ResilientClient> {
    Ok(ResilientClient::new(config)?)
}

/// A call of `method` to `url`, tagged with `tag` for the server's log.
pub fn call(
    client: &ResilientClient,
    provider: &str,
    method: reqwest::Method,
    url: &str,
    tag: &str,
) -> anyhow::Result<ProviderCall> {
    let request = client.http().request(method, url).header("x-call", tag).build()?;
    Ok(ProviderCall::new(provider, format!("{provider}:net_test"), request))
}

/// A GET call to `url`.
pub fn get(client: &ResilientClient, provider: &str, url: &str) -> anyhow::Result<ProviderCall> {
    call(client, provider, reqwest::Method::GET, url, "")
}

/// The value at `fraction` (0.0–1.0) of sorted `samples`.
pub fn percentile(samples: &mut [Duration], fraction: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort();
    let index = ((samples.len() - 1) as f64 * fraction).round() as usize;
    samples[index.min(samples.len() - 1)]
}
