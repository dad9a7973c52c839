//! The runtime's errors: what a handler reports about one attempt ([`JobError`]) and what the
//! runtime's own calls can fail with ([`JobsError`]).

use std::time::Duration;

use hub_core::ErrorCode;
use hub_store::StoreError;

/// How one attempt of a job failed; decides whether the job runs again.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (a timeout, a 429, a 5xx): the job runs again after the backoff, or
    /// after `retry_after` when the failure says when (a `Retry-After` header).
    #[error("{message}")]
    Retryable { message: String, retry_after: Option<Duration> },
    /// Will fail the same way every time (bad payload, revoked credentials): dead-lettered at once.
    #[error("{message}")]
    Permanent { message: String },
}

impl JobError {
    /// A failure worth retrying after the usual backoff.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::Retryable { message: message.into(), retry_after: None }
    }

    /// A failure worth retrying no sooner than `after`.
    pub fn retry_after(message: impl Into<String>, after: Duration) -> Self {
        Self::Retryable { message: message.into(), retry_after: Some(after) }
    }

    /// A failure no retry can fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent { message: message.into() }
    }

    /// Whether the job may run again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }
}

/// Why a runtime call failed.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A schedule's cron expression does not parse or never fires.
    #[error("invalid cron expression `{expression}`: {reason}")]
    InvalidCron { expression: String, reason: String },
    /// Two handlers were registered for one kind.
    #[error("a handler for job kind `{kind}` is already registered")]
    DuplicateHandler { kind: String },
    /// A worker or scheduler setting is out of range.
    #[error("job runtime configuration: {0}")]
    Config(String),
}

impl JobsError {
    /// The API error code this maps to.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Store(error) => error.code(),
            Self::InvalidCron { .. } => ErrorCode::InvalidRequest,
            Self::DuplicateHandler { .. } | Self::Config(_) => ErrorCode::Internal,
        }
    }

    /// Whether the same call may succeed if tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Store(error) if error.is_retryable())
    }
}
