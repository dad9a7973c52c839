//! One attempt through the stack: breaker pre-check → rate limit and concurrency slot → breaker
//! admission → send under the timeout → read the body → classify, pause, record.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::{ResilientClient, clamp_pause};
use crate::breaker::{BreakerKey, BreakerPermit, Outcome, Refusal};
use crate::call::{Priority, ProviderResponse, ScopeKey};
use crate::classify::{CLASSIFIED_BODY_BYTES, Classifier, PauseScope, ResponseParts, Verdict};
use crate::error::{ResilienceError, TimeoutPhase};
use crate::limiter::{Admission, AdmissionError, RateLimitPolicy};
use crate::metrics;
use crate::shared::SharedPause;
use crate::ssrf;

/// What stays the same across the attempts of one call.
#[derive(Debug)]
pub(super) struct CallContext {
    pub(super) provider: String,
    pub(super) app_key: ScopeKey,
    pub(super) connection_key: Option<ScopeKey>,
    pub(super) priority: Priority,
    pub(super) app_limit: Option<RateLimitPolicy>,
    pub(super) connection_limit: Option<RateLimitPolicy>,
    pub(super) classifier: Arc<dyn Classifier>,
    pub(super) breaker_keys: Vec<BreakerKey>,
    pub(super) deadline: Instant,
    pub(super) host: String,
}

/// How one attempt ended.
#[derive(Debug)]
pub(super) enum Attempt {
    /// Nothing more to try: a success, or an error another attempt will not fix.
    Final(Result<ProviderResponse, ResilienceError>),
    /// Another attempt may succeed.
    Retry {
        error: ResilienceError,
        /// The provider's requested wait, honoured as the minimum backoff.
        wait_at_least: Option<Duration>,
        /// The `reason` label of the retry metric.
        reason: &'static str,
        /// False when the request provably never left (connection refused): safe for any method.
        needs_safe_method: bool,
    },
}

/// Why reading a response failed.
enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

impl ResilientClient {
    pub(super) async fn attempt(&self, call: &CallContext, request: reqwest::Request, number: u32) -> Attempt {
        let inner = &self.inner;
        // Fail fast on an open breaker instead of queueing for quota first.
        if let Some(refusal) = call.breaker_keys.iter().find_map(|key| inner.breakers.refusal(key)) {
            return Attempt::Final(Err(circuit_open(refusal)));
        }

        let queued_at = Instant::now();
        let admission = Admission {
            app_key: &call.app_key,
            connection: call.connection_key.as_ref(),
            priority: call.priority,
            app_limit: call.app_limit,
            connection_limit: call.connection_limit,
            deadline: call.deadline,
        };
        let slot = match inner.limiter.acquire(admission).await {
            Ok(slot) => slot,
            Err(refusal) => {
                if matches!(refusal, AdmissionError::Paused { .. }) {
                    metrics::record_rate_limit_refusal(&call.provider);
                }
                return Attempt::Final(Err(admission_error(call, refusal)));
            }
        };
        metrics::record_rate_limit_wait(&call.provider, queued_at.elapsed());

        let mut permits = Vec::with_capacity(call.breaker_keys.len());
        for key in &call.breaker_keys {
            match inner.breakers.admit(key, &call.provider, &call.host) {
                Ok(permit) => permits.push(permit),
                // Permits already taken are dropped unsettled, freeing any probe slot.
                Err(refusal) => return Attempt::Final(Err(circuit_open(refusal))),
            }
        }

        let now = Instant::now();
        let remaining = call.deadline.saturating_duration_since(now);
        let (budget, phase) = if remaining < inner.config.timeouts.request {
            (remaining, TimeoutPhase::Total)
        } else {
            (inner.config.timeouts.request, TimeoutPhase::Request)
        };
        let read = tokio::time::timeout(budget, self.send(request)).await;
        let elapsed = now.elapsed();
        drop(slot);

        match read {
            Err(_) => {
                metrics::record_attempt(&call.provider, "timeout", elapsed);
                settle(permits, Outcome::Failure(format!("timed out after {} ms", elapsed.as_millis())));
                let error = ResilienceError::Timeout { provider: call.provider.clone(), phase };
                if phase == TimeoutPhase::Total {
                    return Attempt::Final(Err(error));
                }
                Attempt::Retry { error, wait_at_least: None, reason: "timeout", needs_safe_method: true }
            }
            Ok(Err(ReadError::TooLarge)) => {
                metrics::record_attempt(&call.provider, "too_large", elapsed);
                let limit = inner.config.limits.max_response_bytes;
                Attempt::Final(Err(ResilienceError::ResponseTooLarge { provider: call.provider.clone(), limit }))
            }
            Ok(Err(ReadError::Http(error))) => self.transport_failure(call, error, permits, elapsed),
            Ok(Ok((status, headers, body))) => {
                metrics::record_attempt(&call.provider, metrics::status_label(status.as_u16()), elapsed);
                let response = ProviderResponse { status, headers, body, attempts: number };
                self.judge(call, response, permits)
            }
        }
    }

    /// Sends the request and reads the whole body, refusing bodies over the size limit.
    async fn send(&self, request: reqwest::Request) -> Result<(StatusCode, HeaderMap, Bytes), ReadError> {
        let limit = self.inner.config.limits.max_response_bytes;
        let mut response = self.inner.http.execute(request).await.map_err(ReadError::Http)?;
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(ReadError::TooLarge);
        }
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(ReadError::Http)? {
            if body.len() + chunk.len() > limit {
                return Err(ReadError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body.freeze()))
    }

    /// No answer: SSRF refusal, connection failure or a broken transfer.
    fn transport_failure(
        &self,
        call: &CallContext,
        error: reqwest::Error,
        permits: Vec<BreakerPermit>,
        elapsed: Duration,
    ) -> Attempt {
        if let Some(refusal) = ssrf::find_in_chain(&error) {
            metrics::record_attempt(&call.provider, "blocked", elapsed);
            return Attempt::Final(Err(ResilienceError::Blocked(refusal)));
        }
        let provider = call.provider.clone();
        if error.is_connect() {
            metrics::record_attempt(&call.provider, "connect_error", elapsed);
            settle(permits, Outcome::Failure(format!("cannot connect to {}: {error}", call.host)));
            let error = if error.is_timeout() {
                ResilienceError::Timeout { provider, phase: TimeoutPhase::Connect }
            } else {
                ResilienceError::Connect { provider, source: error }
            };
            return Attempt::Retry { error, wait_at_least: None, reason: "connect", needs_safe_method: false };
        }
        metrics::record_attempt(&call.provider, "transport_error", elapsed);
        settle(permits, Outcome::Failure(format!("transport error with {}: {error}", call.host)));
        let error = ResilienceError::Transport { provider, source: error };
        Attempt::Retry { error, wait_at_least: None, reason: "transport", needs_safe_method: true }
    }

    /// An answer: classify it, apply any pause it asks for, and tell the breakers.
    fn judge(&self, call: &CallContext, response: ProviderResponse, permits: Vec<BreakerPermit>) -> Attempt {
        let prefix_end = response.body.len().min(CLASSIFIED_BODY_BYTES);
        let parts = ResponseParts {
            status: response.status,
            headers: &response.headers,
            body_prefix: &response.body[..prefix_end],
        };
        let verdict = call.classifier.classify(&parts);
        let hint = call.classifier.rate_limit_hint(&parts, SystemTime::now());
        let pause = hint.pause().map(|pause| clamp_pause(pause, &self.inner.config)).filter(|pause| !pause.is_zero());
        if let Some(pause) = pause {
            self.pause(call, pause);
        }

        let outcome = match verdict {
            Verdict::Success | Verdict::Rejected => Outcome::Success,
            Verdict::RateLimited => Outcome::Neutral,
            Verdict::Transient | Verdict::Failed => Outcome::Failure(format!("{} from {}", response.status, call.host)),
        };
        settle(permits, outcome);

        if verdict == Verdict::Success {
            return Attempt::Final(Ok(response));
        }
        let retry_after = hint.retry_after.map(|wait| clamp_pause(wait, &self.inner.config));
        let error = ResilienceError::Status {
            provider: call.provider.clone(),
            status: response.status,
            retryable: verdict.is_retryable(),
            retry_after,
            attempts: response.attempts,
            response: Box::new(response),
        };
        match verdict {
            Verdict::RateLimited => {
                Attempt::Retry { error, wait_at_least: pause, reason: "rate_limited", needs_safe_method: true }
            }
            Verdict::Transient => {
                Attempt::Retry { error, wait_at_least: pause, reason: "transient", needs_safe_method: true }
            }
            _ => Attempt::Final(Err(error)),
        }
    }

    /// Holds back the key the classifier names until the provider's wait is over.
    fn pause(&self, call: &CallContext, pause: Duration) {
        let connection = match call.classifier.pause_scope() {
            PauseScope::Connection => call.connection_key.as_ref(),
            PauseScope::App => None,
        };
        self.inner.limiter.pause(&call.app_key, connection, Instant::now() + pause);
        metrics::record_pause(&call.provider, metrics::PauseOrigin::Provider);
        if let Some(outbox) = &self.inner.outbox {
            outbox.pause(SharedPause {
                app_key: call.app_key.clone(),
                connection: connection.cloned(),
                provider: call.provider.clone(),
                until: chrono::Utc::now() + chrono::TimeDelta::from_std(pause).unwrap_or_default(),
                node: outbox.node_id().to_owned(),
            });
        }
        tracing::info!(
            provider = %call.provider, app = %call.app_key, connection = ?connection,
            pause_ms = pause.as_millis() as u64, "provider asked to wait; key paused"
        );
    }
}

fn settle(permits: Vec<BreakerPermit>, outcome: Outcome) {
    for permit in permits {
        permit.settle(outcome.clone());
    }
}

fn circuit_open(refusal: Refusal) -> ResilienceError {
    ResilienceError::CircuitOpen {
        key: refusal.key.to_string(),
        state: refusal.state,
        retry_after: refusal.retry_after,
        last_error: refusal.last_error,
    }
}

fn admission_error(call: &CallContext, refusal: AdmissionError) -> ResilienceError {
    match refusal {
        AdmissionError::Paused { key, wait } => {
            ResilienceError::RateLimited { provider: call.provider.clone(), key: key.to_string(), retry_after: wait }
        }
        AdmissionError::Deadline => {
            ResilienceError::Timeout { provider: call.provider.clone(), phase: TimeoutPhase::Total }
        }
        AdmissionError::QueueFull => ResilienceError::QueueFull { key: call.app_key.to_string() },
    }
}
