//! Why an OAuth request fails, and the RFC 6749 / RFC 6750 bodies most providers answer with.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A token or revoke request the emulator refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OAuthError {
    InvalidRequest(String),
    InvalidClient(String),
    InvalidGrant(GrantFailure),
    UnsupportedGrantType(String),
    /// The endpoint answers an injected status (503 by default).
    Unavailable(StatusCode),
}

impl OAuthError {
    /// The RFC 6749 `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::Unavailable(_) => "temporarily_unavailable",
        }
    }

    /// A sentence for `error_description`.
    pub fn description(&self) -> String {
        match self {
            Self::InvalidRequest(detail) | Self::InvalidClient(detail) => detail.clone(),
            Self::InvalidGrant(failure) => failure.description().to_owned(),
            Self::UnsupportedGrantType(grant) => format!("grant_type `{grant}` is not supported"),
            Self::Unavailable(_) => "the token endpoint is temporarily unavailable".to_owned(),
        }
    }

    /// The HTTP status RFC 6749 gives this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            Self::Unavailable(status) => *status,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Why a grant (code or refresh token) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrantFailure {
    UnknownCode,
    CodeReused,
    CodeExpired,
    ClientMismatch,
    RedirectMismatch,
    MissingVerifier,
    VerifierMismatch,
    UnknownRefreshToken,
    RefreshTokenUsed,
    RefreshTokenExpired,
    Revoked,
    /// A newer authorization for the same client and account replaced this one.
    Superseded,
    /// Injected by a test (`force_invalid_grant` or an `InvalidGrant` token fault).
    Forced,
}

impl GrantFailure {
    pub fn description(self) -> &'static str {
        match self {
            Self::UnknownCode => "authorization code not found",
            Self::CodeReused => "authorization code has already been redeemed",
            Self::CodeExpired => "authorization code has expired",
            Self::ClientMismatch => "the grant was issued to another client",
            Self::RedirectMismatch => "redirect_uri does not match the authorization request",
            Self::MissingVerifier => "code_verifier is required for this authorization code",
            Self::VerifierMismatch => "code_verifier does not match the code_challenge",
            Self::UnknownRefreshToken => "refresh token not found",
            Self::RefreshTokenUsed => "refresh token has already been used",
            Self::RefreshTokenExpired => "refresh token has expired",
            Self::Revoked => "the grant has been revoked",
            Self::Superseded => "a newer authorization replaced this grant",
            Self::Forced => "Token invalid",
        }
    }

    /// The request parameter at fault, for providers whose errors name a field.
    pub fn field(self) -> &'static str {
        match self {
            Self::UnknownCode | Self::CodeReused | Self::CodeExpired => "code",
            Self::ClientMismatch => "client_id",
            Self::RedirectMismatch => "redirect_uri",
            Self::MissingVerifier | Self::VerifierMismatch => "code_verifier",
            Self::UnknownRefreshToken
            | Self::RefreshTokenUsed
            | Self::RefreshTokenExpired
            | Self::Revoked
            | Self::Superseded
            | Self::Forced => "refresh_token",
        }
    }
}

/// Why a bearer token is refused by a protected endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerFailure {
    Missing,
    Unknown,
    Expired,
    Revoked,
}

impl BearerFailure {
    pub fn description(self) -> &'static str {
        match self {
            Self::Missing => "no bearer token",
            Self::Unknown => "the access token is not known",
            Self::Expired => "the access token has expired",
            Self::Revoked => "the access token has been revoked",
        }
    }
}

/// `{"error", "error_description"}` with the RFC 6749 status.
pub(crate) fn standard_error(error: &OAuthError) -> Response {
    (error.status(), Json(json!({"error": error.code(), "error_description": error.description()}))).into_response()
}

/// RFC 6750: 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
pub(crate) fn standard_unauthorized(failure: BearerFailure) -> Response {
    let body = Json(json!({"error": "invalid_token", "error_description": failure.description()}));
    let mut response = (StatusCode::UNAUTHORIZED, body).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
    response
}
