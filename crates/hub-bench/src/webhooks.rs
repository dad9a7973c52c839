//! The `webhooks-in` and `webhooks-out` scenarios.
//!
//! - `webhooks-in`: signed Stripe deliveries POSTed to the in-process hub (verified on the raw
//!   bytes, stored durably by group commit before the 2xx), beside a bare axum handler that
//!   answers POSTs with 200 on its own port, with the same load generator, in the same run.
//! - `webhooks-out`: events emitted through the hub's emitter (durable before `emit` returns),
//!   delivered by the dispatcher to a local receiver that answers 200 at once, to 1 and to 10
//!   endpoints; create→delivered latency is measured at the receiver from a timestamp in the
//!   event, under load (64 emitters) and idle (one event at a time).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use axum::body::Bytes;
use clap::Args;
use hdrhistogram::Histogram;
use hmac::{Hmac, Mac};
use hub_core::access::TenantScope;
use hub_store::ChangeContext;
use hub_webhooks::outbound::{EndpointRequest, PlatformEvent};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::setup::{BackendChoice, BenchStore, DatabaseArgs, seed_tenant};

const STRIPE_SECRET: &str = "whsec_bench_secret";

/// Flags of `hub-bench webhooks-in` and `webhooks-out`.
#[derive(Debug, Args)]
pub struct WebhookArgs {
    #[arg(long, value_enum, default_value_t = BackendChoice::Sqlite)]
    backend: BackendChoice,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Requests (inbound) or emitters (outbound) in flight.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    /// Measured seconds of each phase, after its warm-up.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
    /// Seconds of load at the start of each phase that are not counted.
    #[arg(long = "warmup-seconds", default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup_seconds: u64,
    #[command(flatten)]
    database: DatabaseArgs,
}

struct Hub {
    state: hub_api::AppState,
    scope: TenantScope,
    shutdown: CancellationToken,
}

async fn start_hub(bench: &BenchStore, background: bool) -> anyhow::Result<Hub> {
    let tenant = seed_tenant(bench.store.as_ref(), 1).await?;
    let network = bench.store.list_networks().await?.pop().context("the seeded network")?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut settings = hub_api::ApiSettings::new(format!("http://{addr}"));
    settings.webhooks.allow_list = hub_resilience::AllowList::loopback();
    let state = hub_api::AppState::new(Arc::clone(&bench.store), &tenant.keyring, settings);
    let shutdown = CancellationToken::new();
    if background {
        hub_api::webhook_sync::start(&state, shutdown.clone());
    }
    tokio::spawn(hub_api::serve(listener, hub_api::app(state.clone()), shutdown.clone()));
    Ok(Hub { state, scope: TenantScope::network(network.id), shutdown })
}

/// Latencies and counts of one load phase.
struct Phase {
    count: u64,
    errors: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }
    fn ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds are valid")
}

/// Closed-loop load: `concurrency` workers each run `request` again and again; only requests
/// that start after the warm-up and end before the deadline count.
async fn closed_loop<F, Fut>(concurrency: usize, warmup: Duration, duration: Duration, request: F) -> Phase
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let sequence = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let (measure_from, until) = (start + warmup, start + warmup + duration);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (request, sequence) = (Arc::clone(&request), Arc::clone(&sequence));
            tokio::spawn(async move {
                let (mut latency, mut count, mut errors) = (histogram(), 0u64, 0u64);
                while Instant::now() < until {
                    let n = sequence.fetch_add(1, Ordering::Relaxed);
                    let began = Instant::now();
                    let ok = request(n).await;
                    let ended = Instant::now();
                    if began >= measure_from && ended <= until {
                        if ok {
                            count += 1;
                            let _ = latency.record((ended - began).as_micros().max(1) as u64);
                        } else {
                            errors += 1;
                        }
                    }
                }
                (latency, count, errors)
            })
        })
        .collect();
    let mut phase = Phase { count: 0, errors: 0, elapsed: duration, latency: histogram() };
    for worker in workers {
        if let Ok((latency, count, errors)) = worker.await {
            let _ = phase.latency.add(latency);
            phase.count += count;
            phase.errors += errors;
        }
    }
    phase
}

#[derive(Debug, Serialize)]
struct InboundFigures {
    backend: &'static str,
    concurrency: u16,
    duration_s: u64,
    acks: u64,
    errors: u64,
    acks_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    baseline_rps: f64,
    baseline_p50_ms: f64,
    baseline_p99_ms: f64,
    /// `acks_per_s / baseline_rps` (target ≥ 0.5).
    acks_vs_baseline: f64,
    /// Deliveries in the store after the run (each acknowledged one is there).
    stored: u64,
}

/// `webhooks-in`.
pub async fn run_inbound(args: WebhookArgs) -> anyhow::Result<()> {
    let bench = BenchStore::open(args.backend, &args.database).await?;
    let hub = start_hub(&bench, false).await?;
    let registration = hub_webhooks::inbound::sources::SourceRegistration {
        provider: "stripe".into(),
        secret: hub_webhooks::WebhookSecret::new(STRIPE_SECRET)?,
        verify_token: None,
        connection_id: None,
        franchisee_id: None,
        location_id: None,
        notification_url: None,
    };
    let (source, token) =
        hub.state.webhooks.inbound().sources().register(&hub.scope, &ChangeContext::cli(), registration).await?;
    let url = hub.state.webhooks.inbound().url_for("stripe", &token);

    // The baseline: a bare axum handler on its own port, answering POSTs with 200.
    let baseline_listener = TcpListener::bind("127.0.0.1:0").await?;
    let baseline_url = format!("http://{}/hook", baseline_listener.local_addr()?);
    let baseline = axum::Router::new().route("/hook", axum::routing::post(|_body: Bytes| async { "ok" }));
    tokio::spawn(async move { axum::serve(baseline_listener, baseline).await });

    let concurrency = usize::from(args.concurrency);
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).tcp_nodelay(true).build()?;
    let at = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let (warmup, duration) = (Duration::from_secs(args.warmup_seconds), Duration::from_secs(args.seconds));
    let post = move |client: reqwest::Client, url: String, prefix: &'static str| {
        move |n: u64| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                let body =
                    format!(r#"{{"id":"evt_{prefix}{n}","type":"charge.succeeded","data":{{"object":{{"n":{n}}}}}}}"#);
                let signature = stripe_signature(body.as_bytes(), at);
                let response = client
                    .post(&url)
                    .header("Stripe-Signature", signature)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await;
                matches!(response, Ok(response) if response.status().is_success())
            }
        }
    };
    let base = closed_loop(concurrency, warmup, duration, post(client.clone(), baseline_url, "b")).await;
    let hub_phase = closed_loop(concurrency, warmup, duration, post(client.clone(), url, "h")).await;
    let page = hub_core::page::PageRequest::from_query(Some(1), None)?;
    let _ = bench.store.list_inbound_events(&hub.scope, &source.id, &page).await?;
    let stored = count_inbound(&bench).await.unwrap_or(0);
    hub.shutdown.cancel();
    let figures = InboundFigures {
        backend: hub_store::Backend::from(args.backend).as_str(),
        concurrency: args.concurrency,
        duration_s: args.seconds,
        acks: hub_phase.count,
        errors: hub_phase.errors,
        acks_per_s: round(hub_phase.rate()),
        p50_ms: round(hub_phase.ms(0.5)),
        p99_ms: round(hub_phase.ms(0.99)),
        baseline_rps: round(base.rate()),
        baseline_p50_ms: round(base.ms(0.5)),
        baseline_p99_ms: round(base.ms(0.99)),
        acks_vs_baseline: round(hub_phase.rate() / base.rate().max(1.0)),
        stored,
    };
    print(&figures, args.json)
}

async fn count_inbound(bench: &BenchStore) -> anyhow::Result<u64> {
    let url = bench.database_url();
    if url.starts_with("postgres") {
        let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await?;
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbound_events").fetch_one(&mut connection).await?;
        Ok(count as u64)
    } else {
        let mut connection = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await?;
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM inbound_events").fetch_one(&mut connection).await?;
        Ok(count as u64)
    }
}

fn stripe_signature(body: &[u8], at: u64) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(STRIPE_SECRET.as_bytes()).expect("HMAC takes any key");
    mac.update(at.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Debug, Serialize)]
struct OutboundRun {
    endpoints: usize,
    emitted: u64,
    deliveries: u64,
    deliveries_per_s: f64,
    messages_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    idle_p50_ms: f64,
    idle_p99_ms: f64,
}

#[derive(Debug, Serialize)]
struct OutboundFigures {
    backend: &'static str,
    concurrency: u16,
    duration_s: u64,
    /// The figures of the one-endpoint run (the headline).
    deliveries_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    runs: Vec<OutboundRun>,
}

/// What the receiver measured: create→delivered latency of each delivery in the window.
struct Received {
    origin: Instant,
    measuring: AtomicBool,
    count: AtomicU64,
    latency: Mutex<Histogram<u64>>,
}

/// `webhooks-out`.
pub async fn run_outbound(args: WebhookArgs) -> anyhow::Result<()> {
    let mut runs = Vec::new();
    for endpoints in [1usize, 10] {
        runs.push(outbound_run(&args, endpoints).await?);
    }
    let headline = &runs[0];
    let figures = OutboundFigures {
        backend: hub_store::Backend::from(args.backend).as_str(),
        concurrency: args.concurrency,
        duration_s: args.seconds,
        deliveries_per_s: headline.deliveries_per_s,
        p50_ms: headline.p50_ms,
        p99_ms: headline.p99_ms,
        runs,
    };
    print(&figures, args.json)
}

async fn outbound_run(args: &WebhookArgs, endpoints: usize) -> anyhow::Result<OutboundRun> {
    let bench = BenchStore::open(args.backend, &args.database).await?;
    let hub = start_hub(&bench, true).await?;
    let received = Arc::new(Received {
        origin: Instant::now(),
        measuring: AtomicBool::new(false),
        count: AtomicU64::new(0),
        latency: Mutex::new(histogram()),
    });
    let receiver_listener = TcpListener::bind("127.0.0.1:0").await?;
    let receiver_url = format!("http://{}/in", receiver_listener.local_addr()?);
    let state = Arc::clone(&received);
    let receiver = axum::Router::new().route(
        "/in",
        axum::routing::post(move |body: Bytes| {
            let state = Arc::clone(&state);
            async move {
                if state.measuring.load(Ordering::Relaxed)
                    && let Some(created) = created_at_micros(&body)
                {
                    let now = state.origin.elapsed().as_micros() as u64;
                    state.count.fetch_add(1, Ordering::Relaxed);
                    let _ = state.latency.lock().await.record(now.saturating_sub(created).max(1));
                }
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(receiver_listener, receiver).await });
    for _ in 0..endpoints {
        let request = EndpointRequest {
            url: receiver_url.clone(),
            description: None,
            event_types: vec![],
            scope: hub_store::EndpointScope::Network,
            role: hub_core::access::Role::NetworkAdmin,
            rate_limit_per_second: None,
            ordered: false,
        };
        hub.state.webhooks.endpoints().register(&hub.scope, &ChangeContext::cli(), request).await?;
    }
    let emitter = hub.state.webhooks.emitter().clone();
    let network = hub.scope.network_id.clone();
    let origin = received.origin;
    let emit = move |n: u64| {
        let (emitter, network) = (emitter.clone(), network.clone());
        async move {
            let created = origin.elapsed().as_micros() as u64;
            let data = serde_json::json!({"created_us": created, "n": n});
            emitter.emit(PlatformEvent::new(network, "sync.failed", format!("bench:{n}:{created}"), data)).await.is_ok()
        }
    };
    let (warmup, duration) = (Duration::from_secs(args.warmup_seconds), Duration::from_secs(args.seconds));
    // Under load: the receiver counts deliveries that arrive during the measured window.
    let flag = Arc::clone(&received);
    let measure = tokio::spawn(async move {
        tokio::time::sleep(warmup).await;
        flag.measuring.store(true, Ordering::Relaxed);
        tokio::time::sleep(duration).await;
        flag.measuring.store(false, Ordering::Relaxed);
    });
    let emitted = closed_loop(usize::from(args.concurrency), warmup, duration, emit.clone()).await;
    measure.await?;
    let deliveries = received.count.swap(0, Ordering::Relaxed);
    let loaded = std::mem::replace(&mut *received.latency.lock().await, histogram());
    // Let the backlog drain, then measure one event at a time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    received.measuring.store(true, Ordering::Relaxed);
    let idle_deadline = Instant::now() + Duration::from_secs(3);
    let mut n = u64::MAX / 2;
    while Instant::now() < idle_deadline {
        let before = received.count.load(Ordering::Relaxed);
        emit(n).await;
        n += 1;
        let wait_until = Instant::now() + Duration::from_secs(1);
        while received.count.load(Ordering::Relaxed) < before + endpoints as u64 && Instant::now() < wait_until {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    received.measuring.store(false, Ordering::Relaxed);
    let idle = received.latency.lock().await.clone();
    hub.shutdown.cancel();
    let ms = |histogram: &Histogram<u64>, quantile: f64| round(histogram.value_at_quantile(quantile) as f64 / 1000.0);
    let rate = deliveries as f64 / duration.as_secs_f64();
    Ok(OutboundRun {
        endpoints,
        emitted: emitted.count,
        deliveries,
        deliveries_per_s: round(rate),
        messages_per_s: round(rate / endpoints as f64),
        p50_ms: ms(&loaded, 0.5),
        p99_ms: ms(&loaded, 0.99),
        idle_p50_ms: ms(&idle, 0.5),
        idle_p99_ms: ms(&idle, 0.99),
    })
}

/// The `created_us` the benchmark put in the event's data.
fn created_at_micros(body: &[u8]) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value["data"]["created_us"].as_u64()
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn print<T: Serialize>(figures: &T, json: bool) -> anyhow::Result<()> {
    let text = if json { serde_json::to_string(figures)? } else { serde_json::to_string_pretty(figures)? };
    println!("{text}");
    Ok(())
}
