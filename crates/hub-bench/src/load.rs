//! The load generator every benchmark shares: closed-loop workers, each on its own keep-alive
//! HTTP/1.1 connection to a loopback server, for a warm-up and then a fixed measured time, with
//! every latency kept in an HDR histogram.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, HOST, HeaderValue};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// A request that takes longer than this is counted as an error, so no worker can outlive its
/// phase by more than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// After a failed connection or exchange a worker waits this long, so a dead server costs a few
/// hundred attempts per second rather than a busy loop.
const ERROR_PAUSE: Duration = Duration::from_millis(10);
/// The slowest latency the histogram can hold, in microseconds (longer ones are clamped).
const HIGHEST_MICROS: u64 = 60_000_000;

/// One request to repeat: a path on a loopback server, with an optional bearer key.
pub struct Target {
    addr: SocketAddr,
    uri: Uri,
    host: HeaderValue,
    authorization: Option<HeaderValue>,
}

impl Target {
    /// `GET path` on `addr`; refuses any address that is not loopback, so a benchmark can only
    /// ever load the machine it runs on.
    pub fn new(addr: SocketAddr, path: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(addr.ip().is_loopback(), "benchmarks only send traffic to loopback, not {addr}");
        Ok(Self {
            addr,
            uri: path.parse().with_context(|| format!("`{path}` is not a request path"))?,
            host: HeaderValue::from_str(&addr.to_string())?,
            authorization: None,
        })
    }

    /// Sends `Authorization: Bearer <key>` with every request (marked sensitive for hyper).
    pub fn with_bearer(mut self, key: &SecretString) -> anyhow::Result<Self> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
            .context("the API key is not a valid header value")?;
        value.set_sensitive(true);
        self.authorization = Some(value);
        Ok(self)
    }

    /// The path requested, for reports.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    fn request(&self) -> anyhow::Result<Request<Empty<Bytes>>> {
        let mut builder = Request::get(self.uri.clone()).header(HOST, self.host.clone());
        if let Some(authorization) = &self.authorization {
            builder = builder.header(AUTHORIZATION, authorization.clone());
        }
        Ok(builder.body(Empty::new())?)
    }
}

/// How hard and how long to load a target.
#[derive(Debug, Clone, Copy)]
pub struct LoadPlan {
    /// Workers, each with one connection and at most one request in flight.
    pub concurrency: usize,
    /// Run but not counted: connections open, caches and pools fill.
    pub warmup: Duration,
    /// Counted: requests started in this window after the warm-up.
    pub duration: Duration,
}

/// What one phase measured.
#[derive(Debug)]
pub struct LoadReport {
    /// Requests started in the measured window that got an answer or failed.
    pub requests: u64,
    /// Those that did not end in `200 OK` (other statuses, transport failures, timeouts).
    pub errors: u64,
    /// From the end of the warm-up until the last worker stopped.
    pub measured: Duration,
    /// The first error seen, to say what went wrong.
    pub first_error: Option<String>,
    /// Latency of the successful requests, in microseconds.
    latency: Histogram<u64>,
}

impl LoadReport {
    /// Successful responses per second of the measured window.
    pub fn requests_per_second(&self) -> f64 {
        let seconds = self.measured.as_secs_f64();
        if seconds > 0.0 { (self.requests - self.errors) as f64 / seconds } else { 0.0 }
    }

    /// The latency at `quantile` (0.5 for the median) in milliseconds; 0 when nothing succeeded.
    pub fn latency_ms(&self, quantile: f64) -> f64 {
        if self.latency.is_empty() { 0.0 } else { self.latency.value_at_quantile(quantile) as f64 / 1000.0 }
    }

    /// The slowest successful request in milliseconds.
    pub fn max_latency_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }

    /// The share of requests that failed, from 0 to 1.
    pub fn error_ratio(&self) -> f64 {
        if self.requests == 0 { 0.0 } else { self.errors as f64 / self.requests as f64 }
    }
}

/// Loads `target` as `plan` says and returns what the measured window saw. Every worker stops by
/// itself at the end of the window (plus at most one request timeout).
pub async fn run(target: Arc<Target>, plan: LoadPlan) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(plan.concurrency > 0, "concurrency must be at least 1");
    let measure_from = Instant::now() + plan.warmup;
    let window = Window { measure_from, end: measure_from + plan.duration };
    let mut workers = JoinSet::new();
    for _ in 0..plan.concurrency {
        workers.spawn(worker(Arc::clone(&target), window));
    }
    let mut report =
        LoadReport { requests: 0, errors: 0, measured: Duration::ZERO, first_error: None, latency: new_histogram()? };
    while let Some(joined) = workers.join_next().await {
        let tally = joined.context("a load worker panicked")??;
        report.requests += tally.requests;
        report.errors += tally.errors;
        report.latency.add(&tally.latency).context("cannot merge latency histograms")?;
        if report.first_error.is_none() {
            report.first_error = tally.first_error;
        }
    }
    report.measured = Instant::now().saturating_duration_since(measure_from);
    Ok(report)
}

/// Sends one request on a new connection and returns the status and the whole body: for checking
/// that a target answers as expected before loading it.
pub async fn fetch_once(target: &Target) -> anyhow::Result<(StatusCode, Bytes)> {
    let exchange = async {
        let mut sender = connect(target.addr).await?;
        exchange(&mut sender, target.request()?).await
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .with_context(|| format!("no answer from {} within {} s", target.path(), REQUEST_TIMEOUT.as_secs()))?
}

#[derive(Debug, Clone, Copy)]
struct Window {
    measure_from: Instant,
    end: Instant,
}

struct WorkerTally {
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    latency: Histogram<u64>,
}

async fn worker(target: Arc<Target>, window: Window) -> anyhow::Result<WorkerTally> {
    let mut tally = WorkerTally { requests: 0, errors: 0, first_error: None, latency: new_histogram()? };
    let mut connection: Option<SendRequest<Empty<Bytes>>> = None;
    while Instant::now() < window.end {
        let started = Instant::now();
        let outcome = tokio::time::timeout(REQUEST_TIMEOUT, attempt(&target, &mut connection)).await;
        let elapsed = started.elapsed();
        let transport_failed = matches!(outcome, Ok(Err(_)) | Err(_));
        let failure = match outcome {
            Ok(Ok(StatusCode::OK)) => None,
            Ok(Ok(status)) => Some(format!("{} answered {status}", target.path())),
            Ok(Err(error)) => Some(format!("{}: {error:#}", target.path())),
            Err(_) => Some(format!("{}: no answer within {} s", target.path(), REQUEST_TIMEOUT.as_secs())),
        };
        if transport_failed {
            connection = None;
        }
        if started >= window.measure_from {
            tally.requests += 1;
            match failure {
                None => tally.latency.saturating_record(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)),
                Some(failure) => {
                    tally.errors += 1;
                    tally.first_error.get_or_insert(failure);
                }
            }
        }
        if transport_failed {
            tokio::time::sleep(ERROR_PAUSE).await;
        }
    }
    Ok(tally)
}

/// One request on the worker's connection, opening it first if there is none.
async fn attempt(target: &Target, connection: &mut Option<SendRequest<Empty<Bytes>>>) -> anyhow::Result<StatusCode> {
    let sender = match connection.take() {
        Some(sender) => sender,
        None => connect(target.addr).await?,
    };
    let sender = connection.insert(sender);
    let (status, _body) = exchange(sender, target.request()?).await?;
    Ok(status)
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Empty<Bytes>>> {
    let stream = TcpStream::connect(addr).await.with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // Drives the connection; it ends when the worker drops the sender or the server hangs up, and
    // its errors reach the worker through `send_request`.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends a request and reads the whole body, so the latency covers the full response.
async fn exchange(
    sender: &mut SendRequest<Empty<Bytes>>,
    request: Request<Empty<Bytes>>,
) -> anyhow::Result<(StatusCode, Bytes)> {
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).context("cannot create a latency histogram")
}
