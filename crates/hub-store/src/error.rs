//! The store's one error type: what went wrong, its API code, and whether a retry can help.

use hub_core::{ErrorCode, ValidationError};

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Nothing by that id within the caller's scope.
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    /// A unique name is taken, or the resource is still in use.
    #[error("{message}")]
    Conflict { message: String },
    /// The caller's scope is too narrow for this kind of change (a franchisee creating franchisees).
    #[error("{what} can only be changed with a wider scope")]
    OutOfScope { what: &'static str },
    /// A referenced id does not exist in scope, or the change would break the hierarchy.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A worker tried to complete, fail or renew a job whose lease it no longer holds (the lease
    /// expired and the job was reclaimed, or the job was cancelled).
    #[error("the lease on job {job_id} is no longer held by this worker")]
    LeaseLost { job_id: hub_core::id::JobId },
    /// The database URL or file cannot be used.
    #[error("store configuration: {0}")]
    Config(String),
    /// A stored row no longer parses: someone edited the database by hand.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database could not be reached in time.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// The API error code this maps to.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Conflict { .. } | Self::LeaseLost { .. } => ErrorCode::Conflict,
            Self::OutOfScope { .. } => ErrorCode::Forbidden,
            Self::Invalid(_) => ErrorCode::InvalidRequest,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Config(_) | Self::Corrupt(_) | Self::Database(_) | Self::Migrate(_) => ErrorCode::Internal,
        }
    }

    /// Whether the same call may succeed if tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// A conflict with a message for the caller.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict { message: message.into() }
    }

    /// A reference to something that is not there (or not in the caller's scope).
    pub fn unknown_reference(field: &str, what: &str) -> Self {
        Self::Invalid(ValidationError::new(format!("no such {what}")).for_field(field))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::conflict("a resource with the same unique value already exists")
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                Self::conflict("the resource is referenced by, or refers to, something that does not allow it")
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => Self::Unavailable(error),
            _ => Self::Database(error),
        }
    }
}
