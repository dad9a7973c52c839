//! The crate's one error type: what went wrong, its API code, and whether a retry can help.

use hub_core::ErrorCode;
use hub_store::StoreError;

/// Why an analytics call failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The store failed or refused (not found, out of scope, unavailable).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A query parameter is invalid; `field` names it.
    #[error("{field}: {message}")]
    InvalidQuery { field: &'static str, message: String },
    /// An export could not be written (an I/O or encoder failure).
    #[error("export failed: {0}")]
    Export(String),
}

impl AnalyticsError {
    /// A bad query parameter.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidQuery { field, message: message.into() }
    }

    /// The API error code this maps to.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Store(error) => error.code(),
            Self::InvalidQuery { .. } => ErrorCode::InvalidRequest,
            Self::Export(_) => ErrorCode::Internal,
        }
    }

    /// Whether the same call may succeed if tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Store(error) if error.is_retryable())
    }
}
