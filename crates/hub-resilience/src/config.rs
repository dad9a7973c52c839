//! Settings of the outbound stack. Defaults suit provider APIs; tests shorten the clocks.

use std::time::Duration;

use crate::breaker::BreakerPolicy;
use crate::ssrf::AllowList;

/// Everything [`crate::ResilientClient`] needs besides the calls themselves.
#[derive(Debug, Clone, Default)]
pub struct ResilienceConfig {
    pub timeouts: TimeoutPolicy,
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
    pub concurrency: ConcurrencyPolicy,
    /// Destinations allowed although their addresses are private (emulators, tests on loopback).
    pub allow_list: AllowList,
    /// Bounds on waiting calls and provider pauses.
    pub limits: QueueLimits,
}

/// Connect, per-attempt and whole-call deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutPolicy {
    /// Opening the TCP and TLS connection.
    pub connect: Duration,
    /// One attempt: sending and reading the whole response.
    pub request: Duration,
    /// The whole call: waiting for quota, every attempt and every backoff.
    pub total: Duration,
}

impl Default for TimeoutPolicy {
    fn default() -> Self {
        Self { connect: Duration::from_secs(5), request: Duration::from_secs(30), total: Duration::from_secs(60) }
    }
}

/// Exponential backoff with full jitter: before attempt `n + 1` wait a uniformly random time in
/// `[0, min(max_delay, base_delay × 2ⁿ⁻¹)]`, and never less than the provider's `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests sent at most, the first included (1 disables retries).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 4, base_delay: Duration::from_millis(200), max_delay: Duration::from_secs(10) }
    }
}

/// How many requests may be in flight at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcurrencyPolicy {
    /// Across all connections of one provider app.
    pub per_app: usize,
    /// For one connection.
    pub per_connection: usize,
}

impl Default for ConcurrencyPolicy {
    fn default() -> Self {
        Self { per_app: 64, per_connection: 8 }
    }
}

/// Bounds that keep memory and waits finite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Calls that may wait for one app's quota at once; more are refused with `QueueFull`.
    pub max_queued_per_app: usize,
    /// The longest pause a provider header can impose (guards against absurd `Retry-After`s).
    pub max_pause: Duration,
    /// Response bodies larger than this are refused.
    pub max_response_bytes: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self { max_queued_per_app: 10_000, max_pause: Duration::from_secs(3600), max_response_bytes: 32 * 1024 * 1024 }
    }
}
