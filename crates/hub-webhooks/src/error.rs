//! Why a delivery was refused or a signature could not be made: one enum for the crate, every
//! variant specific enough to act on (which header, by how much, how many were tried).

use std::fmt;

use hub_core::ErrorCode;

use crate::Scheme;

/// Everything that can go wrong when verifying an inbound webhook or signing an outbound one.
///
/// The `Display` text is the reason shown to an operator (`hub webhooks verify` prints it); it
/// never contains a secret or a computed signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// A header the scheme needs is absent.
    #[error("missing header {name}")]
    MissingHeader { name: &'static str },
    /// A header is present but cannot be read the way the scheme defines it.
    #[error("malformed header {name}: {reason}")]
    MalformedHeader { name: &'static str, reason: String },
    /// The signed timestamp is further from now than the scheme allows.
    #[error("timestamp outside tolerance by {} s: {}, tolerance {tolerance_seconds} s", excess(*.skew_seconds, *.tolerance_seconds), Skew(*.skew_seconds))]
    TimestampOutsideTolerance {
        /// Now minus the signed time, in seconds: positive when the signature is old, negative
        /// when it claims to come from the future.
        skew_seconds: i64,
        tolerance_seconds: u64,
    },
    /// Signatures were present and well formed, but none was made with any configured secret.
    #[error("no signature matched: {signatures} signature(s) in {header} checked against {secrets} secret(s)")]
    NoSignatureMatched { header: &'static str, signatures: usize, secrets: usize },
    /// A shared token (Clover auth code, Google channel token, Meta verify token) is not one of
    /// the configured values.
    #[error("{source_name} matches none of the {secrets} configured token(s)")]
    TokenMismatch { source_name: &'static str, secrets: usize },
    /// The scheme signs the request URL and no URL was given.
    #[error("the URL the provider called is required: {scheme} signs it")]
    UrlRequired { scheme: Scheme },
    /// The URL cannot be read (no scheme, no host).
    #[error("malformed URL: {reason}")]
    MalformedUrl { reason: &'static str },
    /// A query parameter the scheme needs is absent from the URL.
    #[error("missing query parameter {name}")]
    MissingQueryParameter { name: &'static str },
    /// Twilio JSON callbacks: the body's SHA-256 differs from `bodySHA256` in the signed URL.
    #[error("the body's SHA-256 does not match the bodySHA256 query parameter")]
    BodyHashMismatch,
    /// The body cannot be read the way the scheme needs (Toast signs a field taken from it,
    /// Twilio signs the decoded form parameters).
    #[error("malformed body: {reason}")]
    MalformedBody { reason: String },
    /// The delivery names a signature version the hub does not verify.
    #[error("unsupported signature version {version:?} in {header}")]
    UnsupportedSignatureVersion { header: &'static str, version: String },
    /// A Meta subscription handshake that must be refused (wrong mode).
    #[error("subscription refused: {reason}")]
    SubscriptionRefused { reason: String },
    /// No secret was configured for the connection, so nothing can verify.
    #[error("no secret configured")]
    NoSecrets,
    /// A configured secret cannot be used by this scheme (a `whsec_` secret that is not base64,
    /// a SendGrid key that is not a P-256 public key, an empty value).
    #[error("secret #{} is unusable: {reason}", .index + 1)]
    InvalidSecret { index: usize, reason: String },
    /// A provider id that names no webhook scheme.
    #[error("no webhook signature scheme for provider {id:?}")]
    UnknownProvider { id: String },
    /// Outbound signing was given something that cannot go into the headers.
    #[error("cannot sign: {reason}")]
    InvalidSigningInput { reason: String },
}

impl WebhookError {
    /// The API error code this maps to: a forged or malformed delivery is `unauthenticated`; a
    /// hub-side configuration fault (no usable secret) is `internal` and must be fixed by someone.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NoSecrets | Self::InvalidSecret { .. } => ErrorCode::Internal,
            Self::UnknownProvider { .. } => ErrorCode::NotFound,
            Self::InvalidSigningInput { .. } => ErrorCode::InvalidRequest,
            Self::SubscriptionRefused { .. } => ErrorCode::Forbidden,
            _ => ErrorCode::Unauthenticated,
        }
    }

    pub(crate) fn malformed(name: &'static str, reason: impl Into<String>) -> Self {
        Self::MalformedHeader { name, reason: reason.into() }
    }

    pub(crate) fn malformed_body(reason: impl Into<String>) -> Self {
        Self::MalformedBody { reason: reason.into() }
    }

    pub(crate) fn invalid_secret(index: usize, reason: impl Into<String>) -> Self {
        Self::InvalidSecret { index, reason: reason.into() }
    }
}

fn excess(skew_seconds: i64, tolerance_seconds: u64) -> u64 {
    skew_seconds.unsigned_abs().saturating_sub(tolerance_seconds)
}

struct Skew(i64);

impl fmt::Display for Skew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 >= 0 {
            write!(f, "signed {} s ago", self.0)
        } else {
            write!(f, "signed {} s in the future", self.0.unsigned_abs())
        }
    }
}
