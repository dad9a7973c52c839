//! Hub nodes on one PostgreSQL share their outbound state: each node below is an `AppState` with
//! the `ResilientClient` it builds for every provider call, calling the provider emulators.
//! A breaker one node opens makes the others fail fast without sending, and once the provider
//! recovers every node closes it within a second; a `Retry-After` one node is given holds the key
//! back on every node, while a healthy provider keeps its pace.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hub_api::AppState;
use hub_emulators::{DEFAULT_CLIENT_ID, EmulatedProvider, EmulatorState, FaultRule, HttpFault};
use hub_resilience::{CircuitState, ProviderCall, RateLimitPolicy, ResilienceError, ResilientClient, ScopeKey};
use reqwest::Method;
use serde_json::json;

use common::{Backend, TestApp};

const WHOAMI: &str = "/_whoami";

/// Another hub node on the test app's database: its own store connections, its own state.
async fn node(app: &TestApp) -> AppState {
    let url = app.database_url.as_deref().expect("a PostgreSQL test app");
    let store = hub_store::PostgresStore::connect(url).await.expect("connect the node");
    let mut settings = hub_api::ApiSettings::new(app.base_url.clone());
    settings.allow_private_targets = true;
    let keyring = hub_vault::Keyring::load(&app.keyring_path).expect("keyring");
    AppState::new(Arc::new(store), &keyring, settings)
}

/// One emulated provider as a node calls it: `GET /{provider}/_whoami` with a live token, for one
/// connection.
#[derive(Clone)]
struct Target {
    provider: EmulatedProvider,
    url: String,
    token: String,
    connection: String,
}

impl Target {
    fn new(emulator: &EmulatorState, base_url: &str, provider: EmulatedProvider, connection: &str) -> Self {
        let token = emulator.issue_access_token(provider, DEFAULT_CLIENT_ID).expect("token");
        Self { provider, url: format!("{base_url}/{}{WHOAMI}", provider.slug()), token, connection: connection.into() }
    }

    fn call(&self, client: &ResilientClient) -> ProviderCall {
        let request = client.http().get(&self.url).bearer_auth(&self.token).build().expect("request");
        let provider = self.provider.slug();
        ProviderCall::new(provider, format!("{provider}:net_shared"), request).connection(self.connection.as_str())
    }

    fn key(&self) -> ScopeKey {
        ScopeKey::from(self.connection.as_str())
    }
}

/// A fault armed for the next `armed` requests to a provider's whoami, counting the requests the
/// emulator applied it to (the emulator keeps no request log).
struct FaultCounter {
    state: EmulatorState,
    rule: FaultRule,
    armed: u32,
}

impl FaultCounter {
    fn arm(state: &EmulatorState, provider: EmulatedProvider, fault: HttpFault, armed: u32) -> Self {
        let rule = FaultRule::new(provider.slug(), WHOAMI, fault);
        state.inject_fault(rule.clone().times(armed)).expect("inject");
        Self { state: state.clone(), rule, armed }
    }

    /// Requests that reached the emulator under this rule so far.
    fn applied(&self) -> u32 {
        let remaining = self
            .state
            .active_faults()
            .into_iter()
            .find(|active| FaultRule { count: None, ..active.clone() } == self.rule)
            .and_then(|active| active.count)
            .unwrap_or(0);
        self.armed - remaining
    }
}

/// Waits until `done` holds, checking every 5 ms for at most `limit`; how long it took.
async fn within(limit: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

/// The circuit `GET /v1/connections/{id}/health` shows on the test app's own node.
async fn circuit_over_http(app: &TestApp, id: &str) -> String {
    let (status, health) = app.send(Method::GET, &format!("/v1/connections/{id}/health"), &app.admin_key, None).await;
    assert_eq!(status, 200, "{health}");
    health["circuit"].as_str().expect("circuit").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breaker_opened_on_one_node_fails_calls_fast_on_the_others_and_every_node_closes_it_within_a_second() {
    let Some(app) = common::spawn_app_with_emulators(Backend::Postgres).await else { return };
    let (status, created) =
        app.send(Method::POST, "/v1/connections", &app.admin_key, Some(json!({"provider": "hubspot"}))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (node_a, node_b) = (node(&app).await, node(&app).await);
    let (a, b) = (node_a.connections.client(), node_b.connections.client());
    let emulator = app.emulators();
    let base_url = app.emulator.as_ref().expect("emulators").base_url();
    let hubspot = Target::new(emulator, &base_url, EmulatedProvider::HubSpot, &id);

    // HubSpot fails: node A calls until its breaker opens.
    let failures = FaultCounter::arm(emulator, EmulatedProvider::HubSpot, HttpFault::Status { status: 503 }, 100_000);
    let started = Instant::now();
    while a.health(&hubspot.key()).circuit == CircuitState::Closed {
        assert!(started.elapsed() < Duration::from_secs(10), "node A's breaker never opened");
        let _ = a.execute(hubspot.call(a)).await;
    }
    let opened_on_a = Instant::now();

    // Node B learns it from the database and refuses calls without sending them.
    let learned = within(Duration::from_secs(1), "node B learns of the open breaker", || {
        b.health(&hubspot.key()).circuit != CircuitState::Closed
    })
    .await;
    let sent_before = failures.applied();
    for _ in 0..20 {
        match b.execute(hubspot.call(b)).await {
            Err(ResilienceError::CircuitOpen { last_error, .. }) => {
                assert!(last_error.as_deref().is_some_and(|e| e.contains("503")), "{last_error:?}")
            }
            other => panic!("node B should fail fast, got {other:?}"),
        }
    }
    assert_eq!(failures.applied(), sent_before, "node B sent nothing to the failing provider");
    let health = b.health(&hubspot.key());
    assert!(health.opened_at.is_some() && health.last_error.is_some_and(|e| e.contains("503")));
    // The API shows it too, on a third node that never called HubSpot.
    let mut shown = String::new();
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        shown = circuit_over_http(&app, &id).await;
        if shown != "closed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_ne!(shown, "closed", "GET /v1/connections/{{id}}/health shows the open circuit on every node");
    eprintln!(
        "node B learned of the open breaker {learned:?} after it was seen open on node A ({:?} after A opened)",
        opened_on_a.elapsed()
    );

    // HubSpot recovers. Node A keeps calling and its probe closes the breaker; node B sends
    // nothing and must close it from what node A published.
    emulator.clear_faults();
    let recovered = Instant::now();
    let caller = {
        let (a, hubspot) = (a.clone(), hubspot.clone());
        tokio::spawn(async move {
            loop {
                if a.execute(hubspot.call(&a)).await.is_ok() {
                    return recovered.elapsed();
                }
                assert!(recovered.elapsed() < Duration::from_secs(3), "node A's calls never resumed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    within(Duration::from_secs(3), "node B closes its breaker", || {
        b.health(&hubspot.key()).circuit == CircuitState::Closed
    })
    .await;
    let b_closed_after = recovered.elapsed();
    let a_resumed_after = caller.await.expect("node A");
    let mut http_closed_after = None;
    while recovered.elapsed() < Duration::from_secs(3) {
        if circuit_over_http(&app, &id).await == "closed" {
            http_closed_after = Some(recovered.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let http_closed_after = http_closed_after.expect("the API shows the circuit closed again");
    eprintln!(
        "after recovery: node A's calls resumed in {a_resumed_after:?}, node B closed in {b_closed_after:?}, \
         the API node in {http_closed_after:?}"
    );
    assert!(a_resumed_after < Duration::from_secs(1), "node A resumed {a_resumed_after:?} after recovery");
    assert!(b_closed_after < Duration::from_secs(1), "node B closed {b_closed_after:?} after recovery");
    assert!(http_closed_after < Duration::from_secs(1), "the API node closed {http_closed_after:?} after recovery");
    b.execute(hubspot.call(b)).await.expect("node B's calls succeed again");
}

/// What a node's loops calling one target saw.
struct Run {
    successes: usize,
    failures: usize,
    latencies: Vec<Duration>,
    length: Duration,
}

impl Run {
    fn rate(&self) -> f64 {
        self.successes as f64 / self.length.as_secs_f64()
    }

    fn median(&mut self) -> Duration {
        self.latencies.sort();
        self.latencies.get(self.latencies.len() / 2).copied().unwrap_or_default()
    }
}

/// Four loops on `client` calling `target` every 10 ms for `length`.
async fn run_loops(client: &ResilientClient, target: &Target, length: Duration) -> Run {
    let started = Instant::now();
    let mut loops = Vec::new();
    for _ in 0..4 {
        let (client, target) = (client.clone(), target.clone());
        loops.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(10));
            let (mut successes, mut failures, mut latencies) = (0, 0, Vec::new());
            while started.elapsed() < length {
                ticks.tick().await;
                let limit = RateLimitPolicy::new(1000, Duration::from_secs(1)).expect("policy").with_burst(100);
                let sent = Instant::now();
                match client.execute(target.call(&client).app_limit(limit)).await {
                    Ok(_) => successes += 1,
                    Err(_) => failures += 1,
                }
                latencies.push(sent.elapsed());
            }
            (successes, failures, latencies)
        }));
    }
    let mut run = Run { successes: 0, failures: 0, latencies: Vec::new(), length };
    for each in loops {
        let (successes, failures, latencies) = each.await.expect("loop");
        run.successes += successes;
        run.failures += failures;
        run.latencies.extend(latencies);
    }
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_one_node_is_given_holds_the_key_back_on_every_node_and_spares_healthy_providers() {
    let Some(app) = common::spawn_app_with_emulators(Backend::Postgres).await else { return };
    let (node_a, node_b) = (node(&app).await, node(&app).await);
    let (a, b) = (node_a.connections.client(), node_b.connections.client());
    let emulator = app.emulators();
    let base_url = app.emulator.as_ref().expect("emulators").base_url();
    let limited = Target::new(emulator, &base_url, EmulatedProvider::Salesforce, "conn_shared_quota");
    let healthy = Target::new(emulator, &base_url, EmulatedProvider::Square, "conn_healthy");
    let mut alone = run_loops(b, &healthy, Duration::from_millis(1500)).await;

    // Salesforce answers node A's first call with 429 and `Retry-After: 2`; every later request
    // to it is counted.
    let rate_limited =
        FaultCounter::arm(emulator, EmulatedProvider::Salesforce, HttpFault::RateLimited { retry_after_secs: 2 }, 1);
    let sent = FaultCounter::arm(emulator, EmulatedProvider::Salesforce, HttpFault::Latency { millis: 0 }, 100_000);
    let first = {
        let (a, limited) = (a.clone(), limited.clone());
        tokio::spawn(async move { a.execute(limited.call(&a)).await })
    };
    within(Duration::from_secs(5), "node A gets its 429", || rate_limited.applied() == 1).await;
    let paused_at = Instant::now();

    // Node B calls the same key (after a moment for the pause to reach it) and the healthy
    // provider meanwhile.
    tokio::time::sleep(Duration::from_millis(250)).await;
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let (b, limited) = (b.clone(), limited.clone());
            tokio::spawn(async move {
                let outcome = b.execute(limited.call(&b)).await;
                (outcome.map(|response| response.status), Instant::now())
            })
        })
        .collect();
    let mut together = run_loops(b, &healthy, Duration::from_millis(1400)).await;
    let checked_after = paused_at.elapsed();
    let during_pause = sent.applied();
    assert!(checked_after < Duration::from_millis(1950), "the check came too late ({checked_after:?}) to tell");
    assert_eq!(during_pause, 0, "no node sent anything to the paused key during its 2 s pause");

    // After the pause the key is called again: node B's waiting calls go through.
    for each in waiting {
        let (status, at) = each.await.expect("waiting call");
        assert_eq!(status.expect("node B's call succeeds after the pause"), reqwest::StatusCode::OK);
        let after = at.duration_since(paused_at);
        assert!(after >= Duration::from_millis(1800), "node B's call was answered only after the pause ({after:?})");
    }
    first.await.expect("node A").expect("node A's call succeeds once the pause is over");
    assert!(sent.applied() >= 3, "node A's retry and node B's two calls went out after the pause");

    // The healthy provider kept its pace on node B.
    assert_eq!(alone.failures + together.failures, 0, "every call to the healthy provider succeeds");
    assert!(
        together.rate() >= alone.rate() * 0.6,
        "the healthy provider's throughput holds: {:.0}/s alone, {:.0}/s during the pause",
        alone.rate(),
        together.rate()
    );
    let (median_alone, median_together) = (alone.median(), together.median());
    assert!(
        median_together <= median_alone * 3 + Duration::from_millis(20),
        "the healthy provider's median latency holds: {median_alone:?} alone, {median_together:?} during the pause"
    );

    let scrape = node_b.metrics.render();
    let peer_pauses = scrape.lines().find(|line| {
        line.starts_with("hub_provider_rate_limit_pauses_total{")
            && line.contains("origin=\"peer\"")
            && line.contains("provider=\"salesforce\"")
    });
    assert!(peer_pauses.is_some(), "the pause taken over from another node is counted:\n{scrape}");
}
