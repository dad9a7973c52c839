//! Judging a provider's answer: success, the caller's fault, a rate limit, or a failing provider.
//! One `Classifier` per provider knows its quirks (Salesforce's 403 `REQUEST_LIMIT_EXCEEDED`).

use std::fmt;
use std::time::SystemTime;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::headers::RateLimitHint;

/// How many bytes of the body a classifier sees.
pub const CLASSIFIED_BODY_BYTES: usize = 1024;

/// What a classifier gets to look at.
#[derive(Debug, Clone, Copy)]
pub struct ResponseParts<'a> {
    pub status: StatusCode,
    pub headers: &'a HeaderMap,
    /// The first [`CLASSIFIED_BODY_BYTES`] of the body.
    pub body_prefix: &'a [u8],
}

/// The judgement on one answer; it drives retries and the circuit breakers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The call did what was asked.
    Success,
    /// The provider refused the request itself (validation, auth, not found): final, and the
    /// provider is healthy.
    Rejected,
    /// Over a rate limit or quota: wait and try again; the provider is healthy.
    RateLimited,
    /// The provider is failing or overloaded (502/503/504): try again; counts against breakers.
    Transient,
    /// The provider failed in a way a retry will not fix (500): final; counts against breakers.
    Failed,
}

impl Verdict {
    /// True when another attempt may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::RateLimited | Self::Transient)
    }
}

/// Which quota a provider's pause (`Retry-After`, exhausted rate headers) applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseScope {
    /// The connection's key (the app's when the call has no connection): most providers meter
    /// per account or token.
    Connection,
    /// The whole provider app: every connection of it waits.
    App,
}

/// A provider's rules for reading answers. Implementations must be cheap and must not panic.
pub trait Classifier: Send + Sync + fmt::Debug {
    /// Judges one answer.
    fn classify(&self, response: &ResponseParts<'_>) -> Verdict {
        classify_status(response.status)
    }

    /// What the answer says about the quota; the stack pauses the key for [`RateLimitHint::pause`].
    fn rate_limit_hint(&self, response: &ResponseParts<'_>, now: SystemTime) -> RateLimitHint {
        RateLimitHint::from_headers(response.headers, now)
    }

    /// Which key a pause applies to.
    fn pause_scope(&self) -> PauseScope {
        PauseScope::Connection
    }
}

/// HTTP semantics only: 2xx/3xx success; 408/502/503/504 transient; 429 rate limited; other 5xx
/// failed; other 4xx rejected.
pub fn classify_status(status: StatusCode) -> Verdict {
    match status.as_u16() {
        200..=399 => Verdict::Success,
        429 => Verdict::RateLimited,
        408 | 502 | 503 | 504 => Verdict::Transient,
        500..=599 => Verdict::Failed,
        _ => Verdict::Rejected,
    }
}

/// The classifier for providers that follow HTTP semantics (HubSpot, Square, Stripe, Google…).
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultClassifier;

impl Classifier for DefaultClassifier {}

/// Salesforce answers an exhausted API quota or too many long-running requests with
/// **403** `[{"errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, not 429.
#[derive(Debug, Clone, Copy, Default)]
pub struct SalesforceClassifier;

impl Classifier for SalesforceClassifier {
    fn classify(&self, response: &ResponseParts<'_>) -> Verdict {
        if response.status == StatusCode::FORBIDDEN && contains(response.body_prefix, b"REQUEST_LIMIT_EXCEEDED") {
            return Verdict::RateLimited;
        }
        classify_status(response.status)
    }

    fn pause_scope(&self) -> PauseScope {
        // The API allocation belongs to the org, which is what a connection is.
        PauseScope::Connection
    }
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(classifier: &dyn Classifier, status: u16, body: &[u8]) -> Verdict {
        let headers = HeaderMap::new();
        let status = StatusCode::from_u16(status).expect("valid test status");
        classifier.classify(&ResponseParts { status, headers: &headers, body_prefix: body })
    }

    #[test]
    fn status_semantics() {
        let default = DefaultClassifier;
        assert_eq!(judge(&default, 200, b""), Verdict::Success);
        assert_eq!(judge(&default, 400, b""), Verdict::Rejected);
        assert_eq!(judge(&default, 422, b""), Verdict::Rejected);
        assert_eq!(judge(&default, 429, b""), Verdict::RateLimited);
        assert_eq!(judge(&default, 503, b""), Verdict::Transient);
        assert_eq!(judge(&default, 500, b""), Verdict::Failed);
    }

    #[test]
    fn salesforce_request_limit_is_a_rate_limit_but_other_403s_are_not() {
        let body = br#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#;
        assert_eq!(judge(&SalesforceClassifier, 403, body), Verdict::RateLimited);
        let refused = br#"[{"errorCode":"INSUFFICIENT_ACCESS"}]"#;
        assert_eq!(judge(&SalesforceClassifier, 403, refused), Verdict::Rejected);
        assert_eq!(judge(&DefaultClassifier, 403, body), Verdict::Rejected);
    }
}
