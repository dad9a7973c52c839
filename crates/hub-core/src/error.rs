//! Error vocabulary shared by every layer: stable machine-readable codes and field validation errors.

use std::fmt;

/// A stable, machine-readable error code. The API maps each code to one HTTP status in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request is malformed or a field is invalid.
    InvalidRequest,
    /// No credentials, or credentials that do not identify a live principal.
    Unauthenticated,
    /// The principal may see the resource but its role may not do this.
    Forbidden,
    /// Nothing by that id exists within the caller's scope.
    NotFound,
    /// The change collides with existing state (a unique name, a resource still in use).
    Conflict,
    /// The request body is larger than the API accepts.
    PayloadTooLarge,
    /// The method is not defined for the path.
    MethodNotAllowed,
    /// The body is not of a media type the API reads.
    UnsupportedMediaType,
    /// A dependency (the database) is unavailable; the caller may retry.
    Unavailable,
    /// A provider failed or refused what the hub asked on the caller's behalf.
    UpstreamFailed,
    /// A fault of ours; details are logged, never returned.
    Internal,
}

impl ErrorCode {
    /// The code as it appears in problem details (`code` member) and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Unavailable => "unavailable",
            Self::UpstreamFailed => "upstream_failed",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a value was refused. The field name is added by whoever knows it (the API layer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ValidationError {
    /// Which field, when known (`time_zone`, `parent_id`).
    pub field: Option<String>,
    /// What is wrong with it, phrased to follow the field name ("is not an IANA time zone").
    pub reason: String,
}

impl ValidationError {
    /// A reason with no field attached yet.
    pub fn new(reason: impl Into<String>) -> Self {
        Self { field: None, reason: reason.into() }
    }

    /// The same error, naming the field it concerns.
    pub fn for_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}
