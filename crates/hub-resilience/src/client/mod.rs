//! `ResilientClient`: the public entry point. It owns the HTTP client (built with the SSRF
//! resolver and redirect policy), the rate limiter and the breakers, and runs the retry loop.

mod attempt;
mod sync;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::breaker::{BreakerKey, BreakerSnapshot, BreakerStateStore, Breakers, CircuitState, InMemoryBreakerStore};
use crate::call::{ProviderCall, ProviderResponse, ScopeKey};
use crate::config::ResilienceConfig;
use crate::error::ResilienceError;
use crate::limiter::{InFlightLimits, Limiter, lock};
use crate::shared::SharedState;
use crate::shared::outbox::Outbox;
use crate::ssrf::{self, GuardedResolver};
use attempt::{Attempt, CallContext};

/// How many redirects a provider call may follow.
const MAX_REDIRECTS: usize = 5;

/// The outbound HTTP client every provider call goes through. Cheap to clone; clones share
/// limits, breakers and connection pools.
#[derive(Debug, Clone)]
pub struct ResilientClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    config: ResilienceConfig,
    limiter: Limiter,
    breakers: Breakers,
    /// The provider host each connection last called, to report the host breaker in its health.
    connection_hosts: Mutex<HashMap<ScopeKey, String>>,
    /// Where transitions and pauses wait to be published, when state is shared with other nodes.
    outbox: Option<Arc<Outbox>>,
}

/// What `GET /v1/connections/{id}/health` shows about a connection's outbound path: the worse
/// of its own breaker and its provider host's breaker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionHealth {
    pub circuit: CircuitState,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
}

impl ResilientClient {
    /// A client with default HTTP settings (rustls, connection pooling).
    pub fn new(config: ResilienceConfig) -> Result<Self, ResilienceError> {
        Self::with_http_builder(config, reqwest::Client::builder())
    }

    /// A client from a caller-prepared builder (client certificates for mutual TLS, a user agent).
    /// The connect timeout, the SSRF resolver and the redirect policy are set here, and system
    /// proxies are disabled: a proxy would resolve names where we cannot check them.
    pub fn with_http_builder(
        config: ResilienceConfig,
        builder: reqwest::ClientBuilder,
    ) -> Result<Self, ResilienceError> {
        Self::with_breaker_store(config, builder, Arc::new(InMemoryBreakerStore::new()))
    }

    /// As [`ResilientClient::with_http_builder`], keeping breaker records in `store`.
    pub fn with_breaker_store(
        config: ResilienceConfig,
        builder: reqwest::ClientBuilder,
        store: Arc<dyn BreakerStateStore>,
    ) -> Result<Self, ResilienceError> {
        Self::build(config, builder, store, None)
    }

    /// As [`ResilientClient::with_http_builder`], sharing breaker transitions and provider pauses
    /// with the other nodes that use the same backend (see [`crate::shared`]). Starts the
    /// background task that publishes and reads them, so it must be called inside a Tokio
    /// runtime; the task ends when the last clone of the client is dropped.
    pub fn with_shared_state(
        config: ResilienceConfig,
        builder: reqwest::ClientBuilder,
        shared: SharedState,
    ) -> Result<Self, ResilienceError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ResilienceError::InvalidRequest {
            reason: "a client sharing its state must be built inside a Tokio runtime".into(),
        })?;
        let outbox = Arc::new(Outbox::new(shared.node_id.clone()));
        let client = Self::build(config, builder, Arc::new(InMemoryBreakerStore::new()), Some(Arc::clone(&outbox)))?;
        runtime.spawn(sync::run(Arc::downgrade(&client.inner), shared.backend, outbox, shared.refresh_interval));
        Ok(client)
    }

    fn build(
        config: ResilienceConfig,
        builder: reqwest::ClientBuilder,
        store: Arc<dyn BreakerStateStore>,
        outbox: Option<Arc<Outbox>>,
    ) -> Result<Self, ResilienceError> {
        let allow = Arc::new(config.allow_list.clone());
        let http = builder
            .connect_timeout(config.timeouts.connect)
            .dns_resolver(Arc::new(GuardedResolver::new(Arc::clone(&allow))))
            .redirect(ssrf::redirect_policy(allow, MAX_REDIRECTS))
            .no_proxy()
            .build()
            .map_err(|source| ResilienceError::ClientBuild { source })?;
        let limits =
            InFlightLimits { per_app: config.concurrency.per_app, per_connection: config.concurrency.per_connection };
        let inner = Inner {
            http,
            limiter: Limiter::new(limits, config.limits.max_queued_per_app),
            breakers: Breakers::new(store, config.breaker, outbox.clone()),
            config,
            connection_hosts: Mutex::new(HashMap::new()),
            outbox,
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The underlying HTTP client, for building requests (`client.http().get(url).build()`).
    /// Sending through it directly bypasses every protection but SSRF.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub fn config(&self) -> &ResilienceConfig {
        &self.inner.config
    }

    /// Sends one call through the whole stack and reads the response.
    ///
    /// `Ok` only for answers the call's classifier judges a success; any other final answer is
    /// [`ResilienceError::Status`] carrying the response.
    pub async fn execute(&self, call: ProviderCall) -> Result<ProviderResponse, ResilienceError> {
        let started = Instant::now();
        let config = &self.inner.config;
        ssrf::check_url_literal(call.request.url(), &config.allow_list)?;
        let host = host_key(call.request.url())?;
        let resend_safe = call.safe_to_resend();
        let mut breaker_keys = vec![BreakerKey::Host(host.clone())];
        if let Some(connection) = &call.connection_key {
            self.inner.remember_host(connection, &host);
            breaker_keys.push(BreakerKey::Connection(connection.clone()));
        }
        let context = CallContext {
            deadline: started + call.total_timeout.unwrap_or(config.timeouts.total),
            provider: call.provider,
            app_key: call.app_key,
            connection_key: call.connection_key,
            priority: call.priority,
            app_limit: call.app_limit,
            connection_limit: call.connection_limit,
            classifier: call.classifier,
            breaker_keys,
            host,
        };
        let mut original = Some(call.request);
        let max_attempts = config.retry.max_attempts.max(1);
        let mut attempts = 0;
        loop {
            let Some(request) = next_request(&mut original) else {
                return Err(ResilienceError::InvalidRequest { reason: "the request body cannot be resent".into() });
            };
            attempts += 1;
            let (error, wait_at_least, reason, needs_safe_method) =
                match self.attempt(&context, request, attempts).await {
                    Attempt::Final(result) => return result,
                    Attempt::Retry { error, wait_at_least, reason, needs_safe_method } => {
                        (error, wait_at_least, reason, needs_safe_method)
                    }
                };
            if attempts >= max_attempts || (needs_safe_method && !resend_safe) || original.is_none() {
                return Err(error);
            }
            // An open breaker refuses the next attempt anyway: report now instead of sleeping.
            if context.breaker_keys.iter().any(|key| self.inner.breakers.refusal(key).is_some()) {
                return Err(error);
            }
            let wait = crate::retry::backoff(&config.retry, attempts).max(wait_at_least.unwrap_or_default());
            if Instant::now() + wait >= context.deadline {
                return Err(error);
            }
            crate::metrics::record_retry(&context.provider, reason);
            tracing::warn!(
                provider = %context.provider, connection = ?context.connection_key, attempt = attempts,
                wait_ms = wait.as_millis() as u64, error = %error, "retrying provider call"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// A breaker's state, for the API and dashboards.
    pub fn breaker_state(&self, key: &BreakerKey) -> BreakerSnapshot {
        self.inner.breakers.snapshot(key)
    }

    /// The outbound health of one connection: its breaker combined with its provider host's.
    pub fn health(&self, connection: &ScopeKey) -> ConnectionHealth {
        let own = self.breaker_state(&BreakerKey::Connection(connection.clone()));
        let host = lock(&self.inner.connection_hosts).get(connection).cloned();
        let host = host.map(|host| self.breaker_state(&BreakerKey::Host(host)));
        let worse = |a: &BreakerSnapshot, b: &BreakerSnapshot| rank(a.state) >= rank(b.state);
        let circuit_from = match &host {
            Some(host) if !worse(&own, host) => host,
            _ => &own,
        };
        let error_from = match &host {
            Some(host) if host.last_error_at > own.last_error_at => host,
            _ => &own,
        };
        ConnectionHealth {
            circuit: circuit_from.state,
            opened_at: circuit_from.opened_at,
            last_error: error_from.last_error.clone(),
            last_error_at: error_from.last_error_at,
        }
    }

    /// The name this node publishes shared state under, when it shares any.
    pub fn node_id(&self) -> Option<&str> {
        self.inner.outbox.as_deref().map(Outbox::node_id)
    }
}

impl Inner {
    fn remember_host(&self, connection: &ScopeKey, host: &str) {
        let mut hosts = lock(&self.connection_hosts);
        if hosts.get(connection).is_none_or(|known| known != host) {
            hosts.insert(connection.clone(), host.to_owned());
        }
    }
}

/// The request for the next attempt: a copy while the original can be cloned, else the original.
fn next_request(original: &mut Option<reqwest::Request>) -> Option<reqwest::Request> {
    match original.as_ref().and_then(reqwest::Request::try_clone) {
        Some(copy) => Some(copy),
        None => original.take(),
    }
}

/// Closed < half-open < open.
fn rank(state: CircuitState) -> u8 {
    match state {
        CircuitState::Closed => 0,
        CircuitState::HalfOpen => 1,
        CircuitState::Open => 2,
    }
}

/// `host:port` of the URL: the host breaker's key.
fn host_key(url: &reqwest::Url) -> Result<String, ResilienceError> {
    let host =
        url.host_str().ok_or_else(|| ResilienceError::InvalidRequest { reason: "the url has no host".into() })?;
    let port = url.port_or_known_default().unwrap_or(0);
    Ok(format!("{host}:{port}"))
}

impl tower::Service<ProviderCall> for ResilientClient {
    type Response = ProviderResponse;
    type Error = ResilienceError;
    type Future = Pin<Box<dyn Future<Output = Result<ProviderResponse, ResilienceError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Back-pressure happens inside `execute`, per app and connection.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: ProviderCall) -> Self::Future {
        let client = self.clone();
        Box::pin(async move { client.execute(call).await })
    }
}

/// Clamps a provider pause to the configured maximum.
pub(crate) fn clamp_pause(pause: Duration, config: &ResilienceConfig) -> Duration {
    pause.min(config.limits.max_pause)
}
