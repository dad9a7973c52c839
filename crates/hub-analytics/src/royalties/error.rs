//! The royalty engine's one error type: what went wrong, its API code, whether a retry helps.

use chrono::NaiveDate;
use hub_core::tenancy::Currency;
use hub_core::{ErrorCode, ValidationError};
use hub_store::StoreError;

/// Why a statement could not be computed, issued or invoiced.
#[derive(Debug, thiserror::Error)]
pub enum RoyaltyError {
    /// A sale must be converted (or a total consolidated) and no rate is stored for the pair on
    /// or before the date. Nothing was saved.
    #[error("no {from}→{to} exchange rate is recorded on or before {on}; record one with POST /v1/exchange-rates")]
    MissingRate { from: Currency, to: Currency, on: NaiveDate },
    /// No agreement covers the period's first day.
    #[error("no agreement of franchisee {franchisee} covers {on}; create one with POST /v1/agreements")]
    NoAgreement { franchisee: String, on: NaiveDate },
    /// The request cannot be right (a period start that does not begin a period, …).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The change collides with what is stored (an issued statement, a later period issued).
    #[error("{0}")]
    Conflict(String),
    /// A stored sale does not read back as a sale.
    #[error("stored sale {record} is unreadable: {reason}")]
    UnreadableSale { record: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The invoice job could not be queued (the statement is issued; issuing again queues it).
    #[error("queueing the invoice: {0}")]
    Queue(#[from] hub_jobs::JobsError),
}

impl RoyaltyError {
    /// The API error code this maps to.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingRate { .. } | Self::NoAgreement { .. } | Self::Invalid(_) => ErrorCode::InvalidRequest,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::UnreadableSale { .. } => ErrorCode::Internal,
            Self::Store(error) => error.code(),
            Self::Queue(error) => error.code(),
        }
    }

    /// Whether the same call may succeed if tried again.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(error) => error.is_retryable(),
            Self::Queue(error) => error.is_retryable(),
            _ => false,
        }
    }

    /// The request field the error is about, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::NoAgreement { .. } => Some("period_start"),
            Self::Invalid(error) => error.field.as_deref(),
            _ => None,
        }
    }
}
