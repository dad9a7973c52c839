//! Why the webhook runtime could not do something: one enum for its storage, vault and
//! configuration failures, each knowing its API code.

use hub_core::ErrorCode;
use hub_oauth::VaultFailure;
use hub_store::StoreError;

/// A failure of the webhook runtime (not of a delivery's authenticity: that is
/// [`crate::WebhookError`]).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the vault failed: {0}")]
    Vault(#[from] VaultFailure),
    /// A setting or stored value the runtime cannot use; someone must fix it.
    #[error("webhook configuration: {0}")]
    Misconfigured(String),
    /// A group-commit writer failed or stopped.
    #[error(transparent)]
    Batch(#[from] crate::batch::BatchError),
}

impl RuntimeError {
    /// The API error code this maps to.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Store(store) => store.code(),
            Self::Batch(_) => ErrorCode::Unavailable,
            Self::Vault(_) | Self::Misconfigured(_) => ErrorCode::Internal,
        }
    }

    /// Whether trying again may help.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(store) => store.is_retryable(),
            Self::Batch(_) => true,
            Self::Vault(_) | Self::Misconfigured(_) => false,
        }
    }
}
