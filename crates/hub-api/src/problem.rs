//! RFC 9457 problem details: the one shape every error leaves the API in, and the one table that
//! maps error codes to HTTP statuses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hub_core::{ErrorCode, ValidationError};
use hub_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The status each error code answers with. The only such table in the hub.
pub fn status_for(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::UpstreamFailed => StatusCode::BAD_GATEWAY,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn title_for(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidRequest => "The request is invalid",
        ErrorCode::Unauthenticated => "Authentication required",
        ErrorCode::Forbidden => "Not allowed for this role",
        ErrorCode::NotFound => "Not found",
        ErrorCode::MethodNotAllowed => "Method not allowed",
        ErrorCode::Conflict => "Conflict with the current state",
        ErrorCode::PayloadTooLarge => "Request body too large",
        ErrorCode::UnsupportedMediaType => "Unsupported media type",
        ErrorCode::Unavailable => "Temporarily unavailable",
        ErrorCode::UpstreamFailed => "The provider failed",
        ErrorCode::Internal => "Internal error",
    }
}

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the body or query (`time_zone`, `lines[2].amount`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An RFC 9457 problem details document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:franchise-hub:problem:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable machine-readable code.
    pub code: String,
    /// For validation problems, each offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request's id, also in the `x-request-id` header: quote it when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An error a handler returns. Internal causes are logged by the middleware, never sent.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// For 5xx: what actually went wrong, for the log only.
    pub internal: Option<String>,
}

impl ApiError {
    /// An error with a code and a message for the caller.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into(), errors: Vec::new(), internal: None }
    }

    /// A validation error on one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self {
            code: ErrorCode::InvalidRequest,
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field, message }],
            internal: None,
        }
    }

    /// 403: the role may not do this.
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "your key's role does not allow this action")
    }

    /// 401 with the reason.
    pub fn unauthenticated(detail: &str) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
    }

    /// The problem document for this error.
    pub fn to_problem(&self, request_id: Option<String>) -> Problem {
        Problem {
            kind: format!("urn:franchise-hub:problem:{}", self.code),
            title: title_for(self.code).to_owned(),
            status: status_for(self.code).as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self.errors.clone(),
            request_id,
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        match error.field {
            Some(field) => Self::field(field, error.reason),
            None => Self::new(ErrorCode::InvalidRequest, error.reason),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid(validation) => validation.into(),
            StoreError::NotFound { resource } => Self::new(ErrorCode::NotFound, format!("{resource} not found")),
            StoreError::Conflict { message } => Self::new(ErrorCode::Conflict, message),
            StoreError::OutOfScope { what } => {
                Self::new(ErrorCode::Forbidden, format!("your key's scope does not allow changing {what}"))
            }
            other => {
                let code = other.code();
                let detail = if code == ErrorCode::Unavailable {
                    "the database is unavailable; try again shortly"
                } else {
                    "an internal error occurred; it has been logged"
                };
                Self { code, detail: detail.into(), errors: Vec::new(), internal: Some(other.to_string()) }
            }
        }
    }
}

impl From<hub_oauth::OAuthError> for ApiError {
    fn from(error: hub_oauth::OAuthError) -> Self {
        use hub_oauth::OAuthError;
        match error {
            OAuthError::NeedsReauthorization(_) | OAuthError::NotConnected(_) => {
                Self::new(ErrorCode::Conflict, error.to_string())
            }
            OAuthError::Token(token) => Self::new(ErrorCode::UpstreamFailed, token.to_string()),
            OAuthError::RefreshTimedOut => Self::new(ErrorCode::Unavailable, error.to_string()),
            OAuthError::Store(store) => store.into(),
            OAuthError::Vault(vault) => Self {
                code: ErrorCode::Internal,
                detail: "an internal error occurred; it has been logged".into(),
                errors: Vec::new(),
                internal: Some(vault.to_string()),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_for(self.code);
        // The middleware renders the body, adding the request id and logging internal causes.
        let mut response = status.into_response();
        if self.code == ErrorCode::Unauthenticated {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(PendingProblem(std::sync::Arc::new(self)));
        response
    }
}

/// An error waiting for the middleware to render it.
#[derive(Clone)]
pub(crate) struct PendingProblem(pub std::sync::Arc<ApiError>);

impl From<hub_analytics::AnalyticsError> for ApiError {
    fn from(error: hub_analytics::AnalyticsError) -> Self {
        match error {
            hub_analytics::AnalyticsError::Store(store) => store.into(),
            hub_analytics::AnalyticsError::InvalidQuery { field, message } => Self::field(field, message),
            other => {
                let mut api = Self::new(other.code(), "the export could not be written");
                api.internal = Some(other.to_string());
                api
            }
        }
    }
}
