//! The sync engine's one error type: what stopped a sync, and whether trying again can help.

use std::time::Duration;

use hub_connectors::source::ConnectorError;
use hub_core::ErrorCode;
use hub_store::StoreError;

/// Why a sync could not be requested or could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No connector reads this provider yet.
    #[error("the hub cannot sync {provider} connections yet")]
    NoConnector { provider: String },
    /// The connection cannot be synced in its state (pending, revoked, needs reauthorization).
    #[error("the connection is {status}: {reason}")]
    NotSyncable { status: &'static str, reason: String },
    /// The provider failed or refused.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The job queue refused the run's job.
    #[error(transparent)]
    Jobs(#[from] hub_jobs::JobsError),
    /// The worker lost the job's lease; another worker resumes the run from its checkpoint.
    #[error("the worker lost the sync job's lease")]
    LeaseLost,
    /// The process is shutting down; the run resumes from its checkpoint on the next attempt.
    #[error("the sync was interrupted by shutdown")]
    Interrupted,
}

impl SyncError {
    /// The API error code this maps to.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NoConnector { .. } | Self::NotSyncable { .. } => ErrorCode::Conflict,
            Self::Connector(_) => ErrorCode::UpstreamFailed,
            Self::Store(error) => error.code(),
            Self::Jobs(error) => error.code(),
            Self::LeaseLost | Self::Interrupted => ErrorCode::Unavailable,
        }
    }

    /// Whether the run may succeed if attempted again (from its checkpoint).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connector(error) => error.is_retryable(),
            Self::Store(error) => error.is_retryable(),
            Self::Jobs(error) => error.is_retryable(),
            Self::LeaseLost | Self::Interrupted => true,
            Self::NoConnector { .. } | Self::NotSyncable { .. } => false,
        }
    }

    /// How long the provider asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Connector(ConnectorError::Unavailable { retry_after, .. }) => *retry_after,
            _ => None,
        }
    }
}
