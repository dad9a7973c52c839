//! The `api` scenario: authenticated `GET /v1/locations` against the in-process hub, beside a bare
//! `GET /healthz` on the same server in the same run, reported as JSON or a table.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use secrecy::SecretString;
use serde::Serialize;

use crate::load::{self, LoadPlan, LoadReport, Target};
use crate::server::RunningServer;
use crate::setup::{BackendChoice, BenchStore, DatabaseArgs, seed_tenant};

/// Locations seeded, all of which one default-sized page returns.
const LOCATIONS: usize = 25;
/// A phase with a larger share of failed requests fails the benchmark.
const MAX_ERROR_RATIO: f64 = 0.01;
const BASELINE_PATH: &str = "/healthz";
const MEASURED_PATH: &str = "/v1/locations";

/// Flags of `hub-bench api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The database the server stores its data in.
    #[arg(long, value_enum, default_value_t = BackendChoice::Sqlite)]
    backend: BackendChoice,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Concurrent clients, each with its own keep-alive connection and one request in flight.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
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

/// The figures of one run; field names are what outside checks read from `--json`.
#[derive(Debug, Serialize)]
struct ApiFigures {
    backend: &'static str,
    concurrency: u16,
    duration_s: u64,
    warmup_s: u64,
    /// Locations in each `/v1/locations` response.
    page_size: usize,
    requests: u64,
    errors: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    baseline_requests: u64,
    baseline_errors: u64,
    baseline_rps: f64,
    baseline_p50_ms: f64,
    baseline_p99_ms: f64,
    baseline_max_ms: f64,
    /// `rps / baseline_rps`: the share of the bare server's rate the endpoint keeps.
    rps_vs_baseline: f64,
}

/// Runs the scenario: seeds a fresh store, serves it, loads both endpoints, prints the figures,
/// and fails if either phase saw more than 1% errors.
pub async fn run(args: ApiArgs) -> anyhow::Result<()> {
    let bench = BenchStore::open(args.backend, &args.database).await?;
    let tenant = seed_tenant(bench.store.as_ref(), LOCATIONS).await?;
    let server = RunningServer::start(Arc::clone(&bench.store), &tenant.keyring).await?;
    let plan = LoadPlan {
        concurrency: usize::from(args.concurrency),
        warmup: Duration::from_secs(args.warmup_seconds),
        duration: Duration::from_secs(args.seconds),
    };
    let measured = measure(server.addr, &tenant.bearer, plan).await;
    let stopped = server.stop().await;
    let (baseline, locations) = measured?;
    stopped?;

    let figures = figures(&args, &baseline, &locations);
    if args.json {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        print_table(&figures);
    }
    check_errors(BASELINE_PATH, &baseline)?;
    check_errors(MEASURED_PATH, &locations)
}

/// Checks both endpoints answer as expected, then loads the baseline and the measured endpoint,
/// one after the other.
async fn measure(addr: SocketAddr, bearer: &SecretString, plan: LoadPlan) -> anyhow::Result<(LoadReport, LoadReport)> {
    let baseline = Arc::new(Target::new(addr, BASELINE_PATH)?);
    let locations = Arc::new(Target::new(addr, MEASURED_PATH)?.with_bearer(bearer)?);
    check_answers(&baseline, &locations).await?;
    let baseline_report = load::run(baseline, plan).await?;
    let locations_report = load::run(locations, plan).await?;
    Ok((baseline_report, locations_report))
}

/// Fails early, with the server's answer, if the key is refused or the page is not the seeded one.
async fn check_answers(baseline: &Target, locations: &Target) -> anyhow::Result<()> {
    let (status, _) = load::fetch_once(baseline).await?;
    anyhow::ensure!(status.is_success(), "{BASELINE_PATH} answered {status}");
    let (status, body) = load::fetch_once(locations).await?;
    let text = String::from_utf8_lossy(&body);
    anyhow::ensure!(status.is_success(), "{MEASURED_PATH} answered {status}: {text}");
    let page: serde_json::Value = serde_json::from_slice(&body).with_context(|| format!("{MEASURED_PATH}: {text}"))?;
    let items = page.get("data").and_then(serde_json::Value::as_array).map_or(0, Vec::len);
    anyhow::ensure!(items == LOCATIONS, "{MEASURED_PATH} returned {items} locations, not the {LOCATIONS} seeded");
    Ok(())
}

fn figures(args: &ApiArgs, baseline: &LoadReport, locations: &LoadReport) -> ApiFigures {
    let rps = locations.requests_per_second();
    let baseline_rps = baseline.requests_per_second();
    ApiFigures {
        backend: hub_store::Backend::from(args.backend).as_str(),
        concurrency: args.concurrency,
        duration_s: args.seconds,
        warmup_s: args.warmup_seconds,
        page_size: LOCATIONS,
        requests: locations.requests,
        errors: locations.errors,
        rps: round(rps, 1),
        p50_ms: round(locations.latency_ms(0.5), 3),
        p99_ms: round(locations.latency_ms(0.99), 3),
        max_ms: round(locations.max_latency_ms(), 3),
        baseline_requests: baseline.requests,
        baseline_errors: baseline.errors,
        baseline_rps: round(baseline_rps, 1),
        baseline_p50_ms: round(baseline.latency_ms(0.5), 3),
        baseline_p99_ms: round(baseline.latency_ms(0.99), 3),
        baseline_max_ms: round(baseline.max_latency_ms(), 3),
        rps_vs_baseline: if baseline_rps > 0.0 { round(rps / baseline_rps, 3) } else { 0.0 },
    }
}

fn print_table(figures: &ApiFigures) {
    println!(
        "hub-bench api: {} backend, {} connections, {} s measured after {} s warm-up per phase",
        figures.backend, figures.concurrency, figures.duration_s, figures.warmup_s
    );
    println!(
        "{:<30} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9}",
        "endpoint", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms"
    );
    let rows = [
        (
            format!("GET {BASELINE_PATH} (baseline)"),
            figures.baseline_requests,
            figures.baseline_errors,
            figures.baseline_rps,
            figures.baseline_p50_ms,
            figures.baseline_p99_ms,
            figures.baseline_max_ms,
        ),
        (
            format!("GET {MEASURED_PATH} ({} items)", figures.page_size),
            figures.requests,
            figures.errors,
            figures.rps,
            figures.p50_ms,
            figures.p99_ms,
            figures.max_ms,
        ),
    ];
    for (endpoint, requests, errors, rps, p50, p99, max) in rows {
        println!("{endpoint:<30} {requests:>9} {errors:>7} {rps:>10.1} {p50:>9.3} {p99:>9.3} {max:>9.3}");
    }
    println!("{MEASURED_PATH} keeps {:.1}% of the baseline request rate", figures.rps_vs_baseline * 100.0);
}

/// Fails the run when a phase's errors exceed [`MAX_ERROR_RATIO`]; mentions smaller numbers.
fn check_errors(path: &str, report: &LoadReport) -> anyhow::Result<()> {
    let first = report.first_error.as_deref().unwrap_or("none recorded");
    if report.requests == 0 {
        anyhow::bail!("{path}: no request completed in the measured window (first error: {first})");
    }
    if report.error_ratio() > MAX_ERROR_RATIO {
        anyhow::bail!(
            "{path}: {} of {} requests failed ({:.2}%, more than {:.0}%); first error: {first}",
            report.errors,
            report.requests,
            report.error_ratio() * 100.0,
            MAX_ERROR_RATIO * 100.0
        );
    }
    if report.errors > 0 {
        eprintln!("note: {path}: {} of {} requests failed; first error: {first}", report.errors, report.requests);
    }
    Ok(())
}

/// Rounds for display and JSON, so figures do not pretend to more precision than they have.
fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}
