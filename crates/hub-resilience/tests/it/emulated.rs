//! The outbound stack against the provider emulators: a throttled provider slows only its own
//! calls and is left alone while paused, calls resume within a second of recovery, and every
//! injected fault is classified as the caller needs.
//!
//! The emulator keeps no request log, so requests are counted on its side through the fault
//! rules themselves: a rule armed with `.times(n)` uses one up per request it applies to.

use std::time::{Duration, Instant};

use hub_emulators::{DEFAULT_CLIENT_ID, EmulatedProvider, EmulatorState, FaultRule, HttpFault, RunningEmulator};
use hub_resilience::{
    BreakerKey, BreakerPolicy, CircuitState, ProviderCall, ProviderResponse, RateLimitPolicy, ResilienceConfig,
    ResilienceError, ResilientClient, ScopeKey, TimeoutPhase,
};
use reqwest::StatusCode;

use crate::support::{self, percentile};

/// The protected endpoint every emulated provider serves.
const WHOAMI: &str = "/_whoami";

async fn start_emulator() -> anyhow::Result<RunningEmulator> {
    Ok(hub_emulators::start("127.0.0.1:0".parse()?, EmulatorState::new()).await?)
}

/// One emulated provider as the hub calls it: its own app key, connection and live token.
#[derive(Debug, Clone)]
struct Target {
    provider: EmulatedProvider,
    url: String,
    token: String,
    connection: &'static str,
}

impl Target {
    fn new(emulator: &RunningEmulator, provider: EmulatedProvider, connection: &'static str) -> anyhow::Result<Self> {
        let token = emulator.state().issue_access_token(provider, DEFAULT_CLIENT_ID)?;
        let url = format!("{}/{}{WHOAMI}", emulator.base_url(), provider.slug());
        Ok(Self { provider, url, token, connection })
    }

    /// `GET /{provider}/_whoami` with the bearer token, on the app key `{provider}:net_emulated`.
    fn call(&self, client: &ResilientClient) -> anyhow::Result<ProviderCall> {
        let request = client.http().get(&self.url).bearer_auth(&self.token).build()?;
        let provider = self.provider.slug();
        Ok(ProviderCall::new(provider, format!("{provider}:net_emulated"), request).connection(self.connection))
    }
}

/// A fault armed on a provider's whoami for the next `armed` requests, counting the requests the
/// emulator applied it to.
struct FaultCounter {
    state: EmulatorState,
    rule: FaultRule,
    armed: u32,
}

impl FaultCounter {
    fn arm(state: &EmulatorState, provider: EmulatedProvider, fault: HttpFault, armed: u32) -> anyhow::Result<Self> {
        let rule = FaultRule::new(provider.slug(), WHOAMI, fault);
        state.inject_fault(rule.clone().times(armed))?;
        Ok(Self { state: state.clone(), rule, armed })
    }

    /// Requests that have reached the emulator under this rule so far.
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

/// What the square loops saw.
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
}

/// Four loops calling `target` every 10 ms for `length`.
async fn run_loops(client: &ResilientClient, target: &Target, length: Duration) -> anyhow::Result<Run> {
    let started = Instant::now();
    let mut loops = Vec::new();
    for _ in 0..4 {
        let (client, target) = (client.clone(), target.clone());
        loops.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(10));
            let (mut successes, mut failures, mut latencies) = (0, 0, Vec::new());
            while started.elapsed() < length {
                ticks.tick().await;
                let call = target
                    .call(&client)?
                    .app_limit(RateLimitPolicy::new(1000, Duration::from_secs(1))?.with_burst(100));
                let sent = Instant::now();
                match client.execute(call).await {
                    Ok(_) => successes += 1,
                    Err(_) => failures += 1,
                }
                latencies.push(sent.elapsed());
            }
            anyhow::Ok((successes, failures, latencies))
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

/// Reads `counter` every 5 ms until `until`, as `(when, requests so far)`.
async fn sample_until(counter: &FaultCounter, until: Instant) -> Vec<(Instant, u32)> {
    let mut samples = Vec::new();
    while Instant::now() < until {
        samples.push((Instant::now(), counter.applied()));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    samples
}

/// Requests counted by the last sample taken at or before `instant`.
fn seen_by(samples: &[(Instant, u32)], instant: Instant) -> u32 {
    samples.iter().take_while(|(at, _)| *at <= instant).last().map_or(0, |(_, seen)| *seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_against_emulated_providers() -> anyhow::Result<()> {
    const HUBSPOT_LOOPS: u32 = 4;
    let emulator = start_emulator().await?;
    let hubspot = Target::new(&emulator, EmulatedProvider::HubSpot, "conn_hubspot")?;
    let square = Target::new(&emulator, EmulatedProvider::Square, "conn_square")?;
    let client = support::client(support::test_config())?;

    let alone = run_loops(&client, &square, Duration::from_millis(1500)).await?;

    // HubSpot answers every whoami 429 `Retry-After: 2` while four loops keep calling it.
    let throttle = FaultCounter::arm(
        emulator.state(),
        EmulatedProvider::HubSpot,
        HttpFault::RateLimited { retry_after_secs: 2 },
        100_000,
    )?;
    let together_length = Duration::from_secs(3);
    let mut samples = vec![(Instant::now(), throttle.applied())];
    let mut hubspot_loops = Vec::new();
    for _ in 0..HUBSPOT_LOOPS {
        let (client, hubspot) = (client.clone(), hubspot.clone());
        hubspot_loops.push(tokio::spawn(async move {
            while let Ok(call) = hubspot.call(&client) {
                let _ = client.execute(call).await;
            }
        }));
    }
    let sampling = sample_until(&throttle, Instant::now() + together_length);
    let (together, later_samples) = tokio::join!(run_loops(&client, &square, together_length), sampling);
    let together = together?;
    samples.extend(later_samples);
    for each in hubspot_loops {
        each.abort();
    }
    let hubspot_requests = throttle.applied();

    assert_eq!(alone.failures + together.failures, 0, "every call to square succeeds");
    assert!(
        together.rate() >= alone.rate() * 0.5,
        "square's throughput holds: {:.0}/s alone, {:.0}/s beside a throttled hubspot",
        alone.rate(),
        together.rate()
    );
    let (mut alone_latencies, mut together_latencies) = (alone.latencies, together.latencies);
    let (p50_alone, p50_together) = (percentile(&mut alone_latencies, 0.5), percentile(&mut together_latencies, 0.5));
    assert!(
        p50_together <= p50_alone * 3 + Duration::from_millis(20),
        "square's median latency holds: {p50_alone:?} alone, {p50_together:?} beside a throttled hubspot"
    );

    // The first 429 reached the emulator between the last sample that saw none and the first
    // that saw one; the 2 s pause runs from its answer, so this window lies inside it.
    let first_seen =
        samples.iter().position(|(_, seen)| *seen > 0).ok_or_else(|| anyhow::anyhow!("hubspot was never called"))?;
    anyhow::ensure!(first_seen > 0, "the first sample predates every hubspot call");
    let (none_yet, first_429) = (samples[first_seen - 1].0, samples[first_seen].0);
    let (pause_from, pause_to) = (first_429 + Duration::from_millis(150), none_yet + Duration::from_millis(1850));
    let sampled_to = samples.last().map_or(first_429, |(at, _)| *at);
    anyhow::ensure!(sampled_to >= pause_to, "the samples end before the pause does");
    let before_pause = seen_by(&samples, pause_from);
    let during_pause = seen_by(&samples, pause_to) - before_pause;
    assert!(before_pause <= HUBSPOT_LOOPS, "only the loops' first calls went out before the pause: {before_pause}");
    assert_eq!(during_pause, 0, "the emulator received {during_pause} hubspot requests during the 2 s pause");
    assert!(
        hubspot_requests > seen_by(&samples, pause_to),
        "hubspot is called again once the pause is over ({hubspot_requests} requests in all)"
    );

    for connection in [hubspot.connection, square.connection] {
        let health = client.health(&ScopeKey::from(connection));
        assert_eq!(health.circuit, CircuitState::Closed, "{connection}: rate limits do not trip breakers");
    }
    emulator.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_within_a_second_against_the_emulator() -> anyhow::Result<()> {
    let emulator = start_emulator().await?;
    let square = Target::new(&emulator, EmulatedProvider::Square, "conn_square_recovery")?;
    let mut config = support::test_config();
    config.breaker =
        BreakerPolicy { min_requests: 4, open_cooldown: Duration::from_millis(300), ..BreakerPolicy::default() };
    let client = support::client(config)?;
    let connection = ScopeKey::from(square.connection);
    let host = BreakerKey::Host(emulator.address().to_string());
    client.execute(square.call(&client)?).await?;

    // Square answers 503 until the breaker opens.
    let outage =
        FaultCounter::arm(emulator.state(), EmulatedProvider::Square, HttpFault::Status { status: 503 }, 100_000)?;
    let started = Instant::now();
    while client.health(&connection).circuit == CircuitState::Closed {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(3), "the breaker never opened");
        let result = client.execute(square.call(&client)?).await;
        assert!(result.is_err(), "a call during the outage fails: {result:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let health = client.health(&connection);
    assert_eq!(health.circuit, CircuitState::Open);
    assert!(health.opened_at.is_some());
    assert!(
        health.last_error.as_deref().is_some_and(|error| error.contains("503")),
        "health names the last error: {:?}",
        health.last_error
    );
    assert_eq!(client.breaker_state(&host).state, CircuitState::Open, "the emulator's host breaker opened too");

    // While it is open, calls are refused here and the emulator sees only the probes.
    let requests_before = outage.applied();
    let mut refused_locally = 0;
    let open_since = Instant::now();
    while open_since.elapsed() < Duration::from_millis(500) {
        if let Err(ResilienceError::CircuitOpen { .. }) = client.execute(square.call(&client)?).await {
            refused_locally += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let probes = outage.applied() - requests_before;
    assert!(refused_locally >= 10, "an open breaker fails calls fast ({refused_locally} refused)");
    assert!(probes <= 3, "an open breaker lets only probes through, not {probes} requests");

    // The emulator recovers: measure until the first success of a loop calling every 20 ms.
    emulator.state().clear_faults();
    let recovered_at = Instant::now();
    let response = loop {
        if let Ok(response) = client.execute(square.call(&client)?).await {
            break response;
        }
        anyhow::ensure!(recovered_at.elapsed() < Duration::from_secs(3), "calls never resumed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let resumed_after = recovered_at.elapsed();
    assert!(resumed_after < Duration::from_secs(1), "calls resumed {resumed_after:?} after recovery");
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(client.health(&connection).circuit, CircuitState::Closed);
    assert_eq!(client.breaker_state(&host).state, CircuitState::Closed);
    emulator.stop().await?;
    Ok(())
}

/// One emulator, one client with a 300 ms attempt timeout and breakers that never trip.
struct FaultFixture {
    emulator: RunningEmulator,
    client: ResilientClient,
    square: Target,
}

impl FaultFixture {
    async fn start() -> anyhow::Result<Self> {
        let emulator = start_emulator().await?;
        let square = Target::new(&emulator, EmulatedProvider::Square, "conn_square_faults")?;
        let mut config = ResilienceConfig { breaker: support::lenient_breaker(), ..support::test_config() };
        config.timeouts.request = Duration::from_millis(300);
        Ok(Self { client: support::client(config)?, emulator, square })
    }

    /// Arms `fault` for the next `armed` whoami requests only, makes `call`, and returns its
    /// result with how many requests reached the emulator.
    async fn under(
        &self,
        fault: HttpFault,
        armed: u32,
        call: ProviderCall,
    ) -> anyhow::Result<(Result<ProviderResponse, ResilienceError>, u32)> {
        self.emulator.state().clear_faults();
        let counter = FaultCounter::arm(self.emulator.state(), self.square.provider, fault, armed)?;
        let result = self.client.execute(call).await;
        Ok((result, counter.applied()))
    }

    fn call(&self) -> anyhow::Result<ProviderCall> {
        self.square.call(&self.client)
    }
}

/// True when `body` parses as JSON.
fn is_json(body: &[u8]) -> bool {
    axum::Json::<serde::de::IgnoredAny>::from_bytes(body).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_of_every_kind_are_classified() -> anyhow::Result<()> {
    let fixture = FaultFixture::start().await?;

    // A hang past the attempt timeout: a request timeout, retried up to the attempt limit.
    let started = Instant::now();
    let (result, reached) = fixture.under(HttpFault::Timeout { secs: 1 }, 10, fixture.call()?).await?;
    assert!(matches!(result, Err(ResilienceError::Timeout { phase: TimeoutPhase::Request, .. })), "{result:?}");
    assert!(result.as_ref().is_err_and(ResilienceError::is_retryable));
    assert_eq!(reached, 3, "each timed-out attempt reached the emulator and was retried");
    assert!(started.elapsed() < Duration::from_millis(2500), "attempts are cut off at 300 ms, not after the hang");

    // A dropped connection: a transport error, retried.
    let (result, reached) = fixture.under(HttpFault::ConnectionReset, 10, fixture.call()?).await?;
    assert!(matches!(result, Err(ResilienceError::Transport { .. })), "{result:?}");
    assert_eq!(result.as_ref().err().map(ResilienceError::code), Some("transport_error"));
    assert_eq!(reached, 3, "a reset read is retried");

    // A 200 whose JSON is broken is a transport success: the caller gets the body and finds it
    // is not JSON. A healthy answer from the same endpoint is.
    let (result, reached) = fixture.under(HttpFault::MalformedJson, 1, fixture.call()?).await?;
    let response = result?;
    assert_eq!((response.status, response.attempts, reached), (StatusCode::OK, 1, 1));
    assert_eq!(response.headers.get("content-type").and_then(|value| value.to_str().ok()), Some("application/json"));
    assert!(!response.body.is_empty() && !is_json(&response.body), "{:?}", response.body);
    let healthy = fixture.client.execute(fixture.call()?).await?;
    assert!(is_json(&healthy.body), "the unfaulted whoami is JSON: {:?}", healthy.body);

    // 500 is final and sent once; 503 is retried up to the attempt limit, or until it passes.
    let (result, reached) = fixture.under(HttpFault::Status { status: 500 }, 10, fixture.call()?).await?;
    let status_500 = matches!(
        &result,
        Err(ResilienceError::Status { status: StatusCode::INTERNAL_SERVER_ERROR, retryable: false, attempts: 1, .. })
    );
    assert!(status_500, "{result:?}");
    assert!(result.as_ref().err().and_then(ResilienceError::response).is_some_and(|answer| is_json(&answer.body)));
    assert_eq!(reached, 1, "500 is not retried");
    let (result, reached) = fixture.under(HttpFault::Status { status: 503 }, 10, fixture.call()?).await?;
    let status_503 = matches!(
        &result,
        Err(ResilienceError::Status { status: StatusCode::SERVICE_UNAVAILABLE, retryable: true, attempts: 3, .. })
    );
    assert!(status_503, "{result:?}");
    assert_eq!(reached, 3, "503 is retried up to the attempt limit");
    let (result, reached) = fixture.under(HttpFault::Status { status: 503 }, 2, fixture.call()?).await?;
    assert_eq!(result?.attempts, 3, "two 503s, then the retry succeeds");
    assert_eq!(reached, 2);

    // Latency under the attempt timeout only slows the call; past it, the attempt is retried.
    let started = Instant::now();
    let (result, _) = fixture.under(HttpFault::Latency { millis: 150 }, 1, fixture.call()?).await?;
    assert_eq!(result?.attempts, 1);
    assert!(started.elapsed() >= Duration::from_millis(150), "the added latency was served");
    let (result, reached) = fixture.under(HttpFault::Latency { millis: 600 }, 1, fixture.call()?).await?;
    assert_eq!(result?.attempts, 2, "the slow attempt timed out and the retry succeeded");
    assert_eq!(reached, 1);

    // 429 asking for longer than the call may wait: final, retryable later, with the wait.
    let call = fixture.call()?.connection("conn_square_throttled").total_timeout(Duration::from_millis(500));
    let (result, reached) = fixture.under(HttpFault::RateLimited { retry_after_secs: 1 }, 10, call).await?;
    let rate_limited = matches!(
        &result,
        Err(ResilienceError::Status { status: StatusCode::TOO_MANY_REQUESTS, retryable: true, attempts: 1, .. })
    );
    assert!(rate_limited, "{result:?}");
    assert_eq!(result.as_ref().err().and_then(ResilienceError::retry_after), Some(Duration::from_secs(1)));
    assert_eq!(reached, 1, "nothing is resent inside the provider's pause");

    fixture.emulator.stop().await?;
    Ok(())
}
