//! The crate's one error type: what went wrong with an outbound call, its stable `code()`, and
//! whether trying the same call again later may succeed (`is_retryable()`).

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::call::ProviderResponse;
use crate::ssrf::SsrfError;

/// Which clock ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Opening the TCP/TLS connection.
    Connect,
    /// One attempt: sending the request and reading the whole response.
    Request,
    /// The whole call: queueing, every attempt and every backoff.
    Total,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Request => "request",
            Self::Total => "total",
        })
    }
}

/// Why an outbound call did not produce a successful response.
///
/// `is_retryable()` says the failure is transient (the provider or the path to it may recover);
/// whether a *write* is safe to repeat is still the caller's knowledge (idempotency key or not).
#[derive(Debug, thiserror::Error)]
pub enum ResilienceError {
    /// The provider answered, and the answer is final (after any retries this crate made).
    #[error("{provider} answered {status} after {attempts} attempt(s)")]
    Status {
        provider: String,
        status: StatusCode,
        /// The classifier's view: a rate limit or transient server failure.
        retryable: bool,
        /// The provider's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
        attempts: u32,
        /// The last response, so the caller can read the provider's error body.
        response: Box<ProviderResponse>,
    },
    /// The key is paused (the provider asked us to wait) past this call's deadline; nothing was sent.
    #[error("{provider} asked to pause {key} for {retry_after:?}")]
    RateLimited { provider: String, key: String, retry_after: Duration },
    /// A circuit breaker is open; nothing was sent.
    #[error("circuit {key} is {state}{}", last_error.as_deref().map(|e| format!(" (last error: {e})")).unwrap_or_default())]
    CircuitOpen { key: String, state: crate::breaker::CircuitState, retry_after: Duration, last_error: Option<String> },
    /// A deadline passed.
    #[error("call to {provider} timed out ({phase})")]
    Timeout { provider: String, phase: TimeoutPhase },
    /// No connection could be opened (refused, unreachable, DNS failure).
    #[error("could not connect to {provider}: {source}")]
    Connect {
        provider: String,
        #[source]
        source: reqwest::Error,
    },
    /// The connection broke while the request or response was in flight.
    #[error("transport error talking to {provider}: {source}")]
    Transport {
        provider: String,
        #[source]
        source: reqwest::Error,
    },
    /// The response body was larger than `ResilienceConfig::max_response_bytes`.
    #[error("response from {provider} is larger than {limit} bytes")]
    ResponseTooLarge { provider: String, limit: usize },
    /// The destination address is private or otherwise refused (SSRF protection).
    #[error(transparent)]
    Blocked(#[from] SsrfError),
    /// Too many calls are already waiting for this key's quota.
    #[error("too many calls queued for {key}")]
    QueueFull { key: String },
    /// The call itself is unusable (no host in the URL, invalid rate-limit policy).
    #[error("invalid request: {reason}")]
    InvalidRequest { reason: String },
    /// The HTTP client could not be built from the configuration.
    #[error("could not build the HTTP client: {source}")]
    ClientBuild {
        #[source]
        source: reqwest::Error,
    },
}

impl ResilienceError {
    /// A stable, machine-readable code for logs, metrics and API problem details.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Status { .. } => "provider_status",
            Self::RateLimited { .. } => "rate_limited",
            Self::CircuitOpen { .. } => "circuit_open",
            Self::Timeout { .. } => "timeout",
            Self::Connect { .. } => "connect_error",
            Self::Transport { .. } => "transport_error",
            Self::ResponseTooLarge { .. } => "response_too_large",
            Self::Blocked(_) => "destination_blocked",
            Self::QueueFull { .. } => "queue_full",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::ClientBuild { .. } => "client_build",
        }
    }

    /// True when the failure is transient: the same call made later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { retryable, .. } => *retryable,
            Self::RateLimited { .. }
            | Self::CircuitOpen { .. }
            | Self::Timeout { .. }
            | Self::Connect { .. }
            | Self::Transport { .. }
            | Self::QueueFull { .. } => true,
            Self::ResponseTooLarge { .. }
            | Self::Blocked(_)
            | Self::InvalidRequest { .. }
            | Self::ClientBuild { .. } => false,
        }
    }

    /// How long to wait before trying again, when the provider or a breaker said so.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            Self::RateLimited { retry_after, .. } | Self::CircuitOpen { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// The provider's final response, when it answered at all.
    pub fn response(&self) -> Option<&ProviderResponse> {
        match self {
            Self::Status { response, .. } => Some(response),
            _ => None,
        }
    }
}
