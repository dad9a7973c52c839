//! The one outbound stack every provider call goes through: rate limit → concurrency limit →
//! retry → circuit breaker → timeout → HTTP client, with SSRF checks on every address dialled.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use hub_resilience::{Priority, ProviderCall, RateLimitPolicy, ResilienceConfig, ResilientClient};
//!
//! let client = ResilientClient::new(ResilienceConfig::default())?;
//! let request = client
//!     .http()
//!     .get("https://api.hubapi.com/crm/v3/objects/contacts")
//!     .build()?;
//! let call = ProviderCall::new("hubspot", "hubspot:net_01jd", request)
//!     .connection("conn_01jd")
//!     .priority(Priority::Scheduled)
//!     .connection_limit(RateLimitPolicy::new(110, Duration::from_secs(10))?.with_burst(10));
//! let response = client.execute(call).await?;
//! println!("{} bytes", response.body.len());
//! # Ok(()) }
//! ```
//!
//! Order of the stack, and why rate limiting sits inside the retry loop: every *attempt* (first
//! try or retry) waits for its rate-limit bucket and a concurrency slot, passes the circuit
//! breakers, then goes out under the per-request timeout. Retries therefore spend quota and
//! respect a provider's pause exactly like first tries, and a paused key holds back retries too.
#![forbid(unsafe_code)]

pub mod breaker;
mod call;
pub mod classify;
mod client;
mod config;
mod error;
pub mod headers;
mod limiter;
pub mod metrics;
mod retry;
pub mod shared;
pub mod ssrf;

pub use breaker::{
    BreakerKey, BreakerPolicy, BreakerRecord, BreakerSnapshot, BreakerStateStore, CircuitState, InMemoryBreakerStore,
};
pub use call::{Priority, ProviderCall, ProviderResponse, ScopeKey};
pub use classify::{Classifier, DefaultClassifier, PauseScope, ResponseParts, SalesforceClassifier, Verdict};
pub use client::{ConnectionHealth, ResilientClient};
pub use config::{ConcurrencyPolicy, QueueLimits, ResilienceConfig, RetryPolicy, TimeoutPolicy};
pub use error::{ResilienceError, TimeoutPhase};
pub use headers::RateLimitHint;
pub use limiter::RateLimitPolicy;
pub use shared::{PublishedBreaker, SharedBreaker, SharedPause, SharedState, SharedStateBackend, SharedStateError};
pub use ssrf::{AllowList, SsrfError};
