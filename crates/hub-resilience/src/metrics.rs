//! The metrics this stack exports, by name, and the helpers that record them. Every series is
//! labelled by `provider`; the app installs the recorder (Prometheus) and may call [`describe`].

use std::time::Duration;

use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};

use crate::breaker::{BreakerKey, CircuitState};

/// Histogram: seconds per attempt (send and read the whole response). Labels: `provider`.
pub const REQUEST_DURATION: &str = "hub_provider_request_duration_seconds";
/// Counter: attempts by outcome. Labels: `provider`, `status` (`200`, `503`, `timeout`,
/// `connect_error`, `transport_error`, `blocked`, `too_large`).
pub const REQUESTS_TOTAL: &str = "hub_provider_requests_total";
/// Counter: attempts made again after a retryable outcome. Labels: `provider`, `reason`.
pub const RETRIES_TOTAL: &str = "hub_provider_retries_total";
/// Gauge: host breaker state, 0 closed, 1 half-open, 2 open. Labels: `provider`, `host`.
pub const CIRCUIT_STATE: &str = "hub_provider_circuit_state";
/// Gauge: connection breakers that are not closed. Labels: `provider`.
pub const CONNECTION_CIRCUITS_OPEN: &str = "hub_provider_connection_circuits_open";
/// Histogram: seconds a call waited for its rate-limit bucket and concurrency slot. Labels: `provider`.
pub const RATE_LIMIT_WAIT: &str = "hub_provider_rate_limit_wait_seconds";
/// Counter: pauses applied because a provider said to wait. Labels: `provider`, `origin`
/// (`provider`: an answer to this node; `peer`: another node sharing the same database).
pub const RATE_LIMIT_PAUSES: &str = "hub_provider_rate_limit_pauses_total";
/// Counter: calls refused without sending because their key is paused past their deadline.
/// Labels: `provider`.
pub const RATE_LIMITED_CALLS: &str = "hub_provider_rate_limited_calls_total";
/// Counter: failed reads and writes of the state shared with other nodes. Labels: `operation`.
pub const SHARED_STATE_ERRORS: &str = "hub_provider_shared_state_errors_total";

/// Where a pause came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseOrigin {
    /// A provider's answer to this node.
    Provider,
    /// Another node, through the shared state.
    Peer,
}

impl PauseOrigin {
    fn label(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Peer => "peer",
        }
    }
}

/// Registers help texts and units with the installed recorder.
pub fn describe() {
    describe_histogram!(REQUEST_DURATION, Unit::Seconds, "Duration of one request to a provider.");
    describe_counter!(REQUESTS_TOTAL, "Requests sent to providers, by status or failure kind.");
    describe_counter!(RETRIES_TOTAL, "Requests repeated after a retryable outcome.");
    describe_gauge!(CIRCUIT_STATE, "Provider host circuit breaker: 0 closed, 1 half-open, 2 open.");
    describe_gauge!(CONNECTION_CIRCUITS_OPEN, "Connection circuit breakers that are open or half-open.");
    describe_histogram!(RATE_LIMIT_WAIT, Unit::Seconds, "Time calls waited for rate limits and concurrency.");
    describe_counter!(RATE_LIMIT_PAUSES, "Pauses applied because a provider asked to wait (this node or a peer).");
    describe_counter!(RATE_LIMITED_CALLS, "Calls refused unsent because their key is paused past their deadline.");
    describe_counter!(SHARED_STATE_ERRORS, "Failed reads and writes of the outbound state shared between nodes.");
}

pub(crate) fn record_attempt(provider: &str, status: &'static str, elapsed: Duration) {
    histogram!(REQUEST_DURATION, "provider" => provider.to_owned()).record(elapsed.as_secs_f64());
    counter!(REQUESTS_TOTAL, "provider" => provider.to_owned(), "status" => status).increment(1);
}

pub(crate) fn record_retry(provider: &str, reason: &'static str) {
    counter!(RETRIES_TOTAL, "provider" => provider.to_owned(), "reason" => reason).increment(1);
}

pub(crate) fn record_rate_limit_wait(provider: &str, waited: Duration) {
    histogram!(RATE_LIMIT_WAIT, "provider" => provider.to_owned()).record(waited.as_secs_f64());
}

pub(crate) fn record_pause(provider: &str, origin: PauseOrigin) {
    counter!(RATE_LIMIT_PAUSES, "provider" => provider.to_owned(), "origin" => origin.label()).increment(1);
}

pub(crate) fn record_rate_limit_refusal(provider: &str) {
    counter!(RATE_LIMITED_CALLS, "provider" => provider.to_owned()).increment(1);
}

pub(crate) fn record_shared_state_error(operation: &'static str) {
    counter!(SHARED_STATE_ERRORS, "operation" => operation).increment(1);
}

pub(crate) fn record_circuit_transition(provider: &str, key: &BreakerKey, from: CircuitState, to: CircuitState) {
    match key {
        BreakerKey::Host(host) => {
            gauge!(CIRCUIT_STATE, "provider" => provider.to_owned(), "host" => host.clone()).set(to.gauge_value());
        }
        BreakerKey::Connection(_) => {
            let open = gauge!(CONNECTION_CIRCUITS_OPEN, "provider" => provider.to_owned());
            match (from == CircuitState::Closed, to == CircuitState::Closed) {
                (true, false) => open.increment(1.0),
                (false, true) => open.decrement(1.0),
                _ => {}
            }
        }
    }
}

/// The `status` label for an HTTP status code, without allocating.
pub(crate) fn status_label(status: u16) -> &'static str {
    const LABELS: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
    match status {
        200 => "200",
        201 => "201",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        409 => "409",
        422 => "422",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        100..=599 => LABELS[usize::from(status / 100) - 1],
        _ => "other",
    }
}
