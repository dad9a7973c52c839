//! What a caller hands to the stack (`ProviderCall`) and what it gets back (`ProviderResponse`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::classify::{Classifier, DefaultClassifier};
use crate::limiter::RateLimitPolicy;

/// Names one quota or breaker scope: a provider app (`hubspot:net_…`), a connection (`conn_…`),
/// an outbound webhook endpoint. Cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeKey(Arc<str>);

impl ScopeKey {
    /// The key as text, for logs and API output.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ScopeKey {
    fn from(value: &str) -> Self {
        Self(Arc::from(value))
    }
}

impl From<String> for ScopeKey {
    fn from(value: String) -> Self {
        Self(Arc::from(value))
    }
}

impl From<&String> for ScopeKey {
    fn from(value: &String) -> Self {
        Self(Arc::from(value.as_str()))
    }
}

impl fmt::Display for ScopeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ScopeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// Who is waiting for the answer; when calls wait for the same bucket, higher classes go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// A person is waiting (dashboard, API request).
    Interactive,
    /// A provider told us something changed (targeted sync after a webhook).
    WebhookTriggered,
    /// Regular incremental syncs.
    Scheduled,
    /// Historical imports and full resyncs: use whatever quota is left.
    Backfill,
}

impl Priority {
    /// Every class, highest first.
    pub const ALL: [Priority; 4] = [Self::Interactive, Self::WebhookTriggered, Self::Scheduled, Self::Backfill];

    /// Position in [`Priority::ALL`]: 0 is served first.
    pub(crate) fn rank(self) -> usize {
        match self {
            Self::Interactive => 0,
            Self::WebhookTriggered => 1,
            Self::Scheduled => 2,
            Self::Backfill => 3,
        }
    }
}

/// One call to a provider, with everything the stack needs to schedule, retry and account for it.
///
/// Built with [`ProviderCall::new`] and the builder methods; only `provider`, the app key and the
/// request are required.
#[derive(Debug)]
pub struct ProviderCall {
    pub(crate) provider: String,
    pub(crate) app_key: ScopeKey,
    pub(crate) connection_key: Option<ScopeKey>,
    pub(crate) priority: Priority,
    pub(crate) app_limit: Option<RateLimitPolicy>,
    pub(crate) connection_limit: Option<RateLimitPolicy>,
    pub(crate) has_idempotency_key: bool,
    pub(crate) classifier: Arc<dyn Classifier>,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) request: reqwest::Request,
}

impl ProviderCall {
    /// A call for `provider` (metrics label, e.g. `hubspot`) spending the quota of `app_key`
    /// (the provider app the credentials belong to, e.g. `hubspot:net_…`).
    pub fn new(provider: impl Into<String>, app_key: impl Into<ScopeKey>, request: reqwest::Request) -> Self {
        Self {
            provider: provider.into(),
            app_key: app_key.into(),
            connection_key: None,
            priority: Priority::Scheduled,
            app_limit: None,
            connection_limit: None,
            has_idempotency_key: false,
            classifier: Arc::new(DefaultClassifier),
            total_timeout: None,
            request,
        }
    }

    /// The connection (provider account) the call is made for: it gets its own bucket, its own
    /// fair share of the app quota and its own circuit breaker.
    pub fn connection(mut self, key: impl Into<ScopeKey>) -> Self {
        self.connection_key = Some(key.into());
        self
    }

    /// Who is waiting for the answer (default: [`Priority::Scheduled`]).
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// The quota shared by every connection of the provider app.
    pub fn app_limit(mut self, policy: RateLimitPolicy) -> Self {
        self.app_limit = Some(policy);
        self
    }

    /// The quota of this one connection.
    pub fn connection_limit(mut self, policy: RateLimitPolicy) -> Self {
        self.connection_limit = Some(policy);
        self
    }

    /// Marks a write (POST, PATCH) as carrying a provider idempotency key, so it may be resent.
    pub fn with_idempotency_key(mut self) -> Self {
        self.has_idempotency_key = true;
        self
    }

    /// How this provider's answers are judged (default: [`DefaultClassifier`]).
    pub fn classifier(mut self, classifier: Arc<dyn Classifier>) -> Self {
        self.classifier = classifier;
        self
    }

    /// Deadline for the whole call, replacing `TimeoutPolicy::total` for this call.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// True when resending the request cannot apply a write twice.
    pub(crate) fn safe_to_resend(&self) -> bool {
        self.has_idempotency_key
            || matches!(
                *self.request.method(),
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
            )
    }
}

/// A provider's answer, read in full (bounded by `ResilienceConfig::max_response_bytes`).
#[derive(Debug, Clone)]
pub struct ProviderResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// How many requests were sent to get this answer (1 when the first try succeeded).
    pub attempts: u32,
}
